//! The records of the fraud-detection example.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One card payment, as the payment gateway publishes it (JSON, keyed by card id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// Unique transaction id.
    pub id: u64,
    /// The card charged.
    pub card: String,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Merchant name.
    pub merchant: String,
    /// ISO country of the card's issuer.
    pub card_country: String,
    /// ISO country where the payment happened.
    pub merchant_country: String,
    /// City where the payment happened.
    pub city: String,
    /// Latitude of the payment, degrees.
    pub latitude: f64,
    /// Longitude of the payment, degrees.
    pub longitude: f64,
    /// When the gateway accepted the payment (ms since the epoch); also the
    /// record's timestamp.
    pub at_ms: i64,
}

/// Which rule raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rule {
    /// One charge far above what this card usually spends.
    AmountSpike,
    /// A large charge abroad.
    LargeForeignCharge,
    /// Many small charges on one card within a minute (card testing).
    BurstOfSmallCharges,
    /// The same card in far-apart places within less time than a flight takes.
    ImpossibleTravel,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Rule::AmountSpike => "amount-spike",
            Rule::LargeForeignCharge => "large-foreign-charge",
            Rule::BurstOfSmallCharges => "burst-of-small-charges",
            Rule::ImpossibleTravel => "impossible-travel",
        })
    }
}

/// What the detector publishes to the alerts topic (JSON, keyed by card id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The rule that fired.
    pub rule: Rule,
    /// The transaction that triggered it (0 for a burst, which is a window of
    /// charges rather than one).
    pub transaction_id: u64,
    /// The card.
    pub card: String,
    /// A human-readable explanation.
    pub detail: String,
}
