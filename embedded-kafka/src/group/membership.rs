//! The membership APIs of the classic group protocol: JoinGroup (with the
//! MEMBER_ID_REQUIRED two-step join of v4+ and static members), SyncGroup,
//! Heartbeat and LeaveGroup (single member before v3, batches from v3).

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{
    HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    LeaveGroupResponse, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, info};

use super::coordinator::{ClientInfo, GroupCoordinator, Shared};
use super::member::{Member, MemberProtocol};
use super::metadata::Group;
use super::rebalance;
use super::results::{JoinResult, SyncResult};
use super::state::GroupState;
use super::timers;

/// An answer now, or one parked at a barrier.
enum Answer<T> {
    Now(T),
    Later(oneshot::Receiver<T>),
}

impl<T> Answer<T> {
    async fn get(self, closed: impl FnOnce() -> T) -> T {
        match self {
            Answer::Now(result) => result,
            // The sender goes away without answering only when the coordinator does.
            Answer::Later(receiver) => receiver.await.unwrap_or_else(|_| closed()),
        }
    }
}

/// What a JoinGroup request asks for, decoded once.
struct JoinRequest {
    member_id: String,
    instance_id: Option<String>,
    require_known_member_id: bool,
    client: ClientInfo,
    rebalance_timeout: Duration,
    session_timeout: Duration,
    protocol_type: String,
    protocols: Vec<MemberProtocol>,
}

fn text(value: &StrBytes) -> String {
    value.as_str().to_string()
}

fn millis(value: i32) -> Duration {
    Duration::from_millis(u64::try_from(value).unwrap_or(0))
}

impl GroupCoordinator {
    /// Handles JoinGroup of `version`. Waits at the join barrier when the group
    /// rebalances: the response comes when every member rejoined or the rebalance
    /// timeout evicted the missing.
    pub async fn join_group(
        &self,
        request: &JoinGroupRequest,
        version: i16,
        client: &ClientInfo,
    ) -> JoinGroupResponse {
        let session_timeout = millis(request.session_timeout_ms);
        let join = JoinRequest {
            member_id: text(&request.member_id),
            instance_id: request.group_instance_id.as_ref().map(text),
            require_known_member_id: version >= 4,
            client: client.clone(),
            rebalance_timeout: if version >= 1 {
                millis(request.rebalance_timeout_ms)
            } else {
                session_timeout
            },
            session_timeout,
            protocol_type: text(&request.protocol_type),
            protocols: request
                .protocols
                .iter()
                .map(|p| MemberProtocol {
                    name: text(&p.name),
                    metadata: p.metadata.clone(),
                })
                .collect(),
        };
        let member_id = join.member_id.clone();
        let answer = self.join(request.group_id.0.as_str(), join);
        answer
            .get(|| JoinResult::error(member_id, ResponseError::CoordinatorNotAvailable))
            .await
            .into_response(version)
    }

    fn join(&self, group_id: &str, request: JoinRequest) -> Answer<JoinResult> {
        let fail = |error| Answer::Now(JoinResult::error(request.member_id.clone(), error));
        if group_id.is_empty() {
            return fail(ResponseError::InvalidGroupId);
        }
        let config = &self.shared.config;
        if request.session_timeout < config.min_session_timeout
            || request.session_timeout > config.max_session_timeout
        {
            return fail(ResponseError::InvalidSessionTimeout);
        }
        let shared = &self.shared;
        let mut groups = shared.lock();
        let group = match groups.get_mut(group_id) {
            Some(group) => group,
            None if request.member_id.is_empty() => groups
                .entry(group_id.to_string())
                .or_insert_with(|| Group::new(group_id.to_string())),
            None => return fail(ResponseError::UnknownMemberId),
        };
        let answer = if request.member_id.is_empty() {
            join_unknown_member(shared, group, request)
        } else {
            join_known_member(shared, group, request)
        };
        rebalance::try_complete_join(shared, group);
        answer
    }

