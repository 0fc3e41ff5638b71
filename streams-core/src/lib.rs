//! rstreams runtime.
