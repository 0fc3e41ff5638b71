//! The registry's state in memory, rebuilt from `_schemas` at start and then
//! kept up to date with every record this registry appends there. Every query
//! of the REST API is answered from here; every change is planned here, then
//! appended to the topic, then applied.

use crate::api_error::ApiError;
use crate::compatibility::{self, CompatibilityLevel};
use crate::model::{LogRecord, SchemaReference, SchemaType, SchemaVersion};
use std::collections::{BTreeMap, HashMap};

/// A schema as a client submits it.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmittedSchema {
    /// Its text.
    pub schema: String,
    /// Its type.
    pub schema_type: SchemaType,
    /// What it references.
    pub references: Vec<SchemaReference>,
}

/// Which version a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSelector {
    /// `latest`.
    Latest,
    /// A number.
    Number(i32),
}

impl VersionSelector {
    /// Parses `latest`, `-1` (latest too) or a positive number (42202 otherwise).
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        match text {
            "latest" | "-1" => Ok(Self::Latest),
            number => match number.parse::<i32>() {
                Ok(n) if n > 0 => Ok(Self::Number(n)),
                _ => Err(ApiError::invalid_version(text)),
            },
        }
    }
}

/// What registering a schema does.
#[derive(Debug, Clone, PartialEq)]
pub enum Registration {
    /// The subject already has it: its id, nothing to write.
    Existing(u32),
    /// A new version to append.
    New(SchemaVersion),
}

/// Every subject's versions and the compatibility levels.
#[derive(Debug, Default)]
pub struct RegistryState {
    subjects: BTreeMap<String, BTreeMap<i32, SchemaVersion>>,
    global_level: Option<CompatibilityLevel>,
    subject_levels: HashMap<String, CompatibilityLevel>,
}

/// The form two schemas are compared in: JSON (Avro, JSON Schema) without its
/// whitespace; Protobuf as given, trimmed.
fn normalized(schema_type: SchemaType, schema: &str) -> String {
    match schema_type {
        SchemaType::Avro | SchemaType::Json => serde_json::from_str::<serde_json::Value>(schema)
            .map(|value| value.to_string())
            .unwrap_or_else(|_| schema.trim().to_string()),
        SchemaType::Protobuf => schema.trim().to_string(),
    }
}

fn same_schema(version: &SchemaVersion, submitted: &SubmittedSchema) -> bool {
    version.schema_type == submitted.schema_type
        && version.references == submitted.references
        && normalized(version.schema_type, &version.schema)
            == normalized(submitted.schema_type, &submitted.schema)
}

/// Refuses a schema that does not parse as its type (42201). Schemas with
/// references are kept as given: their named types live in other subjects.
fn validate(submitted: &SubmittedSchema) -> Result<(), ApiError> {
    if submitted.schema.trim().is_empty() {
        return Err(ApiError::invalid_schema("the schema is empty"));
    }
    if !submitted.references.is_empty() {
        return Ok(());
    }
    match submitted.schema_type {
        SchemaType::Avro => apache_avro::Schema::parse_str(&submitted.schema)
            .map(|_| ())
            .map_err(ApiError::invalid_schema),
        SchemaType::Json => match serde_json::from_str::<serde_json::Value>(&submitted.schema) {
            Ok(serde_json::Value::Object(_) | serde_json::Value::Bool(_)) => Ok(()),
            Ok(_) => Err(ApiError::invalid_schema(
                "a JSON Schema is an object or a boolean",
            )),
            Err(error) => Err(ApiError::invalid_schema(error)),
        },
        SchemaType::Protobuf => Ok(()),
    }
}

impl RegistryState {
    /// Applies one record of `_schemas`.
    pub fn apply(&mut self, record: LogRecord) {
        match record {
            LogRecord::Schema {
                subject,
                version,
                value: Some(value),
            } => {
                self.subjects
                    .entry(subject)
                    .or_default()
                    .insert(version, value);
            }
            LogRecord::Schema {
                subject,
                version,
                value: None,
            } => {
                if let Some(versions) = self.subjects.get_mut(&subject) {
                    versions.remove(&version);
                    if versions.is_empty() {
                        self.subjects.remove(&subject);
                    }
                }
            }
            LogRecord::Config {
                subject: None,
                level,
            } => self.global_level = level,
            LogRecord::Config {
                subject: Some(subject),
                level: Some(level),
            } => {
                self.subject_levels.insert(subject, level);
            }
            LogRecord::Config {
                subject: Some(subject),
                level: None,
            } => {
                self.subject_levels.remove(&subject);
            }
        }
    }

