//! How a [`VersionedStore`](crate::VersionedStore) lays its data out in the
//! key-value store under it. Three key spaces, told apart by their first byte:
//!
//! * `0x00`: the observed stream time (8 bytes big-endian);
//! * `0x01` versions: `key length (u32 BE) | key | valid_from` to
//!   `valid_to | flag | value` (`valid_to` `i64::MAX` for the latest version,
//!   flag `0` for a tombstone, `1` for a value), so the versions of a key are
//!   adjacent and ordered by time;
//! * `0x02` expiry index: `expiry | key length | key | valid_from` to nothing,
//!   ordered by the time after which the version can be dropped (its
//!   `valid_to`, or its own timestamp for a tombstone), so expired versions
//!   are found by one range scan. The latest live version has no entry.
//! * `0x03` latest: `key` to `valid_from | valid_to | flag | value`, a copy of
//!   the key's open version (the one no newer version ends), so reading the
//!   latest row, or a row as of a time at or after it, is one point lookup
//!   instead of a range scan.
//!
//! Timestamps in keys are big-endian with the sign bit flipped, so byte order
//! is time order for negative timestamps too.

use crate::{Result, StateStoreError};

/// Key of the observed stream time.
pub(crate) const STREAM_TIME_KEY: &[u8] = &[0x00];
const VERSION: u8 = 0x01;
const EXPIRY: u8 = 0x02;
const LATEST: u8 = 0x03;
const TOMBSTONE: u8 = 0;
const VALUE: u8 = 1;
/// `valid_to` of a version no newer version ends.
pub(crate) const OPEN: i64 = i64::MAX;

fn time_bytes(timestamp: i64) -> [u8; 8] {
    ((timestamp as u64) ^ (1 << 63)).to_be_bytes()
}

fn time_from(bytes: &[u8]) -> Option<i64> {
    let bytes: [u8; 8] = bytes.try_into().ok()?;
    Some((u64::from_be_bytes(bytes) ^ (1 << 63)) as i64)
}

fn be_i64(bytes: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(bytes.try_into().ok()?))
}

/// `key length | key`, the part shared by a key's version and index entries.
fn key_part(key: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let length = u32::try_from(key.len())
        .map_err(|_| format!("a key of {} bytes is longer than 4 GiB", key.len()))?;
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(key);
    Ok(())
}

/// The stored key of the version of `key` valid from `valid_from`.
pub(crate) fn version_key(store: &str, key: &[u8], valid_from: i64) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(13 + key.len());
    out.push(VERSION);
    key_part(key, &mut out).map_err(|detail| StateStoreError::invalid(store, detail))?;
    out.extend_from_slice(&time_bytes(valid_from));
    Ok(out)
}

/// The stored key of the copy of `key`'s open version.
pub(crate) fn latest_key(key: &[u8]) -> Vec<u8> {
    [&[LATEST][..], key].concat()
}

/// The key (without its length) of a stored version key.
pub(crate) fn version_key_key<'a>(store: &str, stored: &'a [u8]) -> Result<&'a [u8]> {
    let corrupt = || StateStoreError::corrupt(store, "a version key is shorter than its parts");
    let length = stored
        .get(1..5)
        .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(corrupt)?;
    stored.get(5..5 + length as usize).ok_or_else(corrupt)
}

/// The valid-from timestamp at the end of a stored version key.
pub(crate) fn version_key_time(store: &str, stored: &[u8]) -> Result<i64> {
    stored
        .len()
        .checked_sub(8)
        .and_then(|start| time_from(&stored[start..]))
        .ok_or_else(|| {
            StateStoreError::corrupt(store, "a version key is shorter than its timestamp")
        })
}

/// The index entry of the version stored under `version_key`, expiring after
/// `expiry`.
pub(crate) fn expiry_key(expiry: i64, version_key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + version_key.len());
    out.push(EXPIRY);
    out.extend_from_slice(&time_bytes(expiry));
    out.extend_from_slice(version_key.get(1..).unwrap_or_default());
    out
}

/// The bounds of an inclusive range scan over the index entries of versions
/// expiring before `cutoff` (the upper bound is no entry's key: every entry
/// expiring at `cutoff` is longer, and sorts after it).
pub(crate) fn expired_range(cutoff: i64) -> (Vec<u8>, Vec<u8>) {
    (
        [&[EXPIRY][..], &time_bytes(i64::MIN)].concat(),
        [&[EXPIRY][..], &time_bytes(cutoff)].concat(),
    )
}

/// The bounds of an inclusive range scan over the index entries of versions
/// expiring at or after `cutoff` (those expiring at `i64::MAX`, never, left
/// out).
pub(crate) fn unexpired_range(cutoff: i64) -> (Vec<u8>, Vec<u8>) {
    (
        [&[EXPIRY][..], &time_bytes(cutoff)].concat(),
        [&[EXPIRY][..], &time_bytes(i64::MAX)].concat(),
    )
}

/// The expiry time of an index entry.
pub(crate) fn index_expiry(store: &str, index_key: &[u8]) -> Result<i64> {
    index_key
        .get(1..9)
        .and_then(time_from)
        .ok_or_else(|| StateStoreError::corrupt(store, "an expiry index key is too short"))
}

