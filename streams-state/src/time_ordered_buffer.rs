//! [`InMemoryTimeOrderedBuffer`]: the store behind suppression — entries kept in
//! memory in the order of their buffer time, one per key, and logged to a
//! changelog so a restarted task can rebuild the buffer.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use crate::{ChangelogSink, KeyValueUpdate, Result, StateStore, StateStoreError};

/// Bytes a changelog value spends on the buffer time ahead of the entry's value.
const TIME_BYTES: usize = 8;

/// One entry taken out of the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferedEntry {
    /// The key bytes.
    pub key: Vec<u8>,
    /// The buffer time the entry was ordered by.
    pub time: i64,
    /// The entry's value bytes.
    pub value: Vec<u8>,
}

/// A buffer of byte entries ordered by a buffer time, deduplicated per key.
///
/// Putting a key that is already buffered replaces its value but keeps its place
/// (its first buffer time), as Kafka Streams' in-memory time-ordered buffer does.
/// Entries leave oldest first through [`pop_oldest`](Self::pop_oldest).
///
/// With a [`ChangelogSink`], the keys changed since the last
/// [`flush`](StateStore::flush) are logged when it is called (once per key, with
/// the latest value, or a tombstone for a key that left the buffer): the changelog
/// value is the 8-byte big-endian buffer time followed by the entry's value, which
/// is what [`restore_batch`](Self::restore_batch) reads back.
///
/// The buffer is transactional like every store, in memory: it keeps the
/// entry each key had at the last [`commit`](StateStore::commit) before changing
/// it, and [`abort`](StateStore::abort) puts those back. Not being persistent, it
/// is restored from the start of its changelog after a restart.
///
/// ```
/// use std::rc::Rc;
/// use streams_state::{InMemoryTimeOrderedBuffer, RecordingChangelogSink, StateStore};
///
/// let changelog = Rc::new(RecordingChangelogSink::default());
/// let mut buffer = InMemoryTimeOrderedBuffer::new("suppress", Some(changelog.clone()));
/// buffer.put(20, b"b", b"1".to_vec())?;
/// buffer.put(10, b"a", b"1".to_vec())?;
/// buffer.put(30, b"a", b"2".to_vec())?; // keeps its place at time 10
/// let oldest = buffer.pop_oldest()?.unwrap();
/// assert_eq!((oldest.key, oldest.time, oldest.value), (b"a".to_vec(), 10, b"2".to_vec()));
/// buffer.flush()?;
/// let logged = changelog.take();
/// assert_eq!(logged.len(), 2); // a tombstone for "a", the entry of "b"
///
/// let mut restored = InMemoryTimeOrderedBuffer::new("suppress", None);
/// let records: Vec<_> = logged.into_iter().map(|r| (r.key, r.value)).collect();
/// restored.restore_batch(&records)?;
/// assert_eq!(restored.min_time(), Some(20));
/// assert_eq!(restored.get(b"b")?, Some(&b"1"[..]));
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub struct InMemoryTimeOrderedBuffer {
    name: String,
    by_key: HashMap<Vec<u8>, (i64, Vec<u8>)>,
    by_time: BTreeSet<(i64, Vec<u8>)>,
    size_bytes: usize,
    /// Keys changed since the last flush, in key order so the changelog is deterministic.
    dirty: BTreeSet<Vec<u8>>,
    changelog: Option<Rc<dyn ChangelogSink>>,
    /// The committed entry (or its absence) of every key changed since the
    /// last commit, which an abort puts back.
    undo: HashMap<Vec<u8>, Option<(i64, Vec<u8>)>>,
    /// Bytes of keys and values in `undo`.
    undo_bytes: usize,
    committed_offset: Option<i64>,
    open: bool,
}

impl std::fmt::Debug for InMemoryTimeOrderedBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryTimeOrderedBuffer")
            .field("name", &self.name)
            .field("records", &self.by_key.len())
            .field("size_bytes", &self.size_bytes)
            .field("logged", &self.changelog.is_some())
            .finish()
    }
}

/// The bytes an entry accounts for: key, value and buffer time.
fn entry_size(key: &[u8], value: &[u8]) -> usize {
    key.len() + value.len() + TIME_BYTES
}

