//! The group coordinator's state machine driven through its request API (no
//! network): joins, barriers, generations, heartbeats, leaves, session and
//! rebalance timeouts (on tokio's paused clock), static members, offsets,
//! transactional offsets, listing, and the encoding of every response version.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use embedded_kafka::dispatch::supported_range;
use embedded_kafka::group::{
    ClientInfo, GroupConfig, GroupCoordinator, OffsetLogFile, OffsetPersistence,
};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    ApiKey, DescribeGroupsRequest, GroupId, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse,
    LeaveGroupRequest, ListGroupsRequest, OffsetCommitRequest, OffsetFetchRequest,
    OffsetFetchResponse, ProducerId, SyncGroupRequest, SyncGroupResponse, TopicName,
    TransactionalId, TxnOffsetCommitRequest,
};
use kafka_protocol::protocol::{Encodable, StrBytes};
use tokio::task::JoinHandle;

/// The versions librdkafka 2.x negotiates.
const JOIN_V: i16 = 5;
const SYNC_V: i16 = 3;
const HEARTBEAT_V: i16 = 3;
const SESSION_MS: i32 = 10_000;
const REBALANCE_MS: i32 = 30_000;

fn s(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

fn client() -> ClientInfo {
    ClientInfo {
        client_id: "test-client".into(),
        client_host: "/127.0.0.1".into(),
    }
}

fn error(code: i16) -> Option<ResponseError> {
    ResponseError::try_from_code(code)
}

fn join_request(group: &str, member_id: &str, protocols: &[(&str, &[u8])]) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_session_timeout_ms(SESSION_MS)
        .with_rebalance_timeout_ms(REBALANCE_MS)
        .with_member_id(s(member_id))
        .with_protocol_type(s("consumer"))
        .with_protocols(
            protocols
                .iter()
                .map(|(name, metadata)| {
                    JoinGroupRequestProtocol::default()
                        .with_name(s(name))
                        .with_metadata(Bytes::copy_from_slice(metadata))
                })
                .collect(),
        )
}

const RANGE: &[(&str, &[u8])] = &[("range", b"subscription")];

async fn join(
    coordinator: &GroupCoordinator,
    request: JoinGroupRequest,
    version: i16,
) -> JoinGroupResponse {
    coordinator.join_group(&request, version, &client()).await
}

/// Sends a JoinGroup that will wait at the barrier; returns once it is parked.
async fn start_join(
    coordinator: &GroupCoordinator,
    request: JoinGroupRequest,
) -> JoinHandle<JoinGroupResponse> {
    let coordinator = coordinator.clone();
    let handle =
        tokio::spawn(async move { coordinator.join_group(&request, JOIN_V, &client()).await });
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
    assert!(!handle.is_finished(), "the join should wait at the barrier");
    handle
}

/// The first step of a v4+ join: the coordinator hands out a member id.
async fn member_id_for(coordinator: &GroupCoordinator, group: &str) -> String {
    let response = join(coordinator, join_request(group, "", RANGE), JOIN_V).await;
    assert_eq!(
        error(response.error_code),
        Some(ResponseError::MemberIdRequired)
    );
    assert!(!response.member_id.is_empty());
    response.member_id.to_string()
}

fn heartbeat(
    coordinator: &GroupCoordinator,
    group: &str,
    member: &str,
    generation: i32,
) -> Option<ResponseError> {
    let request = HeartbeatRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_member_id(s(member))
        .with_generation_id(generation);
    error(coordinator.heartbeat(&request, HEARTBEAT_V).error_code)
}

fn sync_request(
    group: &str,
    member: &str,
    generation: i32,
    assignments: &[(String, Bytes)],
) -> SyncGroupRequest {
    SyncGroupRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_member_id(s(member))
        .with_generation_id(generation)
        .with_assignments(
            assignments
                .iter()
                .map(|(member, assignment)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(s(member))
                        .with_assignment(assignment.clone())
                })
                .collect(),
        )
}

async fn sync(coordinator: &GroupCoordinator, request: SyncGroupRequest) -> SyncGroupResponse {
    coordinator.sync_group(&request, SYNC_V).await
}

fn assignment_of(member: &str) -> Bytes {
    Bytes::from(format!("assignment of {member}"))
}

/// Every member in `members` (re)joins; the last one completes the barrier.
async fn rejoin_all(
    coordinator: &GroupCoordinator,
    group: &str,
    members: &[String],
) -> Vec<JoinGroupResponse> {
    let (last, others) = members.split_last().expect("at least one member");
    let mut parked = Vec::new();
    for member in others {
        parked.push(start_join(coordinator, join_request(group, member, RANGE)).await);
    }
    let last = join(coordinator, join_request(group, last, RANGE), JOIN_V).await;
    let mut responses = Vec::new();
    for handle in parked {
        responses.push(handle.await.expect("join task"));
    }
    responses.push(last);
    responses
}

