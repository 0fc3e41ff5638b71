//! A Kafka-compatible broker for development and tests, in-process or as a binary.
//!
//! It speaks the Kafka protocol (through the `kafka-protocol` crate) to real clients
//! such as librdkafka: topics and record batches stored raw, long-polling fetches,
//! idempotent and transactional producers with markers, the last stable offset and
//! aborted-transaction index, admin APIs, and optional durability in a data
//! directory. One broker, node id 1, leads every partition and coordinates every
//! group and transaction.
//!
//! ```no_run
//! # async fn run() -> Result<(), embedded_kafka::BrokerError> {
//! use embedded_kafka::{BrokerConfig, EmbeddedKafka};
//! let kafka = EmbeddedKafka::start(BrokerConfig::default()).await?;
//! kafka.create_topic("payments", 4, &[("cleanup.policy", "compact")])?;
//! println!("bootstrap.servers={}", kafka.bootstrap_servers());
//! kafka.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod api;
pub mod batch;
pub mod broker;
pub mod cli;
mod config;
pub mod dispatch;
mod error;
pub mod group;
mod handle;
pub mod partition;
pub mod producer_state;
mod server;
pub mod storage;
mod sync;
pub mod topic_configs;
pub mod topics;
pub mod txn;

pub use config::BrokerConfig;
pub use error::BrokerError;
pub use handle::EmbeddedKafka;
pub use txn::{EndedTransaction, TransactionOutcomeListener};