impl InMemoryTimeOrderedBuffer {
    /// An empty, open buffer called `name`, logging to `changelog` if given.
    pub fn new(name: impl Into<String>, changelog: Option<Rc<dyn ChangelogSink>>) -> Self {
        Self {
            name: name.into(),
            by_key: HashMap::new(),
            by_time: BTreeSet::new(),
            size_bytes: 0,
            dirty: BTreeSet::new(),
            changelog,
            undo: HashMap::new(),
            undo_bytes: 0,
            committed_offset: None,
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

    /// The value buffered for `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<&[u8]>> {
        self.check_open()?;
        Ok(self.by_key.get(key).map(|(_, value)| value.as_slice()))
    }

    /// Buffers `value` for `key` at `time`; a key already buffered keeps its time.
    pub fn put(&mut self, time: i64, key: &[u8], value: Vec<u8>) -> Result<()> {
        self.check_open()?;
        self.remember(key);
        self.size_bytes += entry_size(key, &value);
        match self.by_key.get_mut(key) {
            Some((_, existing)) => {
                let replaced = std::mem::replace(existing, value);
                self.size_bytes -= entry_size(key, &replaced);
            }
            None => {
                self.by_time.insert((time, key.to_vec()));
                self.by_key.insert(key.to_vec(), (time, value));
            }
        }
        if self.changelog.is_some() {
            self.dirty.insert(key.to_vec());
        }
        Ok(())
    }

    /// Removes and returns the entry with the smallest buffer time (the smallest
    /// key among equal times).
    pub fn pop_oldest(&mut self) -> Result<Option<BufferedEntry>> {
        self.check_open()?;
        let Some((time, key)) = self.by_time.pop_first() else {
            return Ok(None);
        };
        self.remember(&key);
        let (_, value) = self.by_key.remove(&key).ok_or_else(|| {
            StateStoreError::corrupt(&self.name, "the time index names a key the buffer lacks")
        })?;
        self.size_bytes -= entry_size(&key, &value);
        if self.changelog.is_some() {
            self.dirty.insert(key.clone());
        }
        Ok(Some(BufferedEntry { key, time, value }))
    }

    /// The smallest buffer time, or `None` when the buffer is empty.
    pub fn min_time(&self) -> Option<i64> {
        self.by_time.first().map(|(time, _)| *time)
    }

    /// Number of buffered entries (one per key).
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Bytes the entries account for: each key, value and 8-byte buffer time.
    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }

    /// Every entry in buffer-time order (for inspection).
    pub fn entries(&self) -> Result<Vec<BufferedEntry>> {
        self.check_open()?;
        self.by_time
            .iter()
            .map(|(time, key)| {
                let (_, value) = self.by_key.get(key).ok_or_else(|| {
                    StateStoreError::corrupt(
                        &self.name,
                        "the time index names a key the buffer lacks",
                    )
                })?;
                Ok(BufferedEntry {
                    key: key.clone(),
                    time: *time,
                    value: value.clone(),
                })
            })
            .collect()
    }

    /// Keeps the committed entry of `key` before its first change since the
    /// last commit.
    fn remember(&mut self, key: &[u8]) {
        if self.undo.contains_key(key) {
            return;
        }
        let committed = self.by_key.get(key).cloned();
        self.undo_bytes += key.len() + committed.as_ref().map_or(0, |(_, v)| v.len());
        self.undo.insert(key.to_vec(), committed);
    }

    fn remove_entry(&mut self, key: &[u8]) {
        if let Some((time, old)) = self.by_key.remove(key) {
            self.by_time.remove(&(time, key.to_vec()));
            self.size_bytes -= entry_size(key, &old);
        }
    }

    /// Logs every key changed since the last call: its current entry, or a
    /// tombstone if it left the buffer.
    fn log_dirty(&mut self) {
        let Some(changelog) = &self.changelog else {
            return;
        };
        for key in std::mem::take(&mut self.dirty) {
            match self.by_key.get(&key) {
                Some((time, value)) => {
                    let mut logged = Vec::with_capacity(TIME_BYTES + value.len());
                    logged.extend_from_slice(&time.to_be_bytes());
                    logged.extend_from_slice(value);
                    changelog.log(&self.name, &key, Some(&logged));
                }
                None => changelog.log(&self.name, &key, None),
            }
        }
    }

    /// Applies changelog records (as [`flush`](StateStore::flush) logs them)
    /// without logging them again: an entry puts its key at the logged buffer
    /// time, a tombstone removes the key.
    pub fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.check_open()?;
        for (key, value) in records {
            self.remember(key);
            self.remove_entry(key);
            let Some(value) = value else {
                continue;
            };
            if value.len() < TIME_BYTES {
                return Err(StateStoreError::corrupt(
                    &self.name,
                    format!(
                        "a changelog value has {} bytes, fewer than its 8-byte buffer time",
                        value.len()
                    ),
                ));
            }
            let (time, value) = value.split_at(TIME_BYTES);
            let mut time_bytes = [0; TIME_BYTES];
            time_bytes.copy_from_slice(time);
            let time = i64::from_be_bytes(time_bytes);
            self.size_bytes += entry_size(key, value);
            self.by_time.insert((time, key.clone()));
            self.by_key.insert(key.clone(), (time, value.to_vec()));
        }
        Ok(())
    }
}

