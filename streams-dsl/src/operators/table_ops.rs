//! Stateless table operators: they transform `Change`s, keeping both the new and
//! the old value so downstream aggregations can subtract what was replaced.

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Record};

/// Keeps rows the predicate accepts (equal to `keep`); a row that stops matching
/// becomes a delete downstream, as in Kafka Streams' `KTable#filter`.
pub(crate) struct TableFilter<F> {
    pub(crate) predicate: Arc<F>,
    pub(crate) keep: bool,
}

impl<K: Clone, V: Clone, F: Fn(&K, &V) -> bool> Processor<K, Change<V>, K, Change<V>>
    for TableFilter<F>
{
    fn process(
        &mut self,
        record: Record<K, Change<V>>,
        ctx: &mut ProcessorContext<'_, K, Change<V>>,
    ) -> Result<(), ProcessError> {
        let passes = |value: &Option<V>, key: &K| {
            value
                .as_ref()
                .filter(|v| (self.predicate)(key, v) == self.keep)
                .cloned()
        };
        let new = passes(&record.value.new, &record.key);
        let old = passes(&record.value.old, &record.key);
        if new.is_none() && old.is_none() {
            return Ok(());
        }
        ctx.forward(record.with_value(Change::new(new, old)))
    }
}

/// Maps the new and the old value of each row.
pub(crate) struct TableMapValues<F>(pub(crate) Arc<F>);

impl<K: Clone, V, V2: Clone, F: Fn(&K, V) -> V2> Processor<K, Change<V>, K, Change<V2>>
    for TableMapValues<F>
{
    fn process(
        &mut self,
        record: Record<K, Change<V>>,
        ctx: &mut ProcessorContext<'_, K, Change<V2>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        let change = Change::new(
            value.new.map(|v| (self.0)(&key, v)),
            value.old.map(|v| (self.0)(&key, v)),
        );
        ctx.forward(Record {
            key,
            value: change,
            timestamp,
            headers,
        })
    }
}

/// Turns table updates into a stream of new values (`None` for deletes).
pub(crate) struct TableToStream;

impl<K: Clone, V: Clone> Processor<K, Change<V>, K, Option<V>> for TableToStream {
    fn process(
        &mut self,
        record: Record<K, Change<V>>,
        ctx: &mut ProcessorContext<'_, K, Option<V>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        ctx.forward(Record {
            key,
            value: value.new,
            timestamp,
            headers,
        })
    }
}
