//! [`InMemoryKeyValueStore`]: a non-persistent key-value store over a `BTreeMap`.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::{KeyValueIter, KeyValueStore, KeyValueUpdate, Result, StateStore, StateStoreError};

/// A key-value store kept in a `BTreeMap`; its contents are lost on restart and
/// rebuilt from the changelog.
///
/// ```
/// use streams_state::{InMemoryKeyValueStore, KeyValueStore};
///
/// let mut store = InMemoryKeyValueStore::new("lookup");
/// store.put(b"k", b"v")?;
/// assert_eq!(store.delete(b"k")?, Some(b"v".to_vec()));
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
#[derive(Debug)]
pub struct InMemoryKeyValueStore {
    name: String,
    map: BTreeMap<Vec<u8>, Vec<u8>>,
    open: bool,
}

impl InMemoryKeyValueStore {
    /// Creates an empty, open store called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            map: BTreeMap::new(),
            open: true,
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.open {
            Ok(())
        } else {
            Err(StateStoreError::closed(&self.name))
        }
    }

    fn write(&mut self, key: &[u8], value: Option<&[u8]>) {
        match value {
            Some(value) => {
                self.map.insert(key.to_vec(), value.to_vec());
            }
            None => {
                self.map.remove(key);
            }
        }
    }
}

fn owned(entry: (&Vec<u8>, &Vec<u8>)) -> Result<(Vec<u8>, Vec<u8>)> {
    Ok((entry.0.clone(), entry.1.clone()))
}

impl StateStore for InMemoryKeyValueStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn persistent(&self) -> bool {
        false
    }

    fn flush(&mut self) -> Result<()> {
        self.check_open()
    }

    fn close(&mut self) -> Result<()> {
        self.open = false;
        self.map.clear();
        Ok(())
    }
}

impl KeyValueStore for InMemoryKeyValueStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_open()?;
        Ok(self.map.get(key).cloned())
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.check_open()?;
        self.write(key, Some(value));
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_open()?;
        Ok(self.map.remove(key))
    }

    fn put_all(&mut self, entries: &[KeyValueUpdate]) -> Result<()> {
        self.check_open()?;
        for (key, value) in entries {
            self.write(key, value.as_deref());
        }
        Ok(())
    }

    fn range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        self.check_open()?;
        if from > to {
            return Ok(Box::new(std::iter::empty()));
        }
        Ok(Box::new(
            self.map
                .range::<[u8], _>((Bound::Included(from), Bound::Included(to)))
                .map(owned),
        ))
    }

    fn reverse_range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        self.check_open()?;
        if from > to {
            return Ok(Box::new(std::iter::empty()));
        }
        Ok(Box::new(
            self.map
                .range::<[u8], _>((Bound::Included(from), Bound::Included(to)))
                .rev()
                .map(owned),
        ))
    }

    fn prefix_scan(&self, prefix: &[u8]) -> Result<KeyValueIter<'_>> {
        self.check_open()?;
        let prefix = prefix.to_vec();
        Ok(Box::new(
            self.map
                .range((Bound::Included(prefix.clone()), Bound::Unbounded))
                .take_while(move |(key, _)| key.starts_with(&prefix))
                .map(owned),
        ))
    }

    fn all(&self) -> Result<KeyValueIter<'_>> {
        self.check_open()?;
        Ok(Box::new(self.map.iter().map(owned)))
    }

    fn approximate_num_entries(&self) -> Result<u64> {
        self.check_open()?;
        Ok(self.map.len() as u64)
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.put_all(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_value::contract;

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
}
