//! rstreams examples.
