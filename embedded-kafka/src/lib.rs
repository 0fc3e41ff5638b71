//! A Kafka-compatible broker for development and tests.
//!
//! This crate currently holds the group coordinator ([`group`]): consumer-group
//! membership with the classic rebalance protocol and committed offsets.

#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod group;
