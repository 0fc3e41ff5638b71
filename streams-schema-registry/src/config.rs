//! How a registry serde picks the subject and the schema id it writes.

use crate::SubjectNameStrategy;

/// Which schema id a serializer writes, as Confluent's `auto.register.schemas`
/// and `use.latest.version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaIdMode {
    /// Register the serde's schema under the subject (the registry checks its
    /// compatibility) and write its id; the default.
    #[default]
    AutoRegister,
    /// The serde's schema must already be registered under the subject (for
    /// producers that may not register); write that id.
    LookUp,
    /// Write with the subject's latest schema, whatever it is (Avro values are
    /// encoded with that schema, so it must be able to hold them).
    UseLatest,
}

/// The settings every registry serde shares.
///
/// ```
/// use streams_schema_registry::{RegistrySerdeConfig, SchemaIdMode, SubjectNameStrategy};
/// let config = RegistrySerdeConfig::default()
///     .subject_name_strategy(SubjectNameStrategy::TopicRecord)
///     .schema_id_mode(SchemaIdMode::UseLatest);
/// assert_eq!(config.strategy(), SubjectNameStrategy::TopicRecord);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegistrySerdeConfig {
    strategy: SubjectNameStrategy,
    mode: SchemaIdMode,
}

impl RegistrySerdeConfig {
    /// Names subjects with `strategy` (default: topic name).
    pub fn subject_name_strategy(mut self, strategy: SubjectNameStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Chooses the written schema id with `mode` (default: auto-register).
    pub fn schema_id_mode(mut self, mode: SchemaIdMode) -> Self {
        self.mode = mode;
        self
    }

    /// The subject name strategy.
    pub fn strategy(&self) -> SubjectNameStrategy {
        self.strategy
    }

    /// The schema id mode.
    pub fn mode(&self) -> SchemaIdMode {
        self.mode
    }
}
