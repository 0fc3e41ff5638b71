//! The fraud-detection topology on the broker-backed runtime: a small,
//! hand-written set of card transactions in, exactly the expected alerts out.

use examples::fraud::places::{City, FAR_AWAY, HOME_CITIES, NEARBY_ABROAD};
use examples::fraud::{Alert, Rule, Transaction, fraud_topology};
use integration_tests::{TestCluster, unique};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use streams_dsl::prelude::*;

const WAIT: Duration = Duration::from_secs(90);
const PARTITIONS: i32 = 2;
const MINUTE: i64 = 60_000;

fn charge(id: u64, card: &str, cents: u64, at_ms: i64, place: City) -> Transaction {
    Transaction {
        id,
        card: card.to_string(),
        amount_cents: cents,
        merchant: "shop".to_string(),
        card_country: "NL".to_string(),
        merchant_country: place.country.to_string(),
        city: place.name.to_string(),
        latitude: place.latitude,
        longitude: place.longitude,
        at_ms,
    }
}

/// One card per pattern plus cards that only look suspicious, from `start`
/// (minute-aligned).
fn transactions(start: i64) -> Vec<Transaction> {
    let (amsterdam, london, tokyo) = (HOME_CITIES[0], NEARBY_ABROAD[0], FAR_AWAY[1]);
    let mut all = Vec::new();
    for i in 0..4 {
        all.push(charge(
            i,
            "card-normal",
            4_000,
            start + i as i64 * 5 * MINUTE,
            amsterdam,
        ));
    }
    for i in 0..3 {
        all.push(charge(
            10 + i,
            "card-spike",
            4_000,
            start + i as i64 * MINUTE,
            amsterdam,
        ));
    }
    all.push(charge(
        13,
        "card-spike",
        300_000,
        start + 10 * MINUTE,
        amsterdam,
    ));
    all.push(charge(20, "card-abroad", 60_000, start, london));
    all.push(charge(21, "card-abroad-small", 6_000, start, london));
    all.push(charge(30, "card-travel", 4_000, start, amsterdam));
    all.push(charge(31, "card-travel", 4_000, start + 5 * MINUTE, tokyo));
    for i in 0..6 {
        all.push(charge(
            40 + i,
            "card-burst",
            150,
            start + 1_000 + i as i64 * 1_000,
            amsterdam,
        ));
        all.push(charge(
            50 + i,
            "card-slow-small",
            150,
            start + i as i64 * 5 * MINUTE,
            amsterdam,
        ));
    }
    all.sort_by_key(|t| t.at_ms);
    all
}

fn produce(cluster: &TestCluster, topic: &str, transactions: &[Transaction]) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set("partitioner", "murmur2_random")
        .create()
        .unwrap();
    for transaction in transactions {
        let payload = serde_json::to_vec(transaction).unwrap();
        producer
            .send(
                BaseRecord::to(topic)
                    .key(&transaction.card)
                    .payload(&payload)
                    .timestamp(transaction.at_ms),
            )
            .map_err(|(error, _)| error)
            .unwrap();
    }
    producer.flush(WAIT).unwrap();
}

/// Sum of the offsets `group` committed on `topic`.
fn committed_by(cluster: &TestCluster, group: &str, topic: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set("group.id", group)
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        list.add_partition(topic, partition);
    }
    let committed = consumer.committed_offsets(list, WAIT).unwrap();
    committed
        .elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(offset) => offset,
            _ => 0,
        })
        .sum()
}

fn records_in(cluster: &TestCluster, topic: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .create()
        .unwrap();
    (0..PARTITIONS)
        .map(|partition| {
            let (low, high) = consumer.fetch_watermarks(topic, partition, WAIT).unwrap();
            high - low
        })
        .sum()
}

#[test]
fn the_fraud_topology_on_a_broker_raises_exactly_the_expected_alerts() {
    let cluster = TestCluster::start();
    let (input, output) = (unique("transactions"), unique("fraud-alerts"));
    cluster.create_topic(&input, PARTITIONS);
    cluster.create_topic(&output, PARTITIONS);
    let state_dir = tempfile::tempdir().unwrap();
    let application_id = unique("fraud");
    let config = StreamsConfig::builder()
        .set("application.id", &application_id)
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set("state.dir", state_dir.path().display().to_string())
        .set("num.stream.threads", "2")
        .set("commit.interval.ms", "100")
        .set("replication.factor", "1")
        .build()
        .unwrap();
    let mut streams = KafkaStreams::new(fraud_topology(&input, &output).unwrap(), config).unwrap();
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();

    // An hour ago, minute-aligned: recent enough for any topic retention.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let start = (now - 60 * MINUTE).div_euclid(MINUTE) * MINUTE;
    let transactions = transactions(start);
    produce(&cluster, &input, &transactions);

    let expected: BTreeSet<(String, Rule, u64)> = [
        ("card-spike", Rule::AmountSpike, 13),
        ("card-abroad", Rule::LargeForeignCharge, 20),
        ("card-travel", Rule::ImpossibleTravel, 31),
        ("card-burst", Rule::BurstOfSmallCharges, 0),
    ]
    .into_iter()
    .map(|(card, rule, id)| (card.to_string(), rule, id))
    .collect();
    let mut reader = cluster.reader(&output, PARTITIONS);
    let records = reader
        .read_until(WAIT, "the four alerts", |records| {
            records.len() >= expected.len()
        })
        .to_vec();
    streams.close(WAIT).unwrap();

    let alerts: Vec<(String, Alert)> = records
        .iter()
        .map(|(key, value)| {
            let key = String::from_utf8(key.clone().expect("alerts have keys")).unwrap();
            let alert: Alert = serde_json::from_slice(value.as_deref().expect("a value")).unwrap();
            (key, alert)
        })
        .collect();
    for (key, alert) in &alerts {
        assert_eq!(key, &alert.card, "alerts are keyed by card");
    }
    let raised: BTreeSet<(String, Rule, u64)> = alerts
        .iter()
        .map(|(_, a)| (a.card.clone(), a.rule, a.transaction_id))
        .collect();
    assert_eq!(raised, expected);
    let burst = alerts
        .iter()
        .find(|(_, a)| a.rule == Rule::BurstOfSmallCharges)
        .unwrap();
    assert!(
        burst
            .1
            .detail
            .ends_with(&format!("in the minute from {start} ms")),
        "{}",
        burst.1.detail
    );
    // Every transaction was processed and committed, and the topic holds these
    // alerts and nothing else.
    assert_eq!(
        committed_by(&cluster, &application_id, &input),
        transactions.len() as i64
    );
    assert_eq!(records_in(&cluster, &output), expected.len() as i64);
}
