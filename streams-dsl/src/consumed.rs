//! `Consumed`: how a source reads its topic (serdes and node name).

use std::sync::Arc;
use streams_core::serde::{Serde, SerdeRef};

/// Serdes and a name for a source. `Consumed::default()` uses the builder's
/// default serdes for the key and value types.
///
/// ```
/// use streams_dsl::prelude::*;
/// #[derive(serde::Serialize, serde::Deserialize, Clone)]
/// struct Order { id: u64 }
/// let consumed = Consumed::<String, Order>::with(StringSerde, JsonSerde::new()).named("orders-source");
/// ```
pub struct Consumed<K, V> {
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) name: Option<String>,
}

impl<K, V> Default for Consumed<K, V> {
    fn default() -> Self {
        Self {
            key_serde: None,
            value_serde: None,
            name: None,
        }
    }
}

impl<K, V> Consumed<K, V> {
    /// Explicit key and value serdes.
    pub fn with(key_serde: impl Serde<K> + 'static, value_serde: impl Serde<V> + 'static) -> Self {
        Self::default()
            .key_serde(key_serde)
            .value_serde(value_serde)
    }

    /// An explicit key serde.
    pub fn key_serde(mut self, serde: impl Serde<K> + 'static) -> Self {
        self.key_serde = Some(Arc::new(serde));
        self
    }

    /// An explicit value serde.
    pub fn value_serde(mut self, serde: impl Serde<V> + 'static) -> Self {
        self.value_serde = Some(Arc::new(serde));
        self
    }

    /// The source node's name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}
