//! JSON Schema serdes for serde types in the Confluent wire format: the schema
//! id, then the value as JSON. Values are validated against the schema before
//! they are written, as Confluent's serializer does; reading parses the JSON
//! into the type (without fetching the writer's schema).

use crate::registry_serde::registry_serde;
use crate::schema_ids::{SchemaIds, serde_error};
use crate::{RegistryError, RegistrySerdeConfig, Schema, SchemaRegistryClient, SchemaType, wire};
use std::marker::PhantomData;
use std::sync::Arc;
use streams_core::serde::{SerdeContext, SerdeError};

/// `T` as JSON checked against a JSON Schema. The schema's `title` is its record
/// name for the record subject name strategies.
///
/// ```
/// use std::sync::Arc;
/// use streams_core::record::Headers;
/// use streams_core::serde::{Serde, SerdeContext};
/// use streams_schema_registry::{JsonSchemaSerde, MockSchemaRegistryClient, RegistrySerdeConfig};
///
/// #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// struct Reading { sensor: String, celsius: f64 }
///
/// let schema = r#"{"title":"Reading","type":"object","required":["sensor","celsius"],
///   "properties":{"sensor":{"type":"string"},"celsius":{"type":"number","maximum":100}}}"#;
/// let serde = JsonSchemaSerde::<Reading>::new(
///     Arc::new(MockSchemaRegistryClient::new()), schema, RegistrySerdeConfig::default()).unwrap();
/// let headers = Headers::new();
/// let context = SerdeContext::value("readings", &headers);
/// let ok = Reading { sensor: "s1".into(), celsius: 21.5 };
/// let bytes = serde.serialize_with_context(&context, &ok).unwrap().unwrap();
/// assert_eq!(serde.deserialize(&bytes).unwrap(), ok);
/// let too_hot = Reading { sensor: "s1".into(), celsius: 140.0 };
/// assert!(serde.serialize_with_context(&context, &too_hot).is_err());
/// ```
pub struct JsonSchemaSerde<T> {
    ids: SchemaIds,
    validator: jsonschema::Validator,
    _type: PhantomData<fn() -> T>,
}

impl<T> JsonSchemaSerde<T> {
    /// A serde of `T` validated against `schema` (JSON Schema, draft 4 to 2020-12).
    pub fn new(
        client: Arc<dyn SchemaRegistryClient>,
        schema: &str,
        config: RegistrySerdeConfig,
    ) -> Result<Self, RegistryError> {
        let parsed: serde_json::Value = serde_json::from_str(schema)
            .map_err(|e| RegistryError::InvalidSchema(format!("a JSON Schema is JSON: {e}")))?;
        let validator = jsonschema::validator_for(&parsed)
            .map_err(|e| RegistryError::InvalidSchema(format!("not a JSON Schema: {e}")))?;
        let title = parsed
            .get("title")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
        Ok(Self {
            ids: SchemaIds::new(client, config, Schema::new(SchemaType::Json, schema), title),
            validator,
            _type: PhantomData,
        })
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> JsonSchemaSerde<T> {
    fn schema_ids(&self) -> &SchemaIds {
        &self.ids
    }

    fn decode(&self, bytes: &[u8]) -> Result<T, SerdeError> {
        let (_, payload) = wire::split(bytes).map_err(serde_error)?;
        serde_json::from_slice(payload)
            .map_err(|e| SerdeError::with_source(format!("JSON decoding failed: {e}"), e))
    }

    fn encode(&self, context: &SerdeContext<'_>, value: &T) -> Result<Vec<u8>, SerdeError> {
        let json = serde_json::to_value(value)
            .map_err(|e| SerdeError::with_source("the value does not convert to JSON", e))?;
        let violations: Vec<String> = self
            .validator
            .iter_errors(&json)
            .map(|error| format!("{} at '{}'", error, error.instance_path()))
            .collect();
        if !violations.is_empty() {
            return Err(SerdeError::new(format!(
                "the value does not match its JSON Schema (topic '{}'): {}",
                context.topic(),
                violations.join("; ")
            )));
        }
        let id = self.ids.id_for(context).map_err(serde_error)?;
        let payload = serde_json::to_vec(&json)
            .map_err(|e| SerdeError::with_source("JSON encoding failed", e))?;
        let mut bytes = wire::header(id, payload.len());
        bytes.extend_from_slice(&payload);
        Ok(bytes)
    }
}

registry_serde!(
    "JsonSchemaSerde",
    [T: serde::Serialize + serde::de::DeserializeOwned],
    JsonSchemaSerde<T>,
    T
);
