//! Shared pieces of the rstreams example applications: their record types,
//! deterministic generators of synthetic card transactions and order events,
//! the order-management saga,
//! the topologies, the cluster they run on, their state directories, how they
//! start, watch their application (restore progress included) and shut down
//! cleanly on signals.

#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod app_main;
pub mod cluster;
pub mod engine;
pub mod eos_smoke;
pub mod fraud;
pub mod order_saga;
pub mod read_model;
pub mod restore_progress;
pub mod shutdown;
pub mod state_dir;
pub mod xorshift;

/// The README's code, compiled and run as a doctest so it stays true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
