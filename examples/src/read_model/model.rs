//! Events of the order-management flow (JSON on their topics) and the order
//! view they fold into. Each event fills in its own part of the view, so the
//! view is the same whatever order the events arrive in, and a repeated event
//! changes nothing.

use serde::{Deserialize, Serialize};

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// Stock-keeping unit.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// Price of one, in cents.
    pub unit_cents: u64,
}

/// A customer placed an order (topic `orders`, keyed by order id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    /// The order id.
    pub order_id: String,
    /// Who ordered.
    pub customer: String,
    /// What was ordered.
    pub items: Vec<LineItem>,
    /// When, in milliseconds since the epoch.
    pub at: i64,
}

/// The warehouse's answer to an order (topic `inventory`, keyed by order id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum StockEvent {
    /// Every item of the order is reserved.
    StockReserved {
        /// The order id.
        order_id: String,
        /// The warehouse holding the items.
        warehouse: String,
        /// When, in milliseconds since the epoch.
        at: i64,
    },
    /// An item is out of stock; the order cannot be fulfilled.
    StockReservationFailed {
        /// The order id.
        order_id: String,
        /// The item that is missing.
        sku: String,
        /// Why.
        reason: String,
        /// When, in milliseconds since the epoch.
        at: i64,
    },
}

/// The customer paid (topic `payments`, keyed by order id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentCompleted {
    /// The order id.
    pub order_id: String,
    /// Amount paid, in cents.
    pub amount_cents: u64,
    /// Card, transfer, ...
    pub method: String,
    /// When, in milliseconds since the epoch.
    pub at: i64,
}

/// Any event of the flow, as the topology merges them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderEvent {
    /// From `orders`.
    Created(OrderCreated),
    /// From `inventory`.
    Stock(StockEvent),
    /// From `payments`.
    Paid(PaymentCompleted),
}

/// Where an order stands, derived from the events seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    /// Inventory or payment events arrived, but not the order itself yet.
    AwaitingOrderDetails,
    /// Placed; the warehouse has not answered.
    AwaitingStock,
    /// Stock reserved; not paid yet.
    AwaitingPayment,
    /// Paid, but the warehouse has not answered yet.
    PaidAwaitingStock,
    /// Stock reserved and paid in full: ready to ship.
    Confirmed,
    /// Stock reserved but the payment does not match the order total.
    PaymentMismatch,
    /// The warehouse could not reserve the stock.
    Rejected,
    /// Rejected after the customer paid: the payment must be refunded.
    RefundDue,
}

/// The read model of one order: everything a customer-service screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderView {
    /// The order id.
    pub order_id: String,
    /// Who ordered, once the order event arrived.
    pub customer: Option<String>,
    /// The ordered items.
    pub items: Vec<LineItem>,
    /// Sum of quantity times unit price, once the order event arrived.
    pub total_cents: Option<u64>,
    /// Amount paid.
    pub paid_cents: Option<u64>,
    /// How it was paid.
    pub payment_method: Option<String>,
    /// The warehouse that reserved the items.
    pub warehouse: Option<String>,
    /// Why the reservation failed, if it did.
    pub rejection: Option<String>,
    /// When the order was placed.
    pub created_at: Option<i64>,
    /// When the warehouse answered.
    pub stock_answered_at: Option<i64>,
    /// When it was paid.
    pub paid_at: Option<i64>,
    /// The latest event time seen.
    pub updated_at: i64,
    /// How many events went into this view.
    pub events: u32,
}

impl OrderView {
    /// The view after `event`, applied to this one.
    pub fn apply(mut self, order_id: &str, event: OrderEvent) -> Self {
        self.order_id = order_id.to_string();
        self.events += 1;
        let at = match event {
            OrderEvent::Created(created) => {
                self.total_cents = Some(
                    created
                        .items
                        .iter()
                        .map(|item| u64::from(item.quantity) * item.unit_cents)
                        .sum(),
                );
                self.customer = Some(created.customer);
                self.items = created.items;
                self.created_at = Some(created.at);
                created.at
            }
            OrderEvent::Stock(StockEvent::StockReserved { warehouse, at, .. }) => {
                // A failure is final: a later (or replayed) reservation does not undo it.
                if self.rejection.is_none() {
                    self.warehouse = Some(warehouse);
                    self.stock_answered_at = Some(at);
                }
                at
            }
            OrderEvent::Stock(StockEvent::StockReservationFailed {
                sku, reason, at, ..
            }) => {
                self.warehouse = None;
                self.rejection = Some(format!("{sku}: {reason}"));
                self.stock_answered_at = Some(at);
                at
            }
            OrderEvent::Paid(payment) => {
                self.paid_cents = Some(payment.amount_cents);
                self.payment_method = Some(payment.method);
                self.paid_at = Some(payment.at);
                payment.at
            }
        };
        self.updated_at = self.updated_at.max(at);
        self
    }

    /// Where the order stands.
    pub fn status(&self) -> OrderStatus {
        let paid = self.paid_cents.is_some();
        if self.rejection.is_some() {
            return if paid {
                OrderStatus::RefundDue
            } else {
                OrderStatus::Rejected
            };
        }
        let Some(total) = self.total_cents else {
            return OrderStatus::AwaitingOrderDetails;
        };
        match (self.warehouse.is_some(), self.paid_cents) {
            (false, None) => OrderStatus::AwaitingStock,
            (false, Some(_)) => OrderStatus::PaidAwaitingStock,
            (true, None) => OrderStatus::AwaitingPayment,
            (true, Some(paid)) if paid == total => OrderStatus::Confirmed,
            (true, Some(_)) => OrderStatus::PaymentMismatch,
        }
    }

    /// The view as the HTTP endpoint shows it: its fields and its status.
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(object) = json.as_object_mut() {
            object.insert(
                "status".into(),
                serde_json::to_value(self.status()).unwrap_or(serde_json::Value::Null),
            );
        }
        json
    }
}
