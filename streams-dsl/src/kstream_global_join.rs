//! Stream-GlobalKTable joins: each stream record looks up the row of the key a
//! selector picks from it in a global table, which holds every key on every
//! instance, so the stream is neither repartitioned nor co-partitioned.

use crate::operators::{GlobalKeySelector, GlobalRow, StreamTableJoin, StreamTableJoiner};
use crate::plan::PlanKind;
use crate::{Data, GlobalKTable, KStream};
use std::sync::Arc;

impl<K: Data, V: Data> KStream<K, V> {
    fn join_global_table<KG: Data, VG: Data, VR: Data>(
        &self,
        table: &GlobalKTable<KG, VG>,
        prefix: &str,
        left: bool,
        selector: GlobalKeySelector<K, V, KG>,
        joiner: StreamTableJoiner<V, VG, VR>,
    ) -> KStream<K, VR> {
        let mut topology = self.topology().borrow_mut();
        let name = topology.generate_name(prefix);
        let value_serde = self.value_serde().or_else(|| topology.serdes().get::<V>());
        let store: Arc<str> = table.store_name().into();
        let node = topology.add_processor(
            PlanKind::Join,
            name,
            move || StreamTableJoin {
                rows: GlobalRow {
                    store: store.clone(),
                    selector: selector.clone(),
                },
                joiner: joiner.clone(),
                left,
                value_serde: value_serde.clone(),
                grace: None,
            },
            &[self.node()],
        );
        drop(topology);
        KStream::new(
            self.topology().clone(),
            node,
            self.key_serde(),
            None,
            self.is_key_changed(),
        )
    }

    /// Joins each record with the row of the global table whose key
    /// `key_selector` picks from it, as the table is when the record is
    /// processed (Kafka Streams' `join(GlobalKTable, KeyValueMapper,
    /// ValueJoiner)`). Records whose key has no row produce nothing; records
    /// with a null value, or whose selected key is null, are dropped and
    /// counted in `dropped_records`. The stream keeps its keys and partitions.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// let countries = builder.global_table::<String, String>(
    ///     "countries",
    ///     Consumed::default(),
    ///     Materialized::named("countries"),
    /// );
    /// builder
    ///     .stream::<String, String>("orders", Consumed::default())
    ///     .join_global(&countries, |_, order| order[..2].to_string(), |order, country| format!("{order} to {country}"))
    ///     .to("orders-with-country", Produced::default());
    /// let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    /// driver.input_topic::<String, Option<String>>("countries").unwrap()
    ///     .pipe("FR", Some("France".to_string()), 0).unwrap();
    /// driver.input_topic::<String, String>("orders").unwrap()
    ///     .pipe("order-1", "FR-42", 1).unwrap();
    /// let out = driver.output_topic::<String, String>("orders-with-country").unwrap();
    /// assert_eq!(out.read_key_value().unwrap(), ("order-1".to_string(), "FR-42 to France".to_string()));
    /// ```
    pub fn join_global<KG: Data, VG: Data, VR: Data, S, F>(
        &self,
        table: &GlobalKTable<KG, VG>,
        key_selector: S,
        joiner: F,
    ) -> KStream<K, VR>
    where
        S: Fn(&K, &V) -> KG + Send + Sync + 'static,
        F: Fn(V, VG) -> VR + Send + Sync + 'static,
    {
        self.join_global_table(
            table,
            "KSTREAM-JOIN",
            false,
            Arc::new(key_selector),
            Arc::new(move |value, row| row.map(|row| joiner(value, row))),
        )
    }

    /// Like [`join_global`](Self::join_global), but every record with a value
    /// produces output: the joiner gets `None` when the selected key has no
    /// row or is null (KIP-962); records with a null value are dropped.
    pub fn left_join_global<KG: Data, VG: Data, VR: Data, S, F>(
        &self,
        table: &GlobalKTable<KG, VG>,
        key_selector: S,
        joiner: F,
    ) -> KStream<K, VR>
    where
        S: Fn(&K, &V) -> KG + Send + Sync + 'static,
        F: Fn(V, Option<VG>) -> VR + Send + Sync + 'static,
    {
        self.join_global_table(
            table,
            "KSTREAM-LEFTJOIN",
            true,
            Arc::new(key_selector),
            Arc::new(move |value, row| Some(joiner(value, row))),
        )
    }
}
