//! Shared pieces of the rstreams example applications: their record types, a
//! deterministic generator of synthetic card transactions, and the topologies.

pub mod fraud;

/// The README's code, compiled and run as a doctest so it stays true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
