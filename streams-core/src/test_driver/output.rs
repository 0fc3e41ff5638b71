//! Typed output topics of the test driver.

use super::TestDriverError;
use super::driver::DriverState;
use crate::error::RecordPart;
use crate::record::{ProducedRecord, Record};
use crate::serde::{SerdeContext, SerdeRef};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::rc::Rc;

/// Reads, in order, the records the topology wrote to one topic. Reading consumes.
pub struct TestOutputTopic<K, V> {
    state: Rc<RefCell<DriverState>>,
    topic: String,
    key_serde: SerdeRef<K>,
    value_serde: SerdeRef<V>,
    read_so_far: RefCell<usize>,
}

impl<K, V> TestOutputTopic<K, V> {
    pub(crate) fn new(
        state: Rc<RefCell<DriverState>>,
        topic: &str,
        key_serde: SerdeRef<K>,
        value_serde: SerdeRef<V>,
    ) -> Self {
        Self {
            state,
            topic: topic.to_string(),
            key_serde,
            value_serde,
            read_so_far: RefCell::new(0),
        }
    }

    fn pop(&self) -> Option<ProducedRecord> {
        let state = self.state.borrow();
        let mut captured = state.captured.borrow_mut();
        captured
            .outputs
            .get_mut(&self.topic)
            .and_then(|q| q.pop_front())
    }

    /// Reads the next record.
    pub fn read(&self) -> Result<Record<K, V>, TestDriverError> {
        self.read_with_partition().map(|(_, record)| record)
    }

    /// Reads the next record with the partition its sink's partitioner chose
    /// (`None` for a null key, which the producer places).
    pub fn read_with_partition(&self) -> Result<(Option<i32>, Record<K, V>), TestDriverError> {
        let record = self.pop().ok_or_else(|| TestDriverError::NoRecord {
            topic: self.topic.clone(),
        })?;
        let index = {
            let mut read = self.read_so_far.borrow_mut();
            *read += 1;
            *read - 1
        };
        let failure = |part, serde: &str, source| TestDriverError::Deserialization {
            topic: self.topic.clone(),
            index,
            part,
            serde: serde.to_string(),
            source,
        };
        let key = self
            .key_serde
            .deserialize_with_context(
                &SerdeContext::key(&self.topic, &record.headers),
                record.key.as_deref(),
            )
            .map_err(|e| failure(RecordPart::Key, self.key_serde.name(), e))?;
        let value = self
            .value_serde
            .deserialize_with_context(
                &SerdeContext::value(&self.topic, &record.headers),
                record.value.as_deref(),
            )
            .map_err(|e| failure(RecordPart::Value, self.value_serde.name(), e))?;
        Ok((
            record.partition,
            Record {
                key,
                value,
                timestamp: record.timestamp,
                headers: record.headers,
            },
        ))
    }

    /// Reads the next record's key and value.
    pub fn read_key_value(&self) -> Result<(K, V), TestDriverError> {
        self.read().map(|r| (r.key, r.value))
    }

    /// Reads the next record's value.
    pub fn read_value(&self) -> Result<V, TestDriverError> {
        self.read().map(|r| r.value)
    }

    /// Reads every remaining record.
    pub fn read_all(&self) -> Result<Vec<Record<K, V>>, TestDriverError> {
        let mut records = Vec::new();
        while !self.is_empty() {
            records.push(self.read()?);
        }
        Ok(records)
    }

    /// Reads every remaining key and value.
    pub fn read_key_values(&self) -> Result<Vec<(K, V)>, TestDriverError> {
        Ok(self
            .read_all()?
            .into_iter()
            .map(|r| (r.key, r.value))
            .collect())
    }

    /// Reads every remaining record into a map, later records replacing earlier
    /// ones with the same key (the latest value per key, as a table would hold).
    pub fn read_key_values_to_map(&self) -> Result<HashMap<K, V>, TestDriverError>
    where
        K: Eq + Hash,
    {
        Ok(self.read_key_values()?.into_iter().collect())
    }

    /// Records not yet read.
    pub fn len(&self) -> usize {
        let state = self.state.borrow();
        let captured = state.captured.borrow();
        captured.outputs.get(&self.topic).map_or(0, |q| q.len())
    }

    /// True when every record written so far has been read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
