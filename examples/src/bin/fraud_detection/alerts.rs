//! The consumer that prints alerts as they arrive and keeps what it saw for the
//! summary.

use crate::offsets::Offsets;
use crate::{APPLICATION_ID, BoxError, TIMEOUT};
use examples::fraud::{ALERTS_TOPIC, Alert, Injection, Rule};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

/// Reads `fraud-alerts` from where it ended at startup and prints each alert.
pub struct AlertPrinter {
    consumer: BaseConsumer,
    pub by_rule: BTreeMap<Rule, usize>,
    seen: HashSet<(Rule, String, u64)>,
}

impl AlertPrinter {
    pub fn new(bootstrap_servers: &str) -> Result<Self, BoxError> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap_servers)
            .set("group.id", format!("{APPLICATION_ID}-alert-printer"))
            .set("enable.auto.commit", "false")
            .create()?;
        let start = Offsets::end_of(&consumer, ALERTS_TOPIC)?;
        let mut list = TopicPartitionList::new();
        for (partition, offset) in &start.0 {
            list.add_partition_offset(ALERTS_TOPIC, *partition, Offset::Offset(*offset))?;
        }
        consumer.assign(&list)?;
        Ok(Self {
            consumer,
            by_rule: BTreeMap::new(),
            seen: HashSet::new(),
        })
    }

    /// Prints the alerts that arrive within `wait`.
    pub fn poll(&mut self, wait: Duration) -> Result<(), BoxError> {
        let Some(message) = self.consumer.poll(wait) else {
            return Ok(());
        };
        let message = message?;
        let Some(payload) = message.payload() else {
            return Ok(());
        };
        let alert: Alert = serde_json::from_slice(payload)?;
        println!(
            "ALERT {:<22} {} {}",
            alert.rule.to_string(),
            alert.card,
            alert.detail
        );
        *self.by_rule.entry(alert.rule).or_default() += 1;
        self.seen
            .insert((alert.rule, alert.card, alert.transaction_id));
        Ok(())
    }

    /// Reads until every alert written so far is printed.
    pub fn drain(&mut self) -> Result<(), BoxError> {
        let end = Offsets::end_of(&self.consumer, ALERTS_TOPIC)?;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let mut positions = BTreeMap::new();
            for element in self.consumer.position()?.elements() {
                if let Offset::Offset(offset) = element.offset() {
                    positions.insert(element.partition(), offset);
                }
            }
            if Offsets(positions).reached(&end) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("the alerts were not read within {TIMEOUT:?}").into());
            }
            self.poll(Duration::from_millis(100))?;
        }
    }

    pub fn detected(&self, injection: &Injection) -> bool {
        let id = match injection.rule {
            Rule::BurstOfSmallCharges => 0,
            _ => injection.transaction_id,
        };
        self.seen
            .contains(&(injection.rule, injection.card.clone(), id))
    }
}
