//! The byte-level [`KeyValueStore`] trait and the types its iterators yield.

use crate::{Result, StateStore};

/// A key and its value, as yielded by key-value iterators.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// A key and an optional value: `None` is a deletion (tombstone). Used for
/// batched writes and for changelog records being restored.
pub type KeyValueUpdate = (Vec<u8>, Option<Vec<u8>>);

/// Iterator over key-value pairs; each item may fail (I/O, corruption).
pub type KeyValueIter<'a> = Box<dyn Iterator<Item = Result<KeyValue>> + 'a>;

/// A key-value store over raw bytes, the layer typed stores serialise into.
///
/// Iterators yield entries in the byte order of their keys (reverse order for
/// [`reverse_range`](Self::reverse_range)). Ranges are inclusive at both ends,
/// as in Kafka Streams; a range whose `from` is greater than `to` is empty.
///
/// ```
/// use streams_state::{InMemoryKeyValueStore, KeyValueStore};
///
/// let mut store = InMemoryKeyValueStore::new("counts");
/// store.put(b"a", b"1")?;
/// store.put(b"b", b"2")?;
/// assert_eq!(store.get(b"a")?, Some(b"1".to_vec()));
/// let keys: Vec<Vec<u8>> = store
///     .range(b"a", b"b")?
///     .map(|entry| entry.map(|(key, _)| key))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(keys, vec![b"a".to_vec(), b"b".to_vec()]);
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub trait KeyValueStore: StateStore {
    /// The value stored under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Stores `value` under `key`, replacing any previous value.
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()>;

    /// Stores `value` under `key` only if the key is absent. Returns the value
    /// already present (and then writes nothing), or `None` if it wrote.
    fn put_if_absent(&mut self, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        let existing = self.get(key)?;
        if existing.is_none() {
            self.put(key, value)?;
        }
        Ok(existing)
    }

    /// Removes `key`, returning the value it had.
    fn delete(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Applies several writes; a `None` value deletes the key.
    fn put_all(&mut self, entries: &[KeyValueUpdate]) -> Result<()>;

    /// Entries with `from <= key <= to`, in ascending key order.
    fn range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>>;

    /// Entries with `from <= key <= to`, in descending key order.
    fn reverse_range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>>;

    /// Entries whose key starts with `prefix`, in ascending key order.
    fn prefix_scan(&self, prefix: &[u8]) -> Result<KeyValueIter<'_>>;

    /// All entries, in ascending key order.
    fn all(&self) -> Result<KeyValueIter<'_>>;

    /// An estimate of the number of entries (exact for in-memory stores).
    fn approximate_num_entries(&self) -> Result<u64>;

    /// Applies a batch of changelog records during restoration, as one atomic
    /// write where the implementation supports it. Layers that log or cache
    /// writes pass restored records straight to the store they wrap.
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()>;
}

/// Tests every [`KeyValueStore`] implementation must pass.
#[cfg(test)]
pub(crate) mod contract {
    use super::*;

    fn collect(iter: KeyValueIter<'_>) -> Vec<(String, String)> {
        iter.map(|entry| {
            let (key, value) = entry.unwrap();
            (
                String::from_utf8(key).unwrap(),
                String::from_utf8(value).unwrap(),
            )
        })
        .collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// get / put / put_if_absent / delete / put_all.
    pub(crate) fn point_operations(store: &mut dyn KeyValueStore) {
        assert_eq!(store.get(b"a").unwrap(), None);
        store.put(b"a", b"1").unwrap();
        assert_eq!(store.get(b"a").unwrap(), Some(b"1".to_vec()));
        store.put(b"a", b"2").unwrap();
        assert_eq!(store.get(b"a").unwrap(), Some(b"2".to_vec()));

        assert_eq!(
            store.put_if_absent(b"a", b"3").unwrap(),
            Some(b"2".to_vec())
        );
        assert_eq!(store.get(b"a").unwrap(), Some(b"2".to_vec()));
        assert_eq!(store.put_if_absent(b"b", b"3").unwrap(), None);
        assert_eq!(store.get(b"b").unwrap(), Some(b"3".to_vec()));

        assert_eq!(store.delete(b"a").unwrap(), Some(b"2".to_vec()));
        assert_eq!(store.get(b"a").unwrap(), None);
        assert_eq!(store.delete(b"a").unwrap(), None);

        store
            .put_all(&[
                (b"c".to_vec(), Some(b"4".to_vec())),
                (b"d".to_vec(), Some(b"5".to_vec())),
                (b"b".to_vec(), None),
            ])
            .unwrap();
        assert_eq!(store.get(b"b").unwrap(), None);
        assert_eq!(store.get(b"c").unwrap(), Some(b"4".to_vec()));
        assert_eq!(store.get(b"d").unwrap(), Some(b"5".to_vec()));
        // An estimate: only exact stores assert the count itself.
        store.approximate_num_entries().unwrap();

        store.put(b"empty", b"").unwrap();
        assert_eq!(store.get(b"empty").unwrap(), Some(Vec::new()));
    }

    /// range / reverse_range / prefix_scan / all, and their ordering.
    pub(crate) fn iteration(store: &mut dyn KeyValueStore) {
        for key in ["b", "a", "ab", "abc", "c", "d", "b\u{0}"] {
            store
                .put(key.as_bytes(), key.to_uppercase().as_bytes())
                .unwrap();
        }
        store.delete(b"d").unwrap();
        assert_eq!(
            collect(store.all().unwrap()),
            pairs(&[
                ("a", "A"),
                ("ab", "AB"),
                ("abc", "ABC"),
                ("b", "B"),
                ("b\u{0}", "B\u{0}"),
                ("c", "C"),
            ])
        );
        assert_eq!(
            collect(store.range(b"ab", b"b").unwrap()),
            pairs(&[("ab", "AB"), ("abc", "ABC"), ("b", "B")])
        );
        assert_eq!(
            collect(store.reverse_range(b"ab", b"b").unwrap()),
            pairs(&[("b", "B"), ("abc", "ABC"), ("ab", "AB")])
        );
        assert_eq!(
            collect(store.range(b"aa", b"az").unwrap()),
            pairs(&[("ab", "AB"), ("abc", "ABC")])
        );
        assert!(collect(store.range(b"c", b"a").unwrap()).is_empty());
        assert!(collect(store.reverse_range(b"c", b"a").unwrap()).is_empty());
        assert_eq!(
            collect(store.prefix_scan(b"ab").unwrap()),
            pairs(&[("ab", "AB"), ("abc", "ABC")])
        );
        assert_eq!(
            collect(store.prefix_scan(b"b").unwrap()),
            pairs(&[("b", "B"), ("b\u{0}", "B\u{0}")])
        );
        assert!(collect(store.prefix_scan(b"x").unwrap()).is_empty());
        assert_eq!(collect(store.prefix_scan(b"").unwrap()).len(), 6);
    }

    /// Keys with 0xff bytes sort last and prefix scans over them terminate.
    pub(crate) fn high_bytes(store: &mut dyn KeyValueStore) {
        store.put(&[0xff], b"1").unwrap();
        store.put(&[0xff, 0xff], b"2").unwrap();
        store.put(&[0x00], b"0").unwrap();
        let keys: Vec<Vec<u8>> = store
            .prefix_scan(&[0xff])
            .unwrap()
            .map(|e| e.unwrap().0)
            .collect();
        assert_eq!(keys, vec![vec![0xff], vec![0xff, 0xff]]);
        let keys: Vec<Vec<u8>> = store
            .reverse_range(&[0x00], &[0xff, 0xff])
            .unwrap()
            .map(|e| e.unwrap().0)
            .collect();
        assert_eq!(keys, vec![vec![0xff, 0xff], vec![0xff], vec![0x00]]);
    }

    /// restore_batch applies puts and deletes.
    pub(crate) fn restore(store: &mut dyn KeyValueStore) {
        store.put(b"gone", b"x").unwrap();
        store
            .restore_batch(&[
                (b"a".to_vec(), Some(b"1".to_vec())),
                (b"b".to_vec(), Some(b"2".to_vec())),
                (b"a".to_vec(), Some(b"3".to_vec())),
                (b"gone".to_vec(), None),
            ])
            .unwrap();
        assert_eq!(
            collect(store.all().unwrap()),
            pairs(&[("a", "3"), ("b", "2")])
        );
    }

    /// Operations after close fail with a typed error.
    pub(crate) fn closed(store: &mut dyn KeyValueStore) {
        store.put(b"a", b"1").unwrap();
        store.close().unwrap();
        store.close().unwrap();
        assert!(matches!(
            store.get(b"a"),
            Err(crate::StateStoreError::Closed { .. })
        ));
        assert!(matches!(
            store.put(b"a", b"1"),
            Err(crate::StateStoreError::Closed { .. })
        ));
    }

    /// Runs every contract test, each on a fresh store from `make`.
    pub(crate) fn run_all(mut make: impl FnMut() -> Box<dyn KeyValueStore>) {
        point_operations(make().as_mut());
        iteration(make().as_mut());
        high_bytes(make().as_mut());
        restore(make().as_mut());
        closed(make().as_mut());
    }
}
