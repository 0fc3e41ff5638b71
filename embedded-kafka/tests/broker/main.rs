//! embedded-kafka's tests, in one test binary (each file a module) so the
//! workspace links one executable for them instead of one per file.

mod admin;
mod binary;
mod common;
mod consumer_group;
mod crash_restart;
mod group_coordinator;
mod group_restart;
mod produce_consume;
mod protocol;
mod restart;
mod transactions;
