//! State stores for rstreams: the byte-level storage layer under the typed stores
//! of the runtime.
//!
//! The crate knows nothing about Kafka clients or serdes. It provides
//!
//! * store traits over raw bytes: [`StateStore`], [`KeyValueStore`],
//!   [`WindowStore`], [`SessionStore`] and [`VersionedKeyValueStore`] (every
//!   version of a key for a history retention, KIP-889);
//! * RocksDB-backed and in-memory implementations of each, the window and session
//!   stores segmented by time so that expired data is dropped a segment at a time;
//! * transactions in every store: writes since the last
//!   [`commit`](StateStore::commit) are held in memory (visible to reads) and
//!   committed with their changelog offset in one atomic write, so a store
//!   reopened after a crash is at its last commit and knows which changelog
//!   offset that was ([`TransactionalKeyValueStore`]);
//! * [`RocksDbShared`]: one block cache and write buffer manager bounding the
//!   memory of all RocksDB stores of an instance, and a per-store options hook;
//! * wrapping layers as in Kafka Streams, each one generic shape for all store
//!   kinds: [`Caching`] (deduplicating writes through a per-thread byte budget,
//!   [`ThreadCache`]; [`CachingKeyValueStore`] and its window and session
//!   siblings) and [`ChangeLogging`], mirroring every write to a
//!   [`ChangelogSink`];
//! * [`InMemoryTimeOrderedBuffer`], the logged, time-ordered buffer behind
//!   suppression;
//! * restoration from changelog records (`restore_batch`, then `commit` with the
//!   last record's offset) and the [`OffsetCheckpoint`] file with which earlier
//!   releases recorded how far the changelogs were applied.
//!
//! # Layering
//!
//! As in Kafka Streams, a store is a stack of layers, outermost first: the
//! runtime's typed ("metered") facade, caching, change-logging, then the
//! RocksDB or in-memory store. A cache flush therefore writes down through the
//! change-logging layer, so only deduplicated updates reach the changelog.
//! Restoration goes the other way: changelog records are fed to the outermost
//! byte store's `restore_batch`, which every layer passes down unlogged.
//!
//! ```
//! use std::rc::Rc;
//! use streams_state::{CachingKeyValueStore, ChangeLoggingKeyValueStore, KeyValueStore,
//!     RecordingChangelogSink, RocksDbKeyValueStore, RocksDbOptions, StateStore, ThreadCache};
//!
//! let dir = tempfile::tempdir()?;
//! let changelog = Rc::new(RecordingChangelogSink::default());
//! let thread_cache = ThreadCache::new(10 * 1024 * 1024);
//! let rocksdb = RocksDbKeyValueStore::open("counts", dir.path(), &RocksDbOptions::default())?;
//! let logged = ChangeLoggingKeyValueStore::new(Box::new(rocksdb), changelog.clone());
//! let mut store: Box<dyn KeyValueStore> =
//!     Box::new(CachingKeyValueStore::new(Box::new(logged), thread_cache));
//!
//! store.put(b"word", b"1")?;
//! store.put(b"word", b"2")?;
//! store.flush()?; // one changelog record, not two
//! assert_eq!(changelog.records().len(), 1);
//! store.commit(Some(0))?; // durable, with the offset of that changelog record
//! store.close()?;
//!
//! // Restoring a fresh store from the changelog.
//! let mut restored = RocksDbKeyValueStore::open("counts", &dir.path().join("replica"),
//!     &RocksDbOptions::default())?;
//! let records: Vec<_> = changelog.take().into_iter().map(|r| (r.key, r.value)).collect();
//! restored.restore_batch(&records)?;
//! restored.commit(Some(0))?;
//! assert_eq!(restored.get(b"word")?, Some(b"2".to_vec()));
//! assert_eq!(restored.committed_offset()?, Some(0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod caching;
mod caching_key_value;
mod caching_session;
mod caching_window;
mod change_logging;
mod change_logging_key_value;
mod change_logging_session;
mod change_logging_versioned;
mod change_logging_window;
mod changelog;
mod checkpoint;
mod error;
mod in_memory_key_value;
mod key_value;
mod merge_iter;
mod rocksdb_key_value;
mod rocksdb_options;
mod segmented_session_store;
mod segmented_window_store;
mod segments;
mod session;
pub mod session_key;
mod store;
mod store_cache;
mod store_statistics;
mod thread_cache;
mod time_ordered_buffer;
mod transactional_key_value;
mod uncommitted;
pub mod versioned_changelog;
mod versioned_key_value;
mod versioned_layout;
mod versioned_store;
mod window;
pub mod window_key;

pub use caching::{Caching, CachingKind};
pub use caching_key_value::{CachingKeyValueStore, FlushListener};
pub use caching_session::{CachingSessionStore, SessionFlushListener};
pub use caching_window::{CachingWindowStore, WindowFlushListener};
pub use change_logging::ChangeLogging;
pub use change_logging_key_value::ChangeLoggingKeyValueStore;
pub use change_logging_session::ChangeLoggingSessionStore;
pub use change_logging_versioned::ChangeLoggingVersionedStore;
pub use change_logging_window::ChangeLoggingWindowStore;
pub use changelog::{ChangelogRecord, ChangelogSink, RecordingChangelogSink};
pub use checkpoint::{CHECKPOINT_VERSION, OffsetCheckpoint, TopicPartition};
pub use error::{Result, StateStoreError};
pub use in_memory_key_value::{InMemoryKeyValueStore, InMemoryKeyValues};
pub use key_value::{KeyValue, KeyValueIter, KeyValueStore, KeyValueUpdate};
/// The rocksdb crate this one is built on, for [`RocksDbConfigSetter`]s.
pub use rocksdb;
pub use rocksdb_key_value::{RocksDbKeyValueStore, RocksDbKeyValues};
pub use rocksdb_options::{RocksDbConfigSetter, RocksDbOptions, RocksDbShared};
pub use segmented_session_store::SegmentedSessionStore;
pub use segmented_window_store::SegmentedWindowStore;
pub use session::{SessionEntry, SessionIter, SessionStore};
pub use store::StateStore;
pub use store_statistics::{CacheStatistics, RocksDbSizes, StoreStatistics};
pub use thread_cache::{ENTRY_OVERHEAD_BYTES, ThreadCache};
pub use time_ordered_buffer::{BufferedEntry, InMemoryTimeOrderedBuffer};
pub use transactional_key_value::{CommittedKeyValues, TransactionalKeyValueStore};
pub use versioned_key_value::{PutOutcome, VersionedKeyValueStore, VersionedValue};
pub use versioned_store::VersionedStore;
pub use window::{WindowIter, WindowStore, WindowedEntry, WindowedIter};
