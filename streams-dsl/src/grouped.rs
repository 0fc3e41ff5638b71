//! Grouped streams and tables: the step before an aggregation.

use crate::operators::{
    AggregateStep, PendingHeaders, StreamAggregate, TableAggregate, TableStep, aggregate_step,
    count_step, reduce_step,
};
use crate::plan::{LogicalPlan, PlanKind, PlanRef, RepartitionSpec};
use crate::windows::WindowSpec;
use crate::{CogroupedKStream, Data, Grouped, KStream, KTable, Materialized, Repartitioned};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use streams_core::record::Change;
use streams_core::serde::{ChangeSerde, SerdeRef};

/// Declares the store of an aggregation from its `Materialized` and returns its name.
fn add_store<K: Data, VA: Data>(
    topology: &mut LogicalPlan,
    materialized: &mut Materialized<K, VA>,
    key_serde: Option<SerdeRef<K>>,
    send_old_values: Arc<AtomicBool>,
) -> String {
    let (name, builder) = materialized.store_builder(topology, key_serde);
    topology.add_state_store(builder.with_send_old_values_flag(send_old_values));
    name
}

/// A stream grouped by key, ready to aggregate. If an operator upstream changed
/// keys, the aggregation first repartitions through
/// `<application.id>-<store>-repartition`.
pub struct KGroupedStream<K, V> {
    stream: KStream<K, V>,
}

impl<K: Data, V: Data> KGroupedStream<K, V> {
    pub(crate) fn new(stream: KStream<K, V>) -> Self {
        Self { stream }
    }

    /// The grouped stream (already repartitioned if its `Grouped` named a topic).
    pub(crate) fn stream(&self) -> &KStream<K, V> {
        &self.stream
    }

    /// Starts a cogroup (Kafka Streams' KIP-150): this stream and the ones
    /// added with [`CogroupedKStream::cogroup`], each with its own value type
    /// and aggregator, fold into one aggregate per key in one store, without
    /// a table per input and joins between them.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// builder.register_serde(JsonSerde::<(i64, i64)>::new());
    /// let clicks = builder.stream::<String, String>("clicks", Consumed::default()).group_by_key();
    /// let purchases = builder.stream::<String, i64>("purchases", Consumed::default()).group_by_key();
    /// // Per customer: (clicks, cents spent).
    /// clicks
    ///     .cogroup(|_customer, _page, (clicks, cents): (i64, i64)| (clicks + 1, cents))
    ///     .cogroup(&purchases, |_customer, amount, (clicks, cents)| (clicks, cents + amount))
    ///     .aggregate(|| (0, 0), Materialized::named("activity").with_caching_disabled())
    ///     .map_values(|(clicks, cents)| format!("{clicks} clicks, {cents} cents"))
    ///     .to("profiles", Produced::default());
    ///
    /// let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    /// driver.input_topic::<String, String>("clicks").unwrap().pipe("ann", "/home", 1).unwrap();
    /// driver.input_topic::<String, i64>("purchases").unwrap().pipe("ann", 1_250_i64, 2).unwrap();
    /// let profiles = driver.output_topic::<String, Option<String>>("profiles").unwrap();
    /// assert_eq!(
    ///     profiles.read_key_values().unwrap(),
    ///     [("ann".to_string(), Some("1 clicks, 0 cents".to_string())), ("ann".to_string(), Some("1 clicks, 1250 cents".to_string()))]
    /// );
    /// ```
    pub fn cogroup<VA: Data, F>(&self, aggregator: F) -> CogroupedKStream<K, VA>
    where
        F: Fn(&K, V, VA) -> VA + Send + Sync + 'static,
    {
        CogroupedKStream::new(self.stream.clone(), Arc::new(aggregator))
    }