    /// Handles SyncGroup of `version`. The leader's request carries the
    /// assignments; every member waits until it arrives.
    pub async fn sync_group(&self, request: &SyncGroupRequest, version: i16) -> SyncGroupResponse {
        let answer = self.sync(request);
        answer
            .get(|| SyncResult::error(ResponseError::CoordinatorNotAvailable))
            .await
            .into_response(version)
    }

    fn sync(&self, request: &SyncGroupRequest) -> Answer<SyncResult> {
        let fail = |error| Answer::Now(SyncResult::error(error));
        let group_id = request.group_id.0.as_str();
        if group_id.is_empty() {
            return fail(ResponseError::InvalidGroupId);
        }
        let member_id = request.member_id.as_str();
        let instance_id = request.group_instance_id.as_ref().map(StrBytes::as_str);
        let mut groups = self.shared.lock();
        let Some(group) = groups.get_mut(group_id) else {
            return fail(ResponseError::UnknownMemberId);
        };
        if let Err(error) = validate_member(group, member_id, instance_id, request.generation_id) {
            return fail(error);
        }
        let protocol_mismatch = |requested: &Option<StrBytes>, current: &Option<String>| {
            requested
                .as_ref()
                .is_some_and(|requested| current.as_deref() != Some(requested.as_str()))
        };
        if protocol_mismatch(&request.protocol_type, &group.protocol_type)
            || protocol_mismatch(&request.protocol_name, &group.protocol_name)
        {
            return fail(ResponseError::InconsistentGroupProtocol);
        }
        match group.state {
            GroupState::Empty | GroupState::Dead => fail(ResponseError::UnknownMemberId),
            GroupState::PreparingRebalance => fail(ResponseError::RebalanceInProgress),
            GroupState::Stable => {
                group.mark_synced(member_id);
                let result = stable_sync_result(group, member_id);
                if let Some(member) = group.members.get_mut(member_id) {
                    member.last_heartbeat = Instant::now();
                }
                Answer::Now(result)
            }
            GroupState::CompletingRebalance => {
                group.mark_synced(member_id);
                let (sender, receiver) = oneshot::channel();
                if let Some(member) = group.members.get_mut(member_id) {
                    member.complete_sync(SyncResult::error(ResponseError::RebalanceInProgress));
                    member.awaiting_sync = Some(sender);
                }
                if group.is_leader(member_id) {
                    complete_sync(group, request);
                    self.shared.persist_membership(group);
                }
                Answer::Later(receiver)
            }
        }
    }

    /// Handles Heartbeat of any version.
    pub fn heartbeat(&self, request: &HeartbeatRequest, _version: i16) -> HeartbeatResponse {
        let error = self.beat(request).err();
        HeartbeatResponse::default().with_error_code(error.map_or(0, |e| e.code()))
    }

    fn beat(&self, request: &HeartbeatRequest) -> Result<(), ResponseError> {
        let group_id = request.group_id.0.as_str();
        if group_id.is_empty() {
            return Err(ResponseError::InvalidGroupId);
        }
        let member_id = request.member_id.as_str();
        let mut groups = self.shared.lock();
        let group = groups
            .get_mut(group_id)
            .ok_or(ResponseError::UnknownMemberId)?;
        let instance_id = request.group_instance_id.as_ref().map(StrBytes::as_str);
        validate_member(group, member_id, instance_id, request.generation_id)?;
        let state = group.state;
        if state == GroupState::Empty {
            return Err(ResponseError::UnknownMemberId);
        }
        if let Some(member) = group.members.get_mut(member_id) {
            member.last_heartbeat = Instant::now();
        }
        if state == GroupState::PreparingRebalance {
            return Err(ResponseError::RebalanceInProgress);
        }
        Ok(())
    }

