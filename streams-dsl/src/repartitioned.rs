//! `Repartitioned`: how `KStream::repartition` writes and reads its internal topic.

use std::sync::Arc;
use streams_core::serde::{Serde, SerdeRef};

/// Name and serdes of a repartition step. The internal topic is
/// `<application.id>-<name>-repartition`; the name defaults to a generated one.
pub struct Repartitioned<K, V> {
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) name: Option<String>,
}

impl<K, V> Default for Repartitioned<K, V> {
    fn default() -> Self {
        Self {
            key_serde: None,
            value_serde: None,
            name: None,
        }
    }
}

impl<K, V> Repartitioned<K, V> {
    /// Explicit key and value serdes.
    pub fn with(key_serde: impl Serde<K> + 'static, value_serde: impl Serde<V> + 'static) -> Self {
        Self {
            key_serde: Some(Arc::new(key_serde)),
            value_serde: Some(Arc::new(value_serde)),
            name: None,
        }
    }

    /// The name of the step; the topic is `<application.id>-<name>-repartition`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}
