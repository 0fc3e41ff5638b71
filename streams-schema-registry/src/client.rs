//! The registry operations serdes need, behind a trait so that tests can use an
//! in-memory registry ([`MockSchemaRegistryClient`](crate::MockSchemaRegistryClient))
//! and applications a real one ([`HttpSchemaRegistryClient`](crate::HttpSchemaRegistryClient)).

use crate::{RegisteredSchema, RegistryError, Schema};

/// A schema registry, called synchronously from the stream thread. Implementations
/// cache what does not change (ids of registered schemas, schemas by id), so
/// only the first record of a subject reaches the network.
pub trait SchemaRegistryClient: Send + Sync {
    /// Registers `schema` under `subject` (a no-op returning the existing id when
    /// it is already registered there); the registry refuses a schema
    /// incompatible with the subject's compatibility level.
    fn register(&self, subject: &str, schema: &Schema) -> Result<u32, RegistryError>;

    /// The version of `subject` that holds `schema`; an error when it has none.
    fn lookup(&self, subject: &str, schema: &Schema) -> Result<RegisteredSchema, RegistryError>;

    /// The latest version of `subject`.
    fn latest(&self, subject: &str) -> Result<RegisteredSchema, RegistryError>;

    /// The schema with this id.
    fn schema_by_id(&self, id: u32) -> Result<Schema, RegistryError>;
}
