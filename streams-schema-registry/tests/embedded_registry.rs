//! The serdes against the embedded schema registry over HTTP (on an embedded
//! broker): ids registered and cached, a schema the registry refuses failing
//! the record with the registry's message and error code and the subject named,
//! and Protobuf and JSON Schema subjects registered with their types.

use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use schema_registry::{SchemaRegistry, SchemaRegistryConfig};
use std::sync::Arc;
use streams_core::record::Headers;
use streams_core::serde::{Serde, SerdeContext};
use streams_dsl::prelude::*;
use streams_schema_registry::{
    AvroSerde, HttpSchemaRegistryClient, JsonSchemaSerde, RegistryError, RegistrySerdeConfig,
    SchemaRegistryClient, SchemaType,
};

const ORDER_V1: &str =
    r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;
/// Adds a field without a default: BACKWARD refuses it.
const ORDER_BREAKING: &str = r#"{"type":"record","name":"Order","fields":[
  {"name":"id","type":"string"},{"name":"cents","type":"long"}]}"#;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Order {
    id: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct PricedOrder {
    id: String,
    cents: i64,
}

#[test]
fn serdes_register_through_http_and_refusals_name_the_subject() {
    let broker = EmbeddedKafka::start_blocking(BrokerConfig::default()).expect("broker");
    let registry = SchemaRegistry::start(
        SchemaRegistryConfig::new(broker.bootstrap_servers()).with_topic("_schemas_serdes"),
    )
    .expect("registry");
    let client = Arc::new(HttpSchemaRegistryClient::new(registry.url()));
    let config = RegistrySerdeConfig::default();

    let builder = StreamsBuilder::new();
    builder.register_serde(AvroSerde::<Order>::new(client.clone(), ORDER_V1, config).unwrap());
    builder.register_serde(
        AvroSerde::<PricedOrder>::new(client.clone(), ORDER_BREAKING, config).unwrap(),
    );
    builder
        .stream::<String, String>("order-ids", Consumed::default())
        .map_values(|id| Order { id })
        .to("orders", Produced::default());
    builder
        .stream::<String, String>("priced-order-ids", Consumed::default())
        .map_values(|id| PricedOrder { id, cents: 100 })
        .to("orders", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    driver
        .input_topic::<String, String>("order-ids")
        .unwrap()
        .pipe("k", "o-1", 1)
        .unwrap();
    let registered = client
        .latest("orders-value")
        .expect("the sink registered its schema");
    assert_eq!(
        (registered.version, registered.schema.schema_type),
        (1, SchemaType::Avro)
    );
    let reader = AvroSerde::<Order>::new(client.clone(), ORDER_V1, config).unwrap();
    let out = driver.output_topic::<String, Vec<u8>>("orders").unwrap();
    let bytes = out.read_value().unwrap();
    assert_eq!(
        reader.deserialize(&bytes).unwrap(),
        Order { id: "o-1".into() }
    );

    let error = driver
        .input_topic::<String, String>("priced-order-ids")
        .unwrap()
        .pipe("k", "o-2", 2)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("orders-value") && error.contains("409") && error.contains("incompatible"),
        "the refusal names the subject and carries the registry's answer: {error}"
    );
    assert_eq!(client.latest("orders-value").unwrap().version, 1);

    let direct = AvroSerde::<PricedOrder>::new(client.clone(), ORDER_BREAKING, config).unwrap();
    let headers = Headers::new();
    let refused = direct.serialize_with_context(
        &SerdeContext::value("orders", &headers),
        &PricedOrder {
            id: "x".into(),
            cents: 1,
        },
    );
    let refused = refused.unwrap_err();
    let registry_error = std::error::Error::source(&refused)
        .and_then(|source| source.downcast_ref::<RegistryError>())
        .expect("a RegistryError underneath");
    assert_eq!(registry_error.error_code(), Some(409));

    let readings = JsonSchemaSerde::<Order>::new(
        client.clone(),
        r#"{"title":"Order","type":"object","properties":{"id":{"type":"string"}}}"#,
        config,
    )
    .unwrap();
    readings
        .serialize_with_context(
            &SerdeContext::value("json-orders", &headers),
            &Order { id: "j".into() },
        )
        .unwrap();
    let json = client.latest("json-orders-value").unwrap();
    assert_eq!(json.schema.schema_type, SchemaType::Json);

    drop(driver);
    registry.shutdown();
    broker.shutdown_blocking();
}
