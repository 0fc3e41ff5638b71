//! `OffsetResetPolicy`: where a source starts reading a partition that has no
//! committed offset (Kafka Streams' per-source `AutoOffsetReset`), instead of
//! the consumer's `auto.offset.reset`.

/// Where a source starts a partition the application has no committed offset
/// for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetResetPolicy {
    /// From the oldest record the partition still holds.
    Earliest,
    /// From the records produced after the partition is assigned.
    Latest,
}
