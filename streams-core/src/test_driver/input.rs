//! Typed input topics of the test driver.

use super::driver::DriverState;
use crate::error::{RecordPart, StreamsError};
use crate::record::{Headers, Record};
use crate::serde::{SerdeContext, SerdeRef};
use std::cell::RefCell;
use std::rc::Rc;

/// Pipes typed records into one input topic; each call processes the record (and
/// everything it causes) before returning.
pub struct TestInputTopic<K, V> {
    state: Rc<RefCell<DriverState>>,
    topic: String,
    key_serde: SerdeRef<K>,
    value_serde: SerdeRef<V>,
}

impl<K, V> TestInputTopic<K, V> {
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
        }
    }

    /// Pipes a record with this key, value and timestamp (ms), and no headers.
    pub fn pipe(
        &self,
        key: impl Into<K>,
        value: impl Into<V>,
        timestamp: i64,
    ) -> Result<(), StreamsError> {
        self.pipe_record(Record::new(key.into(), value.into(), timestamp))
    }

    /// Pipes a record with headers.
    pub fn pipe_with_headers(
        &self,
        key: impl Into<K>,
        value: impl Into<V>,
        timestamp: i64,
        headers: Headers,
    ) -> Result<(), StreamsError> {
        self.pipe_record(Record::new(key.into(), value.into(), timestamp).with_headers(headers))
    }

    /// Pipes a whole record.
    pub fn pipe_record(&self, record: Record<K, V>) -> Result<(), StreamsError> {
        let serialization = |part, serde: &str, source| StreamsError::Serialization {
            topic: self.topic.clone(),
            node: "test input".into(),
            part,
            serde: serde.to_string(),
            source: Box::new(source),
        };
        let key = self
            .key_serde
            .serialize_with_context(
                &SerdeContext::key(&self.topic, &record.headers),
                &record.key,
            )
            .map_err(|e| serialization(RecordPart::Key, self.key_serde.name(), e))?;
        let value = self
            .value_serde
            .serialize_with_context(
                &SerdeContext::value(&self.topic, &record.headers),
                &record.value,
            )
            .map_err(|e| serialization(RecordPart::Value, self.value_serde.name(), e))?;
        self.pipe_bytes(key, value, record.timestamp, record.headers)
    }

    /// Pipes raw bytes, bypassing this topic's serdes (for example a poison pill
    /// that the topology's serdes cannot read).
    pub fn pipe_bytes(
        &self,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
        timestamp: i64,
        headers: Headers,
    ) -> Result<(), StreamsError> {
        self.state
            .borrow_mut()
            .pipe(&self.topic, key, value, timestamp, headers)
    }
}
