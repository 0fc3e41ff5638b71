//! `map_values_with_retry_topics`: the retry-topic pattern for a call to an
//! external service whose retries must not hold the input partition. A failed
//! call sends the source record (its key and value bytes, timestamp and
//! headers) to the next retry topic of a [`RetryTopics`] and the input goes on
//! at once; each retry topic is read by the same topology, which makes the
//! next attempt once the record's delay has passed and continues downstream on
//! success. After the last retry topic the record goes to the dead-letter topic
//! with the dead-letter headers.
//!
//! The wait: a retry-topic record that is not due yet is held in its task with
//! [`hold_input_partition`](streams_core::processor::ProcessorContext::hold_input_partition)
//! until a wall-clock punctuation at its not-before time. That stops only its
//! own retry partition (the records behind it in that topic are due no sooner,
//! as every record there waits the same delay); the input and the other retry
//! topics go on, and commits of the retry partition stop before the held
//! record, so a restart reads it again.

use crate::retry_topics::{RetryTopicHeaders, RetryTopics};
use crate::{Data, KStream};
use std::sync::Arc;
use std::time::Duration;
use streams_core::error::ProcessError;
use streams_core::handler::{DeadLetterHeaders, ErrorContext, ErrorStage, with_error_headers};
use streams_core::processor::{
    FixedKeyContext, FixedKeyProcessor, FixedKeyRecord, PunctuationType, PunctuatorId,
};
use streams_core::record::{ConsumedRecord, Headers, ProducedRecord, RecordMetadata};

/// The `__streams.errors.exception` value of a failed call.
const EXCEPTION: &str = "ProcessingError";

impl<K: Data, V: Data> KStream<K, V> {
    /// Replaces each value by `call(&key, &value)`; a failed call sends the
    /// source record to the next of `topics`' retry topics, which this topology
    /// reads to try again after that topic's delay, and after the last one to
    /// its dead-letter topic.
    ///
    /// Apply it to a stream read from a topic, before any step that changes the
    /// key or value: the retry topics carry the source record's bytes and are
    /// read with this stream's serdes. A retried record reaches downstream after
    /// records of its key that came later (see the README's operability section).
    ///
    /// ```
    /// use std::time::Duration;
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// builder
    ///     .stream::<String, String>("orders", Consumed::default())
    ///     .map_values_with_retry_topics(
    ///         RetryTopics::new("pricing", [Duration::from_secs(1), Duration::from_secs(60)], "pricing-dlq"),
    ///         |_order, body| -> Result<String, ProcessError> { Ok(format!("priced {body}")) },
    ///     )
    ///     .to("priced-orders", Produced::default());
    /// # builder.build().unwrap();
    /// ```
    pub fn map_values_with_retry_topics<V2: Data, E, F>(
        &self,
        topics: RetryTopics,
        call: F,
    ) -> KStream<K, V2>
    where
        E: Into<ProcessError>,
        F: Fn(&K, &V) -> Result<V2, E> + Send + Sync + 'static,
    {
        let call = Arc::new(call);
        let topics = Arc::new(topics);
        let step = |input: &KStream<K, V>, level: Option<usize>| {
            let (call, topics) = (call.clone(), topics.clone());
            input.process_values(
                move || RetryTopicsStep {
                    call: call.clone(),
                    topics: topics.clone(),
                    level,
                    waiting: None,
                },
                &[],
            )
        };
        (0..topics.levels()).fold(step(self, None), |merged, level| {
            merged.merge(&step(
                &self.stream_of_topic(&topics.topic(level)),
                Some(level),
            ))
        })
    }
}

/// The call at one place: the input (`level` `None`) or retry topic `level`.
struct RetryTopicsStep<K, V, F> {
    call: Arc<F>,
    topics: Arc<RetryTopics>,
    level: Option<usize>,
    /// The held retry-topic record waiting for its not-before time, with the
    /// punctuator that ends the wait.
    waiting: Option<(FixedKeyRecord<K, V>, PunctuatorId)>,
}

/// A failed call, as the error of the dead-letter headers.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct CallFailed(String);

