//! `KTable::join_foreign_key` and `left_join_foreign_key`: table-table joins
//! on a foreign key extracted from the left table's values (KIP-213), wired as
//! Kafka Streams wires them: the left table's updates become subscriptions on
//! an internal topic keyed by foreign key (co-partitioned with the right
//! table), the right side answers on an internal topic keyed by primary key
//! (co-partitioned with the left table), and the left side joins the answers
//! that are not stale. The processors are in `operators::foreign_key_join`.

use crate::operators::{
    CombinedKey, CombinedKeySerde, ForeignKeyExtractor, ForeignUpdate, PendingHeaders,
    ResponseJoin, RowJoiner, Subscription, SubscriptionReceive, SubscriptionResponse,
    SubscriptionResponseSerde, SubscriptionSend, SubscriptionSerde, TableSource,
};
use crate::plan::{PlanKind, PlanRef};
use crate::{Data, KTable, Materialized};
use std::sync::Arc;
use streams_core::partitioner::PartitionerRef;
use streams_core::serde::{OptionSerde, SerdeRef};
use streams_core::state::KeyValueStoreBuilder;
use streams_core::topology::{SinkTopic, TopicRef};

impl<K: Data, V: Data> KTable<K, V> {
    /// Joins each row with the row of `other` whose key `foreign_key` extracts
    /// from the row's value (Kafka Streams' foreign-key `join`, KIP-213): a row
    /// exists in the result, under the left row's key, while its foreign key
    /// is not `None` and `other` has a row for it. Updates on either side
    /// update or delete the joined rows; an update of a right row updates
    /// every left row that refers to it. The result is kept in a store with a
    /// generated name (see [`join_foreign_key_with`](Self::join_foreign_key_with)).
    ///
    /// The two sides may be partitioned differently: the join goes through
    /// two internal topics, `<application.id>-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>-topic`
    /// (keyed by foreign key) and `...-SUBSCRIPTION-RESPONSE-<n>-topic` (keyed
    /// by the left key). A response that answers an older value of its left
    /// row (the row changed while it travelled) is dropped: only the current
    /// value is joined. Foreign keys are compared with `==`.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    ///
    /// let builder = StreamsBuilder::new();
    /// // order id -> product id, and product id -> product name
    /// let orders = builder.table::<String, String>("orders", Consumed::default(), Materialized::default());
    /// let products = builder.table::<String, String>("products", Consumed::default(), Materialized::default());
    /// orders
    ///     .join_foreign_key(&products, |product: &String| Some(product.clone()), |product, name| {
    ///         format!("{product}: {name}")
    ///     })
    ///     .to("order-lines", Produced::default());
    ///
    /// let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    /// let orders_in = driver.input_topic::<String, Option<String>>("orders").unwrap();
    /// let products_in = driver.input_topic::<String, Option<String>>("products").unwrap();
    /// let lines = driver.output_topic::<String, Option<String>>("order-lines").unwrap();
    /// products_in.pipe("p-1", Some("lamp".to_string()), 1).unwrap();
    /// orders_in.pipe("o-1", Some("p-1".to_string()), 2).unwrap();
    /// assert_eq!(lines.read_key_value().unwrap(), ("o-1".into(), Some("p-1: lamp".into())));
    /// products_in.pipe("p-1", Some("desk lamp".to_string()), 3).unwrap();
    /// assert_eq!(lines.read_key_value().unwrap(), ("o-1".into(), Some("p-1: desk lamp".into())));
    /// products_in.pipe("p-1", None, 4).unwrap(); // the product goes: so does the order line
    /// assert_eq!(lines.read_key_value().unwrap(), ("o-1".into(), None));
    /// ```
    pub fn join_foreign_key<KO, VO, VR, F, J>(
        &self,
        other: &KTable<KO, VO>,
        foreign_key: F,
        joiner: J,
    ) -> KTable<K, VR>
    where
        KO: Data + PartialEq,
        VO: Data,
        VR: Data,
        F: Fn(&V) -> Option<KO> + Send + Sync + 'static,
        J: Fn(V, VO) -> VR + Send + Sync + 'static,
    {
        self.join_foreign_key_with(other, foreign_key, joiner, Materialized::default())
    }

