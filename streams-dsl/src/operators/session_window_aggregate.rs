//! Session-windowed aggregation of a grouped stream, as Kafka Streams'
//! `KStreamSessionWindowAggregate`: a record at `t` merges every session of its
//! key overlapping `[t - gap, t + gap]` into one session spanning them all and
//! `t`. The merged-away sessions are removed (and deleted downstream), then the
//! merged session's aggregate is stored and forwarded, stamped with its end.
//! Both carry the headers of the record that caused them (with caching, the
//! last one that wrote the session). Emitting on window close, only each
//! session's final aggregate leaves, once it closes (see `session_close`).

use super::AggregateStep;
use super::PendingHeaders;
use super::SessionCloseEmitter;
use super::pending_headers::window_key;
use crate::windows::SessionWindows;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Headers, Record, Window, Windowed};
use streams_core::state::TypedSessionStore;

/// Merges the aggregate accumulated so far (`None` before the first session)
/// with one more session's aggregate.
pub(crate) type SessionMerge<K, VA> = Arc<dyn Fn(&K, Option<VA>, VA) -> VA + Send + Sync>;

/// Aggregates a grouped stream per key and session.
pub(crate) struct SessionWindowAggregate<K, V, VA> {
    pub(crate) store: Arc<str>,
    pub(crate) windows: SessionWindows,
    pub(crate) add: AggregateStep<K, V, VA>,
    pub(crate) merge: SessionMerge<K, VA>,
    pub(crate) pending: PendingHeaders,
    /// Set when the aggregation emits final results on window close only.
    pub(crate) final_results: Option<SessionCloseEmitter<K, VA>>,
}

/// A session's entry: the key's bytes, then the session's start and end.
fn session_key(key: &[u8], session: Window) -> Vec<u8> {
    window_key(&window_key(key, session.start), session.end)
}

impl<K: Clone + 'static, V, VA: Clone + 'static> SessionWindowAggregate<K, V, VA> {
    fn forward_flushed(
        &mut self,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        let store = ctx.state_store::<TypedSessionStore<K, VA>>(&self.store)?;
        if self.final_results.is_some() {
            // Only final results leave, looked up when sessions close.
            store.take_flushed()?;
            return Ok(());
        }
        let mut records = Vec::new();
        for (key, change, timestamp) in store.take_flushed()? {
            let headers = match self.pending.is_empty() {
                true => Headers::new(),
                false => match store.key_bytes(&key.key)? {
                    Some(bytes) => self.pending.take(&session_key(&bytes, key.window)),
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

impl<K: Clone + 'static, V, VA: Clone + 'static> Processor<K, V, Windowed<K>, Change<VA>>
    for SessionWindowAggregate<K, V, VA>
{
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        let timestamp = record.timestamp;
        let stream_time = ctx.stream_time().unwrap_or(timestamp).max(timestamp);
        let close_time = stream_time
            .saturating_sub(self.windows.grace_ms)
            .saturating_sub(self.windows.gap_ms);
        let store = ctx.state_store::<TypedSessionStore<K, VA>>(&self.store)?;
        let Some(key_bytes) = store.key_bytes(&record.key)? else {
            tracing::debug!(store = %self.store, "dropping a record with a null key");
            ctx.record_dropped();
            return Ok(());
        };
        if let Some(emitter) = &mut self.final_results {
            emitter.scan_once(&self.store, ctx)?;
        }
        let store = ctx.state_store::<TypedSessionStore<K, VA>>(&self.store)?;
        let overlapping = store.find_sessions_at(
            &key_bytes,
            timestamp.saturating_sub(self.windows.gap_ms),
            timestamp.saturating_add(self.windows.gap_ms),
        )?;
        let record_session = Window::new(timestamp, timestamp);
        let mut merged = record_session;
        let mut aggregate = None;
        for (session, value) in &overlapping {
            aggregate = Some((self.merge)(&record.key, aggregate, value.clone()));
            merged = Window::new(merged.start.min(session.start), merged.end.max(session.end));
        }
        if merged.end < close_time {
            tracing::debug!(
                store = %self.store,
                timestamp,
                session_start = merged.start,
                session_end = merged.end,
                close_time,
                stream_time,
                "dropping a record for a closed session"
            );
            ctx.record_dropped();
            return match &mut self.final_results {
                Some(emitter) => emitter.emit_closed(close_time, &record.headers, ctx),
                None => Ok(()),
            };
        }
        let caching = store.is_caching();
        // A record at the time of an existing single-point session updates it in
        // place; any other overlap replaces the sessions it merges.
        let mut replaced = None;
        if merged == record_session {
            replaced = overlapping.into_iter().next().map(|(_, value)| value);
        } else {
            for (session, value) in overlapping {
                if caching && self.final_results.is_none() {
                    self.pending
                        .written(&session_key(&key_bytes, session), &record.headers);
                }
                ctx.state_store::<TypedSessionStore<K, VA>>(&self.store)?
                    .remove_at(&key_bytes, session)?;
                if let Some(emitter) = &mut self.final_results {
                    emitter.removed(&key_bytes, session);
                } else if !caching {
                    let removal = Record::new(
                        Windowed::new(record.key.clone(), session),
                        Change::new(None, Some(value)),
                        session.end,
                    );
                    ctx.forward(removal.with_headers(record.headers.clone()))?;
                }
            }
        }
        let new = (self.add)(&record.key, record.value, aggregate);
        if caching && self.final_results.is_none() {
            self.pending
                .written(&session_key(&key_bytes, merged), &record.headers);
        }
        let store = ctx.state_store::<TypedSessionStore<K, VA>>(&self.store)?;
        store.put_at(&key_bytes, merged, &new)?;
        if let Some(emitter) = &mut self.final_results {
            if caching {
                store.take_flushed()?;
            }
            emitter.written(&key_bytes, &record.key, merged, &new);
            return emitter.emit_closed(close_time, &record.headers, ctx);
        }
        if caching {
            if store.has_flushed() {
                self.forward_flushed(ctx)?;
            }
            Ok(())
        } else {
            let update = Record::new(
                Windowed::new(record.key, merged),
                Change::new(Some(new), replaced),
                merged.end,
            );
            ctx.forward(update.with_headers(record.headers))
        }
    }

    fn flush(
        &mut self,
        ctx: &mut ProcessorContext<'_, Windowed<K>, Change<VA>>,
    ) -> Result<(), ProcessError> {
        ctx.state_store::<TypedSessionStore<K, VA>>(&self.store)?
            .flush_cache()?;
        self.forward_flushed(ctx)
    }
}
