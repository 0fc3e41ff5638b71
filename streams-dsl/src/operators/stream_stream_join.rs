//! Stream-stream windowed joins. Both inputs reach one processor, tagged with
//! their side, so the two sides share one stream time (the largest timestamp
//! the join has seen, as Kafka Streams' shared time tracker). A record first
//! joins the other side's buffered records within its window, then is buffered
//! itself. In a left or outer join, a record that matched nothing waits in the
//! shared store and is emitted with `None` for the other side once stream time
//! has passed its window close; a later match removes it from there.
//!
//! Records with a null value, or arriving after their window closed, are dropped
//! and counted. A record with a null key cannot join anything: on an outer side
//! (the left side of a left join, both sides of an outer join) it is forwarded
//! at once, with its null key, as the joiner's result with a missing other side
//! (KIP-962, Kafka Streams 3.7); on an inner side it is dropped and counted.
//! Results of unmatched records carry no headers (Kafka Streams attaches those
//! of whichever record triggered the emission, which has nothing to do with
//! them).

use super::outer_join_store::{self, JoinSide};
use crate::windows::JoinWindows;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Headers, Record};
use streams_core::state::{TimestampedKeyValueStore, TimestampedWindowStore};

/// A record value of either input of a stream-stream join.
#[derive(Debug, Clone)]
pub(crate) enum Sided<V1, V2> {
    /// From the stream `join_stream` was called on.
    Left(V1),
    /// From the other stream.
    Right(V2),
}

/// Tags the left input's records on their way to the join.
pub(crate) struct FromLeft;

impl<K: Clone + 'static, V1: Clone + 'static, V2: Clone + 'static>
    Processor<K, V1, K, Sided<V1, V2>> for FromLeft
{
    fn process(
        &mut self,
        record: Record<K, V1>,
        ctx: &mut ProcessorContext<'_, K, Sided<V1, V2>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        ctx.forward(Record {
            key,
            value: Sided::Left(value),
            timestamp,
            headers,
        })
    }
}

/// Tags the right input's records on their way to the join.
pub(crate) struct FromRight;

impl<K: Clone + 'static, V1: Clone + 'static, V2: Clone + 'static>
    Processor<K, V2, K, Sided<V1, V2>> for FromRight
{
    fn process(
        &mut self,
        record: Record<K, V2>,
        ctx: &mut ProcessorContext<'_, K, Sided<V1, V2>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        ctx.forward(Record {
            key,
            value: Sided::Right(value),
            timestamp,
            headers,
        })
    }
}

/// Joins a key's left and right values (`None` for a missing side); `None` from
/// the joiner means no output (an inner join never sees a missing side).
pub(crate) type StreamJoiner<K, V1, V2, VR> =
    Arc<dyn Fn(&K, Option<V1>, Option<V2>) -> Option<VR> + Send + Sync>;

/// What every task's instance of a join shares.
pub(crate) struct StreamJoinSpec<K, V1, V2, VR> {
    /// The window store buffering left records.
    pub(crate) left_store: Arc<str>,
    /// The window store buffering right records.
    pub(crate) right_store: Arc<str>,
    /// The store of unmatched records, in left and outer joins.
    pub(crate) outer_store: Option<Arc<str>>,
    pub(crate) windows: JoinWindows,
    /// Unmatched left records are emitted (left and outer joins).
    pub(crate) left_outer: bool,
    /// Unmatched right records are emitted (outer joins).
    pub(crate) right_outer: bool,
    pub(crate) joiner: StreamJoiner<K, V1, V2, VR>,
}

impl<K, V1, V2, VR> StreamJoinSpec<K, V1, V2, VR> {
    /// How far a record of `side` reaches back and forward in time: `(before,
    /// after)` for left records, mirrored for right ones.
    fn reach(&self, side: JoinSide) -> (i64, i64) {
        let (before, after) = (self.windows.before_ms(), self.windows.after_ms());
        match side {
            JoinSide::Left => (before, after),
            JoinSide::Right => (after, before),
        }
    }

