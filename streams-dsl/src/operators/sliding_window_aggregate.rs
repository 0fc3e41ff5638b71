//! Sliding-window aggregation of a grouped stream, as Kafka Streams'
//! `KStreamSlidingWindowAggregate` (forward-iterating variant).
//!
//! Windows are `[start, start + d]`, both inclusive, for time difference `d`,
//! and exist only where they hold records: a record at `t` has a left window
//! `[t - d, t]` and, once a later record falls within `d` after it, a right
//! window `[t + 1, t + 1 + d]`. A record reads the windows of its key starting in
//! `[t - 2d, t + 1]`, adds itself to those containing it, creates its left
//! window (seeded with the aggregate of the earlier records within `d`), its
//! right window (from the aggregate of the later records within `d`) and the
//! previous record's right window, as needed. Records earlier than `d` go to the
//! window `[0, d]` instead of a left window (windows never start before zero).
//! A window is only written while its end is at or after stream time minus
//! grace; a record whose right window would already be closed is dropped whole.
//! Updates carry the headers of the record that caused them (with caching, the
//! last one that wrote the window). Emitting on window close, it forwards no
//! updates, only each window's final aggregate once the window closes.

use super::AggregateStep;
use super::PendingHeaders;
use super::pending_headers::window_key;
use super::window_close::WindowCloseEmitter;
use crate::windows::SlidingWindows;
use std::cell::RefCell;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Headers, Record, Window, Windowed};
use streams_core::state::{TimestampedWindowStore, ValueAndTimestamp};

/// Aggregates a grouped stream per key and sliding window.
pub(crate) struct SlidingWindowAggregate<K, V, VA> {
    pub(crate) store: Arc<str>,
    pub(crate) windows: SlidingWindows,
    pub(crate) step: AggregateStep<K, V, VA>,
    /// Headers of the dirty windows' last writes (caching stores only).
    pub(crate) pending: RefCell<PendingHeaders>,
    /// Set when the aggregation emits on window close only.
    pub(crate) final_results: Option<WindowCloseEmitter>,
}

/// The record being aggregated and the close time it is judged by.
struct Arrival<K, V> {
    key: K,
    key_bytes: Vec<u8>,
    value: V,
    headers: Headers,
    timestamp: i64,
    close_time: i64,
}

/// What a record learns from the windows of its key that already exist.
struct Neighbours<VA> {
    /// Start times of the windows read.
    starts: Vec<i64>,
    /// The aggregate of the latest window ending before the record.
    left: Option<ValueAndTimestamp<VA>>,
    /// The aggregate, before this record, of the latest window containing it
    /// that ends after it.
    right: Option<ValueAndTimestamp<VA>>,
    left_exists: bool,
    right_exists: bool,
    /// Timestamp of the latest record before this one, when it matters.
    previous: Option<i64>,
}

type Ctx<'a, K, VA> = ProcessorContext<'a, Windowed<K>, Change<VA>>;

impl<K: Clone + 'static, V: Clone, VA: Clone + 'static> SlidingWindowAggregate<K, V, VA> {
    fn difference(&self) -> i64 {
        self.windows.time_difference_ms
    }

    /// Whether updates are forwarded as they happen (not only final results)
    /// without a cache between.
    fn forwards_updates(&self, ctx: &mut Ctx<'_, K, VA>) -> Result<bool, ProcessError> {
        Ok(self.final_results.is_none() && !self.store(ctx)?.is_caching())
    }

    fn window(&self, start: i64) -> Window {
        Window::new(start, start.saturating_add(self.difference()))
    }