impl<K, V, V2, E, F> RetryTopicsStep<K, V, F>
where
    K: Clone,
    V: Clone,
    V2: Clone,
    E: Into<ProcessError>,
    F: Fn(&K, &V) -> Result<V2, E>,
{
    /// Calls; forwards on success, passes the source record on otherwise.
    fn attempt(
        &mut self,
        record: FixedKeyRecord<K, V>,
        ctx: &mut FixedKeyContext<'_, '_, K, V2>,
    ) -> Result<(), ProcessError> {
        match (self.call)(record.key(), record.value()) {
            Ok(value) if self.level.is_some() => {
                let headers = without_added_headers(record.headers());
                ctx.forward(record.with_headers(headers).with_value(value))
            }
            Ok(value) => ctx.forward(record.with_value(value)),
            Err(error) => self.pass_on(&error.into().to_string(), ctx),
        }
    }

    /// Sends the source record to the next retry topic, or after the last to
    /// the dead-letter topic.
    fn pass_on(
        &self,
        error: &str,
        ctx: &mut FixedKeyContext<'_, '_, K, V2>,
    ) -> Result<(), ProcessError> {
        let source = ctx.source_record().ok_or_else(|| {
            ProcessError::msg("map_values_with_retry_topics needs a source record to pass on")
        })?;
        let (headers, origin) = match self.level {
            None => (source.headers.clone(), source.metadata.clone()),
            Some(_) => original_headers_and_origin(source)?,
        };
        let attempts = self.level.map_or(1, |level| level + 2);
        let next = self.level.map_or(0, |level| level + 1);
        let record = match self.topics.delay(next) {
            Some(delay) => {
                let not_before = ctx
                    .wall_clock_time()
                    .saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
                tracing::debug!(task = %ctx.task_id(), attempts, %origin, error, topic = %self.topics.topic(next), "a call failed; passing the record to a retry topic");
                let mut headers = headers;
                headers
                    .add(RetryTopicHeaders::ATTEMPTS, Some(decimal(attempts)))
                    .add(RetryTopicHeaders::NOT_BEFORE, Some(decimal(not_before)))
                    .add(DeadLetterHeaders::EXCEPTION, Some(EXCEPTION.into()))
                    .add(DeadLetterHeaders::MESSAGE, Some(error.into()))
                    .add(
                        DeadLetterHeaders::TOPIC,
                        Some(origin.topic.as_bytes().to_vec()),
                    )
                    .add(
                        DeadLetterHeaders::PARTITION,
                        Some(decimal(origin.partition)),
                    )
                    .add(DeadLetterHeaders::OFFSET, Some(decimal(origin.offset)));
                ProducedRecord {
                    topic: self.topics.topic(next).into(),
                    partition: Some(source.metadata.partition),
                    key: source.key.clone(),
                    value: source.value.clone(),
                    timestamp: source.timestamp,
                    headers,
                }
            }
            None => {
                let topic = self.topics.dead_letter_topic();
                tracing::warn!(task = %ctx.task_id(), attempts, %origin, error, dead_letter_topic = topic, "a call failed at its last retry topic; sending the record to the dead-letter topic");
                let failed = CallFailed(error.to_string());
                let failure = ErrorContext {
                    stage: ErrorStage::Processing,
                    task_id: ctx.task_id(),
                    node: None,
                    source: Some(&origin),
                    exception: EXCEPTION,
                    error: &failed,
                };
                let mut headers =
                    with_error_headers(headers, Some(&origin), &failure, ctx.application_id());
                headers.add(RetryTopicHeaders::ATTEMPTS, Some(decimal(attempts)));
                ProducedRecord {
                    topic: topic.into(),
                    partition: None,
                    key: source.key.clone(),
                    value: source.value.clone(),
                    timestamp: source.timestamp,
                    headers,
                }
            }
        };
        let dead_lettered = self.topics.delay(next).is_none();
        ctx.send_serialized(record)?;
        if dead_lettered {
            ctx.record_dead_lettered();
        }
        Ok(())
    }
}

