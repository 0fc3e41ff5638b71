//! [`OffsetCheckpoint`]: the file recording up to which changelog offset each
//! store's local state is complete.
//!
//! Format (text, one entry per line, as Kafka Streams' `.checkpoint` file):
//!
//! ```text
//! 0                       <- format version
//! 2                       <- number of entries
//! app-counts-changelog 0 1234
//! app-counts-changelog 1 99
//! ```

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::{Result, StateStoreError};

/// Version written on the first line of checkpoint files.
pub const CHECKPOINT_VERSION: u32 = 0;

/// A topic partition, the key of checkpointed offsets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition number.
    pub partition: i32,
}

impl TopicPartition {
    /// The partition `partition` of `topic`.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

/// A checkpoint file mapping changelog partitions to offsets, written
/// atomically.
///
/// ```
/// use std::collections::BTreeMap;
/// use streams_state::{OffsetCheckpoint, TopicPartition};
///
/// let dir = tempfile::tempdir()?;
/// let checkpoint = OffsetCheckpoint::new(dir.path().join(".checkpoint"));
/// assert!(checkpoint.read()?.is_empty());
/// let offsets = BTreeMap::from([(TopicPartition::new("app-store-changelog", 0), 42)]);
/// checkpoint.write(&offsets)?;
/// assert_eq!(checkpoint.read()?, offsets);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCheckpoint {
    path: PathBuf,
}

