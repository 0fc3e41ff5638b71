//! The rebalance state machine: starting a rebalance, the join barrier (complete
//! when every known member rejoined, or at the rebalance timeout, evicting the
//! missing), the next generation, and members leaving or expiring.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use tokio::time::Instant;
use tracing::info;

use super::coordinator::Shared;
use super::member::Member;
use super::metadata::{Group, JoinBarrier};
use super::results::{JoinResult, SyncResult};
use super::state::GroupState;
use super::timers;

/// Adds a member whose JoinGroup is parked, and rebalances the group for it.
pub(crate) fn add_member_and_rebalance(
    shared: &Arc<Shared>,
    group: &mut Group,
    mut member: Member,
    reason: &str,
) {
    let now = Instant::now();
    member.last_heartbeat = now;
    member.session_timer = Some(timers::start_session_timer(
        shared,
        &group.id,
        &member.id,
        member.session_deadline(now),
    ));
    if group.state == GroupState::PreparingRebalance
        && let Some(barrier) = &mut group.join_barrier
        && now < barrier.not_before
    {
        // A member arrived during the initial delay: wait for more.
        barrier.not_before = (now + shared.config.initial_rebalance_delay).min(barrier.deadline);
    }
    group.add_member(member);
    maybe_prepare_rebalance(shared, group, reason);
}

/// Starts a rebalance unless one is already under way.
pub(crate) fn maybe_prepare_rebalance(shared: &Arc<Shared>, group: &mut Group, reason: &str) {
    if group.can_rebalance() {
        prepare_rebalance(shared, group, reason);
    }
}

fn prepare_rebalance(shared: &Arc<Shared>, group: &mut Group, reason: &str) {
    if group.state == GroupState::CompletingRebalance {
        // Members waiting for the assignment of the abandoned generation rejoin.
        for member in group.members.values_mut() {
            member.assignment = Default::default();
            member.complete_sync(SyncResult::error(ResponseError::RebalanceInProgress));
        }
    }
    group.cancel_sync_timer();
    let now = Instant::now();
    let deadline = now + group.rebalance_timeout();
    let not_before = if group.state == GroupState::Empty {
        (now + shared.config.initial_rebalance_delay).min(deadline)
    } else {
        now
    };
    if let Some(previous) = group.join_barrier.take()
        && let Some(timer) = previous.timer
    {
        timer.abort();
    }
    group.transition_to(GroupState::PreparingRebalance);
    info!(group = %group.id, generation = group.generation_id, reason, "preparing to rebalance");
    let first_wake = if not_before > now {
        not_before
    } else {
        deadline
    };
    group.join_barrier = Some(JoinBarrier {
        deadline,
        not_before,
        timer: Some(timers::start_join_timer(shared, &group.id, first_wake)),
    });
}

/// Completes the join barrier if every member rejoined and the initial delay passed.
pub(crate) fn try_complete_join(shared: &Arc<Shared>, group: &mut Group) {
    if group.state != GroupState::PreparingRebalance || !group.all_members_joined() {
        return;
    }
    let ready = group
        .join_barrier
        .as_ref()
        .is_none_or(|barrier| Instant::now() >= barrier.not_before);
    if ready {
        complete_join(shared, group);
    }
}

/// Ends the join barrier: evicts members that did not rejoin, then starts the next
/// generation (answering every parked JoinGroup; the leader gets the members) or,
/// with nobody left, empties the group.
fn complete_join(shared: &Arc<Shared>, group: &mut Group) {
    if let Some(barrier) = group.join_barrier.take()
        && let Some(timer) = barrier.timer
    {
        timer.abort();
    }
    let missing: Vec<String> = group
        .members
        .values()
        .filter(|m| !m.is_awaiting_join())
        .map(|m| m.id.clone())
        .collect();
    for member_id in missing {
        info!(group = %group.id, member = %member_id, "member did not rejoin in time, removing it");
        if let Some(mut member) = group.remove_member(&member_id) {
            member.cancel_session_timer();
            member.fail_parked_requests(ResponseError::UnknownMemberId);
        }
    }
    group.generation_id += 1;
    if group.members.is_empty() {
        group.protocol_name = None;
        group.transition_to(GroupState::Empty);
        info!(group = %group.id, generation = group.generation_id, "group is empty");
        shared.persist_membership(group);
        return;
    }
    group.protocol_name = group.select_protocol();
    group.transition_to(GroupState::CompletingRebalance);
    info!(
        group = %group.id,
        generation = group.generation_id,
        members = group.members.len(),
        protocol = group.protocol_name.as_deref().unwrap_or_default(),
        "rebalance joined, awaiting the leader's assignment"
    );
    let joined = group.joined_members();
    let now = Instant::now();
    for member in group.members.values_mut() {
        let is_leader = group.leader_id.as_deref() == Some(member.id.as_str());
        member.complete_join(JoinResult {
            error: None,
            member_id: member.id.clone(),
            generation_id: group.generation_id,
            protocol_type: group.protocol_type.clone(),
            protocol_name: group.protocol_name.clone(),
            leader_id: group.leader_id.clone().unwrap_or_default(),
            members: if is_leader {
                joined.clone()
            } else {
                Vec::new()
            },
        });
        member.last_heartbeat = now;
    }
    group.pending_sync = group.members.keys().cloned().collect();
    let sync_deadline = now + group.rebalance_timeout();
    group.sync_timer = Some(timers::start_sync_timer(
        shared,
        &group.id,
        group.generation_id,
        sync_deadline,
    ));
}

