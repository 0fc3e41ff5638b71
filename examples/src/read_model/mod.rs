//! The CQRS read model: order, inventory and payment events of an
//! order-management flow materialised into one queryable view per order.

mod generator;
mod http;
mod model;
mod topology;

pub use generator::{EventBatch, generate_events};
pub use http::{HttpResponse, HttpServer, route};
pub use model::{
    LineItem, OrderCreated, OrderEvent, OrderStatus, OrderView, PaymentCompleted, StockEvent,
};
pub use topology::{
    INVENTORY_TOPIC, ORDER_VIEWS_STORE, ORDER_VIEWS_TOPIC, ORDERS_TOPIC, PAYMENTS_TOPIC,
    read_model_topology,
};
