//! The restore listener: an application hook told when restoration of a
//! store's changelog partition starts, after each batch is applied, and when
//! it ends (or is suspended because the task moved), as Kafka Streams'
//! `StateRestoreListener`.

use streams_state::TopicPartition;

/// Hears how state stores restore from their changelogs. Set it with
/// [`KafkaStreams::set_global_state_restore_listener`](super::KafkaStreams::set_global_state_restore_listener);
/// it is called on the stream thread doing the restoration, so it must be
/// quick.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use streams_core::runtime::StateRestoreListener;
/// use streams_state::TopicPartition;
///
/// #[derive(Default)]
/// struct Progress(AtomicU64);
///
/// impl StateRestoreListener for Progress {
///     fn on_restore_start(&self, partition: &TopicPartition, store: &str, start: i64, end: i64) {
///         println!("{store}: restoring {} offsets of {}", end - start, partition.topic);
///     }
///     fn on_batch_restored(&self, _: &TopicPartition, _: &str, _: i64, records: u64) {
///         self.0.fetch_add(records, Ordering::Relaxed);
///     }
///     fn on_restore_end(&self, _: &TopicPartition, store: &str, total: u64) {
///         println!("{store}: {total} records restored");
///     }
/// }
/// ```
pub trait StateRestoreListener: Send + Sync {
    /// Restoration of `store` from `partition` starts at offset `start` and
    /// goes up to (excluding) `end`, the changelog's end when it started.
    fn on_restore_start(&self, partition: &TopicPartition, store: &str, start: i64, end: i64);

    /// A batch of `records` was applied; `batch_end` is the offset of its last record.
    fn on_batch_restored(
        &self,
        partition: &TopicPartition,
        store: &str,
        batch_end: i64,
        records: u64,
    );

    /// `store` caught up with `partition`, after `total` records.
    fn on_restore_end(&self, partition: &TopicPartition, store: &str, total: u64);

    /// Restoration stopped before the end because the task was revoked or
    /// lost, after `total` records (Kafka's KIP-869); it resumes where it
    /// stopped on the instance that gets the task.
    fn on_restore_suspended(&self, partition: &TopicPartition, store: &str, total: u64) {
        let _ = (partition, store, total);
    }
}
