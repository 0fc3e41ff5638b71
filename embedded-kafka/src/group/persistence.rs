//! Where offsets and group membership go to survive a broker restart: the
//! [`OffsetPersistence`] interface over [`OffsetEvent`]s (commits, offsets staged by
//! transactions, ends of transactions, group metadata), [`MemoryOnly`] (nothing
//! survives) and [`OffsetLogFile`] (an append-only file in the data directory).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use thiserror::Error;

use super::codec::{Reader, put_str};
use super::offsets::{CommittedOffset, GroupOffsets, TopicPartition};
use super::stored::StoredGroup;

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

/// A change to the offsets of a group, as persisted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetEvent {
    /// The group committed `offset` for `partition`.
    Committed {
        /// The group.
        group_id: String,
        /// The partition.
        partition: TopicPartition,
        /// The committed offset.
        offset: CommittedOffset,
    },
    /// The open transaction of `producer_id` staged `offset` (TxnOffsetCommit).
    Staged {
        /// The group.
        group_id: String,
        /// The transaction's producer.
        producer_id: i64,
        /// The partition.
        partition: TopicPartition,
        /// The staged offset.
        offset: CommittedOffset,
    },
    /// The transaction of `producer_id` ended: its staged offsets were committed or dropped.
    TransactionEnded {
        /// The group.
        group_id: String,
        /// The transaction's producer.
        producer_id: i64,
        /// Commit (true) or abort (false).
        committed: bool,
    },
    /// The membership of the group changed: a generation was assigned (after the
    /// leader's SyncGroup), members left or expired, or the group emptied. Kafka
    /// writes these as GroupMetadata records to `__consumer_offsets`.
    GroupMetadata {
        /// The group.
        group_id: String,
        /// The group's membership from now on.
        group: StoredGroup,
    },
}

impl OffsetEvent {
    /// The group the event belongs to.
    pub fn group_id(&self) -> &str {
        match self {
            OffsetEvent::Committed { group_id, .. }
            | OffsetEvent::Staged { group_id, .. }
            | OffsetEvent::TransactionEnded { group_id, .. }
            | OffsetEvent::GroupMetadata { group_id, .. } => group_id,
        }
    }

    /// Applies the event to the group's offsets (group metadata leaves them as they are).
    pub(crate) fn apply(self, offsets: &mut GroupOffsets) {
        match self {
            OffsetEvent::Committed {
                partition, offset, ..
            } => offsets.commit(partition, offset),
            OffsetEvent::Staged {
                producer_id,
                partition,
                offset,
                ..
            } => offsets.stage(producer_id, partition, offset),
            OffsetEvent::TransactionEnded {
                producer_id,
                committed,
                ..
            } => {
                offsets.complete_transaction(producer_id, committed);
            }
            OffsetEvent::GroupMetadata { .. } => {}
        }
    }
}

/// Durable storage of offset events. Called with the coordinator's lock held,
/// before the request is acknowledged.
pub trait OffsetPersistence: Send + Sync + fmt::Debug {
    /// Records `event`.
    fn append(&self, event: &OffsetEvent) -> Result<(), PersistenceError>;

    /// Every event recorded so far (possibly compacted), oldest first.
    fn load(&self) -> Result<Vec<OffsetEvent>, PersistenceError>;
}

/// Keeps nothing: offsets live only in the coordinator's memory.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryOnly;

impl OffsetPersistence for MemoryOnly {
    fn append(&self, _: &OffsetEvent) -> Result<(), PersistenceError> {
        Ok(())
    }

    fn load(&self) -> Result<Vec<OffsetEvent>, PersistenceError> {
        Ok(Vec::new())
    }
}

/// Offset events appended to `consumer-offsets.log` in a directory, one
/// length-prefixed record each. Opening compacts the file to the latest membership
/// of each group, the latest committed offset of each group partition and the
/// offsets of transactions still open (their end may come after the restart). Each record is written with one write call
/// before the commit is acknowledged, so a killed broker process loses no
/// acknowledged commit; a record cut short by a crash is dropped on open.
#[derive(Debug)]
pub struct OffsetLogFile {
    path: PathBuf,
    file: Mutex<File>,
    loaded: Vec<OffsetEvent>,
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
        let loaded = compact(decode_records(&path, &bytes)?);
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
    fn append(&self, event: &OffsetEvent) -> Result<(), PersistenceError> {
        let mut record = Vec::new();
        encode_record(&mut record, event);
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(&record)
            .map_err(|source| PersistenceError::Io {
                path: self.path.clone(),
                source,
            })
    }

