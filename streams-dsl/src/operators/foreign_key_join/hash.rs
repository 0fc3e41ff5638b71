//! The hash of a left-side value that travels with its subscription and comes
//! back with the response: 128-bit MurmurHash3 (x64 variant, with the seed of
//! Kafka Streams' `Murmur3`) of the value as the left table's store
//! serializes it, as Kafka Streams hashes it. The left side drops a response
//! whose hash is not its current value's.

/// A value's 128-bit hash, as 16 big-endian bytes.
pub(crate) type ValueHash = [u8; 16];

/// The seed of Kafka Streams' (Hive-derived) `Murmur3.hash128`.
const SEED: u32 = 104_729;

/// The hash of a serialized left-side value. Reading a byte slice cannot
/// fail; the error is the hasher's reader interface showing through.
pub(crate) fn value_hash(mut serialized: &[u8]) -> std::io::Result<ValueHash> {
    Ok(murmur3::murmur3_x64_128(&mut serialized, SEED)?.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_hash_equal_and_different_bytes_differ() {
        let hash = |bytes: &[u8]| value_hash(bytes).unwrap();
        assert_eq!(hash(b"order-1"), hash(b"order-1"));
        assert_ne!(hash(b"order-1"), hash(b"order-2"));
        assert_ne!(hash(b""), hash(b"\0"));
        // A value longer than one 16-byte block hashes its tail too.
        assert_ne!(hash(&[1; 33]), hash(&[1; 34]));
    }
}
