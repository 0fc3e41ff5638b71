//! Processors that may change values but never keys, so downstream operators know
//! the partitioning still holds (Kafka Streams' `FixedKeyProcessor`).

use super::{Processor, ProcessorContext, PunctuatorId};
use crate::error::ProcessError;
use crate::record::{Headers, Record};

/// A record whose key cannot be changed; a fixed-key processor can only forward
/// records derived from its input.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedKeyRecord<K, V>(Record<K, V>);

impl<K, V> FixedKeyRecord<K, V> {
    /// The key.
    pub fn key(&self) -> &K {
        &self.0.key
    }

    /// The value.
    pub fn value(&self) -> &V {
        &self.0.value
    }

    /// The timestamp.
    pub fn timestamp(&self) -> i64 {
        self.0.timestamp
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        &self.0.headers
    }

    /// The same record (same key) with another value.
    pub fn with_value<V2>(self, value: V2) -> FixedKeyRecord<K, V2> {
        FixedKeyRecord(self.0.with_value(value))
    }

    /// The same record with another timestamp.
    pub fn with_timestamp(self, timestamp: i64) -> Self {
        Self(self.0.with_timestamp(timestamp))
    }

    /// The same record with other headers.
    pub fn with_headers(self, headers: Headers) -> Self {
        Self(self.0.with_headers(headers))
    }
}

/// The context of a [`FixedKeyProcessor`]: like [`ProcessorContext`] but forwards
/// only [`FixedKeyRecord`]s.
pub struct FixedKeyContext<'c, 'a, K, V>(&'c mut ProcessorContext<'a, K, V>);

impl<K: Clone, V: Clone> FixedKeyContext<'_, '_, K, V> {
    /// Forwards to every child.
    pub fn forward(&mut self, record: FixedKeyRecord<K, V>) -> Result<(), ProcessError> {
        self.0.forward(record.0)
    }

    /// Forwards to the named child only.
    pub fn forward_to(
        &mut self,
        child: &str,
        record: FixedKeyRecord<K, V>,
    ) -> Result<(), ProcessError> {
        self.0.forward_to(child, record.0)
    }
}

impl<'a, K, V> std::ops::Deref for FixedKeyContext<'_, 'a, K, V> {
    type Target = ProcessorContext<'a, K, V>;
    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl<K, V> std::ops::DerefMut for FixedKeyContext<'_, '_, K, V> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0
    }
}

/// A processor that transforms values and keeps keys (`process_values` in the DSL).
///
/// ```
/// use streams_core::error::ProcessError;
/// use streams_core::processor::{FixedKeyContext, FixedKeyProcessor, FixedKeyRecord};
///
/// /// Replaces each value by its length.
/// struct Length;
///
/// impl FixedKeyProcessor<String, String, usize> for Length {
///     fn process(
///         &mut self,
///         record: FixedKeyRecord<String, String>,
///         ctx: &mut FixedKeyContext<'_, '_, String, usize>,
///     ) -> Result<(), ProcessError> {
///         let length = record.value().len();
///         ctx.forward(record.with_value(length))
///     }
/// }
/// ```
pub trait FixedKeyProcessor<K, VIn, VOut> {
    /// Called once before the first record.
    fn init(&mut self, ctx: &mut FixedKeyContext<'_, '_, K, VOut>) -> Result<(), ProcessError> {
        let _ = ctx;
        Ok(())
    }

    /// Processes one record.
    fn process(
        &mut self,
        record: FixedKeyRecord<K, VIn>,
        ctx: &mut FixedKeyContext<'_, '_, K, VOut>,
    ) -> Result<(), ProcessError>;

    /// Called when a punctuator this processor scheduled fires.
    fn punctuate(
        &mut self,
        punctuator: PunctuatorId,
        timestamp: i64,
        ctx: &mut FixedKeyContext<'_, '_, K, VOut>,
    ) -> Result<(), ProcessError> {
        let _ = (punctuator, timestamp, ctx);
        Ok(())
    }

    /// Called when the task commits, before its stores are flushed.
    fn flush(&mut self, ctx: &mut FixedKeyContext<'_, '_, K, VOut>) -> Result<(), ProcessError> {
        let _ = ctx;
        Ok(())
    }

    /// Called once when the task closes.
    fn close(&mut self) {}
}

/// Runs a [`FixedKeyProcessor`] as a [`Processor`] whose output key type is its input's.
pub struct FixedKeyAdapter<P>(pub P);

impl<K, VIn, VOut, P: FixedKeyProcessor<K, VIn, VOut>> Processor<K, VIn, K, VOut>
    for FixedKeyAdapter<P>
{
    fn init(&mut self, ctx: &mut ProcessorContext<'_, K, VOut>) -> Result<(), ProcessError> {
        self.0.init(&mut FixedKeyContext(ctx))
    }

    fn process(
        &mut self,
        record: Record<K, VIn>,
        ctx: &mut ProcessorContext<'_, K, VOut>,
    ) -> Result<(), ProcessError> {
        self.0
            .process(FixedKeyRecord(record), &mut FixedKeyContext(ctx))
    }

    fn punctuate(
        &mut self,
        punctuator: PunctuatorId,
        timestamp: i64,
        ctx: &mut ProcessorContext<'_, K, VOut>,
    ) -> Result<(), ProcessError> {
        self.0
            .punctuate(punctuator, timestamp, &mut FixedKeyContext(ctx))
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_, K, VOut>) -> Result<(), ProcessError> {
        self.0.flush(&mut FixedKeyContext(ctx))
    }

    fn close(&mut self) {
        self.0.close();
    }
}
