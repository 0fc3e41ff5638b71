//! The metadata of one group: its state, generation, members (with the leader,
//! static members and members still to confirm their id), the selected protocol
//! and the group's committed offsets.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use kafka_protocol::indexmap::IndexMap;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::debug;

use super::member::{Member, MemberProtocol};
use super::offsets::GroupOffsets;
use super::results::JoinedMember;
use super::state::GroupState;

/// The join barrier of a rebalance in progress.
#[derive(Debug)]
pub(crate) struct JoinBarrier {
    /// When the rebalance completes even if members are missing (who are evicted).
    pub(crate) deadline: Instant,
    /// The rebalance does not complete before this instant: the initial rebalance
    /// delay of an empty group, pushed back as members keep arriving.
    pub(crate) not_before: Instant,
    /// The timer enforcing `deadline` and `not_before`.
    pub(crate) timer: Option<AbortHandle>,
}

/// One classic group.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) state: GroupState,
    pub(crate) generation_id: i32,
    pub(crate) protocol_type: Option<String>,
    pub(crate) protocol_name: Option<String>,
    pub(crate) leader_id: Option<String>,
    /// In order of arrival.
    pub(crate) members: IndexMap<String, Member>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with their expiry timers.
    pub(crate) pending_members: HashMap<String, AbortHandle>,
    /// `group.instance.id` to member id.
    pub(crate) static_members: HashMap<String, String>,
    pub(crate) join_barrier: Option<JoinBarrier>,
    /// Members of the current generation that have not sent SyncGroup yet.
    pub(crate) pending_sync: HashSet<String>,
    /// Evicts the members still in `pending_sync` at the rebalance timeout.
    pub(crate) sync_timer: Option<AbortHandle>,
    pub(crate) offsets: GroupOffsets,
}

impl Group {
    /// A new, empty group.
    pub(crate) fn new(id: String) -> Group {
        Group {
            id,
            state: GroupState::Empty,
            generation_id: 0,
            protocol_type: None,
            protocol_name: None,
            leader_id: None,
            members: IndexMap::new(),
            pending_members: HashMap::new(),
            static_members: HashMap::new(),
            join_barrier: None,
            pending_sync: HashSet::new(),
            sync_timer: None,
            offsets: GroupOffsets::default(),
        }
    }

    /// Moves the group to `next`, logging the transition.
    pub(crate) fn transition_to(&mut self, next: GroupState) {
        debug_assert!(
            self.state.can_transition_to(next),
            "group {} cannot move from {} to {}",
            self.id,
            self.state,
            next
        );
        debug!(group = %self.id, from = %self.state, to = %next, generation = self.generation_id, "group state");
        self.state = next;
    }

    /// Records that the member sent SyncGroup; the sync deadline ends once all did.
    pub(crate) fn mark_synced(&mut self, member_id: &str) {
        self.pending_sync.remove(member_id);
        if self.pending_sync.is_empty() {
            self.cancel_sync_timer();
        }
    }

    /// Stops the sync deadline and forgets who still has to sync.
    pub(crate) fn cancel_sync_timer(&mut self) {
        self.pending_sync.clear();
        if let Some(timer) = self.sync_timer.take() {
            timer.abort();
        }
    }

    /// Whether a rebalance may start from the current state.
    pub(crate) fn can_rebalance(&self) -> bool {
        matches!(
            self.state,
            GroupState::Empty | GroupState::Stable | GroupState::CompletingRebalance
        )
    }

    /// Whether the member is the leader.
    pub(crate) fn is_leader(&self, member_id: &str) -> bool {
        self.leader_id.as_deref() == Some(member_id)
    }

