//! [`ChangeLoggingVersionedStore`]: mirrors every accepted write of a
//! versioned key-value store to a changelog, with the write's timestamp.

use crate::{
    ChangeLogging, KeyValueUpdate, PutOutcome, Result, VersionedKeyValueStore, VersionedValue,
    versioned_changelog,
};

/// Wraps a versioned store and logs every put it accepts (tombstones
/// included) to a [`ChangelogSink`](crate::ChangelogSink): the store's key,
/// and the timestamp with the value in the
/// [`versioned_changelog`](crate::versioned_changelog) layout. Writes the
/// store rejects as older than its history retention are not logged. Reads
/// and restoration pass straight through.
pub type ChangeLoggingVersionedStore = ChangeLogging<dyn VersionedKeyValueStore>;

impl VersionedKeyValueStore for ChangeLogging<dyn VersionedKeyValueStore> {
    fn history_retention(&self) -> i64 {
        self.inner.history_retention()
    }

    fn observed_stream_time(&self) -> Option<i64> {
        self.inner.observed_stream_time()
    }

    fn put(&mut self, key: &[u8], value: Option<&[u8]>, timestamp: i64) -> Result<PutOutcome> {
        let outcome = self.inner.put(key, value, timestamp)?;
        if outcome != PutOutcome::Rejected {
            self.log(key, Some(&versioned_changelog::encode(timestamp, value)));
        }
        Ok(outcome)
    }

    fn get(&self, key: &[u8]) -> Result<Option<VersionedValue>> {
        self.inner.get(key)
    }

    fn get_as_of(&self, key: &[u8], as_of: i64) -> Result<Option<VersionedValue>> {
        self.inner.get_as_of(key, as_of)
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.inner.restore_batch(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RecordingChangelogSink, StateStore, VersionedStore};
    use std::rc::Rc;

    fn logged(sink: &Rc<RecordingChangelogSink>) -> ChangeLoggingVersionedStore {
        ChangeLoggingVersionedStore::new(
            Box::new(VersionedStore::in_memory("prices", 15)),
            sink.clone(),
        )
    }

    #[test]
    fn logs_accepted_puts_with_their_timestamps_and_restores_them_in_order() {
        let sink = Rc::new(RecordingChangelogSink::default());
        let mut store = logged(&sink);
        store.put(b"k", Some(b"a"), 20).unwrap();
        store.put(b"k", Some(b"b"), 30).unwrap();
        store.put(b"k", Some(b"late"), 25).unwrap();
        store.put(b"k", None, 40).unwrap();
        assert_eq!(
            store.put(b"k", Some(b"expired"), 5).unwrap(),
            PutOutcome::Rejected
        );
        store.restore_batch(&[]).unwrap();
        let records = sink.take();
        let written: Vec<_> = records
            .iter()
            .map(|r| {
                let (timestamp, value) =
                    versioned_changelog::decode("prices", r.value.as_deref().unwrap()).unwrap();
                (r.key.clone(), timestamp, value.map(<[u8]>::to_vec))
            })
            .collect();
        assert_eq!(
            written,
            vec![
                (b"k".to_vec(), 20, Some(b"a".to_vec())),
                (b"k".to_vec(), 30, Some(b"b".to_vec())),
                (b"k".to_vec(), 25, Some(b"late".to_vec())),
                (b"k".to_vec(), 40, None),
            ]
        );

        let mut replica = logged(&Rc::new(RecordingChangelogSink::default()));
        let batch: Vec<KeyValueUpdate> = records.into_iter().map(|r| (r.key, r.value)).collect();
        replica.restore_batch(&batch).unwrap();
        assert_eq!(replica.observed_stream_time(), Some(40));
        assert_eq!(replica.get(b"k").unwrap(), None);
        for (as_of, expected) in [(31, Some("b")), (27, Some("late")), (40, None)] {
            assert_eq!(
                replica.get_as_of(b"k", as_of).unwrap().map(|v| v.value),
                expected.map(|v| v.as_bytes().to_vec()),
                "as of {as_of}"
            );
        }
        assert_eq!(replica.name(), "prices");
    }
}
