//! Kafka's default partitioning of keyed records: murmur2 of the serialized
//! key, as the Java client's `BuiltInPartitioner` and librdkafka's
//! `murmur2_random` compute it.

/// Kafka's 32-bit murmur2 hash of `data` (seed `0x9747b28c`).
///
/// ```
/// assert_eq!(streams_core::partitioner::murmur2(b"21"), -973_932_308);
/// ```
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h = SEED ^ (length as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if let Some(first) = tail.first() {
        h ^= u32::from(*first);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition of a topic with `partitions` partitions that Kafka's
/// default partitioner gives a record with this serialized key: the positive
/// part of its murmur2 hash, modulo the partition count.
///
/// ```
/// use streams_core::partitioner::default_partition;
/// assert_eq!(default_partition(b"21", 4), 0);
/// assert!((0..7).contains(&default_partition(b"any key", 7)));
/// ```
pub fn default_partition(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes the Java client's own test suite checks.
    #[test]
    fn murmur2_matches_the_java_client() {
        assert_eq!(murmur2(b"21"), -973_932_308);
        assert_eq!(murmur2(b"foobar"), -790_332_482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58_897_971
        );
        assert_eq!(murmur2(b"abc"), 479_470_107);
    }

    #[test]
    fn partitions_are_in_range_and_stable() {
        for n in 0..200 {
            let key = format!("key-{n}");
            let partition = default_partition(key.as_bytes(), 7);
            assert!((0..7).contains(&partition));
            assert_eq!(partition, default_partition(key.as_bytes(), 7));
        }
    }
}