    /// Whether `instance_id` belongs to a static member other than `member_id`.
    pub(crate) fn is_static_member_fenced(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> bool {
        instance_id
            .and_then(|instance| self.static_members.get(instance))
            .is_some_and(|owner| owner != member_id)
    }

    /// The member id a static member currently has.
    pub(crate) fn static_member_id(&self, instance_id: Option<&str>) -> Option<&str> {
        instance_id
            .and_then(|instance| self.static_members.get(instance))
            .map(String::as_str)
    }

    /// Adds a member; the first member fixes the protocol type and leads.
    pub(crate) fn add_member(&mut self, member: Member) {
        if self.members.is_empty() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        if self.leader_id.is_none() {
            self.leader_id = Some(member.id.clone());
        }
        if let Some(instance) = &member.instance_id {
            self.static_members
                .insert(instance.clone(), member.id.clone());
        }
        self.members.insert(member.id.clone(), member);
    }

    /// Removes a member (passing the leadership on if it led) and returns it.
    pub(crate) fn remove_member(&mut self, member_id: &str) -> Option<Member> {
        let member = self.members.shift_remove(member_id)?;
        self.pending_sync.remove(member_id);
        if let Some(instance) = &member.instance_id
            && self
                .static_members
                .get(instance)
                .is_some_and(|id| id == member_id)
        {
            self.static_members.remove(instance);
        }
        if self.is_leader(member_id) {
            self.leader_id = self.members.keys().next().cloned();
        }
        Some(member)
    }

    /// Whether a member with `protocol_type` and `protocols` may be in this group
    /// along with the other members: same protocol type, and at least one protocol
    /// every other member supports.
    pub(crate) fn supports_protocols(
        &self,
        member_id: &str,
        protocol_type: &str,
        protocols: &[MemberProtocol],
    ) -> bool {
        if protocol_type.is_empty() || protocols.is_empty() {
            return false;
        }
        let mut others = self
            .members
            .values()
            .filter(|m| m.id != member_id)
            .peekable();
        if others.peek().is_none() {
            return true;
        }
        if self.protocol_type.as_deref() != Some(protocol_type) {
            return false;
        }
        let others: Vec<&Member> = others.collect();
        protocols
            .iter()
            .any(|p| others.iter().all(|m| m.supports(&p.name)))
    }

    /// Kafka's protocol selection: among the protocols every member supports, the
    /// one most members prefer (each member votes for its first supported
    /// candidate); ties go to the candidate the first member prefers.
    pub(crate) fn select_protocol(&self) -> Option<String> {
        let first = self.members.values().next()?;
        let candidates: Vec<&str> = first
            .protocols
            .iter()
            .map(|p| p.name.as_str())
            .filter(|name| self.members.values().all(|m| m.supports(name)))
            .collect();
        let mut votes: Vec<(&str, usize)> = candidates.iter().map(|c| (*c, 0)).collect();
        for member in self.members.values() {
            let choice = member
                .protocols
                .iter()
                .find(|p| candidates.contains(&p.name.as_str()));
            if let Some(choice) = choice
                && let Some(entry) = votes.iter_mut().find(|(name, _)| *name == choice.name)
            {
                entry.1 += 1;
            }
        }
        let best = votes.iter().map(|(_, count)| *count).max()?;
        votes
            .into_iter()
            .find(|(_, count)| *count == best)
            .map(|(name, _)| name.to_string())
    }

    /// Whether every member rejoined and no member id awaits confirmation.
    pub(crate) fn all_members_joined(&self) -> bool {
        self.pending_members.is_empty() && self.members.values().all(Member::is_awaiting_join)
    }

    /// The longest rebalance timeout of the members: how long a rebalance may wait.
    pub(crate) fn rebalance_timeout(&self) -> Duration {
        self.members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// The members as the leader sees them: ids and metadata of the selected protocol.
    pub(crate) fn joined_members(&self) -> Vec<JoinedMember> {
        let protocol = self.protocol_name.as_deref().unwrap_or_default();
        self.members
            .values()
            .map(|m| JoinedMember {
                member_id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                metadata: m.metadata_for(protocol).cloned().unwrap_or_default(),
            })
            .collect()
    }
}
