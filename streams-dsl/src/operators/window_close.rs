//! Final results of a windowed aggregation that emits on window close: when
//! stream time closes windows, the aggregate store is read for the windows
//! that closed since the last time, and each is forwarded once.
//!
//! Reading the store costs a scan of the windows in that time range (and of
//! the store's cache), so the emitter keeps the end times of the windows
//! still open and reads the store only when stream time passes the earliest
//! of them: once per window advance for time windows, not once per record.

use std::cell::RefCell;
use std::collections::BTreeSet;
use streams_core::error::ProcessError;
use streams_core::processor::ProcessorContext;
use streams_core::record::{Change, Headers, Record, Windowed};
use streams_core::state::{TimestampedWindowStore, ValueAndTimestamp};

/// How far an aggregation emitting on window close has emitted.
#[derive(Debug, Default)]
pub(crate) struct WindowCloseEmitter {
    /// The latest window end already emitted up to (inclusive); `None` before
    /// the first scan. Kept in memory only: after a restart, windows that
    /// closed before it and are still retained are emitted again.
    emitted_through: Option<i64>,
    /// The distinct end times of the windows written and not emitted yet
    /// (those in the store when the task opened are added by the first scan).
    open_ends: RefCell<BTreeSet<i64>>,
}

impl WindowCloseEmitter {
    /// Notes that a window ending at `window_end` was written.
    pub(crate) fn written(&self, window_end: i64) {
        self.open_ends.borrow_mut().insert(window_end);
    }

    /// Forwards, by window end, the aggregate of every window of `store`
    /// ending after the last scan and at or before `closed_through` (the
    /// latest end of a closed window), with `headers` (those of the record
    /// whose time closed them) and the aggregate's timestamp. Does nothing
    /// while `closed_through` has not reached the end of an open window.
    pub(crate) fn emit_closed<K: Clone + 'static, VA: Clone + 'static>(
        &mut self,
        store: &str,
        closed_through: i64,
        headers: &Headers,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        if let Some(done) = self.emitted_through {
            let due = self
                .open_ends
                .borrow()
                .first()
                .is_some_and(|&end| end <= closed_through);
            if closed_through <= done || !due {
                self.emitted_through = Some(done.max(closed_through));
                return Ok(());
            }
        }
        let window_store = ctx.state_store::<TimestampedWindowStore<K, VA>>(store)?;
        let closed = match self.emitted_through {
            Some(done) => {
                let size = window_store.window_size_ms();
                let first_start = done.saturating_sub(size).saturating_add(1).max(0);
                let last_start = closed_through.saturating_sub(size);
                if last_start < first_start {
                    Vec::new()
                } else {
                    window_store.fetch_all(first_start, last_start)?
                }
            }
            // The first scan since the task opened reads every retained
            // window: it emits the closed ones and remembers the open ones.
            None => {
                let mut closed = Vec::new();
                let mut open_ends = self.open_ends.borrow_mut();
                for (key, aggregate) in window_store.all()? {
                    if key.window.end <= closed_through {
                        closed.push((key, aggregate));
                    } else {
                        open_ends.insert(key.window.end);
                    }
                }
                closed
            }
        };
        self.emitted_through = Some(closed_through);
        {
            let mut open_ends = self.open_ends.borrow_mut();
            let still_open = open_ends.split_off(&closed_through.saturating_add(1));
            *open_ends = still_open;
        }
        forward_by_end(closed, headers, ctx)
    }
}

/// Forwards each closed window's final aggregate, in window-end order.
fn forward_by_end<K: Clone + 'static, VA: Clone + 'static>(
    mut closed: Vec<(Windowed<K>, ValueAndTimestamp<VA>)>,
    headers: &Headers,
    ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
) -> Result<(), ProcessError> {
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