/// Followers sync first and wait; the leader's assignment releases them.
async fn sync_all(
    coordinator: &GroupCoordinator,
    group: &str,
    generation: i32,
    leader: &str,
    members: &[String],
) {
    let mut parked = Vec::new();
    for member in members.iter().filter(|m| *m != leader) {
        let coordinator = coordinator.clone();
        let request = sync_request(group, member, generation, &[]);
        parked.push((
            member.clone(),
            tokio::spawn(async move { coordinator.sync_group(&request, SYNC_V).await }),
        ));
    }
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
    for (_, handle) in &parked {
        assert!(
            !handle.is_finished(),
            "followers wait for the leader's assignment"
        );
    }
    let assignments: Vec<(String, Bytes)> = members
        .iter()
        .map(|m| (m.clone(), assignment_of(m)))
        .collect();
    let response = sync(
        coordinator,
        sync_request(group, leader, generation, &assignments),
    )
    .await;
    assert_eq!(error(response.error_code), None);
    assert_eq!(response.assignment, assignment_of(leader));
    for (member, handle) in parked {
        let response = handle.await.expect("sync task");
        assert_eq!(error(response.error_code), None, "sync of {member}");
        assert_eq!(response.assignment, assignment_of(&member));
    }
}

/// A stable group of `size` members built the way librdkafka does it: each new
/// member joins in two steps, the others learn of the rebalance by heartbeat and
/// rejoin. Returns the generation, the leader and the members.
async fn stable_group(
    coordinator: &GroupCoordinator,
    group: &str,
    size: usize,
) -> (i32, String, Vec<String>) {
    let mut members: Vec<String> = Vec::new();
    let mut generation = 0;
    let mut leader = String::new();
    for _ in 0..size {
        let new_member = member_id_for(coordinator, group).await;
        for member in &members {
            assert_eq!(heartbeat(coordinator, group, member, generation), None);
        }
        let mut joining = vec![new_member.clone()];
        if !members.is_empty() {
            // The new member's join starts the rebalance; heartbeats tell the others.
            let parked = start_join(coordinator, join_request(group, &new_member, RANGE)).await;
            for member in &members {
                assert_eq!(
                    heartbeat(coordinator, group, member, generation),
                    Some(ResponseError::RebalanceInProgress)
                );
            }
            let responses = rejoin_all(coordinator, group, &members).await;
            let new_response = parked.await.expect("join task");
            joining = members.clone();
            joining.push(new_member.clone());
            let all: Vec<JoinGroupResponse> = responses.into_iter().chain([new_response]).collect();
            generation = check_generation(&all, &joining);
            leader = all[0].leader.to_string();
        } else {
            let response = join(coordinator, join_request(group, &new_member, RANGE), JOIN_V).await;
            generation = check_generation(std::slice::from_ref(&response), &joining);
            leader = response.leader.to_string();
        }
        members = joining;
        sync_all(coordinator, group, generation, &leader, &members).await;
    }
    (generation, leader, members)
}

/// Every response is for the same generation and leader; only the leader gets
/// the members, all of them.
fn check_generation(responses: &[JoinGroupResponse], members: &[String]) -> i32 {
    let generation = responses[0].generation_id;
    let leader = responses[0].leader.to_string();
    assert!(members.contains(&leader), "leader {leader} is a member");
    for response in responses {
        assert_eq!(error(response.error_code), None);
        assert_eq!(response.generation_id, generation);
        assert_eq!(response.leader.as_str(), leader);
        assert_eq!(
            response.protocol_name.as_ref().map(StrBytes::as_str),
            Some("range")
        );
        if response.member_id.as_str() == leader {
            let mut listed: Vec<String> = response
                .members
                .iter()
                .map(|m| m.member_id.to_string())
                .collect();
            listed.sort();
            let mut expected = members.to_vec();
            expected.sort();
            assert_eq!(listed, expected);
            assert!(
                response
                    .members
                    .iter()
                    .all(|m| m.metadata.as_ref() == b"subscription")
            );
        } else {
            assert!(response.members.is_empty());
        }
    }
    generation
}

#[tokio::test]
async fn a_v4_member_joins_in_two_steps_and_leads_its_generation() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let member = member_id_for(&coordinator, "two-step").await;
    let response = join(
        &coordinator,
        join_request("two-step", &member, RANGE),
        JOIN_V,
    )
    .await;
    assert_eq!(error(response.error_code), None);
    assert_eq!(response.member_id.as_str(), member);
    assert_eq!(response.generation_id, 1);
    assert_eq!(response.leader.as_str(), member);
    assert_eq!(response.members.len(), 1);
    sync_all(
        &coordinator,
        "two-step",
        1,
        &member,
        std::slice::from_ref(&member),
    )
    .await;
    assert_eq!(heartbeat(&coordinator, "two-step", &member, 1), None);
}