impl StateStore for InMemoryTimeOrderedBuffer {
    fn name(&self) -> &str {
        &self.name
    }

    fn persistent(&self) -> bool {
        false
    }

    /// Logs the keys changed since the last flush; the buffer itself lives in memory.
    fn flush(&mut self) -> Result<()> {
        self.check_open()?;
        self.log_dirty();
        Ok(())
    }

    fn commit(&mut self, changelog_offset: Option<i64>) -> Result<()> {
        self.check_open()?;
        self.undo.clear();
        self.undo_bytes = 0;
        if changelog_offset.is_some() {
            self.committed_offset = changelog_offset;
        }
        Ok(())
    }

    /// Puts back the committed entry of every key changed since the last
    /// commit; changes not yet logged are forgotten.
    fn abort(&mut self) -> Result<()> {
        self.check_open()?;
        for (key, committed) in std::mem::take(&mut self.undo) {
            self.remove_entry(&key);
            if let Some((time, value)) = committed {
                self.size_bytes += entry_size(&key, &value);
                self.by_time.insert((time, key.clone()));
                self.by_key.insert(key, (time, value));
            }
        }
        self.undo_bytes = 0;
        self.dirty.clear();
        Ok(())
    }

    fn committed_offset(&self) -> Result<Option<i64>> {
        self.check_open()?;
        Ok(self.committed_offset)
    }

    /// Bytes of the committed entries kept for an abort.
    fn uncommitted_bytes(&self) -> usize {
        self.undo_bytes
    }

