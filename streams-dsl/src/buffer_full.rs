//! The error a suppression raises when its buffer is full and its config says
//! to shut down.

/// A suppression's buffer went beyond its bounds under
/// [`BufferConfig::shut_down_when_full`](crate::BufferConfig::shut_down_when_full):
/// the task fails with this error (inside `StreamsError::Processing`, naming the
/// node) rather than forward anything early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "suppression '{suppression}' buffer is full: {records} records (max {}) and {bytes} bytes (max {}); raise the bounds, or use emit_early_when_full with Suppressed::until_time_limit",
    bound(.max_records),
    bound(.max_bytes)
)]
pub struct SuppressionBufferFull {
    /// The suppression node.
    pub suppression: String,
    /// Records buffered, including the one that overflowed.
    pub records: usize,
    /// The bound on records, if any.
    pub max_records: Option<usize>,
    /// Bytes buffered, including the record that overflowed.
    pub bytes: usize,
    /// The bound on bytes, if any.
    pub max_bytes: Option<usize>,
}

fn bound(limit: &Option<usize>) -> String {
    limit.map_or_else(|| "unbounded".to_string(), |limit| limit.to_string())
}
