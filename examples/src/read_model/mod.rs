//! The CQRS read model: order, inventory and payment events of an
//! order-management flow materialised into one queryable view per order,
//! served over HTTP by the `streams-http` endpoint ([`serve_order_views`]).

mod generator;
mod model;
mod topology;

pub use generator::{EventBatch, generate_events};
pub use model::{
    LineItem, OrderCreated, OrderEvent, OrderStatus, OrderView, PaymentCompleted, StockEvent,
};
pub use topology::{
    INVENTORY_TOPIC, ORDER_VIEWS_STORE, ORDER_VIEWS_TOPIC, ORDERS_TOPIC, PAYMENTS_TOPIC,
    read_model_topology,
};

/// Serves the order views (`/stores/order-views/keys/{id}`, `/stores/order-views/all`)
/// next to the instance's `/metrics`, `/health`, `/ready` and `/topology`.
pub fn serve_order_views(
    streams: std::sync::Arc<streams_dsl::prelude::KafkaStreams>,
    address: &str,
) -> Result<streams_http::HttpEndpoint, streams_http::HttpError> {
    streams_http::HttpEndpoint::builder()
        .key_value_store_as::<String, OrderView>(ORDER_VIEWS_STORE, OrderView::to_json)
        .start(streams, address)
}
