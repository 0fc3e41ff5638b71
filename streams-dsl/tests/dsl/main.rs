//! The DSL's tests, in one test binary (each file a module) so the workspace
//! links one executable for them instead of one per file.

mod aggregations;
mod branching;
mod error_handlers;
mod header_propagation;
mod join_semantics;
mod partitioning;
mod processor_api;
mod retry_topics;
mod serde_context;
mod serdes_and_errors;
mod session_windows;
mod sliding_windows;
mod stateless_operators;
mod store_metrics;
mod stream_stream_joins;
mod stream_table_joins;
mod suppress;
mod table_table_joins;
mod topology_build;
mod windowed_aggregations;
