//! JSON Schema compatibility, following the rules Confluent documents: a reader
//! schema reads what a writer schema wrote when every document the writer
//! accepts, the reader accepts too. Covered:
//!
//! - `type`: the reader's types must include the writer's (`integer` widens to
//!   `number`, not back);
//! - objects: a property the reader requires must be required by the writer; a
//!   property both declare is checked recursively; a property only the reader
//!   declares needs a writer with a closed content model
//!   (`additionalProperties: false`), or a writer `additionalProperties` schema
//!   the property reads; a property only the writer declares needs a reader
//!   whose `additionalProperties` accepts it (open, or a schema reading it); a
//!   reader that closes a writer's open content model refuses;
//! - `enum` values and `const` (the reader's must include the writer's),
//!   array `items`, string `maxLength`/`minLength`/`pattern`, number
//!   `maximum`/`minimum`/`exclusiveMaximum`/`exclusiveMinimum`;
//! - boolean schemas (`true` reads anything, `false` nothing).
//!
//! Other keywords (`$ref` and `$defs`, `format`, `oneOf`, `anyOf`, `allOf`, `not`, `if`,
//! `patternProperties`, ...) must be unchanged between the two schemas;
//! changing them is reported as incompatible rather than guessed at.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Why `reader` does not read every document `writer` accepts; empty when it does.
pub fn can_read(writer: &str, reader: &str) -> Vec<String> {
    match (serde_json::from_str(writer), serde_json::from_str(reader)) {
        (Ok(writer), Ok(reader)) => {
            let mut reasons = Vec::new();
            check(&writer, &reader, "#", &mut reasons);
            reasons
        }
        _ => vec!["a schema is not valid JSON".to_string()],
    }
}

/// Keywords this checker compares; any other keyword must be unchanged.
const CHECKED: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "items",
    "maxLength",
    "minLength",
    "pattern",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "title",
    "description",
    "$schema",
    "$id",
    "default",
    "examples",
    "$comment",
];

fn check(writer: &Value, reader: &Value, path: &str, reasons: &mut Vec<String>) {
    match (writer, reader) {
        (_, Value::Bool(true)) | (Value::Bool(false), _) => {}
        (_, Value::Bool(false)) => reasons.push(format!(
            "SCHEMA_NARROWED at {path}: the reader accepts nothing"
        )),
        (Value::Bool(true), Value::Object(reader)) => {
            if !reader.keys().all(|k| is_annotation(k)) {
                reasons.push(format!(
                    "SCHEMA_NARROWED at {path}: the writer accepted anything"
                ));
            }
        }
        (Value::Object(writer), Value::Object(reader)) => {
            check_objects(writer, reader, path, reasons)
        }
        _ => reasons.push(format!(
            "at {path}: a schema must be an object or a boolean"
        )),
    }
}

fn is_annotation(keyword: &str) -> bool {
    matches!(
        keyword,
        "title" | "description" | "$schema" | "$id" | "default" | "examples" | "$comment"
    )
}

fn check_objects(
    writer: &Map<String, Value>,
    reader: &Map<String, Value>,
    path: &str,
    reasons: &mut Vec<String>,
) {
    for keyword in writer.keys().chain(reader.keys()).collect::<BTreeSet<_>>() {
        if !CHECKED.contains(&keyword.as_str()) && writer.get(keyword) != reader.get(keyword) {
            reasons.push(format!(
                "UNCHECKED_KEYWORD_CHANGED at {path}: '{keyword}' changed, which this registry does not compare"
            ));
        }
    }
    check_types(writer, reader, path, reasons);
    check_enum(writer, reader, path, reasons);
    check_bounds(writer, reader, path, reasons);
    if let Some(reader_items) = reader.get("items") {
        let writer_items = writer.get("items").unwrap_or(&Value::Bool(true));
        check(
            writer_items,
            reader_items,
            &format!("{path}/items"),
            reasons,
        );
    }
    if has_type(writer, "object")
        || writer.contains_key("properties")
        || reader.contains_key("properties")
    {
        check_properties(writer, reader, path, reasons);
    }
}

