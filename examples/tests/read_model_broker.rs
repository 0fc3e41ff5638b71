//! The read model on the in-process embedded-kafka broker: the generated events
//! go through the runtime, and the views are read back through the HTTP
//! endpoint, i.e. through interactive queries of the running application.

use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use examples::read_model::{
    EventBatch, INVENTORY_TOPIC, ORDER_VIEWS_STORE, ORDER_VIEWS_TOPIC, ORDERS_TOPIC,
    PAYMENTS_TOPIC, StockEvent, generate_events, read_model_topology, serve_order_views,
};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use streams_dsl::prelude::*;

const WAIT: Duration = Duration::from_secs(90);

fn produce(bootstrap_servers: &str, rounds: &[EventBatch]) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("partitioner", "murmur2_random")
        .create()
        .unwrap();
    let mut records: Vec<(&str, String, Vec<u8>)> = Vec::new();
    for round in rounds {
        for e in &round.orders {
            records.push((
                ORDERS_TOPIC,
                e.order_id.clone(),
                serde_json::to_vec(e).unwrap(),
            ));
        }
        for e in &round.stock {
            let (StockEvent::StockReserved { order_id, .. }
            | StockEvent::StockReservationFailed { order_id, .. }) = e;
            records.push((
                INVENTORY_TOPIC,
                order_id.clone(),
                serde_json::to_vec(e).unwrap(),
            ));
        }
        for e in &round.payments {
            records.push((
                PAYMENTS_TOPIC,
                e.order_id.clone(),
                serde_json::to_vec(e).unwrap(),
            ));
        }
    }
    for (topic, key, payload) in &records {
        producer
            .send(BaseRecord::to(topic).key(key).payload(payload))
            .map_err(|(error, _)| error)
            .unwrap();
    }
    producer.flush(WAIT).unwrap();
}

/// The `status` of the view `GET /stores/order-views/keys/{id}` returns, or the HTTP status.
fn status_of(address: SocketAddr, id: &str) -> Result<String, u16> {
    let response =
        streams_http::get(address, &format!("/stores/{ORDER_VIEWS_STORE}/keys/{id}")).unwrap();
    if response.status != 200 {
        return Err(response.status);
    }
    let view: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    Ok(view["status"].as_str().unwrap().to_string())
}

#[test]
fn the_order_views_are_served_over_http_while_the_application_runs() {
    let broker = EmbeddedKafka::start_blocking(BrokerConfig::default()).unwrap();
    for topic in [
        ORDERS_TOPIC,
        INVENTORY_TOPIC,
        PAYMENTS_TOPIC,
        ORDER_VIEWS_TOPIC,
    ] {
        broker.create_topic(topic, 3, &[]).unwrap();
    }
    let state_dir = tempfile::tempdir().unwrap();
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let config = StreamsConfig::builder()
        .set(
            "application.id",
            format!("read-model-test-{}-{millis}", std::process::id()),
        )
        .set("bootstrap.servers", broker.bootstrap_servers())
        .set("state.dir", state_dir.path().display().to_string())
        .set("num.stream.threads", "2")
        .set("commit.interval.ms", "100")
        .set("replication.factor", "1")
        .build()
        .unwrap();
    let mut streams = KafkaStreams::new(read_model_topology().unwrap(), config).unwrap();
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();

    let streams = std::sync::Arc::new(streams);
    let endpoint = serve_order_views(streams.clone(), "127.0.0.1:0").unwrap();
    let address = endpoint.address();
    let (rounds, outcomes) = generate_events(12);
    {
        assert_eq!(status_of(address, "order-0001"), Err(404), "no order yet");
        produce(&broker.bootstrap_servers(), &rounds);

        // The views are final once every order shows its planned status.
        let deadline = Instant::now() + WAIT;
        loop {
            let statuses: Vec<(String, Result<String, u16>, String)> = outcomes
                .iter()
                .map(|(id, expected)| (id.clone(), status_of(address, id), format!("{expected:?}")))
                .collect();
            if statuses
                .iter()
                .all(|(_, actual, expected)| actual.as_ref() == Ok(expected))
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "within {WAIT:?} every order view should reach its planned status: {statuses:?}"
            );
            // Pacing between checks of the condition above, not synchronisation.
            std::thread::sleep(Duration::from_millis(100));
        }

        let all = streams_http::get(address, &format!("/stores/{ORDER_VIEWS_STORE}/all")).unwrap();
        assert_eq!(all.status, 200);
        let listed: Vec<serde_json::Value> = serde_json::from_str(&all.body).unwrap();
        let mut ids: Vec<&str> = listed
            .iter()
            .map(|entry| {
                assert_eq!(entry["key"], entry["value"]["order_id"]);
                entry["value"]["order_id"].as_str().unwrap()
            })
            .collect();
        ids.sort();
        let expected_ids: Vec<&str> = outcomes.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            ids, expected_ids,
            "GET /stores/order-views/all lists every order"
        );

        let one: serde_json::Value = serde_json::from_str(
            &streams_http::get(
                address,
                &format!("/stores/{ORDER_VIEWS_STORE}/keys/order-0001"),
            )
            .unwrap()
            .body,
        )
        .unwrap();
        assert_eq!(one["customer"], "ada");
        assert_eq!(one["events"], 3);
        assert_eq!(status_of(address, "order-9999"), Err(404));
        assert_eq!(streams_http::get(address, "/nothing").unwrap().status, 404);
        let topology = streams_http::get(address, "/topology?format=mermaid").unwrap();
        assert!(
            topology.body.starts_with("flowchart TD"),
            "{}",
            topology.body
        );
        assert_eq!(streams_http::get(address, "/ready").unwrap().status, 200);
    }
    endpoint.stop();
    let mut streams = std::sync::Arc::try_unwrap(streams).ok().unwrap();
    streams.close(WAIT).unwrap();
    broker.shutdown_blocking();
}
