//! One member of a classic group: who it is, what it supports, what it was
//! assigned, and the JoinGroup / SyncGroup request it may have parked at a barrier.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::results::{JoinResult, SyncResult};

/// A protocol a member supports (for consumers: an assignor) with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberProtocol {
    pub(crate) name: String,
    pub(crate) metadata: Bytes,
}

/// A member of a classic group.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_host: String,
    pub(crate) rebalance_timeout: Duration,
    pub(crate) session_timeout: Duration,
    pub(crate) protocol_type: String,
    /// In the member's order of preference.
    pub(crate) protocols: Vec<MemberProtocol>,
    pub(crate) assignment: Bytes,
    pub(crate) awaiting_join: Option<oneshot::Sender<JoinResult>>,
    pub(crate) awaiting_sync: Option<oneshot::Sender<SyncResult>>,
    pub(crate) last_heartbeat: Instant,
    pub(crate) session_timer: Option<AbortHandle>,
}

impl Member {
    /// Whether the member has a JoinGroup parked at the join barrier.
    pub(crate) fn is_awaiting_join(&self) -> bool {
        self.awaiting_join.is_some()
    }

    /// The metadata the member sent for `protocol`, if it supports it.
    pub(crate) fn metadata_for(&self, protocol: &str) -> Option<&Bytes> {
        self.protocols
            .iter()
            .find(|p| p.name == protocol)
            .map(|p| &p.metadata)
    }

    /// Whether the member supports `protocol`.
    pub(crate) fn supports(&self, protocol: &str) -> bool {
        self.metadata_for(protocol).is_some()
    }

    /// Whether `protocols` is exactly what the member sent last time.
    pub(crate) fn has_same_protocols(&self, protocols: &[MemberProtocol]) -> bool {
        self.protocols == protocols
    }

    /// When the session of the member ends unless it heartbeats again. A member
    /// parked at a barrier is kept alive: the rebalance timeout bounds the join
    /// barrier and the leader's assignment ends the sync barrier.
    pub(crate) fn session_deadline(&self, now: Instant) -> Instant {
        if self.awaiting_join.is_some() || self.awaiting_sync.is_some() {
            now + self.session_timeout
        } else {
            self.last_heartbeat + self.session_timeout
        }
    }

    /// Answers a parked JoinGroup, if there is one. The member was alive while it
    /// waited, so its session restarts from the answer.
    pub(crate) fn complete_join(&mut self, result: JoinResult) {
        if let Some(sender) = self.awaiting_join.take() {
            self.last_heartbeat = Instant::now();
            // The requester may have disconnected; nobody is left to answer then.
            let _ = sender.send(result);
        }
    }

    /// Answers a parked SyncGroup, if there is one; its session restarts.
    pub(crate) fn complete_sync(&mut self, result: SyncResult) {
        if let Some(sender) = self.awaiting_sync.take() {
            self.last_heartbeat = Instant::now();
            let _ = sender.send(result);
        }
    }

    /// Answers every parked request with `error`, for a member removed from the
    /// group (its JoinGroup answer carries no member id, so it joins afresh).
    pub(crate) fn fail_parked_requests(&mut self, error: ResponseError) {
        self.complete_join(JoinResult::error(String::new(), error));
        self.complete_sync(SyncResult::error(error));
    }

    /// Stops the member's session timer.
    pub(crate) fn cancel_session_timer(&mut self) {
        if let Some(timer) = self.session_timer.take() {
            timer.abort();
        }
    }
}
