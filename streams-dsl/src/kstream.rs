//! `KStream<K, V>`: an unbounded stream of records and its stateless operators.

use crate::joined::{check_grace, millis};
use crate::operators::{
    Filter, FlatMap, FlatMapValues, ForEach, JoinGrace, LocalRow, Map, MapValues, PassThrough,
    Peek, PendingHeaders, Print, SelectKey, SharedWriter, StreamTableJoin, StreamTableJoiner,
    TableFeed, TableSource,
};
use crate::plan::{LogicalPlan, PlanKind, PlanRef, RepartitionSpec};
use crate::printed::PrintTarget;
use crate::{
    BranchedKStream, Data, Grouped, Joined, KGroupedStream, KTable, Materialized, Printed,
    Produced, Repartitioned,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use streams_core::processor::{FixedKeyAdapter, FixedKeyProcessor, Processor};
use streams_core::record::Record;
use streams_core::serde::SerdeRef;
use streams_core::state::JoinGraceBufferBuilder;
use streams_core::topology::{SinkTopic, TopicRef, TopologyError};

/// A stream of `Record<K, V>`: every record is an independent event.
///
/// Operators return new streams; a stream can be used several times (each use
/// gets every record). Closures must be `Send + Sync + 'static` because each
/// task of the application runs them.
pub struct KStream<K, V> {
    topology: Rc<RefCell<LogicalPlan>>,
    node: PlanRef<K, V>,
    key_serde: Option<SerdeRef<K>>,
    value_serde: Option<SerdeRef<V>>,
    key_changed: bool,
}

impl<K, V> Clone for KStream<K, V> {
    fn clone(&self) -> Self {
        Self {
            topology: self.topology.clone(),
            node: self.node,
            key_serde: self.key_serde.clone(),
            value_serde: self.value_serde.clone(),
            key_changed: self.key_changed,
        }
    }
}

impl<K: Data, V: Data> KStream<K, V> {
    pub(crate) fn new(
        topology: Rc<RefCell<LogicalPlan>>,
        node: PlanRef<K, V>,
        key_serde: Option<SerdeRef<K>>,
        value_serde: Option<SerdeRef<V>>,
        key_changed: bool,
    ) -> Self {
        Self {
            topology,
            node,
            key_serde,
            value_serde,
            key_changed,
        }
    }

    pub(crate) fn topology(&self) -> &Rc<RefCell<LogicalPlan>> {
        &self.topology
    }

    pub(crate) fn node(&self) -> PlanRef<K, V> {
        self.node
    }

    pub(crate) fn key_serde(&self) -> Option<SerdeRef<K>> {
        self.key_serde.clone()
    }

    pub(crate) fn value_serde(&self) -> Option<SerdeRef<V>> {
        self.value_serde.clone()
    }

    /// Groups records by their current key for an aggregation.
    pub fn group_by_key(&self) -> KGroupedStream<K, V> {
        self.group_by_key_with(Grouped::default())
    }

    /// Groups records by their current key, with the name and serdes of
    /// `grouped`: a stream whose keys changed repartitions through
    /// `<application.id>-<name>-repartition`, one topic for every
    /// aggregation of the grouping.
    pub fn group_by_key_with(&self, grouped: Grouped<K, V>) -> KGroupedStream<K, V> {
        let key_serde = grouped.key_serde.or_else(|| self.key_serde.clone());
        let value_serde = grouped.value_serde.or_else(|| self.value_serde.clone());
        let input = match grouped.name {
            Some(name) if self.key_changed => self.implicit_repartition(Repartitioned {
                key_serde,
                value_serde,
                name: Some(name),
                partitioner: None,
                partitions: None,
            }),
            _ => self.derive(self.node, key_serde, value_serde, self.key_changed),
        };
        KGroupedStream::new(input)
    }

    /// Groups records by a new key for an aggregation (which then repartitions).
    pub fn group_by<K2: Data, F>(&self, selector: F) -> KGroupedStream<K2, V>
    where
        F: Fn(&K, &V) -> K2 + Send + Sync + 'static,
    {
        self.group_by_with(selector, Grouped::default())
    }

    /// Groups records by a new key, with the name and serdes of `grouped`:
    /// the aggregation repartitions through `<application.id>-<name>-repartition`.
    pub fn group_by_with<K2: Data, F>(
        &self,
        selector: F,
        grouped: Grouped<K2, V>,
    ) -> KGroupedStream<K2, V>
    where
        F: Fn(&K, &V) -> K2 + Send + Sync + 'static,
    {
        self.select_key(selector).group_by_key_with(grouped)
    }

    fn join_table<VT: Data, VR: Data>(
        &self,
        table: &KTable<K, VT>,
        prefix: &str,
        left: bool,
        joiner: StreamTableJoiner<V, VT, VR>,
        joined: Joined<K, V>,
    ) -> KStream<K, VR> {
        let key_serde = joined.key_serde.or_else(|| self.key_serde.clone());
        let value_serde = joined.value_serde.or_else(|| self.value_serde.clone());
        let input = if self.key_changed {
            self.implicit_repartition(Repartitioned {
                key_serde,
                value_serde,
                name: joined.name.as_ref().map(|name| format!("{name}-left")),
                partitioner: None,
                partitions: None,
            })
        } else {
            self.derive(self.node, key_serde, value_serde, false)
        };
        let read = table.read();
        let mut topology = self.topology.borrow_mut();
        let name = joined
            .name
            .unwrap_or_else(|| topology.generate_name(prefix));
        let grace = joined.grace_period.map(|grace| {
            let buffer = format!("{name}-buffer");
            check_grace(&mut topology, &name, grace, table.history_retention());
            topology.add_state_store(
                JoinGraceBufferBuilder::<K, V>::new(buffer.clone())
                    .with_serdes(input.key_serde.clone(), input.value_serde.clone()),
            );
            (Arc::<str>::from(buffer), millis(grace))
        });
        let value_serde = input
            .value_serde
            .clone()
            .or_else(|| topology.serdes().get::<V>());
        let (label, rows) = (read.table.clone(), read.rows.clone());
        let buffer = grace.clone();
        let node = topology.add_processor(
            PlanKind::Join,
            name,
            move || StreamTableJoin {
                rows: LocalRow {
                    table: label.clone(),
                    rows: rows.clone(),
                },
                joiner: joiner.clone(),
                left,
                value_serde: value_serde.clone(),
                grace: buffer
                    .clone()
                    .map(|(buffer, grace_ms)| JoinGrace::new(buffer, grace_ms)),
            },
            &[input.node],
        );
        topology.connect_later_stores(read.stores, node);
        if let Some((buffer, _)) = &grace {
            topology.connect_store(buffer, node);
        }
        drop(topology);
        self.derive(node, input.key_serde.clone(), None, false)
    }

    /// Joins each record with the table row of its key at processing time; records
    /// whose key has no row produce nothing. Records with a null key or a null
    /// value are dropped and counted in `dropped_records`. Streams whose keys
    /// changed are repartitioned first. A table materialized in a versioned
    /// store ([`Materialized::versioned`](crate::Materialized::versioned)) is
    /// read as of the record's timestamp instead: a late record joins the row
    /// valid when it happened, one older than the table's history retention
    /// finds no row (KIP-914).
    pub fn join<VT: Data, VR: Data, F>(&self, table: &KTable<K, VT>, joiner: F) -> KStream<K, VR>
    where
        F: Fn(V, VT) -> VR + Send + Sync + 'static,
    {
        self.join_with(table, joiner, Joined::default())
    }

    /// Like [`join`](Self::join), with the node name and serdes of `joined`
    /// (see [`Joined`] for the repartition topic it names).
    pub fn join_with<VT: Data, VR: Data, F>(
        &self,
        table: &KTable<K, VT>,
        joiner: F,
        joined: Joined<K, V>,
    ) -> KStream<K, VR>
    where
        F: Fn(V, VT) -> VR + Send + Sync + 'static,
    {
        self.join_table(
            table,
            "KSTREAM-JOIN",
            false,
            Arc::new(move |value, row| row.map(|row| joiner(value, row))),
            joined,
        )
    }

    /// Like [`join`](Self::join), but every record with a value produces output:
    /// the joiner gets `None` when its key has no row. A record with a null key
    /// has no row either: it is joined with `None` and keeps its null key
    /// (KIP-962, Kafka Streams 3.7); records with a null value are dropped.
    pub fn left_join<VT: Data, VR: Data, F>(
        &self,
        table: &KTable<K, VT>,
        joiner: F,
    ) -> KStream<K, VR>
    where
        F: Fn(V, Option<VT>) -> VR + Send + Sync + 'static,
    {
        self.left_join_with(table, joiner, Joined::default())
    }

    /// Like [`left_join`](Self::left_join), with the node name and serdes of
    /// `joined` (see [`Joined`] for the repartition topic it names).
    pub fn left_join_with<VT: Data, VR: Data, F>(
        &self,
        table: &KTable<K, VT>,
        joiner: F,
        joined: Joined<K, V>,
    ) -> KStream<K, VR>
    where
        F: Fn(V, Option<VT>) -> VR + Send + Sync + 'static,
    {
        self.join_table(
            table,
            "KSTREAM-LEFTJOIN",
            true,
            Arc::new(move |value, row| Some(joiner(value, row))),
            joined,
        )
    }

    /// The name of the node this stream comes out of.
    pub fn node_name(&self) -> String {
        self.topology.borrow().node_name(self.node).to_string()
    }

    /// True when an operator upstream may have changed keys, so a stateful
    /// operation downstream must repartition first (as Kafka Streams does).
    pub fn is_key_changed(&self) -> bool {
        self.key_changed
    }

    /// Names the node this stream comes out of (instead of the generated
    /// `KSTREAM-...-0000000007` name). Call it right after the operator.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// let big = builder.stream::<String, i64>("in", Consumed::default()).filter(|_, v| *v > 10).named("big-values");
    /// assert_eq!(big.node_name(), "big-values");
    /// ```
    pub fn named(self, name: impl Into<String>) -> Self {
        self.topology.borrow_mut().rename(self.node, name);
        self
    }

    fn add<K2: Data, V2: Data, P, S>(
        &self,
        kind: PlanKind,
        prefix: &str,
        supplier: S,
    ) -> PlanRef<K2, V2>
    where
        S: Fn() -> P + Send + Sync + 'static,
        P: Processor<K, V, K2, V2> + 'static,
    {
        let mut topology = self.topology.borrow_mut();
        let name = topology.generate_name(prefix);
        topology.add_processor(kind, name, supplier, &[self.node])
    }

    /// Adds a processor that keeps key and value types, with a generated name.
    pub(crate) fn add_node<P, S>(&self, prefix: &str, supplier: S) -> KStream<K, V>
    where
        S: Fn() -> P + Send + Sync + 'static,
        P: Processor<K, V, K, V> + 'static,
    {
        let node = self.add(PlanKind::Stateless, prefix, supplier);
        self.derive(
            node,
            self.key_serde.clone(),
            self.value_serde.clone(),
            self.key_changed,
        )
    }

    /// Adds a processor that keeps key and value types, with this name.
    pub(crate) fn add_named_node<P, S>(&self, name: String, supplier: S) -> KStream<K, V>
    where
        S: Fn() -> P + Send + Sync + 'static,
        P: Processor<K, V, K, V> + 'static,
    {
        let node = self.topology.borrow_mut().add_processor(
            PlanKind::Stateless,
            name,
            supplier,
            &[self.node],
        );
        self.derive(
            node,
            self.key_serde.clone(),
            self.value_serde.clone(),
            self.key_changed,
        )
    }

    /// A stream of the records of `topic`, read with this stream's serdes.
    pub(crate) fn stream_of_topic(&self, topic: &str) -> KStream<K, V> {
        let mut topology = self.topology.borrow_mut();
        let name = topology.generate_name("KSTREAM-SOURCE");
        let node = topology.add_source(
            name,
            vec![TopicRef::External(topic.to_string())],
            self.key_serde.clone(),
            self.value_serde.clone(),
            None,
        );
        drop(topology);
        self.derive(
            node,
            self.key_serde.clone(),
            self.value_serde.clone(),
            false,
        )
    }

    fn derive<K2: Data, V2: Data>(
        &self,
        node: PlanRef<K2, V2>,
        key_serde: Option<SerdeRef<K2>>,
        value_serde: Option<SerdeRef<V2>>,
        key_changed: bool,
    ) -> KStream<K2, V2> {
        KStream::new(
            self.topology.clone(),
            node,
            key_serde,
            value_serde,
            key_changed,
        )
    }

    /// Keeps the records for which `predicate` is true.
    pub fn filter<F>(&self, predicate: F) -> KStream<K, V>
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        let predicate = Arc::new(predicate);
        let node = self.add(PlanKind::Stateless, "KSTREAM-FILTER", move || Filter {
            predicate: predicate.clone(),
            keep: true,
        });
        self.derive(
            node,
            self.key_serde.clone(),
            self.value_serde.clone(),
            self.key_changed,
        )
    }

    /// Drops the records for which `predicate` is true.
    pub fn filter_not<F>(&self, predicate: F) -> KStream<K, V>
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        let predicate = Arc::new(predicate);
        let node = self.add(PlanKind::Stateless, "KSTREAM-FILTER", move || Filter {
            predicate: predicate.clone(),
            keep: false,
        });
        self.derive(
            node,
            self.key_serde.clone(),
            self.value_serde.clone(),
            self.key_changed,
        )
    }

    /// Replaces each record's key and value. Marks the stream for repartitioning
    /// before stateful operations.
    pub fn map<K2: Data, V2: Data, F>(&self, mapper: F) -> KStream<K2, V2>
    where
        F: Fn(K, V) -> (K2, V2) + Send + Sync + 'static,
    {
        let mapper = Arc::new(mapper);
        let node = self.add(PlanKind::KeyChanging, "KSTREAM-MAP", move || {
            Map(mapper.clone())
        });
        self.derive(node, None, None, true)
    }

    /// Replaces each record's value; keys (and partitioning) are kept.
    pub fn map_values<V2: Data, F>(&self, mapper: F) -> KStream<K, V2>
    where
        F: Fn(V) -> V2 + Send + Sync + 'static,
    {
        self.map_values_with_key(move |_, value| mapper(value))
    }

    /// Replaces each record's value, with read access to its key.
    pub fn map_values_with_key<V2: Data, F>(&self, mapper: F) -> KStream<K, V2>
    where
        F: Fn(&K, V) -> V2 + Send + Sync + 'static,
    {
        let mapper = Arc::new(mapper);
        let node = self.add(PlanKind::Stateless, "KSTREAM-MAPVALUES", move || {
            MapValues(mapper.clone())
        });
        self.derive(node, self.key_serde.clone(), None, self.key_changed)
    }

    /// Replaces each record by zero or more key-value pairs. Marks the stream for
    /// repartitioning.
    pub fn flat_map<K2: Data, V2: Data, I, F>(&self, mapper: F) -> KStream<K2, V2>
    where
        I: IntoIterator<Item = (K2, V2)> + 'static,
        F: Fn(K, V) -> I + Send + Sync + 'static,
    {
        let mapper = Arc::new(mapper);
        let node = self.add(PlanKind::KeyChanging, "KSTREAM-FLATMAP", move || {
            FlatMap(mapper.clone())
        });
        self.derive(node, None, None, true)
    }

    /// Replaces each record by zero or more records with the same key.
    pub fn flat_map_values<V2: Data, I, F>(&self, mapper: F) -> KStream<K, V2>
    where
        I: IntoIterator<Item = V2> + 'static,
        F: Fn(V) -> I + Send + Sync + 'static,
    {
        let mapper = Arc::new(move |_: &K, value: V| mapper(value));
        let node = self.add(PlanKind::Stateless, "KSTREAM-FLATMAPVALUES", move || {
            FlatMapValues(mapper.clone())
        });
        self.derive(node, self.key_serde.clone(), None, self.key_changed)
    }

    /// Sets a new key computed from each record. Marks the stream for repartitioning.
    pub fn select_key<K2: Data, F>(&self, selector: F) -> KStream<K2, V>
    where
        F: Fn(&K, &V) -> K2 + Send + Sync + 'static,
    {
        let selector = Arc::new(selector);
        let node = self.add(PlanKind::KeyChanging, "KSTREAM-KEY-SELECT", move || {
            SelectKey(selector.clone())
        });
        self.derive(node, None, self.value_serde.clone(), true)
    }

    /// Calls `action` for each record and passes it on unchanged.
    pub fn peek<F>(&self, action: F) -> KStream<K, V>
    where
        F: Fn(&K, &V) + Send + Sync + 'static,
    {
        let action = Arc::new(action);
        let node = self.add(PlanKind::Stateless, "KSTREAM-PEEK", move || {
            Peek(action.clone())
        });
        self.derive(
            node,
            self.key_serde.clone(),
            self.value_serde.clone(),
            self.key_changed,
        )
    }

    /// Calls `action` for each record; the end of this branch of the topology.
    pub fn foreach<F>(&self, action: F)
    where
        F: Fn(&K, &V) + Send + Sync + 'static,
    {
        let action = Arc::new(action);
        self.add::<(), (), _, _>(PlanKind::Stateless, "KSTREAM-FOREACH", move || {
            ForEach(action.clone())
        });
    }

    /// Prints every record as a `[label]: key, value` line to standard output
    /// or a file (see [`Printed`]); the end of this branch of the topology.
    /// Meant for debugging: every task of the instance prints, in the order
    /// it processes.
    pub fn print(&self, printed: Printed<K, V>) {
        let mut topology = self.topology.borrow_mut();
        let name = topology.generate_name("KSTREAM-PRINTER");
        let writer: SharedWriter = match &printed.target {
            PrintTarget::StdOut => Arc::new(std::sync::Mutex::new(Box::new(std::io::stdout()))),
            PrintTarget::File(path) => match std::fs::File::create(path) {
                Ok(file) => Arc::new(std::sync::Mutex::new(Box::new(file))),
                Err(error) => {
                    topology.report(TopologyError::PrintFile {
                        node: name,
                        path: path.display().to_string(),
                        reason: error.to_string(),
                    });
                    return;
                }
            },
        };
        let label: Arc<str> = printed.label.unwrap_or_else(|| name.clone()).into();
        let mapper = printed.mapper;
        topology.add_processor::<K, V, (), (), _, _>(
            PlanKind::Stateless,
            name,
            move || Print {
                label: label.clone(),
                mapper: mapper.clone(),
                writer: writer.clone(),
            },
            &[self.node],
        );
    }

    /// A table of the latest value per key of this stream: every record
    /// upserts its key's row (records with a null key are dropped and
    /// counted), in a store with a generated name. Unlike Kafka Streams,
    /// which materializes only when something needs the store, the table is
    /// always materialized (with a changelog). A stream whose keys changed is
    /// repartitioned first.
    pub fn to_table(&self) -> KTable<K, V> {
        self.to_table_with(Materialized::default())
    }

    /// Like [`to_table`](Self::to_table), in the store `materialized`
    /// describes (name, serdes, type, caching, logging), which can be queried.
    pub fn to_table_with(&self, mut materialized: Materialized<K, V>) -> KTable<K, V> {
        let input = if self.key_changed {
            self.implicit_repartition(Repartitioned::default())
        } else {
            self.clone()
        };
        let mut topology = self.topology.borrow_mut();
        if materialized.name.is_none() {
            materialized.name = Some(topology.generate_name("KSTREAM-TOTABLE-STATE-STORE"));
        }
        if materialized.value_serde.is_none() {
            materialized.value_serde = input.value_serde.clone();
        }
        let (store, builder) = materialized.store_builder(&mut topology, input.key_serde.clone());
        topology.add_state_store(builder);
        let name = topology.generate_name("KSTREAM-TOTABLE");
        let store_name: Arc<str> = store.as_str().into();
        let node = topology.add_processor(
            PlanKind::TableSource,
            name,
            move || {
                TableFeed::from_stream(TableSource {
                    store: store_name.clone(),
                    pending: PendingHeaders::default(),
                })
            },
            &[input.node],
        );
        topology.connect_store(&store, node);
        drop(topology);
        KTable::new(
            self.topology.clone(),
            node,
            Some(store),
            materialized.key_serde.or(input.key_serde),
            materialized.value_serde,
        )
    }

    /// Splits the stream into named branches: each record goes to the first branch
    /// whose predicate matches. Branch names are `prefix` + the branch's name.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// let mut branches = builder
    ///     .stream::<String, i64>("amounts", Consumed::default())
    ///     .split("amount-")
    ///     .branch("large", |_, v| *v >= 1_000)
    ///     .branch("negative", |_, v| *v < 0)
    ///     .default_branch("other");
    /// let large = branches.take("amount-large").unwrap();
    /// let other = branches.take("amount-other").unwrap();
    /// ```
    pub fn split(&self, prefix: impl Into<String>) -> BranchedKStream<K, V> {
        BranchedKStream::new(self.clone(), prefix.into())
    }

    /// One stream with the records of both.
    pub fn merge(&self, other: &KStream<K, V>) -> KStream<K, V> {
        let mut topology = self.topology.borrow_mut();
        let name = topology.generate_name("KSTREAM-MERGE");
        let node = topology.add_processor(
            PlanKind::Stateless,
            name,
            || PassThrough,
            &[self.node, other.node],
        );
        drop(topology);
        self.derive(node, None, None, self.key_changed || other.key_changed)
    }

    /// Writes every record to `topic`.
    pub fn to(&self, topic: &str, produced: Produced<K, V>) {
        self.sink(
            SinkTopic::Topic(TopicRef::External(topic.to_string())),
            produced,
        );
    }

    /// Writes each record to the topic `choose` names for it (Kafka Streams'
    /// `TopicNameExtractor`).
    pub fn to_dynamic<F>(&self, choose: F, produced: Produced<K, V>)
    where
        F: Fn(&Record<K, V>) -> String + Send + Sync + 'static,
    {
        self.sink(SinkTopic::PerRecord(Arc::new(choose)), produced);
    }

    fn sink(&self, topic: SinkTopic<K, V>, produced: Produced<K, V>) {
        let mut topology = self.topology.borrow_mut();
        let name = produced
            .name
            .unwrap_or_else(|| topology.generate_name("KSTREAM-SINK"));
        topology.add_sink(
            name,
            topic,
            produced.key_serde.or_else(|| self.key_serde.clone()),
            produced.value_serde.or_else(|| self.value_serde.clone()),
            produced.partitioner,
            &[self.node],
        );
    }

    /// Writes the stream through an internal topic, `<application.id>-<name>-repartition`,
    /// and reads it back: records are re-partitioned by their current key. The
    /// part of the topology after it runs as its own sub-topology, with one
    /// task per partition of the topic (the count
    /// [`Repartitioned::with_number_of_partitions`] sets, or else that of the
    /// topics upstream).
    pub fn repartition(&self, repartitioned: Repartitioned<K, V>) -> KStream<K, V> {
        self.repartition_through(repartitioned, false)
    }

    /// The repartition an aggregation or a join of this re-keyed stream
    /// needs (one the optimizer may merge with its twins).
    pub(crate) fn implicit_repartition(&self, repartitioned: Repartitioned<K, V>) -> KStream<K, V> {
        self.repartition_through(repartitioned, true)
    }

    fn repartition_through(
        &self,
        repartitioned: Repartitioned<K, V>,
        implicit: bool,
    ) -> KStream<K, V> {
        let key_serde = repartitioned.key_serde.or_else(|| self.key_serde.clone());
        let value_serde = repartitioned
            .value_serde
            .or_else(|| self.value_serde.clone());
        let mut topology = self.topology.borrow_mut();
        let name = repartitioned
            .name
            .unwrap_or_else(|| topology.generate_name("KSTREAM-REPARTITION"));
        let source = topology.add_repartition(
            RepartitionSpec {
                name,
                key_serde: key_serde.clone(),
                value_serde: value_serde.clone(),
                partitioner: repartitioned.partitioner,
                partitions: repartitioned.partitions,
                implicit,
            },
            self.node,
        );
        drop(topology);
        self.derive(source, key_serde, value_serde, false)
    }

    /// Runs a custom [`Processor`], created once per task by `supplier`, with
    /// access to the named state stores (added with
    /// [`StreamsBuilder::add_state_store`](crate::StreamsBuilder::add_state_store)).
    /// Its output may have other keys, so the stream is marked for repartitioning.
    pub fn process<K2: Data, V2: Data, P, S>(&self, supplier: S, stores: &[&str]) -> KStream<K2, V2>
    where
        S: Fn() -> P + Send + Sync + 'static,
        P: Processor<K, V, K2, V2> + 'static,
    {
        let node = self.add(PlanKind::KeyChanging, "KSTREAM-PROCESSOR", supplier);
        self.connect_stores(node, stores);
        self.derive(node, None, None, true)
    }

    fn connect_stores<K2, V2>(&self, node: PlanRef<K2, V2>, stores: &[&str]) {
        let mut topology = self.topology.borrow_mut();
        for store in stores {
            topology.connect_store(store, node);
        }
    }

    /// Runs a custom [`FixedKeyProcessor`] with access to the named state stores:
    /// values may change, keys cannot, so partitioning is kept.
    pub fn process_values<V2: Data, P, S>(&self, supplier: S, stores: &[&str]) -> KStream<K, V2>
    where
        S: Fn() -> P + Send + Sync + 'static,
        P: FixedKeyProcessor<K, V, V2> + 'static,
    {
        let node = self.add(PlanKind::Stateless, "KSTREAM-PROCESSVALUES", move || {
            FixedKeyAdapter(supplier())
        });
        self.connect_stores(node, stores);
        self.derive(node, self.key_serde.clone(), None, self.key_changed)
    }
}