#[tokio::test]
async fn a_v3_member_gets_its_id_with_the_first_join() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let response = join(&coordinator, join_request("one-step", "", RANGE), 3).await;
    assert_eq!(error(response.error_code), None);
    assert!(!response.member_id.is_empty());
    assert_eq!(response.generation_id, 1);
}

#[tokio::test]
async fn an_unknown_member_id_is_rejected() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let response = join(
        &coordinator,
        join_request("unknown", "made-up", RANGE),
        JOIN_V,
    )
    .await;
    assert_eq!(
        error(response.error_code),
        Some(ResponseError::UnknownMemberId)
    );
    let _ = member_id_for(&coordinator, "unknown").await;
    let response = join(
        &coordinator,
        join_request("unknown", "made-up", RANGE),
        JOIN_V,
    )
    .await;
    assert_eq!(
        error(response.error_code),
        Some(ResponseError::UnknownMemberId)
    );
}

#[tokio::test]
async fn session_timeouts_outside_the_configured_range_are_rejected() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let request = join_request("timeouts", "", RANGE).with_session_timeout_ms(1_000);
    let response = join(&coordinator, request, JOIN_V).await;
    assert_eq!(
        error(response.error_code),
        Some(ResponseError::InvalidSessionTimeout)
    );
}

#[tokio::test]
async fn three_members_share_one_generation_and_each_gets_its_assignment() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let (generation, leader, members) = stable_group(&coordinator, "three", 3).await;
    assert_eq!(generation, 3);
    assert_eq!(members.len(), 3);
    for member in &members {
        assert_eq!(heartbeat(&coordinator, "three", member, generation), None);
        assert_eq!(
            heartbeat(&coordinator, "three", member, generation - 1),
            Some(ResponseError::IllegalGeneration)
        );
    }
    // A stable follower rejoining with unchanged metadata gets the current generation.
    let follower = members.iter().find(|m| **m != leader).expect("a follower");
    let response = join(&coordinator, join_request("three", follower, RANGE), JOIN_V).await;
    assert_eq!(error(response.error_code), None);
    assert_eq!(response.generation_id, generation);
    // A stable member syncing again gets its assignment back.
    let response = sync(
        &coordinator,
        sync_request("three", follower, generation, &[]),
    )
    .await;
    assert_eq!(response.assignment, assignment_of(follower));
    assert_eq!(
        heartbeat(&coordinator, "three", "stranger", generation),
        Some(ResponseError::UnknownMemberId)
    );
}

#[tokio::test]
async fn a_leaving_member_triggers_a_rebalance_of_the_others() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let (generation, _, members) = stable_group(&coordinator, "leave", 3).await;
    let leaving = &members[0];
    let response = coordinator.leave_group(
        &LeaveGroupRequest::default()
            .with_group_id(GroupId(s("leave")))
            .with_member_id(s(leaving)),
        1,
    );
    assert_eq!(error(response.error_code), None);
    let rest: Vec<String> = members[1..].to_vec();
    for member in &rest {
        assert_eq!(
            heartbeat(&coordinator, "leave", member, generation),
            Some(ResponseError::RebalanceInProgress)
        );
    }
    assert_eq!(
        heartbeat(&coordinator, "leave", leaving, generation),
        Some(ResponseError::UnknownMemberId)
    );
    let responses = rejoin_all(&coordinator, "leave", &rest).await;
    let next = check_generation(&responses, &rest);
    assert_eq!(next, generation + 1);
    let leader = responses[0].leader.to_string();
    sync_all(&coordinator, "leave", next, &leader, &rest).await;
}

#[tokio::test]
async fn leave_group_v3_removes_a_batch_and_reports_each_member() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let (_, _, members) = stable_group(&coordinator, "batch-leave", 2).await;
    let request = LeaveGroupRequest::default()
        .with_group_id(GroupId(s("batch-leave")))
        .with_members(
            [members[0].as_str(), members[1].as_str(), "stranger"]
                .iter()
                .map(|m| MemberIdentity::default().with_member_id(s(m)))
                .collect(),
        );
    let response = coordinator.leave_group(&request, 3);
    assert_eq!(error(response.error_code), None);
    let errors: Vec<Option<ResponseError>> = response
        .members
        .iter()
        .map(|m| error(m.error_code))
        .collect();
    assert_eq!(
        errors,
        vec![None, None, Some(ResponseError::UnknownMemberId)]
    );
    let described = coordinator.describe_groups(
        &DescribeGroupsRequest::default().with_groups(vec![GroupId(s("batch-leave"))]),
        5,
    );
    assert_eq!(described.groups[0].group_state.as_str(), "Empty");
    assert!(described.groups[0].members.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_member_that_stops_heartbeating_is_expired_after_its_session_timeout() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let (generation, _, members) = stable_group(&coordinator, "expiry", 2).await;
    let (alive, silent) = (&members[0], &members[1]);
    let session = Duration::from_millis(SESSION_MS as u64);
    // Half a session: both alive.
    tokio::time::sleep(session / 2).await;
    assert_eq!(heartbeat(&coordinator, "expiry", alive, generation), None);
    // Just past the silent member's deadline (set by its last sync).
    tokio::time::sleep(session / 2 + Duration::from_millis(50)).await;
    assert_eq!(
        heartbeat(&coordinator, "expiry", alive, generation),
        Some(ResponseError::RebalanceInProgress)
    );
    assert_eq!(
        heartbeat(&coordinator, "expiry", silent, generation),
        Some(ResponseError::UnknownMemberId)
    );
    let responses = rejoin_all(&coordinator, "expiry", std::slice::from_ref(alive)).await;
    assert_eq!(
        check_generation(&responses, std::slice::from_ref(alive)),
        generation + 1
    );
}

