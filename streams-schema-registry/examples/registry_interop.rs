//! The topology side of the third-party check (`.ci/schema-registry-client`):
//! reads Avro, Protobuf and JSON Schema records that Python's confluent-kafka
//! serializers write, through this crate's serdes, and writes transformed
//! records back for Python's deserializers to read.
//!
//! `registry-interop --bootstrap-servers HOST:PORT --schema-registry-url URL`
//! creates its topics, prints `running` once the application runs, and closes
//! cleanly when its standard input ends.
//!
//! - `interop-avro-in` → `interop-avro-out`: `Order` read with schema v2 (a
//!   `note` field with a default, so v1 and v2 records both read), written with
//!   `quantity` doubled and `note` + "!".
//! - `interop-proto-in` → `interop-proto-out`: `interop.Ping`, `count` + 1.
//! - `interop-json-in` → `interop-json-out`: `Reading`, `celsius` to `fahrenheit`.

use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use std::error::Error;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;
use streams_dsl::prelude::*;
use streams_schema_registry::prost_reflect::{DescriptorPool, MessageDescriptor};
use streams_schema_registry::{
    AvroSerde, HttpSchemaRegistryClient, JsonSchemaSerde, ProtobufSchemaSerde, RegistrySerdeConfig,
    SchemaRegistryClient,
};

const TOPICS: [&str; 6] = [
    "interop-avro-in",
    "interop-avro-out",
    "interop-proto-in",
    "interop-proto-out",
    "interop-json-in",
    "interop-json-out",
];

/// Version 2 of the order schema: version 1 lacks `note`.
const ORDER_V2: &str = r#"{"type":"record","name":"Order","namespace":"interop","fields":[
  {"name":"id","type":"string"},
  {"name":"quantity","type":"int"},
  {"name":"note","type":"string","default":"none"}]}"#;

const READING_IN: &str = r#"{"title":"Reading","type":"object","required":["sensor","celsius"],
  "properties":{"sensor":{"type":"string"},"celsius":{"type":"number"}}}"#;

const READING_OUT: &str = r#"{"title":"FahrenheitReading","type":"object","required":["sensor","fahrenheit"],
  "properties":{"sensor":{"type":"string"},"fahrenheit":{"type":"number"}},"additionalProperties":false}"#;

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Order {
    id: String,
    quantity: i32,
    note: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Ping {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(int64, tag = "2")]
    count: i64,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Reading {
    sensor: String,
    celsius: f64,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct FahrenheitReading {
    sensor: String,
    fahrenheit: f64,
}

/// `interop.proto`: `message Ping { string id = 1; int64 count = 2; }`, the
/// file Python builds the same way.
fn ping_descriptor() -> Result<MessageDescriptor, Box<dyn Error>> {
    let field = |name: &str, number, kind: Type| FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(Label::Optional as i32),
        r#type: Some(kind as i32),
        json_name: Some(name.into()),
        ..Default::default()
    };
    let file = FileDescriptorProto {
        name: Some("interop.proto".into()),
        package: Some("interop".into()),
        syntax: Some("proto3".into()),
        message_type: vec![DescriptorProto {
            name: Some("Ping".into()),
            field: vec![field("id", 1, Type::String), field("count", 2, Type::Int64)],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut pool = DescriptorPool::new();
    pool.add_file_descriptor_proto(file)?;
    pool.get_message_by_name("interop.Ping")
        .ok_or_else(|| "interop.Ping is not in its own file".into())
}

fn topology(registry: Arc<dyn SchemaRegistryClient>) -> Result<Topology, Box<dyn Error>> {
    let config = RegistrySerdeConfig::default();
    let builder = StreamsBuilder::new();
    builder.register_serde(AvroSerde::<Order>::new(registry.clone(), ORDER_V2, config)?);
    builder.register_serde(ProtobufSchemaSerde::<Ping>::new(
        registry.clone(),
        ping_descriptor()?,
        config,
    )?);
    builder
        .stream::<String, Order>("interop-avro-in", Consumed::default())
        .map_values(|order| Order {
            quantity: order.quantity * 2,
            note: format!("{}!", order.note),
            ..order
        })
        .to("interop-avro-out", Produced::default());
    builder
        .stream::<String, Ping>("interop-proto-in", Consumed::default())
        .map_values(|ping| Ping {
            count: ping.count + 1,
            ..ping
        })
        .to("interop-proto-out", Produced::default());
    let readings = JsonSchemaSerde::<Reading>::new(registry.clone(), READING_IN, config)?;
    let converted = JsonSchemaSerde::<FahrenheitReading>::new(registry, READING_OUT, config)?;
    builder
        .stream::<String, Reading>("interop-json-in", Consumed::with(StringSerde, readings))
        .map_values(|reading| FahrenheitReading {
            sensor: reading.sensor,
            fahrenheit: reading.celsius * 9.0 / 5.0 + 32.0,
        })
        .to("interop-json-out", Produced::with(StringSerde, converted));
    Ok(builder.build()?)
}

fn create_topics(bootstrap_servers: &str) -> Result<(), Box<dyn Error>> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .create()?;
    let topics: Vec<NewTopic<'_>> = TOPICS
        .iter()
        .map(|topic| NewTopic::new(topic, 2, TopicReplication::Fixed(-1)))
        .collect();
    for result in futures::executor::block_on(admin.create_topics(&topics, &AdminOptions::new()))? {
        match result {
            Ok(_) | Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => return Err(format!("creating {topic}: {code}").into()),
        }
    }
    Ok(())
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut bootstrap_servers = None;
    let mut registry_url = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--bootstrap-servers" => bootstrap_servers = args.next(),
            "--schema-registry-url" => registry_url = args.next(),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let usage = "usage: registry-interop --bootstrap-servers HOST:PORT --schema-registry-url URL";
    let bootstrap_servers = bootstrap_servers.ok_or(usage)?;
    let registry_url = registry_url.ok_or(usage)?;
    create_topics(&bootstrap_servers)?;
    let registry = Arc::new(HttpSchemaRegistryClient::new(&registry_url));
    let state_dir = tempfile::tempdir()?;
    let config = StreamsConfig::builder()
        .set("application.id", "rstreams-registry-interop")
        .set("bootstrap.servers", &bootstrap_servers)
        .set("state.dir", state_dir.path().display().to_string())
        .set("commit.interval.ms", "200")
        .build()?;
    let mut streams = KafkaStreams::new(topology(registry)?, config)?;
    streams.start()?;
    streams.wait_until_running(Duration::from_secs(120))?;
    println!("running");
    let mut rest = Vec::new();
    std::io::stdin().read_to_end(&mut rest)?;
    streams
        .close(Duration::from_secs(30))
        .map_err(|error| format!("the topology did not close cleanly within 30 s: {error}"))?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("registry-interop: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
