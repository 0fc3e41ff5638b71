//! State stores for rstreams. Filled in by the state-store work.