#[tokio::test(start_paused = true)]
async fn the_join_barrier_evicts_members_that_do_not_rejoin_within_the_rebalance_timeout() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let (generation, _, members) = stable_group(&coordinator, "barrier", 2).await;
    let newcomer = member_id_for(&coordinator, "barrier").await;
    let parked_newcomer = start_join(&coordinator, join_request("barrier", &newcomer, RANGE)).await;
    let parked_first = start_join(&coordinator, join_request("barrier", &members[0], RANGE)).await;
    // members[1] keeps heartbeating but never rejoins.
    let started = tokio::time::Instant::now();
    let mut beats = 0;
    while !parked_first.is_finished() {
        assert!(
            heartbeat(&coordinator, "barrier", &members[1], generation)
                .is_none_or(|e| e == ResponseError::RebalanceInProgress
                    || e == ResponseError::UnknownMemberId)
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        beats += 1;
        assert!(beats < 60, "the rebalance timeout should end the barrier");
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(REBALANCE_MS as u64),
        "waited {waited:?}"
    );
    let responses = vec![parked_first.await.unwrap(), parked_newcomer.await.unwrap()];
    let joined = vec![members[0].clone(), newcomer];
    assert_eq!(check_generation(&responses, &joined), generation + 1);
    assert_eq!(
        heartbeat(&coordinator, "barrier", &members[1], generation),
        Some(ResponseError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn a_leader_that_never_assigns_is_evicted_at_the_rebalance_timeout() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let first = member_id_for(&coordinator, "no-sync").await;
    let second = member_id_for(&coordinator, "no-sync").await;
    let parked = start_join(&coordinator, join_request("no-sync", &first, RANGE)).await;
    let last = join(
        &coordinator,
        join_request("no-sync", &second, RANGE),
        JOIN_V,
    )
    .await;
    let responses = vec![parked.await.unwrap(), last];
    let members = vec![first, second];
    let generation = check_generation(&responses, &members);
    let leader = responses[0].leader.to_string();
    let follower = members.iter().find(|m| **m != leader).unwrap().clone();
    let parked_sync = {
        let coordinator = coordinator.clone();
        let request = sync_request("no-sync", &follower, generation, &[]);
        tokio::spawn(async move { coordinator.sync_group(&request, SYNC_V).await })
    };
    let started = tokio::time::Instant::now();
    let mut seconds = 0;
    while !parked_sync.is_finished() {
        // The leader heartbeats (members may, while awaiting the assignment) but never syncs.
        let beat = heartbeat(&coordinator, "no-sync", &leader, generation);
        assert!(
            beat.is_none() || beat == Some(ResponseError::UnknownMemberId),
            "{beat:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        seconds += 1;
        assert!(
            seconds < 60,
            "the rebalance timeout should evict the leader"
        );
    }
    assert!(started.elapsed() >= Duration::from_millis(REBALANCE_MS as u64));
    let response = parked_sync.await.unwrap();
    assert_eq!(
        error(response.error_code),
        Some(ResponseError::RebalanceInProgress)
    );
    assert_eq!(
        heartbeat(&coordinator, "no-sync", &leader, generation),
        Some(ResponseError::UnknownMemberId)
    );
    let responses = rejoin_all(&coordinator, "no-sync", std::slice::from_ref(&follower)).await;
    assert_eq!(
        check_generation(&responses, std::slice::from_ref(&follower)),
        generation + 1
    );
}

#[tokio::test(start_paused = true)]
async fn an_initial_rebalance_delay_gathers_members_into_one_generation() {
    let config = GroupConfig {
        initial_rebalance_delay: Duration::from_millis(500),
        ..GroupConfig::default()
    };
    let coordinator = GroupCoordinator::new(config);
    let first = member_id_for(&coordinator, "delayed").await;
    let second = member_id_for(&coordinator, "delayed").await;
    let parked_first = start_join(&coordinator, join_request("delayed", &first, RANGE)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !parked_first.is_finished(),
        "the initial delay holds the barrier"
    );
    let parked_second = start_join(&coordinator, join_request("delayed", &second, RANGE)).await;
    let responses = vec![parked_first.await.unwrap(), parked_second.await.unwrap()];
    assert_eq!(check_generation(&responses, &[first, second]), 1);
}

#[tokio::test]
async fn the_protocol_most_members_prefer_among_the_common_ones_is_selected() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let group = "protocols";
    let a = join(
        &coordinator,
        join_request(group, "", &[("range", b"a"), ("roundrobin", b"a")]),
        3,
    )
    .await;
    let a_id = a.member_id.to_string();
    let b_request = join_request(
        group,
        "",
        &[("roundrobin", b"b"), ("range", b"b"), ("sticky", b"b")],
    );
    let parked_b = {
        let coordinator = coordinator.clone();
        tokio::spawn(async move { coordinator.join_group(&b_request, 3, &client()).await })
    };
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
    let c_request = join_request(group, "", &[("roundrobin", b"c"), ("range", b"c")]);
    let parked_c = {
        let coordinator = coordinator.clone();
        tokio::spawn(async move { coordinator.join_group(&c_request, 3, &client()).await })
    };
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
    let a = join(
        &coordinator,
        join_request(group, &a_id, &[("range", b"a"), ("roundrobin", b"a")]),
        3,
    )
    .await;
    let b = parked_b.await.unwrap();
    let c = parked_c.await.unwrap();
    for response in [&a, &b, &c] {
        assert_eq!(error(response.error_code), None);
        assert_eq!(
            response.protocol_name.as_ref().map(StrBytes::as_str),
            Some("roundrobin")
        );
    }
    let leader = [&a, &b, &c]
        .into_iter()
        .find(|r| r.member_id == r.leader)
        .expect("a leader");
    let metadata: Vec<&[u8]> = leader.members.iter().map(|m| m.metadata.as_ref()).collect();
    assert_eq!(metadata, vec![b"a".as_slice(), b"b", b"c"]);
    let stranger = join(
        &coordinator,
        join_request(group, "", &[("sticky", b"x")]),
        3,
    )
    .await;
    assert_eq!(
        error(stranger.error_code),
        Some(ResponseError::InconsistentGroupProtocol)
    );
}

#[tokio::test]
async fn a_restarted_static_member_takes_over_without_a_rebalance() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let group = "static";
    let request = join_request(group, "", RANGE).with_group_instance_id(Some(s("instance-1")));
    let first = join(&coordinator, request.clone(), JOIN_V).await;
    assert_eq!(
        error(first.error_code),
        None,
        "static members need no second step"
    );
    let old_id = first.member_id.to_string();
    sync_all(
        &coordinator,
        group,
        first.generation_id,
        &old_id,
        std::slice::from_ref(&old_id),
    )
    .await;
    let restarted = join(&coordinator, request, JOIN_V).await;
    assert_eq!(error(restarted.error_code), None);
    assert_eq!(restarted.generation_id, first.generation_id, "no rebalance");
    assert_ne!(restarted.member_id, first.member_id);
    let new_id = restarted.member_id.to_string();
    let sync_response = sync(
        &coordinator,
        sync_request(group, &new_id, restarted.generation_id, &[])
            .with_group_instance_id(Some(s("instance-1"))),
    )
    .await;
    assert_eq!(
        sync_response.assignment,
        assignment_of(&old_id),
        "the assignment carries over"
    );
    let fenced = HeartbeatRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_member_id(s(&old_id))
        .with_generation_id(first.generation_id)
        .with_group_instance_id(Some(s("instance-1")));
    assert_eq!(
        error(coordinator.heartbeat(&fenced, HEARTBEAT_V).error_code),
        Some(ResponseError::FencedInstanceId)
    );
}

#[tokio::test]
async fn leave_group_v3_removes_static_members_by_instance_id_and_pending_members_by_id() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let group = "static-leave";
    let request = join_request(group, "", RANGE).with_group_instance_id(Some(s("instance-9")));
    let joined = join(&coordinator, request, JOIN_V).await;
    assert_eq!(error(joined.error_code), None);
    let pending = member_id_for(&coordinator, group).await;
    let leave = LeaveGroupRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_members(vec![
            MemberIdentity::default().with_group_instance_id(Some(s("instance-9"))),
            MemberIdentity::default().with_member_id(s(&pending)),
        ]);
    let response = coordinator.leave_group(&leave, 4);
    let errors: Vec<Option<ResponseError>> = response
        .members
        .iter()
        .map(|m| error(m.error_code))
        .collect();
    assert_eq!(errors, vec![None, None]);
    let rejoin = join(&coordinator, join_request(group, &pending, RANGE), JOIN_V).await;
    assert_eq!(
        error(rejoin.error_code),
        Some(ResponseError::UnknownMemberId),
        "the pending id is gone"
    );
    let described = coordinator.describe_groups(
        &DescribeGroupsRequest::default().with_groups(vec![GroupId(s(group))]),
        5,
    );
    assert!(described.groups[0].members.is_empty());
}

