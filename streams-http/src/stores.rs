//! Key-value stores registered for the interactive-query routes: keys come
//! from the path (parsed with `FromStr`), values go out as JSON.

use serde::Serialize;
use serde_json::{Value, json};
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;
use streams_core::runtime::KafkaStreams;

/// A key-value store the endpoint can query, typed as the topology
/// materializes it.
pub trait QueryableStore: Send + Sync {
    /// The store's name.
    fn name(&self) -> &str;
    /// The value of `key`, `Ok(None)` when absent; `Err` says why it cannot be read.
    fn get(&self, streams: &KafkaStreams, key: &str) -> Result<Option<Value>, QueryFailure>;
    /// Every entry this instance hosts.
    fn all(&self, streams: &KafkaStreams) -> Result<Value, QueryFailure>;
    /// The entries with `from <= key <= to`.
    fn range(&self, streams: &KafkaStreams, from: &str, to: &str) -> Result<Value, QueryFailure>;
}

/// Why a query failed: a bad key (400) or a store that cannot answer now (503).
#[derive(Debug)]
pub enum QueryFailure {
    /// The key does not parse as the store's key type.
    BadKey(String),
    /// The store cannot be read here now (restoring, not hosted, stopped...).
    Unavailable(String),
    /// No store of this name was registered with the endpoint.
    NotRegistered(String),
}

/// How a value is shown.
pub(crate) type Render<V> = Arc<dyn Fn(&V) -> Value + Send + Sync>;

pub(crate) struct TypedStore<K, V> {
    name: String,
    render: Render<V>,
    keys: PhantomData<fn() -> K>,
}

impl<K, V> TypedStore<K, V> {
    pub(crate) fn new(name: &str, render: Render<V>) -> Self {
        Self {
            name: name.to_string(),
            render,
            keys: PhantomData,
        }
    }

    fn entries(&self, entries: Vec<(K, V)>) -> Value
    where
        K: Serialize,
    {
        Value::Array(
            entries
                .into_iter()
                .map(|(key, value)| json!({ "key": key, "value": (self.render)(&value) }))
                .collect(),
        )
    }
}

fn parse_key<K: FromStr>(key: &str) -> Result<K, QueryFailure>
where
    K::Err: std::fmt::Display,
{
    key.parse()
        .map_err(|e| QueryFailure::BadKey(format!("the key '{key}' does not parse: {e}")))
}

fn unavailable(error: impl std::fmt::Display) -> QueryFailure {
    QueryFailure::Unavailable(error.to_string())
}

impl<K, V> QueryableStore for TypedStore<K, V>
where
    K: FromStr + Serialize + Clone + Send + 'static,
    K::Err: std::fmt::Display,
    V: Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn get(&self, streams: &KafkaStreams, key: &str) -> Result<Option<Value>, QueryFailure> {
        let key: K = parse_key(key)?;
        let value = streams
            .query_key_value::<K, V>(&self.name, &key)
            .map_err(unavailable)?;
        Ok(value.map(|v| (self.render)(&v)))
    }

    fn all(&self, streams: &KafkaStreams) -> Result<Value, QueryFailure> {
        streams
            .query_key_value_all::<K, V>(&self.name)
            .map(|found| self.entries(found))
            .map_err(unavailable)
    }

    fn range(&self, streams: &KafkaStreams, from: &str, to: &str) -> Result<Value, QueryFailure> {
        let (from, to): (K, K) = (parse_key(from)?, parse_key(to)?);
        streams
            .query_key_value_range::<K, V>(&self.name, &from, &to)
            .map(|found| self.entries(found))
            .map_err(unavailable)
    }
}
