//! Fraud detection: synthetic card transactions, the per-card profile and rules
//! that flag them, and the topology that turns transactions into alerts.

mod generator;
mod model;
pub mod places;
pub mod profile;
mod topology;

pub use generator::{BURST_LENGTH, GeneratedTraffic, Injection, TransactionGenerator};
pub use model::{Alert, Rule, Transaction};
pub use profile::CardProfile;
pub use topology::{
    ALERTS_TOPIC, BURST_THRESHOLD, SMALL_CENTS, TRANSACTIONS_TOPIC, fraud_topology,
};
