//! The [`ChangelogSink`] that change-logging stores mirror their writes to, and
//! a recording sink for tests and test drivers.

use std::cell::RefCell;

/// Receives every write of change-logging stores.
///
/// The runtime's sink adds timestamp and partition from the current record
/// context and sends to `<application.id>-<store>-changelog`. Keys are the
/// store's binary keys (plain keys for key-value stores, the
/// [`window_key`](crate::window_key) and [`session_key`](crate::session_key)
/// layouts otherwise), so restoration can feed them to `restore_batch` as they are.
pub trait ChangelogSink {
    /// Logs that `store` wrote `value` (`None`: a tombstone) under `key`.
    fn log(&self, store: &str, key: &[u8], value: Option<&[u8]>);
}

/// One record seen by a [`RecordingChangelogSink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogRecord {
    /// Name of the store that wrote.
    pub store: String,
    /// Binary key written.
    pub key: Vec<u8>,
    /// Value written; `None` for a tombstone.
    pub value: Option<Vec<u8>>,
}

/// A [`ChangelogSink`] that keeps every record in memory, in order.
///
/// ```
/// use std::rc::Rc;
/// use streams_state::{ChangeLoggingKeyValueStore, InMemoryKeyValueStore, KeyValueStore,
///     RecordingChangelogSink};
///
/// let sink = Rc::new(RecordingChangelogSink::default());
/// let mut store =
///     ChangeLoggingKeyValueStore::new(Box::new(InMemoryKeyValueStore::new("kv")), sink.clone());
/// store.put(b"k", b"v")?;
/// store.delete(b"k")?;
/// let records = sink.records();
/// assert_eq!(records.len(), 2);
/// assert_eq!(records[1].value, None);
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
#[derive(Debug, Default)]
pub struct RecordingChangelogSink {
    records: RefCell<Vec<ChangelogRecord>>,
}

impl RecordingChangelogSink {
    /// A copy of the records logged so far.
    pub fn records(&self) -> Vec<ChangelogRecord> {
        self.records.borrow().clone()
    }

    /// Removes and returns the records logged so far.
    pub fn take(&self) -> Vec<ChangelogRecord> {
        std::mem::take(&mut self.records.borrow_mut())
    }
}

impl ChangelogSink for RecordingChangelogSink {
    fn log(&self, store: &str, key: &[u8], value: Option<&[u8]>) {
        self.records.borrow_mut().push(ChangelogRecord {
            store: store.to_owned(),
            key: key.to_vec(),
            value: value.map(<[u8]>::to_vec),
        });
    }
}
