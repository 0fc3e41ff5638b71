//! The group coordinator: consumer groups with Kafka's classic rebalance
//! protocol and their committed offsets.
//!
//! [`GroupCoordinator`] takes decoded requests of the `kafka-protocol` crate with
//! the version the client used and returns the responses to encode. JoinGroup and
//! SyncGroup are `async`: they wait at the group's join or sync barrier. Member
//! sessions, unconfirmed member ids and join barriers are tokio timers.
//!
//! A group moves through Kafka's states ([`GroupState`]): a new member (or a
//! member with new metadata, or the leader rejoining) starts a rebalance
//! (`PreparingRebalance`); once every known member rejoined (or the rebalance
//! timeout evicted those that did not) the generation increases and the leader
//! receives the members (`CompletingRebalance`); the leader's SyncGroup delivers
//! every member's assignment (`Stable`). Members leaving (LeaveGroup) or whose
//! session expires start the next rebalance; without members the group is
//! `Empty` and keeps its offsets.
//!
//! Committed offsets and the membership of each generation ([`StoredGroup`], like
//! Kafka's GroupMetadata records) go through an [`OffsetPersistence`]: memory
//! only, or an append-only [`OffsetLogFile`] in the broker's data directory. A
//! coordinator opened on that file resumes every group where it was, as a Kafka
//! coordinator does after a failover: members keep their generation and
//! assignment, and their sessions start again.

mod codec;
mod config;
mod coordinator;
mod describe;
mod member;
mod membership;
mod metadata;
mod offset_api;
mod offsets;
mod persistence;
mod rebalance;
mod results;
mod state;
mod stored;
mod timers;

pub use config::GroupConfig;
pub use coordinator::{ClientInfo, GroupCoordinator};
pub use offsets::{CommittedOffset, TopicPartition};
pub use persistence::{
    MemoryOnly, OffsetEvent, OffsetLogFile, OffsetPersistence, PersistenceError,
};
pub use state::GroupState;
pub use stored::{StoredGroup, StoredMember};