fn commit_request(
    group: &str,
    member: &str,
    generation: i32,
    offsets: &[(&str, i32, i64)],
) -> OffsetCommitRequest {
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for (topic, partition, offset) in offsets {
        let p = OffsetCommitRequestPartition::default()
            .with_partition_index(*partition)
            .with_committed_offset(*offset)
            .with_committed_metadata(Some(s("meta")));
        match topics.iter_mut().find(|t| t.name.0.as_str() == *topic) {
            Some(t) => t.partitions.push(p),
            None => topics.push(
                OffsetCommitRequestTopic::default()
                    .with_name(TopicName(s(topic)))
                    .with_partitions(vec![p]),
            ),
        }
    }
    OffsetCommitRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_member_id(s(member))
        .with_generation_id_or_member_epoch(generation)
        .with_topics(topics)
}

fn commit_errors(
    coordinator: &GroupCoordinator,
    request: &OffsetCommitRequest,
) -> Vec<Option<ResponseError>> {
    coordinator
        .offset_commit(request, 8)
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| error(p.error_code)))
        .collect()
}

fn fetch_v7(
    group: &str,
    topic: &str,
    partitions: &[i32],
    require_stable: bool,
) -> OffsetFetchRequest {
    OffsetFetchRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_topics(Some(vec![
            OffsetFetchRequestTopic::default()
                .with_name(TopicName(s(topic)))
                .with_partition_indexes(partitions.to_vec()),
        ]))
        .with_require_stable(require_stable)
}

