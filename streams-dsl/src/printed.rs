//! `Printed`: where and how `KStream::print` writes a stream's records (Kafka
//! Streams' `Printed`): standard output or a file, one `[label]: key, value`
//! line per record.

use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::Arc;

/// Formats a record's key and value for one printed line.
pub(crate) type KeyValueMapper<K, V> = Arc<dyn Fn(&K, &V) -> String + Send + Sync>;

/// Where printed lines go.
#[derive(Debug, Clone)]
pub(crate) enum PrintTarget {
    /// The process's standard output.
    StdOut,
    /// A file, created (or truncated) when the topology is built.
    File(PathBuf),
}

/// How [`KStream::print`](crate::KStream::print) prints: each record becomes
/// the line `[label]: key, value` (the label defaults to the printing node's
/// name; key and value in their `Debug` form unless a mapper formats them).
///
/// ```
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// builder
///     .stream::<String, i64>("amounts", Consumed::default())
///     .print(Printed::to_sys_out().with_label("amounts").with_key_value_mapper(|k, v| format!("{k}={v}")));
/// ```
pub struct Printed<K, V> {
    pub(crate) target: PrintTarget,
    pub(crate) label: Option<String>,
    pub(crate) mapper: KeyValueMapper<K, V>,
}

impl<K: Debug, V: Debug> Printed<K, V> {
    /// Prints to standard output.
    pub fn to_sys_out() -> Self {
        Self::new(PrintTarget::StdOut)
    }

    /// Prints to the file at `path`, created or truncated when the topology
    /// is built (a file that cannot be opened fails the build). Every task
    /// of the instance writes to it; each line is flushed as written.
    pub fn to_file(path: impl Into<PathBuf>) -> Self {
        Self::new(PrintTarget::File(path.into()))
    }

    fn new(target: PrintTarget) -> Self {
        Self {
            target,
            label: None,
            mapper: Arc::new(|key, value| format!("{key:?}, {value:?}")),
        }
    }
}

impl<K, V> Printed<K, V> {
    /// The label in front of every line (instead of the node's name).
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Formats the key and value of each line (instead of `key, value`).
    pub fn with_key_value_mapper<F>(mut self, mapper: F) -> Self
    where
        F: Fn(&K, &V) -> String + Send + Sync + 'static,
    {
        self.mapper = Arc::new(mapper);
        self
    }
}