impl<K, V, V2, E, F> FixedKeyProcessor<K, V, V2> for RetryTopicsStep<K, V, F>
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
        if self.level.is_none() {
            return self.attempt(record, ctx);
        }
        let source = ctx.source_record().ok_or_else(|| {
            ProcessError::msg("map_values_with_retry_topics needs a source record in a retry topic")
        })?;
        let not_before: i64 = parsed_header(source, RetryTopicHeaders::NOT_BEFORE)?;
        let wait = not_before.saturating_sub(ctx.wall_clock_time());
        if wait <= 0 {
            return self.attempt(record, ctx);
        }
        ctx.hold_input_partition()?;
        let punctuator = ctx.schedule(
            Duration::from_millis(wait.unsigned_abs()),
            PunctuationType::WallClockTime,
        );
        self.waiting = Some((record, punctuator));
        Ok(())
    }

    fn punctuate(
        &mut self,
        punctuator: PunctuatorId,
        _timestamp: i64,
        ctx: &mut FixedKeyContext<'_, '_, K, V2>,
    ) -> Result<(), ProcessError> {
        match self.waiting.take() {
            Some((record, waited_on)) if waited_on == punctuator => {
                ctx.cancel(punctuator);
                self.attempt(record, ctx)
            }
            other => {
                // Only waits schedule punctuators here: this one belongs to a
                // wait that is over (its task was suspended and reads the record
                // anew), so it is not needed any more; a record still waiting
                // was handed to this punctuation and stays held.
                ctx.cancel(punctuator);
                let still_waiting = other.is_some();
                self.waiting = other;
                if still_waiting {
                    ctx.hold_input_partition()?;
                }
                Ok(())
            }
        }
    }
}

/// A retry-topic record's headers without the ones this pattern added, and
/// where the record was first read.
fn original_headers_and_origin(
    source: &ConsumedRecord,
) -> Result<(Headers, RecordMetadata), ProcessError> {
    let topic = std::str::from_utf8(header(source, DeadLetterHeaders::TOPIC)?)
        .map_err(|e| ProcessError::msg(format!("header {}: {e}", DeadLetterHeaders::TOPIC)))?;
    let origin = RecordMetadata {
        topic: topic.into(),
        partition: parsed_header(source, DeadLetterHeaders::PARTITION)?,
        offset: parsed_header(source, DeadLetterHeaders::OFFSET)?,
    };
    Ok((without_added_headers(&source.headers), origin))
}

/// A retry-topic record's headers without the ones this pattern added: the
/// source record's own (a success downstream of a retry topic sees them as a
/// first-try success would).
fn without_added_headers(headers: &Headers) -> Headers {
    let mut headers = headers.clone();
    for added in [
        RetryTopicHeaders::ATTEMPTS,
        RetryTopicHeaders::NOT_BEFORE,
        DeadLetterHeaders::EXCEPTION,
        DeadLetterHeaders::MESSAGE,
        DeadLetterHeaders::TOPIC,
        DeadLetterHeaders::PARTITION,
        DeadLetterHeaders::OFFSET,
    ] {
        headers.remove(added);
    }
    headers
}

/// The value of header `name` of a retry-topic record.
fn header<'r>(source: &'r ConsumedRecord, name: &str) -> Result<&'r [u8], ProcessError> {
    source.headers.last_value(name).ok_or_else(|| {
        ProcessError::msg(format!(
            "record {} of a retry topic has no header {name}",
            source.metadata
        ))
    })
}

/// The decimal number in header `name` of a retry-topic record.
fn parsed_header<T: std::str::FromStr>(
    source: &ConsumedRecord,
    name: &str,
) -> Result<T, ProcessError> {
    std::str::from_utf8(header(source, name)?)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| {
            ProcessError::msg(format!(
                "record {} of a retry topic has no decimal number in header {name}",
                source.metadata
            ))
        })
}

/// A number as the decimal bytes of a header value.
fn decimal(number: impl ToString) -> Vec<u8> {
    number.to_string().into_bytes()
}
