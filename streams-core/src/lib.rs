//! The rstreams runtime: records and serdes, the Processor API, topologies, tasks,
//! and the [`TopologyTestDriver`](test_driver::TopologyTestDriver) that runs a
//! topology without a broker.
//!
//! Applications normally use the typed DSL in `streams-dsl`; this crate is what the
//! DSL compiles to and what runs it.
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod error;
pub mod handler;
pub mod metrics;
pub mod partitioner;
pub mod processor;
pub mod record;
pub mod runtime;
pub mod serde;
pub mod state;
pub mod task;
pub mod test_driver;
pub mod topology;
