//! Declares an in-memory, time-ordered buffer of typed records (a suppression
//! buffer, the grace-period buffer of a stream-table join): one builder shape
//! for every such buffer, logged to a compacted changelog unless logging is
//! disabled.

use super::codec::StoreCodec;
use super::key_value_builder::resolve;
use super::{ChangelogSpec, StoreBuilder, StoreInit, TaskStore};
use crate::error::{RecordPart, StreamsError};
use crate::serde::{SerdeRef, SerdeRegistry};
use crate::topology::{TopologyError, changelog_topic};
use std::marker::PhantomData;
use streams_state::InMemoryTimeOrderedBuffer;

/// A buffer of `K` and `V` that this builder opens: a typed store over an
/// in-memory time-ordered buffer. Only this crate's buffers are buffer kinds.
pub trait TimeOrderedBufferKind<K, V>: TaskStore + 'static {
    /// The buffer over `inner`, its records encoded with `codec`.
    fn over(codec: StoreCodec<K, V>, inner: InMemoryTimeOrderedBuffer) -> Self;
}

/// Declares a time-ordered buffer `B` of `K` and `V` called `name`: kept in
/// memory and, unless logging is disabled, logged to
/// `<application.id>-<name>-changelog` (compacted) so it can be restored.
/// [`SuppressionBufferBuilder`](super::SuppressionBufferBuilder) and
/// [`JoinGraceBufferBuilder`](super::JoinGraceBufferBuilder) name it per
/// buffer.
pub struct TimeOrderedBufferBuilder<K, V, B> {
    name: String,
    logging: Option<ChangelogSpec>,
    key_serde: Option<SerdeRef<K>>,
    value_serde: Option<SerdeRef<V>>,
    buffer: PhantomData<fn() -> B>,
}

impl<K, V, B> TimeOrderedBufferBuilder<K, V, B> {
    /// A logged buffer called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            logging: Some(ChangelogSpec {
                topic_configs: vec![("cleanup.policy".into(), "compact".into())],
            }),
            key_serde: None,
            value_serde: None,
            buffer: PhantomData,
        }
    }

    /// Shared serdes, as the DSL passes them on (the topology's defaults fill in
    /// what is `None`).
    pub fn with_serdes(mut self, key: Option<SerdeRef<K>>, value: Option<SerdeRef<V>>) -> Self {
        self.key_serde = key.or(self.key_serde);
        self.value_serde = value.or(self.value_serde);
        self
    }

    /// No changelog: a restarted or moved task starts with an empty buffer.
    pub fn with_logging_disabled(mut self) -> Self {
        self.logging = None;
        self
    }

    /// Adds a changelog topic config (logging stays on).
    pub fn with_changelog_config(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        if let Some(spec) = &mut self.logging {
            spec.topic_configs.push((key.into(), value.into()));
        }
        self
    }
}

impl<K: 'static, V: 'static, B: TimeOrderedBufferKind<K, V>> StoreBuilder
    for TimeOrderedBufferBuilder<K, V, B>
{
    fn name(&self) -> &str {
        &self.name
    }

    fn changelog(&self) -> Option<ChangelogSpec> {
        self.logging.clone()
    }

    fn resolve_serdes(&mut self, serdes: &SerdeRegistry) -> Result<(), TopologyError> {
        resolve(&mut self.key_serde, serdes, &self.name, RecordPart::Key)?;
        resolve(&mut self.value_serde, serdes, &self.name, RecordPart::Value)
    }

    fn open(&self, init: StoreInit<'_>) -> Result<Box<dyn TaskStore>, StreamsError> {
        let (Some(key_serde), Some(value_serde)) =
            (self.key_serde.clone(), self.value_serde.clone())
        else {
            return Err(TopologyError::Internal(format!(
                "store '{}' was opened before its serdes were resolved",
                self.name
            ))
            .into());
        };
        let changelog = self.logging.as_ref().map(|_| init.changelog.clone());
        Ok(Box::new(B::over(
            StoreCodec {
                store: self.name.clone(),
                changelog_topic: changelog_topic(init.application_id, &self.name),
                key_serde,
                value_serde,
            },
            InMemoryTimeOrderedBuffer::new(self.name.clone(), changelog),
        )))
    }
}
