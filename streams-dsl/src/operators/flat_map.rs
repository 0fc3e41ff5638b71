//! `flat_map` and `flat_map_values`: one record in, any number out.

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;

/// Replaces a record by the key-value pairs the closure returns.
pub(crate) struct FlatMap<F>(pub(crate) Arc<F>);

impl<K, V, K2: Clone, V2: Clone, I, F> Processor<K, V, K2, V2> for FlatMap<F>
where
    I: IntoIterator<Item = (K2, V2)>,
    F: Fn(K, V) -> I,
{
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
        for (key, value) in (self.0)(key, value) {
            ctx.forward(Record {
                key,
                value,
                timestamp,
                headers: headers.clone(),
            })?;
        }
        Ok(())
    }
}

/// Replaces a record by one record per value the closure returns, same key.
pub(crate) struct FlatMapValues<F>(pub(crate) Arc<F>);

impl<K: Clone, V, V2: Clone, I, F> Processor<K, V, K, V2> for FlatMapValues<F>
where
    I: IntoIterator<Item = V2>,
    F: Fn(&K, V) -> I,
{
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
        for value in (self.0)(&key, value) {
            ctx.forward(Record {
                key: key.clone(),
                value,
                timestamp,
                headers: headers.clone(),
            })?;
        }
        Ok(())
    }
}
