//! The order-saga topology on the TopologyTestDriver, against an in-memory
//! schema registry: the completed, out-of-stock, payment-failed and
//! payment-timeout paths with their compensations; stock that never goes
//! negative under contention; OrderCreated v1 and v2 read by the v2 reader;
//! the correlation id on every event an order causes, punctuator-emitted ones
//! included; and the verifier failing on a duplicated reservation.

use examples::order_saga::{
    CORRELATION_ID_HEADER, Catalog, Item, ORDER_STATUS_STORE, ORDER_STATUS_TOPIC, ORDERS_TOPIC,
    OUTCOMES_TOPIC, Observed, OrderCreated, OrderCreatedV1, OrderOutcome, OrderStatus, Outcome,
    PAYMENT_REQUESTS_TOPIC, PAYMENTS_TOPIC, PaymentEvent, PaymentRequested, STOCK_EVENTS_TOPIC,
    STOCK_LEVELS_STORE, SagaEvent, SagaStep, SagaTiming, StockEvent, StockOutcome,
    order_created_v1_schema, order_saga_topology, verify,
};
use std::sync::Arc;
use std::time::Duration;
use streams_dsl::prelude::*;
use streams_schema_registry::{
    AvroSerde, MockSchemaRegistryClient, RegistrySerdeConfig, SchemaRegistryClient,
};

const TIMING: SagaTiming = SagaTiming {
    timeout: Duration::from_secs(5),
    scan_interval: Duration::from_millis(500),
};

/// The saga on a test driver, with the inputs and outputs the tests use.
struct Saga {
    driver: TopologyTestDriver,
    registry: Arc<dyn SchemaRegistryClient>,
    catalog: Catalog,
    /// Everything read from the output topics so far, the orders included.
    seen: Vec<Observed>,
}

fn order(id: &str, customer: &str, items: &[(&str, i32)], coupon: Option<&str>) -> OrderCreated {
    OrderCreated {
        order_id: id.to_string(),
        customer: customer.to_string(),
        items: items
            .iter()
            .map(|(sku, quantity)| Item {
                sku: sku.to_string(),
                quantity: *quantity,
            })
            .collect(),
        amount_cents: 1_000,
        coupon: coupon.map(str::to_string),
    }
}

fn correlation(id: &str) -> String {
    format!("corr-{id}")
}

impl Saga {
    fn new(catalog: Catalog) -> Self {
        let registry: Arc<dyn SchemaRegistryClient> = Arc::new(MockSchemaRegistryClient::new());
        let topology = order_saga_topology(registry.clone(), catalog.clone(), TIMING).unwrap();
        Self {
            driver: TopologyTestDriver::new(topology).unwrap(),
            registry,
            catalog,
            seen: Vec::new(),
        }
    }

    fn headers(order_id: &str) -> Headers {
        Headers::new().with(CORRELATION_ID_HEADER, correlation(order_id))
    }

    /// Pipes `order` written with the v2 schema (the topology's own).
    fn place(&mut self, order: OrderCreated) {
        self.seen.push(Observed {
            order_id: order.order_id.clone(),
            correlation_id: Some(correlation(&order.order_id)),
            event: SagaEvent::Created(order.clone()),
        });
        self.driver
            .input_topic::<String, OrderCreated>(ORDERS_TOPIC)
            .unwrap()
            .pipe_with_headers(
                order.order_id.clone(),
                order.clone(),
                0,
                Self::headers(&order.order_id),
            )
            .unwrap();
    }

    /// Pipes `order` written by a v1 producer: no coupon field in its bytes.
    fn place_v1(&mut self, order: OrderCreated) {
        self.seen.push(Observed {
            order_id: order.order_id.clone(),
            correlation_id: Some(correlation(&order.order_id)),
            event: SagaEvent::Created(order.clone()),
        });
        let v1 = AvroSerde::<OrderCreatedV1>::new(
            self.registry.clone(),
            &order_created_v1_schema(),
            RegistrySerdeConfig::default(),
        )
        .unwrap();
        let input = self
            .driver
            .input_topic_with::<String, OrderCreatedV1>(
                ORDERS_TOPIC,
                Arc::new(StringSerde),
                Arc::new(v1),
            )
            .unwrap();
        let headers = Self::headers(&order.order_id);
        input
            .pipe_with_headers(
                order.order_id.clone(),
                OrderCreatedV1 {
                    order_id: order.order_id,
                    customer: order.customer,
                    items: order.items,
                    amount_cents: order.amount_cents,
                },
                0,
                headers,
            )
            .unwrap();
    }

