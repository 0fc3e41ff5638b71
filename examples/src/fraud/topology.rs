//! The fraud-detection topology: transactions in, alerts out.
//!
//! Per-transaction rules flag amount spikes and large foreign charges; a per-card
//! one-minute window count of small charges flags card testing. Impossible travel
//! (the same card in far-apart places within minutes) comes with session windows.

use super::{Alert, Rule, Transaction};
use std::time::Duration;
use streams_dsl::prelude::*;

/// Input topic: transactions keyed by card id, JSON values.
pub const TRANSACTIONS_TOPIC: &str = "card-transactions";
/// Output topic: alerts keyed by card id, JSON values.
pub const ALERTS_TOPIC: &str = "fraud-alerts";

/// Charges at or above this many cents are amount spikes.
const SPIKE_CENTS: u64 = 200_000;
/// Charges abroad at or above this many cents are flagged.
const FOREIGN_CENTS: u64 = 50_000;
/// Charges below this many cents count as small.
const SMALL_CENTS: u64 = 500;
/// Small charges on one card within one minute that raise an alert.
const BURST_THRESHOLD: i64 = 5;

/// A per-transaction rule: its branch name, the rule, and how to explain a hit.
type TransactionRule = (&'static str, Rule, fn(&Transaction) -> String);

fn euros(cents: u64) -> f64 {
    cents as f64 / 100.0
}

fn spike_detail(t: &Transaction) -> String {
    format!(
        "{:.2} EUR at {} is far above normal spending",
        euros(t.amount_cents),
        t.merchant
    )
}

fn foreign_detail(t: &Transaction) -> String {
    format!(
        "{:.2} EUR in {} on a card issued in {}",
        euros(t.amount_cents),
        t.merchant_country,
        t.card_country
    )
}

/// Builds the detector. Each transaction is checked by the per-transaction rules
/// in order (the first match raises an alert), and small charges are counted per
/// card and minute; all alerts go to [`ALERTS_TOPIC`].
pub fn fraud_topology() -> Result<Topology, TopologyError> {
    let builder = StreamsBuilder::new();
    builder.register_serde(JsonSerde::<Transaction>::new());
    builder.register_serde(JsonSerde::<Alert>::new());
    let transactions = builder.stream::<String, Transaction>(
        TRANSACTIONS_TOPIC,
        Consumed::default().named("transactions"),
    );

    transactions
        .filter(|_, t| t.amount_cents < SMALL_CENTS)
        .group_by_key()
        .windowed_by(TimeWindows::of_size_and_grace(
            Duration::from_secs(60),
            Duration::from_secs(10),
        ))
        .count(Materialized::named("small-charges-per-card-minute").with_caching_disabled())
        .to_stream()
        .filter(|_, count| *count == Some(BURST_THRESHOLD))
        .map(|window, _| {
            let alert = Alert {
                rule: Rule::BurstOfSmallCharges,
                transaction_id: 0,
                card: window.key.clone(),
                detail: format!(
                    "{BURST_THRESHOLD} charges under {:.2} EUR in the minute from {} ms",
                    euros(SMALL_CENTS),
                    window.window.start
                ),
            };
            (window.key, alert)
        })
        .to(ALERTS_TOPIC, Produced::default());

    let mut branches = transactions
        .split("rule-")
        .branch("amount-spike", |_, t| t.amount_cents >= SPIKE_CENTS)
        .branch("large-foreign-charge", |_, t| {
            t.merchant_country != t.card_country && t.amount_cents >= FOREIGN_CENTS
        })
        .no_default_branch();
    let rules: [TransactionRule; 2] = [
        ("rule-amount-spike", Rule::AmountSpike, spike_detail),
        (
            "rule-large-foreign-charge",
            Rule::LargeForeignCharge,
            foreign_detail,
        ),
    ];
    for (branch, rule, detail) in rules {
        if let Some(flagged) = branches.take(branch) {
            flagged
                .map_values(move |t| Alert {
                    rule,
                    transaction_id: t.id,
                    card: t.card.clone(),
                    detail: detail(&t),
                })
                .to(ALERTS_TOPIC, Produced::default());
        }
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fraud::TransactionGenerator;

    #[test]
    fn every_injected_fraud_raises_exactly_one_alert() {
        let driver = TopologyTestDriver::new(fraud_topology().unwrap()).unwrap();
        let input = driver
            .input_topic::<String, Transaction>(TRANSACTIONS_TOPIC)
            .unwrap();
        let traffic = TransactionGenerator::new(7, 500).generate(20_000, 0);
        for (timestamp, transaction) in &traffic.transactions {
            input
                .pipe(transaction.card.clone(), transaction.clone(), *timestamp)
                .unwrap();
        }
        let alerts = driver
            .output_topic::<String, Alert>(ALERTS_TOPIC)
            .unwrap()
            .read_all()
            .unwrap();
        for (rule, injected) in &traffic.injected {
            assert!(*injected > 0, "the generator injects {rule}");
            let raised = alerts.iter().filter(|a| a.value.rule == *rule).count();
            assert_eq!(raised, *injected, "alerts for {rule}");
        }
        assert!(alerts.iter().all(|a| a.key == a.value.card));
    }
}
