//! The error type shared by every state store in this crate.

use std::path::PathBuf;

/// Result alias used throughout `streams-state`.
pub type Result<T, E = StateStoreError> = std::result::Result<T, E>;

/// Everything that can go wrong in a state store.
///
/// Every variant names the store (or, for checkpoint files, the file) it concerns,
/// and the directory where one exists, so that an operator can tell which store
/// of which task failed without further context.
#[derive(Debug, thiserror::Error)]
pub enum StateStoreError {
    /// Opening the RocksDB instance backing a store failed.
    #[error("state store `{store}`: cannot open RocksDB at {}: {source}", path.display())]
    Open {
        /// Name of the store.
        store: String,
        /// Directory of the RocksDB instance.
        path: PathBuf,
        /// Cause reported by RocksDB.
        #[source]
        source: rocksdb::Error,
    },
    /// The RocksDB instance of a store is locked: another open store holds its
    /// `LOCK` file, in this process (a task not yet closed) or in another one
    /// sharing the state directory. Retrying once the holder closes succeeds.
    #[error("state store `{store}`: RocksDB at {} is locked by another open instance (this process or another); it can be opened once that one closes", path.display())]
    Locked {
        /// Name of the store.
        store: String,
        /// Directory of the RocksDB instance.
        path: PathBuf,
    },
    /// A RocksDB read, write, flush or iteration failed.
    #[error("state store `{store}`: RocksDB {operation} failed at {}: {source}", path.display())]
    RocksDb {
        /// Name of the store.
        store: String,
        /// Directory of the RocksDB instance.
        path: PathBuf,
        /// What the store was doing (`get`, `put`, `flush`, ...).
        operation: &'static str,
        /// Cause reported by RocksDB.
        #[source]
        source: rocksdb::Error,
    },
    /// A file-system operation on a store directory failed.
    #[error("state store `{store}`: I/O error at {}: {source}", path.display())]
    Io {
        /// Name of the store.
        store: String,
        /// File or directory the operation was about.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Stored bytes do not follow the store's binary layout (for example a
    /// window-store key shorter than its timestamp suffix).
    #[error("state store `{store}`: corrupt data: {detail}")]
    Corrupt {
        /// Name of the store.
        store: String,
        /// What was wrong with the data.
        detail: String,
    },
    /// A caller passed an argument the store cannot accept (for example a
    /// negative timestamp or a session that ends before it starts).
    #[error("state store `{store}`: invalid argument: {detail}")]
    InvalidArgument {
        /// Name of the store.
        store: String,
        /// What was wrong with the argument.
        detail: String,
    },
    /// The store was used after [`close`](crate::StateStore::close).
    #[error("state store `{store}` is closed")]
    Closed {
        /// Name of the store.
        store: String,
    },
    /// Reading or writing a checkpoint file failed at the I/O level.
    #[error("checkpoint file {}: I/O error: {source}", path.display())]
    CheckpointIo {
        /// Path of the checkpoint file.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint file exists but its contents cannot be parsed, or an entry
    /// cannot be written in the checkpoint format.
    #[error("checkpoint file {}: corrupt or invalid content: {detail}", path.display())]
    CorruptCheckpoint {
        /// Path of the checkpoint file.
        path: PathBuf,
        /// What was wrong, including the line number where it applies.
        detail: String,
    },
}

impl StateStoreError {
    pub(crate) fn corrupt(store: &str, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            store: store.to_owned(),
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid(store: &str, detail: impl Into<String>) -> Self {
        Self::InvalidArgument {
            store: store.to_owned(),
            detail: detail.into(),
        }
    }

    pub(crate) fn closed(store: &str) -> Self {
        Self::Closed {
            store: store.to_owned(),
        }
    }
}