    /// Reads every output topic, adds what it found to `seen` and returns it.
    fn drain(&mut self) -> Vec<Observed> {
        let mut found = Vec::new();
        fn take<V: 'static>(
            driver: &TopologyTestDriver,
            topic: &str,
            wrap: impl Fn(V) -> SagaEvent,
            found: &mut Vec<Observed>,
        ) {
            for record in driver
                .output_topic::<String, V>(topic)
                .unwrap()
                .read_all()
                .unwrap()
            {
                found.push(Observed {
                    order_id: record.key,
                    correlation_id: record
                        .headers
                        .last_value(CORRELATION_ID_HEADER)
                        .map(|v| String::from_utf8_lossy(v).into_owned()),
                    event: wrap(record.value),
                });
            }
        }
        take::<StockEvent>(
            &self.driver,
            STOCK_EVENTS_TOPIC,
            SagaEvent::Stock,
            &mut found,
        );
        take::<PaymentRequested>(
            &self.driver,
            PAYMENT_REQUESTS_TOPIC,
            SagaEvent::PaymentRequested,
            &mut found,
        );
        take::<PaymentEvent>(&self.driver, PAYMENTS_TOPIC, SagaEvent::Payment, &mut found);
        take::<OrderOutcome>(&self.driver, OUTCOMES_TOPIC, SagaEvent::Outcome, &mut found);
        take::<OrderStatus>(
            &self.driver,
            ORDER_STATUS_TOPIC,
            SagaEvent::Status,
            &mut found,
        );
        self.seen.extend(found.iter().cloned());
        found
    }

    fn stock(&self, sku: &str) -> i64 {
        self.driver
            .key_value_store_entries::<String, i64>(STOCK_LEVELS_STORE)
            .unwrap()
            .into_iter()
            .find(|(key, _)| key == sku)
            .map_or_else(
                || self.catalog.initial_stock(sku).unwrap(),
                |(_, units)| units.value,
            )
    }

    fn status(&self, order_id: &str) -> Option<OrderStatus> {
        self.driver
            .key_value_store_entries::<String, OrderStatus>(ORDER_STATUS_STORE)
            .unwrap()
            .into_iter()
            .find(|(key, _)| key == order_id)
            .map(|(_, status)| status.value)
    }
}

/// The stock events of `events`, as (outcome, sku).
fn stock_events(events: &[Observed]) -> Vec<(StockOutcome, String)> {
    events
        .iter()
        .filter_map(|o| match &o.event {
            SagaEvent::Stock(e) => Some((e.outcome, e.sku.clone())),
            _ => None,
        })
        .collect()
}

fn outcomes(events: &[Observed]) -> Vec<OrderOutcome> {
    events
        .iter()
        .filter_map(|o| match &o.event {
            SagaEvent::Outcome(outcome) => Some(outcome.clone()),
            _ => None,
        })
        .collect()
}

/// Asserts every event carries the correlation id of its order.
fn assert_correlated(events: &[Observed]) {
    assert!(!events.is_empty());
    for observed in events {
        assert_eq!(
            observed.correlation_id.as_deref(),
            Some(correlation(&observed.order_id).as_str()),
            "{observed:?}"
        );
    }
}

#[test]
fn a_paid_order_with_stock_completes_holding_its_units() {
    let mut saga = Saga::new(Catalog::uniform(2, 10));
    saga.place(order(
        "o-1",
        "customer-1",
        &[("sku-00", 3), ("sku-01", 2)],
        None,
    ));
    let events = saga.drain();
    assert_eq!(
        stock_events(&events),
        [
            (StockOutcome::Reserved, "sku-00".to_string()),
            (StockOutcome::Reserved, "sku-01".to_string())
        ]
    );
    assert_eq!(
        outcomes(&events),
        [OrderOutcome {
            order_id: "o-1".into(),
            outcome: Outcome::Completed,
            reason: None
        }]
    );
    assert!(
        events
            .iter()
            .any(|o| matches!(&o.event, SagaEvent::Payment(p) if p.completed))
    );
    assert_correlated(&events);
    assert_eq!((saga.stock("sku-00"), saga.stock("sku-01")), (7, 8));
    assert_eq!(saga.status("o-1").unwrap().step, SagaStep::Completed);
    assert!(
        verify(&saga.catalog, &saga.seen).holds(),
        "{:?}",
        verify(&saga.catalog, &saga.seen)
    );
}

