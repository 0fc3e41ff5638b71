//! A fixed, deterministic set of orders and their events, in three rounds
//! (as the events would trickle in), covering every way an order can go:
//! the happy path, events arriving before the order, failed reservations, a
//! refund, a wrong payment and orders still waiting.

use super::{LineItem, OrderCreated, OrderStatus, PaymentCompleted, StockEvent};

/// The events of one round, per topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventBatch {
    /// What happened in this round.
    pub label: &'static str,
    /// For the `orders` topic.
    pub orders: Vec<OrderCreated>,
    /// For the `inventory` topic.
    pub stock: Vec<StockEvent>,
    /// For the `payments` topic.
    pub payments: Vec<PaymentCompleted>,
}

impl EventBatch {
    /// How many events it holds.
    pub fn len(&self) -> usize {
        self.orders.len() + self.stock.len() + self.payments.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How one order's events unfold over the three rounds.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    /// Placed, reserved, paid: in that order.
    HappyPath,
    /// Payment and reservation arrive before the order event.
    OutOfOrder,
    /// Placed, then the warehouse has no stock.
    OutOfStock,
    /// Paid, then the warehouse has no stock.
    Refund,
    /// Reserved, but paid less than the total.
    ShortPayment,
    /// Placed and reserved; no payment yet.
    Unpaid,
}

const SCENARIOS: [Scenario; 6] = [
    Scenario::HappyPath,
    Scenario::OutOfOrder,
    Scenario::HappyPath,
    Scenario::OutOfStock,
    Scenario::Refund,
    Scenario::ShortPayment,
];
const SKUS: [(&str, u64); 5] = [
    ("keyboard", 4_999),
    ("mouse", 2_450),
    ("monitor", 18_900),
    ("cable", 799),
    ("dock", 12_500),
];
const CUSTOMERS: [&str; 4] = ["ada", "grace", "linus", "margaret"];
/// The first event's time: 2026-01-01T00:00:00Z.
const START_MS: i64 = 1_767_225_600_000;

/// The events of `orders` orders (ids `order-0001`...) in three rounds, and the
/// status each order ends in once all rounds are processed.
pub fn generate_events(orders: usize) -> (Vec<EventBatch>, Vec<(String, OrderStatus)>) {
    let mut rounds = [
        EventBatch {
            label: "orders placed (some payments and reservations arrive first)",
            ..EventBatch::default()
        },
        EventBatch {
            label: "warehouse answers",
            ..EventBatch::default()
        },
        EventBatch {
            label: "payments",
            ..EventBatch::default()
        },
    ];
    let mut outcomes = Vec::with_capacity(orders);
    for n in 0..orders {
        let order_id = format!("order-{:04}", n + 1);
        let at = START_MS + n as i64 * 60_000;
        let items: Vec<LineItem> = (0..1 + n % 3)
            .map(|i| {
                let (sku, unit_cents) = SKUS[(n + i) % SKUS.len()];
                LineItem {
                    sku: sku.to_string(),
                    quantity: 1 + ((n + i) % 2) as u32,
                    unit_cents,
                }
            })
            .collect();
        let total: u64 = items
            .iter()
            .map(|item| u64::from(item.quantity) * item.unit_cents)
            .sum();
        let created = OrderCreated {
            order_id: order_id.clone(),
            customer: CUSTOMERS[n % CUSTOMERS.len()].to_string(),
            items: items.clone(),
            at,
        };
        let reserved = StockEvent::StockReserved {
            order_id: order_id.clone(),
            warehouse: format!("wh-{}", n % 2 + 1),
            at: at + 5_000,
        };
        let failed = StockEvent::StockReservationFailed {
            order_id: order_id.clone(),
            sku: items[0].sku.clone(),
            reason: "out of stock".to_string(),
            at: at + 5_000,
        };
        let payment = |amount_cents| PaymentCompleted {
            order_id: order_id.clone(),
            amount_cents,
            method: if n % 2 == 0 { "card" } else { "transfer" }.to_string(),
            at: at + 20_000,
        };
        // The last orders of a run are still waiting for their payment.
        let scenario = if n + 2 >= orders && orders > SCENARIOS.len() {
            Scenario::Unpaid
        } else {
            SCENARIOS[n % SCENARIOS.len()]
        };
        let [first, second, third] = &mut rounds;
        let outcome = match scenario {
            Scenario::HappyPath => {
                first.orders.push(created);
                second.stock.push(reserved);
                third.payments.push(payment(total));
                OrderStatus::Confirmed
            }
            Scenario::OutOfOrder => {
                first.payments.push(payment(total));
                first.stock.push(reserved);
                second.orders.push(created);
                OrderStatus::Confirmed
            }
            Scenario::OutOfStock => {
                first.orders.push(created);
                second.stock.push(failed);
                OrderStatus::Rejected
            }
            Scenario::Refund => {
                first.orders.push(created);
                first.payments.push(payment(total));
                second.stock.push(failed);
                OrderStatus::RefundDue
            }
            Scenario::ShortPayment => {
                first.orders.push(created);
                second.stock.push(reserved);
                third.payments.push(payment(total - 100));
                OrderStatus::PaymentMismatch
            }
            Scenario::Unpaid => {
                first.orders.push(created);
                second.stock.push(reserved);
                OrderStatus::AwaitingPayment
            }
        };
        outcomes.push((order_id, outcome));
    }
    (rounds.into(), outcomes)
}