    /// Like [`join_foreign_key`](Self::join_foreign_key), keeping the result in
    /// the store `materialized` describes (name, serdes, type, caching,
    /// logging), which can be queried. With caching on (the default), updates
    /// of a joined row between commits reach downstream once.
    pub fn join_foreign_key_with<KO, VO, VR, F, J>(
        &self,
        other: &KTable<KO, VO>,
        foreign_key: F,
        joiner: J,
        materialized: Materialized<K, VR>,
    ) -> KTable<K, VR>
    where
        KO: Data + PartialEq,
        VO: Data,
        VR: Data,
        F: Fn(&V) -> Option<KO> + Send + Sync + 'static,
        J: Fn(V, VO) -> VR + Send + Sync + 'static,
    {
        self.foreign_key_join(
            other,
            Arc::new(foreign_key),
            Arc::new(move |left, right| match (left, right) {
                (Some(left), Some(right)) => Some(joiner(left, right)),
                _ => None,
            }),
            false,
            materialized,
        )
    }

    /// Like [`join_foreign_key`](Self::join_foreign_key), but a row exists in
    /// the result while the left row does: the joiner gets `None` when the
    /// foreign key is `None` or `other` has no row for it (as in Kafka
    /// Streams, a `None` foreign key is answered by the right side like a
    /// missing row, not joined on the left side at once).
    pub fn left_join_foreign_key<KO, VO, VR, F, J>(
        &self,
        other: &KTable<KO, VO>,
        foreign_key: F,
        joiner: J,
    ) -> KTable<K, VR>
    where
        KO: Data + PartialEq,
        VO: Data,
        VR: Data,
        F: Fn(&V) -> Option<KO> + Send + Sync + 'static,
        J: Fn(V, Option<VO>) -> VR + Send + Sync + 'static,
    {
        self.left_join_foreign_key_with(other, foreign_key, joiner, Materialized::default())
    }

    /// Like [`left_join_foreign_key`](Self::left_join_foreign_key), keeping the
    /// result in the store `materialized` describes.
    pub fn left_join_foreign_key_with<KO, VO, VR, F, J>(
        &self,
        other: &KTable<KO, VO>,
        foreign_key: F,
        joiner: J,
        materialized: Materialized<K, VR>,
    ) -> KTable<K, VR>
    where
        KO: Data + PartialEq,
        VO: Data,
        VR: Data,
        F: Fn(&V) -> Option<KO> + Send + Sync + 'static,
        J: Fn(V, Option<VO>) -> VR + Send + Sync + 'static,
    {
        self.foreign_key_join(
            other,
            Arc::new(foreign_key),
            Arc::new(move |left, right| left.map(|left| joiner(left, right))),
            true,
            materialized,
        )
    }