impl OffsetCheckpoint {
    /// A checkpoint stored at `path` (nothing is read or written yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Path of the checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_error(&self, path: &Path) -> impl FnOnce(std::io::Error) -> StateStoreError {
        let path = path.to_path_buf();
        move |source| StateStoreError::CheckpointIo { path, source }
    }

    fn corrupt(&self, detail: String) -> StateStoreError {
        StateStoreError::CorruptCheckpoint {
            path: self.path.clone(),
            detail,
        }
    }

    /// Replaces the file's contents with `offsets`: writes a temporary file,
    /// syncs it, renames it over the checkpoint and syncs the directory, so a
    /// crash leaves either the old or the new checkpoint.
    ///
    /// Topic names containing whitespace cannot be written (Kafka topic names
    /// never contain any) and are rejected.
    pub fn write(&self, offsets: &BTreeMap<TopicPartition, i64>) -> Result<()> {
        let mut content = format!("{CHECKPOINT_VERSION}\n{}\n", offsets.len());
        for (tp, offset) in offsets {
            if tp.topic.is_empty() || tp.topic.contains(char::is_whitespace) {
                return Err(self.corrupt(format!(
                    "cannot write topic name {:?}: empty or contains whitespace",
                    tp.topic
                )));
            }
            content.push_str(&format!("{} {} {offset}\n", tp.topic, tp.partition));
        }
        let mut tmp_name = self.path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(".tmp");
        let tmp = self.path.with_file_name(tmp_name);
        {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)
                .map_err(self.io_error(&tmp))?;
            file.write_all(content.as_bytes())
                .map_err(self.io_error(&tmp))?;
            file.sync_all().map_err(self.io_error(&tmp))?;
        }
        fs::rename(&tmp, &self.path).map_err(self.io_error(&self.path))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)
                .and_then(|dir| dir.sync_all())
                .map_err(self.io_error(dir))?;
        }
        tracing::debug!(path = %self.path.display(), entries = offsets.len(), "wrote checkpoint");
        Ok(())
    }

    /// Reads the checkpointed offsets; a missing file means no offsets.
    /// Anything unparsable is a [`StateStoreError::CorruptCheckpoint`] naming
    /// the file.
    pub fn read(&self) -> Result<BTreeMap<TopicPartition, i64>> {
        let content = match fs::read_to_string(&self.path) {
            Ok(content) => content,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(error) if error.kind() == ErrorKind::InvalidData => {
                return Err(self.corrupt("not valid UTF-8".into()));
            }
            Err(error) => return Err(self.io_error(&self.path)(error)),
        };
        let mut lines = content.lines().enumerate();
        let mut header = |what: &str| -> Result<u64> {
            let (n, line) = lines
                .next()
                .ok_or_else(|| self.corrupt(format!("missing {what} line")))?;
            line.trim()
                .parse()
                .map_err(|_| self.corrupt(format!("line {}: invalid {what} {line:?}", n + 1)))
        };
        let version = header("version")?;
        if version != u64::from(CHECKPOINT_VERSION) {
            return Err(self.corrupt(format!("unsupported version {version}")));
        }
        let expected = header("entry count")?;
        let mut offsets = BTreeMap::new();
        for (n, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let parsed = match fields.as_slice() {
                [topic, partition, offset] => partition
                    .parse::<i32>()
                    .ok()
                    .zip(offset.parse::<i64>().ok())
                    .map(|(partition, offset)| (TopicPartition::new(*topic, partition), offset)),
                _ => None,
            };
            let (tp, offset) = parsed.ok_or_else(|| {
                self.corrupt(format!(
                    "line {}: expected `topic partition offset`, got {line:?}",
                    n + 1
                ))
            })?;
            offsets.insert(tp, offset);
        }
        if offsets.len() as u64 != expected {
            return Err(self.corrupt(format!(
                "header announces {expected} entries, found {}",
                offsets.len()
            )));
        }
        Ok(offsets)
    }

    /// Deletes the checkpoint file, if it exists.
    pub fn delete(&self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(()),
            Err(error) => Err(self.io_error(&self.path)(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets() -> BTreeMap<TopicPartition, i64> {
        BTreeMap::from([
            (TopicPartition::new("app-a-changelog", 0), 10),
            (TopicPartition::new("app-a-changelog", 1), 0),
            (TopicPartition::new("app-b-changelog", 0), i64::MAX),
        ])
    }

    #[test]
    fn round_trips_and_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = OffsetCheckpoint::new(dir.path().join(".checkpoint"));
        checkpoint.write(&offsets()).unwrap();
        assert_eq!(checkpoint.read().unwrap(), offsets());
        let content = fs::read_to_string(checkpoint.path()).unwrap();
        assert!(content.starts_with("0\n3\n"), "{content}");

        let fewer = BTreeMap::from([(TopicPartition::new("t", 2), 5)]);
        checkpoint.write(&fewer).unwrap();
        assert_eq!(checkpoint.read().unwrap(), fewer);
        checkpoint.write(&BTreeMap::new()).unwrap();
        assert!(checkpoint.read().unwrap().is_empty());
        assert!(!dir.path().join(".checkpoint.tmp").exists());
    }

    #[test]
    fn missing_file_is_empty_and_delete_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = OffsetCheckpoint::new(dir.path().join(".checkpoint"));
        assert!(checkpoint.read().unwrap().is_empty());
        checkpoint.write(&offsets()).unwrap();
        checkpoint.delete().unwrap();
        checkpoint.delete().unwrap();
        assert!(checkpoint.read().unwrap().is_empty());
    }

    #[test]
    fn corrupt_files_are_typed_errors_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".checkpoint");
        let checkpoint = OffsetCheckpoint::new(&path);
        for content in [
            &b""[..],
            b"zero\n",
            b"7\n0\n",
            b"0\n1\n",
            b"0\n1\ntopic 0\n",
            b"0\n1\ntopic x 1\n",
            b"0\n1\ntopic 0 1 extra\n",
            b"0\n2\ntopic 0 1\n",
            b"\xff\xfe",
        ] {
            fs::write(&path, content).unwrap();
            match checkpoint.read() {
                Err(StateStoreError::CorruptCheckpoint { path: p, detail }) => {
                    assert_eq!(p, path, "{detail}");
                }
                other => panic!("{content:?} gave {other:?}"),
            }
        }
        let message = checkpoint.read().unwrap_err().to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
    }

    #[test]
    fn rejects_unwritable_topic_names_and_io_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = OffsetCheckpoint::new(dir.path().join(".checkpoint"));
        let bad = BTreeMap::from([(TopicPartition::new("has space", 0), 1)]);
        assert!(matches!(
            checkpoint.write(&bad),
            Err(StateStoreError::CorruptCheckpoint { .. })
        ));

        let missing = OffsetCheckpoint::new(dir.path().join("no-such-dir").join(".checkpoint"));
        match missing.write(&offsets()) {
            Err(StateStoreError::CheckpointIo { path, .. }) => {
                assert!(path.starts_with(dir.path().join("no-such-dir")));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