    fn aggregate_with<VA: Data>(
        &self,
        step: AggregateStep<K, V, VA>,
        mut materialized: Materialized<K, VA>,
    ) -> KTable<K, VA> {
        let topology = self.stream.topology().clone();
        // Old values are read only once an operator downstream needs them.
        let send_old_values = Arc::new(AtomicBool::new(false));
        let store = add_store(
            &mut topology.borrow_mut(),
            &mut materialized,
            self.stream.key_serde(),
            send_old_values.clone(),
        );
        let input = if self.stream.is_key_changed() {
            self.stream
                .implicit_repartition(Repartitioned::default().named(store.clone()))
        } else {
            self.stream.clone()
        };
        let mut builder = topology.borrow_mut();
        let name = builder.generate_name("KSTREAM-AGGREGATE");
        let store_name: Arc<str> = store.as_str().into();
        let node = builder.add_processor(
            PlanKind::Stateful,
            name,
            move || StreamAggregate {
                store: store_name.clone(),
                step: step.clone(),
                pending: PendingHeaders::default(),
            },
            &[input.node()],
        );
        builder.connect_store(&store, node);
        drop(builder);
        KTable::new(
            topology,
            node,
            Some(store),
            input.key_serde(),
            materialized.value_serde,
        )
        .with_send_old_values_flag(send_old_values)
    }

    /// Cuts the grouped stream into windows: tumbling or hopping
    /// ([`TimeWindows`](crate::windows::TimeWindows), giving a
    /// [`TimeWindowedKStream`](crate::TimeWindowedKStream)), sessions
    /// ([`SessionWindows`](crate::windows::SessionWindows), giving a
    /// [`SessionWindowedKStream`](crate::SessionWindowedKStream)) or sliding
    /// windows ([`SlidingWindows`](crate::windows::SlidingWindows), giving a
    /// [`SlidingWindowedKStream`](crate::SlidingWindowedKStream)).
    pub fn windowed_by<W: WindowSpec<K, V>>(&self, windows: W) -> W::Stream {
        windows.windowed_stream(self.stream.clone())
    }

    /// Counts the records of each key.
    pub fn count(&self, materialized: Materialized<K, i64>) -> KTable<K, i64> {
        self.aggregate_with(count_step(), materialized)
    }

    /// Combines the values of each key with `reducer` (the first value stands as is).
    pub fn reduce<F>(&self, reducer: F, materialized: Materialized<K, V>) -> KTable<K, V>
    where
        F: Fn(V, V) -> V + Send + Sync + 'static,
    {
        self.aggregate_with(reduce_step(reducer), materialized)
    }

    /// Folds the values of each key into an aggregate that starts as `initializer()`.
    pub fn aggregate<VA: Data, I, F>(
        &self,
        initializer: I,
        aggregator: F,
        materialized: Materialized<K, VA>,
    ) -> KTable<K, VA>
    where
        I: Fn() -> VA + Send + Sync + 'static,
        F: Fn(&K, V, VA) -> VA + Send + Sync + 'static,
    {
        self.aggregate_with(aggregate_step(initializer, aggregator), materialized)
    }
}

/// A table re-keyed for aggregation: records are `Change`s carrying the row
/// value to subtract (old) or add (new). They always repartition, through
/// `<application.id>-<name>-repartition` (the grouping's name, else the
/// aggregation's store).
pub struct KGroupedTable<K, V> {
    topology: Rc<RefCell<LogicalPlan>>,
    node: PlanRef<K, Change<V>>,
    repartition_name: Option<String>,
    key_serde: Option<SerdeRef<K>>,
    value_serde: Option<SerdeRef<V>>,
}

impl<K: Data, V: Data> KGroupedTable<K, V> {
    pub(crate) fn new(
        topology: Rc<RefCell<LogicalPlan>>,
        node: PlanRef<K, Change<V>>,
        grouped: Grouped<K, V>,
    ) -> Self {
        Self {
            topology,
            node,
            repartition_name: grouped.name,
            key_serde: grouped.key_serde,
            value_serde: grouped.value_serde,
        }
    }

