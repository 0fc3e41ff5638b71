//! Durability with a data directory: one append-only log file per partition (record
//! batches exactly as served, base offsets included), a log-start file, a metadata
//! file per topic and an append-only transaction-state journal, all replayed on start.

use crate::batch;
use crate::partition::PartitionLog;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// A topic as found on disk.
pub struct StoredTopic {
    /// Topic name.
    pub name: String,
    /// Topic configs.
    pub configs: BTreeMap<String, String>,
    /// Replayed partition logs, in partition order.
    pub partitions: Vec<PartitionLog>,
}

/// One partition's files.
#[derive(Debug)]
pub struct PartitionFile {
    log: File,
    log_path: PathBuf,
    start_path: PathBuf,
}

impl PartitionFile {
    fn open(dir: &Path, partition: i32) -> io::Result<Self> {
        let log_path = dir.join(format!("{partition}.log"));
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        Ok(Self {
            log,
            log_path,
            start_path: dir.join(format!("{partition}.start")),
        })
    }

    /// Appends a batch with its assigned base offset.
    pub fn append(&mut self, batch_bytes: &[u8], base_offset: i64) -> io::Result<()> {
        let mut framed = Vec::with_capacity(batch_bytes.len());
        framed.extend_from_slice(&base_offset.to_be_bytes());
        framed.extend_from_slice(&batch_bytes[8..]);
        self.log.write_all(&framed)
    }

    /// Records a new log start offset.
    pub fn set_log_start(&mut self, offset: i64) -> io::Result<()> {
        let temporary = self.start_path.with_extension("start.tmp");
        fs::write(&temporary, offset.to_string())?;
        fs::rename(&temporary, &self.start_path)
    }

    /// Deletes the partition's files.
    pub fn remove(self) {
        for path in [&self.log_path, &self.start_path] {
            if let Err(error) = fs::remove_file(path)
                && error.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!(%error, path = %path.display(), "cannot remove a partition file");
            }
        }
    }

    /// Replays the log file into a partition log, cutting off a torn final batch.
    fn replay(self) -> io::Result<PartitionLog> {
        let mut contents = Vec::new();
        File::open(&self.log_path)?.read_to_end(&mut contents)?;
        let contents = Bytes::from(contents);
        let log_start = match fs::read_to_string(&self.start_path) {
            Ok(text) => text.trim().parse::<i64>().unwrap_or(0),
            Err(error) if error.kind() == io::ErrorKind::NotFound => 0,
            Err(error) => return Err(error),
        };
        let mut batches = Vec::new();
        let mut at = 0;
        while let Some(length) = batch::batch_len(&contents[at..]) {
            if at + length > contents.len() {
                break;
            }
            let bytes = contents.slice(at..at + length);
            let base = i64::from_be_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
            batches.push((batch::parse_header(&bytes), bytes, base));
            at += length;
        }
        if at < contents.len() {
            tracing::warn!(path = %self.log_path.display(), bytes = contents.len() - at, "dropping a torn batch at the end of a log");
            let file = OpenOptions::new().write(true).open(&self.log_path)?;
            file.set_len(at as u64)?;
        }
        let mut partition = PartitionLog::new(None);
        for (header, bytes, base) in batches {
            partition.index(&header, bytes, base);
        }
        partition.apply_log_start(log_start);
        partition.attach_file(self);
        Ok(partition)
    }
}

/// The data directory.
#[derive(Debug, Clone)]
pub struct Storage {
    root: PathBuf,
}

const META_FILE: &str = "meta";
const PRODUCER_IDS_FILE: &str = "producer-ids";
const TRANSACTIONS_FILE: &str = "transactions.log";

impl Storage {
    /// Opens (creating) the data directory.
    pub fn open(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root.join("topics"))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn topic_dir(&self, name: &str) -> PathBuf {
        self.root.join("topics").join(name)
    }

    /// Writes a topic's metadata and opens files for partitions `from..to`.
    pub fn write_topic(
        &self,
        name: &str,
        partitions: i32,
        configs: &BTreeMap<String, String>,
        from: i32,
    ) -> io::Result<Vec<PartitionFile>> {
        let dir = self.topic_dir(name);
        fs::create_dir_all(&dir)?;
        let mut meta = format!("{partitions}\n");
        for (key, value) in configs {
            meta.push_str(&format!("{key}={value}\n"));
        }
        let temporary = dir.join("meta.tmp");
        fs::write(&temporary, meta)?;
        fs::rename(&temporary, dir.join(META_FILE))?;
        (from..partitions)
            .map(|p| PartitionFile::open(&dir, p))
            .collect()
    }

