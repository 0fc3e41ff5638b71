//! `RetryTopics`: the topics of the retry-topic pattern
//! ([`KStream::map_values_with_retry_topics`](crate::KStream::map_values_with_retry_topics)),
//! one per delay (`<name>-retry-0`, `<name>-retry-1`, ...) and a dead-letter
//! topic after the last, and the headers a record carries through them.

use std::time::Duration;

/// Where a record whose call failed goes next: retry topic `n` holds records
/// that failed `n + 1` times and waits `delays[n]` before the next attempt;
/// after the last level the record goes to the dead-letter topic.
///
/// The topics are user topics: create them before the application starts,
/// with as many partitions as the input (they are read in the input's tasks).
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::RetryTopics;
/// let topics = RetryTopics::new(
///     "pricing",
///     [Duration::from_secs(1), Duration::from_secs(10)],
///     "pricing-dlq",
/// );
/// assert_eq!(topics.topic(1), "pricing-retry-1");
/// assert_eq!(topics.delay(1), Some(Duration::from_secs(10)));
/// assert_eq!(topics.levels(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryTopics {
    name: String,
    delays: Vec<Duration>,
    dead_letter_topic: String,
}

impl RetryTopics {
    /// Retry topics `<name>-retry-<n>`, one per delay, then `dead_letter_topic`.
    pub fn new(
        name: impl Into<String>,
        delays: impl IntoIterator<Item = Duration>,
        dead_letter_topic: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            delays: delays.into_iter().collect(),
            dead_letter_topic: dead_letter_topic.into(),
        }
    }

    /// The name of retry topic `level`: `<name>-retry-<level>`.
    pub fn topic(&self, level: usize) -> String {
        format!("{}-retry-{level}", self.name)
    }

    /// How many retry topics there are.
    pub fn levels(&self) -> usize {
        self.delays.len()
    }

    /// How long a record waits in retry topic `level` before its next attempt.
    pub fn delay(&self, level: usize) -> Option<Duration> {
        self.delays.get(level).copied()
    }

    /// The topic for records whose last attempt failed.
    pub fn dead_letter_topic(&self) -> &str {
        &self.dead_letter_topic
    }
}

/// The headers of a record in a retry topic, after the source record's own.
/// Next to these it carries the error
/// ([`DeadLetterHeaders::EXCEPTION`](streams_core::handler::DeadLetterHeaders::EXCEPTION)
/// and `MESSAGE`) and where the record was first read (`TOPIC`, `PARTITION`,
/// `OFFSET`), under the dead-letter header names.
pub struct RetryTopicHeaders;

impl RetryTopicHeaders {
    /// The calls that failed so far, in decimal (1 in retry topic 0); on the
    /// dead-letter record, all of them.
    pub const ATTEMPTS: &'static str = "__streams.retry.attempts";
    /// The wall-clock time in milliseconds before which the next attempt is
    /// not made, in decimal.
    pub const NOT_BEFORE: &'static str = "__streams.retry.not.before";
}
