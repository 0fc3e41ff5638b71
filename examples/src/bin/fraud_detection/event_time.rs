//! Where the demo's synthetic event time starts. An application's stream time
//! never goes back (its window stores restore it from their changelogs), so a run
//! against a cluster that already holds transactions continues after the latest
//! of them; otherwise the run's event time ends about now.

use crate::offsets::Offsets;
use crate::{BoxError, TIMEOUT};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const MINUTE_MS: i64 = 60_000;

/// Wall-clock time in ms since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The largest timestamp among the last records of `topic`'s partitions.
pub fn latest_timestamp(bootstrap_servers: &str, topic: &str) -> Result<Option<i64>, BoxError> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("group.id", "rstreams-fraud-detection-event-time")
        .set("enable.auto.commit", "false")
        .create()?;
    let mut list = TopicPartitionList::new();
    let mut waiting = 0;
    for (partition, end) in Offsets::end_of(&consumer, topic)?.0 {
        let (low, _) = consumer.fetch_watermarks(topic, partition, TIMEOUT)?;
        if end > low {
            list.add_partition_offset(topic, partition, Offset::Offset(end - 1))?;
            waiting += 1;
        }
    }
    if waiting == 0 {
        return Ok(None);
    }
    consumer.assign(&list)?;
    let deadline = Instant::now() + TIMEOUT;
    let mut latest = None;
    while waiting > 0 {
        if Instant::now() > deadline {
            return Err(
                format!("the last records of {topic} were not read within {TIMEOUT:?}").into(),
            );
        }
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message?;
            waiting -= 1;
            if let Some(timestamp) = message.timestamp().to_millis() {
                latest = latest.max(Some(timestamp));
            }
        }
    }
    Ok(latest)
}

/// A minute-aligned start for `span_ms` of event time: ending about now, but
/// after `latest` (plus a minute, so no window of the last run is reopened).
pub fn start_ms(span_ms: i64, latest: Option<i64>) -> i64 {
    let ending_now = now_ms() - span_ms;
    let after_latest = latest.map_or(i64::MIN, |t| t + MINUTE_MS);
    ending_now.max(after_latest).div_euclid(MINUTE_MS) * MINUTE_MS + MINUTE_MS
}
