//! Declares the grace-period buffer of a stream-table join: in memory, logged
//! to a compacted changelog unless logging is disabled.

use super::codec::StoreCodec;
use super::{JoinGraceBuffer, TimeOrderedBufferBuilder, TimeOrderedBufferKind};
use streams_state::InMemoryTimeOrderedBuffer;

/// A [`JoinGraceBuffer`] of stream records of `K` and `V`, as a stream-table
/// join with a grace period declares it: kept in memory and, unless logging is
/// disabled, logged to `<application.id>-<name>-changelog` (compacted) so it
/// can be restored.
///
/// ```
/// use streams_core::state::JoinGraceBufferBuilder;
/// let buffer = JoinGraceBufferBuilder::<String, i64>::new("orders-join-buffer")
///     .with_changelog_config("min.insync.replicas", "2");
/// ```
pub type JoinGraceBufferBuilder<K, V> = TimeOrderedBufferBuilder<K, V, JoinGraceBuffer<K, V>>;

impl<K: 'static, V: 'static> TimeOrderedBufferKind<K, V> for JoinGraceBuffer<K, V> {
    fn over(codec: StoreCodec<K, V>, inner: InMemoryTimeOrderedBuffer) -> Self {
        Self::new(codec, inner)
    }
}
