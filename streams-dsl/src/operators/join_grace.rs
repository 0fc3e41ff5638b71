//! [`JoinGrace`]: the grace period of a stream-table join with a versioned
//! table (KIP-923). Stream records wait in a buffer until the join's observed
//! stream time is `grace` past their timestamp, then are joined in timestamp
//! order, so table updates that arrive a little after a stream record of the
//! same time are still seen. A record already older than that is joined at
//! once.

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::ProcessorContext;
use streams_core::record::Record;
use streams_core::state::JoinGraceBuffer;

/// The buffer store of one join task, and the stream time the join observed.
pub(crate) struct JoinGrace {
    pub(crate) buffer: Arc<str>,
    pub(crate) grace_ms: i64,
    /// The largest stream-record timestamp seen since the task opened.
    pub(crate) observed: Option<i64>,
}

impl JoinGrace {
    /// A grace period of `grace_ms` over the buffer store `buffer`.
    pub(crate) fn new(buffer: Arc<str>, grace_ms: i64) -> Self {
        Self {
            buffer,
            grace_ms,
            observed: None,
        }
    }

    /// Takes `record` in and returns the records to join now, in order: the
    /// record itself when it is already past the grace period (or its key is
    /// null, which the join handles at once), then every buffered record the
    /// grace period no longer holds.
    pub(crate) fn admit<K: 'static, V: 'static, KOut, VOut>(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
    ) -> Result<Vec<Record<K, V>>, ProcessError> {
        let observed = self
            .observed
            .map_or(record.timestamp, |time| time.max(record.timestamp));
        self.observed = Some(observed);
        let deadline = observed.saturating_sub(self.grace_ms);
        let buffer = ctx.state_store::<JoinGraceBuffer<K, V>>(&self.buffer)?;
        let mut ready = Vec::new();
        if record.timestamp < deadline || !buffer.put(&record)? {
            ready.push(record);
        }
        while let Some(due) = buffer.pop_due(deadline)? {
            ready.push(due);
        }
        Ok(ready)
    }

    /// Logs what changed in the buffer since the last commit.
    pub(crate) fn flush<K: 'static, V: 'static, KOut, VOut>(
        &self,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
    ) -> Result<(), ProcessError> {
        Ok(ctx
            .state_store::<JoinGraceBuffer<K, V>>(&self.buffer)?
            .write_changelog()?)
    }
}
