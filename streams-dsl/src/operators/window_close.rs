//! Final results of a windowed aggregation that emits on window close: when
//! stream time closes windows, the aggregate store is read for the windows
//! that closed since the last time, and each is forwarded once.

use streams_core::error::ProcessError;
use streams_core::processor::ProcessorContext;
use streams_core::record::{Change, Headers, Record, Windowed};
use streams_core::state::TimestampedWindowStore;

/// How far an aggregation emitting on window close has emitted.
#[derive(Debug, Default)]
pub(crate) struct WindowCloseEmitter {
    /// The latest window end already emitted up to (inclusive); `None` before
    /// the first scan. Kept in memory only: after a restart, windows that
    /// closed before it and are still retained are emitted again.
    emitted_through: Option<i64>,
}

impl WindowCloseEmitter {
    /// Forwards, by window end, the aggregate of every window of `store`
    /// ending after the last scan and at or before `closed_through` (the
    /// latest end of a closed window), with `headers` (those of the record
    /// whose time closed them) and the aggregate's timestamp. Does nothing
    /// while `closed_through` has not advanced.
    pub(crate) fn emit_closed<K: Clone + 'static, VA: Clone + 'static>(
        &mut self,
        store: &str,
        closed_through: i64,
        headers: &Headers,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        if self
            .emitted_through
            .is_some_and(|done| closed_through <= done)
        {
            return Ok(());
        }
        let window_store = ctx.state_store::<TimestampedWindowStore<K, VA>>(store)?;
        let size = window_store.window_size_ms();
        let first_start = self
            .emitted_through
            .map_or(0, |done| done.saturating_sub(size).saturating_add(1))
            .max(0);
        let last_start = closed_through.saturating_sub(size);
        self.emitted_through = Some(closed_through);
        if last_start < first_start {
            return Ok(());
        }
        let mut closed = window_store.fetch_all(first_start, last_start)?;
        closed.sort_by_key(|(key, _)| key.window.end);
        for (key, aggregate) in closed {
            let result = Record::new(
                key,
                Change::new(Some(aggregate.value), None),
                aggregate.timestamp,
            );
            ctx.forward(result.with_headers(headers.clone()))?;
        }
        Ok(())
    }
}