    fn live(&self, subject: &str) -> impl Iterator<Item = &SchemaVersion> {
        self.subjects
            .get(subject)
            .into_iter()
            .flat_map(|versions| versions.values())
            .filter(|version| !version.deleted)
    }

    /// Subjects with at least one version (soft-deleted ones too with `deleted`).
    pub fn subjects(&self, deleted: bool) -> Vec<String> {
        self.subjects
            .iter()
            .filter(|(_, versions)| deleted || versions.values().any(|v| !v.deleted))
            .map(|(subject, _)| subject.clone())
            .collect()
    }

    /// A subject's version numbers (40401 when it has none).
    pub fn versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>, ApiError> {
        let versions: Vec<i32> = self
            .subjects
            .get(subject)
            .into_iter()
            .flat_map(|versions| versions.values())
            .filter(|version| deleted || !version.deleted)
            .map(|version| version.version)
            .collect();
        if versions.is_empty() {
            return Err(ApiError::subject_not_found(subject));
        }
        Ok(versions)
    }

    /// One version of a subject (40401, 40402).
    pub fn version(
        &self,
        subject: &str,
        selector: VersionSelector,
    ) -> Result<&SchemaVersion, ApiError> {
        let mut live = self.live(subject).peekable();
        if live.peek().is_none() {
            return Err(ApiError::subject_not_found(subject));
        }
        match selector {
            VersionSelector::Latest => live
                .last()
                .ok_or_else(|| ApiError::subject_not_found(subject)),
            VersionSelector::Number(number) => live
                .find(|version| version.version == number)
                .ok_or_else(|| ApiError::version_not_found(&number.to_string())),
        }
    }

    /// The schema with this id (40403), soft-deleted versions included.
    pub fn schema_by_id(&self, id: u32) -> Result<&SchemaVersion, ApiError> {
        self.subjects
            .values()
            .flat_map(|versions| versions.values())
            .find(|version| version.id == id)
            .ok_or_else(ApiError::schema_not_found)
    }

    /// The `(subject, version)` pairs holding schema `id` (40403).
    pub fn subject_versions_of_id(&self, id: u32) -> Result<Vec<(String, i32)>, ApiError> {
        let found: Vec<(String, i32)> = self
            .subjects
            .values()
            .flat_map(|versions| versions.values())
            .filter(|version| version.id == id && !version.deleted)
            .map(|version| (version.subject.clone(), version.version))
            .collect();
        if found.is_empty() {
            return Err(ApiError::schema_not_found());
        }
        Ok(found)
    }

    /// The subject's version holding `submitted` (40401, 40403).
    pub fn lookup(
        &self,
        subject: &str,
        submitted: &SubmittedSchema,
    ) -> Result<&SchemaVersion, ApiError> {
        let mut live = self.live(subject).peekable();
        if live.peek().is_none() {
            return Err(ApiError::subject_not_found(subject));
        }
        live.find(|version| same_schema(version, submitted))
            .ok_or_else(ApiError::schema_not_found)
    }

    /// The level in force for `subject`: its own, else the global one.
    pub fn level(&self, subject: Option<&str>) -> CompatibilityLevel {
        subject
            .and_then(|subject| self.subject_levels.get(subject).copied())
            .or(self.global_level)
            .unwrap_or_default()
    }

    /// The subject's own level, if one is set.
    pub fn subject_level(&self, subject: &str) -> Option<CompatibilityLevel> {
        self.subject_levels.get(subject).copied()
    }