    fn load(&self) -> Result<Vec<OffsetEvent>, PersistenceError> {
        Ok(self.loaded.clone())
    }
}

/// Replays `events` and writes the outcome back as the fewest events: per group,
/// its latest membership, then its committed offsets and the offsets of open
/// transactions, in write order.
fn compact(events: Vec<OffsetEvent>) -> Vec<OffsetEvent> {
    let mut groups: std::collections::BTreeMap<String, (Option<StoredGroup>, GroupOffsets)> =
        std::collections::BTreeMap::new();
    for event in events {
        let (membership, offsets) = groups.entry(event.group_id().to_string()).or_default();
        match event {
            OffsetEvent::GroupMetadata { group, .. } => *membership = Some(group),
            other => other.apply(offsets),
        }
    }
    let mut compacted = Vec::new();
    for (group_id, (membership, offsets)) in groups {
        if let Some(group) = membership {
            compacted.push(OffsetEvent::GroupMetadata {
                group_id: group_id.clone(),
                group,
            });
        }
        for (producer_id, partition, offset) in offsets.in_write_order() {
            let (group_id, partition, offset) =
                (group_id.clone(), partition.clone(), offset.clone());
            compacted.push(match producer_id {
                Some(producer_id) => OffsetEvent::Staged {
                    group_id,
                    producer_id,
                    partition,
                    offset,
                },
                None => OffsetEvent::Committed {
                    group_id,
                    partition,
                    offset,
                },
            });
        }
    }
    compacted
}

const COMMITTED: u8 = 0;
const STAGED: u8 = 1;
const TRANSACTION_ENDED: u8 = 2;
const GROUP_METADATA: u8 = 3;

fn put_offset(out: &mut Vec<u8>, partition: &TopicPartition, offset: &CommittedOffset) {
    put_str(out, &partition.topic);
    out.extend_from_slice(&partition.partition.to_be_bytes());
    out.extend_from_slice(&offset.offset.to_be_bytes());
    out.extend_from_slice(&offset.leader_epoch.to_be_bytes());
    put_str(out, &offset.metadata);
}

fn encode_record(out: &mut Vec<u8>, event: &OffsetEvent) {
    let mut payload = Vec::new();
    match event {
        OffsetEvent::Committed {
            group_id,
            partition,
            offset,
        } => {
            payload.push(COMMITTED);
            put_str(&mut payload, group_id);
            put_offset(&mut payload, partition, offset);
        }
        OffsetEvent::Staged {
            group_id,
            producer_id,
            partition,
            offset,
        } => {
            payload.push(STAGED);
            put_str(&mut payload, group_id);
            payload.extend_from_slice(&producer_id.to_be_bytes());
            put_offset(&mut payload, partition, offset);
        }
        OffsetEvent::TransactionEnded {
            group_id,
            producer_id,
            committed,
        } => {
            payload.push(TRANSACTION_ENDED);
            put_str(&mut payload, group_id);
            payload.extend_from_slice(&producer_id.to_be_bytes());
            payload.push(u8::from(*committed));
        }
        OffsetEvent::GroupMetadata { group_id, group } => {
            payload.push(GROUP_METADATA);
            put_str(&mut payload, group_id);
            group.encode(&mut payload);
        }
    }
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&payload);
}

