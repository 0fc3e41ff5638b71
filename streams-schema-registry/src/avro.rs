//! Avro serdes in the Confluent wire format: [`AvroSerde`] for serde-derived
//! types and [`GenericAvroSerde`] for generic Avro values, both against a schema
//! the application gives. Reading resolves the writer's schema (fetched by the
//! id in the bytes, then cached) against that schema, Avro's schema evolution:
//! fields added with defaults are filled in, fields removed are skipped.

use crate::registry_serde::registry_serde;
use crate::schema_ids::{SchemaIds, serde_error};
use crate::{
    RegistryError, RegistrySerdeConfig, Schema, SchemaIdMode, SchemaRegistryClient, SchemaType,
    wire,
};
use apache_avro::types::Value;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, PoisonError, RwLock};
use streams_core::serde::{SerdeContext, SerdeError};

/// What both Avro serdes share: the schema, its registered ids, and the
/// writer schemas of ids read back.
struct AvroCore {
    schema: Arc<apache_avro::Schema>,
    ids: SchemaIds,
    writers: RwLock<HashMap<u32, Arc<apache_avro::Schema>>>,
}

fn avro_error(doing: &str, error: apache_avro::Error) -> SerdeError {
    SerdeError::with_source(format!("Avro {doing} failed: {error}"), error)
}

impl AvroCore {
    fn new(
        client: Arc<dyn SchemaRegistryClient>,
        schema: &str,
        config: RegistrySerdeConfig,
    ) -> Result<Self, RegistryError> {
        let parsed = apache_avro::Schema::parse_str(schema)
            .map_err(|e| RegistryError::InvalidSchema(format!("not an Avro schema: {e}")))?;
        let record_name = parsed.name().map(|name| name.fullname(None));
        Ok(Self {
            schema: Arc::new(parsed),
            ids: SchemaIds::new(
                client,
                config,
                Schema::new(SchemaType::Avro, schema),
                record_name,
            ),
            writers: RwLock::new(HashMap::new()),
        })
    }

    /// The schema registered as `id`, parsed.
    fn writer_schema(&self, id: u32) -> Result<Arc<apache_avro::Schema>, SerdeError> {
        if let Some(schema) = self
            .writers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Ok(schema.clone());
        }
        let registered = self.ids.client().schema_by_id(id).map_err(serde_error)?;
        if registered.schema_type != SchemaType::Avro {
            return Err(SerdeError::new(format!(
                "schema id {id} is a {} schema, not Avro",
                registered.schema_type.as_str()
            )));
        }
        let parsed = apache_avro::Schema::parse_str(&registered.schema)
            .map_err(|e| avro_error(&format!("parsing the schema of id {id}"), e))?;
        let parsed = Arc::new(parsed);
        self.writers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, parsed.clone());
        Ok(parsed)
    }

    fn encode(&self, context: &SerdeContext<'_>, value: Value) -> Result<Vec<u8>, SerdeError> {
        let id = self.ids.id_for(context).map_err(serde_error)?;
        let writer = match self.ids.config().mode() {
            SchemaIdMode::UseLatest => self.writer_schema(id)?,
            SchemaIdMode::AutoRegister | SchemaIdMode::LookUp => self.schema.clone(),
        };
        let value = value
            .resolve(&writer)
            .map_err(|e| avro_error("fitting a value to the schema", e))?;
        let datum =
            apache_avro::to_avro_datum(&writer, value).map_err(|e| avro_error("encoding", e))?;
        let mut bytes = wire::header(id, datum.len());
        bytes.extend_from_slice(&datum);
        Ok(bytes)
    }

    fn decode(&self, bytes: &[u8]) -> Result<Value, SerdeError> {
        let (id, mut payload) = wire::split(bytes).map_err(serde_error)?;
        let writer = self.writer_schema(id)?;
        apache_avro::from_avro_datum(&writer, &mut payload, Some(&self.schema))
            .map_err(|e| avro_error(&format!("decoding with the writer schema of id {id}"), e))
    }
}

