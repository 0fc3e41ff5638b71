//! A deterministic generator of card traffic: normal spending plus injected fraud
//! (bursts of small charges, amount spikes against the card's usual amounts, large
//! charges abroad, the same card in far-apart places within minutes), each
//! injection recorded so a run can check what the detector found.

use super::places::{City, FAR_AWAY, HOME_CITIES, NEARBY_ABROAD};
use super::profile::MIN_HISTORY;
use super::{Rule, Transaction};
use crate::xorshift::Xorshift;
use std::collections::{HashMap, VecDeque};

/// Small charges in one injected burst.
pub const BURST_LENGTH: usize = 6;
const MERCHANTS: [&str; 5] = ["grocer", "fuel", "bookshop", "cafe", "pharmacy"];
/// Bursts fit in one of the detector's (epoch-aligned, tumbling) minute windows.
const BURST_WINDOW_MS: i64 = 60_000;
/// Cards charged recently, the candidates for an impossible-travel injection.
const RECENT_CARDS: usize = 1_024;

/// One fraud the generator injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// The rule it should trip.
    pub rule: Rule,
    /// The card.
    pub card: String,
    /// The fraudulent transaction (for a burst: its first charge).
    pub transaction_id: u64,
}

/// Traffic with the fraud injected into it.
#[derive(Debug, Clone)]
pub struct GeneratedTraffic {
    /// Transactions in time order.
    pub transactions: Vec<Transaction>,
    /// The fraud among them.
    pub injections: Vec<Injection>,
}

impl GeneratedTraffic {
    /// How many injections should trip `rule`.
    pub fn injected(&self, rule: Rule) -> usize {
        self.injections.iter().filter(|i| i.rule == rule).count()
    }
}

/// Generates card transactions from a seed (xorshift; no external randomness).
/// Successive calls to [`TransactionGenerator::generate`] continue one stream of
/// traffic: ids and times go on, and cards keep their history.
#[derive(Debug, Clone)]
pub struct TransactionGenerator {
    random: Xorshift,
    cards: u64,
    next_id: u64,
    next_ms: i64,
    spacing_ms: i64,
    /// Charges of each card a detector accepts as normal (its profile size).
    history: HashMap<u64, u64>,
    recent: VecDeque<u64>,
}

impl TransactionGenerator {
    /// A generator over `cards` cards whose first transaction happens at
    /// `start_ms`, the next ones `spacing_ms` apart.
    pub fn new(seed: u64, cards: u64, start_ms: i64, spacing_ms: i64) -> Self {
        Self {
            random: Xorshift::new(seed),
            cards: cards.max(1),
            next_id: 0,
            next_ms: start_ms,
            spacing_ms,
            history: HashMap::new(),
            recent: VecDeque::with_capacity(RECENT_CARDS),
        }
    }