    /// Handles LeaveGroup of `version`: one member by id before v3, a batch of
    /// members (by id or `group.instance.id`) from v3.
    pub fn leave_group(&self, request: &LeaveGroupRequest, version: i16) -> LeaveGroupResponse {
        let leaving: Vec<(String, Option<String>)> = if version >= 3 {
            request
                .members
                .iter()
                .map(|m| (text(&m.member_id), m.group_instance_id.as_ref().map(text)))
                .collect()
        } else {
            vec![(text(&request.member_id), None)]
        };
        let (top_error, results) = self.leave(request.group_id.0.as_str(), &leaving);
        let response = LeaveGroupResponse::default();
        if version >= 3 {
            let members = leaving
                .into_iter()
                .zip(&results)
                .map(|((member_id, instance_id), error)| {
                    MemberResponse::default()
                        .with_member_id(StrBytes::from_string(member_id))
                        .with_group_instance_id(instance_id.map(StrBytes::from_string))
                        .with_error_code(error.map_or(0, |e| e.code()))
                })
                .collect();
            response
                .with_error_code(top_error.map_or(0, |e| e.code()))
                .with_members(members)
        } else {
            let error = top_error.or(results.first().copied().flatten());
            response.with_error_code(error.map_or(0, |e| e.code()))
        }
    }

    /// The group-level error and each leaving member's error.
    fn leave(
        &self,
        group_id: &str,
        leaving: &[(String, Option<String>)],
    ) -> (Option<ResponseError>, Vec<Option<ResponseError>>) {
        if group_id.is_empty() {
            return (Some(ResponseError::InvalidGroupId), Vec::new());
        }
        let shared = &self.shared;
        let mut groups = shared.lock();
        let Some(group) = groups.get_mut(group_id) else {
            return (
                None,
                vec![Some(ResponseError::UnknownMemberId); leaving.len()],
            );
        };
        if group.state == GroupState::Dead {
            return (Some(ResponseError::CoordinatorNotAvailable), Vec::new());
        }
        let results = leaving
            .iter()
            .map(|(member_id, instance_id)| {
                leave_member(shared, group, member_id, instance_id.as_deref()).err()
            })
            .collect();
        (None, results)
    }
}

fn leave_member(
    shared: &Arc<Shared>,
    group: &mut Group,
    member_id: &str,
    instance_id: Option<&str>,
) -> Result<(), ResponseError> {
    if !member_id.is_empty() && group.is_static_member_fenced(member_id, instance_id) {
        return Err(ResponseError::FencedInstanceId);
    }
    if rebalance::remove_pending_member(shared, group, member_id) {
        info!(group = %group.id, member = %member_id, "pending member left");
        return Ok(());
    }
    let target = match group.static_member_id(instance_id) {
        Some(static_member) => static_member.to_string(),
        None if group.members.contains_key(member_id) => member_id.to_string(),
        None => return Err(ResponseError::UnknownMemberId),
    };
    rebalance::remove_member_and_update_group(shared, group, &target, "member left the group");
    Ok(())
}

/// The checks SyncGroup and Heartbeat share: the group is alive, the member is
/// not a fenced static member, is known, and is in the current generation.
fn validate_member(
    group: &Group,
    member_id: &str,
    instance_id: Option<&str>,
    generation_id: i32,
) -> Result<(), ResponseError> {
    if group.state == GroupState::Dead {
        return Err(ResponseError::CoordinatorNotAvailable);
    }
    if group.is_static_member_fenced(member_id, instance_id) {
        return Err(ResponseError::FencedInstanceId);
    }
    if !group.members.contains_key(member_id) {
        return Err(ResponseError::UnknownMemberId);
    }
    if generation_id != group.generation_id {
        return Err(ResponseError::IllegalGeneration);
    }
    Ok(())
}

fn stable_sync_result(group: &Group, member_id: &str) -> SyncResult {
    SyncResult {
        error: None,
        assignment: group
            .members
            .get(member_id)
            .map(|m| m.assignment.clone())
            .unwrap_or_default(),
        protocol_type: group.protocol_type.clone(),
        protocol_name: group.protocol_name.clone(),
    }
}