#[test]
fn an_order_a_sku_cannot_fill_is_cancelled_and_its_other_lines_released() {
    let mut saga = Saga::new(Catalog::uniform(2, 10));
    saga.place(order(
        "o-2",
        "customer-1",
        &[("sku-00", 4), ("sku-01", 11)],
        None,
    ));
    let events = saga.drain();
    assert_eq!(
        stock_events(&events),
        [
            (StockOutcome::Reserved, "sku-00".to_string()),
            (StockOutcome::ReservationFailed, "sku-01".to_string()),
            (StockOutcome::Released, "sku-00".to_string())
        ]
    );
    let ended = outcomes(&events);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].outcome, Outcome::Cancelled);
    assert_eq!(ended[0].reason.as_deref(), Some("11 x sku-01 out of stock"));
    assert!(
        !events
            .iter()
            .any(|o| matches!(o.event, SagaEvent::PaymentRequested(_))),
        "no payment without stock"
    );
    assert_correlated(&events);
    assert_eq!((saga.stock("sku-00"), saga.stock("sku-01")), (10, 10));
    let status = saga.status("o-2").unwrap();
    assert_eq!(status.step, SagaStep::Cancelled);
    assert!(verify(&saga.catalog, &saga.seen).holds());
}

#[test]
fn a_declined_payment_releases_the_reserved_stock() {
    let mut saga = Saga::new(Catalog::uniform(1, 10));
    saga.place(order("o-3", "customer-13", &[("sku-00", 5)], None));
    let events = saga.drain();
    assert_eq!(
        stock_events(&events),
        [
            (StockOutcome::Reserved, "sku-00".to_string()),
            (StockOutcome::Released, "sku-00".to_string())
        ]
    );
    let ended = outcomes(&events);
    assert_eq!(ended[0].outcome, Outcome::Cancelled);
    assert_eq!(
        ended[0].reason.as_deref(),
        Some("payment failed: card of customer-13 declined")
    );
    assert_correlated(&events);
    assert_eq!(saga.stock("sku-00"), 10);
    assert!(verify(&saga.catalog, &saga.seen).holds());
}

#[test]
fn a_payment_that_never_answers_times_out_on_the_wall_clock_and_is_compensated() {
    let mut saga = Saga::new(Catalog::uniform(1, 10));
    saga.place(order("o-4", "customer-17", &[("sku-00", 6)], None));
    let before = saga.drain();
    assert_eq!(
        stock_events(&before),
        [(StockOutcome::Reserved, "sku-00".to_string())]
    );
    assert!(outcomes(&before).is_empty());
    assert_eq!(saga.status("o-4").unwrap().step, SagaStep::AwaitingPayment);
    assert_eq!(saga.stock("sku-00"), 4);

    saga.driver
        .advance_wall_clock(Duration::from_millis(4_500))
        .unwrap();
    assert!(saga.drain().is_empty(), "nothing before the deadline");
    saga.driver
        .advance_wall_clock(Duration::from_millis(1_000))
        .unwrap();
    let events = saga.drain();
    let ended = outcomes(&events);
    assert_eq!(ended.len(), 1);
    assert_eq!(
        ended[0].reason.as_deref(),
        Some("timed out waiting for payment")
    );
    assert_eq!(
        stock_events(&events),
        [(StockOutcome::Released, "sku-00".to_string())]
    );
    // Emitted by the punctuator, with no input record: the id comes from the saga's state.
    assert_correlated(&events);
    assert_eq!(saga.stock("sku-00"), 10);
    assert_eq!(saga.status("o-4").unwrap().step, SagaStep::Cancelled);

    saga.driver
        .advance_wall_clock(Duration::from_secs(10))
        .unwrap();
    assert!(saga.drain().is_empty(), "a saga ends once");
    assert!(verify(&saga.catalog, &saga.seen).holds());
}

