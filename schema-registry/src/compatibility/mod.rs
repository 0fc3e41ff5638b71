//! Compatibility levels and the checks behind them: a new schema against the
//! subject's latest version or, for the transitive levels, against all of them.
//! Avro uses apache-avro's reader/writer check; JSON Schema the rules in
//! [`json_schema`]; Protobuf schemas are stored without a check (see the README).

mod avro;
pub mod json_schema;

use crate::model::SchemaType;
use serde::{Deserialize, Serialize};

/// A compatibility level, as Confluent names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityLevel {
    /// No check.
    None,
    /// The new schema reads data of the latest version (the default).
    #[default]
    Backward,
    /// The new schema reads data of every version.
    BackwardTransitive,
    /// The latest version reads data of the new schema.
    Forward,
    /// Every version reads data of the new schema.
    ForwardTransitive,
    /// Backward and forward against the latest version.
    Full,
    /// Backward and forward against every version.
    FullTransitive,
}

impl CompatibilityLevel {
    /// Parses a level name (`BACKWARD`, `FULL_TRANSITIVE`, ...).
    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// The same direction checked against one version only.
    pub fn non_transitive(self) -> Self {
        match self {
            Self::BackwardTransitive => Self::Backward,
            Self::ForwardTransitive => Self::Forward,
            Self::FullTransitive => Self::Full,
            other => other,
        }
    }

    fn transitive(self) -> bool {
        matches!(
            self,
            Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive
        )
    }

    fn backward(self) -> bool {
        matches!(
            self,
            Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    fn forward(self) -> bool {
        matches!(
            self,
            Self::Forward | Self::ForwardTransitive | Self::Full | Self::FullTransitive
        )
    }
}

/// Whether a reader schema reads what a writer schema wrote: the reasons it
/// does not, empty when it does.
fn can_read(schema_type: SchemaType, writer: &str, reader: &str) -> Vec<String> {
    match schema_type {
        SchemaType::Avro => avro::can_read(writer, reader),
        SchemaType::Json => json_schema::can_read(writer, reader),
        SchemaType::Protobuf => Vec::new(),
    }
}

/// The reasons `new` is incompatible under `level` with `previous` (the
/// subject's versions of the same type, oldest first); empty when compatible.
pub fn check(
    level: CompatibilityLevel,
    schema_type: SchemaType,
    new: &str,
    previous: &[&str],
) -> Vec<String> {
    let against: &[&str] = if level.transitive() {
        previous
    } else {
        previous.last().map_or(&[], std::slice::from_ref)
    };
    let mut reasons = Vec::new();
    for old in against.iter().rev() {
        if level.backward() {
            for reason in can_read(schema_type, old, new) {
                reasons.push(format!(
                    "{{backward: new schema cannot read data of an earlier version: {reason}}}"
                ));
            }
        }
        if level.forward() {
            for reason in can_read(schema_type, new, old) {
                reasons.push(format!(
                    "{{forward: an earlier version cannot read data of the new schema: {reason}}}"
                ));
            }
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"string"}]}"#;
    const V2_WITH_DEFAULT: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"email","type":"string","default":""}]}"#;
    const V2_NO_DEFAULT: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"email","type":"string"}]}"#;
    const V3_DROPS_ID: &str = r#"{"type":"record","name":"User","fields":[{"name":"email","type":"string","default":""}]}"#;

    #[test]
    fn levels_parse_by_confluents_names() {
        assert_eq!(
            CompatibilityLevel::parse("FULL_TRANSITIVE"),
            Some(CompatibilityLevel::FullTransitive)
        );
        assert_eq!(
            CompatibilityLevel::parse("NONE"),
            Some(CompatibilityLevel::None)
        );
        assert_eq!(CompatibilityLevel::parse("SIDEWAYS"), None);
    }

    #[test]
    fn backward_allows_a_field_with_a_default_and_refuses_one_without() {
        let avro = SchemaType::Avro;
        assert!(check(CompatibilityLevel::Backward, avro, V2_WITH_DEFAULT, &[V1]).is_empty());
        let reasons = check(CompatibilityLevel::Backward, avro, V2_NO_DEFAULT, &[V1]);
        assert!(reasons.iter().any(|r| r.contains("email")), "{reasons:?}");
        // Adding a field without a default is forward compatible (old readers skip it).
        assert!(check(CompatibilityLevel::Forward, avro, V2_NO_DEFAULT, &[V1]).is_empty());
        assert!(!check(CompatibilityLevel::Full, avro, V2_NO_DEFAULT, &[V1]).is_empty());
        assert!(check(CompatibilityLevel::None, avro, V2_NO_DEFAULT, &[V1]).is_empty());
    }

    #[test]
    fn transitive_levels_check_every_version_and_the_others_only_the_latest() {
        let avro = SchemaType::Avro;
        // V3 drops `id` (no default in V1): readers of V3 read V2 fine, but a V1
        // reader cannot read V3 data (missing id), which FORWARD_TRANSITIVE sees.
        assert!(
            check(
                CompatibilityLevel::Forward,
                avro,
                V3_DROPS_ID,
                &[V1, V2_WITH_DEFAULT]
            )
            .len()
                == 1
        );
        assert!(
            check(
                CompatibilityLevel::ForwardTransitive,
                avro,
                V3_DROPS_ID,
                &[V1, V2_WITH_DEFAULT]
            )
            .len()
                == 2
        );
        assert!(
            check(
                CompatibilityLevel::Backward,
                avro,
                V3_DROPS_ID,
                &[V1, V2_WITH_DEFAULT]
            )
            .is_empty()
        );
    }
}