/// (partition, offset, error) of a v1-7 response.
fn fetched(response: &OffsetFetchResponse) -> Vec<(i32, i64, Option<ResponseError>)> {
    response
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| (p.partition_index, p.committed_offset, error(p.error_code)))
        })
        .collect()
}

#[tokio::test]
async fn simple_commits_and_member_commits_follow_kafkas_rules() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    // A non-member commit creates the group.
    let simple = commit_request("offsets", "", -1, &[("orders", 0, 10), ("orders", 1, 20)]);
    assert_eq!(commit_errors(&coordinator, &simple), vec![None, None]);
    let response = coordinator.offset_fetch(&fetch_v7("offsets", "orders", &[0, 1, 2], false), 7);
    assert_eq!(
        fetched(&response),
        vec![(0, 10, None), (1, 20, None), (2, -1, None)]
    );
    assert_eq!(
        response.topics[0].partitions[0]
            .metadata
            .as_ref()
            .map(StrBytes::as_str),
        Some("meta")
    );

    let (generation, _, members) = stable_group(&coordinator, "offsets", 1).await;
    let member = &members[0];
    let own = commit_request("offsets", member, generation, &[("orders", 0, 11)]);
    assert_eq!(commit_errors(&coordinator, &own), vec![None]);
    let stale = commit_request("offsets", member, generation - 1, &[("orders", 0, 12)]);
    assert_eq!(
        commit_errors(&coordinator, &stale),
        vec![Some(ResponseError::IllegalGeneration)]
    );
    let stranger = commit_request("offsets", "stranger", generation, &[("orders", 0, 12)]);
    assert_eq!(
        commit_errors(&coordinator, &stranger),
        vec![Some(ResponseError::UnknownMemberId)]
    );
    let outsider = commit_request("offsets", "", -1, &[("orders", 0, 12)]);
    assert_eq!(
        commit_errors(&coordinator, &outsider),
        vec![Some(ResponseError::UnknownMemberId)]
    );
    let unknown_group = commit_request("no-such-group", "m", 3, &[("orders", 0, 1)]);
    assert_eq!(
        commit_errors(&coordinator, &unknown_group),
        vec![Some(ResponseError::IllegalGeneration)]
    );

    // All partitions of the group when topics is null, v8 batched form.
    let request = OffsetFetchRequest::default().with_groups(vec![
        OffsetFetchRequestGroup::default()
            .with_group_id(GroupId(s("offsets")))
            .with_topics(None),
        OffsetFetchRequestGroup::default()
            .with_group_id(GroupId(s("no-such-group")))
            .with_topics(Some(vec![
                OffsetFetchRequestTopics::default()
                    .with_name(TopicName(s("orders")))
                    .with_partition_indexes(vec![0]),
            ])),
    ]);
    let response = coordinator.offset_fetch(&request, 8);
    let all: Vec<(i32, i64)> = response.groups[0].topics[0]
        .partitions
        .iter()
        .map(|p| (p.partition_index, p.committed_offset))
        .collect();
    assert_eq!(all, vec![(0, 11), (1, 20)]);
    assert_eq!(
        response.groups[1].topics[0].partitions[0].committed_offset,
        -1
    );
}

#[tokio::test]
async fn commits_are_refused_while_the_leader_has_not_assigned() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let member = member_id_for(&coordinator, "completing").await;
    let response = join(
        &coordinator,
        join_request("completing", &member, RANGE),
        JOIN_V,
    )
    .await;
    let request = commit_request(
        "completing",
        &member,
        response.generation_id,
        &[("t", 0, 1)],
    );
    assert_eq!(
        commit_errors(&coordinator, &request),
        vec![Some(ResponseError::RebalanceInProgress)]
    );
}

