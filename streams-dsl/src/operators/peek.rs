//! `peek` (look and pass on) and `foreach` (look, end of the line).

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;

/// Calls the closure and forwards the record unchanged.
pub(crate) struct Peek<F>(pub(crate) Arc<F>);

impl<K: Clone, V: Clone, F: Fn(&K, &V)> Processor<K, V, K, V> for Peek<F> {
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, V>,
    ) -> Result<(), ProcessError> {
        (self.0)(&record.key, &record.value);
        ctx.forward(record)
    }
}

/// Calls the closure; forwards nothing.
pub(crate) struct ForEach<F>(pub(crate) Arc<F>);

impl<K, V, F: Fn(&K, &V)> Processor<K, V, (), ()> for ForEach<F> {
    fn process(
        &mut self,
        record: Record<K, V>,
        _ctx: &mut ProcessorContext<'_, (), ()>,
    ) -> Result<(), ProcessError> {
        (self.0)(&record.key, &record.value);
        Ok(())
    }
}
