//! The fraud-detection topology: transactions in, alerts out.
//!
//! Two per-card statistics drive the rules: a count of small charges per card
//! and (tumbling) minute window flags card testing, and a per-card profile
//! (accepted charges, their total, where and when the card was last used) judges
//! each new charge for impossible travel, amount spikes and large charges abroad.

use super::profile::euros;
use super::{Alert, CardProfile, Rule, Transaction};
use std::time::Duration;
use streams_dsl::prelude::*;

/// Default input topic: transactions keyed by card id, JSON values.
pub const TRANSACTIONS_TOPIC: &str = "transactions";
/// Default output topic: alerts keyed by card id, JSON values.
pub const ALERTS_TOPIC: &str = "fraud-alerts";

/// Charges below this many cents count as small.
pub const SMALL_CENTS: u64 = 500;
/// Small charges on one card within one clock minute that raise an alert.
pub const BURST_THRESHOLD: i64 = 5;

/// Builds the detector reading `transactions_topic` and writing every alert to
/// `alerts_topic`. Transactions are keyed by card, so both statistics are
/// computed without a repartition.
pub fn fraud_topology(
    transactions_topic: &str,
    alerts_topic: &str,
) -> Result<Topology, TopologyError> {
    let builder = StreamsBuilder::new();
    builder.register_serde(JsonSerde::<Transaction>::new());
    builder.register_serde(JsonSerde::<Alert>::new());
    builder.register_serde(JsonSerde::<CardProfile>::new());
    let transactions = builder.stream::<String, Transaction>(
        transactions_topic,
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
        .to(alerts_topic, Produced::default());

    transactions
        .group_by_key()
        .aggregate(
            CardProfile::default,
            |_, transaction, profile: CardProfile| profile.observe(&transaction),
            Materialized::named("card-profiles").with_caching_disabled(),
        )
        .to_stream()
        .flat_map_values(|profile: Option<CardProfile>| {
            profile.and_then(|profile| profile.latest_alert)
        })
        .to(alerts_topic, Produced::default());
    builder.build()
}