    fn store<'c>(
        &self,
        ctx: &'c mut Ctx<'_, K, VA>,
    ) -> Result<&'c mut TimestampedWindowStore<K, VA>, ProcessError> {
        ctx.state_store::<TimestampedWindowStore<K, VA>>(&self.store)
    }

    fn unexpected(start: i64, timestamp: i64) -> ProcessError {
        ProcessError::msg(format!(
            "sliding-window store holds a window starting at {start}, which a record at {timestamp} cannot see; the store was written by something else"
        ))
    }

    /// Adds the record to the window starting at `start`, whose aggregate so far
    /// is `base` (`None`: the initial aggregate) written at `base_timestamp`;
    /// `stored` tells whether the window exists (its aggregate is then
    /// forwarded as the old value). Closed windows are skipped and counted.
    fn update(
        &self,
        ctx: &mut Ctx<'_, K, VA>,
        arrival: &Arrival<K, V>,
        start: i64,
        base: Option<VA>,
        base_timestamp: i64,
        stored: bool,
    ) -> Result<(), ProcessError> {
        let window = self.window(start);
        if window.end < arrival.close_time {
            tracing::debug!(
                store = %self.store,
                timestamp = arrival.timestamp,
                window_start = window.start,
                window_end = window.end,
                close_time = arrival.close_time,
                "dropping a record for a closed window"
            );
            ctx.record_dropped();
            return Ok(());
        }
        let old = if stored { base.clone() } else { None };
        let new = (self.step)(&arrival.key, arrival.value.clone(), base);
        let timestamp = arrival.timestamp.max(base_timestamp);
        self.put(ctx, arrival, &new, start, timestamp)?;
        if !self.forwards_updates(ctx)? {
            return Ok(());
        }
        let update = Record::new(
            Windowed::new(arrival.key.clone(), window),
            Change::new(Some(new), old),
            timestamp,
        );
        ctx.forward(update.with_headers(arrival.headers.clone()))
    }

    /// Writes a window's aggregate, noting the record's headers for the cache.
    fn put(
        &self,
        ctx: &mut Ctx<'_, K, VA>,
        arrival: &Arrival<K, V>,
        aggregate: &VA,
        start: i64,
        timestamp: i64,
    ) -> Result<(), ProcessError> {
        if let Some(emitter) = &self.final_results {
            emitter.written(start.saturating_add(self.difference()));
        }
        let store = self.store(ctx)?;
        if store.is_caching() && self.final_results.is_none() {
            self.pending
                .borrow_mut()
                .written(&window_key(&arrival.key_bytes, start), &arrival.headers);
        }
        store.put(&arrival.key, aggregate, start, timestamp)?;
        Ok(())
    }

    /// Stores the aggregate of the records after this one (within the time
    /// difference) as this record's right window.
    fn create_right_window(
        &self,
        ctx: &mut Ctx<'_, K, VA>,
        arrival: &Arrival<K, V>,
        aggregate: ValueAndTimestamp<VA>,
    ) -> Result<(), ProcessError> {
        let start = arrival.timestamp.saturating_add(1);
        self.put(ctx, arrival, &aggregate.value, start, aggregate.timestamp)?;
        if !self.forwards_updates(ctx)? {
            return Ok(());
        }
        let update = Record::new(
            Windowed::new(arrival.key.clone(), self.window(start)),
            Change::new(Some(aggregate.value), None),
            aggregate.timestamp,
        );
        ctx.forward(update.with_headers(arrival.headers.clone()))
    }

    /// A record at or after the time difference: it has a full left window.
    fn process_in_order(
        &self,
        ctx: &mut Ctx<'_, K, VA>,
        arrival: &Arrival<K, V>,
    ) -> Result<(), ProcessError> {
        let t = arrival.timestamp;
        let from = t.saturating_sub(self.difference().saturating_mul(2)).max(0);
        let existing = self
            .store(ctx)?
            .fetch_range(&arrival.key, from, t.saturating_add(1))?;
        let mut seen = Neighbours {
            starts: Vec::with_capacity(existing.len()),
            left: None,
            right: None,
            left_exists: false,
            right_exists: false,
            previous: None,
        };
        for (window, aggregate) in existing {
            let start = window.start;
            let end = start.saturating_add(self.difference());
            seen.starts.push(start);
            if end < t {
                seen.previous = Some(aggregate.timestamp);
                seen.left = Some(aggregate);
            } else if end == t {
                seen.left_exists = true;
                if aggregate.timestamp < t {
                    seen.previous = Some(aggregate.timestamp);
                }
                self.update(
                    ctx,
                    arrival,
                    start,
                    Some(aggregate.value),
                    aggregate.timestamp,
                    true,
                )?;
            } else if start <= t {
                seen.right = Some(aggregate.clone());
                self.update(
                    ctx,
                    arrival,
                    start,
                    Some(aggregate.value),
                    aggregate.timestamp,
                    true,
                )?;
            } else if start == t.saturating_add(1) {
                seen.right_exists = true;
            } else {
                return Err(Self::unexpected(start, t));
            }
        }
        self.create_windows(ctx, arrival, seen)
    }

    /// Creates the windows the record needs that do not exist yet: the previous
    /// record's right window (if this record falls in it), this record's left
    /// window and, when later records are within reach, its right window.
    fn create_windows(
        &self,
        ctx: &mut Ctx<'_, K, VA>,
        arrival: &Arrival<K, V>,
        seen: Neighbours<VA>,
    ) -> Result<(), ProcessError> {
        let t = arrival.timestamp;
        if let Some(previous) = seen.previous {
            let start = previous.saturating_add(1);
            if !seen.starts.contains(&start) && start.saturating_add(self.difference()) >= t {
                self.update(ctx, arrival, start, None, t, false)?;
            }
        }
        if !seen.left_exists {
            let left_holds_previous = seen
                .previous
                .is_some_and(|previous| t.saturating_sub(self.difference()) <= previous);
            let base = if left_holds_previous {
                seen.left.map(|left| left.value)
            } else {
                None
            };
            self.update(
                ctx,
                arrival,
                t.saturating_sub(self.difference()),
                base,
                t,
                false,
            )?;
        }
        match seen.right {
            Some(right) if !seen.right_exists && right.timestamp > t => {
                self.create_right_window(ctx, arrival, right)
            }
            _ => Ok(()),
        }
    }

    /// A record earlier than the time difference: its left window would start
    /// before zero, so it goes to the window `[0, d]` that holds every such
    /// record.
    fn process_early(
        &self,
        ctx: &mut Ctx<'_, K, VA>,
        arrival: &Arrival<K, V>,
    ) -> Result<(), ProcessError> {
        let t = arrival.timestamp;
        let existing = self
            .store(ctx)?
            .fetch_range(&arrival.key, 0, t.saturating_add(1))?;
        let mut starts = Vec::with_capacity(existing.len());
        let mut combined: Option<ValueAndTimestamp<VA>> = None;
        let mut right: Option<ValueAndTimestamp<VA>> = None;
        let mut right_exists = false;
        let mut previous = None;
        for (window, aggregate) in existing {
            let start = window.start;
            starts.push(start);
            if start == 0 {
                if aggregate.timestamp < t {
                    previous = Some(aggregate.timestamp);
                }
                combined = Some(aggregate);
            } else if start <= t {
                right = Some(aggregate.clone());
                self.update(
                    ctx,
                    arrival,
                    start,
                    Some(aggregate.value),
                    aggregate.timestamp,
                    true,
                )?;
            } else if start == t.saturating_add(1) {
                right_exists = true;
            } else {
                return Err(Self::unexpected(start, t));
            }
        }
        // Without a window between, the combined window holds only records
        // after this one when its latest record is later.
        if right.is_none() {
            right = combined.clone().filter(|c| c.timestamp > t);
        }
        if let Some(right) = right.filter(|right| !right_exists && right.timestamp > t) {
            self.create_right_window(ctx, arrival, right)?;
        }
        if let Some(previous) = previous {
            let start = previous.saturating_add(1);
            if !starts.contains(&start) {
                self.update(ctx, arrival, start, None, t, false)?;
            }
        }
        match combined {
            Some(combined) => self.update(
                ctx,
                arrival,
                0,
                Some(combined.value),
                combined.timestamp,
                true,
            ),
            None => self.update(ctx, arrival, 0, None, t, false),
        }
    }

    fn forward_flushed(&self, ctx: &mut Ctx<'_, K, VA>) -> Result<(), ProcessError> {
        let store = self.store(ctx)?;
        if self.final_results.is_some() {
            // Only final results leave, read from the store when windows close.
            store.take_flushed()?;
            return Ok(());
        }
        let mut pending = self.pending.borrow_mut();
        let mut records = Vec::new();
        for (key, change, timestamp) in store.take_flushed()? {
            let headers = match pending.is_empty() {
                true => Headers::new(),
                false => match store.key_bytes(&key.key)? {
                    Some(bytes) => pending.take(&window_key(&bytes, key.window.start)),
                    None => Headers::new(),
                },
            };
            let window = self.window(key.window.start);
            let update = Record::new(Windowed::new(key.key, window), change, timestamp);
            records.push(update.with_headers(headers));
        }
        drop(pending);
        for record in records {
            ctx.forward(record)?;
        }
        Ok(())
    }
}