    fn close(&mut self) -> Result<()> {
        if self.open {
            self.log_dirty();
            self.undo.clear();
            self.undo_bytes = 0;
            self.open = false;
            self.by_key.clear();
            self.by_time.clear();
            self.size_bytes = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordingChangelogSink;

    fn logged_buffer() -> (InMemoryTimeOrderedBuffer, Rc<RecordingChangelogSink>) {
        let sink = Rc::new(RecordingChangelogSink::default());
        (
            InMemoryTimeOrderedBuffer::new("buffer", Some(sink.clone())),
            sink,
        )
    }

    fn drain(buffer: &mut InMemoryTimeOrderedBuffer) -> Vec<(i64, Vec<u8>, Vec<u8>)> {
        std::iter::from_fn(|| buffer.pop_oldest().unwrap())
            .map(|e| (e.time, e.key, e.value))
            .collect()
    }

    #[test]
    fn entries_leave_in_buffer_time_order_and_keep_their_first_time() {
        let (mut buffer, _) = logged_buffer();
        buffer.put(30, b"c", b"c1".to_vec()).unwrap();
        buffer.put(10, b"a", b"a1".to_vec()).unwrap();
        buffer.put(20, b"b", b"b1".to_vec()).unwrap();
        buffer.put(40, b"a", b"a2".to_vec()).unwrap();
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.min_time(), Some(10));
        assert_eq!(
            drain(&mut buffer),
            [
                (10, b"a".to_vec(), b"a2".to_vec()),
                (20, b"b".to_vec(), b"b1".to_vec()),
                (30, b"c".to_vec(), b"c1".to_vec()),
            ]
        );
        assert!(buffer.is_empty());
        assert_eq!(buffer.min_time(), None);
    }

    #[test]
    fn size_counts_key_value_and_time_and_follows_replacements() {
        let (mut buffer, _) = logged_buffer();
        buffer.put(1, b"key", b"12345".to_vec()).unwrap();
        assert_eq!(buffer.size_bytes(), 3 + 5 + 8);
        buffer.put(2, b"key", b"1".to_vec()).unwrap();
        assert_eq!(buffer.size_bytes(), 3 + 1 + 8);
        buffer.put(2, b"k2", Vec::new()).unwrap();
        assert_eq!(buffer.size_bytes(), 3 + 1 + 8 + 2 + 8);
        buffer.pop_oldest().unwrap();
        assert_eq!(buffer.size_bytes(), 2 + 8);
    }

    #[test]
    fn flush_logs_each_changed_key_once_with_its_latest_state() {
        let (mut buffer, sink) = logged_buffer();
        buffer.put(5, b"a", b"1".to_vec()).unwrap();
        buffer.put(6, b"a", b"2".to_vec()).unwrap();
        buffer.put(7, b"b", b"1".to_vec()).unwrap();
        assert!(
            sink.records().is_empty(),
            "nothing is logged before a flush"
        );
        buffer.flush().unwrap();
        let records = sink.take();
        let mut expected_a = 5_i64.to_be_bytes().to_vec();
        expected_a.extend_from_slice(b"2");
        assert_eq!(records.len(), 2);
        assert_eq!(
            (records[0].key.as_slice(), records[0].value.clone()),
            (&b"a"[..], Some(expected_a))
        );
        buffer.pop_oldest().unwrap();
        buffer.flush().unwrap();
        let records = sink.take();
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].key.as_slice(), &records[0].value),
            (&b"a"[..], &None)
        );
        buffer.flush().unwrap();
        assert!(sink.take().is_empty(), "a clean buffer logs nothing");
    }

    #[test]
    fn a_key_buffered_and_evicted_between_flushes_is_logged_as_a_tombstone() {
        let (mut buffer, sink) = logged_buffer();
        buffer.put(1, b"a", b"1".to_vec()).unwrap();
        buffer.pop_oldest().unwrap();
        buffer.flush().unwrap();
        let records = sink.take();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].value, None);
    }

    #[test]
    fn restoring_the_changelog_rebuilds_order_values_and_size() {
        let (mut buffer, sink) = logged_buffer();
        buffer.put(30, b"c", b"c1".to_vec()).unwrap();
        buffer.put(10, b"a", b"a1".to_vec()).unwrap();
        buffer.flush().unwrap();
        buffer.put(20, b"b", b"b1".to_vec()).unwrap();
        buffer.put(10, b"a", b"a2".to_vec()).unwrap();
        buffer.pop_oldest().unwrap();
        buffer.put(50, b"a", b"a3".to_vec()).unwrap();
        buffer.flush().unwrap();
        let records: Vec<KeyValueUpdate> =
            sink.take().into_iter().map(|r| (r.key, r.value)).collect();
        let mut restored = InMemoryTimeOrderedBuffer::new("buffer", None);
        restored.restore_batch(&records).unwrap();
        assert_eq!(restored.size_bytes(), buffer.size_bytes());
        assert_eq!(restored.entries().unwrap(), buffer.entries().unwrap());
        assert_eq!(
            drain(&mut restored),
            [
                (20, b"b".to_vec(), b"b1".to_vec()),
                (30, b"c".to_vec(), b"c1".to_vec()),
                (50, b"a".to_vec(), b"a3".to_vec()),
            ]
        );
    }

    #[test]
    fn restoring_a_truncated_value_is_a_corruption_error() {
        let mut buffer = InMemoryTimeOrderedBuffer::new("buffer", None);
        let error = buffer
            .restore_batch(&[(b"k".to_vec(), Some(vec![1, 2]))])
            .unwrap_err();
        assert!(matches!(error, StateStoreError::Corrupt { .. }), "{error}");
    }

    #[test]
    fn an_unlogged_buffer_logs_nothing_and_a_closed_one_refuses_use() {
        let mut buffer = InMemoryTimeOrderedBuffer::new("buffer", None);
        buffer.put(1, b"a", b"1".to_vec()).unwrap();
        buffer.flush().unwrap();
        buffer.close().unwrap();
        assert!(matches!(
            buffer.put(2, b"b", Vec::new()),
            Err(StateStoreError::Closed { .. })
        ));
        buffer.close().unwrap();
    }

    #[test]
    fn abort_puts_back_the_committed_entries() {
        let (mut buffer, changelog) = logged_buffer();
        buffer.put(10, b"a", b"a1".to_vec()).unwrap();
        buffer.put(20, b"b", b"b1".to_vec()).unwrap();
        buffer.flush().unwrap();
        buffer.commit(Some(1)).unwrap();
        changelog.take();
        assert_eq!(buffer.uncommitted_bytes(), 0);

        buffer.put(30, b"a", b"a2".to_vec()).unwrap();
        buffer.put(5, b"c", b"c1".to_vec()).unwrap();
        assert_eq!(buffer.pop_oldest().unwrap().unwrap().key, b"c".to_vec());
        assert_eq!(buffer.pop_oldest().unwrap().unwrap().key, b"a".to_vec());
        assert!(buffer.uncommitted_bytes() > 0);
        let size_before = buffer.size_bytes();
        buffer.abort().unwrap();
        assert_ne!(buffer.size_bytes(), size_before);
        assert_eq!(
            drain(&mut buffer),
            vec![
                (10, b"a".to_vec(), b"a1".to_vec()),
                (20, b"b".to_vec(), b"b1".to_vec())
            ]
        );
        assert_eq!(buffer.committed_offset().unwrap(), Some(1));
        buffer.abort().unwrap();
        assert_eq!(buffer.len(), 2, "the drain was undone too");
        buffer.flush().unwrap();
        assert!(
            changelog.take().is_empty(),
            "nothing changed since the commit"
        );
    }
}
