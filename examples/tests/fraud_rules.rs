//! The fraud topology on the TopologyTestDriver: each rule fires on its pattern
//! and stays quiet on normal traffic, and generated traffic raises exactly the
//! injected alerts.

use examples::fraud::places::{FAR_AWAY, HOME_CITIES, NEARBY_ABROAD};
use examples::fraud::{
    ALERTS_TOPIC, Alert, BURST_THRESHOLD, Rule, TRANSACTIONS_TOPIC, Transaction,
    TransactionGenerator, fraud_topology,
};
use std::collections::BTreeSet;
use streams_dsl::prelude::*;

const MINUTE: i64 = 60_000;
/// A minute-aligned start time (1 Jan 2024).
const START: i64 = 1_704_067_200_000;

/// Charges `card` (issued in Amsterdam) `cents` in `city_index` of `cities`.
fn charge(
    id: u64,
    card: &str,
    cents: u64,
    at_ms: i64,
    place: (&str, &str, f64, f64),
) -> Transaction {
    Transaction {
        id,
        card: card.to_string(),
        amount_cents: cents,
        merchant: "shop".to_string(),
        card_country: "NL".to_string(),
        merchant_country: place.1.to_string(),
        city: place.0.to_string(),
        latitude: place.2,
        longitude: place.3,
        at_ms,
    }
}

fn amsterdam() -> (&'static str, &'static str, f64, f64) {
    let c = HOME_CITIES[0];
    (c.name, c.country, c.latitude, c.longitude)
}

fn london() -> (&'static str, &'static str, f64, f64) {
    let c = NEARBY_ABROAD[0];
    (c.name, c.country, c.latitude, c.longitude)
}

fn tokyo() -> (&'static str, &'static str, f64, f64) {
    let c = FAR_AWAY[1];
    (c.name, c.country, c.latitude, c.longitude)
}

/// Pipes `transactions` through the detector; returns the alerts as (rule, card, id).
fn alerts_for(transactions: &[Transaction]) -> Vec<(Rule, String, u64)> {
    let driver =
        TopologyTestDriver::new(fraud_topology(TRANSACTIONS_TOPIC, ALERTS_TOPIC).unwrap()).unwrap();
    let input = driver
        .input_topic::<String, Transaction>(TRANSACTIONS_TOPIC)
        .unwrap();
    for t in transactions {
        input.pipe(t.card.clone(), t.clone(), t.at_ms).unwrap();
    }
    driver
        .output_topic::<String, Alert>(ALERTS_TOPIC)
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|record| {
            assert_eq!(record.key, record.value.card, "alerts are keyed by card");
            (
                record.value.rule,
                record.value.card,
                record.value.transaction_id,
            )
        })
        .collect()
}

/// `n` ordinary charges of 40 EUR in Amsterdam, one every 5 minutes from `from`.
fn usual(card: &str, first_id: u64, n: u64, from: i64) -> Vec<Transaction> {
    (0..n)
        .map(|i| {
            charge(
                first_id + i,
                card,
                4_000,
                from + i as i64 * 5 * MINUTE,
                amsterdam(),
            )
        })
        .collect()
}

#[test]
fn normal_spending_raises_no_alert() {
    let mut traffic = usual("card-a", 0, 20, START);
    traffic.extend(usual("card-b", 100, 20, START + MINUTE));
    assert_eq!(alerts_for(&traffic), vec![]);
}

#[test]
fn a_charge_far_above_the_cards_usual_amounts_is_a_spike() {
    let mut traffic = usual("card-a", 0, 3, START);
    traffic.push(charge(
        3,
        "card-a",
        300_000,
        START + 20 * MINUTE,
        amsterdam(),
    ));
    assert_eq!(
        alerts_for(&traffic),
        vec![(Rule::AmountSpike, "card-a".to_string(), 3)]
    );
}

#[test]
fn a_large_charge_is_no_spike_without_history_or_for_a_big_spender() {
    // No history yet: the card's usual amount is unknown.
    let mut traffic = vec![charge(0, "card-new", 300_000, START, amsterdam())];
    // A card that usually spends 800 EUR charging 1500 EUR.
    for i in 0..3 {
        traffic.push(charge(
            10 + i,
            "card-rich",
            80_000,
            START + i as i64 * MINUTE,
            amsterdam(),
        ));
    }
    traffic.push(charge(
        13,
        "card-rich",
        150_000,
        START + 10 * MINUTE,
        amsterdam(),
    ));
    assert_eq!(alerts_for(&traffic), vec![]);
}

