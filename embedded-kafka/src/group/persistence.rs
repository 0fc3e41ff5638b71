//! Where committed offsets go to survive a broker restart: the
//! [`OffsetPersistence`] interface, [`MemoryOnly`] (nothing survives) and
//! [`OffsetLogFile`] (an append-only file in the data directory).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use thiserror::Error;

use super::offsets::{CommittedOffset, TopicPartition};

/// A failure to persist or load committed offsets.
#[derive(Debug, Error)]
pub enum PersistenceError {
    /// The offset file could not be read or written.
    #[error("offset file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A record of the offset file is not valid.
    #[error("offset file {path}: corrupt record at byte {position}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where the record starts.
        position: usize,
    },
}

/// An offset committed by a group, as persisted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistedOffset {
    /// The group.
    pub group_id: String,
    /// The partition.
    pub partition: TopicPartition,
    /// The committed offset.
    pub offset: CommittedOffset,
}

/// Durable storage of committed offsets. Called with the coordinator's lock held,
/// before the commit is acknowledged.
pub trait OffsetPersistence: Send + Sync + fmt::Debug {
    /// Records that `group_id` committed `offset` for `partition`.
    fn persist(
        &self,
        group_id: &str,
        partition: &TopicPartition,
        offset: &CommittedOffset,
    ) -> Result<(), PersistenceError>;

    /// Every offset persisted so far, latest last.
    fn load(&self) -> Result<Vec<PersistedOffset>, PersistenceError>;
}

/// Keeps nothing: offsets live only in the coordinator's memory.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryOnly;

impl OffsetPersistence for MemoryOnly {
    fn persist(
        &self,
        _: &str,
        _: &TopicPartition,
        _: &CommittedOffset,
    ) -> Result<(), PersistenceError> {
        Ok(())
    }

    fn load(&self) -> Result<Vec<PersistedOffset>, PersistenceError> {
        Ok(Vec::new())
    }
}

/// Committed offsets appended to `consumer-offsets.log` in a directory, one
/// length-prefixed record per commit. Opening compacts the file to the latest
/// offset of each group partition. Each record is written with one write call
/// before the commit is acknowledged, so a killed broker process loses no
/// acknowledged commit; a record cut short by a crash is dropped on open.
#[derive(Debug)]
pub struct OffsetLogFile {
    path: PathBuf,
    file: Mutex<File>,
    loaded: Vec<PersistedOffset>,
}

const FILE_NAME: &str = "consumer-offsets.log";

impl OffsetLogFile {
    /// Opens (creating if needed) the offset log in `dir`.
    pub fn open(dir: &Path) -> Result<OffsetLogFile, PersistenceError> {
        let path = dir.join(FILE_NAME);
        let io_error = |source| PersistenceError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(dir).map_err(io_error)?;
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut file) => {
                file.read_to_end(&mut bytes).map_err(io_error)?;
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(error)),
        }
        let loaded = latest_per_partition(decode_records(&path, &bytes)?);
        let compacted = dir.join(format!("{FILE_NAME}.compacting"));
        let mut encoded = Vec::new();
        for record in &loaded {
            encode_record(&mut encoded, record);
        }
        fs::write(&compacted, &encoded).map_err(io_error)?;
        fs::rename(&compacted, &path).map_err(io_error)?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io_error)?;
        Ok(OffsetLogFile {
            path,
            file: Mutex::new(file),
            loaded,
        })
    }
}

impl OffsetPersistence for OffsetLogFile {
    fn persist(
        &self,
        group_id: &str,
        partition: &TopicPartition,
        offset: &CommittedOffset,
    ) -> Result<(), PersistenceError> {
        let mut record = Vec::new();
        encode_record(
            &mut record,
            &PersistedOffset {
                group_id: group_id.to_string(),
                partition: partition.clone(),
                offset: offset.clone(),
            },
        );
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(&record)
            .map_err(|source| PersistenceError::Io {
                path: self.path.clone(),
                source,
            })
    }

    fn load(&self) -> Result<Vec<PersistedOffset>, PersistenceError> {
        Ok(self.loaded.clone())
    }
}

fn latest_per_partition(records: Vec<PersistedOffset>) -> Vec<PersistedOffset> {
    let mut latest: std::collections::BTreeMap<(String, TopicPartition), PersistedOffset> =
        std::collections::BTreeMap::new();
    for record in records {
        latest.insert((record.group_id.clone(), record.partition.clone()), record);
    }
    latest.into_values().collect()
}