/// The leader's assignment arrived: hand every member its share (empty for
/// members the leader left out) and stabilize the group.
fn complete_sync(group: &mut Group, request: &SyncGroupRequest) {
    for member in group.members.values_mut() {
        member.assignment = request
            .assignments
            .iter()
            .find(|a| a.member_id.as_str() == member.id)
            .map(|a| a.assignment.clone())
            .unwrap_or_default();
    }
    group.transition_to(GroupState::Stable);
    info!(group = %group.id, generation = group.generation_id, "group is stable");
    let now = Instant::now();
    let (protocol_type, protocol_name) = (group.protocol_type.clone(), group.protocol_name.clone());
    for member in group.members.values_mut() {
        member.complete_sync(SyncResult {
            error: None,
            assignment: member.assignment.clone(),
            protocol_type: protocol_type.clone(),
            protocol_name: protocol_name.clone(),
        });
        member.last_heartbeat = now;
    }
}

/// The current generation as a member that rejoined without changes sees it.
fn current_generation(
    group: &Group,
    member_id: &str,
    leader_id: String,
    with_members: bool,
) -> JoinResult {
    JoinResult {
        error: None,
        member_id: member_id.to_string(),
        generation_id: group.generation_id,
        protocol_type: group.protocol_type.clone(),
        protocol_name: group.protocol_name.clone(),
        leader_id,
        members: if with_members {
            group.joined_members()
        } else {
            Vec::new()
        },
    }
}

fn new_member(id: String, request: JoinRequest, sender: oneshot::Sender<JoinResult>) -> Member {
    Member {
        id,
        instance_id: request.instance_id,
        client_id: request.client.client_id,
        client_host: request.client.client_host,
        rebalance_timeout: request.rebalance_timeout,
        session_timeout: request.session_timeout,
        protocol_type: request.protocol_type,
        protocols: request.protocols,
        assignment: Default::default(),
        awaiting_join: Some(sender),
        awaiting_sync: None,
        last_heartbeat: Instant::now(),
        session_timer: None,
    }
}

fn join_unknown_member(
    shared: &Arc<Shared>,
    group: &mut Group,
    request: JoinRequest,
) -> Answer<JoinResult> {
    let fail = |error| Answer::Now(JoinResult::error(String::new(), error));
    if group.state == GroupState::Dead {
        return fail(ResponseError::CoordinatorNotAvailable);
    }
    if !group.supports_protocols("", &request.protocol_type, &request.protocols) {
        return fail(ResponseError::InconsistentGroupProtocol);
    }
    let prefix = request
        .instance_id
        .as_deref()
        .unwrap_or(&request.client.client_id);
    let new_id = shared.new_member_id(prefix);
    if let Some(old_id) = group
        .static_member_id(request.instance_id.as_deref())
        .map(str::to_string)
    {
        return replace_static_member(shared, group, &old_id, new_id, request);
    }
    if request.require_known_member_id && request.instance_id.is_none() {
        debug!(group = %group.id, member = %new_id, "new member must rejoin with its member id");
        let deadline = Instant::now() + request.session_timeout;
        let timer = timers::start_pending_member_timer(shared, &group.id, &new_id, deadline);
        group.pending_members.insert(new_id.clone(), timer);
        return fail_with_id(new_id, ResponseError::MemberIdRequired);
    }
    let (sender, receiver) = oneshot::channel();
    let member = new_member(new_id, request, sender);
    let reason = format!("new member {} joined", member.id);
    rebalance::add_member_and_rebalance(shared, group, member, &reason);
    Answer::Later(receiver)
}

fn fail_with_id(member_id: String, error: ResponseError) -> Answer<JoinResult> {
    Answer::Now(JoinResult::error(member_id, error))
}

