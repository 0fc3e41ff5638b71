//! An in-memory schema registry for tests (TopologyTestDriver, benchmarks), as
//! Confluent's `MockSchemaRegistryClient`: ids and versions are assigned as a
//! registry would, but no compatibility is checked.

use crate::{RegisteredSchema, RegistryError, Schema, SchemaRegistryClient};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// A registry in memory; share it (in an `Arc`) between the serdes of a test so
/// that what one serializes the other can read.
///
/// ```
/// use streams_schema_registry::{MockSchemaRegistryClient, Schema, SchemaRegistryClient, SchemaType};
/// let registry = MockSchemaRegistryClient::new();
/// let schema = Schema::new(SchemaType::Json, r#"{"type":"string"}"#);
/// let id = registry.register("names-value", &schema).unwrap();
/// assert_eq!(registry.register("names-value", &schema).unwrap(), id);
/// assert_eq!(registry.latest("names-value").unwrap().version, 1);
/// assert_eq!(registry.schema_by_id(id).unwrap(), schema);
/// ```
#[derive(Debug, Default)]
pub struct MockSchemaRegistryClient {
    state: Mutex<MockState>,
}

#[derive(Debug, Default)]
struct MockState {
    /// Schema `id` is at index `id - 1`.
    schemas: Vec<Schema>,
    /// The ids of each subject's versions, version 1 first.
    subjects: HashMap<String, Vec<u32>>,
}

fn not_found(what: String, error_code: i64, message: &str) -> RegistryError {
    RegistryError::Rejected {
        what,
        status: 404,
        error_code,
        message: message.to_string(),
    }
}

impl MockSchemaRegistryClient {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, MockState> {
        // The state stays consistent even if a holder panicked: every update is one push.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl MockState {
    fn version(&self, subject: &str, schema: &Schema) -> Option<(u32, i32)> {
        let versions = self.subjects.get(subject)?;
        versions.iter().enumerate().find_map(|(index, &id)| {
            (self.schemas[id as usize - 1] == *schema).then_some((id, index as i32 + 1))
        })
    }

    fn registered(&self, subject: &str, id: u32, version: i32) -> RegisteredSchema {
        RegisteredSchema {
            subject: subject.to_string(),
            id,
            version,
            schema: self.schemas[id as usize - 1].clone(),
        }
    }
}

impl SchemaRegistryClient for MockSchemaRegistryClient {
    fn register(&self, subject: &str, schema: &Schema) -> Result<u32, RegistryError> {
        let mut state = self.state();
        if let Some((id, _)) = state.version(subject, schema) {
            return Ok(id);
        }
        let id = match state.schemas.iter().position(|known| known == schema) {
            Some(index) => index as u32 + 1,
            None => {
                state.schemas.push(schema.clone());
                state.schemas.len() as u32
            }
        };
        state
            .subjects
            .entry(subject.to_string())
            .or_default()
            .push(id);
        Ok(id)
    }

    fn lookup(&self, subject: &str, schema: &Schema) -> Result<RegisteredSchema, RegistryError> {
        let state = self.state();
        match state.version(subject, schema) {
            Some((id, version)) => Ok(state.registered(subject, id, version)),
            None if state.subjects.contains_key(subject) => Err(not_found(
                format!("looking up a schema under subject '{subject}'"),
                40403,
                "Schema not found",
            )),
            None => Err(not_found(
                format!("looking up a schema under subject '{subject}'"),
                40401,
                &format!("Subject '{subject}' not found."),
            )),
        }
    }

    fn latest(&self, subject: &str) -> Result<RegisteredSchema, RegistryError> {
        let state = self.state();
        let latest = state
            .subjects
            .get(subject)
            .and_then(|versions| versions.last().map(|&id| (id, versions.len() as i32)));
        let (id, version) = latest.ok_or_else(|| {
            not_found(
                format!("the latest version of subject '{subject}'"),
                40401,
                &format!("Subject '{subject}' not found."),
            )
        })?;
        Ok(state.registered(subject, id, version))
    }

    fn schema_by_id(&self, id: u32) -> Result<Schema, RegistryError> {
        let state = self.state();
        (id as usize)
            .checked_sub(1)
            .and_then(|index| state.schemas.get(index))
            .cloned()
            .ok_or_else(|| not_found(format!("schema id {id}"), 40403, "Schema not found"))
    }
}
