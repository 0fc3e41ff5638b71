//! Schema-registry serdes for rstreams: Avro ([`AvroSerde`], [`GenericAvroSerde`]),
//! Protobuf ([`ProtobufSchemaSerde`]) and JSON Schema ([`JsonSchemaSerde`]) in the
//! Confluent wire format, so a topology reads and writes the same bytes as
//! Confluent's serializers in any language.
//!
//! A serde names its subject from the topic the framework passes it
//! ([`SubjectNameStrategy`]: topic, record or topic-record), registers its schema
//! or uses the subject's latest ([`SchemaIdMode`]), and caches the id, so only the
//! first record of a topic reaches the registry. A schema the registry refuses
//! (for example one incompatible with the subject's earlier versions) fails that
//! record with the registry's message and error code, naming the subject.
//! Store serdes see the store's changelog topic, so their subjects are
//! `<application.id>-<store>-changelog-key` and `-value`, as in Kafka Streams.
//!
//! ```no_run
//! use std::sync::Arc;
//! use streams_schema_registry::{AvroSerde, HttpSchemaRegistryClient, RegistrySerdeConfig};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Order { id: String, cents: i64 }
//!
//! let registry = Arc::new(HttpSchemaRegistryClient::new("http://localhost:8081"));
//! let schema = r#"{"type":"record","name":"Order","fields":[
//!   {"name":"id","type":"string"},{"name":"cents","type":"long"}]}"#;
//! let orders = AvroSerde::<Order>::new(registry, schema, RegistrySerdeConfig::default()).unwrap();
//! // builder.register_serde(orders); or Consumed::with(StringSerde, orders)
//! ```

mod avro;
mod client;
mod config;
mod error;
mod http_client;
mod json_schema;
mod mock_client;
mod protobuf;
mod registry_serde;
mod schema;
mod schema_ids;
mod subject;
mod wire;

pub use avro::{AvroSerde, GenericAvroSerde};
pub use client::SchemaRegistryClient;
pub use config::{RegistrySerdeConfig, SchemaIdMode};
pub use error::RegistryError;
pub use http_client::HttpSchemaRegistryClient;
pub use json_schema::JsonSchemaSerde;
pub use mock_client::MockSchemaRegistryClient;
pub use protobuf::ProtobufSchemaSerde;
pub use schema::{RegisteredSchema, Schema, SchemaReference, SchemaType};
pub use subject::SubjectNameStrategy;

/// The Avro crate the serdes use, for building generic values and schemas.
pub use apache_avro;
/// The descriptor crate the Protobuf serde takes descriptors from.
pub use prost_reflect;