    fn next(&mut self) -> u64 {
        self.random.next_u64()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// The next `count` transactions. Per mille of them: 2 start a burst of
    /// [`BURST_LENGTH`] small charges on one card (within one clock minute), 5 are amount spikes (on cards
    /// with enough history), 4 large charges in a nearby country, 3 a charge on a
    /// recently used card on another continent; the rest is normal spending in
    /// the card's home city.
    pub fn generate(&mut self, count: usize) -> GeneratedTraffic {
        let mut transactions = Vec::with_capacity(count);
        let mut injections = Vec::new();
        let mut burst: Option<(u64, usize)> = None;
        for i in 0..count {
            let id = self.next_id;
            let roll = self.next() % 1_000;
            let burst_fits_in_minute = self.next_ms.rem_euclid(BURST_WINDOW_MS)
                + (BURST_LENGTH as i64 - 1) * self.spacing_ms
                < BURST_WINDOW_MS;
            if burst.is_none() && roll < 2 && count - i >= BURST_LENGTH && burst_fits_in_minute {
                let card = self.next() % self.cards;
                burst = Some((card, BURST_LENGTH));
                injections.push(Injection {
                    rule: Rule::BurstOfSmallCharges,
                    card: card_name(card),
                    transaction_id: id,
                });
            }
            let (card, amount_cents, place, injected) = if let Some((card, left)) = burst {
                burst = (left > 1).then_some((card, left - 1));
                (card, 100 + self.next() % 300, home(card), None)
            } else {
                let card = self.next() % self.cards;
                let seasoned = self.history.get(&card).copied().unwrap_or(0) >= MIN_HISTORY;
                match roll {
                    2..7 if seasoned => (
                        card,
                        250_000 + self.next() % 500_000,
                        home(card),
                        Some(Rule::AmountSpike),
                    ),
                    7..11 => (
                        card,
                        60_000 + self.next() % 40_000,
                        NEARBY_ABROAD[(card % 4) as usize],
                        Some(Rule::LargeForeignCharge),
                    ),
                    11..14 if !self.recent.is_empty() => {
                        let slot = (self.next() % self.recent.len() as u64) as usize;
                        let travelled = self.recent[slot];
                        (
                            travelled,
                            200 + self.next() % 12_000,
                            self.pick(&FAR_AWAY),
                            Some(Rule::ImpossibleTravel),
                        )
                    }
                    _ => (card, 200 + self.next() % 12_000, home(card), None),
                }
            };
            match injected {
                Some(rule) => injections.push(Injection {
                    rule,
                    card: card_name(card),
                    transaction_id: id,
                }),
                None => {
                    *self.history.entry(card).or_insert(0) += 1;
                    if self.recent.len() == RECENT_CARDS {
                        self.recent.pop_front();
                    }
                    self.recent.push_back(card);
                }
            }
            let merchant = self.pick(&MERCHANTS).to_string();
            transactions.push(Transaction {
                id,
                card: card_name(card),
                amount_cents,
                merchant,
                card_country: home(card).country.to_string(),
                merchant_country: place.country.to_string(),
                city: place.name.to_string(),
                latitude: place.latitude,
                longitude: place.longitude,
                at_ms: self.next_ms,
            });
            self.next_id += 1;
            self.next_ms += self.spacing_ms;
        }
        GeneratedTraffic {
            transactions,
            injections,
        }
    }
}

fn card_name(card: u64) -> String {
    format!("card-{card:05}")
}

fn home(card: u64) -> City {
    HOME_CITIES[(card % HOME_CITIES.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_traffic() {
        let first = TransactionGenerator::new(3, 100, 0, 100).generate(2_000);
        let second = TransactionGenerator::new(3, 100, 0, 100).generate(2_000);
        assert_eq!(first.transactions, second.transactions);
        assert_eq!(first.injections, second.injections);
        let other = TransactionGenerator::new(4, 100, 0, 100).generate(2_000);
        assert_ne!(first.transactions, other.transactions);
    }

    #[test]
    fn batches_continue_one_stream() {
        let mut generator = TransactionGenerator::new(5, 100, 1_000, 10);
        let first = generator.generate(50);
        let second = generator.generate(50);
        assert_eq!(second.transactions[0].id, 50);
        assert_eq!(second.transactions[0].at_ms, 1_500);
        assert_eq!(first.transactions[49].at_ms, 1_490);
    }

    #[test]
    fn every_pattern_is_injected_and_recorded() {
        let traffic = TransactionGenerator::new(11, 500, 0, 100).generate(20_000);
        for rule in [
            Rule::AmountSpike,
            Rule::LargeForeignCharge,
            Rule::BurstOfSmallCharges,
            Rule::ImpossibleTravel,
        ] {
            assert!(
                traffic.injected(rule) > 5,
                "{rule}: {}",
                traffic.injected(rule)
            );
        }
        for injection in &traffic.injections {
            let transaction = &traffic.transactions[injection.transaction_id as usize];
            assert_eq!(transaction.card, injection.card);
        }
    }
}