    /// When the window of a record of `side` at `timestamp` closes: stream time
    /// must pass this for the record to be late.
    fn close(&self, side: JoinSide, timestamp: i64) -> i64 {
        timestamp
            .saturating_add(self.reach(side).1)
            .saturating_add(self.windows.grace_ms())
    }

    fn is_outer(&self, side: JoinSide) -> bool {
        match side {
            JoinSide::Left => self.left_outer,
            JoinSide::Right => self.right_outer,
        }
    }

    /// The newest timestamp a buffered unmatched record can have and have its
    /// window closed at `stream_time`.
    fn closed_up_to(&self, stream_time: i64) -> i64 {
        let shortest_reach = if self.right_outer {
            self.windows.before_ms().min(self.windows.after_ms())
        } else {
            self.windows.after_ms()
        };
        stream_time
            .saturating_sub(shortest_reach)
            .saturating_sub(self.windows.grace_ms())
            .saturating_sub(1)
    }
}

/// The typed store of unmatched records; keys and values follow the layout of
/// [`outer_join_store`].
type OuterStore = TimestampedKeyValueStore<Vec<u8>, Vec<u8>>;

/// One task's instance of a stream-stream join.
pub(crate) struct StreamStreamJoin<K, V1, V2, VR> {
    spec: Arc<StreamJoinSpec<K, V1, V2, VR>>,
    /// The largest timestamp seen on either side.
    stream_time: i64,
    /// No unmatched record older than this is buffered (`i64::MIN` when
    /// unknown, as after a restart), so the shared store is scanned only when
    /// something may have closed.
    earliest_unmatched: i64,
    /// How many entries the shared store holds (`None` until counted after a
    /// start), so that it is not scanned at all while every record matches.
    buffered_entries: Option<usize>,
}

impl<K, V1, V2, VR> StreamStreamJoin<K, V1, V2, VR> {
    pub(crate) fn new(spec: Arc<StreamJoinSpec<K, V1, V2, VR>>) -> Self {
        Self {
            spec,
            stream_time: i64::MIN,
            earliest_unmatched: i64::MIN,
            buffered_entries: None,
        }
    }
}

fn drop_record<KOut, VOut>(
    ctx: &mut ProcessorContext<'_, KOut, VOut>,
    store: &str,
    timestamp: i64,
    reason: &str,
) -> Result<(), ProcessError> {
    tracing::debug!(
        store,
        timestamp,
        reason,
        "dropping a record from a stream-stream join"
    );
    ctx.record_dropped();
    Ok(())
}

