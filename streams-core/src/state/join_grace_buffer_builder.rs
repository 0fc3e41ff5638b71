//! Declares the grace-period buffer of a stream-table join: in memory, logged
//! to a compacted changelog unless logging is disabled.

use super::codec::StoreCodec;
use super::key_value_builder::resolve;
use super::{ChangelogSpec, JoinGraceBuffer, StoreBuilder, StoreInit, TaskStore};
use crate::error::{RecordPart, StreamsError};
use crate::serde::{SerdeRef, SerdeRegistry};
use crate::topology::{TopologyError, changelog_topic};
use streams_state::InMemoryTimeOrderedBuffer;

/// A [`JoinGraceBuffer`] of stream records of `K` and `V`, as a stream-table
/// join with a grace period declares it: kept in memory and, unless logging is
/// disabled, logged to `<application.id>-<name>-changelog` (compacted) so it
/// can be restored.
///
/// ```
/// use streams_core::state::JoinGraceBufferBuilder;
/// let buffer = JoinGraceBufferBuilder::<String, i64>::new("orders-join-buffer")
///     .with_changelog_config("min.insync.replicas", "2");
/// ```
pub struct JoinGraceBufferBuilder<K, V> {
    name: String,
    logging: Option<ChangelogSpec>,
    key_serde: Option<SerdeRef<K>>,
    value_serde: Option<SerdeRef<V>>,
}

impl<K, V> JoinGraceBufferBuilder<K, V> {
    /// A logged buffer called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            logging: Some(ChangelogSpec {
                topic_configs: vec![("cleanup.policy".into(), "compact".into())],
            }),
            key_serde: None,
            value_serde: None,
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

impl<K: 'static, V: 'static> StoreBuilder for JoinGraceBufferBuilder<K, V> {
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
        Ok(Box::new(JoinGraceBuffer::new(
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