impl<K: Clone + 'static, V: Clone, VA: Clone + 'static> Processor<K, V, Windowed<K>, Change<VA>>
    for SlidingWindowAggregate<K, V, VA>
{
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut Ctx<'_, K, VA>,
    ) -> Result<(), ProcessError> {
        let store = self.store(ctx)?;
        let Some(key_bytes) = store.key_bytes(&record.key)? else {
            tracing::debug!(store = %self.store, "dropping a record with a null key");
            ctx.record_dropped();
            return Ok(());
        };
        let caching = store.is_caching();
        let timestamp = record.timestamp;
        let stream_time = ctx.stream_time().unwrap_or(timestamp).max(timestamp);
        let close_time = stream_time.saturating_sub(self.windows.grace_ms);
        let right_window_end = timestamp
            .saturating_add(1)
            .saturating_add(self.difference());
        if right_window_end <= close_time {
            tracing::debug!(
                store = %self.store,
                timestamp,
                close_time,
                stream_time,
                "dropping a record whose windows are all closed"
            );
            ctx.record_dropped();
            return Ok(());
        }
        if let Some(emitter) = &mut self.final_results {
            // Windows ending before the close time are closed. Emitted before
            // this record's writes, which may expire them.
            emitter.emit_closed(
                &self.store,
                close_time.saturating_sub(1),
                &record.headers,
                ctx,
            )?;
        }
        let arrival = Arrival {
            key: record.key,
            key_bytes,
            value: record.value,
            headers: record.headers,
            timestamp,
            close_time,
        };
        if timestamp < self.difference() {
            self.process_early(ctx, &arrival)?;
        } else {
            self.process_in_order(ctx, &arrival)?;
        }
        if caching {
            self.forward_flushed(ctx)?;
        }
        Ok(())
    }

    fn flush(&mut self, ctx: &mut Ctx<'_, K, VA>) -> Result<(), ProcessError> {
        self.store(ctx)?.flush_cache()?;
        self.forward_flushed(ctx)
    }
}
