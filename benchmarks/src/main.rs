//! rstreams benchmarks.

fn main() {}
