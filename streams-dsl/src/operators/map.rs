//! `map`, `map_values` and `select_key`: one record in, one record out.

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;

/// Replaces key and value.
pub(crate) struct Map<F>(pub(crate) Arc<F>);

impl<K, V, K2: Clone, V2: Clone, F: Fn(K, V) -> (K2, V2)> Processor<K, V, K2, V2> for Map<F> {
    #[inline]
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K2, V2>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        let (key, value) = (self.0)(key, value);
        ctx.forward(Record {
            key,
            value,
            timestamp,
            headers,
        })
    }
}

/// Replaces the value, seeing the key.
pub(crate) struct MapValues<F>(pub(crate) Arc<F>);

impl<K: Clone, V, V2: Clone, F: Fn(&K, V) -> V2> Processor<K, V, K, V2> for MapValues<F> {
    #[inline]
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, V2>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        let value = (self.0)(&key, value);
        ctx.forward(Record {
            key,
            value,
            timestamp,
            headers,
        })
    }
}

/// Replaces the key, keeping the value.
pub(crate) struct SelectKey<F>(pub(crate) Arc<F>);

impl<K, V: Clone, K2: Clone, F: Fn(&K, &V) -> K2> Processor<K, V, K2, V> for SelectKey<F> {
    #[inline]
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K2, V>,
    ) -> Result<(), ProcessError> {
        let key = (self.0)(&record.key, &record.value);
        ctx.forward(record.with_key(key))
    }
}