fn txn_commit(
    group: &str,
    producer_id: i64,
    topic: &str,
    partition: i32,
    offset: i64,
) -> TxnOffsetCommitRequest {
    TxnOffsetCommitRequest::default()
        .with_transactional_id(TransactionalId(s("txn")))
        .with_group_id(GroupId(s(group)))
        .with_producer_id(ProducerId(producer_id))
        .with_producer_epoch(0)
        .with_generation_id(-1)
        .with_topics(vec![
            TxnOffsetCommitRequestTopic::default()
                .with_name(TopicName(s(topic)))
                .with_partitions(vec![
                    TxnOffsetCommitRequestPartition::default()
                        .with_partition_index(partition)
                        .with_committed_offset(offset),
                ]),
        ])
}

#[tokio::test]
async fn transactional_offsets_are_visible_only_once_committed() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let simple = commit_request("txn-group", "", -1, &[("in", 0, 5)]);
    assert_eq!(commit_errors(&coordinator, &simple), vec![None]);
    let response = coordinator.txn_offset_commit(&txn_commit("txn-group", 42, "in", 0, 9), 3);
    assert_eq!(error(response.topics[0].partitions[0].error_code), None);

    let read =
        |stable| fetched(&coordinator.offset_fetch(&fetch_v7("txn-group", "in", &[0], stable), 7));
    assert_eq!(read(false), vec![(0, 5, None)]);
    assert_eq!(
        read(true),
        vec![(0, -1, Some(ResponseError::UnstableOffsetCommit))]
    );

    coordinator.complete_transaction(42, &["txn-group".to_string()], true);
    assert_eq!(read(true), vec![(0, 9, None)]);

    let response = coordinator.txn_offset_commit(&txn_commit("txn-group", 43, "in", 0, 30), 3);
    assert_eq!(error(response.topics[0].partitions[0].error_code), None);
    coordinator.complete_transaction(43, &["txn-group".to_string()], false);
    assert_eq!(
        read(true),
        vec![(0, 9, None)],
        "aborted offsets are dropped"
    );
}

#[tokio::test]
async fn committed_and_open_transactional_offsets_survive_a_coordinator_restart_with_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    {
        let persistence = OffsetLogFile::open(dir.path()).unwrap();
        let coordinator =
            GroupCoordinator::with_persistence(GroupConfig::default(), Box::new(persistence))
                .unwrap();
        let request = commit_request("durable", "", -1, &[("events", 0, 100), ("events", 3, 7)]);
        assert_eq!(commit_errors(&coordinator, &request), vec![None, None]);
        coordinator.txn_offset_commit(&txn_commit("durable", 5, "events", 1, 55), 3);
        coordinator.complete_transaction(5, &["durable".to_string()], true);
        coordinator.txn_offset_commit(&txn_commit("durable", 6, "events", 2, 66), 3);
    }
    let persistence = OffsetLogFile::open(dir.path()).unwrap();
    assert_eq!(
        persistence.load().unwrap().len(),
        4,
        "three committed offsets and the open transaction's staged one"
    );
    let coordinator =
        GroupCoordinator::with_persistence(GroupConfig::default(), Box::new(persistence)).unwrap();
    let fetch = fetch_v7("durable", "events", &[0, 1, 2, 3], true);
    let unstable = Some(ResponseError::UnstableOffsetCommit);
    assert_eq!(
        fetched(&coordinator.offset_fetch(&fetch, 7)),
        vec![
            (0, 100, None),
            (1, 55, None),
            (2, -1, unstable),
            (3, 7, None)
        ]
    );
    // The transaction open across the restart commits afterwards.
    coordinator.complete_transaction(6, &["durable".to_string()], true);
    assert_eq!(
        fetched(&coordinator.offset_fetch(&fetch, 7)),
        vec![(0, 100, None), (1, 55, None), (2, 66, None), (3, 7, None)]
    );
}

