//! A card's spending profile, built from its past charges, and the
//! per-transaction rules that judge a new charge against it: impossible travel,
//! amount spikes against the card's usual amounts, and large charges abroad.

use super::places::distance_km;
use super::{Alert, Rule, Transaction};
use serde::{Deserialize, Serialize};

/// Charges a card needs in its profile before its average means anything.
pub const MIN_HISTORY: u64 = 3;
/// A charge this many times the card's average is a spike...
pub const SPIKE_FACTOR: u64 = 10;
/// ...when it is also at least this many cents.
pub const SPIKE_FLOOR_CENTS: u64 = 100_000;
/// Charges abroad at or above this many cents are flagged.
pub const FOREIGN_CENTS: u64 = 50_000;
/// Places at least this far apart (km) can make travel impossible...
pub const TRAVEL_MIN_KM: f64 = 1_000.0;
/// ...when getting from one to the other would take more than this speed (km/h).
pub const TRAVEL_MAX_KMH: f64 = 900.0;

/// Where and when a card was last used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    /// City of the charge.
    pub city: String,
    /// Latitude, degrees.
    pub latitude: f64,
    /// Longitude, degrees.
    pub longitude: f64,
    /// Time of the charge, ms since the epoch.
    pub at_ms: i64,
}

/// What the detector knows about one card: the charges it accepted as normal
/// (flagged charges stay out, so fraud does not shift the baseline) and the
/// verdict on the latest charge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardProfile {
    /// Charges accepted into the profile.
    pub charges: u64,
    /// Their total in cents.
    pub total_cents: u64,
    /// The latest accepted charge's place and time.
    pub last_seen: Option<Sighting>,
    /// The alert the latest charge raised, if any.
    pub latest_alert: Option<Alert>,
}

impl CardProfile {
    /// The profile after `transaction`: judged by [`CardProfile::judge`], then
    /// added to the profile unless it raised an alert.
    pub fn observe(mut self, transaction: &Transaction) -> Self {
        self.latest_alert = self.judge(transaction);
        if self.latest_alert.is_none() {
            self.charges += 1;
            self.total_cents = self.total_cents.saturating_add(transaction.amount_cents);
            self.last_seen = Some(Sighting {
                city: transaction.city.clone(),
                latitude: transaction.latitude,
                longitude: transaction.longitude,
                at_ms: transaction.at_ms,
            });
        }
        self
    }

    /// The card's average accepted charge in cents, once it has enough history.
    pub fn average_cents(&self) -> Option<u64> {
        (self.charges >= MIN_HISTORY).then(|| self.total_cents / self.charges)
    }

    /// The first rule `transaction` breaks, in the order impossible travel,
    /// amount spike, large foreign charge.
    pub fn judge(&self, transaction: &Transaction) -> Option<Alert> {
        let alert = |rule, detail| Alert {
            rule,
            transaction_id: transaction.id,
            card: transaction.card.clone(),
            detail,
        };
        if let Some(detail) = self.impossible_travel(transaction) {
            return Some(alert(Rule::ImpossibleTravel, detail));
        }
        if let Some(average) = self.average_cents() {
            let amount = transaction.amount_cents;
            if amount >= SPIKE_FLOOR_CENTS && amount >= average.saturating_mul(SPIKE_FACTOR) {
                return Some(alert(
                    Rule::AmountSpike,
                    format!(
                        "{:.2} EUR at {} against a usual {:.2} EUR over {} charges",
                        euros(amount),
                        transaction.merchant,
                        euros(average),
                        self.charges
                    ),
                ));
            }
        }
        if transaction.merchant_country != transaction.card_country
            && transaction.amount_cents >= FOREIGN_CENTS
        {
            return Some(alert(
                Rule::LargeForeignCharge,
                format!(
                    "{:.2} EUR in {} ({}) on a card issued in {}",
                    euros(transaction.amount_cents),
                    transaction.city,
                    transaction.merchant_country,
                    transaction.card_country
                ),
            ));
        }
        None
    }

    fn impossible_travel(&self, transaction: &Transaction) -> Option<String> {
        let last = self.last_seen.as_ref()?;
        let km = distance_km(
            (last.latitude, last.longitude),
            (transaction.latitude, transaction.longitude),
        );
        if km < TRAVEL_MIN_KM {
            return None;
        }
        let elapsed_ms = transaction.at_ms.saturating_sub(last.at_ms).max(0);
        let hours = elapsed_ms as f64 / 3_600_000.0;
        if hours * TRAVEL_MAX_KMH >= km {
            return None;
        }
        Some(format!(
            "{} then {} ({km:.0} km) {:.1} minutes apart",
            last.city,
            transaction.city,
            elapsed_ms as f64 / 60_000.0
        ))
    }
}

/// Cents as euros.
pub fn euros(cents: u64) -> f64 {
    cents as f64 / 100.0
}
