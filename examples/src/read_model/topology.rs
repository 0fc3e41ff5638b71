//! The read-model topology: the three event topics, merged by order id and
//! folded into the `order-views` table, which interactive queries read and
//! whose updates go to the `order-views` topic.

use super::{OrderCreated, OrderEvent, OrderView, PaymentCompleted, StockEvent};
use streams_dsl::prelude::*;

/// Input: [`OrderCreated`] keyed by order id, JSON.
pub const ORDERS_TOPIC: &str = "orders";
/// Input: [`StockEvent`]s keyed by order id, JSON.
pub const INVENTORY_TOPIC: &str = "inventory";
/// Input: [`PaymentCompleted`] keyed by order id, JSON.
pub const PAYMENTS_TOPIC: &str = "payments";
/// Output: every update of an [`OrderView`], keyed by order id, JSON.
pub const ORDER_VIEWS_TOPIC: &str = "order-views";
/// The queryable store of the views (`String` order id to [`OrderView`]).
pub const ORDER_VIEWS_STORE: &str = "order-views";

/// Builds the topology. The three inputs must be co-partitioned (same
/// partition count, keyed by order id), so one task sees all events of an order.
pub fn read_model_topology() -> Result<Topology, TopologyError> {
    let builder = StreamsBuilder::new();
    builder.register_serde(JsonSerde::<OrderCreated>::new());
    builder.register_serde(JsonSerde::<StockEvent>::new());
    builder.register_serde(JsonSerde::<PaymentCompleted>::new());
    builder.register_serde(JsonSerde::<OrderEvent>::new());
    builder.register_serde(JsonSerde::<OrderView>::new());
    let created = builder
        .stream::<String, OrderCreated>(ORDERS_TOPIC, Consumed::default())
        .map_values(OrderEvent::Created);
    let stock = builder
        .stream::<String, StockEvent>(INVENTORY_TOPIC, Consumed::default())
        .map_values(OrderEvent::Stock);
    let paid = builder
        .stream::<String, PaymentCompleted>(PAYMENTS_TOPIC, Consumed::default())
        .map_values(OrderEvent::Paid);
    created
        .merge(&stock)
        .merge(&paid)
        .group_by_key()
        .aggregate(
            OrderView::default,
            |order_id: &String, event, view: OrderView| view.apply(order_id, event),
            Materialized::named(ORDER_VIEWS_STORE),
        )
        .to(ORDER_VIEWS_TOPIC, Produced::default());
    builder.build()
}
