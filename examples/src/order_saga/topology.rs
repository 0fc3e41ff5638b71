//! The order-saga topology. Four sub-topologies meet through topics:
//!
//! - the coordinator, keyed by order id, reads `saga-orders`, `saga-stock-events`
//!   and `saga-payments` (co-partitioned: same partition count, same key) and
//!   writes stock commands, payment requests, outcomes and status rows;
//! - the inventory, keyed by sku: the commands reach it through the
//!   `stock-requests` repartition topic (`select_key` by sku), and its answers go
//!   back to `saga-stock-events`, keyed by order id;
//! - the payment service reads `saga-payment-requests` and answers on `saga-payments`;
//! - the read model: `saga-order-status` as a table, materialized in the
//!   queryable `order-status` store.
//!
//! Every event is Avro through the schema registry (subjects `<topic>-value`,
//! the repartition topic's and the changelogs' included); the sagas' own state
//! is JSON in the `sagas` store.

use super::{
    Catalog, Inventory, OrderCreated, OrderOutcome, OrderStatus, PaymentEvent, PaymentRequested,
    SAGAS_STORE, STOCK_LEVELS_STORE, Saga, SagaCoordinator, SagaInput, SagaOutput, SagaTiming,
    StockCommand, StockEvent, answer_payment, model,
};
use std::sync::Arc;
use streams_dsl::prelude::*;
use streams_schema_registry::{
    AvroSerde, RegistryError, RegistrySerdeConfig, SchemaRegistryClient,
};

/// Input: `OrderCreated` (v1 or v2) keyed by order id, with a `correlation-id` header.
pub const ORDERS_TOPIC: &str = "saga-orders";
/// The inventory's answers, keyed by order id.
pub const STOCK_EVENTS_TOPIC: &str = "saga-stock-events";
/// The coordinator's payment requests, keyed by order id.
pub const PAYMENT_REQUESTS_TOPIC: &str = "saga-payment-requests";
/// The payment service's answers, keyed by order id.
pub const PAYMENTS_TOPIC: &str = "saga-payments";
/// OrderCompleted / OrderCancelled, one per order, keyed by order id.
pub const OUTCOMES_TOPIC: &str = "saga-order-outcomes";
/// Every step of every order, keyed by order id: the read model's input.
pub const ORDER_STATUS_TOPIC: &str = "saga-order-status";
/// The read model: the latest [`OrderStatus`] per order id, queryable.
pub const ORDER_STATUS_STORE: &str = "order-status";
/// Name of the repartition topic carrying stock commands keyed by sku.
pub const STOCK_REQUESTS: &str = "stock-requests";

/// Every topic the application reads or writes (besides its internal ones),
/// all with the same partition count.
pub const SAGA_TOPICS: [&str; 6] = [
    ORDERS_TOPIC,
    STOCK_EVENTS_TOPIC,
    PAYMENT_REQUESTS_TOPIC,
    PAYMENTS_TOPIC,
    OUTCOMES_TOPIC,
    ORDER_STATUS_TOPIC,
];

/// Why the topology could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SagaTopologyError {
    /// A schema did not parse.
    #[error("order-saga schema: {0}")]
    Schema(#[from] RegistryError),
    /// The DSL refused the topology.
    #[error(transparent)]
    Topology(#[from] TopologyError),
}

/// Registers an Avro serde for `T` with `schema` on `builder`.
fn avro<T: serde::Serialize + serde::de::DeserializeOwned + 'static>(
    builder: &StreamsBuilder,
    registry: &Arc<dyn SchemaRegistryClient>,
    schema: &str,
) -> Result<(), RegistryError> {
    builder.register_serde(AvroSerde::<T>::new(
        registry.clone(),
        schema,
        RegistrySerdeConfig::default(),
    )?);
    Ok(())
}

/// Builds the saga against `registry`, with `catalog`'s initial stock and the
/// coordinator's `timing`.
pub fn order_saga_topology(
    registry: Arc<dyn SchemaRegistryClient>,
    catalog: Catalog,
    timing: SagaTiming,
) -> Result<Topology, SagaTopologyError> {
    let builder = StreamsBuilder::new();
    avro::<OrderCreated>(&builder, &registry, &model::order_created_v2_schema())?;
    avro::<StockCommand>(&builder, &registry, model::STOCK_COMMAND_SCHEMA)?;
    avro::<StockEvent>(&builder, &registry, model::STOCK_EVENT_SCHEMA)?;
    avro::<PaymentRequested>(&builder, &registry, model::PAYMENT_REQUESTED_SCHEMA)?;
    avro::<PaymentEvent>(&builder, &registry, model::PAYMENT_EVENT_SCHEMA)?;
    avro::<OrderOutcome>(&builder, &registry, model::ORDER_OUTCOME_SCHEMA)?;
    avro::<OrderStatus>(&builder, &registry, model::ORDER_STATUS_SCHEMA)?;
    builder.register_serde(JsonSerde::<Saga>::new());
    builder.add_state_store(KeyValueStoreBuilder::<String, Saga>::persistent(
        SAGAS_STORE,
    ));
    builder.add_state_store(KeyValueStoreBuilder::<String, i64>::persistent(
        STOCK_LEVELS_STORE,
    ));

    let created = builder
        .stream::<String, OrderCreated>(ORDERS_TOPIC, Consumed::default())
        .map_values(SagaInput::Created);
    let stock = builder
        .stream::<String, StockEvent>(STOCK_EVENTS_TOPIC, Consumed::default())
        .map_values(SagaInput::Stock);
    let payments = builder
        .stream::<String, PaymentEvent>(PAYMENTS_TOPIC, Consumed::default())
        .map_values(SagaInput::Payment);
    let out = created
        .merge(&stock)
        .merge(&payments)
        .process(move || SagaCoordinator::new(timing), &[SAGAS_STORE]);

    out.flat_map_values(|output| match output {
        SagaOutput::Stock(command) => Some(command),
        _ => None,
    })
    .select_key(|_, command| command.sku.clone())
    .repartition(Repartitioned::default().named(STOCK_REQUESTS))
    .process(
        move || Inventory::new(catalog.clone()),
        &[STOCK_LEVELS_STORE],
    )
    .to(STOCK_EVENTS_TOPIC, Produced::default());

    out.flat_map_values(|output| match output {
        SagaOutput::Payment(request) => Some(request),
        _ => None,
    })
    .to(PAYMENT_REQUESTS_TOPIC, Produced::default());
    out.flat_map_values(|output| match output {
        SagaOutput::Outcome(outcome) => Some(outcome),
        _ => None,
    })
    .to(OUTCOMES_TOPIC, Produced::default());
    out.flat_map_values(|output| match output {
        SagaOutput::Status(status) => Some(status),
        _ => None,
    })
    .to(ORDER_STATUS_TOPIC, Produced::default());

    builder
        .stream::<String, PaymentRequested>(PAYMENT_REQUESTS_TOPIC, Consumed::default())
        .flat_map_values(answer_payment)
        .to(PAYMENTS_TOPIC, Produced::default());

    builder.table::<String, OrderStatus>(
        ORDER_STATUS_TOPIC,
        Consumed::default(),
        Materialized::named(ORDER_STATUS_STORE),
    );
    Ok(builder.build()?)
}
