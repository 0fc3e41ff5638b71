//! The left side of a foreign-key join, on each response: drops a response
//! whose hash is not the hash of the left row's current value (it answers a
//! value the row no longer has, for example one whose foreign key changed
//! since), and joins any other with the current left row (Kafka Streams'
//! `ResponseJoinProcessorSupplier`). The result is the joined value, or
//! `None` to delete the joined row.

use super::hash::{ValueHash, value_hash};
use super::response::SubscriptionResponse;
use crate::operators::RowJoiner;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;
use streams_core::state::TimestampedKeyValueStore;

/// Joins fresh responses with the current left row.
pub(crate) struct ResponseJoin<V, VO, VR> {
    /// The left table's store.
    pub(crate) left_store: Arc<str>,
    /// The inner or left join of the current left row and the response's
    /// right row.
    pub(crate) joiner: RowJoiner<V, VO, VR>,
}

/// Whether a response answers the current left value (`None`: no row).
pub(crate) fn is_current(response: Option<&ValueHash>, current: Option<&ValueHash>) -> bool {
    response == current
}

impl<K, V, VO, VR> Processor<K, SubscriptionResponse<VO>, K, Option<VR>> for ResponseJoin<V, VO, VR>
where
    K: Clone + 'static,
    V: Clone + 'static,
    VO: Clone + 'static,
    VR: Clone + 'static,
{
    fn process(
        &mut self,
        record: Record<K, SubscriptionResponse<VO>>,
        ctx: &mut ProcessorContext<'_, K, Option<VR>>,
    ) -> Result<(), ProcessError> {
        let store = ctx.state_store::<TimestampedKeyValueStore<K, V>>(&self.left_store)?;
        let current = store.get(&record.key)?.map(|row| row.value);
        let current_hash = current
            .as_ref()
            .map(|value| -> Result<_, ProcessError> { Ok(value_hash(&store.value_bytes(value)?)?) })
            .transpose()?;
        if !is_current(record.value.hash.as_ref(), current_hash.as_ref()) {
            tracing::trace!(store = %self.left_store, "dropping a stale foreign-key join response");
            return Ok(());
        }
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        let joined = (self.joiner)(current, value.foreign_value);
        ctx.forward(Record::new(key, joined, timestamp).with_headers(headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_response_to_the_current_value_is_current() {
        let (a, b) = (value_hash(b"a").unwrap(), value_hash(b"b").unwrap());
        assert!(is_current(Some(&a), Some(&a)));
        assert!(!is_current(Some(&a), Some(&b)));
        assert!(!is_current(Some(&a), None));
        assert!(!is_current(None, Some(&a)));
        assert!(is_current(None, None));
    }
}