/// A static member rejoined without its member id (it restarted): it takes over
/// its old membership under a new id. In a stable group nothing changes for the
/// others unless its protocols did.
fn replace_static_member(
    shared: &Arc<Shared>,
    group: &mut Group,
    old_id: &str,
    new_id: String,
    request: JoinRequest,
) -> Answer<JoinResult> {
    let old_was_leader = group.is_leader(old_id);
    let previous_leader = group.leader_id.clone().unwrap_or_default();
    let Some(mut old) = group.remove_member(old_id) else {
        return fail_with_id(String::new(), ResponseError::UnknownMemberId);
    };
    old.cancel_session_timer();
    old.fail_parked_requests(ResponseError::FencedInstanceId);
    let protocols_changed = !old.has_same_protocols(&request.protocols);
    let (sender, receiver) = oneshot::channel();
    let mut member = new_member(new_id.clone(), request, sender);
    member.assignment = old.assignment;
    info!(group = %group.id, old = %old_id, new = %new_id, "static member rejoined under a new member id");
    let now = Instant::now();
    member.session_timer = Some(timers::start_session_timer(
        shared,
        &group.id,
        &new_id,
        now + member.session_timeout,
    ));
    group.add_member(member);
    if old_was_leader {
        group.leader_id = Some(new_id.clone());
    }
    match group.state {
        GroupState::Stable | GroupState::CompletingRebalance if !protocols_changed => {
            // The old leader id keeps the new member from assigning as a leader
            // in a generation whose assignment is already decided.
            let result = current_generation(group, &new_id, previous_leader, false);
            if let Some(member) = group.members.get_mut(&new_id) {
                member.awaiting_join = None;
                member.last_heartbeat = now;
            }
            shared.persist_membership(group);
            Answer::Now(result)
        }
        _ => {
            rebalance::maybe_prepare_rebalance(
                shared,
                group,
                "static member rejoined with new protocols",
            );
            Answer::Later(receiver)
        }
    }
}

fn join_known_member(
    shared: &Arc<Shared>,
    group: &mut Group,
    request: JoinRequest,
) -> Answer<JoinResult> {
    let member_id = request.member_id.clone();
    let fail = |error| fail_with_id(member_id.clone(), error);
    if group.state == GroupState::Dead {
        return fail(ResponseError::CoordinatorNotAvailable);
    }
    if !group.supports_protocols(&member_id, &request.protocol_type, &request.protocols) {
        return fail(ResponseError::InconsistentGroupProtocol);
    }
    if let Some(timer) = group.pending_members.remove(&member_id) {
        timer.abort();
        let (sender, receiver) = oneshot::channel();
        let member = new_member(member_id.clone(), request, sender);
        rebalance::add_member_and_rebalance(
            shared,
            group,
            member,
            &format!("new member {member_id} joined"),
        );
        return Answer::Later(receiver);
    }
    let instance_id = request.instance_id.as_deref();
    if group.is_static_member_fenced(&member_id, instance_id) {
        return fail(ResponseError::FencedInstanceId);
    }
    let unknown_instance = instance_id.is_some() && group.static_member_id(instance_id).is_none();
    if !group.members.contains_key(&member_id) || unknown_instance {
        return fail(ResponseError::UnknownMemberId);
    }
    let is_leader = group.is_leader(&member_id);
    let unchanged = group
        .members
        .get(&member_id)
        .is_some_and(|m| m.has_same_protocols(&request.protocols));
    match group.state {
        GroupState::CompletingRebalance if unchanged => {
            // The member lost the JoinGroup response: answer it again.
            let leader = group.leader_id.clone().unwrap_or_default();
            Answer::Now(current_generation(group, &member_id, leader, is_leader))
        }
        GroupState::Stable if unchanged && !is_leader => {
            let leader = group.leader_id.clone().unwrap_or_default();
            Answer::Now(current_generation(group, &member_id, leader, false))
        }
        GroupState::PreparingRebalance | GroupState::CompletingRebalance | GroupState::Stable => {
            let (sender, receiver) = oneshot::channel();
            if let Some(member) = group.members.get_mut(&member_id) {
                member.complete_join(JoinResult::error(
                    member_id.clone(),
                    ResponseError::RebalanceInProgress,
                ));
                member.awaiting_join = Some(sender);
                member.protocols = request.protocols;
                member.rebalance_timeout = request.rebalance_timeout;
                member.session_timeout = request.session_timeout;
            }
            rebalance::maybe_prepare_rebalance(
                shared,
                group,
                &format!("member {member_id} rejoined"),
            );
            Answer::Later(receiver)
        }
        GroupState::Empty | GroupState::Dead => fail(ResponseError::UnknownMemberId),
    }
}
