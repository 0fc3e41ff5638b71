//! [`CachingKeyValueStore`]: the [`Caching`] layer over a key-value store,
//! deduplicating writes between flushes. Keys are cached as they are; a
//! write-down reads the wrapped store's old value for the listener unless
//! that is turned off.

use std::ops::Bound;

use crate::caching::{Caching, CachingKind};
use crate::merge_iter::MergeIter;
use crate::{KeyValue, KeyValueIter, KeyValueStore, KeyValueUpdate, Result};

/// Called for each dirty entry written to the wrapped store, with the key, the
/// new value (`None`: deleted) and the value the wrapped store held before.
/// The runtime forwards these downstream.
pub type FlushListener = Box<dyn FnMut(&[u8], Option<&[u8]>, Option<&[u8]>)>;

/// Kafka Streams' caching layer over a byte key-value store (see
/// [`Caching`]).
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use streams_state::{CachingKeyValueStore, InMemoryKeyValueStore, KeyValueStore, StateStore,
///     ThreadCache};
///
/// let forwarded = Rc::new(RefCell::new(Vec::new()));
/// let sink = forwarded.clone();
/// let mut store = CachingKeyValueStore::new(
///     Box::new(InMemoryKeyValueStore::new("counts")),
///     ThreadCache::new(1024 * 1024),
/// );
/// store.set_flush_listener(Box::new(move |key, new, old| {
///     sink.borrow_mut().push((key.to_vec(), new.map(<[u8]>::to_vec), old.map(<[u8]>::to_vec)));
/// }));
/// store.put(b"k", b"1")?;
/// store.put(b"k", b"2")?;
/// assert_eq!(store.get(b"k")?, Some(b"2".to_vec()));
/// store.flush()?;
/// assert_eq!(*forwarded.borrow(), vec![(b"k".to_vec(), Some(b"2".to_vec()), None)]);
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub type CachingKeyValueStore = Caching<dyn KeyValueStore>;

/// What a caching layer over a key-value store keeps besides its cache.
#[derive(Debug)]
pub struct KeyValueCaching {
    /// Whether a write-down reads the wrapped store's old value for the
    /// listener (Kafka Streams' `sendOldValues`).
    send_old_values: bool,
}

impl CachingKind for dyn KeyValueStore {
    type Listener = dyn FnMut(&[u8], Option<&[u8]>, Option<&[u8]>);
    type State = KeyValueCaching;

    fn initial_state(_: &Self) -> KeyValueCaching {
        KeyValueCaching {
            send_old_values: true,
        }
    }

    /// Writes the entry and tells the listener, with the old value of the
    /// wrapped store if `send_old_values`.
    fn write_down(
        inner: &mut Self,
        state: &KeyValueCaching,
        listener: Option<&mut Self::Listener>,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<()> {
        let send_old_values = state.send_old_values;
        let old = if send_old_values {
            inner.get(key)?
        } else {
            None
        };
        match value {
            Some(value) => inner.put(key, value)?,
            None => {
                if old.is_some() || !send_old_values {
                    inner.delete(key)?;
                }
            }
        }
        if let Some(listener) = listener
            && (value.is_some() || old.is_some() || !send_old_values)
        {
            listener(key, value, old.as_deref());
        }
        Ok(())
    }
}

impl Caching<dyn KeyValueStore> {
    /// Whether the listener gets the wrapped store's old value (the default).
    /// Off (Kafka Streams' `sendOldValues` false, for a downstream that reads
    /// only new values), a write-down does not read the wrapped store: the
    /// listener's old value is always `None`, and every dirty delete is written
    /// down and forwarded, even of a key the wrapped store never held.
    pub fn set_send_old_values(&mut self, send_old_values: bool) {
        self.state.send_old_values = send_old_values;
    }

    /// Whether the listener gets old values; see
    /// [`set_send_old_values`](Self::set_send_old_values).
    pub fn send_old_values(&self) -> bool {
        self.state.send_old_values
    }

    fn write(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        self.check_open()?;
        if !self.caching_enabled() {
            return match value {
                Some(value) => self.inner.put(key, value),
                None => self.inner.delete(key).map(drop),
            };
        }
        self.cache_write(key, value)
    }

    fn merged<'a>(
        &'a self,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        store: KeyValueIter<'a>,
        reverse: bool,
        prefix: Option<&[u8]>,
    ) -> KeyValueIter<'a> {
        if !self.caching_enabled() {
            return store;
        }
        let in_prefix = |key: &[u8]| prefix.is_none_or(|prefix| key.starts_with(prefix));
        let mut cached = self.cached_entries(range, |(key, value)| {
            in_prefix(&key).then(|| (key.clone(), value.map(|value| (key, value))))
        });
        if reverse {
            cached.reverse();
        }
        Box::new(MergeIter::new(
            Box::new(cached.into_iter()),
            store,
            |(key, _): &KeyValue| key.clone(),
            reverse,
        ))
    }
}

