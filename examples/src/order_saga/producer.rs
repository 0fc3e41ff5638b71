//! Writes the generated orders to `saga-orders` as an order service would:
//! Avro through the registry, v1 and v2 writers side by side (the subject's
//! compatibility set to BACKWARD first, so v2 is accepted after v1 only because
//! its new field has a default), each record with its `correlation-id` header,
//! through an idempotent producer so retries never duplicate an order, and
//! partitioned as the framework partitions (murmur2 of the key).

use super::registry::{self, RegistryCallError};
use super::{
    CORRELATION_ID_HEADER, GeneratedOrder, ORDERS_TOPIC, OrderCreated, OrderCreatedV1,
    OrderVersion, model,
};
use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use streams_dsl::prelude::{Headers, Serde, SerdeContext, SerdeError};
use streams_schema_registry::{
    AvroSerde, RegistryError, RegistrySerdeConfig, SchemaRegistryClient,
};

/// The subject of `saga-orders`' values.
pub const ORDERS_SUBJECT: &str = "saga-orders-value";

/// How long the producer may take to deliver what it holds.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the orders could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    /// The producer failed.
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    /// A serde could not be built.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Setting the compatibility level failed.
    #[error(transparent)]
    RegistryCall(#[from] RegistryCallError),
    /// An order did not serialize (the registry refused its schema, say).
    #[error("serializing {order}: {source}")]
    Serialize {
        /// The order id.
        order: String,
        /// Why.
        source: SerdeError,
    },
}

/// The registry subject's state after producing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produced {
    /// Orders written.
    pub orders: usize,
    /// The versions of [`ORDERS_SUBJECT`].
    pub versions: Vec<u32>,
}

/// Writes `orders` at about `rate` orders per second (0: as fast as possible),
/// stopping early when `stop` is set.
pub fn produce_orders(
    bootstrap_servers: &str,
    registry_url: &str,
    registry: &Arc<dyn SchemaRegistryClient>,
    orders: &[GeneratedOrder],
    rate: u32,
    stop: &AtomicBool,
) -> Result<Produced, ProduceError> {
    registry::set_compatibility(registry_url, ORDERS_SUBJECT, "BACKWARD")?;
    let config = RegistrySerdeConfig::default();
    let v1 = AvroSerde::<OrderCreatedV1>::new(
        registry.clone(),
        &model::order_created_v1_schema(),
        config,
    )?;
    let v2 = AvroSerde::<OrderCreated>::new(
        registry.clone(),
        &model::order_created_v2_schema(),
        config,
    )?;
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("enable.idempotence", "true")
        // Kafka's (and the framework's) partitioner, so an order lands on the
        // partition its stock and payment events go to (co-partitioning).
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        .create()?;
    let started = Instant::now();
    let mut written = 0;
    for (i, generated) in orders.iter().enumerate() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if rate > 0 {
            let due = started + Duration::from_secs_f64(i as f64 / f64::from(rate));
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        let headers = Headers::new().with(CORRELATION_ID_HEADER, &generated.correlation_id);
        let context = SerdeContext::value(ORDERS_TOPIC, &headers);
        let order = &generated.order;
        let bytes = match generated.version {
            OrderVersion::V1 => v1.serialize_with_context(
                &context,
                &OrderCreatedV1 {
                    order_id: order.order_id.clone(),
                    customer: order.customer.clone(),
                    items: order.items.clone(),
                    amount_cents: order.amount_cents,
                },
            ),
            OrderVersion::V2 => v2.serialize_with_context(&context, order),
        }
        .map_err(|source| ProduceError::Serialize {
            order: order.order_id.clone(),
            source,
        })?
        .unwrap_or_default();
        let kafka_headers = OwnedHeaders::new().insert(Header {
            key: CORRELATION_ID_HEADER,
            value: Some(generated.correlation_id.as_bytes()),
        });
        let mut record = BaseRecord::to(ORDERS_TOPIC)
            .key(order.order_id.as_str())
            .payload(&bytes)
            .headers(kafka_headers);
        while let Err((error, returned)) = producer.send(record) {
            if !matches!(
                error,
                KafkaError::MessageProduction(rdkafka::types::RDKafkaErrorCode::QueueFull)
            ) {
                return Err(error.into());
            }
            record = returned;
            producer.poll(Duration::from_millis(10));
        }
        written += 1;
    }
    producer.flush(FLUSH_TIMEOUT)?;
    Ok(Produced {
        orders: written,
        versions: registry::versions(registry_url, ORDERS_SUBJECT)?,
    })
}
