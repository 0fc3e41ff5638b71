//! The events of the order saga and their Avro schemas. Every event names its
//! order; those that concern stock also name the sku. `OrderCreated` has two
//! versions: v2 adds an optional `coupon` (default null), so a reader with the
//! v2 schema reads records written with either.

use serde::{Deserialize, Serialize};

/// The header every event of an order carries, set on its `OrderCreated`.
pub const CORRELATION_ID_HEADER: &str = "correlation-id";

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Stock-keeping unit.
    pub sku: String,
    /// How many units.
    pub quantity: i32,
}

/// A customer placed an order (topic `saga-orders`, keyed by order id), as the
/// topology reads it: schema v2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    /// The order id.
    pub order_id: String,
    /// Who ordered.
    pub customer: String,
    /// What was ordered: one line per sku.
    pub items: Vec<Item>,
    /// What the customer pays, in cents.
    pub amount_cents: i64,
    /// A coupon code (v2; `None` in records written with v1).
    pub coupon: Option<String>,
}

/// `OrderCreated` as producers of the first version write it (no coupon).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreatedV1 {
    /// The order id.
    pub order_id: String,
    /// Who ordered.
    pub customer: String,
    /// What was ordered: one line per sku.
    pub items: Vec<Item>,
    /// What the customer pays, in cents.
    pub amount_cents: i64,
}

/// What the coordinator asks the inventory to do with an order's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StockAction {
    /// Take the units out of the available stock, if there are enough.
    Reserve,
    /// Put units reserved earlier back (compensation).
    Release,
}

/// A command to the inventory (the `stock-requests` repartition topic, keyed by sku).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockCommand {
    /// The order the units are for.
    pub order_id: String,
    /// Which sku.
    pub sku: String,
    /// How many units.
    pub quantity: i32,
    /// Reserve or release.
    pub action: StockAction,
}

/// What the inventory did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StockOutcome {
    /// `StockReserved`: the units are taken.
    Reserved,
    /// `StockReservationFailed`: not enough units; nothing was taken.
    ReservationFailed,
    /// `StockReleased`: reserved units are back in stock.
    Released,
}

/// The inventory's answer (topic `saga-stock-events`, keyed by order id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockEvent {
    /// The order.
    pub order_id: String,
    /// The sku.
    pub sku: String,
    /// The units the command named.
    pub quantity: i32,
    /// What happened.
    pub outcome: StockOutcome,
    /// The sku's available units after it.
    pub stock_after: i64,
}

/// The coordinator asks for payment once every line is reserved (topic
/// `saga-payment-requests`, keyed by order id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequested {
    /// The order.
    pub order_id: String,
    /// Who pays.
    pub customer: String,
    /// How much, in cents.
    pub amount_cents: i64,
}

/// The payment service's answer (topic `saga-payments`, keyed by order id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvent {
    /// The order.
    pub order_id: String,
    /// `true`: PaymentCompleted; `false`: PaymentFailed.
    pub completed: bool,
    /// Why it failed, if it did.
    pub reason: Option<String>,
}

/// How an order's saga ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// `OrderCompleted`: stock reserved and paid.
    Completed,
    /// `OrderCancelled`: a step failed or timed out; reserved stock is released.
    Cancelled,
}

/// The end of an order's saga (topic `saga-order-outcomes`, keyed by order id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderOutcome {
    /// The order.
    pub order_id: String,
    /// Completed or cancelled.
    pub outcome: Outcome,
    /// Why it was cancelled.
    pub reason: Option<String>,
}

/// Where an order stands, as the read model shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SagaStep {
    /// Waiting for the inventory's answers.
    ReservingStock,
    /// Every line reserved; waiting for the payment.
    AwaitingPayment,
    /// Done: reserved and paid.
    Completed,
    /// Done: compensated.
    Cancelled,
}

/// One row of the order read model (store and topic `saga-order-status`,
/// keyed by order id): the latest step of the order's saga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatus {
    /// The order.
    pub order_id: String,
    /// Who ordered.
    pub customer: String,
    /// The step it is at.
    pub step: SagaStep,
    /// Why it was cancelled, once it is.
    pub reason: Option<String>,
    /// The coupon the order came with (v2 orders).
    pub coupon: Option<String>,
}

