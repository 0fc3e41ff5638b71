//! Shared pieces of the rstreams example applications: their record types,
//! deterministic generators of synthetic card transactions and order events,
//! and the topologies.

pub mod fraud;
pub mod read_model;

/// The README's code, compiled and run as a doctest so it stays true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
