//! Durability with a data directory: one append-only log file per partition (record
//! batches exactly as served, base offsets included), a log-start file, a metadata
//! file per topic and an append-only transaction-state journal, all replayed on start.

use crate::batch;
use crate::partition::PartitionLog;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
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

    /// Appends one line to the transaction-state journal.
    pub fn append_transaction_record(&self, line: &str) -> io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join(TRANSACTIONS_FILE))?;
        file.write_all(format!("{line}\n").as_bytes())
    }

    /// Every line of the transaction-state journal, oldest first.
    pub fn transaction_records(&self) -> io::Result<Vec<String>> {
        let mut file = match File::open(self.root.join(TRANSACTIONS_FILE)) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        file.seek(SeekFrom::Start(0))?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        Ok(text
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }
}
