//! The fraud-detection topology: transactions in, alerts out.
//!
//! This first version applies per-transaction rules; per-card windowed statistics
//! (bursts of small charges, impossible travel) join it with the stateful DSL.

use super::{Alert, Rule, Transaction};
use streams_dsl::prelude::*;

/// Input topic: transactions keyed by card id, JSON values.
pub const TRANSACTIONS_TOPIC: &str = "card-transactions";
/// Output topic: alerts keyed by card id, JSON values.
pub const ALERTS_TOPIC: &str = "fraud-alerts";

/// Charges at or above this many cents are amount spikes.
const SPIKE_CENTS: u64 = 200_000;
/// Charges abroad at or above this many cents are flagged.
const FOREIGN_CENTS: u64 = 50_000;

fn alert(rule: Rule, transaction: &Transaction) -> Alert {
    let detail = match rule {
        Rule::AmountSpike => format!(
            "{:.2} EUR at {} is far above normal spending",
            transaction.amount_cents as f64 / 100.0,
            transaction.merchant
        ),
        Rule::LargeForeignCharge => format!(
            "{:.2} EUR in {} on a card issued in {}",
            transaction.amount_cents as f64 / 100.0,
            transaction.merchant_country,
            transaction.card_country
        ),
    };
    Alert {
        rule,
        transaction_id: transaction.id,
        card: transaction.card.clone(),
        detail,
    }
}

/// Builds the detector: each transaction is checked by the rules in order and the
/// first that matches raises an alert on [`ALERTS_TOPIC`].
pub fn fraud_topology() -> Result<Topology, TopologyError> {
    let builder = StreamsBuilder::new();
    builder.register_serde(JsonSerde::<Transaction>::new());
    builder.register_serde(JsonSerde::<Alert>::new());
    let mut branches = builder
        .stream::<String, Transaction>(
            TRANSACTIONS_TOPIC,
            Consumed::default().named("transactions"),
        )
        .split("rule-")
        .branch("amount-spike", |_, t| t.amount_cents >= SPIKE_CENTS)
        .branch("large-foreign-charge", |_, t| {
            t.merchant_country != t.card_country && t.amount_cents >= FOREIGN_CENTS
        })
        .no_default_branch();
    let rules = [
        ("rule-amount-spike", Rule::AmountSpike),
        ("rule-large-foreign-charge", Rule::LargeForeignCharge),
    ];
    for (branch, rule) in rules {
        if let Some(flagged) = branches.take(branch) {
            flagged
                .map_values(move |t| alert(rule, &t))
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