/// The version key an index entry points at.
pub(crate) fn indexed_version_key(store: &str, index_key: &[u8]) -> Result<Vec<u8>> {
    let rest = index_key
        .get(9..)
        .ok_or_else(|| StateStoreError::corrupt(store, "an expiry index key is too short"))?;
    Ok([&[VERSION][..], rest].concat())
}

/// One stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredVersion {
    pub(crate) valid_from: i64,
    /// [`OPEN`] while no newer version exists.
    pub(crate) valid_to: i64,
    /// `None`: a tombstone.
    pub(crate) value: Option<Vec<u8>>,
}

impl StoredVersion {
    /// When the version can be dropped: a tombstone once its own time is
    /// past the retention (as of any later time the key has no value, with or
    /// without it), a closed value once its end is; never the latest value.
    pub(crate) fn expiry(&self) -> Option<i64> {
        match (&self.value, self.valid_to) {
            (None, _) => Some(self.valid_from),
            (Some(_), OPEN) => None,
            (Some(_), valid_to) => Some(valid_to),
        }
    }

    /// The stored value bytes (without the valid-from, which is in the key).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let value = self.value.as_deref();
        let mut out = Vec::with_capacity(9 + value.map_or(0, <[u8]>::len));
        out.extend_from_slice(&self.valid_to.to_be_bytes());
        match value {
            Some(value) => {
                out.push(VALUE);
                out.extend_from_slice(value);
            }
            None => out.push(TOMBSTONE),
        }
        out
    }

    /// The stored copy of an open version (its valid-from first).
    pub(crate) fn encode_latest(&self) -> Vec<u8> {
        [&self.valid_from.to_be_bytes()[..], &self.encode()].concat()
    }

    /// An open version from its stored copy.
    pub(crate) fn decode_latest(store: &str, stored: &[u8]) -> Result<Self> {
        let valid_from = stored.get(..8).and_then(be_i64).ok_or_else(|| {
            StateStoreError::corrupt(store, "a latest version is shorter than its valid-from")
        })?;
        let key = version_key(store, &[], valid_from)?;
        Self::decode(store, &key, &stored[8..])
    }

    /// A version from its stored key and value.
    pub(crate) fn decode(store: &str, stored_key: &[u8], stored: &[u8]) -> Result<Self> {
        let corrupt = |detail: &str| StateStoreError::corrupt(store, detail);
        let valid_from = version_key_time(store, stored_key)?;
        let valid_to = stored
            .get(..8)
            .and_then(be_i64)
            .ok_or_else(|| corrupt("a stored version is shorter than its valid-to"))?;
        let value = match stored.get(8) {
            Some(&VALUE) => Some(stored[9..].to_vec()),
            Some(&TOMBSTONE) if stored.len() == 9 => None,
            _ => return Err(corrupt("a stored version has no valid value flag")),
        };
        Ok(Self {
            valid_from,
            valid_to,
            value,
        })
    }
}

/// The observed stream time as stored.
pub(crate) fn decode_stream_time(store: &str, stored: &[u8]) -> Result<i64> {
    be_i64(stored)
        .ok_or_else(|| StateStoreError::corrupt(store, "the stored stream time is not 8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_keys_sort_by_key_then_time_including_negative_times() {
        let keys = [
            version_key("s", b"a", -5).unwrap(),
            version_key("s", b"a", 0).unwrap(),
            version_key("s", b"a", 7).unwrap(),
            version_key("s", b"ab", -9).unwrap(),
        ];
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(version_key_time("s", &keys[0]).unwrap(), -5);
    }

    #[test]
    fn index_entries_point_back_at_their_version() {
        let version = version_key("s", b"k", 3).unwrap();
        let index = expiry_key(10, &version);
        assert_eq!(indexed_version_key("s", &index).unwrap(), version);
        let (from, to) = expired_range(11);
        assert!(from <= index && index <= to);
        let (_, to) = expired_range(10);
        assert!(index > to);
    }

    #[test]
    fn latest_copies_round_trip_and_version_keys_give_their_key() {
        let version = StoredVersion {
            valid_from: -4,
            valid_to: OPEN,
            value: Some(b"v".to_vec()),
        };
        let stored = version.encode_latest();
        assert_eq!(StoredVersion::decode_latest("s", &stored).unwrap(), version);
        let key = version_key("s", b"key", 9).unwrap();
        assert_eq!(version_key_key("s", &key).unwrap(), b"key");
        assert!(latest_key(b"k") > version_key("s", b"k", i64::MAX).unwrap());
    }

    #[test]
    fn versions_round_trip() {
        let key = version_key("s", b"k", 3).unwrap();
        for version in [
            StoredVersion {
                valid_from: 3,
                valid_to: OPEN,
                value: Some(b"v".to_vec()),
            },
            StoredVersion {
                valid_from: 3,
                valid_to: 8,
                value: None,
            },
        ] {
            assert_eq!(
                StoredVersion::decode("s", &key, &version.encode()).unwrap(),
                version
            );
        }
    }
}
