//! `KTable<K, V>`: a changelog stream seen as a table — the latest value per key.

use crate::operators::{
    PassThrough, PendingHeaders, RightSide, RowJoiner, Suppress, TableFeed, TableFilter,
    TableGetter, TableGroupBy, TableMapValues, TableMaterialize, TableSource, TableTableJoin,
    TableToStream,
};
use crate::plan::{LogicalPlan, PlanKind, PlanRef, TableLookup, TableRead};
use crate::suppressed::{BufferTime, SuppressUntil};
use crate::{Data, Grouped, KGroupedTable, KStream, Materialized, Produced, Suppressed};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use streams_core::processor::Processor;
use streams_core::record::Change;
use streams_core::serde::SerdeRef;
use streams_core::state::{KeyValueStoreBuilder, SuppressionBufferBuilder};
use streams_core::topology::TopologyError;

/// A table: each record is an update (upsert, or delete for a null value) of its
/// key's row. Internally its records carry both the new and the old value
/// (`Change<V>`) so aggregations over it can subtract what was replaced.
pub struct KTable<K, V> {
    topology: Rc<RefCell<LogicalPlan>>,
    node: PlanRef<K, Change<V>>,
    store: Option<String>,
    key_serde: Option<SerdeRef<K>>,
    value_serde: Option<SerdeRef<V>>,
    /// The grace period of the windows of the windowed aggregation this table
    /// comes from (through key-preserving, stateless operators), which says when
    /// its windows close for `Suppressed::until_window_closes`.
    window_grace_ms: Option<i64>,
    /// For a table out of a stream aggregation: whether its caching store
    /// reads old values for what it forwards. Off until an operator that reads
    /// this table's old values (anything but `to_stream`/`to`) is attached.
    send_old_values: Option<Arc<AtomicBool>>,
    /// For a table without a store of its own: how a join reads its row of
    /// a key through the store it is derived from (`None`: it must be
    /// materialized to be read). A table with a store is read from it.
    derived_getter: Option<TableGetter<K, V>>,
    /// The history retention of `store` when it is a versioned store (a
    /// source table materialized with `Materialized::versioned`).
    history_retention: Option<Duration>,
}

impl<K, V> Clone for KTable<K, V> {
    fn clone(&self) -> Self {
        Self {
            topology: self.topology.clone(),
            node: self.node,
            store: self.store.clone(),
            key_serde: self.key_serde.clone(),
            value_serde: self.value_serde.clone(),
            window_grace_ms: self.window_grace_ms,
            send_old_values: self.send_old_values.clone(),
            derived_getter: self.derived_getter.clone(),
            history_retention: self.history_retention,
        }
    }
}

impl<K: Data, V: Data> KTable<K, V> {
    pub(crate) fn new(
        topology: Rc<RefCell<LogicalPlan>>,
        node: PlanRef<K, Change<V>>,
        store: Option<String>,
        key_serde: Option<SerdeRef<K>>,
        value_serde: Option<SerdeRef<V>>,
    ) -> Self {
        Self {
            derived_getter: None,
            topology,
            node,
            store,
            key_serde,
            value_serde,
            window_grace_ms: None,
            send_old_values: None,
            history_retention: None,
        }
    }

    /// Marks this table's store as versioned, keeping history for
    /// `history_retention`.
    pub(crate) fn with_versioned_store(mut self, history_retention: Duration) -> Self {
        self.history_retention = Some(history_retention);
        self
    }

    /// Whether this table is materialized in a versioned store.
    pub fn is_versioned(&self) -> bool {
        self.history_retention.is_some()
    }

    /// The history retention of this table's versioned store, if it has one.
    pub(crate) fn history_retention(&self) -> Option<Duration> {
        self.history_retention
    }

    /// The store holding this table's rows for `operation`, which cannot
    /// read a versioned store (reported when the topology is built).
    pub(crate) fn unversioned_store_name(&self, operation: &'static str) -> String {
        let store = self.materialized_store_name();
        if self.is_versioned() {
            self.topology
                .borrow_mut()
                .report(TopologyError::VersionedStoreUnsupported {
                    store: store.clone(),
                    operation,
                });
        }
        store
    }