#[tokio::test]
async fn groups_are_described_and_listed() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let (_, leader, _) = stable_group(&coordinator, "described", 1).await;
    let simple = commit_request("offsets-only", "", -1, &[("t", 0, 1)]);
    assert_eq!(commit_errors(&coordinator, &simple), vec![None]);

    let request = DescribeGroupsRequest::default()
        .with_groups(vec![GroupId(s("described")), GroupId(s("missing"))]);
    let response = coordinator.describe_groups(&request, 5);
    let described = &response.groups[0];
    assert_eq!(described.group_state.as_str(), "Stable");
    assert_eq!(described.protocol_type.as_str(), "consumer");
    assert_eq!(described.protocol_data.as_str(), "range");
    assert_eq!(described.members.len(), 1);
    assert_eq!(described.members[0].member_id.as_str(), leader);
    assert_eq!(described.members[0].client_id.as_str(), "test-client");
    assert_eq!(
        described.members[0].member_assignment,
        assignment_of(&leader)
    );
    assert_eq!(response.groups[1].group_state.as_str(), "Dead");
    assert_eq!(error(response.groups[1].error_code), None);
    let v6 = coordinator.describe_groups(&request, 6);
    assert_eq!(
        error(v6.groups[1].error_code),
        Some(ResponseError::GroupIdNotFound)
    );

    let listed = coordinator.list_groups(&ListGroupsRequest::default(), 4);
    let names: Vec<(&str, &str)> = listed
        .groups
        .iter()
        .map(|g| (g.group_id.0.as_str(), g.group_state.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![("described", "Stable"), ("offsets-only", "Empty")]
    );
    let only_empty = coordinator.list_groups(
        &ListGroupsRequest::default().with_states_filter(vec![s("empty")]),
        4,
    );
    assert_eq!(only_empty.groups.len(), 1);
    assert_eq!(only_empty.groups[0].group_id.0.as_str(), "offsets-only");
}

/// Every response the coordinator produces encodes at every version the broker advertises.
#[tokio::test]
async fn every_advertised_version_encodes() {
    let coordinator = GroupCoordinator::new(GroupConfig::default());
    let (mut generation, leader, _) = stable_group(&coordinator, "encode", 1).await;
    coordinator.txn_offset_commit(&txn_commit("encode", 1, "t", 0, 1), 0);
    let group_apis = [
        ApiKey::JoinGroup,
        ApiKey::SyncGroup,
        ApiKey::Heartbeat,
        ApiKey::LeaveGroup,
        ApiKey::OffsetCommit,
        ApiKey::OffsetFetch,
        ApiKey::TxnOffsetCommit,
        ApiKey::DescribeGroups,
        ApiKey::ListGroups,
    ];
    for key in group_apis {
        let api = supported_range(key).unwrap_or_else(|| panic!("{key:?} is not advertised"));
        for version in api.min..=api.max {
            let mut buffer = BytesMut::new();
            let encoded = match api.key {
                ApiKey::JoinGroup => {
                    let request =
                        join_request("encode", &leader, RANGE).with_group_instance_id(None);
                    let response = join(&coordinator, request, version).await;
                    // The leader rejoining rebalances; sync to restore stability.
                    generation = response.generation_id;
                    sync_all(
                        &coordinator,
                        "encode",
                        generation,
                        &leader,
                        std::slice::from_ref(&leader),
                    )
                    .await;
                    response.encode(&mut buffer, version)
                }
                ApiKey::SyncGroup => sync(
                    &coordinator,
                    sync_request("encode", &leader, generation, &[]),
                )
                .await
                .encode(&mut buffer, version),
                ApiKey::Heartbeat => {
                    let request = HeartbeatRequest::default()
                        .with_group_id(GroupId(s("encode")))
                        .with_member_id(s(&leader))
                        .with_generation_id(generation);
                    coordinator
                        .heartbeat(&request, version)
                        .encode(&mut buffer, version)
                }
                ApiKey::LeaveGroup => {
                    let request = LeaveGroupRequest::default()
                        .with_group_id(GroupId(s("encode")))
                        .with_member_id(s("stranger"));
                    let request = if version >= 3 {
                        request
                            .with_member_id(StrBytes::default())
                            .with_members(vec![
                                MemberIdentity::default().with_member_id(s("stranger")),
                            ])
                    } else {
                        request
                    };
                    coordinator
                        .leave_group(&request, version)
                        .encode(&mut buffer, version)
                }
                ApiKey::OffsetCommit => coordinator
                    .offset_commit(
                        &commit_request("encode-offsets", "", -1, &[("t", 0, 1)]),
                        version,
                    )
                    .encode(&mut buffer, version),
                ApiKey::OffsetFetch => {
                    let request = if version >= 8 {
                        OffsetFetchRequest::default().with_groups(vec![
                            OffsetFetchRequestGroup::default().with_group_id(GroupId(s("encode"))),
                        ])
                    } else {
                        fetch_v7("encode", "t", &[0], false)
                    };
                    coordinator
                        .offset_fetch(&request, version)
                        .encode(&mut buffer, version)
                }
                ApiKey::TxnOffsetCommit => coordinator
                    .txn_offset_commit(&txn_commit("encode", 2, "t", 0, 1), version)
                    .encode(&mut buffer, version),
                ApiKey::DescribeGroups => coordinator
                    .describe_groups(
                        &DescribeGroupsRequest::default().with_groups(vec![GroupId(s("encode"))]),
                        version,
                    )
                    .encode(&mut buffer, version),
                ApiKey::ListGroups => coordinator
                    .list_groups(&ListGroupsRequest::default(), version)
                    .encode(&mut buffer, version),
                other => panic!("unexpected API {other:?}"),
            };
            encoded.unwrap_or_else(|e| panic!("{:?} v{version}: {e}", api.key));
            assert!(!buffer.is_empty());
        }
    }
}