#[test]
fn a_flagged_spike_does_not_raise_the_cards_baseline() {
    let mut traffic = usual("card-a", 0, 3, START);
    traffic.push(charge(
        3,
        "card-a",
        300_000,
        START + 20 * MINUTE,
        amsterdam(),
    ));
    traffic.push(charge(
        4,
        "card-a",
        300_000,
        START + 21 * MINUTE,
        amsterdam(),
    ));
    assert_eq!(
        alerts_for(&traffic),
        vec![
            (Rule::AmountSpike, "card-a".to_string(), 3),
            (Rule::AmountSpike, "card-a".to_string(), 4)
        ]
    );
}

#[test]
fn a_large_charge_abroad_is_flagged_and_a_small_one_is_not() {
    let traffic = vec![
        charge(0, "card-a", 60_000, START, london()),
        charge(1, "card-b", 10_000, START, london()),
    ];
    assert_eq!(
        alerts_for(&traffic),
        vec![(Rule::LargeForeignCharge, "card-a".to_string(), 0)]
    );
}

#[test]
fn the_same_card_on_another_continent_minutes_later_is_impossible_travel() {
    let mut traffic = usual("card-a", 0, 2, START);
    // Five minutes after the last Amsterdam charge: Tokyo.
    traffic.push(charge(2, "card-a", 3_000, START + 10 * MINUTE, tokyo()));
    // Back home a minute later is fine: the flagged charge is not where the card is.
    traffic.push(charge(3, "card-a", 3_000, START + 11 * MINUTE, amsterdam()));
    assert_eq!(
        alerts_for(&traffic),
        vec![(Rule::ImpossibleTravel, "card-a".to_string(), 2)]
    );
}

#[test]
fn travel_a_plane_can_make_or_a_short_hop_is_not_flagged() {
    let mut traffic = usual("card-a", 0, 1, START);
    // Tokyo a day later: a flight takes less than that.
    traffic.push(charge(
        1,
        "card-a",
        3_000,
        START + 24 * 60 * MINUTE,
        tokyo(),
    ));
    let mut short_hop = usual("card-b", 10, 1, START);
    // London (360 km) a minute later: too close to be sure.
    short_hop.push(charge(11, "card-b", 3_000, START + MINUTE, london()));
    traffic.extend(short_hop);
    assert_eq!(alerts_for(&traffic), vec![]);
}

fn small_charges(card: &str, first_id: u64, n: u64, from: i64, every_ms: i64) -> Vec<Transaction> {
    (0..n)
        .map(|i| {
            charge(
                first_id + i,
                card,
                150,
                from + i as i64 * every_ms,
                amsterdam(),
            )
        })
        .collect()
}

#[test]
fn a_burst_of_small_charges_in_a_minute_raises_one_alert() {
    let burst = BURST_THRESHOLD as u64 + 2;
    let traffic = small_charges("card-a", 0, burst, START + 1_000, 2_000);
    assert_eq!(
        alerts_for(&traffic),
        vec![(Rule::BurstOfSmallCharges, "card-a".to_string(), 0)]
    );
}

#[test]
fn small_charges_below_the_threshold_or_spread_out_raise_no_alert() {
    let mut traffic = small_charges("card-a", 0, BURST_THRESHOLD as u64 - 1, START, 1_000);
    traffic.extend(small_charges("card-b", 100, 8, START, 5 * MINUTE));
    assert_eq!(alerts_for(&traffic), vec![]);
}

#[test]
fn generated_traffic_raises_exactly_the_injected_alerts() {
    let traffic = TransactionGenerator::new(7, 500, START, 100).generate(20_000);
    for rule in [
        Rule::AmountSpike,
        Rule::LargeForeignCharge,
        Rule::BurstOfSmallCharges,
        Rule::ImpossibleTravel,
    ] {
        assert!(traffic.injected(rule) > 0, "the generator injects {rule}");
    }
    let expected: BTreeSet<(Rule, String, u64)> = traffic
        .injections
        .iter()
        .map(|i| {
            let id = if i.rule == Rule::BurstOfSmallCharges {
                0
            } else {
                i.transaction_id
            };
            (i.rule, i.card.clone(), id)
        })
        .collect();
    let alerts = alerts_for(&traffic.transactions);
    assert_eq!(
        alerts.len(),
        traffic.injections.len(),
        "one alert per injection"
    );
    assert_eq!(alerts.into_iter().collect::<BTreeSet<_>>(), expected);
}
