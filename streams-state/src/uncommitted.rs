//! [`UncommittedWrites`]: the ordered, in-memory overlay of a transactional
//! store's writes since its last commit.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::KeyValue;
use crate::merge_iter::Overlay;

/// Bytes charged for each uncommitted entry on top of its key and value (the
/// map node and the two allocations).
pub(crate) const UNCOMMITTED_ENTRY_OVERHEAD_BYTES: usize = 48;

fn entry_size(key: &[u8], value: Option<&[u8]>) -> usize {
    key.len() + value.map_or(0, <[u8]>::len) + UNCOMMITTED_ENTRY_OVERHEAD_BYTES
}

/// Writes since the last commit, the latest per key, in key order; a `None`
/// value is a deletion. Tracks the bytes it holds.
///
/// rust-rocksdb 0.25 has no `WriteBatchWithIndex` (the C API's
/// `rocksdb_writebatch_wi_*` functions are not wrapped), so the overlay is this
/// ordered map, merged over the committed data with `MergeIter`; one overlay
/// type serves RocksDB and in-memory stores, and through their segments window
/// and session stores.
#[derive(Debug, Default)]
pub(crate) struct UncommittedWrites {
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    bytes: usize,
}

impl UncommittedWrites {
    /// The uncommitted write of `key`: `Some(None)` if it was deleted, `None`
    /// if it was not written since the last commit.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.writes.get(key).map(Option::as_deref)
    }

    /// Records a write (`None`: a deletion) of `key`.
    pub(crate) fn write(&mut self, key: &[u8], value: Option<&[u8]>) {
        self.bytes += entry_size(key, value);
        if let Some(previous) = self.writes.insert(key.to_vec(), value.map(<[u8]>::to_vec)) {
            self.bytes -= entry_size(key, previous.as_deref());
        }
    }

    /// Whether nothing was written since the last commit.
    pub(crate) fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Bytes held: keys, values and a fixed overhead per entry.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Number of keys written.
    pub(crate) fn len(&self) -> usize {
        self.writes.len()
    }

    /// The writes in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        self.writes
            .iter()
            .map(|(key, value)| (key.as_slice(), value.as_deref()))
    }

    /// The writes with keys in `range`, ascending (descending when `reverse`),
    /// as owned `(key, value)` pairs for merging over committed entries.
    pub(crate) fn range<'a>(
        &'a self,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        reverse: bool,
    ) -> Overlay<'a, Vec<u8>, KeyValue> {
        let entries = self.writes.range::<[u8], _>(range);
        let owned = |(key, value): (&Vec<u8>, &Option<Vec<u8>>)| {
            (key.clone(), value.clone().map(|value| (key.clone(), value)))
        };
        if reverse {
            Box::new(entries.rev().map(owned))
        } else {
            Box::new(entries.map(owned))
        }
    }

    /// Forgets every write.
    pub(crate) fn clear(&mut self) {
        self.writes.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_write_per_key_and_counts_its_bytes() {
        let mut writes = UncommittedWrites::default();
        assert!(writes.is_empty());
        writes.write(b"k", Some(b"12345"));
        assert_eq!(writes.bytes(), 1 + 5 + UNCOMMITTED_ENTRY_OVERHEAD_BYTES);
        writes.write(b"k", Some(b"1"));
        assert_eq!(writes.bytes(), 1 + 1 + UNCOMMITTED_ENTRY_OVERHEAD_BYTES);
        writes.write(b"j", None);
        assert_eq!(
            writes.bytes(),
            1 + 1 + 1 + 2 * UNCOMMITTED_ENTRY_OVERHEAD_BYTES
        );
        assert_eq!(writes.get(b"k"), Some(Some(&b"1"[..])));
        assert_eq!(writes.get(b"j"), Some(None));
        assert_eq!(writes.get(b"x"), None);
        assert_eq!(writes.len(), 2);
        let keys: Vec<Vec<u8>> = writes
            .range((Bound::Unbounded, Bound::Unbounded), true)
            .map(|(key, _)| key)
            .collect();
        assert_eq!(keys, vec![b"k".to_vec(), b"j".to_vec()]);
        writes.clear();
        assert!(writes.is_empty());
        assert_eq!(writes.bytes(), 0);
    }
}
