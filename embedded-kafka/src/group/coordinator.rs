//! The group coordinator: the state of every group behind one lock, shared with
//! the timers that expire sessions and end join barriers. The request handlers
//! live in `membership`, `offset_api` and `describe`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::info;

use super::config::GroupConfig;
use super::metadata::Group;
use super::persistence::{MemoryOnly, OffsetPersistence, PersistenceError};

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

    /// A coordinator that writes every committed offset to `persistence` and
    /// starts with the offsets it holds.
    pub fn with_persistence(
        config: GroupConfig,
        persistence: Box<dyn OffsetPersistence>,
    ) -> Result<GroupCoordinator, PersistenceError> {
        let mut groups: HashMap<String, Group> = HashMap::new();
        let loaded = persistence.load()?;
        let count = loaded.len();
        for record in loaded {
            groups
                .entry(record.group_id.clone())
                .or_insert_with(|| Group::new(record.group_id.clone()))
                .offsets
                .commit(record.partition, record.offset);
        }
        info!(
            offsets = count,
            groups = groups.len(),
            "group coordinator loaded committed offsets"
        );
        Ok(GroupCoordinator {
            shared: Arc::new(Shared {
                config,
                groups: Mutex::new(groups),
                persistence,
                member_id_base: start_time_nanos(),
                member_id_sequence: AtomicU64::new(0),
            }),
        })
    }

    /// The coordinator's settings.
    pub fn config(&self) -> &GroupConfig {
        &self.shared.config
    }
}

fn start_time_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
}
