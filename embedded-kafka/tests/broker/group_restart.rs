//! A consumer group across a broker restart on the same data directory: the
//! coordinator reloads each group's generation and members (Kafka's GroupMetadata
//! records), so running librdkafka members keep their assignment, heartbeat and
//! commit with their old generation, without a rebalance.

use crate::common;

use common::*;
use embedded_kafka::BrokerConfig;
use embedded_kafka::group::GroupState;
use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::producer::FutureRecord;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts the rebalances a consumer goes through.
#[derive(Clone, Default)]
struct RebalanceCounter(Arc<AtomicUsize>);

impl ClientContext for RebalanceCounter {}

impl ConsumerContext for RebalanceCounter {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, _: &Rebalance<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

type CountingConsumer = BaseConsumer<RebalanceCounter>;

fn member(bootstrap: &str, group: &str, topic: &str) -> (CountingConsumer, RebalanceCounter) {
    let counter = RebalanceCounter::default();
    let consumer: CountingConsumer = client_config(
        bootstrap,
        &[
            ("group.id", group),
            ("enable.auto.commit", "false"),
            ("auto.offset.reset", "earliest"),
            // Longer than the restart, as a member's session must be to survive a
            // coordinator failover in Kafka too.
            ("session.timeout.ms", "30000"),
            ("heartbeat.interval.ms", "200"),
            ("reconnect.backoff.max.ms", "200"),
        ],
    )
    .create_with_context(counter.clone())
    .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    (consumer, counter)
}

fn owned(consumer: &CountingConsumer) -> Vec<i32> {
    let mut partitions: Vec<i32> = consumer
        .assignment()
        .expect("assignment")
        .elements()
        .iter()
        .map(|e| e.partition())
        .collect();
    partitions.sort();
    partitions
}

/// Polls the members until `done` holds for the number of records they received,
/// failing after [`WAIT`]. Errors are reported, not failures: the broker is down
/// for a moment.
fn poll_until(members: &[&CountingConsumer], what: &str, mut done: impl FnMut(usize) -> bool) {
    let deadline = Instant::now() + WAIT;
    let mut records = 0;
    loop {
        for member in members {
            match member.poll(Duration::from_millis(20)) {
                Some(Ok(_)) => records += 1,
                Some(Err(error)) => eprintln!("consumer reported: {error}"),
                None => {}
            }
        }
        if done(records) {
            return;
        }
        assert!(Instant::now() < deadline, "{what} within {WAIT:?}");
    }
}

#[test]
fn a_two_member_group_keeps_its_generation_and_assignment_across_a_broker_restart() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let topic = unique("group-restart");
    let group = unique("group-restart-group");
    let kafka = start_with(BrokerConfig::default().with_data_dir(data_dir.path()));
    let address = kafka.local_addr();
    kafka.create_topic(&topic, 4, &[]).expect("topic");
    let bootstrap = kafka.bootstrap_servers();
    let (first, first_rebalances) = member(&bootstrap, &group, &topic);
    let (second, second_rebalances) = member(&bootstrap, &group, &topic);
    poll_until(&[&first, &second], "a stable group of two", |_| {
        owned(&first).len() == 2
            && owned(&second).len() == 2
            && kafka.broker().groups.generation(&group).map(|(s, _)| s) == Some(GroupState::Stable)
    });
    let (_, generation) = kafka.broker().groups.generation(&group).expect("group");
    let assignments = (owned(&first), owned(&second));
    let rebalances = (
        first_rebalances.0.load(Ordering::SeqCst),
        second_rebalances.0.load(Ordering::SeqCst),
    );
    kafka.shutdown_blocking();

    let restarted = start_with(
        BrokerConfig::default()
            .with_data_dir(data_dir.path())
            .with_listen(address),
    );
    assert_eq!(
        restarted.broker().groups.generation(&group),
        Some((GroupState::Stable, generation)),
        "the group is reloaded in its generation"
    );
    let producer = producer(&restarted.bootstrap_servers(), &[]);
    for partition in 0..4 {
        send(
            &producer,
            FutureRecord::<str, str>::to(&topic)
                .payload("after the restart")
                .partition(partition),
        )
        .expect("delivered after the restart");
    }
    poll_until(
        &[&first, &second],
        "both members read the records produced after the restart",
        |records| records >= 4,
    );
    // Commits with the old generation and member ids are accepted.
    for member in [&first, &second] {
        let deadline = Instant::now() + WAIT;
        loop {
            member.poll(Duration::from_millis(20));
            match member.commit_consumer_state(CommitMode::Sync) {
                Ok(()) => break,
                Err(error) => {
                    assert!(
                        Instant::now() < deadline,
                        "commit after the restart failed: {error}"
                    );
                }
            }
        }
    }
    assert_eq!(
        restarted.broker().groups.generation(&group),
        Some((GroupState::Stable, generation)),
        "no rebalance: the generation did not change"
    );
    assert_eq!((owned(&first), owned(&second)), assignments);
    assert_eq!(
        (
            first_rebalances.0.load(Ordering::SeqCst),
            second_rebalances.0.load(Ordering::SeqCst),
        ),
        rebalances,
        "no member went through a rebalance"
    );
}