/// The types a schema allows; `None` when it does not say (any type).
fn types(schema: &Map<String, Value>) -> Option<BTreeSet<String>> {
    match schema.get("type")? {
        Value::String(name) => Some(BTreeSet::from([name.clone()])),
        Value::Array(names) => Some(
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

fn has_type(schema: &Map<String, Value>, name: &str) -> bool {
    types(schema).is_some_and(|types| types.contains(name))
}

fn check_types(
    writer: &Map<String, Value>,
    reader: &Map<String, Value>,
    path: &str,
    reasons: &mut Vec<String>,
) {
    let Some(reader_types) = types(reader) else {
        return;
    };
    let Some(writer_types) = types(writer) else {
        reasons.push(format!(
            "TYPE_NARROWED at {path}: the reader limits the type to {reader_types:?}"
        ));
        return;
    };
    for writer_type in &writer_types {
        let read = reader_types.contains(writer_type)
            || (writer_type == "integer" && reader_types.contains("number"));
        if !read {
            reasons.push(format!(
                "TYPE_CHANGED at {path}: the writer's type '{writer_type}' is not among the reader's {reader_types:?}"
            ));
        }
    }
}

fn check_enum(
    writer: &Map<String, Value>,
    reader: &Map<String, Value>,
    path: &str,
    reasons: &mut Vec<String>,
) {
    let allowed = |schema: &Map<String, Value>| -> Option<Vec<Value>> {
        match (schema.get("enum"), schema.get("const")) {
            (Some(Value::Array(values)), _) => Some(values.clone()),
            (_, Some(value)) => Some(vec![value.clone()]),
            _ => None,
        }
    };
    let Some(reader_values) = allowed(reader) else {
        return;
    };
    match allowed(writer) {
        None => reasons.push(format!(
            "ENUM_ARRAY_NARROWED at {path}: the reader limits values to an enum"
        )),
        Some(writer_values) => {
            for value in writer_values.iter().filter(|v| !reader_values.contains(v)) {
                reasons.push(format!(
                    "ENUM_ARRAY_NARROWED at {path}: the reader's enum lacks {value}"
                ));
            }
        }
    }
}

/// Upper bounds must not fall, lower bounds must not rise; a bound the reader
/// adds narrows it.
fn check_bounds(
    writer: &Map<String, Value>,
    reader: &Map<String, Value>,
    path: &str,
    reasons: &mut Vec<String>,
) {
    for (keyword, upper) in [
        ("maxLength", true),
        ("maximum", true),
        ("exclusiveMaximum", true),
        ("minLength", false),
        ("minimum", false),
        ("exclusiveMinimum", false),
    ] {
        let Some(reader_bound) = reader.get(keyword).and_then(Value::as_f64) else {
            continue;
        };
        let narrowed = match writer.get(keyword).and_then(Value::as_f64) {
            None => true,
            Some(writer_bound) if upper => reader_bound < writer_bound,
            Some(writer_bound) => reader_bound > writer_bound,
        };
        if narrowed {
            reasons.push(format!(
                "{}_NARROWED at {path}: the reader's {keyword} is stricter",
                keyword.to_uppercase()
            ));
        }
    }
    if reader.get("pattern").is_some() && reader.get("pattern") != writer.get("pattern") {
        reasons.push(format!(
            "PATTERN_CHANGED at {path}: the reader's pattern differs"
        ));
    }
}

fn required(schema: &Map<String, Value>) -> BTreeSet<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn properties(schema: &Map<String, Value>) -> Map<String, Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `additionalProperties` as a schema: absent is `true` (the open content model).
fn additional(schema: &Map<String, Value>) -> Value {
    schema
        .get("additionalProperties")
        .cloned()
        .unwrap_or(Value::Bool(true))
}

fn check_properties(
    writer: &Map<String, Value>,
    reader: &Map<String, Value>,
    path: &str,
    reasons: &mut Vec<String>,
) {
    let writer_required = required(writer);
    for name in required(reader).difference(&writer_required) {
        reasons.push(format!(
            "REQUIRED_PROPERTY_ADDED at {path}: '{name}' is required by the reader only"
        ));
    }
    let writer_properties = properties(writer);
    let reader_properties = properties(reader);
    let writer_additional = additional(writer);
    let reader_additional = additional(reader);
    for (name, reader_property) in &reader_properties {
        let property_path = format!("{path}/properties/{name}");
        match writer_properties.get(name) {
            Some(writer_property) => {
                check(writer_property, reader_property, &property_path, reasons)
            }
            None if writer_additional == Value::Bool(false) => {}
            None => {
                let mut inner = Vec::new();
                check(
                    &writer_additional,
                    reader_property,
                    &property_path,
                    &mut inner,
                );
                if !inner.is_empty() {
                    reasons.push(format!(
                        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at {property_path}: the writer's open content model may have written '{name}' with any value"
                    ));
                }
            }
        }
    }
    for (name, writer_property) in &writer_properties {
        if reader_properties.contains_key(name) {
            continue;
        }
        let property_path = format!("{path}/properties/{name}");
        let mut inner = Vec::new();
        check(
            writer_property,
            &reader_additional,
            &property_path,
            &mut inner,
        );
        if !inner.is_empty() {
            reasons.push(format!(
                "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at {property_path}: the reader no longer accepts '{name}'"
            ));
        }
    }
    let mut inner = Vec::new();
    check(
        &writer_additional,
        &reader_additional,
        &format!("{path}/additionalProperties"),
        &mut inner,
    );
    if !inner.is_empty() {
        reasons.push(format!(
            "ADDITIONAL_PROPERTIES_NARROWED at {path}: the reader accepts fewer undeclared properties than the writer"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compatible(writer: &str, reader: &str) -> bool {
        let reasons = can_read(writer, reader);
        reasons.is_empty()
    }

    const OPEN: &str =
        r#"{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}"#;
    const CLOSED: &str = r#"{"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":false}"#;

    #[test]
    fn adding_a_property_needs_a_closed_writer() {
        let added_open = r#"{"type":"object","properties":{"id":{"type":"string"},"n":{"type":"integer"}},"required":["id"]}"#;
        let added_closed = r#"{"type":"object","properties":{"id":{"type":"string"},"n":{"type":"integer"}},"required":["id"],"additionalProperties":false}"#;
        assert!(!compatible(OPEN, added_open));
        assert!(can_read(OPEN, added_open)[0].starts_with("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"));
        assert!(compatible(CLOSED, added_closed));
        // The other direction: an open reader reads data with the extra property.
        assert!(compatible(added_open, OPEN));
        assert!(!compatible(added_closed, CLOSED));
    }

    #[test]
    fn required_types_and_enums_narrowing_are_refused_and_widening_allowed() {
        let requires_more = r#"{"type":"object","properties":{"id":{"type":"string"},"n":{"type":"integer"}},"required":["id","n"],"additionalProperties":false}"#;
        assert!(!compatible(CLOSED, requires_more));
        let as_number = r#"{"type":"object","properties":{"n":{"type":"number"}}}"#;
        let as_integer = r#"{"type":"object","properties":{"n":{"type":"integer"}}}"#;
        assert!(compatible(as_integer, as_number));
        assert!(!compatible(as_number, as_integer));
        let small_enum = r#"{"enum":["a","b"]}"#;
        let big_enum = r#"{"enum":["a","b","c"]}"#;
        assert!(compatible(small_enum, big_enum));
        assert!(!compatible(big_enum, small_enum));
        assert!(!compatible(
            r#"{"type":"string"}"#,
            r#"{"type":"string","maxLength":5}"#
        ));
        assert!(compatible(
            r#"{"type":"string","maxLength":5}"#,
            r#"{"type":"string","maxLength":9}"#
        ));
        assert!(!compatible(
            r#"{"type":"array","items":{"type":"number"}}"#,
            r#"{"type":"array","items":{"type":"integer"}}"#
        ));
    }

    #[test]
    fn unchecked_keywords_must_stay_the_same() {
        let one_of = r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#;
        let other_one_of = r#"{"oneOf":[{"type":"string"}]}"#;
        assert!(compatible(one_of, one_of));
        assert!(can_read(one_of, other_one_of)[0].starts_with("UNCHECKED_KEYWORD_CHANGED"));
    }
}