/// The Avro type of an order line, defined once and referenced by name.
const ITEM: &str = r#"{"type":"record","name":"Item","fields":[
  {"name":"sku","type":"string"},{"name":"quantity","type":"int"}]}"#;

/// `OrderCreated` v1.
pub fn order_created_v1_schema() -> String {
    format!(
        r#"{{"type":"record","name":"OrderCreated","namespace":"rstreams.saga","fields":[
  {{"name":"order_id","type":"string"}},{{"name":"customer","type":"string"}},
  {{"name":"items","type":{{"type":"array","items":{ITEM}}}}},
  {{"name":"amount_cents","type":"long"}}]}}"#
    )
}

/// `OrderCreated` v2: v1 and an optional `coupon`, default null (BACKWARD
/// compatible: a v2 reader reads v1 records).
pub fn order_created_v2_schema() -> String {
    format!(
        r#"{{"type":"record","name":"OrderCreated","namespace":"rstreams.saga","fields":[
  {{"name":"order_id","type":"string"}},{{"name":"customer","type":"string"}},
  {{"name":"items","type":{{"type":"array","items":{ITEM}}}}},
  {{"name":"amount_cents","type":"long"}},
  {{"name":"coupon","type":["null","string"],"default":null}}]}}"#
    )
}

/// `StockCommand`.
pub const STOCK_COMMAND_SCHEMA: &str = r#"{"type":"record","name":"StockCommand","namespace":"rstreams.saga","fields":[
  {"name":"order_id","type":"string"},{"name":"sku","type":"string"},{"name":"quantity","type":"int"},
  {"name":"action","type":{"type":"enum","name":"StockAction","symbols":["Reserve","Release"]}}]}"#;

/// `StockEvent`.
pub const STOCK_EVENT_SCHEMA: &str = r#"{"type":"record","name":"StockEvent","namespace":"rstreams.saga","fields":[
  {"name":"order_id","type":"string"},{"name":"sku","type":"string"},{"name":"quantity","type":"int"},
  {"name":"outcome","type":{"type":"enum","name":"StockOutcome","symbols":["Reserved","ReservationFailed","Released"]}},
  {"name":"stock_after","type":"long"}]}"#;

/// `PaymentRequested`.
pub const PAYMENT_REQUESTED_SCHEMA: &str = r#"{"type":"record","name":"PaymentRequested","namespace":"rstreams.saga","fields":[
  {"name":"order_id","type":"string"},{"name":"customer","type":"string"},{"name":"amount_cents","type":"long"}]}"#;

/// `PaymentEvent`.
pub const PAYMENT_EVENT_SCHEMA: &str = r#"{"type":"record","name":"PaymentEvent","namespace":"rstreams.saga","fields":[
  {"name":"order_id","type":"string"},{"name":"completed","type":"boolean"},
  {"name":"reason","type":["null","string"],"default":null}]}"#;

/// `OrderOutcome`.
pub const ORDER_OUTCOME_SCHEMA: &str = r#"{"type":"record","name":"OrderOutcome","namespace":"rstreams.saga","fields":[
  {"name":"order_id","type":"string"},
  {"name":"outcome","type":{"type":"enum","name":"Outcome","symbols":["Completed","Cancelled"]}},
  {"name":"reason","type":["null","string"],"default":null}]}"#;

/// `OrderStatus`.
pub const ORDER_STATUS_SCHEMA: &str = r#"{"type":"record","name":"OrderStatus","namespace":"rstreams.saga","fields":[
  {"name":"order_id","type":"string"},{"name":"customer","type":"string"},
  {"name":"step","type":{"type":"enum","name":"SagaStep","symbols":["ReservingStock","AwaitingPayment","Completed","Cancelled"]}},
  {"name":"reason","type":["null","string"],"default":null},
  {"name":"coupon","type":["null","string"],"default":null}]}"#;