/// Avro for serde types: values are converted to Avro through serde and
/// checked against the schema.
///
/// ```
/// use std::sync::Arc;
/// use streams_core::record::Headers;
/// use streams_core::serde::{Serde, SerdeContext};
/// use streams_schema_registry::{AvroSerde, MockSchemaRegistryClient, RegistrySerdeConfig};
///
/// #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// struct Order { id: String, cents: i64 }
///
/// let registry = Arc::new(MockSchemaRegistryClient::new());
/// let schema = r#"{"type":"record","name":"Order","namespace":"shop",
///   "fields":[{"name":"id","type":"string"},{"name":"cents","type":"long"}]}"#;
/// let serde = AvroSerde::<Order>::new(registry, schema, RegistrySerdeConfig::default()).unwrap();
/// let headers = Headers::new();
/// let context = SerdeContext::value("orders", &headers);
/// let order = Order { id: "o-1".into(), cents: 1250 };
/// let bytes = serde.serialize_with_context(&context, &order).unwrap().unwrap();
/// assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1]); // magic byte, schema id 1
/// assert_eq!(serde.deserialize_with_context(&context, Some(&bytes)).unwrap(), order);
/// ```
pub struct AvroSerde<T> {
    core: AvroCore,
    _type: PhantomData<fn() -> T>,
}

impl<T> AvroSerde<T> {
    /// A serde writing and reading `T` with `schema` (Avro JSON), registered
    /// through `client` as `config` says.
    pub fn new(
        client: Arc<dyn SchemaRegistryClient>,
        schema: &str,
        config: RegistrySerdeConfig,
    ) -> Result<Self, RegistryError> {
        Ok(Self {
            core: AvroCore::new(client, schema, config)?,
            _type: PhantomData,
        })
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> AvroSerde<T> {
    fn schema_ids(&self) -> &SchemaIds {
        &self.core.ids
    }

    fn encode(&self, context: &SerdeContext<'_>, value: &T) -> Result<Vec<u8>, SerdeError> {
        let value =
            apache_avro::to_value(value).map_err(|e| avro_error("converting a value", e))?;
        self.core.encode(context, value)
    }

    fn decode(&self, bytes: &[u8]) -> Result<T, SerdeError> {
        let value = self.core.decode(bytes)?;
        apache_avro::from_value(&value).map_err(|e| avro_error("converting a decoded value", e))
    }
}

registry_serde!(
    "AvroSerde",
    [T: serde::Serialize + serde::de::DeserializeOwned],
    AvroSerde<T>,
    T
);

/// Avro for generic values ([`apache_avro::types::Value`]): what a topology
/// that does not know the record types at compile time reads and writes.
/// Values read back are resolved against the serde's schema.
pub struct GenericAvroSerde {
    core: AvroCore,
}

impl GenericAvroSerde {
    /// A serde writing and reading values of `schema` (Avro JSON).
    pub fn new(
        client: Arc<dyn SchemaRegistryClient>,
        schema: &str,
        config: RegistrySerdeConfig,
    ) -> Result<Self, RegistryError> {
        Ok(Self {
            core: AvroCore::new(client, schema, config)?,
        })
    }

    /// The serde's schema.
    pub fn schema(&self) -> &apache_avro::Schema {
        &self.core.schema
    }
}

impl GenericAvroSerde {
    fn schema_ids(&self) -> &SchemaIds {
        &self.core.ids
    }

    fn encode(&self, context: &SerdeContext<'_>, value: &Value) -> Result<Vec<u8>, SerdeError> {
        self.core.encode(context, value.clone())
    }

    fn decode(&self, bytes: &[u8]) -> Result<Value, SerdeError> {
        self.core.decode(bytes)
    }
}

registry_serde!("GenericAvroSerde", [], GenericAvroSerde, Value);
