//! The order-management saga: orders in, an inventory service holding stock
//! per sku, a payment service, and a coordinator per order that completes the
//! order or compensates (releases stock, cancels) when a step fails or times
//! out; the order read model as a queryable table. Events are Avro through
//! the schema registry, in two versions of `OrderCreated`; every event an
//! order causes carries its correlation id.

mod catalog;
mod coordinator;
mod generator;
mod inventory;
mod model;
mod observed;
mod payment;
mod producer;
mod registry;
mod topology;
mod verify;

pub use catalog::{Catalog, EXAMPLE_UNITS};
pub use coordinator::{SAGAS_STORE, Saga, SagaCoordinator, SagaInput, SagaOutput, SagaTiming};
pub use generator::{GeneratedOrder, OrderVersion, generate_orders};
pub use inventory::{Inventory, STOCK_LEVELS_STORE};
pub use model::{
    CORRELATION_ID_HEADER, Item, ORDER_OUTCOME_SCHEMA, ORDER_STATUS_SCHEMA, OrderCreated,
    OrderCreatedV1, OrderOutcome, OrderStatus, Outcome, PAYMENT_EVENT_SCHEMA,
    PAYMENT_REQUESTED_SCHEMA, PaymentEvent, PaymentRequested, STOCK_COMMAND_SCHEMA,
    STOCK_EVENT_SCHEMA, SagaStep, StockAction, StockCommand, StockEvent, StockOutcome,
    order_created_v1_schema, order_created_v2_schema,
};
pub use observed::{Observed, ReadError, SagaEvent, SagaReader};
pub use payment::{PaymentBehaviour, answer_payment};
pub use producer::{ORDERS_SUBJECT, ProduceError, Produced, produce_orders};
pub use registry::{RegistryCallError, set_compatibility, versions};
pub use topology::{
    ORDER_STATUS_STORE, ORDER_STATUS_TOPIC, ORDERS_TOPIC, OUTCOMES_TOPIC, PAYMENT_REQUESTS_TOPIC,
    PAYMENTS_TOPIC, SAGA_TOPICS, STOCK_EVENTS_TOPIC, STOCK_REQUESTS, SagaTopologyError,
    order_saga_topology,
};
pub use verify::{Verdict, verify};
