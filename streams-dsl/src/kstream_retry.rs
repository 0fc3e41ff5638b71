//! `map_values_with_retry`: a value mapper that calls an external service and
//! is retried with exponential backoff and jitter ([`RetryPolicy`]) when it
//! fails, without sleeping the stream thread. The failing record is held in its
//! task (which takes no further records meanwhile, keeping the partition's order)
//! and retried by a wall-clock punctuation once its delay has passed; when the
//! attempts are used up, the last error goes to the processing handler with the
//! original record (fail, skip, or dead-letter topic).

use crate::{Data, KStream};
use std::sync::Arc;
use std::time::Duration;
use streams_core::error::ProcessError;
use streams_core::processor::{
    FixedKeyContext, FixedKeyProcessor, FixedKeyRecord, PunctuationType, PunctuatorId, RetryPolicy,
};

impl<K: Data, V: Data> KStream<K, V> {
    /// Replaces each value by `call(&key, &value)`, retrying a failed call as
    /// `policy` says; see [`RetryPolicy`] for the bound on the thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// builder
    ///     .stream::<String, String>("orders", Consumed::default())
    ///     .map_values_with_retry(
    ///         RetryPolicy::new(5, Duration::from_millis(100), Duration::from_secs(2)).with_jitter(0.2),
    ///         |_order, body| -> Result<String, ProcessError> { Ok(format!("priced {body}")) },
    ///     )
    ///     .to("priced-orders", Produced::default());
    /// # builder.build().unwrap();
    /// ```
    pub fn map_values_with_retry<V2: Data, E, F>(
        &self,
        policy: RetryPolicy,
        call: F,
    ) -> KStream<K, V2>
    where
        E: Into<ProcessError>,
        F: Fn(&K, &V) -> Result<V2, E> + Send + Sync + 'static,
    {
        let call = Arc::new(call);
        self.process_values(
            move || RetryingMapValues {
                call: call.clone(),
                policy,
                waiting: None,
            },
            &[],
        )
    }
}

/// A record waiting for its next attempt.
struct Waiting<K, V> {
    record: FixedKeyRecord<K, V>,
    /// Calls made so far.
    attempts: u32,
    punctuator: PunctuatorId,
}

struct RetryingMapValues<K, V, F> {
    call: Arc<F>,
    policy: RetryPolicy,
    waiting: Option<Waiting<K, V>>,
}

impl<K, V, V2, E, F> RetryingMapValues<K, V, F>
where
    K: Clone,
    V: Clone,
    V2: Clone,
    E: Into<ProcessError>,
    F: Fn(&K, &V) -> Result<V2, E>,
{
    /// Makes attempt `attempts + 1`; forwards on success, schedules the next
    /// attempt while the policy allows one, and otherwise returns the error.
    fn attempt(
        &mut self,
        record: FixedKeyRecord<K, V>,
        attempts: u32,
        ctx: &mut FixedKeyContext<'_, '_, K, V2>,
    ) -> Result<(), ProcessError> {
        let attempts = attempts + 1;
        match (self.call)(record.key(), record.value()) {
            Ok(value) => ctx.forward(record.with_value(value)),
            Err(error) if !self.policy.allows_retry_after(attempts) => Err(error.into()),
            Err(error) => {
                let seed = ctx
                    .record_metadata()
                    .map_or(0, |m| (m.offset as u64) ^ ((m.partition as u64) << 48));
                let delay = self.policy.delay_before(attempts + 1, seed);
                let error: ProcessError = error.into();
                tracing::debug!(task = %ctx.task_id(), attempts, ?delay, %error, "a call failed; retrying after a delay");
                ctx.hold_input()?;
                let punctuator = ctx.schedule(
                    delay.max(Duration::from_millis(1)),
                    PunctuationType::WallClockTime,
                );
                self.waiting = Some(Waiting {
                    record,
                    attempts,
                    punctuator,
                });
                Ok(())
            }
        }
    }
}

impl<K, V, V2, E, F> FixedKeyProcessor<K, V, V2> for RetryingMapValues<K, V, F>
where
    K: Clone,
    V: Clone,
    V2: Clone,
    E: Into<ProcessError>,
    F: Fn(&K, &V) -> Result<V2, E>,
{
    fn process(
        &mut self,
        record: FixedKeyRecord<K, V>,
        ctx: &mut FixedKeyContext<'_, '_, K, V2>,
    ) -> Result<(), ProcessError> {
        self.attempt(record, 0, ctx)
    }

    fn punctuate(
        &mut self,
        punctuator: PunctuatorId,
        _timestamp: i64,
        ctx: &mut FixedKeyContext<'_, '_, K, V2>,
    ) -> Result<(), ProcessError> {
        match self.waiting.take() {
            Some(waiting) if waiting.punctuator == punctuator => {
                ctx.cancel(punctuator);
                self.attempt(waiting.record, waiting.attempts, ctx)
            }
            other => {
                self.waiting = other;
                Ok(())
            }
        }
    }
}
