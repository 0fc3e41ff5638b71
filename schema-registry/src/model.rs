//! The registry's data: schemas under subjects and versions, compatibility
//! levels, and the records of the `_schemas` topic that hold them (keys and
//! values in the JSON layout Confluent's registry writes).

use crate::compatibility::CompatibilityLevel;
use serde::{Deserialize, Serialize};

/// The type of a schema (`schemaType`; absent means Avro).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    /// Apache Avro.
    #[default]
    Avro,
    /// Protocol Buffers.
    Protobuf,
    /// JSON Schema.
    Json,
}

impl SchemaType {
    /// True for Avro, whose type the REST API leaves out.
    pub fn is_avro(&self) -> bool {
        *self == SchemaType::Avro
    }
}

/// A reference to a schema registered under another subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    /// The name the referencing schema uses.
    pub name: String,
    /// The subject it is registered under.
    pub subject: String,
    /// Its version there.
    pub version: i32,
}

/// One version of a subject: the value of a `SCHEMA` record of `_schemas`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaVersion {
    /// The subject.
    pub subject: String,
    /// The version in the subject, from 1.
    pub version: i32,
    /// The globally unique id of the schema (the same schema under several
    /// subjects shares one id).
    pub id: u32,
    /// The schema text as first registered.
    pub schema: String,
    /// Its type.
    #[serde(default, skip_serializing_if = "SchemaType::is_avro")]
    pub schema_type: SchemaType,
    /// What it references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// Soft-deleted (still readable by id, no longer listed).
    #[serde(default)]
    pub deleted: bool,
}

/// The key of a record of `_schemas`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "keytype", rename_all = "UPPERCASE")]
pub enum LogKey {
    /// A subject's version.
    Schema {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
        /// The key format's version.
        magic: i32,
    },
    /// A compatibility level: of a subject, or global for `None`.
    Config {
        /// The subject, or `None` for the global level.
        subject: Option<String>,
        /// The key format's version.
        magic: i32,
    },
}

/// The value of a `CONFIG` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigValue {
    /// The level.
    pub compatibility_level: CompatibilityLevel,
}

/// A change to the registry, as one record of `_schemas` says it.
#[derive(Debug, Clone, PartialEq)]
pub enum LogRecord {
    /// A version registered, soft-deleted (`deleted`) or, with `None`, removed.
    Schema {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
        /// The version's state, `None` once permanently deleted.
        value: Option<SchemaVersion>,
    },
    /// A level set or, with `None`, removed.
    Config {
        /// The subject, `None` for the global level.
        subject: Option<String>,
        /// The level.
        level: Option<CompatibilityLevel>,
    },
}

impl LogRecord {
    /// The record's key and value bytes.
    pub fn encode(&self) -> Result<(Vec<u8>, Option<Vec<u8>>), serde_json::Error> {
        match self {
            LogRecord::Schema {
                subject,
                version,
                value,
            } => Ok((
                serde_json::to_vec(&LogKey::Schema {
                    subject: subject.clone(),
                    version: *version,
                    magic: 1,
                })?,
                value.as_ref().map(serde_json::to_vec).transpose()?,
            )),
            LogRecord::Config { subject, level } => Ok((
                serde_json::to_vec(&LogKey::Config {
                    subject: subject.clone(),
                    magic: 0,
                })?,
                level
                    .map(|level| {
                        serde_json::to_vec(&ConfigValue {
                            compatibility_level: level,
                        })
                    })
                    .transpose()?,
            )),
        }
    }

    /// Reads a record back; `Ok(None)` for record kinds this registry does not
    /// keep (Confluent's `NOOP`, `MODE`, `DELETE_SUBJECT`, ...).
    pub fn decode(key: &[u8], value: Option<&[u8]>) -> Result<Option<Self>, serde_json::Error> {
        let key: serde_json::Value = serde_json::from_slice(key)?;
        let keytype = key.get("keytype").and_then(serde_json::Value::as_str);
        if !matches!(keytype, Some("SCHEMA" | "CONFIG")) {
            return Ok(None);
        }
        Ok(Some(match serde_json::from_value(key)? {
            LogKey::Schema {
                subject, version, ..
            } => LogRecord::Schema {
                subject,
                version,
                value: value.map(serde_json::from_slice).transpose()?,
            },
            LogKey::Config { subject, .. } => LogRecord::Config {
                subject,
                level: value
                    .map(serde_json::from_slice::<ConfigValue>)
                    .transpose()?
                    .map(|config| config.compatibility_level),
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_in_confluents_layout() {
        let record = LogRecord::Schema {
            subject: "orders-value".into(),
            version: 2,
            value: Some(SchemaVersion {
                subject: "orders-value".into(),
                version: 2,
                id: 7,
                schema: r#"{"type":"string"}"#.into(),
                schema_type: SchemaType::Json,
                references: Vec::new(),
                deleted: false,
            }),
        };
        let (key, value) = record.encode().unwrap();
        assert_eq!(
            String::from_utf8(key.clone()).unwrap(),
            r#"{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}"#
        );
        assert_eq!(
            LogRecord::decode(&key, value.as_deref()).unwrap(),
            Some(record)
        );
        let config = LogRecord::Config {
            subject: None,
            level: Some(CompatibilityLevel::FullTransitive),
        };
        let (key, value) = config.encode().unwrap();
        assert_eq!(
            String::from_utf8(value.clone().unwrap()).unwrap(),
            r#"{"compatibilityLevel":"FULL_TRANSITIVE"}"#
        );
        assert_eq!(
            LogRecord::decode(&key, value.as_deref()).unwrap(),
            Some(config)
        );
        assert_eq!(
            LogRecord::decode(br#"{"keytype":"NOOP","magic":0}"#, None).unwrap(),
            None
        );
    }
}