impl<K: Clone + 'static, V1: Clone + 'static, V2: Clone + 'static, VR: Clone + 'static>
    StreamStreamJoin<K, V1, V2, VR>
{
    /// Joins a record of `side` (value type `VT`) with the other side's buffered
    /// records (`VO`), `pair` calling the joiner with the values in left-right
    /// order (`None` for a missing other side), then buffers it.
    fn process_side<VT: Clone + 'static, VO: 'static>(
        &mut self,
        side: JoinSide,
        record: Record<K, VT>,
        ctx: &mut ProcessorContext<'_, K, VR>,
        pair: impl Fn(&K, VT, Option<VO>) -> Option<VR>,
    ) -> Result<(), ProcessError> {
        let spec = self.spec.clone();
        let (this_store, other_store) = match side {
            JoinSide::Left => (&spec.left_store, &spec.right_store),
            JoinSide::Right => (&spec.right_store, &spec.left_store),
        };
        let timestamp = record.timestamp;
        if timestamp < 0 {
            return drop_record(ctx, this_store, timestamp, "negative timestamp");
        }
        self.stream_time = self.stream_time.max(timestamp);
        let store = ctx.state_store::<TimestampedWindowStore<K, VT>>(this_store)?;
        let Some(stored) = store.encode_value(&record.value, timestamp)? else {
            return drop_record(ctx, this_store, timestamp, "null value");
        };
        let Some(key) = store.key_bytes(&record.key)? else {
            if !spec.is_outer(side) {
                return drop_record(ctx, this_store, timestamp, "null key");
            }
            let Record {
                key,
                value,
                timestamp,
                headers,
            } = record;
            return match pair(&key, value, None) {
                Some(joined) => ctx.forward(Record {
                    key,
                    value: joined,
                    timestamp,
                    headers,
                }),
                None => Ok(()),
            };
        };
        if spec.close(side, timestamp) < self.stream_time {
            return drop_record(
                ctx,
                this_store,
                timestamp,
                "window closed (later than the grace period)",
            );
        }
        if timestamp == self.stream_time {
            self.emit_closed(ctx, &record.headers)?;
        }
        let (before, after) = spec.reach(side);
        let matches = ctx
            .state_store::<TimestampedWindowStore<K, VO>>(other_store)?
            .fetch_range_at(
                &key,
                timestamp.saturating_sub(before).max(0),
                timestamp.saturating_add(after),
            )?;
        if matches.is_empty() && spec.is_outer(side) {
            self.buffer_unmatched(ctx, side, timestamp, &key, &stored)?;
        }
        for (window, other) in matches {
            if spec.is_outer(side.other()) {
                self.remove_unmatched(ctx, side.other(), window.start, &key)?;
            }
            if let Some(joined) = pair(&record.key, record.value.clone(), Some(other.value)) {
                ctx.forward(Record {
                    key: record.key.clone(),
                    value: joined,
                    timestamp: timestamp.max(window.start),
                    headers: record.headers.clone(),
                })?;
            }
        }
        ctx.state_store::<TimestampedWindowStore<K, VT>>(this_store)?
            .put_at(&key, &stored, timestamp)?;
        Ok(())
    }

    fn outer_store<'c>(
        &self,
        ctx: &'c mut ProcessorContext<'_, K, VR>,
    ) -> Result<Option<(Arc<str>, &'c mut OuterStore)>, ProcessError> {
        match &self.spec.outer_store {
            Some(name) => Ok(Some((name.clone(), ctx.state_store::<OuterStore>(name)?))),
            None => Ok(None),
        }
    }

    /// Keeps a record that matched nothing (yet) in the shared store.
    fn buffer_unmatched(
        &mut self,
        ctx: &mut ProcessorContext<'_, K, VR>,
        side: JoinSide,
        timestamp: i64,
        key: &[u8],
        stored: &[u8],
    ) -> Result<(), ProcessError> {
        let Some((name, store)) = self.outer_store(ctx)? else {
            return Ok(());
        };
        let entry = outer_join_store::encode_key(timestamp, side, key);
        let existing = store.get(&entry)?;
        if let (None, Some(count)) = (&existing, &mut self.buffered_entries) {
            *count += 1;
        }
        let mut list = existing.map(|list| list.value).unwrap_or_default();
        outer_join_store::push_value(&name, &mut list, stored)?;
        store.put(&entry, &list, timestamp)?;
        self.earliest_unmatched = self.earliest_unmatched.min(timestamp);
        Ok(())
    }

    /// Forgets the unmatched records of `side` with this key and timestamp: a
    /// record of the other side just matched them.
    fn remove_unmatched(
        &mut self,
        ctx: &mut ProcessorContext<'_, K, VR>,
        side: JoinSide,
        timestamp: i64,
        key: &[u8],
    ) -> Result<(), ProcessError> {
        let Some((_, store)) = self.outer_store(ctx)? else {
            return Ok(());
        };
        let entry = outer_join_store::encode_key(timestamp, side, key);
        if store.get(&entry)?.is_some() {
            store.delete(&entry)?;
            if let Some(count) = &mut self.buffered_entries {
                *count = count.saturating_sub(1);
            }
        }
        Ok(())
    }

    /// Emits, oldest first, the unmatched records whose window has closed, and
    /// forgets them. They carry the headers of the record that advanced stream
    /// time (`headers`), as Kafka Streams forwards the current record for them.
    fn emit_closed(
        &mut self,
        ctx: &mut ProcessorContext<'_, K, VR>,
        headers: &Headers,
    ) -> Result<(), ProcessError> {
        let spec = self.spec.clone();
        let closed_up_to = spec.closed_up_to(self.stream_time);
        if closed_up_to < 0 || self.earliest_unmatched > closed_up_to {
            return Ok(());
        }
        let Some((name, store)) = self.outer_store(ctx)? else {
            return Ok(());
        };
        let buffered = match self.buffered_entries {
            Some(count) => count,
            None => store.all()?.len(),
        };
        self.buffered_entries = Some(buffered);
        if buffered == 0 {
            self.earliest_unmatched = i64::MAX;
            return Ok(());
        }
        // Start at the earliest possible record, not at the first key: the
        // store's start is a trail of deleted entries RocksDB would walk over.
        let candidates = store.range(
            &outer_join_store::keys_from(self.earliest_unmatched),
            &outer_join_store::keys_after(closed_up_to),
        )?;
        let mut earliest_open = closed_up_to.saturating_add(1);
        let mut closed = Vec::new();
        for (entry, list) in candidates {
            let decoded = outer_join_store::decode_key(&name, &entry)?;
            if spec.close(decoded.side, decoded.timestamp) < self.stream_time {
                closed.push((entry, list.value));
            } else {
                earliest_open = earliest_open.min(decoded.timestamp);
            }
        }
        self.earliest_unmatched = earliest_open;
        self.buffered_entries = Some(buffered.saturating_sub(closed.len()));
        for (entry, list) in &closed {
            self.emit_unmatched(ctx, &name, entry, list, headers)?;
        }
        let store = ctx.state_store::<OuterStore>(&name)?;
        for (entry, _) in closed {
            store.delete(&entry)?;
        }
        Ok(())
    }

    /// Emits the unmatched records of one entry of the shared store.
    fn emit_unmatched(
        &self,
        ctx: &mut ProcessorContext<'_, K, VR>,
        store_name: &str,
        entry: &[u8],
        list: &[u8],
        headers: &Headers,
    ) -> Result<(), ProcessError> {
        let spec = &self.spec;
        let decoded = outer_join_store::decode_key(store_name, entry)?;
        let key = ctx
            .state_store::<TimestampedWindowStore<K, V1>>(&spec.left_store)?
            .decode_key(decoded.key)?;
        for stored in outer_join_store::values(store_name, list)? {
            let joined = match decoded.side {
                JoinSide::Left => {
                    let value = ctx
                        .state_store::<TimestampedWindowStore<K, V1>>(&spec.left_store)?
                        .decode_value(stored)?
                        .value;
                    (spec.joiner)(&key, Some(value), None)
                }
                JoinSide::Right => {
                    let value = ctx
                        .state_store::<TimestampedWindowStore<K, V2>>(&spec.right_store)?
                        .decode_value(stored)?
                        .value;
                    (spec.joiner)(&key, None, Some(value))
                }
            };
            if let Some(joined) = joined {
                let unmatched = Record::new(key.clone(), joined, decoded.timestamp);
                ctx.forward(unmatched.with_headers(headers.clone()))?;
            }
        }
        Ok(())
    }
}

impl<K: Clone + 'static, V1: Clone + 'static, V2: Clone + 'static, VR: Clone + 'static>
    Processor<K, Sided<V1, V2>, K, VR> for StreamStreamJoin<K, V1, V2, VR>
{
    fn process(
        &mut self,
        record: Record<K, Sided<V1, V2>>,
        ctx: &mut ProcessorContext<'_, K, VR>,
    ) -> Result<(), ProcessError> {
        let joiner = self.spec.joiner.clone();
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        match value {
            Sided::Left(value) => self.process_side(
                JoinSide::Left,
                Record {
                    key,
                    value,
                    timestamp,
                    headers,
                },
                ctx,
                |key, this: V1, other: Option<V2>| joiner(key, Some(this), other),
            ),
            Sided::Right(value) => self.process_side(
                JoinSide::Right,
                Record {
                    key,
                    value,
                    timestamp,
                    headers,
                },
                ctx,
                |key, this: V2, other: Option<V1>| joiner(key, other, Some(this)),
            ),
        }
    }
}
