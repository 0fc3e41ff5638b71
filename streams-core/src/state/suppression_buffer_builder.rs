//! Declares a suppression buffer: in memory, logged to a compacted changelog
//! unless logging is disabled.

use super::codec::StoreCodec;
use super::{SuppressionBuffer, TimeOrderedBufferBuilder, TimeOrderedBufferKind};
use streams_state::InMemoryTimeOrderedBuffer;

/// A [`SuppressionBuffer`] of `K` to table updates of `V`, as `KTable::suppress`
/// declares it: kept in memory and, unless logging is disabled, logged to
/// `<application.id>-<name>-changelog` (compacted) so it can be restored.
///
/// ```
/// use streams_core::state::SuppressionBufferBuilder;
/// let buffer = SuppressionBufferBuilder::<String, i64>::new("alerts-suppress-store")
///     .with_changelog_config("min.insync.replicas", "2");
/// ```
pub type SuppressionBufferBuilder<K, V> = TimeOrderedBufferBuilder<K, V, SuppressionBuffer<K, V>>;

impl<K: 'static, V: 'static> TimeOrderedBufferKind<K, V> for SuppressionBuffer<K, V> {
    fn over(codec: StoreCodec<K, V>, inner: InMemoryTimeOrderedBuffer) -> Self {
        Self::new(codec, inner)
    }
}
