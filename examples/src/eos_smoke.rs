//! The eos-smoke system test application (the shape of Kafka Streams' EOS
//! system test client): one input topic of integers per string key, echoed
//! unchanged and folded into four running aggregates per key, every update
//! emitted. A verifier that knows the input can compute every output record,
//! so duplicates, gaps and reordering after crashes are visible.

use streams_dsl::prelude::*;

/// Input: UTF-8 string keys, `i32` big-endian values.
pub const DATA_TOPIC: &str = "data";
/// Every input record, unchanged.
pub const ECHO_TOPIC: &str = "echo";
/// The running count of records per key, `i64` big-endian.
pub const CNT_TOPIC: &str = "cnt";
/// The running sum of the values per key, `i64` big-endian.
pub const SUM_TOPIC: &str = "sum";
/// The running maximum value per key, `i32` big-endian.
pub const MAX_TOPIC: &str = "max";
/// The running minimum value per key, `i32` big-endian.
pub const MIN_TOPIC: &str = "min";
/// Every output topic, in the order the verifier reports them.
pub const OUTPUT_TOPICS: [&str; 5] = [ECHO_TOPIC, CNT_TOPIC, SUM_TOPIC, MAX_TOPIC, MIN_TOPIC];
/// The stores of the four aggregations (each logged to
/// `<application.id>-<store>-changelog`).
pub const STORES: [&str; 4] = ["cnt-store", "sum-store", "max-store", "min-store"];

/// Builds the topology: `data` to `echo`, and grouped by key, a count, a sum,
/// a maximum and a minimum, each in a RocksDB store with caching off so every
/// input record emits one update on each aggregate topic.
pub fn eos_smoke_topology() -> Result<Topology, TopologyError> {
    let builder = StreamsBuilder::new();
    let data = builder.stream::<String, i32>(DATA_TOPIC, Consumed::with(StringSerde, I32Serde));
    data.to(ECHO_TOPIC, Produced::with(StringSerde, I32Serde));
    let by_key = data.group_by_key();
    let [cnt, sum, max, min] = STORES;
    by_key
        .count(Materialized::named(cnt).with_caching_disabled())
        .to(CNT_TOPIC, Produced::default());
    by_key
        .aggregate(
            || 0i64,
            |_, value, sum: i64| sum + i64::from(value),
            Materialized::named(sum).with_caching_disabled(),
        )
        .to(SUM_TOPIC, Produced::default());
    by_key
        .reduce(i32::max, Materialized::named(max).with_caching_disabled())
        .to(MAX_TOPIC, Produced::default());
    by_key
        .reduce(i32::min, Materialized::named(min).with_caching_disabled())
        .to(MIN_TOPIC, Produced::default());
    builder.build()
}

/// Every record the application writes for one key whose input values, in
/// input order, are `values`: for each output topic (in [`OUTPUT_TOPICS`]
/// order) the sequence of values, widened to `i64`. A direct computation, for
/// verifiers to compare the real output with.
///
/// ```
/// use examples::eos_smoke::expected_outputs;
/// let [echo, cnt, sum, max, min] = expected_outputs(&[3, -1, 5]);
/// assert_eq!(echo, [3, -1, 5]);
/// assert_eq!(cnt, [1, 2, 3]);
/// assert_eq!(sum, [3, 2, 7]);
/// assert_eq!(max, [3, 3, 5]);
/// assert_eq!(min, [3, -1, -1]);
/// ```
pub fn expected_outputs(values: &[i32]) -> [Vec<i64>; 5] {
    let mut outputs: [Vec<i64>; 5] = Default::default();
    let (mut sum, mut max, mut min) = (0i64, i32::MIN, i32::MAX);
    for (index, &value) in values.iter().enumerate() {
        sum += i64::from(value);
        max = max.max(value);
        min = min.min(value);
        let updates = [
            i64::from(value),
            index as i64 + 1,
            sum,
            max.into(),
            min.into(),
        ];
        for (output, update) in outputs.iter_mut().zip(updates) {
            output.push(update);
        }
    }
    outputs
}

/// The value of a record of output topic `topic` (`i32` or `i64` big-endian),
/// widened to `i64`.
pub fn decode_output(topic: &str, bytes: &[u8]) -> Result<i64, String> {
    let width = if topic == CNT_TOPIC || topic == SUM_TOPIC {
        8
    } else {
        4
    };
    match (width, bytes) {
        (4, &[a, b, c, d]) => Ok(i32::from_be_bytes([a, b, c, d]).into()),
        (8, bytes) if bytes.len() == 8 => {
            let mut array = [0u8; 8];
            array.copy_from_slice(bytes);
            Ok(i64::from_be_bytes(array))
        }
        _ => Err(format!(
            "a {}-byte value on '{topic}', which holds {width}-byte integers",
            bytes.len()
        )),
    }
}
