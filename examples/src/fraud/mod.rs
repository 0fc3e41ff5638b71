//! Fraud detection: synthetic card transactions, the rules that flag them, and the
//! topology that turns transactions into alerts.

mod generator;
mod model;
mod topology;

pub use generator::{BURST_LENGTH, GeneratedTraffic, TransactionGenerator};
pub use model::{Alert, Rule, Transaction};
pub use topology::{ALERTS_TOPIC, TRANSACTIONS_TOPIC, fraud_topology};
