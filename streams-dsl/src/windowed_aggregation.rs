//! Wiring shared by the windowed aggregations (time, session and sliding
//! windows): the store's retention check, the `Windowed<K>` serde, the
//! repartition of re-keyed input, and the aggregating processor.

use crate::plan::PlanKind;
use crate::{Data, KStream, KTable, Materialized, Repartitioned};
use std::sync::Arc;
use std::time::Duration;
use streams_core::processor::Processor;
use streams_core::record::{Change, Windowed};
use streams_core::serde::{SerdeRef, WindowedSerde};
use streams_core::state::{KeyValueStoreBuilder, StoreBuilder};
use streams_core::topology::TopologyError;

/// A windowed store about to be declared: its name, its settings from
/// `Materialized`, and the retention it keeps windows for.
pub(crate) struct WindowedStore<K, VA> {
    pub(crate) name: String,
    pub(crate) settings: KeyValueStoreBuilder<K, VA>,
    pub(crate) retention: Duration,
}

/// Declares the store of a windowed aggregation from `materialized`: the
/// retention is the one asked for, else `minimum`; one below `minimum` is
/// reported at build time with `too_short(store, retention, minimum)`.
pub(crate) fn windowed_store<K: Data, V: Data, VA: Data>(
    stream: &KStream<K, V>,
    materialized: &mut Materialized<K, VA>,
    minimum: Duration,
    too_short: fn(String, u128, u128) -> TopologyError,
) -> WindowedStore<K, VA> {
    let mut builder = stream.topology().borrow_mut();
    let (name, settings) = materialized.store_builder(&mut builder, stream.key_serde());
    let retention = materialized.retention.unwrap_or(minimum);
    if retention < minimum {
        builder.report(too_short(
            name.clone(),
            retention.as_millis(),
            minimum.as_millis(),
        ));
    }
    WindowedStore {
        name,
        settings,
        retention,
    }
}

/// Adds `store` and the aggregating processor made by `supplier` after
/// `stream` (repartitioned first when its key changed), returning the table of
/// windowed aggregates.
pub(crate) fn add_windowed_aggregation<K, V, VA, P, F>(
    stream: &KStream<K, V>,
    store_name: String,
    store: impl StoreBuilder + 'static,
    value_serde: Option<SerdeRef<VA>>,
    supplier: F,
) -> KTable<Windowed<K>, VA>
where
    K: Data,
    V: Data,
    VA: Data,
    F: Fn() -> P + Send + Sync + 'static,
    P: Processor<K, V, Windowed<K>, Change<VA>> + 'static,
{
    let topology = stream.topology().clone();
    let mut builder = topology.borrow_mut();
    builder.add_state_store(store);
    builder
        .serdes_mut()
        .derive::<Windowed<K>, K>(|inner| Arc::new(WindowedSerde::new(inner)));
    drop(builder);
    let input = if stream.is_key_changed() {
        stream.implicit_repartition(Repartitioned::default().named(store_name.clone()))
    } else {
        stream.clone()
    };
    let mut builder = topology.borrow_mut();
    let name = builder.generate_name("KSTREAM-AGGREGATE");
    let node = builder.add_processor(PlanKind::Stateful, name, supplier, &[input.node()]);
    builder.connect_store(&store_name, node);
    drop(builder);
    let key_serde = input
        .key_serde()
        .map(|inner| Arc::new(WindowedSerde::new(inner)) as SerdeRef<Windowed<K>>);
    KTable::new(topology, node, Some(store_name), key_serde, value_serde)
}