    /// Marks this table as coming out of an aggregation whose store reads old
    /// values only while `flag` is set; operators reading old values set it.
    pub(crate) fn with_send_old_values_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.send_old_values = Some(flag);
        self
    }

    /// This table's node, to attach an operator that reads old values: makes
    /// the store forward them (Kafka Streams' `enableSendingOldValues`).
    pub(crate) fn node_sending_old_values(&self) -> PlanRef<K, Change<V>> {
        if let Some(flag) = &self.send_old_values {
            flag.store(true, Ordering::Relaxed);
        }
        self.node
    }

    /// The topology this table belongs to.
    pub(crate) fn topology(&self) -> &Rc<RefCell<LogicalPlan>> {
        &self.topology
    }

    /// This table's node, for an operator that reads only new values.
    pub(crate) fn node(&self) -> PlanRef<K, Change<V>> {
        self.node
    }

    /// The serde of this table's keys, when one was given.
    pub(crate) fn key_serde(&self) -> Option<SerdeRef<K>> {
        self.key_serde.clone()
    }

    /// The serde of this table's values, when one was given.
    pub(crate) fn value_serde(&self) -> Option<SerdeRef<V>> {
        self.value_serde.clone()
    }

    /// Marks this table as the result of a windowed aggregation whose windows
    /// close `grace_ms` after their end (windowed aggregations call this).
    pub(crate) fn with_window_grace(mut self, grace_ms: i64) -> Self {
        self.window_grace_ms = Some(grace_ms);
        self
    }

    /// A table derived from this one by a key-preserving stateless operator:
    /// it keeps the window grace.
    fn derived<V2: Data>(
        &self,
        node: PlanRef<K, Change<V2>>,
        value_serde: Option<SerdeRef<V2>>,
    ) -> KTable<K, V2> {
        KTable {
            window_grace_ms: self.window_grace_ms,
            ..KTable::new(
                self.topology.clone(),
                node,
                None,
                self.key_serde.clone(),
                value_serde,
            )
        }
    }

    /// The store holding this table's rows, if it is materialized.
    pub fn store_name(&self) -> Option<&str> {
        self.store.as_deref()
    }

    /// How this table's rows are read by key, if they can be without
    /// materializing it: its store, or the one it is derived from.
    fn getter(&self) -> Option<TableGetter<K, V>> {
        match &self.store {
            Some(store) => Some(TableGetter::of_store(store, self.is_versioned())),
            None => self.derived_getter.clone(),
        }
    }

    /// How a join reads this table: through its store, or for a derived
    /// table through a lookup node of the plan (materializing it, or reading
    /// it through the store it comes from under `topology.optimization=all`).
    pub(crate) fn read(&self) -> TableRead<K, V> {
        if let Some(store) = &self.store {
            return TableRead::through(store, TableGetter::of_store(store, self.is_versioned()));
        }
        let mut topology = self.topology.borrow_mut();
        let store = topology.generate_name("KTABLE-MATERIALIZE-STATE-STORE");
        let name = topology.generate_name("KTABLE-MATERIALIZE");
        let read = TableRead::later(&store);
        topology.add_node::<(), (), _, _>(
            PlanKind::TableSource,
            name,
            &[self.node_sending_old_values()],
            Box::new(TableLookup {
                store,
                key_serde: self.key_serde.clone(),
                value_serde: self.value_serde.clone(),
                getter: self.derived_getter.clone(),
                read: read.clone(),
            }),
        );
        read
    }

    /// The store holding this table's rows, adding one (fed from this table's
    /// updates) if the table is derived and has none yet.
    pub(crate) fn materialized_store_name(&self) -> String {
        if let Some(store) = &self.store {
            return store.clone();
        }
        let mut topology = self.topology.borrow_mut();
        let store = topology.generate_name("KTABLE-MATERIALIZE-STATE-STORE");
        topology.add_state_store(
            KeyValueStoreBuilder::<K, V>::persistent(store.clone())
                .with_serdes(self.key_serde.clone(), self.value_serde.clone()),
        );
        let name = topology.generate_name("KTABLE-MATERIALIZE");
        let store_name: Arc<str> = store.as_str().into();
        let node = topology.add_processor(
            PlanKind::TableSource,
            name,
            move || TableMaterialize {
                store: store_name.clone(),
            },
            &[self.node_sending_old_values()],
        );
        topology.connect_store(&store, node);
        store
    }

    /// This derived table kept in the store `materialized` describes (named,
    /// typed, cached and logged as it says; the store name defaults to
    /// `<operator>-STATE-STORE-<n>`): the returned table is read from that
    /// store, so joins use it and interactive queries find it by its name.
    fn materialize_as(&self, mut materialized: Materialized<K, V>, operator: &str) -> KTable<K, V> {
        let mut topology = self.topology.borrow_mut();
        if materialized.name.is_none() {
            materialized.name = Some(topology.generate_name(&format!("{operator}-STATE-STORE")));
        }
        if materialized.value_serde.is_none() {
            materialized.value_serde = self.value_serde.clone();
        }
        let key_serde = materialized.key_serde.clone().or(self.key_serde.clone());
        let value_serde = materialized.value_serde.clone();
        let (store, builder) = materialized.store_builder(&mut topology, self.key_serde.clone());
        topology.add_state_store(builder);
        let name = topology.generate_name("KTABLE-MATERIALIZED");
        let store_name: Arc<str> = store.as_str().into();
        let node = topology.add_processor(
            PlanKind::TableSource,
            name,
            move || {
                TableFeed::from_table(TableSource {
                    store: store_name.clone(),
                    pending: PendingHeaders::default(),
                })
            },
            &[self.node],
        );
        topology.connect_store(&store, node);
        drop(topology);
        KTable {
            window_grace_ms: self.window_grace_ms,
            ..KTable::new(
                self.topology.clone(),
                node,
                Some(store),
                key_serde,
                value_serde,
            )
        }
    }

    /// Renames the node this table comes out of (only before anything is
    /// attached to it; `build()` reports a later rename).
    pub(crate) fn rename_node(&self, name: String) {
        self.topology.borrow_mut().rename(self.node, name);
    }

    /// The name of the node this table comes out of.
    pub fn node_name(&self) -> String {
        // A processor attached by name may read old values.
        self.topology
            .borrow()
            .node_name(self.node_sending_old_values())
            .to_string()
    }

    fn add<V2: Data, P, S>(
        &self,
        kind: PlanKind,
        prefix: &str,
        supplier: S,
    ) -> PlanRef<K, Change<V2>>
    where
        S: Fn() -> P + Send + Sync + 'static,
        P: Processor<K, Change<V>, K, Change<V2>> + 'static,
    {
        let mut topology = self.topology.borrow_mut();
        let name = topology.generate_name(prefix);
        topology.add_processor(kind, name, supplier, &[self.node_sending_old_values()])
    }

    fn filter_keeping<F>(&self, predicate: Arc<F>, keep: bool) -> KTable<K, V>
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        let shared = predicate.clone();
        let node = self.add(PlanKind::Stateless, "KTABLE-FILTER", move || TableFilter {
            predicate: shared.clone(),
            keep,
        });
        KTable {
            derived_getter: self.getter().map(|getter| getter.filtered(predicate, keep)),
            ..self.derived(node, self.value_serde.clone())
        }
    }

    /// Keeps the rows `predicate` accepts; a row that stops matching is deleted
    /// downstream.
    pub fn filter<F>(&self, predicate: F) -> KTable<K, V>
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        self.filter_keeping(Arc::new(predicate), true)
    }

    /// Drops the rows `predicate` accepts.
    pub fn filter_not<F>(&self, predicate: F) -> KTable<K, V>
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        self.filter_keeping(Arc::new(predicate), false)
    }

    /// Like [`filter`](Self::filter), with the result kept in the store
    /// `materialized` describes (Kafka Streams' `filter(predicate,
    /// Materialized)`): queryable by its name, logged to its changelog, and
    /// read by joins downstream instead of a store of their own. With caching
    /// on, updates of a key between commits reach downstream once.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// let accounts = builder.table::<String, i64>("balances", Consumed::default(), Materialized::default());
    /// accounts
    ///     .filter_materialized(|_, balance| *balance < 0, Materialized::named("overdrawn"))
    ///     .to("overdrawn-accounts", Produced::default());
    /// let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    /// let balances = driver.input_topic::<String, Option<i64>>("balances").unwrap();
    /// balances.pipe("alice", Some(-20), 1).unwrap();
    /// balances.pipe("bob", Some(15), 2).unwrap();
    /// let rows = driver.key_value_store_entries::<String, i64>("overdrawn").unwrap();
    /// assert_eq!(rows.len(), 1);
    /// assert_eq!((rows[0].0.as_str(), rows[0].1.value), ("alice", -20));
    /// ```
    pub fn filter_materialized<F>(
        &self,
        predicate: F,
        materialized: Materialized<K, V>,
    ) -> KTable<K, V>
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        self.filter(predicate)
            .materialize_as(materialized, "KTABLE-FILTER")
    }

    /// Like [`filter_not`](Self::filter_not), with the result kept in the
    /// store `materialized` describes (see [`filter_materialized`](Self::filter_materialized)).
    pub fn filter_not_materialized<F>(
        &self,
        predicate: F,
        materialized: Materialized<K, V>,
    ) -> KTable<K, V>
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        self.filter_not(predicate)
            .materialize_as(materialized, "KTABLE-FILTER")
    }

    /// Maps each row's value.
    pub fn map_values<V2: Data, F>(&self, mapper: F) -> KTable<K, V2>
    where
        F: Fn(V) -> V2 + Send + Sync + 'static,
    {
        let mapper = Arc::new(move |_: &K, value: V| mapper(value));
        let shared = mapper.clone();
        let node = self.add(PlanKind::Stateless, "KTABLE-MAPVALUES", move || {
            TableMapValues(shared.clone())
        });
        KTable {
            derived_getter: self.getter().map(|getter| getter.mapped(mapper)),
            ..self.derived(node, None)
        }
    }

    /// Like [`map_values`](Self::map_values), with the result kept in the
    /// store `materialized` describes (see [`filter_materialized`](Self::filter_materialized));
    /// its value serde is the one `materialized` gives or the default for `V2`.
    pub fn map_values_materialized<V2: Data, F>(
        &self,
        mapper: F,
        materialized: Materialized<K, V2>,
    ) -> KTable<K, V2>
    where
        F: Fn(V) -> V2 + Send + Sync + 'static,
    {
        self.map_values(mapper)
            .materialize_as(materialized, "KTABLE-MAPVALUES")
    }

    fn join_tables<V2: Data, VR: Data>(
        &self,
        other: &KTable<K, V2>,
        prefix: &str,
        joiner: RowJoiner<V, V2, VR>,
    ) -> KTable<K, VR> {
        let this_table = self.read();
        let other_table = other.read();
        let mut topology = self.topology.borrow_mut();
        let left_name = topology.generate_name(&format!("{prefix}THIS"));
        let (rows, left_joiner) = (other_table.rows.clone(), joiner.clone());
        let left = topology.add_processor(
            PlanKind::Join,
            left_name,
            move || TableTableJoin {
                other: rows.clone(),
                joiner: left_joiner.clone(),
            },
            &[self.node_sending_old_values()],
        );
        topology.connect_later_stores(other_table.stores.clone(), left);
        let right_name = topology.generate_name(&format!("{prefix}OTHER"));
        let (rows, right_joiner) = (this_table.rows.clone(), joiner.clone());
        let right = topology.add_processor(
            PlanKind::Join,
            right_name,
            move || RightSide {
                other: rows.clone(),
                joiner: right_joiner.clone(),
            },
            &[other.node],
        );
        topology.connect_later_stores(this_table.stores.clone(), right);
        let merge_name = topology.generate_name("KTABLE-MERGE");
        let merged = topology.add_processor(
            PlanKind::Stateless,
            merge_name,
            || PassThrough,
            &[left, right],
        );
        drop(topology);
        let derived_getter = match (self.getter(), other.getter()) {
            (Some(this), Some(that)) => Some(this.joined(that, joiner)),
            _ => None,
        };
        KTable {
            derived_getter,
            ..KTable::new(
                self.topology.clone(),
                merged,
                None,
                self.key_serde.clone(),
                None,
            )
        }
    }

    /// Joins two tables on their keys: a row exists in the result while both
    /// sides have one. Updates on either side update (or delete) the joined row.
    pub fn join<V2: Data, VR: Data, F>(&self, other: &KTable<K, V2>, joiner: F) -> KTable<K, VR>
    where
        F: Fn(V, V2) -> VR + Send + Sync + 'static,
    {
        self.join_tables(
            other,
            "KTABLE-JOIN",
            Arc::new(move |left, right| match (left, right) {
                (Some(left), Some(right)) => Some(joiner(left, right)),
                _ => None,
            }),
        )
    }

    /// Like [`join`](Self::join), but a row exists while the left side has one
    /// (the joiner gets `None` for a missing right row).
    pub fn left_join<V2: Data, VR: Data, F>(
        &self,
        other: &KTable<K, V2>,
        joiner: F,
    ) -> KTable<K, VR>
    where
        F: Fn(V, Option<V2>) -> VR + Send + Sync + 'static,
    {
        self.join_tables(
            other,
            "KTABLE-LEFTJOIN",
            Arc::new(move |left, right| left.map(|left| joiner(left, right))),
        )
    }

    /// A row exists while either side has one; the joiner gets `None` for the
    /// missing side.
    pub fn outer_join<V2: Data, VR: Data, F>(
        &self,
        other: &KTable<K, V2>,
        joiner: F,
    ) -> KTable<K, VR>
    where
        F: Fn(Option<V>, Option<V2>) -> VR + Send + Sync + 'static,
    {
        self.join_tables(
            other,
            "KTABLE-OUTERJOIN",
            Arc::new(move |left, right| match (left, right) {
                (None, None) => None,
                (left, right) => Some(joiner(left, right)),
            }),
        )
    }

    /// Like [`join`](Self::join), with the joined rows kept in the store
    /// `materialized` describes (see [`filter_materialized`](Self::filter_materialized)).
    pub fn join_materialized<V2: Data, VR: Data, F>(
        &self,
        other: &KTable<K, V2>,
        joiner: F,
        materialized: Materialized<K, VR>,
    ) -> KTable<K, VR>
    where
        F: Fn(V, V2) -> VR + Send + Sync + 'static,
    {
        self.join(other, joiner)
            .materialize_as(materialized, "KTABLE-JOIN")
    }

    /// Like [`left_join`](Self::left_join), with the joined rows kept in the
    /// store `materialized` describes (see [`filter_materialized`](Self::filter_materialized)).
    pub fn left_join_materialized<V2: Data, VR: Data, F>(
        &self,
        other: &KTable<K, V2>,
        joiner: F,
        materialized: Materialized<K, VR>,
    ) -> KTable<K, VR>
    where
        F: Fn(V, Option<V2>) -> VR + Send + Sync + 'static,
    {
        self.left_join(other, joiner)
            .materialize_as(materialized, "KTABLE-LEFTJOIN")
    }

    /// Like [`outer_join`](Self::outer_join), with the joined rows kept in the
    /// store `materialized` describes (see [`filter_materialized`](Self::filter_materialized)).
    pub fn outer_join_materialized<V2: Data, VR: Data, F>(
        &self,
        other: &KTable<K, V2>,
        joiner: F,
        materialized: Materialized<K, VR>,
    ) -> KTable<K, VR>
    where
        F: Fn(Option<V>, Option<V2>) -> VR + Send + Sync + 'static,
    {
        self.outer_join(other, joiner)
            .materialize_as(materialized, "KTABLE-OUTERJOIN")
    }

    /// Holds updates back and forwards fewer of them, as `suppressed` says:
    /// only each window's final result ([`Suppressed::until_window_closes`], for
    /// the table of a windowed aggregation), or at most one update per key per
    /// time limit ([`Suppressed::until_time_limit`]). The buffer is kept in
    /// memory and logged to its changelog; its time is stream time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use streams_dsl::prelude::*;
    ///
    /// let builder = StreamsBuilder::new();
    /// builder
    ///     .stream::<String, String>("clicks", Consumed::default())
    ///     .group_by_key()
    ///     .windowed_by(TimeWindows::of_size_and_grace(Duration::from_millis(100), Duration::from_millis(10)))
    ///     .count(Materialized::default())
    ///     .suppress(Suppressed::until_window_closes(BufferConfig::unbounded()))
    ///     .to("final-counts", Produced::default());
    /// let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    /// let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    /// let counts = driver.output_topic::<Windowed<String>, Option<i64>>("final-counts").unwrap();
    /// clicks.pipe("page", "click", 10).unwrap();
    /// clicks.pipe("page", "click", 20).unwrap();
    /// clicks.pipe("page", "click", 105).unwrap();
    /// assert!(counts.is_empty()); // [0, 100) is still open for late records
    /// clicks.pipe("page", "click", 110).unwrap(); // stream time reaches its end + grace
    /// let (window, count) = counts.read_key_value().unwrap();
    /// assert_eq!((window.window.end, count), (100, Some(2)));
    /// assert!(counts.is_empty());
    /// ```
    pub fn suppress(&self, suppressed: Suppressed<K>) -> KTable<K, V> {
        let Suppressed {
            name,
            until,
            buffer,
            ..
        } = suppressed;
        let mut topology = self.topology.borrow_mut();
        let (node_name, store) = match name {
            Some(name) => {
                let store = format!("{name}-store");
                (name, store)
            }
            None => (
                topology.generate_name("KTABLE-SUPPRESS"),
                topology.generate_name("KTABLE-SUPPRESS-STATE-STORE"),
            ),
        };
        let (buffer_time, wait_ms, drop_tombstones): (BufferTime<K>, i64, bool) = match until {
            SuppressUntil::WindowCloses(window_end) => {
                let grace_ms = self.window_grace_ms.unwrap_or_else(|| {
                    topology.report(TopologyError::SuppressWithoutWindowGrace {
                        node: node_name.clone(),
                    });
                    0
                });
                (window_end, grace_ms, true)
            }
            SuppressUntil::TimeLimit(limit) => (
                Arc::new(|_: &K, timestamp| timestamp),
                i64::try_from(limit.as_millis()).unwrap_or(i64::MAX),
                false,
            ),
        };
        let store_builder = buffer.changelog.apply(
            SuppressionBufferBuilder::<K, V>::new(store.clone())
                .with_serdes(self.key_serde.clone(), self.value_serde.clone()),
        );
        topology.add_state_store(store_builder);
        let (name, store_name, buffer) = (
            Arc::<str>::from(node_name.as_str()),
            Arc::<str>::from(store.as_str()),
            Arc::new(buffer),
        );
        let node = topology.add_processor(
            PlanKind::Suppress,
            node_name,
            move || Suppress {
                name: name.clone(),
                store: store_name.clone(),
                buffer_time: buffer_time.clone(),
                wait_ms,
                buffer: buffer.clone(),
                drop_tombstones,
                observed_stream_time: i64::MIN,
            },
            &[self.node_sending_old_values()],
        );
        topology.connect_store(&store, node);
        drop(topology);
        self.derived(node, self.value_serde.clone())
    }

    /// The table's updates as a stream: each row's new value, `None` for deletes.
    pub fn to_stream(&self) -> KStream<K, Option<V>> {
        let mut topology = self.topology.borrow_mut();
        let name = topology.generate_name("KTABLE-TOSTREAM");
        let node =
            topology.add_processor(PlanKind::Stateless, name, || TableToStream, &[self.node]);
        drop(topology);
        KStream::new(
            self.topology.clone(),
            node,
            self.key_serde.clone(),
            None,
            false,
        )
    }

    /// Writes the table's updates to `topic` (deletes as tombstones).
    pub fn to(&self, topic: &str, produced: Produced<K, Option<V>>) {
        self.to_stream().to(topic, produced);
    }

    /// Re-keys rows for an aggregation; each update subtracts the old row from its
    /// old group and adds the new row to its new group (through a repartition topic).
    pub fn group_by<K2: Data, V2: Data, F>(&self, selector: F) -> KGroupedTable<K2, V2>
    where
        F: Fn(&K, V) -> (K2, V2) + Send + Sync + 'static,
    {
        self.group_by_with(selector, Grouped::default())
    }

    /// Like [`group_by`](Self::group_by), with the name and serdes of
    /// `grouped`: the aggregation repartitions through
    /// `<application.id>-<name>-repartition`, written and read with its serdes.
    pub fn group_by_with<K2: Data, V2: Data, F>(
        &self,
        selector: F,
        grouped: Grouped<K2, V2>,
    ) -> KGroupedTable<K2, V2>
    where
        F: Fn(&K, V) -> (K2, V2) + Send + Sync + 'static,
    {
        let selector: crate::operators::RowSelector<K, V, K2, V2> = Arc::new(selector);
        let mut topology = self.topology.borrow_mut();
        let name = topology.generate_name("KTABLE-SELECT");
        let node = topology.add_processor(
            PlanKind::KeyChanging,
            name,
            move || TableGroupBy {
                selector: selector.clone(),
            },
            &[self.node_sending_old_values()],
        );
        drop(topology);
        KGroupedTable::new(self.topology.clone(), node, grouped)
    }
}
