//! What every registry serde shares: the subject of a topic's keys or values,
//! the id to write for it (registered, looked up or the latest, then cached per
//! topic so that only a topic's first record reaches the registry), and the
//! schema of an id read back.

use crate::{
    RegistryError, RegistrySerdeConfig, Schema, SchemaIdMode, SchemaRegistryClient,
    SubjectNameStrategy,
};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use streams_core::error::RecordPart;
use streams_core::serde::{SerdeContext, SerdeError};

/// The ids a serde writes, by topic and record half.
pub(crate) struct SchemaIds {
    client: Arc<dyn SchemaRegistryClient>,
    config: RegistrySerdeConfig,
    schema: Schema,
    record_name: Option<String>,
    by_topic: RwLock<HashMap<String, [Option<u32>; 2]>>,
}

fn slot(part: RecordPart) -> usize {
    match part {
        RecordPart::Key => 0,
        RecordPart::Value => 1,
    }
}

impl SchemaIds {
    pub(crate) fn new(
        client: Arc<dyn SchemaRegistryClient>,
        config: RegistrySerdeConfig,
        schema: Schema,
        record_name: Option<String>,
    ) -> Self {
        Self {
            client,
            config,
            schema,
            record_name,
            by_topic: RwLock::new(HashMap::new()),
        }
    }

    pub(crate) fn client(&self) -> &dyn SchemaRegistryClient {
        self.client.as_ref()
    }

    pub(crate) fn config(&self) -> RegistrySerdeConfig {
        self.config
    }

    /// The context of a serialization without one (`Serde::serialize`): only the
    /// record-name strategy can name a subject without knowing the topic.
    pub(crate) fn context_free(&self, serde: &str) -> Result<SerdeContext<'static>, SerdeError> {
        match self.config.strategy() {
            SubjectNameStrategy::Record => Ok(SerdeContext::without_headers("", RecordPart::Value)),
            _ => Err(needs_context(serde)),
        }
    }

    /// The id to write for the record half and topic of `context`.
    pub(crate) fn id_for(&self, context: &SerdeContext<'_>) -> Result<u32, RegistryError> {
        let cached = self
            .by_topic
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(context.topic())
            .and_then(|ids| ids[slot(context.part())]);
        if let Some(id) = cached {
            return Ok(id);
        }
        let subject = self
            .config
            .strategy()
            .subject(context, self.record_name.as_deref())?;
        let id = match self.config.mode() {
            SchemaIdMode::AutoRegister => self.client.register(&subject, &self.schema)?,
            SchemaIdMode::LookUp => self.client.lookup(&subject, &self.schema)?.id,
            SchemaIdMode::UseLatest => self.client.latest(&subject)?.id,
        };
        tracing::debug!(subject, id, topic = context.topic(), "schema id resolved");
        self.by_topic
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(context.topic().to_string())
            .or_default()[slot(context.part())] = Some(id);
        Ok(id)
    }
}

/// A registry error as a serde error (the message names subject or id).
pub(crate) fn serde_error(error: RegistryError) -> SerdeError {
    SerdeError::with_source(error.to_string(), error)
}

/// The error of serializing without a context: the subject needs the topic.
fn needs_context(serde: &str) -> SerdeError {
    SerdeError::new(format!(
        "{serde} names its registry subject after the topic, so without the record-name \
         strategy it serializes only through serialize_with_context (which the framework's \
         sources, sinks and stores call)"
    ))
}