fn put_str(out: &mut Vec<u8>, value: &str) {
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value.as_bytes());
}

fn encode_record(out: &mut Vec<u8>, record: &PersistedOffset) {
    let mut payload = Vec::new();
    put_str(&mut payload, &record.group_id);
    put_str(&mut payload, &record.partition.topic);
    payload.extend_from_slice(&record.partition.partition.to_be_bytes());
    payload.extend_from_slice(&record.offset.offset.to_be_bytes());
    payload.extend_from_slice(&record.offset.leader_epoch.to_be_bytes());
    put_str(&mut payload, &record.offset.metadata);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&payload);
}

/// Reads big-endian fields from a record payload.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.bytes.split_first_chunk::<N>()?;
        self.bytes = rest;
        Some(*head)
    }

    fn string(&mut self) -> Option<String> {
        let len = u32::from_be_bytes(self.take()?) as usize;
        if self.bytes.len() < len {
            return None;
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        String::from_utf8(head.to_vec()).ok()
    }

    fn record(&mut self) -> Option<PersistedOffset> {
        let group_id = self.string()?;
        let topic = self.string()?;
        let partition = i32::from_be_bytes(self.take()?);
        let offset = i64::from_be_bytes(self.take()?);
        let leader_epoch = i32::from_be_bytes(self.take()?);
        let metadata = self.string()?;
        self.bytes.is_empty().then_some(PersistedOffset {
            group_id,
            partition: TopicPartition::new(topic, partition),
            offset: CommittedOffset {
                offset,
                leader_epoch,
                metadata,
            },
        })
    }
}

fn decode_records(path: &Path, bytes: &[u8]) -> Result<Vec<PersistedOffset>, PersistenceError> {
    let mut records = Vec::new();
    let mut position = 0;
    while let Some(len_bytes) = bytes.get(position..position + 4) {
        let len =
            u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
        let Some(payload) = bytes.get(position + 4..position + 4 + len) else {
            // A record cut short by a crash: never acknowledged, dropped.
            break;
        };
        let record =
            Reader { bytes: payload }
                .record()
                .ok_or_else(|| PersistenceError::Corrupt {
                    path: path.to_path_buf(),
                    position,
                })?;
        records.push(record);
        position += 4 + len;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(offset: i64, metadata: &str) -> CommittedOffset {
        CommittedOffset {
            offset,
            leader_epoch: 3,
            metadata: metadata.to_string(),
        }
    }

    #[test]
    fn offsets_survive_reopening_with_the_latest_commit_per_partition() {
        let dir = tempfile::tempdir().unwrap();
        let tp0 = TopicPartition::new("orders", 0);
        let tp1 = TopicPartition::new("orders", 1);
        {
            let log = OffsetLogFile::open(dir.path()).unwrap();
            assert!(log.load().unwrap().is_empty());
            log.persist("g", &tp0, &offset(10, "a")).unwrap();
            log.persist("g", &tp0, &offset(20, "b")).unwrap();
            log.persist("g", &tp1, &offset(7, "")).unwrap();
            log.persist("h", &tp0, &offset(1, "h")).unwrap();
        }
        let log = OffsetLogFile::open(dir.path()).unwrap();
        let loaded = log.load().unwrap();
        let find = |group: &str, tp: &TopicPartition| {
            loaded
                .iter()
                .find(|r| r.group_id == group && &r.partition == tp)
                .map(|r| r.offset.clone())
        };
        assert_eq!(loaded.len(), 3);
        assert_eq!(find("g", &tp0), Some(offset(20, "b")));
        assert_eq!(find("g", &tp1), Some(offset(7, "")));
        assert_eq!(find("h", &tp0), Some(offset(1, "h")));
    }

    #[test]
    fn a_torn_last_record_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let tp = TopicPartition::new("orders", 0);
        {
            let log = OffsetLogFile::open(dir.path()).unwrap();
            log.persist("g", &tp, &offset(10, "")).unwrap();
            log.persist("g", &tp, &offset(11, "")).unwrap();
        }
        let path = dir.path().join(FILE_NAME);
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let loaded = OffsetLogFile::open(dir.path()).unwrap().load().unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].offset, offset(10, ""));
    }

    #[test]
    fn a_corrupt_record_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = 5u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 9, 1]);
        fs::write(dir.path().join(FILE_NAME), bytes).unwrap();
        let error = OffsetLogFile::open(dir.path()).unwrap_err();
        assert!(
            matches!(error, PersistenceError::Corrupt { position: 0, .. }),
            "{error}"
        );
    }
}