impl KeyValueStore for Caching<dyn KeyValueStore> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_open()?;
        if let Some(cached) = self.cached(key) {
            return Ok(cached);
        }
        self.inner.get(key)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(key, Some(value))
    }

    fn delete(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let old = self.get(key)?;
        self.write(key, None)?;
        Ok(old)
    }

    fn put_all(&mut self, entries: &[KeyValueUpdate]) -> Result<()> {
        for (key, value) in entries {
            self.write(key, value.as_deref())?;
        }
        Ok(())
    }

    fn range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        let store = self.inner.range(from, to)?;
        if from > to {
            return Ok(store);
        }
        let range = (Bound::Included(from), Bound::Included(to));
        Ok(self.merged(range, store, false, None))
    }

    fn reverse_range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        let store = self.inner.reverse_range(from, to)?;
        if from > to {
            return Ok(store);
        }
        let range = (Bound::Included(from), Bound::Included(to));
        Ok(self.merged(range, store, true, None))
    }

    fn prefix_scan(&self, prefix: &[u8]) -> Result<KeyValueIter<'_>> {
        let store = self.inner.prefix_scan(prefix)?;
        let range = (Bound::Included(prefix), Bound::Unbounded);
        Ok(self.merged(range, store, false, Some(prefix)))
    }

    fn all(&self) -> Result<KeyValueIter<'_>> {
        let store = self.inner.all()?;
        Ok(self.merged((Bound::Unbounded, Bound::Unbounded), store, false, None))
    }

    /// The wrapped store's estimate; entries only in the cache are not counted.
    fn approximate_num_entries(&self) -> Result<u64> {
        self.inner.approximate_num_entries()
    }

    /// Writes the records to the wrapped store, dropping any cached entries for
    /// their keys.
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.uncache(records)?;
        self.inner.restore_batch(records)
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use std::cell::RefCell;

    use super::*;
    use crate::ENTRY_OVERHEAD_BYTES;
    use crate::key_value::contract;
    use crate::{InMemoryKeyValueStore, RocksDbKeyValueStore};
    use crate::{StateStore, ThreadCache};

    type Seen = Rc<RefCell<Vec<(String, Option<String>, Option<String>)>>>;

    fn text(bytes: Option<&[u8]>) -> Option<String> {
        bytes.map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    fn listen(store: &mut CachingKeyValueStore) -> Seen {
        let seen: Seen = Rc::default();
        let sink = seen.clone();
        store.set_flush_listener(Box::new(move |key, new, old| {
            sink.borrow_mut()
                .push((text(Some(key)).unwrap(), text(new), text(old)));
        }));
        seen
    }

    fn cached(max_bytes: usize) -> CachingKeyValueStore {
        CachingKeyValueStore::new(
            Box::new(InMemoryKeyValueStore::new("kv")),
            ThreadCache::new(max_bytes),
        )
    }

    #[test]
    fn passes_the_key_value_contract_with_a_large_cache() {
        contract::run_all(|| Box::new(cached(1 << 20)));
    }

    #[test]
    fn passes_the_key_value_contract_with_a_tiny_cache() {
        contract::run_all(|| Box::new(cached(ENTRY_OVERHEAD_BYTES * 2 + 8)));
    }

    #[test]
    fn passes_the_key_value_contract_when_disabled() {
        contract::run_all(|| {
            Box::new(CachingKeyValueStore::disabled(Box::new(
                InMemoryKeyValueStore::new("kv"),
            )))
        });
    }

    #[test]
    fn passes_the_key_value_contract_over_rocksdb() {
        let dir = tempfile::tempdir().unwrap();
        let mut n = 0;
        contract::run_all(|| {
            n += 1;
            let inner =
                RocksDbKeyValueStore::open(&format!("kv{n}"), dir.path(), &Default::default())
                    .unwrap();
            Box::new(CachingKeyValueStore::new(
                Box::new(inner),
                ThreadCache::new(1 << 20),
            ))
        });
    }

    #[test]
    fn collapses_repeated_writes_and_reports_old_values() {
        let mut store = cached(1 << 20);
        let seen = listen(&mut store);
        store.put(b"a", b"1").unwrap();
        store.put(b"b", b"1").unwrap();
        store.put(b"a", b"2").unwrap();
        store.put(b"a", b"3").unwrap();
        assert!(seen.borrow().is_empty());
        assert_eq!(store.get(b"a").unwrap(), Some(b"3".to_vec()));
        store.flush().unwrap();
        assert_eq!(
            *seen.borrow(),
            vec![
                seen_entry("b", Some("1"), None),
                seen_entry("a", Some("3"), None)
            ]
        );
        seen.borrow_mut().clear();

        store.put(b"a", b"4").unwrap();
        store.put(b"a", b"5").unwrap();
        store.delete(b"b").unwrap();
        store.put(b"c", b"x").unwrap();
        store.delete(b"c").unwrap();
        store.flush().unwrap();
        assert_eq!(
            *seen.borrow(),
            vec![
                seen_entry("a", Some("5"), Some("3")),
                seen_entry("b", None, Some("1"))
            ],
            "a key created and deleted between flushes is not forwarded"
        );
        seen.borrow_mut().clear();
        store.flush().unwrap();
        assert!(
            seen.borrow().is_empty(),
            "clean entries are not flushed again"
        );
    }

    fn seen_entry(
        key: &str,
        new: Option<&str>,
        old: Option<&str>,
    ) -> (String, Option<String>, Option<String>) {
        (key.into(), new.map(Into::into), old.map(Into::into))
    }

    #[test]
    fn eviction_under_a_tiny_budget_flushes_the_lru_entry() {
        let budget = ThreadCache::new(2 * (ENTRY_OVERHEAD_BYTES + 2));
        let mut store =
            CachingKeyValueStore::new(Box::new(InMemoryKeyValueStore::new("kv")), budget.clone());
        let seen = listen(&mut store);
        store.put(b"a", b"1").unwrap();
        store.put(b"b", b"1").unwrap();
        assert!(seen.borrow().is_empty());
        assert_eq!(budget.used_bytes(), 2 * (ENTRY_OVERHEAD_BYTES + 2));
        // Reading `a` makes `b` the least recently used entry.
        store.get(b"a").unwrap();
        store.put(b"c", b"1").unwrap();
        assert_eq!(*seen.borrow(), vec![seen_entry("b", Some("1"), None)]);
        assert_eq!(budget.used_bytes(), 2 * (ENTRY_OVERHEAD_BYTES + 2));
        assert_eq!(store.get(b"b").unwrap(), Some(b"1".to_vec()));
        drop(store);
        assert_eq!(
            budget.used_bytes(),
            0,
            "dropping a store releases its budget"
        );
    }

    #[test]
    fn stores_sharing_a_budget_evict_their_own_entries() {
        let budget = ThreadCache::new(3 * (ENTRY_OVERHEAD_BYTES + 2));
        let mut first = CachingKeyValueStore::new(
            Box::new(InMemoryKeyValueStore::new("first")),
            budget.clone(),
        );
        let mut second = CachingKeyValueStore::new(
            Box::new(InMemoryKeyValueStore::new("second")),
            budget.clone(),
        );
        let first_seen = listen(&mut first);
        let second_seen = listen(&mut second);
        first.put(b"a", b"1").unwrap();
        first.put(b"b", b"1").unwrap();
        second.put(b"x", b"1").unwrap();
        second.put(b"y", b"1").unwrap();
        assert!(first_seen.borrow().is_empty());
        assert_eq!(
            *second_seen.borrow(),
            vec![seen_entry("x", Some("1"), None)]
        );
        assert!(budget.used_bytes() <= budget.max_bytes());
    }

    #[test]
    fn caching_off_writes_through_without_the_listener() {
        let mut store = CachingKeyValueStore::disabled(Box::new(InMemoryKeyValueStore::new("kv")));
        assert!(!store.caching_enabled());
        let seen = listen(&mut store);
        store.put(b"a", b"1").unwrap();
        store.put(b"a", b"2").unwrap();
        store.flush().unwrap();
        assert!(seen.borrow().is_empty());
        assert_eq!(store.get(b"a").unwrap(), Some(b"2".to_vec()));
    }

    #[test]
    fn iterators_merge_cache_over_store() {
        let mut store = cached(1 << 20);
        store.put(b"a", b"old").unwrap();
        store.put(b"b", b"old").unwrap();
        store.put(b"c", b"old").unwrap();
        store.flush().unwrap();
        store.put(b"b", b"new").unwrap();
        store.delete(b"c").unwrap();
        store.put(b"d", b"new").unwrap();
        let all: Vec<_> = store.all().unwrap().map(Result::unwrap).collect();
        assert_eq!(
            all,
            vec![
                (b"a".to_vec(), b"old".to_vec()),
                (b"b".to_vec(), b"new".to_vec()),
                (b"d".to_vec(), b"new".to_vec()),
            ]
        );
        let reverse: Vec<_> = store
            .reverse_range(b"a", b"c")
            .unwrap()
            .map(|e| e.unwrap().0)
            .collect();
        assert_eq!(reverse, vec![b"b".to_vec(), b"a".to_vec()]);
    }

    #[test]
    fn flush_writes_through_a_change_logging_store() {
        use crate::{ChangeLoggingKeyValueStore, RecordingChangelogSink};
        let sink = Rc::new(RecordingChangelogSink::default());
        let logged = ChangeLoggingKeyValueStore::new(
            Box::new(InMemoryKeyValueStore::new("kv")),
            sink.clone(),
        );
        let mut store = CachingKeyValueStore::new(Box::new(logged), ThreadCache::new(1 << 20));
        store.put(b"a", b"1").unwrap();
        store.put(b"a", b"2").unwrap();
        assert!(sink.records().is_empty());
        store.flush().unwrap();
        let records = sink.take();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].value.as_deref(), Some(&b"2"[..]));
    }

    /// A wrapped store counting its reads.
    #[derive(Debug)]
    struct CountingGets {
        inner: InMemoryKeyValueStore,
        gets: Rc<std::cell::Cell<usize>>,
    }

    impl StateStore for CountingGets {
        fn name(&self) -> &str {
            self.inner.name()
        }
        fn persistent(&self) -> bool {
            false
        }
        fn flush(&mut self) -> Result<()> {
            self.inner.flush()
        }
        crate::store::forward_transactions!(inner);
        fn abort(&mut self) -> Result<()> {
            self.inner.abort()
        }
        fn close(&mut self) -> Result<()> {
            self.inner.close()
        }
    }

    impl KeyValueStore for CountingGets {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
            self.gets.set(self.gets.get() + 1);
            self.inner.get(key)
        }
        fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
            self.inner.put(key, value)
        }
        fn delete(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
            self.inner.delete(key)
        }
        fn put_all(&mut self, entries: &[KeyValueUpdate]) -> Result<()> {
            self.inner.put_all(entries)
        }
        fn range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
            self.inner.range(from, to)
        }
        fn reverse_range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
            self.inner.reverse_range(from, to)
        }
        fn prefix_scan(&self, prefix: &[u8]) -> Result<KeyValueIter<'_>> {
            self.inner.prefix_scan(prefix)
        }
        fn all(&self) -> Result<KeyValueIter<'_>> {
            self.inner.all()
        }
        fn approximate_num_entries(&self) -> Result<u64> {
            self.inner.approximate_num_entries()
        }
        fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
            self.inner.restore_batch(records)
        }
    }

    fn counting(send_old_values: bool) -> (CachingKeyValueStore, Rc<std::cell::Cell<usize>>) {
        let gets = Rc::new(std::cell::Cell::new(0));
        let inner = CountingGets {
            inner: InMemoryKeyValueStore::new("kv"),
            gets: gets.clone(),
        };
        let mut store = CachingKeyValueStore::new(Box::new(inner), ThreadCache::new(1 << 20));
        store.set_send_old_values(send_old_values);
        (store, gets)
    }

    #[test]
    fn without_old_values_a_flush_reads_nothing_and_forwards_deletes() {
        let (mut store, gets) = counting(false);
        assert!(!store.send_old_values());
        let seen = listen(&mut store);
        store.put(b"a", b"1").unwrap();
        store.put(b"b", b"1").unwrap();
        store.flush().unwrap();
        store.put(b"a", b"2").unwrap();
        store.delete(b"b").unwrap();
        store.put(b"c", b"x").unwrap();
        store.delete(b"c").unwrap();
        let reads_before_flush = gets.get();
        store.flush().unwrap();
        assert_eq!(
            gets.get(),
            reads_before_flush,
            "the flush reads no old value"
        );
        assert_eq!(
            *seen.borrow(),
            vec![
                seen_entry("a", Some("1"), None),
                seen_entry("b", Some("1"), None),
                seen_entry("a", Some("2"), None),
                seen_entry("b", None, None),
                seen_entry("c", None, None),
            ],
            "no old values; every delete is forwarded"
        );
        assert_eq!(
            store.get(b"b").unwrap(),
            None,
            "the delete was written down"
        );
        assert_eq!(store.get(b"a").unwrap(), Some(b"2".to_vec()));
        let all: Vec<_> = store.all().unwrap().map(|e| e.unwrap().0).collect();
        assert_eq!(all, vec![b"a".to_vec()]);
    }

    #[test]
    fn without_old_values_eviction_reads_nothing() {
        let budget = ThreadCache::new(ENTRY_OVERHEAD_BYTES + 2);
        let gets = Rc::new(std::cell::Cell::new(0));
        let inner = CountingGets {
            inner: InMemoryKeyValueStore::new("kv"),
            gets: gets.clone(),
        };
        let mut store = CachingKeyValueStore::new(Box::new(inner), budget);
        store.set_send_old_values(false);
        let seen = listen(&mut store);
        store.put(b"a", b"1").unwrap();
        store.put(b"b", b"1").unwrap();
        store.put(b"a", b"2").unwrap();
        assert_eq!(gets.get(), 0);
        assert_eq!(
            *seen.borrow(),
            vec![
                seen_entry("a", Some("1"), None),
                seen_entry("b", Some("1"), None)
            ]
        );
    }

    #[test]
    fn with_old_values_a_flush_reads_each_old_value() {
        let (mut store, gets) = counting(true);
        assert!(store.send_old_values());
        let seen = listen(&mut store);
        store.put(b"a", b"1").unwrap();
        store.flush().unwrap();
        store.put(b"a", b"2").unwrap();
        store.flush().unwrap();
        assert_eq!(gets.get(), 2);
        assert_eq!(
            *seen.borrow(),
            vec![
                seen_entry("a", Some("1"), None),
                seen_entry("a", Some("2"), Some("1"))
            ]
        );
    }

    #[test]
    fn abort_drops_cached_and_written_down_writes() {
        let mut store = cached(1024 * 1024);
        let seen = listen(&mut store);
        store.put(b"a", b"1").unwrap();
        store.flush().unwrap();
        store.commit(Some(0)).unwrap();
        store.put(b"a", b"2").unwrap();
        store.put(b"b", b"2").unwrap();
        store.flush().unwrap();
        store.put(b"a", b"3").unwrap();
        store.abort().unwrap();
        assert_eq!(store.get(b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.get(b"b").unwrap(), None);
        assert_eq!(store.committed_offset().unwrap(), Some(0));
        store.flush().unwrap();
        assert_eq!(
            seen.borrow().len(),
            3,
            "nothing left to write down after abort"
        );
    }
}