impl Reader<'_> {
    fn offset(&mut self) -> Option<(TopicPartition, CommittedOffset)> {
        let topic = self.string()?;
        let partition = i32::from_be_bytes(self.take()?);
        let offset = i64::from_be_bytes(self.take()?);
        let leader_epoch = i32::from_be_bytes(self.take()?);
        let metadata = self.string()?;
        Some((
            TopicPartition::new(topic, partition),
            CommittedOffset {
                offset,
                leader_epoch,
                metadata,
            },
        ))
    }

    fn record(&mut self) -> Option<OffsetEvent> {
        let [kind] = self.take()?;
        let group_id = self.string()?;
        let event = match kind {
            COMMITTED => {
                let (partition, offset) = self.offset()?;
                OffsetEvent::Committed {
                    group_id,
                    partition,
                    offset,
                }
            }
            STAGED => {
                let producer_id = i64::from_be_bytes(self.take()?);
                let (partition, offset) = self.offset()?;
                OffsetEvent::Staged {
                    group_id,
                    producer_id,
                    partition,
                    offset,
                }
            }
            TRANSACTION_ENDED => {
                let producer_id = i64::from_be_bytes(self.take()?);
                let [committed] = self.take()?;
                OffsetEvent::TransactionEnded {
                    group_id,
                    producer_id,
                    committed: committed != 0,
                }
            }
            GROUP_METADATA => OffsetEvent::GroupMetadata {
                group_id,
                group: StoredGroup::decode(self)?,
            },
            _ => return None,
        };
        self.bytes.is_empty().then_some(event)
    }
}

fn decode_records(path: &Path, bytes: &[u8]) -> Result<Vec<OffsetEvent>, PersistenceError> {
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

    fn committed(group: &str, tp: &TopicPartition, at: i64, metadata: &str) -> OffsetEvent {
        OffsetEvent::Committed {
            group_id: group.to_string(),
            partition: tp.clone(),
            offset: offset(at, metadata),
        }
    }

    fn staged(group: &str, producer_id: i64, tp: &TopicPartition, at: i64) -> OffsetEvent {
        OffsetEvent::Staged {
            group_id: group.to_string(),
            producer_id,
            partition: tp.clone(),
            offset: offset(at, ""),
        }
    }

    fn ended(group: &str, producer_id: i64, committed: bool) -> OffsetEvent {
        OffsetEvent::TransactionEnded {
            group_id: group.to_string(),
            producer_id,
            committed,
        }
    }

    #[test]
    fn reopening_keeps_the_latest_commits_and_the_open_transactions() {
        let dir = tempfile::tempdir().unwrap();
        let tp0 = TopicPartition::new("orders", 0);
        let tp1 = TopicPartition::new("orders", 1);
        {
            let log = OffsetLogFile::open(dir.path()).unwrap();
            assert!(log.load().unwrap().is_empty());
            for event in [
                committed("g", &tp0, 10, "a"),
                committed("g", &tp0, 20, "b"),
                staged("g", 7, &tp1, 30),
                ended("g", 7, true),
                staged("g", 8, &tp1, 40),
                ended("g", 8, false),
                staged("g", 9, &tp0, 50),
                committed("h", &tp0, 1, "h"),
            ] {
                log.append(&event).unwrap();
            }
        }
        let loaded = OffsetLogFile::open(dir.path()).unwrap().load().unwrap();
        assert_eq!(
            loaded,
            vec![
                committed("g", &tp0, 20, "b"),
                OffsetEvent::Committed {
                    group_id: "g".into(),
                    partition: tp1.clone(),
                    offset: offset(30, ""),
                },
                staged("g", 9, &tp0, 50),
                committed("h", &tp0, 1, "h"),
            ]
        );
    }

    #[test]
    fn a_torn_last_record_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let tp = TopicPartition::new("orders", 0);
        {
            let log = OffsetLogFile::open(dir.path()).unwrap();
            log.append(&committed("g", &tp, 10, "")).unwrap();
            log.append(&committed("g", &tp, 11, "")).unwrap();
        }
        let path = dir.path().join(FILE_NAME);
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let loaded = OffsetLogFile::open(dir.path()).unwrap().load().unwrap();
        assert_eq!(loaded, vec![committed("g", &tp, 10, "")]);
    }

    #[test]
    fn a_corrupt_record_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = 5u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[9, 0, 0, 0, 1]);
        fs::write(dir.path().join(FILE_NAME), bytes).unwrap();
        let error = OffsetLogFile::open(dir.path()).unwrap_err();
        assert!(
            matches!(error, PersistenceError::Corrupt { position: 0, .. }),
            "{error}"
        );
    }
}
