//! How much a suppression may buffer and what it does when the buffer is full:
//! Kafka Streams' `Suppressed.BufferConfig`.

use crate::store_options::ChangelogOptions;

/// What a full suppression buffer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BufferFullStrategy {
    /// Forward the oldest buffered updates early until the buffer is within its
    /// bounds again (only for [`Suppressed::until_time_limit`](crate::Suppressed::until_time_limit)).
    EmitEarly,
    /// Fail the task with [`SuppressionBufferFull`](crate::SuppressionBufferFull).
    ShutDown,
}

/// The bounds of a suppression buffer: at most `max_records` buffered keys and
/// `max_bytes` buffered bytes (each unbounded if unset), and what happens when a
/// new update goes beyond them.
///
/// `BufferConfig::max_records(n)` and `max_bytes(n)` emit early when full, as
/// Kafka Streams' do; `shut_down_when_full()` turns a config into a
/// [`StrictBufferConfig`], the only kind
/// [`Suppressed::until_window_closes`](crate::Suppressed::until_window_closes)
/// accepts, since emitting early would break its promise of final results.
///
/// ```
/// use streams_dsl::prelude::*;
/// let eager = BufferConfig::max_records(1_000).with_max_bytes(1 << 20);
/// let strict: StrictBufferConfig = BufferConfig::max_bytes(1 << 20).shut_down_when_full();
/// let unbounded: StrictBufferConfig = BufferConfig::unbounded();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferConfig {
    pub(crate) max_records: Option<usize>,
    pub(crate) max_bytes: Option<usize>,
    pub(crate) when_full: BufferFullStrategy,
    pub(crate) changelog: ChangelogOptions,
}

impl BufferConfig {
    fn bounded(max_records: Option<usize>, max_bytes: Option<usize>) -> Self {
        Self {
            max_records,
            max_bytes,
            when_full: BufferFullStrategy::EmitEarly,
            changelog: ChangelogOptions::default(),
        }
    }

    /// At most `records` buffered keys; emits early when full.
    pub fn max_records(records: usize) -> Self {
        Self::bounded(Some(records), None)
    }

    /// At most `bytes` buffered bytes (serialized keys and updates); emits early
    /// when full.
    pub fn max_bytes(bytes: usize) -> Self {
        Self::bounded(None, Some(bytes))
    }

    /// No bounds: the buffer grows with the number of keys it holds back (and
    /// the task fails if memory runs out).
    pub fn unbounded() -> StrictBufferConfig {
        StrictBufferConfig(Self {
            when_full: BufferFullStrategy::ShutDown,
            ..Self::bounded(None, None)
        })
    }

    /// Adds (or changes) the bound on buffered keys.
    pub fn with_max_records(mut self, records: usize) -> Self {
        self.max_records = Some(records);
        self
    }

    /// Adds (or changes) the bound on buffered bytes.
    pub fn with_max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = Some(bytes);
        self
    }

    /// When full, forward the oldest updates early (the default for bounds).
    pub fn emit_early_when_full(mut self) -> Self {
        self.when_full = BufferFullStrategy::EmitEarly;
        self
    }

    /// When full, fail the task with an error naming the suppression and the
    /// bound, rather than forward anything early.
    pub fn shut_down_when_full(mut self) -> StrictBufferConfig {
        self.when_full = BufferFullStrategy::ShutDown;
        StrictBufferConfig(self)
    }

    /// No changelog for the buffer: a restarted or moved task starts with an
    /// empty buffer, losing the updates it held back.
    pub fn with_logging_disabled(mut self) -> Self {
        self.changelog.disable();
        self
    }

    /// Adds a topic config for the buffer's changelog topic.
    pub fn with_changelog_config(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.changelog.add_config(key, value);
        self
    }

    /// True when `records` keys and `bytes` bytes are beyond a bound.
    pub(crate) fn is_exceeded_by(&self, records: usize, bytes: usize) -> bool {
        self.max_records.is_some_and(|max| records > max)
            || self.max_bytes.is_some_and(|max| bytes > max)
    }
}

/// A buffer config that never forwards early: unbounded, or bounded and failing
/// the task when full. Made by [`BufferConfig::unbounded`] or
/// [`BufferConfig::shut_down_when_full`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictBufferConfig(pub(crate) BufferConfig);

impl StrictBufferConfig {
    /// Adds (or changes) the bound on buffered keys.
    pub fn with_max_records(self, records: usize) -> Self {
        Self(self.0.with_max_records(records))
    }

    /// Adds (or changes) the bound on buffered bytes.
    pub fn with_max_bytes(self, bytes: usize) -> Self {
        Self(self.0.with_max_bytes(bytes))
    }

    /// No changelog for the buffer (see [`BufferConfig::with_logging_disabled`]).
    pub fn with_logging_disabled(self) -> Self {
        Self(self.0.with_logging_disabled())
    }

    /// Adds a topic config for the buffer's changelog topic.
    pub fn with_changelog_config(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        Self(self.0.with_changelog_config(key, value))
    }
}

impl From<StrictBufferConfig> for BufferConfig {
    fn from(strict: StrictBufferConfig) -> Self {
        strict.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_exceeded_only_beyond_their_limit() {
        let config = BufferConfig::max_records(2).with_max_bytes(100);
        assert!(!config.is_exceeded_by(2, 100));
        assert!(config.is_exceeded_by(3, 0));
        assert!(config.is_exceeded_by(0, 101));
        let unbounded: BufferConfig = BufferConfig::unbounded().into();
        assert!(!unbounded.is_exceeded_by(usize::MAX, usize::MAX));
    }

    #[test]
    fn bounds_emit_early_by_default_and_strict_configs_shut_down() {
        assert_eq!(
            BufferConfig::max_bytes(10).when_full,
            BufferFullStrategy::EmitEarly
        );
        let strict = BufferConfig::max_records(1).shut_down_when_full();
        assert_eq!(strict.0.when_full, BufferFullStrategy::ShutDown);
        assert_eq!(
            BufferConfig::unbounded().with_max_records(5).0,
            BufferConfig::max_records(5).shut_down_when_full().0
        );
    }
}
