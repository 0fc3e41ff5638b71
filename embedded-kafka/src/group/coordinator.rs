//! The group coordinator: the state of every group behind one lock, shared with
//! the timers that expire sessions and end join barriers. The request handlers
//! live in `membership`, `offset_api` and `describe`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;
use tracing::{error, info};

use super::config::GroupConfig;
use super::metadata::Group;
use super::persistence::{MemoryOnly, OffsetEvent, OffsetPersistence, PersistenceError};
use super::rebalance;
use super::stored::StoredGroup;
use super::timers;

/// Who sent a request, as DescribeGroups reports members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The `client.id` of the request header.
    pub client_id: String,
    /// The client's address, as Kafka reports it (`/127.0.0.1`).
    pub client_host: String,
}

/// State shared by the coordinator handle and its timers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: GroupConfig,
    pub(crate) groups: Mutex<HashMap<String, Group>>,
    pub(crate) persistence: Box<dyn OffsetPersistence>,
    member_id_base: u64,
    member_id_sequence: AtomicU64,
}

impl Shared {
    /// Locks the groups. The lock is never held across an await, so a poisoned
    /// lock only means a handler panicked; its state is still consistent enough
    /// to serve (Kafka keeps serving other groups too).
    pub(crate) fn lock(&self) -> MutexGuard<'_, HashMap<String, Group>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the membership of `group` as it is now (Kafka's GroupMetadata
    /// record). A failure is logged: the group goes on in memory, and a restart
    /// resumes it from its previous record.
    pub(crate) fn persist_membership(&self, group: &Group) {
        let event = OffsetEvent::GroupMetadata {
            group_id: group.id.clone(),
            group: StoredGroup::of(group),
        };
        if let Err(failure) = self.persistence.append(&event) {
            error!(group = %group.id, %failure, "could not persist the group's membership");
        }
    }

    /// A member id unique in this broker's lifetime and across restarts:
    /// `<client id or group.instance.id>-<start time>-<sequence>`.
    pub(crate) fn new_member_id(&self, prefix: &str) -> String {
        let sequence = self.member_id_sequence.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}-{:x}-{sequence:x}", self.member_id_base)
    }
}

/// The group coordinator of the broker: classic consumer-group membership
/// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed and transactional
/// offsets (OffsetCommit, OffsetFetch, TxnOffsetCommit) and group listing
/// (DescribeGroups, ListGroups). Cheap to clone; must be used inside a tokio
/// runtime (its timers are tokio tasks).
#[derive(Debug, Clone)]
pub struct GroupCoordinator {
    pub(crate) shared: Arc<Shared>,
}

impl GroupCoordinator {
    /// A coordinator keeping offsets in memory only.
    pub fn new(config: GroupConfig) -> GroupCoordinator {
        GroupCoordinator {
            shared: Arc::new(Shared {
                config,
                groups: Mutex::new(HashMap::new()),
                persistence: Box::new(MemoryOnly),
                member_id_base: start_time_nanos(),
                member_id_sequence: AtomicU64::new(0),
            }),
        }
    }

    /// A coordinator that records every offset commit, staged transactional
    /// offset, transaction end and group membership in `persistence`, starting
    /// from what it holds: groups come back in their last recorded generation
    /// with their members, whose sessions start now; a group that was
    /// rebalancing rebalances again. Must be called inside a tokio runtime.
    pub fn with_persistence(
        config: GroupConfig,
        persistence: Box<dyn OffsetPersistence>,
    ) -> Result<GroupCoordinator, PersistenceError> {
        let mut groups: HashMap<String, Group> = HashMap::new();
        let loaded = persistence.load()?;
        let count = loaded.len();
        let mut rebalancing = Vec::new();
        for event in loaded {
            let group_id = event.group_id().to_string();
            let group = groups
                .entry(group_id.clone())
                .or_insert_with(|| Group::new(group_id.clone()));
            match event {
                OffsetEvent::GroupMetadata { group: stored, .. } => {
                    rebalancing.retain(|id| *id != group_id);
                    if stored.rebalancing {
                        rebalancing.push(group_id);
                    }
                    stored.restore_into(group);
                }
                other => other.apply(&mut group.offsets),
            }
        }
        info!(
            events = count,
            groups = groups.len(),
            "group coordinator loaded its offsets and groups"
        );
        let shared = Arc::new(Shared {
            config,
            groups: Mutex::new(groups),
            persistence,
            member_id_base: start_time_nanos(),
            member_id_sequence: AtomicU64::new(0),
        });
        resume_groups(&shared, &rebalancing);
        Ok(GroupCoordinator { shared })
    }

    /// The coordinator's settings.
    pub fn config(&self) -> &GroupConfig {
        &self.shared.config
    }
}

/// Starts the session of every loaded member and the rebalances that were under way.
fn resume_groups(shared: &Arc<Shared>, rebalancing: &[String]) {
    let mut groups = shared.lock();
    let now = Instant::now();
    for group in groups.values_mut() {
        for member in group.members.values_mut() {
            member.session_timer = Some(timers::start_session_timer(
                shared,
                &group.id,
                &member.id,
                now + member.session_timeout,
            ));
        }
        if !group.members.is_empty() {
            info!(
                group = %group.id,
                generation = group.generation_id,
                members = group.members.len(),
                "resumed group"
            );
        }
    }
    for group_id in rebalancing {
        if let Some(group) = groups.get_mut(group_id) {
            rebalance::maybe_prepare_rebalance(
                shared,
                group,
                "a rebalance was under way when the broker stopped",
            );
        }
    }
}

fn start_time_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
}
