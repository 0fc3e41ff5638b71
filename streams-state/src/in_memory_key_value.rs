//! [`InMemoryKeyValueStore`]: a non-persistent, transactional key-value store
//! over a `BTreeMap`, and [`InMemoryKeyValues`], its committed data.

use crate::transactional_key_value::{CommittedKeyValues, TransactionalKeyValueStore, inclusive};
use crate::{KeyValueIter, Result, StateStoreError};
use std::collections::BTreeMap;

/// A key-value store kept in memory; its contents are lost on restart and
/// rebuilt from the changelog. Writes since the last commit are held apart, so
/// [`abort`](crate::StateStore::abort) returns the store to its last commit
/// without a restore.
///
/// ```
/// use streams_state::{InMemoryKeyValueStore, KeyValueStore};
///
/// let mut store = InMemoryKeyValueStore::new("lookup");
/// store.put(b"k", b"v")?;
/// assert_eq!(store.delete(b"k")?, Some(b"v".to_vec()));
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub type InMemoryKeyValueStore = TransactionalKeyValueStore<InMemoryKeyValues>;

impl InMemoryKeyValueStore {
    /// Creates an empty, open store called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        TransactionalKeyValueStore::over(InMemoryKeyValues {
            name: name.into(),
            map: BTreeMap::new(),
            offset: None,
            open: true,
        })
    }
}

/// The committed data of an [`InMemoryKeyValueStore`]: a `BTreeMap` and the
/// last committed changelog offset.
#[derive(Debug)]
pub struct InMemoryKeyValues {
    name: String,
    map: BTreeMap<Vec<u8>, Vec<u8>>,
    offset: Option<i64>,
    open: bool,
}

fn owned(entry: (&Vec<u8>, &Vec<u8>)) -> Result<(Vec<u8>, Vec<u8>)> {
    Ok((entry.0.clone(), entry.1.clone()))
}

impl CommittedKeyValues for InMemoryKeyValues {
    fn name(&self) -> &str {
        &self.name
    }

    fn persistent(&self) -> bool {
        false
    }

    fn check_open(&self) -> Result<()> {
        if self.open {
            Ok(())
        } else {
            Err(StateStoreError::closed(&self.name))
        }
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_open()?;
        Ok(self.map.get(key).cloned())
    }

    fn scan(
        &self,
        from: Option<&[u8]>,
        to: Option<&[u8]>,
        reverse: bool,
    ) -> Result<KeyValueIter<'_>> {
        self.check_open()?;
        let entries = self.map.range::<[u8], _>((inclusive(from), inclusive(to)));
        Ok(if reverse {
            Box::new(entries.rev().map(owned))
        } else {
            Box::new(entries.map(owned))
        })
    }

    fn approximate_num_entries(&self) -> Result<u64> {
        self.check_open()?;
        Ok(self.map.len() as u64)
    }

    fn apply(
        &mut self,
        writes: &mut dyn Iterator<Item = (&[u8], Option<&[u8]>)>,
        offset: Option<i64>,
    ) -> Result<()> {
        self.check_open()?;
        for (key, value) in writes {
            match value {
                Some(value) => {
                    self.map.insert(key.to_vec(), value.to_vec());
                }
                None => {
                    self.map.remove(key);
                }
            }
        }
        if offset.is_some() {
            self.offset = offset;
        }
        Ok(())
    }

    fn offset(&self) -> Option<i64> {
        self.offset
    }

    fn close(&mut self) -> Result<()> {
        self.open = false;
        self.map.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_value::contract;
    use crate::{KeyValueStore, StateStore};

    #[test]
    fn passes_the_key_value_contract() {
        contract::run_all(|| Box::new(InMemoryKeyValueStore::new("kv")));
    }

    #[test]
    fn counts_entries_exactly() {
        let mut store = InMemoryKeyValueStore::new("kv");
        store.put(b"a", b"1").unwrap();
        store.put(b"b", b"1").unwrap();
        store.delete(b"a").unwrap();
        assert_eq!(store.approximate_num_entries().unwrap(), 1);
    }

    #[test]
    fn is_not_persistent() {
        let store = InMemoryKeyValueStore::new("kv");
        assert!(!store.persistent());
        assert_eq!(store.name(), "kv");
    }

    #[test]
    fn passes_the_transaction_contract() {
        crate::transactional_key_value::contract::reads_see_uncommitted_writes_and_abort_drops_them(
            &mut InMemoryKeyValueStore::new("kv"),
        );
    }

    #[test]
    fn counts_uncommitted_entries_exactly() {
        let mut store = InMemoryKeyValueStore::new("kv");
        store.put(b"a", b"1").unwrap();
        store.put(b"b", b"1").unwrap();
        store.commit(None).unwrap();
        store.delete(b"a").unwrap();
        store.put(b"c", b"1").unwrap();
        store.put(b"b", b"2").unwrap();
        assert_eq!(store.approximate_num_entries().unwrap(), 2);
    }
}
