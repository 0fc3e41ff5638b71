//! rstreams integration tests.
