//! Suppression of table updates (`KTable::suppress`): updates wait in a buffer,
//! one per key, until stream time says they may go — when their window closes,
//! or when the time limit since a key's first buffered update has passed — or
//! until the buffer is full.

use crate::SuppressionBufferFull;
use crate::buffer_config::{BufferConfig, BufferFullStrategy};
use crate::suppressed::BufferTime;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Record};
use streams_core::state::SuppressionBuffer;

/// Buffers table updates and forwards each key's latest one when its buffer
/// time is `wait_ms` behind the stream time this processor has observed.
pub(crate) struct Suppress<K> {
    pub(crate) name: Arc<str>,
    pub(crate) store: Arc<str>,
    pub(crate) buffer_time: BufferTime<K>,
    pub(crate) wait_ms: i64,
    pub(crate) buffer: Arc<BufferConfig>,
    /// Deletes are dropped when forwarded (final results: nothing to retract).
    pub(crate) drop_tombstones: bool,
    /// The largest timestamp of the updates seen so far (Kafka Streams'
    /// observed stream time of the suppression).
    pub(crate) observed_stream_time: i64,
}

impl<K: Clone + 'static> Suppress<K> {
    /// Forwards the oldest buffered update; false when the buffer is empty.
    fn emit_oldest<V: Clone + 'static>(
        &self,
        ctx: &mut ProcessorContext<'_, K, Change<V>>,
    ) -> Result<bool, ProcessError> {
        let Some(record) = ctx
            .state_store::<SuppressionBuffer<K, V>>(&self.store)?
            .pop_oldest()?
        else {
            return Ok(false);
        };
        if record.value.new.is_none() && self.drop_tombstones {
            return Ok(true);
        }
        ctx.forward(record)?;
        Ok(true)
    }

    /// Emits what stream time has released, then deals with a full buffer.
    fn enforce_constraints<V: Clone + 'static>(
        &self,
        ctx: &mut ProcessorContext<'_, K, Change<V>>,
    ) -> Result<(), ProcessError> {
        let expiry = self.observed_stream_time.saturating_sub(self.wait_ms);
        while ctx
            .state_store::<SuppressionBuffer<K, V>>(&self.store)?
            .min_buffer_time()
            .is_some_and(|time| time <= expiry)
        {
            self.emit_oldest(ctx)?;
        }
        loop {
            let buffer = ctx.state_store::<SuppressionBuffer<K, V>>(&self.store)?;
            let (records, bytes) = (buffer.num_records(), buffer.size_bytes());
            if !self.buffer.is_exceeded_by(records, bytes) {
                return Ok(());
            }
            match self.buffer.when_full {
                BufferFullStrategy::EmitEarly => {
                    self.emit_oldest(ctx)?;
                }
                BufferFullStrategy::ShutDown => {
                    return Err(SuppressionBufferFull {
                        suppression: self.name.to_string(),
                        records,
                        max_records: self.buffer.max_records,
                        bytes,
                        max_bytes: self.buffer.max_bytes,
                    }
                    .into());
                }
            }
        }
    }
}

impl<K: Clone + 'static, V: Clone + 'static> Processor<K, Change<V>, K, Change<V>> for Suppress<K> {
    fn process(
        &mut self,
        record: Record<K, Change<V>>,
        ctx: &mut ProcessorContext<'_, K, Change<V>>,
    ) -> Result<(), ProcessError> {
        self.observed_stream_time = self.observed_stream_time.max(record.timestamp);
        let buffer_time = (self.buffer_time)(&record.key, record.timestamp);
        let buffered = ctx
            .state_store::<SuppressionBuffer<K, V>>(&self.store)?
            .put(buffer_time, &record)?;
        if !buffered {
            tracing::debug!(suppression = %self.name, "dropping a record with a null key");
            ctx.record_dropped();
            return Ok(());
        }
        self.enforce_constraints(ctx)
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_, K, Change<V>>) -> Result<(), ProcessError> {
        Ok(ctx
            .state_store::<SuppressionBuffer<K, V>>(&self.store)?
            .write_changelog()?)
    }
}
