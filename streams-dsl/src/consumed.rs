//! `Consumed`: how a source reads its topic (serdes, timestamp extractor and
//! node name).

use std::sync::Arc;
use streams_core::processor::{
    ExtractorInput, TimestampExtractionError, TimestampExtractor, TimestampExtractorRef,
};
use streams_core::serde::{Serde, SerdeRef};
use streams_core::topology::OffsetResetPolicy;

/// Serdes, a timestamp extractor and a name for a source.
/// `Consumed::default()` uses the builder's default serdes for the key and
/// value types and the records' own timestamps.
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
    pub(crate) timestamp_extractor: Option<TimestampExtractorRef<K, V>>,
    pub(crate) offset_reset: Option<OffsetResetPolicy>,
}

impl<K, V> Default for Consumed<K, V> {
    fn default() -> Self {
        Self {
            key_serde: None,
            value_serde: None,
            name: None,
            timestamp_extractor: None,
            offset_reset: None,
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

    /// Where the source starts a partition the application has no committed
    /// offset for (instead of the consumer's `auto.offset.reset`, by default
    /// `earliest`). Applies in the runtime; the TopologyTestDriver reads
    /// everything piped.
    pub fn with_offset_reset_policy(mut self, policy: OffsetResetPolicy) -> Self {
        self.offset_reset = Some(policy);
        self
    }

    /// Gives each record the timestamp `extractor` returns (for example the
    /// event time in its payload) instead of its own: the source's whole
    /// sub-topology then uses it (stream time, windows, output timestamps).
    /// A negative timestamp drops the record (logged and counted). Without an
    /// extractor a source behaves as
    /// [`LogAndSkipOnInvalidTimestamp`](streams_core::processor::LogAndSkipOnInvalidTimestamp)
    /// (Kafka Streams' default is `FailOnInvalidTimestamp`).
    ///
    /// A table source shows the extractor a tombstone with no value.
    pub fn with_timestamp_extractor(
        mut self,
        extractor: impl TimestampExtractor<K, V> + 'static,
    ) -> Self {
        self.timestamp_extractor = Some(Arc::new(extractor));
        self
    }
}

impl<K: 'static, V: 'static> Consumed<K, V> {
    /// The extractor as one for a table source, which reads `Option<V>`.
    pub(crate) fn table_extractor(&self) -> Option<TimestampExtractorRef<K, Option<V>>> {
        let inner = self.timestamp_extractor.clone()?;
        Some(Arc::new(TableSourceExtractor { inner }))
    }
}

/// A stream's extractor reading a table source's `Option<V>` values: a
/// tombstone reaches it without a value.
struct TableSourceExtractor<K, V> {
    inner: TimestampExtractorRef<K, V>,
}

impl<K, V> TimestampExtractor<K, Option<V>> for TableSourceExtractor<K, V> {
    fn extract(
        &self,
        record: &ExtractorInput<'_, K, Option<V>>,
        partition_time: i64,
    ) -> Result<i64, TimestampExtractionError> {
        let input = ExtractorInput {
            key: record.key,
            value: record.value.and_then(Option::as_ref),
            timestamp: record.timestamp,
            metadata: record.metadata,
            headers: record.headers,
        };
        self.inner.extract(&input, partition_time)
    }
}
