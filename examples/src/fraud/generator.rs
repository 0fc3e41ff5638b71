//! A deterministic generator of card traffic: normal spending plus injected fraud
//! whose count is known, so a run can check what the detector found.

use super::{Rule, Transaction};

const COUNTRIES: [&str; 4] = ["NL", "DE", "FR", "ES"];
/// Small charges in one injected burst.
pub const BURST_LENGTH: usize = 6;
const MERCHANTS: [&str; 5] = ["grocer", "fuel", "bookshop", "cafe", "pharmacy"];

/// Traffic with the fraud injected into it.
#[derive(Debug, Clone)]
pub struct GeneratedTraffic {
    /// (timestamp ms, transaction) in time order.
    pub transactions: Vec<(i64, Transaction)>,
    /// How many transactions were generated to trip each rule.
    pub injected: Vec<(Rule, usize)>,
}

/// Generates card transactions from a seed (xorshift; no external randomness).
#[derive(Debug, Clone)]
pub struct TransactionGenerator {
    state: u64,
    cards: u64,
}

impl TransactionGenerator {
    /// A generator over `cards` cards.
    pub fn new(seed: u64, cards: u64) -> Self {
        Self {
            state: seed.max(1),
            cards: cards.max(1),
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// `count` transactions, one every 100 ms from `start_ms`; about 1 in 200 is an
    /// amount spike, 1 in 250 a large charge abroad, and 1 in 500 starts a burst of
    /// [`BURST_LENGTH`] small charges on one card.
    pub fn generate(&mut self, count: usize, start_ms: i64) -> GeneratedTraffic {
        let mut transactions = Vec::with_capacity(count);
        let (mut spikes, mut foreign, mut bursts) = (0, 0, 0);
        let mut burst: Option<(u64, usize)> = None;
        for i in 0..count {
            let roll = self.next() % 1_000;
            if burst.is_none() && roll < 2 && count - i >= BURST_LENGTH {
                bursts += 1;
                burst = Some((self.next() % self.cards, BURST_LENGTH));
            }
            let card_number = match burst {
                Some((card, _)) => card,
                None => self.next() % self.cards,
            };
            let card_country = COUNTRIES[(card_number % COUNTRIES.len() as u64) as usize];
            let (amount_cents, merchant_country) = if let Some((card, left)) = burst {
                burst = (left > 1).then_some((card, left - 1));
                (100 + self.next() % 300, card_country)
            } else if roll < 7 {
                spikes += 1;
                (250_000 + self.next() % 500_000, card_country)
            } else if roll < 11 {
                foreign += 1;
                (60_000 + self.next() % 40_000, "BR")
            } else {
                (200 + self.next() % 12_000, card_country)
            };
            transactions.push((
                start_ms + i as i64 * 100,
                Transaction {
                    id: i as u64,
                    card: format!("card-{card_number:05}"),
                    amount_cents,
                    merchant: MERCHANTS[(self.next() % MERCHANTS.len() as u64) as usize]
                        .to_string(),
                    card_country: card_country.to_string(),
                    merchant_country: merchant_country.to_string(),
                },
            ));
        }
        GeneratedTraffic {
            transactions,
            injected: vec![
                (Rule::AmountSpike, spikes),
                (Rule::LargeForeignCharge, foreign),
                (Rule::BurstOfSmallCharges, bursts),
            ],
        }
    }
}