/// Removes a member that left or expired, rebalances the others and records the
/// membership without it (so a restart does not bring it back).
pub(crate) fn remove_member_and_update_group(
    shared: &Arc<Shared>,
    group: &mut Group,
    member_id: &str,
    reason: &str,
) {
    let Some(mut member) = group.remove_member(member_id) else {
        return;
    };
    info!(group = %group.id, member = %member_id, reason, "removing member");
    member.cancel_session_timer();
    member.fail_parked_requests(ResponseError::UnknownMemberId);
    match group.state {
        GroupState::Stable | GroupState::CompletingRebalance => {
            maybe_prepare_rebalance(shared, group, reason);
            try_complete_join(shared, group);
        }
        GroupState::PreparingRebalance => try_complete_join(shared, group),
        GroupState::Empty | GroupState::Dead => {}
    }
    shared.persist_membership(group);
}

/// Forgets an unconfirmed member id, which may unblock the join barrier.
pub(crate) fn remove_pending_member(
    shared: &Arc<Shared>,
    group: &mut Group,
    member_id: &str,
) -> bool {
    let Some(timer) = group.pending_members.remove(member_id) else {
        return false;
    };
    timer.abort();
    try_complete_join(shared, group);
    true
}

/// The session timer of a member fired: expire it, or say when to check again.
pub(crate) fn on_session_timer(
    shared: &Arc<Shared>,
    group_id: &str,
    member_id: &str,
) -> Option<Instant> {
    let mut groups = shared.lock();
    let group = groups.get_mut(group_id)?;
    let now = Instant::now();
    let deadline = group.members.get(member_id)?.session_deadline(now);
    if deadline > now {
        return Some(deadline);
    }
    if let Some(member) = group.members.get_mut(member_id) {
        // The timer is this task: it ends by returning, not by being aborted.
        member.session_timer = None;
    }
    remove_member_and_update_group(shared, group, member_id, "session timeout expired");
    None
}

/// The unconfirmed member id expired before the member joined with it.
pub(crate) fn on_pending_member_timer(shared: &Arc<Shared>, group_id: &str, member_id: &str) {
    let mut groups = shared.lock();
    if let Some(group) = groups.get_mut(group_id)
        && remove_pending_member(shared, group, member_id)
    {
        info!(group = %group_id, member = %member_id, "member id expired before the member joined with it");
    }
}

/// The join timer fired: complete the barrier if its deadline passed (evicting the
/// missing) or if everyone joined once the initial delay is over; otherwise say
/// when to check again.
pub(crate) fn on_join_timer(shared: &Arc<Shared>, group_id: &str) -> Option<Instant> {
    let mut groups = shared.lock();
    let group = groups.get_mut(group_id)?;
    if group.state != GroupState::PreparingRebalance {
        return None;
    }
    let (deadline, not_before) = {
        let barrier = group.join_barrier.as_ref()?;
        (barrier.deadline, barrier.not_before)
    };
    let now = Instant::now();
    if now >= deadline || (now >= not_before && group.all_members_joined()) {
        if let Some(barrier) = group.join_barrier.as_mut() {
            // The timer is this task: it ends by returning, not by being aborted.
            barrier.timer = None;
        }
        complete_join(shared, group);
        return None;
    }
    Some(if now < not_before {
        not_before
    } else {
        deadline
    })
}

/// The rebalance timeout passed since the generation started: members that have
/// not sent SyncGroup are evicted and the others rebalance.
pub(crate) fn on_sync_timer(shared: &Arc<Shared>, group_id: &str, generation_id: i32) {
    let mut groups = shared.lock();
    let Some(group) = groups.get_mut(group_id) else {
        return;
    };
    let current = matches!(
        group.state,
        GroupState::CompletingRebalance | GroupState::Stable
    );
    if group.generation_id != generation_id || !current {
        return;
    }
    // The timer is this task: it ends by returning, not by being aborted.
    group.sync_timer = None;
    let missing: Vec<String> = group.pending_sync.iter().cloned().collect();
    for member_id in missing {
        remove_member_and_update_group(
            shared,
            group,
            &member_id,
            "no SyncGroup within the rebalance timeout",
        );
    }
}