    /// Why `submitted` is incompatible under the subject's level with its
    /// versions (all, or only the one `against` names); empty when compatible.
    pub fn incompatibilities(
        &self,
        subject: &str,
        submitted: &SubmittedSchema,
        against: Option<VersionSelector>,
    ) -> Result<Vec<String>, ApiError> {
        validate(submitted)?;
        let previous: Vec<&SchemaVersion> = match against {
            Some(selector) => vec![self.version(subject, selector)?],
            None => self.live(subject).collect(),
        };
        let texts: Vec<&str> = previous
            .iter()
            .filter(|version| {
                version.schema_type == submitted.schema_type && version.references.is_empty()
            })
            .map(|version| version.schema.as_str())
            .collect();
        let mut reasons = Vec::new();
        if previous
            .iter()
            .any(|version| version.schema_type != submitted.schema_type)
            && self.level(Some(subject)) != CompatibilityLevel::None
        {
            reasons.push(format!(
                "the subject holds schemas of another type than {:?}",
                submitted.schema_type
            ));
        }
        if submitted.references.is_empty() {
            let level = match against {
                // One named version: check it alone, without transitivity.
                Some(_) => self.level(Some(subject)).non_transitive(),
                None => self.level(Some(subject)),
            };
            reasons.extend(compatibility::check(
                level,
                submitted.schema_type,
                &submitted.schema,
                &texts,
            ));
        }
        Ok(reasons)
    }

    /// Plans registering `submitted` under `subject`: its existing id, or the
    /// new version to append (409 when incompatible, 42201 when invalid).
    pub fn plan_registration(
        &self,
        subject: &str,
        submitted: SubmittedSchema,
    ) -> Result<Registration, ApiError> {
        validate(&submitted)?;
        if let Some(existing) = self
            .live(subject)
            .find(|version| same_schema(version, &submitted))
        {
            return Ok(Registration::Existing(existing.id));
        }
        let reasons = self.incompatibilities(subject, &submitted, None)?;
        if !reasons.is_empty() {
            return Err(ApiError::incompatible(subject, &reasons));
        }
        let all = || {
            self.subjects
                .values()
                .flat_map(|versions| versions.values())
        };
        let id = all()
            .find(|version| same_schema(version, &submitted))
            .map(|version| version.id)
            .unwrap_or_else(|| all().map(|version| version.id).max().unwrap_or(0) + 1);
        let version = self
            .subjects
            .get(subject)
            .and_then(|versions| versions.keys().next_back().copied())
            .unwrap_or(0)
            + 1;
        Ok(Registration::New(SchemaVersion {
            subject: subject.to_string(),
            version,
            id,
            schema: submitted.schema,
            schema_type: submitted.schema_type,
            references: submitted.references,
            deleted: false,
        }))
    }

    /// The records soft-deleting (or, `permanent`, removing) a subject's
    /// versions; a permanent delete needs them soft-deleted first, as Confluent's
    /// registry does (40401 when nothing is there, 40405 otherwise).
    pub fn plan_subject_deletion(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<(Vec<i32>, Vec<LogRecord>), ApiError> {
        let versions = self
            .subjects
            .get(subject)
            .filter(|versions| !versions.is_empty());
        let Some(versions) = versions else {
            return Err(ApiError::subject_not_found(subject));
        };
        if permanent {
            if versions.values().any(|version| !version.deleted) {
                return Err(ApiError::not_soft_deleted(subject));
            }
            let numbers: Vec<i32> = versions.keys().copied().collect();
            let records = numbers
                .iter()
                .map(|&version| LogRecord::Schema {
                    subject: subject.to_string(),
                    version,
                    value: None,
                })
                .collect();
            return Ok((numbers, records));
        }
        let live: Vec<&SchemaVersion> = versions
            .values()
            .filter(|version| !version.deleted)
            .collect();
        if live.is_empty() {
            return Err(ApiError::subject_not_found(subject));
        }
        let numbers = live.iter().map(|version| version.version).collect();
        let records = live
            .into_iter()
            .map(|version| LogRecord::Schema {
                subject: subject.to_string(),
                version: version.version,
                value: Some(SchemaVersion {
                    deleted: true,
                    ..version.clone()
                }),
            })
            .collect();
        Ok((numbers, records))
    }
}
