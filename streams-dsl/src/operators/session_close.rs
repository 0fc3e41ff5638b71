//! Final results of a session-windowed aggregation that emits on window close
//! (Kafka Streams' `EmitStrategy.onWindowClose()` for session windows): a
//! session is final once stream time minus grace and inactivity gap passes
//! its end, since no record can extend it any more; each is forwarded once
//! then, with no deletes of the sessions merged away before.
//!
//! The emitter keeps the open sessions with their aggregates, ordered by end,
//! so closing them costs no store read: a session store drops a session once
//! stream time passes its end plus its retention (by default gap plus grace),
//! which can be the very record that closes it. The first record after a
//! task opens reads the store once to learn the sessions it holds.

use std::collections::BTreeMap;
use streams_core::error::ProcessError;
use streams_core::processor::ProcessorContext;
use streams_core::record::{Change, Headers, Record, Window, Windowed};
use streams_core::state::TypedSessionStore;

/// What a session aggregation emitting on close has still to emit.
#[derive(Debug)]
pub(crate) struct SessionCloseEmitter<K, VA> {
    /// Whether the store's sessions were read since the task opened. Kept in
    /// memory only: after a restart, closed sessions still retained are
    /// emitted again.
    scanned: bool,
    /// The sessions written and not emitted yet, by (end, key bytes, start),
    /// with their key and aggregate.
    open: BTreeMap<(i64, Vec<u8>, i64), (K, VA)>,
}

impl<K, VA> Default for SessionCloseEmitter<K, VA> {
    fn default() -> Self {
        Self {
            scanned: false,
            open: BTreeMap::new(),
        }
    }
}

impl<K: Clone + 'static, VA: Clone + 'static> SessionCloseEmitter<K, VA> {
    /// Notes that the session `window` of `key` (with bytes `key_bytes`) now
    /// holds `aggregate`.
    pub(crate) fn written(&mut self, key_bytes: &[u8], key: &K, window: Window, aggregate: &VA) {
        self.open.insert(
            (window.end, key_bytes.to_vec(), window.start),
            (key.clone(), aggregate.clone()),
        );
    }

    /// Notes that the session `window` of the key with bytes `key_bytes` was
    /// merged away.
    pub(crate) fn removed(&mut self, key_bytes: &[u8], window: Window) {
        self.open
            .remove(&(window.end, key_bytes.to_vec(), window.start));
    }

    /// Reads the sessions `store` holds, once after the task opens (before
    /// the first record changes them).
    pub(crate) fn scan_once(
        &mut self,
        store: &str,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        if self.scanned {
            return Ok(());
        }
        self.scanned = true;
        let sessions = ctx.state_store::<TypedSessionStore<K, VA>>(store)?;
        for (key_bytes, key, value) in sessions.all()? {
            let window = key.window;
            self.open
                .insert((window.end, key_bytes, window.start), (key.key, value));
        }
        Ok(())
    }

    /// Forwards, by end, every open session ending before `close_time`,
    /// stamped with its end and carrying `headers` (those of the record whose
    /// time closed it).
    pub(crate) fn emit_closed(
        &mut self,
        close_time: i64,
        headers: &Headers,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        while let Some(entry) = self.open.first_entry() {
            let (end, _, start) = *entry.key();
            if end >= close_time {
                break;
            }
            let (key, aggregate) = entry.remove();
            let result = Record::new(
                Windowed::new(key, Window::new(start, end)),
                Change::new(Some(aggregate), None),
                end,
            );
            ctx.forward(result.with_headers(headers.clone()))?;
        }
        Ok(())
    }
}
