//! Serde round trips: one order record serialized and deserialized again with
//! the registry's Avro serde (Confluent wire format, schema id cached after the
//! first record, in-memory registry), the JSON serde and the bincode serde.

use crate::report::BenchResult;
use std::error::Error;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use streams_core::record::Headers;
use streams_core::serde::{BincodeSerde, JsonSerde, Serde, SerdeContext};
use streams_schema_registry::{AvroSerde, MockSchemaRegistryClient, RegistrySerdeConfig};

const RECORDS: u64 = 1_000_000;

const ORDER_SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"bench","fields":[
  {"name":"id","type":"string"},
  {"name":"customer","type":"string"},
  {"name":"cents","type":"long"},
  {"name":"quantity","type":"int"},
  {"name":"express","type":"boolean"},
  {"name":"note","type":["null","string"],"default":null}]}"#;

#[derive(Clone, PartialEq, Debug, serde::Serialize, serde::Deserialize)]
struct Order {
    id: String,
    customer: String,
    cents: i64,
    quantity: i32,
    express: bool,
    note: Option<String>,
}

fn order(n: u64) -> Order {
    Order {
        id: format!("order-{n:08}"),
        customer: format!("customer-{:05}", n % 10_000),
        cents: (n % 100_000) as i64,
        quantity: (n % 7) as i32,
        express: n.is_multiple_of(3),
        note: n.is_multiple_of(2).then(|| "leave at the door".to_string()),
    }
}

/// Serializes and deserializes `RECORDS` orders through `serde`'s
/// context-taking methods (what the framework's sources and sinks call).
fn round_trip(name: &str, serde: &dyn Serde<Order>) -> Result<BenchResult, Box<dyn Error>> {
    let headers = Headers::new();
    let context = SerdeContext::value("orders", &headers);
    let orders: Vec<Order> = (0..1_000).map(order).collect();
    let mut bytes_total = 0u64;
    let started = Instant::now();
    for n in 0..RECORDS {
        let value = &orders[(n % 1_000) as usize];
        let bytes = serde
            .serialize_with_context(&context, value)?
            .ok_or("an order serialized to null")?;
        bytes_total += bytes.len() as u64;
        let back = serde.deserialize_with_context(&context, Some(&bytes))?;
        black_box(back);
    }
    let elapsed = started.elapsed();
    Ok(BenchResult::new(name, RECORDS, elapsed)
        .with("bytes_per_record", bytes_total / RECORDS)
        .with("ns_per_round_trip", per_record_ns(elapsed)))
}

fn per_record_ns(elapsed: Duration) -> u64 {
    (elapsed.as_nanos() / u128::from(RECORDS)) as u64
}

/// Avro (registry wire format), JSON and bincode round trips of one record type.
pub fn round_trips() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let registry = Arc::new(MockSchemaRegistryClient::new());
    let avro = AvroSerde::<Order>::new(registry, ORDER_SCHEMA, RegistrySerdeConfig::default())?;
    let check = order(2);
    let headers = Headers::new();
    let context = SerdeContext::value("orders", &headers);
    let bytes = avro
        .serialize_with_context(&context, &check)?
        .ok_or("null")?;
    if avro.deserialize(&bytes)? != check {
        return Err("the Avro serde does not round-trip an order".into());
    }
    Ok(vec![
        round_trip("serde-avro-registry", &avro)?,
        round_trip("serde-json", &JsonSerde::<Order>::new())?,
        round_trip("serde-bincode", &BincodeSerde::<Order>::new())?,
    ])
}
