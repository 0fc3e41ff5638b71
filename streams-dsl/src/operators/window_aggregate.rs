//! Windowed aggregation of a grouped stream: each record updates the aggregate
//! of every window it falls in, unless that window is already closed (its end
//! plus the grace period is behind stream time), in which case the record is
//! dropped for that window and counted.

use super::AggregateStep;
use super::aggregate::previous_aggregate;
use crate::windows::TimeWindows;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Record, Windowed};
use streams_core::state::TimestampedWindowStore;

/// Aggregates a grouped stream per key and time window.
pub(crate) struct WindowAggregate<K, V, VA> {
    pub(crate) store: Arc<str>,
    pub(crate) windows: TimeWindows,
    pub(crate) step: AggregateStep<K, V, VA>,
}

impl<K: Clone + 'static, V: Clone, VA: Clone + 'static> WindowAggregate<K, V, VA> {
    fn forward_flushed(
        &self,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        let flushed = ctx
            .state_store::<TimestampedWindowStore<K, VA>>(&self.store)?
            .take_flushed()?;
        for (key, change, timestamp) in flushed {
            ctx.forward(Record::new(key, change, timestamp))?;
        }
        Ok(())
    }
}

impl<K: Clone + 'static, V: Clone, VA: Clone + 'static> Processor<K, V, Windowed<K>, Change<VA>>
    for WindowAggregate<K, V, VA>
{
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        let store = ctx.state_store::<TimestampedWindowStore<K, VA>>(&self.store)?;
        if store.key_bytes(&record.key)?.is_none() {
            tracing::debug!(store = %self.store, "dropping a record with a null key");
            ctx.record_dropped();
            return Ok(());
        }
        let stream_time = ctx.stream_time().unwrap_or(record.timestamp);
        let close_time = stream_time.saturating_sub(self.windows.grace_ms());
        for window in self.windows.windows_for(record.timestamp) {
            if window.end <= close_time {
                tracing::debug!(store = %self.store, window_start = window.start, window_end = window.end, stream_time, "dropping a record for a closed window");
                ctx.record_dropped();
                continue;
            }
            let store = ctx.state_store::<TimestampedWindowStore<K, VA>>(&self.store)?;
            let old = store.fetch(&record.key, window.start)?;
            let (old_value, timestamp) = previous_aggregate(old, record.timestamp);
            let new = (self.step)(&record.key, record.value.clone(), old_value.clone());
            store.put(&record.key, &new, window.start, timestamp)?;
            if store.is_caching() {
                self.forward_flushed(ctx)?;
            } else {
                ctx.forward(Record::new(
                    Windowed::new(record.key.clone(), window),
                    Change::new(Some(new), old_value),
                    timestamp,
                ))?;
            }
        }
        Ok(())
    }

    fn flush(
        &mut self,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        ctx.state_store::<TimestampedWindowStore<K, VA>>(&self.store)?
            .flush_cache()?;
        self.forward_flushed(ctx)
    }
}