    /// Deletes a topic's directory.
    pub fn delete_topic(&self, name: &str) -> io::Result<()> {
        match fs::remove_dir_all(self.topic_dir(name)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }

    /// Replays every topic in the data directory.
    pub fn load_topics(&self) -> io::Result<Vec<StoredTopic>> {
        let mut topics = Vec::new();
        for entry in fs::read_dir(self.root.join("topics"))? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let meta = match fs::read_to_string(entry.path().join(META_FILE)) {
                Ok(meta) => meta,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            let mut lines = meta.lines();
            let partitions: i32 = lines
                .next()
                .and_then(|l| l.parse().ok())
                .ok_or_else(|| io::Error::other(format!("bad metadata for topic {name}")))?;
            let configs = lines
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let partitions = (0..partitions)
                .map(|p| PartitionFile::open(&entry.path(), p)?.replay())
                .collect::<io::Result<Vec<_>>>()?;
            topics.push(StoredTopic {
                name,
                configs,
                partitions,
            });
        }
        Ok(topics)
    }

    /// The producer id below which every id may have been handed out.
    pub fn reserved_producer_ids(&self) -> io::Result<i64> {
        match fs::read_to_string(self.root.join(PRODUCER_IDS_FILE)) {
            Ok(text) => Ok(text.trim().parse().unwrap_or(0)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(error) => Err(error),
        }
    }

    /// Records that producer ids below `limit` may be handed out.
    pub fn reserve_producer_ids(&self, limit: i64) -> io::Result<()> {
        let temporary = self.root.join("producer-ids.tmp");
        fs::write(&temporary, limit.to_string())?;
        fs::rename(&temporary, self.root.join(PRODUCER_IDS_FILE))
    }

    /// Appends one line to the transaction-state journal.
    pub fn append_transaction_record(&self, line: &str) -> io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join(TRANSACTIONS_FILE))?;
        file.write_all(format!("{line}\n").as_bytes())
    }

    /// Every complete line of the transaction-state journal, oldest first. A last
    /// line cut short by a crash (no newline) was never acknowledged: it is dropped.
    pub fn transaction_records(&self) -> io::Result<Vec<String>> {
        let mut file = match File::open(self.root.join(TRANSACTIONS_FILE)) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let complete = bytes
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |end| end + 1);
        if complete < bytes.len() {
            tracing::warn!(
                bytes = bytes.len() - complete,
                "dropping a torn line at the end of the transaction journal"
            );
        }
        Ok(String::from_utf8_lossy(&bytes[..complete])
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// Replaces the transaction-state journal with `lines` (atomically).
    pub fn rewrite_transaction_records(&self, lines: &[&String]) -> io::Result<()> {
        let temporary = self.root.join("transactions.log.tmp");
        let mut text = String::new();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        fs::write(&temporary, text)?;
        fs::rename(&temporary, self.root.join(TRANSACTIONS_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{Marker, control_batch, parse_header};

    #[test]
    fn replay_restores_offsets_and_cuts_a_torn_final_batch() {
        let dir = tempfile::tempdir().expect("dir");
        let storage = Storage::open(dir.path()).expect("storage");
        let configs = BTreeMap::from([("retention.ms".to_owned(), "5".to_owned())]);
        let files = storage.write_topic("t", 1, &configs, 0).expect("topic");
        let mut log = PartitionLog::new(files.into_iter().next());
        for _ in 0..2 {
            let bytes = control_batch(Marker::Commit, 3, 0, 0, 10);
            let mut header = parse_header(&bytes);
            header.control = false;
            header.transactional = false;
            header.producer_id = -1;
            log.append(&header, bytes).expect("append");
        }
        let log_path = dir.path().join("topics").join("t").join("0.log");
        let intact = fs::metadata(&log_path).expect("log").len();
        OpenOptions::new()
            .append(true)
            .open(&log_path)
            .expect("open")
            .write_all(&[0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 1])
            .expect("torn write");

        let topics = storage.load_topics().expect("replay");
        assert_eq!(topics.len(), 1);
        assert_eq!(topics[0].configs, configs);
        assert_eq!(topics[0].partitions[0].watermarks().high, 2);
        assert_eq!(fs::metadata(&log_path).expect("log").len(), intact);
    }
}
