//! [`ChangeLoggingWindowStore`]: mirrors every write of a window store to a
//! changelog, keyed by the binary window-key layout.

use crate::{
    ChangeLogging, KeyValueUpdate, Result, WindowIter, WindowStore, WindowedIter, window_key,
};

/// Wraps a window store and logs every write to a [`ChangelogSink`](crate::ChangelogSink) under its
/// [`window_key`] (with the wrapped store's
/// [`last_seqnum`](WindowStore::last_seqnum) when duplicates are retained).
/// Reads and restoration pass straight through.
pub type ChangeLoggingWindowStore = ChangeLogging<dyn WindowStore>;

impl WindowStore for ChangeLogging<dyn WindowStore> {
    fn put(&mut self, key: &[u8], value: Option<&[u8]>, window_start: i64) -> Result<()> {
        self.inner.put(key, value, window_start)?;
        let seqnum = if self.inner.retain_duplicates() {
            if value.is_none() {
                return Ok(());
            }
            Some(self.inner.last_seqnum())
        } else {
            None
        };
        let stored_key = window_key::encode(key, window_start, seqnum);
        self.log(&stored_key, value);
        Ok(())
    }

    fn fetch(&self, key: &[u8], window_start: i64) -> Result<Option<Vec<u8>>> {
        self.inner.fetch(key, window_start)
    }

    fn fetch_range(&self, key: &[u8], time_from: i64, time_to: i64) -> Result<WindowIter<'_>> {
        self.inner.fetch_range(key, time_from, time_to)
    }

    fn fetch_key_range(
        &self,
        key_from: &[u8],
        key_to: &[u8],
        time_from: i64,
        time_to: i64,
    ) -> Result<WindowedIter<'_>> {
        self.inner
            .fetch_key_range(key_from, key_to, time_from, time_to)
    }

    fn fetch_all(&self, time_from: i64, time_to: i64) -> Result<WindowedIter<'_>> {
        self.inner.fetch_all(time_from, time_to)
    }

    fn all(&self) -> Result<WindowedIter<'_>> {
        self.inner.all()
    }

    fn retention_period(&self) -> i64 {
        self.inner.retention_period()
    }

    fn retain_duplicates(&self) -> bool {
        self.inner.retain_duplicates()
    }

    fn last_seqnum(&self) -> u32 {
        self.inner.last_seqnum()
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.inner.restore_batch(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segmented_window_store::contract::{self, RETENTION};
    use crate::{RecordingChangelogSink, SegmentedWindowStore};
    use std::rc::Rc;

    fn logged(dups: bool) -> (ChangeLoggingWindowStore, Rc<RecordingChangelogSink>) {
        let sink = Rc::new(RecordingChangelogSink::default());
        let inner = SegmentedWindowStore::in_memory("w", RETENTION, dups).unwrap();
        (
            ChangeLoggingWindowStore::new(Box::new(inner), sink.clone()),
            sink,
        )
    }

    #[test]
    fn passes_the_window_contract() {
        contract::run_all(|dups| Box::new(logged(dups).0));
    }

    #[test]
    fn logs_binary_keys_and_tombstones_that_restore_the_store() {
        let (mut store, sink) = logged(false);
        store.put(b"k", Some(b"1"), 10).unwrap();
        store.put(b"k", Some(b"2"), 20).unwrap();
        store.put(b"k", None, 10).unwrap();
        let records = sink.take();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].key, window_key::encode(b"k", 10, None));
        assert_eq!(records[2].value, None);
        assert!(records.iter().all(|r| r.store == "w"));

        let mut restored = SegmentedWindowStore::in_memory("w", RETENTION, false).unwrap();
        let batch: Vec<KeyValueUpdate> = records.into_iter().map(|r| (r.key, r.value)).collect();
        restored.restore_batch(&batch).unwrap();
        let windows: Vec<_> = restored
            .fetch_range(b"k", 0, 100)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(windows, vec![(20, b"2".to_vec())]);
    }

    #[test]
    fn duplicates_get_the_sequence_numbers_of_the_inner_store() {
        let (mut store, sink) = logged(true);
        store.put(b"k", Some(b"1"), 10).unwrap();
        store.put(b"k", Some(b"2"), 10).unwrap();
        store.put(b"k", None, 10).unwrap();
        let records = sink.take();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].key, window_key::encode(b"k", 10, Some(1)));
        assert_eq!(records[1].key, window_key::encode(b"k", 10, Some(2)));

        let mut restored = SegmentedWindowStore::in_memory("w", RETENTION, true).unwrap();
        let batch: Vec<KeyValueUpdate> = records.into_iter().map(|r| (r.key, r.value)).collect();
        restored.restore_batch(&batch).unwrap();
        assert_eq!(restored.fetch_range(b"k", 0, 100).unwrap().count(), 2);
    }
}
