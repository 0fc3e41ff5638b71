//! The read-model topology on the TopologyTestDriver: each event kind, events
//! out of order, failed reservations and the generated demo flow.

use examples::read_model::{
    INVENTORY_TOPIC, LineItem, ORDER_VIEWS_STORE, ORDER_VIEWS_TOPIC, ORDERS_TOPIC, OrderCreated,
    OrderStatus, OrderView, PAYMENTS_TOPIC, PaymentCompleted, StockEvent, generate_events,
    read_model_topology,
};
use std::collections::BTreeMap;
use streams_dsl::prelude::*;

const T0: i64 = 1_767_225_600_000;

fn created(id: &str) -> OrderCreated {
    OrderCreated {
        order_id: id.into(),
        customer: "ada".into(),
        items: vec![
            LineItem {
                sku: "keyboard".into(),
                quantity: 2,
                unit_cents: 4_999,
            },
            LineItem {
                sku: "cable".into(),
                quantity: 1,
                unit_cents: 799,
            },
        ],
        at: T0,
    }
}

fn reserved(id: &str) -> StockEvent {
    StockEvent::StockReserved {
        order_id: id.into(),
        warehouse: "wh-1".into(),
        at: T0 + 5_000,
    }
}

fn failed(id: &str) -> StockEvent {
    StockEvent::StockReservationFailed {
        order_id: id.into(),
        sku: "keyboard".into(),
        reason: "out of stock".into(),
        at: T0 + 5_000,
    }
}

fn paid(id: &str, amount_cents: u64) -> PaymentCompleted {
    PaymentCompleted {
        order_id: id.into(),
        amount_cents,
        method: "card".into(),
        at: T0 + 20_000,
    }
}

/// One event on its topic.
enum Event {
    Created(OrderCreated),
    Stock(StockEvent),
    Paid(PaymentCompleted),
}

struct Flow {
    driver: TopologyTestDriver,
}

impl Flow {
    fn new() -> Self {
        Self {
            driver: TopologyTestDriver::new(read_model_topology().unwrap()).unwrap(),
        }
    }

    fn send(&self, key: &str, event: Event) {
        let key = key.to_string();
        match event {
            Event::Created(e) => {
                let at = e.at;
                self.driver
                    .input_topic::<String, OrderCreated>(ORDERS_TOPIC)
                    .unwrap()
                    .pipe(key, e, at)
                    .unwrap();
            }
            Event::Stock(e) => {
                let at = match &e {
                    StockEvent::StockReserved { at, .. }
                    | StockEvent::StockReservationFailed { at, .. } => *at,
                };
                self.driver
                    .input_topic::<String, StockEvent>(INVENTORY_TOPIC)
                    .unwrap()
                    .pipe(key, e, at)
                    .unwrap();
            }
            Event::Paid(e) => {
                let at = e.at;
                self.driver
                    .input_topic::<String, PaymentCompleted>(PAYMENTS_TOPIC)
                    .unwrap()
                    .pipe(key, e, at)
                    .unwrap();
            }
        }
    }

    /// Sends the events in order; returns the status of each view update.
    fn run(&self, key: &str, events: Vec<Event>) -> Vec<OrderStatus> {
        for event in events {
            self.send(key, event);
        }
        self.updates()
            .into_iter()
            .map(|(_, view)| view.status())
            .collect()
    }

    fn updates(&self) -> Vec<(String, OrderView)> {
        self.driver
            .output_topic::<String, Option<OrderView>>(ORDER_VIEWS_TOPIC)
            .unwrap()
            .read_key_values()
            .unwrap()
            .into_iter()
            .map(|(key, view)| (key, view.expect("views are never deleted")))
            .collect()
    }

    fn stored(&self) -> BTreeMap<String, OrderView> {
        self.driver
            .key_value_store_entries::<String, OrderView>(ORDER_VIEWS_STORE)
            .unwrap()
            .into_iter()
            .map(|(key, entry)| (key, entry.value))
            .collect()
    }
}

#[test]
fn each_event_kind_fills_in_its_part_of_the_view() {
    let flow = Flow::new();
    let statuses = flow.run(
        "o-1",
        vec![
            Event::Created(created("o-1")),
            Event::Stock(reserved("o-1")),
            Event::Paid(paid("o-1", 10_797)),
        ],
    );
    assert_eq!(
        statuses,
        [
            OrderStatus::AwaitingStock,
            OrderStatus::AwaitingPayment,
            OrderStatus::Confirmed
        ]
    );
    let view = flow.stored().remove("o-1").unwrap();
    assert_eq!(view.order_id, "o-1");
    assert_eq!(view.customer.as_deref(), Some("ada"));
    assert_eq!(view.items, created("o-1").items);
    assert_eq!(view.total_cents, Some(2 * 4_999 + 799));
    assert_eq!(view.paid_cents, Some(10_797));
    assert_eq!(view.payment_method.as_deref(), Some("card"));
    assert_eq!(view.warehouse.as_deref(), Some("wh-1"));
    assert_eq!(view.rejection, None);
    assert_eq!(view.created_at, Some(T0));
    assert_eq!(view.stock_answered_at, Some(T0 + 5_000));
    assert_eq!(view.paid_at, Some(T0 + 20_000));
    assert_eq!(view.updated_at, T0 + 20_000);
    assert_eq!(view.events, 3);
}

