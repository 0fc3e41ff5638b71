//! `filter` and `filter_not`.

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;

/// Forwards the records for which the predicate equals `keep`.
pub(crate) struct Filter<F> {
    pub(crate) predicate: Arc<F>,
    pub(crate) keep: bool,
}

impl<K: Clone, V: Clone, F: Fn(&K, &V) -> bool> Processor<K, V, K, V> for Filter<F> {
    #[inline]
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, V>,
    ) -> Result<(), ProcessError> {
        if (self.predicate)(&record.key, &record.value) == self.keep {
            ctx.forward(record)?;
        }
        Ok(())
    }
}
