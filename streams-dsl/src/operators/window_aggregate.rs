//! Windowed aggregation of a grouped stream: each record updates the aggregate
//! of every window it falls in, unless that window is already closed (its end
//! plus the grace period is behind stream time), in which case the record is
//! dropped for that window and counted. Updates carry the headers of the
//! record that caused them (with caching, the last one that wrote the window).
//! Emitting on window close, it forwards no updates, only each window's final
//! aggregate once the window closes.

use super::AggregateStep;
use super::PendingHeaders;
use super::aggregate::previous_aggregate;
use super::pending_headers::window_key;
use super::window_close::WindowCloseEmitter;
use crate::windows::TimeWindows;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Headers, Record, Windowed};
use streams_core::state::TimestampedWindowStore;

/// Aggregates a grouped stream per key and time window.
pub(crate) struct WindowAggregate<K, V, VA> {
    pub(crate) store: Arc<str>,
    pub(crate) windows: TimeWindows,
    pub(crate) step: AggregateStep<K, V, VA>,
    pub(crate) pending: PendingHeaders,
    /// Set when the aggregation emits on window close only.
    pub(crate) final_results: Option<WindowCloseEmitter>,
}

impl<K: Clone + 'static, V: Clone, VA: Clone + 'static> WindowAggregate<K, V, VA> {
    fn forward_flushed(
        &mut self,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        let store = ctx.state_store::<TimestampedWindowStore<K, VA>>(&self.store)?;
        if self.final_results.is_some() {
            // Only final results leave, read from the store when windows close.
            store.take_flushed()?;
            return Ok(());
        }
        let mut records = Vec::new();
        for (key, change, timestamp) in store.take_flushed()? {
            let headers = match self.pending.is_empty() {
                true => Headers::new(),
                false => match store.key_bytes(&key.key)? {
                    Some(bytes) => self.pending.take(&window_key(&bytes, key.window.start)),
                    None => Headers::new(),
                },
            };
            records.push(Record::new(key, change, timestamp).with_headers(headers));
        }
        for record in records {
            ctx.forward(record)?;
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
        let Some(key_bytes) = store.key_bytes(&record.key)? else {
            tracing::debug!(store = %self.store, "dropping a record with a null key");
            ctx.record_dropped();
            return Ok(());
        };
        let stream_time = ctx.stream_time().unwrap_or(record.timestamp);
        let close_time = stream_time.saturating_sub(self.windows.grace_ms());
        if let Some(emitter) = &mut self.final_results {
            // Before this record's writes, which may expire closed windows.
            emitter.emit_closed(&self.store, close_time, &record.headers, ctx)?;
        }
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
            if let Some(emitter) = &self.final_results {
                emitter.written(window.end);
                store.put(&record.key, &new, window.start, timestamp)?;
                if store.is_caching() {
                    store.take_flushed()?;
                }
            } else if store.is_caching() {
                self.pending
                    .written(&window_key(&key_bytes, window.start), &record.headers);
                store.put(&record.key, &new, window.start, timestamp)?;
                self.forward_flushed(ctx)?;
            } else {
                store.put(&record.key, &new, window.start, timestamp)?;
                let update = Record::new(
                    Windowed::new(record.key.clone(), window),
                    Change::new(Some(new), old_value),
                    timestamp,
                );
                ctx.forward(update.with_headers(record.headers.clone()))?;
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
