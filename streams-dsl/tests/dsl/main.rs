//! The DSL's tests, in one test binary (each file a module) so the workspace
//! links one executable for them instead of one per file.

mod aggregations;
mod branching;
mod cogroup;
mod emit_on_window_close;
mod error_handlers;
mod foreign_key_joins;
mod global_tables;
mod grouped;
mod header_propagation;
mod join_semantics;
mod joined;
mod materialized_tables;
mod optimization;
mod partitioning;
mod print;
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
mod stream_to_table;
mod suppress;
mod table_table_joins;
mod timestamp_extractors;
mod topology_build;
mod versioned_tables;
mod windowed_aggregations;
