//! Fallible operators: `try_map`, `try_map_values`, `try_filter`,
//! `try_flat_map` and `try_flat_map_values` take closures returning `Result`;
//! an `Err` (like a panic) goes to the processing handler
//! (`processing.exception.handler`): fail naming the record, skip it, or send it
//! to a dead-letter topic. No `unwrap` needed in user code.

use crate::{Data, KStream};
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{
    FixedKeyContext, FixedKeyProcessor, FixedKeyRecord, Processor, ProcessorContext,
};
use streams_core::record::Record;

impl<K: Data, V: Data> KStream<K, V> {
    /// Like [`map`](Self::map), but `mapper` may fail; an `Err` goes to the
    /// processing handler.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// builder
    ///     .stream::<String, String>("amounts", Consumed::default())
    ///     .try_map(|key, text| text.trim().parse::<i64>().map(|cents| (key, cents)))
    ///     .to("cents", Produced::default());
    /// # builder.build().unwrap();
    /// ```
    pub fn try_map<K2: Data, V2: Data, E, F>(&self, mapper: F) -> KStream<K2, V2>
    where
        E: Into<ProcessError>,
        F: Fn(K, V) -> Result<(K2, V2), E> + Send + Sync + 'static,
    {
        self.try_flat_map(move |key, value| mapper(key, value).map(std::iter::once))
    }

    /// Like [`flat_map`](Self::flat_map), but `mapper` may fail; an `Err` goes to
    /// the processing handler and nothing of that record is forwarded.
    pub fn try_flat_map<K2: Data, V2: Data, I, E, F>(&self, mapper: F) -> KStream<K2, V2>
    where
        I: IntoIterator<Item = (K2, V2)> + 'static,
        E: Into<ProcessError>,
        F: Fn(K, V) -> Result<I, E> + Send + Sync + 'static,
    {
        let mapper = Arc::new(mapper);
        self.process(move || TryFlatMap(mapper.clone()), &[])
    }

    /// Like [`map_values`](Self::map_values), but `mapper` may fail; an `Err`
    /// goes to the processing handler.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// let cents = builder
    ///     .stream::<String, String>("amounts", Consumed::default())
    ///     .try_map_values(|text| text.trim().parse::<i64>());
    /// let driver = TopologyTestDriver::with_config(
    ///     { cents.to("cents", Produced::default()); builder.build().unwrap() },
    ///     TestDriverConfig { processing_handler: ErrorHandler::LogAndContinue, ..Default::default() },
    /// ).unwrap();
    /// let input = driver.input_topic::<String, String>("amounts").unwrap();
    /// input.pipe("a", "12", 0).unwrap();
    /// input.pipe("b", "twelve", 1).unwrap();
    /// let output = driver.output_topic::<String, i64>("cents").unwrap();
    /// assert_eq!(output.read_all().unwrap().len(), 1);
    /// assert_eq!(driver.metrics().skipped_records, 1);
    /// ```
    pub fn try_map_values<V2: Data, E, F>(&self, mapper: F) -> KStream<K, V2>
    where
        E: Into<ProcessError>,
        F: Fn(V) -> Result<V2, E> + Send + Sync + 'static,
    {
        self.try_flat_map_values(move |value| mapper(value).map(std::iter::once))
    }

    /// Like [`flat_map_values`](Self::flat_map_values), but `mapper` may fail;
    /// an `Err` goes to the processing handler.
    pub fn try_flat_map_values<V2: Data, I, E, F>(&self, mapper: F) -> KStream<K, V2>
    where
        I: IntoIterator<Item = V2> + 'static,
        E: Into<ProcessError>,
        F: Fn(V) -> Result<I, E> + Send + Sync + 'static,
    {
        let mapper = Arc::new(mapper);
        self.process_values(move || TryFlatMapValues(mapper.clone()), &[])
    }

    /// Like [`filter`](Self::filter), but `predicate` may fail; an `Err` goes to
    /// the processing handler.
    pub fn try_filter<E, F>(&self, predicate: F) -> KStream<K, V>
    where
        E: Into<ProcessError>,
        F: Fn(&K, &V) -> Result<bool, E> + Send + Sync + 'static,
    {
        let predicate = Arc::new(predicate);
        self.add_node("KSTREAM-FILTER", move || TryFilter(predicate.clone()))
    }
}

/// `try_map` and `try_flat_map`.
struct TryFlatMap<F>(Arc<F>);

impl<K, V, K2, V2, I, E, F> Processor<K, V, K2, V2> for TryFlatMap<F>
where
    K2: Clone,
    V2: Clone,
    I: IntoIterator<Item = (K2, V2)>,
    E: Into<ProcessError>,
    F: Fn(K, V) -> Result<I, E>,
{
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K2, V2>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        for (key, value) in (self.0)(key, value).map_err(Into::into)? {
            ctx.forward(Record {
                key,
                value,
                timestamp,
                headers: headers.clone(),
            })?;
        }
        Ok(())
    }
}

/// `try_map_values` and `try_flat_map_values`.
struct TryFlatMapValues<F>(Arc<F>);

impl<K, V, V2, I, E, F> FixedKeyProcessor<K, V, V2> for TryFlatMapValues<F>
where
    K: Clone,
    V: Clone,
    V2: Clone,
    I: IntoIterator<Item = V2>,
    E: Into<ProcessError>,
    F: Fn(V) -> Result<I, E>,
{
    fn process(
        &mut self,
        record: FixedKeyRecord<K, V>,
        ctx: &mut FixedKeyContext<'_, '_, K, V2>,
    ) -> Result<(), ProcessError> {
        let values = (self.0)(record.value().clone()).map_err(Into::into)?;
        for value in values {
            ctx.forward(record.clone().with_value(value))?;
        }
        Ok(())
    }
}

/// `try_filter`.
struct TryFilter<F>(Arc<F>);

impl<K: Clone, V: Clone, E, F> Processor<K, V, K, V> for TryFilter<F>
where
    E: Into<ProcessError>,
    F: Fn(&K, &V) -> Result<bool, E>,
{
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, V>,
    ) -> Result<(), ProcessError> {
        if (self.0)(&record.key, &record.value).map_err(Into::into)? {
            ctx.forward(record)?;
        }
        Ok(())
    }
}