    fn foreign_key_join<KO, VO, VR>(
        &self,
        other: &KTable<KO, VO>,
        foreign_key: ForeignKeyExtractor<V, KO>,
        joiner: RowJoiner<V, VO, VR>,
        left_join: bool,
        mut materialized: Materialized<K, VR>,
    ) -> KTable<K, VR>
    where
        KO: Data + PartialEq,
        VO: Data,
        VR: Data,
    {
        let left_store: Arc<str> = self.unversioned_store_name("a foreign-key join").into();
        let right_store: Arc<str> = other.unversioned_store_name("a foreign-key join").into();
        let left_node = self.node_sending_old_values();
        let mut topology = self.topology().borrow_mut();

        // Serdes of the internal records: from the tables' own serdes when they
        // have them, otherwise derived at build() from the registered ones.
        topology
            .serdes_mut()
            .derive::<Subscription<K>, K>(|key| Arc::new(SubscriptionSerde::new(key)))
            .derive::<SubscriptionResponse<VO>, VO>(|value| {
                Arc::new(SubscriptionResponseSerde::new(value))
            })
            .derive_pair::<CombinedKey<KO, K>, KO, K>(|foreign, primary| {
                Arc::new(CombinedKeySerde::new(foreign, primary))
            });
        let primary_key_serde = self.key_serde();
        let foreign_key_serde = other.key_serde();
        let subscription_serde = primary_key_serde
            .clone()
            .map(|key| Arc::new(SubscriptionSerde::new(key)) as SerdeRef<Subscription<K>>);
        let response_serde = other.value_serde().map(|value| {
            Arc::new(SubscriptionResponseSerde::new(value)) as SerdeRef<SubscriptionResponse<VO>>
        });
        let combined_key_serde = foreign_key_serde
            .clone()
            .zip(primary_key_serde.clone())
            .map(|(foreign, primary)| {
                Arc::new(CombinedKeySerde::new(foreign, primary)) as SerdeRef<CombinedKey<KO, K>>
            });
        // A left join sends rows without a foreign key with a null key.
        let registration_key_serde =
            foreign_key_serde.map(|key| Arc::new(OptionSerde::new(key)) as SerdeRef<Option<KO>>);

        // Left side: each update sends its subscriptions.
        let registration = topology.generate_name("KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION");
        let registration_topic = TopicRef::Internal(format!("{registration}-topic"));
        let store = left_store.clone();
        let send = topology.add_processor(
            PlanKind::Join,
            registration.clone(),
            move || SubscriptionSend {
                foreign_key: foreign_key.clone(),
                left_store: store.clone(),
                left_join,
            },
            &[left_node],
        );
        topology.connect_store(&left_store, send);
        topology.add_sink(
            format!("{registration}-sink"),
            SinkTopic::Topic(registration_topic.clone()),
            registration_key_serde.clone(),
            subscription_serde.clone(),
            None,
            &[send],
        );

        // Right side: subscriptions are stored and answered; an update of a
        // right row answers its subscribers.
        let subscriptions = topology.generate_name("KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE");
        topology.add_state_store(
            KeyValueStoreBuilder::<CombinedKey<KO, K>, Subscription<K>>::persistent(
                subscriptions.clone(),
            )
            .with_serdes(combined_key_serde, subscription_serde.clone())
            .with_caching(false),
        );
        let source = topology.add_source::<Option<KO>, Subscription<K>>(
            format!("{registration}-source"),
            vec![registration_topic],
            registration_key_serde,
            subscription_serde,
            None,
        );
        let receive_name = topology.generate_name("KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR");
        let (store, right) = (
            Arc::<str>::from(subscriptions.as_str()),
            right_store.clone(),
        );
        let receive: PlanRef<K, SubscriptionResponse<VO>> = topology.add_processor(
            PlanKind::Join,
            receive_name,
            move || SubscriptionReceive {
                subscriptions: store.clone(),
                right_store: right.clone(),
            },
            &[source],
        );
        topology.connect_store(&subscriptions, receive);
        topology.connect_store(&right_store, receive);
        let update_name = topology.generate_name("KTABLE-FK-JOIN-FOREIGN-PROCESSOR");
        let store = Arc::<str>::from(subscriptions.as_str());
        let update: PlanRef<K, SubscriptionResponse<VO>> = topology.add_processor(
            PlanKind::Join,
            update_name,
            move || ForeignUpdate {
                subscriptions: store.clone(),
            },
            &[other.node()],
        );
        topology.connect_store(&subscriptions, update);

        // Responses go back to the left row's partition.
        let response = topology.generate_name("KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE");
        let response_topic = TopicRef::Internal(format!("{response}-topic"));
        let to_primary_partition: PartitionerRef<K, SubscriptionResponse<VO>> = Arc::new(
            |_topic: &str,
             _key: &K,
             response: Option<&SubscriptionResponse<VO>>,
             partitions: i32| {
                response
                    .map(|response| response.primary_partition)
                    .filter(|partition| (0..partitions).contains(partition))
            },
        );
        topology.add_sink(
            format!("{response}-sink"),
            SinkTopic::Topic(response_topic.clone()),
            primary_key_serde.clone(),
            response_serde.clone(),
            Some(to_primary_partition),
            &[receive, update],
        );
        let responses = topology.add_source::<K, SubscriptionResponse<VO>>(
            format!("{response}-source"),
            vec![response_topic],
            primary_key_serde.clone(),
            response_serde,
            None,
        );
        let resolver_name =
            topology.generate_name("KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR");
        let store = left_store.clone();
        let resolved: PlanRef<K, Option<VR>> = topology.add_processor(
            PlanKind::Join,
            resolver_name,
            move || ResponseJoin {
                left_store: store.clone(),
                joiner: joiner.clone(),
            },
            &[responses],
        );
        topology.connect_store(&left_store, resolved);

        // The result table.
        if materialized.name.is_none() {
            materialized.name = Some(topology.generate_name("KTABLE-FK-JOIN-OUTPUT-STATE-STORE"));
        }
        let (result_store, builder) =
            materialized.store_builder(&mut topology, primary_key_serde.clone());
        topology.add_state_store(builder);
        let output_name = topology.generate_name("KTABLE-FK-JOIN-OUTPUT");
        let store = Arc::<str>::from(result_store.as_str());
        let output = topology.add_processor(
            PlanKind::TableSource,
            output_name,
            move || TableSource {
                store: store.clone(),
                pending: PendingHeaders::default(),
            },
            &[resolved],
        );
        topology.connect_store(&result_store, output);
        drop(topology);
        KTable::new(
            self.topology().clone(),
            output,
            Some(result_store),
            materialized.key_serde.or(primary_key_serde),
            materialized.value_serde,
        )
    }
}
