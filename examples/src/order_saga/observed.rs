//! What the saga wrote, read back from its topics as a consumer with
//! `isolation.level=read_committed` sees it: every event decoded through the
//! registry with its order id and `correlation-id` header, in the order read.
//! The example prints the flow and checks its invariants from these; the
//! broker test reads them again after a crash.

use super::{
    CORRELATION_ID_HEADER, ORDER_STATUS_TOPIC, ORDERS_TOPIC, OUTCOMES_TOPIC, OrderCreated,
    OrderOutcome, OrderStatus, PAYMENT_REQUESTS_TOPIC, PAYMENTS_TOPIC, PaymentEvent,
    PaymentRequested, STOCK_EVENTS_TOPIC, StockEvent, model,
};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers as _, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::sync::Arc;
use std::time::{Duration, Instant};
use streams_dsl::prelude::{Headers, Serde, SerdeContext, SerdeError};
use streams_schema_registry::{
    AvroSerde, RegistryError, RegistrySerdeConfig, SchemaRegistryClient,
};

/// One event of the saga, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SagaEvent {
    /// `OrderCreated` (read with the v2 schema).
    Created(OrderCreated),
    /// StockReserved, StockReservationFailed or StockReleased.
    Stock(StockEvent),
    /// The coordinator asked for payment.
    PaymentRequested(PaymentRequested),
    /// PaymentCompleted or PaymentFailed.
    Payment(PaymentEvent),
    /// OrderCompleted or OrderCancelled.
    Outcome(OrderOutcome),
    /// A row of the read model.
    Status(OrderStatus),
}

impl SagaEvent {
    /// A one-line description, as the example prints the flow.
    pub fn describe(&self) -> String {
        match self {
            SagaEvent::Created(order) => {
                let items: Vec<String> = order
                    .items
                    .iter()
                    .map(|item| format!("{} x {}", item.quantity, item.sku))
                    .collect();
                format!(
                    "OrderCreated by {} [{}] {:.2}{}",
                    order.customer,
                    items.join(", "),
                    order.amount_cents as f64 / 100.0,
                    order
                        .coupon
                        .as_ref()
                        .map_or(String::new(), |c| format!(" coupon {c}"))
                )
            }
            SagaEvent::Stock(event) => format!(
                "{:?} {} x {} (stock now {})",
                event.outcome, event.quantity, event.sku, event.stock_after
            ),
            SagaEvent::PaymentRequested(request) => {
                format!(
                    "PaymentRequested {:.2}",
                    request.amount_cents as f64 / 100.0
                )
            }
            SagaEvent::Payment(payment) if payment.completed => "PaymentCompleted".to_string(),
            SagaEvent::Payment(payment) => format!(
                "PaymentFailed: {}",
                payment.reason.as_deref().unwrap_or("?")
            ),
            SagaEvent::Outcome(outcome) => match &outcome.reason {
                Some(reason) => format!("Order{:?}: {reason}", outcome.outcome),
                None => format!("Order{:?}", outcome.outcome),
            },
            SagaEvent::Status(status) => format!("read model: {:?}", status.step),
        }
    }
}

/// An event with the order it belongs to and its correlation id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The record's key.
    pub order_id: String,
    /// Its `correlation-id` header.
    pub correlation_id: Option<String>,
    /// The decoded value.
    pub event: SagaEvent,
}

/// Why the saga's topics could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The consumer failed.
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    /// A serde could not be built.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A record did not decode.
    #[error("decoding a record of {topic}: {source}")]
    Decode {
        /// Its topic.
        topic: String,
        /// Why.
        source: SerdeError,
    },
}

/// The decoders of the saga's topics.
struct Decoders {
    created: AvroSerde<OrderCreated>,
    stock: AvroSerde<StockEvent>,
    requested: AvroSerde<PaymentRequested>,
    payment: AvroSerde<PaymentEvent>,
    outcome: AvroSerde<OrderOutcome>,
    status: AvroSerde<OrderStatus>,
}

