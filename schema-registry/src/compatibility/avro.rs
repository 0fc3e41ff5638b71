//! Avro compatibility: apache-avro's check that a reader schema can read what a
//! writer schema wrote (Avro's schema resolution rules).

use apache_avro::Schema;
use apache_avro::schema_compatibility::SchemaCompatibility;

/// Why `reader` cannot read data written with `writer`; empty when it can.
/// Schemas that do not parse were refused at registration, so a parse failure
/// here is reported as a reason rather than ignored.
pub(super) fn can_read(writer: &str, reader: &str) -> Vec<String> {
    let parse = |text: &str| Schema::parse_str(text).map_err(|e| format!("unparsable schema: {e}"));
    match (parse(writer), parse(reader)) {
        (Ok(writer), Ok(reader)) => match SchemaCompatibility::can_read(&writer, &reader) {
            Ok(()) => Vec::new(),
            Err(error) => vec![error_chain(&error)],
        },
        (Err(error), _) | (_, Err(error)) => vec![error],
    }
}

/// The error and its causes, so a field's type mismatch says why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