#[test]
fn contended_stock_never_goes_negative_and_ends_at_initial_minus_completed() {
    let mut saga = Saga::new(Catalog::uniform(1, 5));
    for i in 0..4 {
        saga.place(order(
            &format!("o-{i}"),
            "customer-1",
            &[("sku-00", 2)],
            None,
        ));
    }
    let events = saga.drain();
    let ended = outcomes(&events);
    let completed = ended
        .iter()
        .filter(|o| o.outcome == Outcome::Completed)
        .count();
    assert_eq!((completed, ended.len()), (2, 4));
    for observed in &events {
        if let SagaEvent::Stock(event) = &observed.event {
            assert!(event.stock_after >= 0, "{event:?}");
        }
    }
    assert_eq!(saga.stock("sku-00"), 1);
    let verdict = verify(&saga.catalog, &saga.seen);
    assert!(verdict.holds(), "{verdict:?}");
    assert_eq!(verdict.final_stock["sku-00"], 1);
}

#[test]
fn orders_written_with_v1_and_v2_of_the_schema_are_both_read() {
    let mut saga = Saga::new(Catalog::uniform(1, 10));
    saga.place_v1(order("o-v1", "customer-1", &[("sku-00", 1)], None));
    saga.place(order(
        "o-v2",
        "customer-2",
        &[("sku-00", 1)],
        Some("WELCOME10"),
    ));
    saga.drain();
    let v1 = saga.status("o-v1").unwrap();
    let v2 = saga.status("o-v2").unwrap();
    assert_eq!((v1.step, v1.coupon), (SagaStep::Completed, None));
    assert_eq!(
        (v2.step, v2.coupon.as_deref()),
        (SagaStep::Completed, Some("WELCOME10"))
    );
    assert_eq!(saga.stock("sku-00"), 8);
}

#[test]
fn a_repeated_order_starts_no_second_saga() {
    let mut saga = Saga::new(Catalog::uniform(1, 10));
    saga.place(order("o-5", "customer-17", &[("sku-00", 2)], None));
    let first = saga.drain();
    saga.driver
        .input_topic::<String, OrderCreated>(ORDERS_TOPIC)
        .unwrap()
        .pipe_with_headers(
            "o-5",
            order("o-5", "customer-17", &[("sku-00", 2)], None),
            0,
            Saga::headers("o-5"),
        )
        .unwrap();
    assert_eq!(stock_events(&first).len(), 1);
    assert!(saga.drain().is_empty());
    assert_eq!(saga.stock("sku-00"), 8);
}

#[test]
fn the_verifier_fails_on_a_duplicated_reservation_a_double_ending_and_a_lost_correlation_id() {
    let mut saga = Saga::new(Catalog::uniform(1, 10));
    saga.place(order("o-6", "customer-1", &[("sku-00", 3)], None));
    saga.drain();
    assert!(verify(&saga.catalog, &saga.seen).holds());
    let reserved = saga
        .seen
        .iter()
        .find(|o| matches!(&o.event, SagaEvent::Stock(e) if e.outcome == StockOutcome::Reserved))
        .cloned()
        .unwrap();

    let mut duplicated = saga.seen.clone();
    duplicated.push(reserved.clone());
    let verdict = verify(&saga.catalog, &duplicated);
    assert!(!verdict.holds());
    assert!(
        verdict
            .problems
            .iter()
            .any(|p| p == "sku-00 reserved 2 times for o-6"),
        "{:?}",
        verdict.problems
    );
    assert!(
        verdict
            .problems
            .iter()
            .any(|p| p.starts_with("final stock")),
        "{:?}",
        verdict.problems
    );

    let mut ended_twice = saga.seen.clone();
    let outcome = saga
        .seen
        .iter()
        .find(|o| matches!(o.event, SagaEvent::Outcome(_)))
        .cloned()
        .unwrap();
    ended_twice.push(outcome);
    assert!(
        verify(&saga.catalog, &ended_twice)
            .problems
            .iter()
            .any(|p| p.starts_with("o-6 ended 2 times"))
    );

    let mut uncorrelated = saga.seen.clone();
    uncorrelated.push(Observed {
        correlation_id: None,
        event: SagaEvent::Status(saga.status("o-6").unwrap()),
        ..reserved
    });
    assert!(
        verify(&saga.catalog, &uncorrelated)
            .problems
            .iter()
            .any(|p| p.starts_with("1 events without their order's correlation id"))
    );
}