    fn aggregate_with<VA: Data>(
        &self,
        add: TableStep<K, V, VA>,
        subtract: TableStep<K, V, VA>,
        mut materialized: Materialized<K, VA>,
    ) -> KTable<K, VA> {
        let mut builder = self.topology.borrow_mut();
        let store = add_store(
            &mut builder,
            &mut materialized,
            self.key_serde.clone(),
            Arc::new(AtomicBool::new(true)),
        );
        // Rows always move between groups, so the updates always repartition.
        builder
            .serdes_mut()
            .derive::<Change<V>, V>(|inner| Arc::new(ChangeSerde::new(inner)));
        let repartition = self.repartition_name.as_deref().unwrap_or(store.as_str());
        let change_serde = self
            .value_serde
            .clone()
            .map(|inner| Arc::new(ChangeSerde::new(inner)) as SerdeRef<Change<V>>);
        let source = builder.add_repartition(
            RepartitionSpec {
                name: repartition.to_string(),
                key_serde: self.key_serde.clone(),
                value_serde: change_serde,
                partitioner: None,
                partitions: None,
                implicit: false,
            },
            self.node,
        );
        let name = builder.generate_name("KTABLE-AGGREGATE");
        let store_name: Arc<str> = store.as_str().into();
        let node = builder.add_processor(
            PlanKind::Stateful,
            name,
            move || TableAggregate {
                store: store_name.clone(),
                add: add.clone(),
                subtract: subtract.clone(),
                pending: PendingHeaders::default(),
            },
            &[source],
        );
        builder.connect_store(&store, node);
        drop(builder);
        KTable::new(
            self.topology.clone(),
            node,
            Some(store),
            materialized.key_serde,
            materialized.value_serde,
        )
    }

    /// Counts the rows in each group.
    pub fn count(&self, materialized: Materialized<K, i64>) -> KTable<K, i64> {
        self.aggregate_with(
            Arc::new(|_, _, count: Option<i64>| Some(count.unwrap_or(0) + 1)),
            Arc::new(|_, _, count: Option<i64>| Some(count.unwrap_or(0) - 1)),
            materialized,
        )
    }

    /// Combines the rows of each group: `adder` adds a row's value, `subtractor`
    /// removes one.
    pub fn reduce<A, S>(
        &self,
        adder: A,
        subtractor: S,
        materialized: Materialized<K, V>,
    ) -> KTable<K, V>
    where
        A: Fn(V, V) -> V + Send + Sync + 'static,
        S: Fn(V, V) -> V + Send + Sync + 'static,
    {
        self.aggregate_with(
            Arc::new(move |_, value, aggregate: Option<V>| {
                Some(match aggregate {
                    Some(aggregate) => adder(aggregate, value),
                    None => value,
                })
            }),
            Arc::new(move |_, value, aggregate: Option<V>| {
                aggregate.map(|aggregate| subtractor(aggregate, value))
            }),
            materialized,
        )
    }

    /// Folds the rows of each group into an aggregate that starts as
    /// `initializer()`: `adder` adds a row's value, `subtractor` removes one.
    pub fn aggregate<VA: Data, I, A, S>(
        &self,
        initializer: I,
        adder: A,
        subtractor: S,
        materialized: Materialized<K, VA>,
    ) -> KTable<K, VA>
    where
        I: Fn() -> VA + Send + Sync + 'static,
        A: Fn(&K, V, VA) -> VA + Send + Sync + 'static,
        S: Fn(&K, V, VA) -> VA + Send + Sync + 'static,
    {
        let initializer = Arc::new(initializer);
        let init = initializer.clone();
        self.aggregate_with(
            Arc::new(move |key, value, aggregate: Option<VA>| {
                Some(adder(key, value, aggregate.unwrap_or_else(|| init())))
            }),
            Arc::new(move |key, value, aggregate: Option<VA>| {
                Some(subtractor(
                    key,
                    value,
                    aggregate.unwrap_or_else(|| initializer()),
                ))
            }),
            materialized,
        )
    }
}