#[test]
fn payment_before_stock_waits_for_the_warehouse() {
    let flow = Flow::new();
    let statuses = flow.run(
        "o-2",
        vec![
            Event::Created(created("o-2")),
            Event::Paid(paid("o-2", 10_797)),
            Event::Stock(reserved("o-2")),
        ],
    );
    assert_eq!(
        statuses,
        [
            OrderStatus::AwaitingStock,
            OrderStatus::PaidAwaitingStock,
            OrderStatus::Confirmed
        ]
    );
}

#[test]
fn events_out_of_order_end_in_the_same_view() {
    let in_order = Flow::new();
    in_order.run(
        "o-3",
        vec![
            Event::Created(created("o-3")),
            Event::Stock(reserved("o-3")),
            Event::Paid(paid("o-3", 10_797)),
        ],
    );
    let out_of_order = Flow::new();
    let statuses = out_of_order.run(
        "o-3",
        vec![
            Event::Paid(paid("o-3", 10_797)),
            Event::Stock(reserved("o-3")),
            Event::Created(created("o-3")),
        ],
    );
    assert_eq!(
        statuses,
        [
            OrderStatus::AwaitingOrderDetails,
            OrderStatus::AwaitingOrderDetails,
            OrderStatus::Confirmed
        ]
    );
    assert_eq!(out_of_order.stored(), in_order.stored());
}

#[test]
fn a_failed_reservation_rejects_the_order_and_a_payment_makes_it_a_refund() {
    let flow = Flow::new();
    let statuses = flow.run(
        "o-4",
        vec![
            Event::Created(created("o-4")),
            Event::Stock(failed("o-4")),
            Event::Paid(paid("o-4", 10_797)),
            // A late reservation does not undo the failure.
            Event::Stock(reserved("o-4")),
        ],
    );
    assert_eq!(
        statuses,
        [
            OrderStatus::AwaitingStock,
            OrderStatus::Rejected,
            OrderStatus::RefundDue,
            OrderStatus::RefundDue
        ]
    );
    let view = flow.stored().remove("o-4").unwrap();
    assert_eq!(view.rejection.as_deref(), Some("keyboard: out of stock"));
    assert_eq!(view.warehouse, None);
}

#[test]
fn a_payment_that_does_not_match_the_total_is_flagged() {
    let flow = Flow::new();
    let statuses = flow.run(
        "o-5",
        vec![
            Event::Created(created("o-5")),
            Event::Stock(reserved("o-5")),
            Event::Paid(paid("o-5", 10_000)),
        ],
    );
    assert_eq!(statuses.last(), Some(&OrderStatus::PaymentMismatch));
}

#[test]
fn orders_are_kept_apart_by_key() {
    let flow = Flow::new();
    flow.send("a", Event::Created(created("a")));
    flow.send("b", Event::Created(created("b")));
    flow.send("a", Event::Stock(failed("a")));
    flow.send("b", Event::Stock(reserved("b")));
    let stored = flow.stored();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored["a"].status(), OrderStatus::Rejected);
    assert_eq!(stored["b"].status(), OrderStatus::AwaitingPayment);
    assert_eq!(stored["a"].events, 2);
    assert_eq!(stored["b"].events, 2);
}

#[test]
fn the_generated_demo_flow_ends_in_its_planned_statuses() {
    let flow = Flow::new();
    let (rounds, outcomes) = generate_events(14);
    for round in rounds {
        for e in round.orders {
            flow.send(&e.order_id.clone(), Event::Created(e));
        }
        for e in round.stock {
            let key = match &e {
                StockEvent::StockReserved { order_id, .. }
                | StockEvent::StockReservationFailed { order_id, .. } => order_id.clone(),
            };
            flow.send(&key, Event::Stock(e));
        }
        for e in round.payments {
            flow.send(&e.order_id.clone(), Event::Paid(e));
        }
    }
    let stored = flow.stored();
    assert_eq!(stored.len(), outcomes.len());
    for (id, expected) in &outcomes {
        assert_eq!(stored[id].status(), *expected, "order {id}");
    }
    let kinds: std::collections::BTreeSet<String> =
        outcomes.iter().map(|(_, s)| format!("{s:?}")).collect();
    assert_eq!(
        kinds.len(),
        5,
        "the demo shows confirmed, rejected, refund, mismatch and unpaid orders: {kinds:?}"
    );
}
