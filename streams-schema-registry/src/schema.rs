//! Schemas as the registry stores them: the text, its type and its references.

use serde::{Deserialize, Serialize};

/// The type of a registered schema (`schemaType` in the REST API; absent means Avro).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    /// Apache Avro (the registry's default).
    #[default]
    Avro,
    /// Protocol Buffers.
    Protobuf,
    /// JSON Schema.
    Json,
}

impl SchemaType {
    /// The name the REST API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }
}

/// A reference from a schema to another registered schema (a Protobuf import,
/// an Avro named type or a JSON Schema `$ref` defined elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    /// The name the schema uses for it (for Protobuf, the import path).
    pub name: String,
    /// The subject it is registered under.
    pub subject: String,
    /// The version of that subject.
    pub version: i32,
}

/// A schema as registered: its text, its type and what it references.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schema {
    /// The schema text: Avro and JSON Schema as JSON, Protobuf as `.proto`
    /// text or a base64-encoded `FileDescriptorProto` (which this crate sends).
    pub schema: String,
    /// Its type.
    pub schema_type: SchemaType,
    /// The schemas it references.
    pub references: Vec<SchemaReference>,
}

impl Schema {
    /// A schema without references.
    pub fn new(schema_type: SchemaType, schema: impl Into<String>) -> Self {
        Self {
            schema: schema.into(),
            schema_type,
            references: Vec::new(),
        }
    }
}

/// A schema registered under a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    /// The subject.
    pub subject: String,
    /// Its globally unique id (what the wire format carries).
    pub id: u32,
    /// Its version within the subject.
    pub version: i32,
    /// The schema.
    pub schema: Schema,
}