impl Decoders {
    fn new(registry: &Arc<dyn SchemaRegistryClient>) -> Result<Self, RegistryError> {
        let config = RegistrySerdeConfig::default();
        Ok(Self {
            created: AvroSerde::new(registry.clone(), &model::order_created_v2_schema(), config)?,
            stock: AvroSerde::new(registry.clone(), model::STOCK_EVENT_SCHEMA, config)?,
            requested: AvroSerde::new(registry.clone(), model::PAYMENT_REQUESTED_SCHEMA, config)?,
            payment: AvroSerde::new(registry.clone(), model::PAYMENT_EVENT_SCHEMA, config)?,
            outcome: AvroSerde::new(registry.clone(), model::ORDER_OUTCOME_SCHEMA, config)?,
            status: AvroSerde::new(registry.clone(), model::ORDER_STATUS_SCHEMA, config)?,
        })
    }

    fn decode(
        &self,
        topic: &str,
        headers: &Headers,
        bytes: &[u8],
    ) -> Result<Option<SagaEvent>, SerdeError> {
        let context = SerdeContext::value(topic, headers);
        let bytes = Some(bytes);
        Ok(Some(match topic {
            ORDERS_TOPIC => {
                SagaEvent::Created(self.created.deserialize_with_context(&context, bytes)?)
            }
            STOCK_EVENTS_TOPIC => {
                SagaEvent::Stock(self.stock.deserialize_with_context(&context, bytes)?)
            }
            PAYMENT_REQUESTS_TOPIC => SagaEvent::PaymentRequested(
                self.requested.deserialize_with_context(&context, bytes)?,
            ),
            PAYMENTS_TOPIC => {
                SagaEvent::Payment(self.payment.deserialize_with_context(&context, bytes)?)
            }
            OUTCOMES_TOPIC => {
                SagaEvent::Outcome(self.outcome.deserialize_with_context(&context, bytes)?)
            }
            ORDER_STATUS_TOPIC => {
                SagaEvent::Status(self.status.deserialize_with_context(&context, bytes)?)
            }
            _ => return Ok(None),
        }))
    }
}

/// Reads every topic of the saga from the beginning, committed records only.
pub struct SagaReader {
    consumer: BaseConsumer,
    decoders: Decoders,
    events: Vec<Observed>,
}

impl SagaReader {
    /// A reader of the saga's topics (`partitions` each) on `bootstrap_servers`.
    pub fn new(
        bootstrap_servers: &str,
        registry: &Arc<dyn SchemaRegistryClient>,
        partitions: i32,
    ) -> Result<Self, ReadError> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap_servers)
            .set("group.id", "order-saga-reader")
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .create()?;
        let mut assignment = TopicPartitionList::new();
        for topic in super::SAGA_TOPICS {
            for partition in 0..partitions {
                assignment.add_partition_offset(topic, partition, Offset::Beginning)?;
            }
        }
        consumer.assign(&assignment)?;
        Ok(Self {
            consumer,
            decoders: Decoders::new(registry)?,
            events: Vec::new(),
        })
    }

    /// Reads for up to `wait`; returns how many events arrived.
    pub fn poll_for(&mut self, wait: Duration) -> Result<usize, ReadError> {
        let deadline = Instant::now() + wait;
        let before = self.events.len();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(self.events.len() - before);
            }
            let Some(message) = self.consumer.poll(left.min(Duration::from_millis(50))) else {
                continue;
            };
            let message = message?;
            let (Some(key), Some(payload)) = (message.key(), message.payload()) else {
                continue;
            };
            let mut headers = Headers::new();
            if let Some(found) = message.headers() {
                for header in found.iter() {
                    headers.add(header.key, header.value.map(<[u8]>::to_vec));
                }
            }
            let topic = message.topic();
            let event = self
                .decoders
                .decode(topic, &headers, payload)
                .map_err(|source| ReadError::Decode {
                    topic: topic.to_string(),
                    source,
                })?;
            if let Some(event) = event {
                self.events.push(Observed {
                    order_id: String::from_utf8_lossy(key).into_owned(),
                    correlation_id: headers
                        .last_value(CORRELATION_ID_HEADER)
                        .map(|id| String::from_utf8_lossy(id).into_owned()),
                    event,
                });
            }
        }
    }

    /// Everything read so far.
    pub fn events(&self) -> &[Observed] {
        &self.events
    }
}
