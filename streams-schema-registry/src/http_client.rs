//! A Confluent Schema Registry REST client on `ureq` (blocking HTTP, no runtime
//! of its own), caching what the registry never changes: the id of a schema
//! registered under a subject, and the schema of an id.

use crate::{
    RegisteredSchema, RegistryError, Schema, SchemaReference, SchemaRegistryClient, SchemaType,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// A client of one registry URL (`http://host:8081`), with basic authentication
/// when the registry needs it.
///
/// ```
/// use std::time::Duration;
/// use streams_schema_registry::HttpSchemaRegistryClient;
/// let client = HttpSchemaRegistryClient::new("http://localhost:8081/")
///     .with_timeout(Duration::from_secs(5))
///     .with_basic_auth("user", "secret");
/// assert_eq!(client.url(), "http://localhost:8081");
/// ```
pub struct HttpSchemaRegistryClient {
    url: String,
    agent: ureq::Agent,
    authorization: Option<String>,
    registered: Mutex<HashMap<(String, Schema), u32>>,
    by_id: Mutex<HashMap<u32, Schema>>,
}

/// The request body of registrations and look-ups.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SchemaRequest<'a> {
    schema: &'a str,
    #[serde(skip_serializing_if = "is_avro")]
    schema_type: SchemaType,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [SchemaReference],
}

fn is_avro(schema_type: &SchemaType) -> bool {
    *schema_type == SchemaType::Avro
}

/// A schema in an answer (`GET /schemas/ids/{id}`, versions, look-ups).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaResponse {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    id: u32,
    #[serde(default)]
    version: i32,
    schema: String,
    #[serde(default)]
    schema_type: SchemaType,
    #[serde(default)]
    references: Vec<SchemaReference>,
}

impl SchemaResponse {
    fn schema(self) -> Schema {
        Schema {
            schema: self.schema,
            schema_type: self.schema_type,
            references: self.references,
        }
    }

    fn registered(self) -> RegisteredSchema {
        RegisteredSchema {
            subject: self.subject.clone(),
            id: self.id,
            version: self.version,
            schema: self.schema(),
        }
    }
}

#[derive(Deserialize)]
struct IdResponse {
    id: u32,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error_code: i64,
    message: String,
}

/// One path segment, percent-encoded (subjects may hold `/`, as Protobuf
/// import paths do).
fn encode_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

impl HttpSchemaRegistryClient {
    /// A client of the registry at `url`, with a 30 s timeout per request.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_string(),
            agent: Self::agent(Duration::from_secs(30)),
            authorization: None,
            registered: Mutex::new(HashMap::new()),
            by_id: Mutex::new(HashMap::new()),
        }
    }

    fn agent(timeout: Duration) -> ureq::Agent {
        ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into()
    }

    /// Bounds every request (connect, send, answer) by `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.agent = Self::agent(timeout);
        self
    }

    /// Authenticates with HTTP basic authentication (Confluent's
    /// `basic.auth.user.info`).
    pub fn with_basic_auth(mut self, user: &str, password: &str) -> Self {
        use base64::Engine;
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.authorization = Some(format!("Basic {credentials}"));
        self
    }

    /// The registry's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends a request and reads a successful answer as `T`, or the registry's
    /// error as [`RegistryError::Rejected`].
    fn call<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&SchemaRequest<'_>>,
        what: impl Fn() -> String,
    ) -> Result<T, RegistryError> {
        let url = format!("{}{path}", self.url);
        let unreachable = |source: ureq::Error| RegistryError::Unreachable {
            url: url.clone(),
            what: what(),
            source: Box::new(source),
        };
        let response = match body {
            Some(body) => {
                let mut request = self
                    .agent
                    .post(&url)
                    .header("Content-Type", CONTENT_TYPE)
                    .header("Accept", CONTENT_TYPE);
                if let Some(authorization) = &self.authorization {
                    request = request.header("Authorization", authorization);
                }
                request.send_json(body)
            }
            None => {
                let mut request = self.agent.get(&url).header("Accept", CONTENT_TYPE);
                if let Some(authorization) = &self.authorization {
                    request = request.header("Authorization", authorization);
                }
                request.call()
            }
        };
        let mut response = response.map_err(unreachable)?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(unreachable)?;
        let unexpected = |detail: String| RegistryError::UnexpectedResponse {
            url: url.clone(),
            what: what(),
            detail,
        };
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|e| {
                unexpected(format!(
                    "HTTP {status} with an unreadable body ({e}): {text}"
                ))
            });
        }
        match serde_json::from_str::<ErrorResponse>(&text) {
            Ok(error) => Err(RegistryError::Rejected {
                what: what(),
                status,
                error_code: error.error_code,
                message: error.message,
            }),
            Err(_) => Err(unexpected(format!("HTTP {status}: {text}"))),
        }
    }
}

fn request(schema: &Schema) -> SchemaRequest<'_> {
    SchemaRequest {
        schema: &schema.schema,
        schema_type: schema.schema_type,
        references: &schema.references,
    }
}

impl SchemaRegistryClient for HttpSchemaRegistryClient {
    fn register(&self, subject: &str, schema: &Schema) -> Result<u32, RegistryError> {
        let key = (subject.to_string(), schema.clone());
        if let Some(&id) = self
            .registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(id);
        }
        let answer: IdResponse = self.call(
            &format!("/subjects/{}/versions", encode_segment(subject)),
            Some(&request(schema)),
            || {
                format!(
                    "registering a {} schema under subject '{subject}'",
                    schema.schema_type.as_str()
                )
            },
        )?;
        self.registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, answer.id);
        Ok(answer.id)
    }

    fn lookup(&self, subject: &str, schema: &Schema) -> Result<RegisteredSchema, RegistryError> {
        let answer: SchemaResponse = self.call(
            &format!("/subjects/{}", encode_segment(subject)),
            Some(&request(schema)),
            || {
                format!(
                    "looking up a {} schema under subject '{subject}'",
                    schema.schema_type.as_str()
                )
            },
        )?;
        let mut registered = answer.registered();
        // A look-up answers the schema text without its type.
        registered.schema.schema_type = schema.schema_type;
        Ok(registered)
    }

    fn latest(&self, subject: &str) -> Result<RegisteredSchema, RegistryError> {
        let answer: SchemaResponse = self.call(
            &format!("/subjects/{}/versions/latest", encode_segment(subject)),
            None,
            || format!("the latest version of subject '{subject}'"),
        )?;
        Ok(answer.registered())
    }

    fn schema_by_id(&self, id: u32) -> Result<Schema, RegistryError> {
        if let Some(schema) = self
            .by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Ok(schema.clone());
        }
        let answer: SchemaResponse = self.call(&format!("/schemas/ids/{id}"), None, || {
            format!("schema id {id}")
        })?;
        let schema = answer.schema();
        self.by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, schema.clone());
        Ok(schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_percent_encoded_as_one_path_segment() {
        assert_eq!(encode_segment("orders-value"), "orders-value");
        assert_eq!(
            encode_segment("google/protobuf/timestamp.proto"),
            "google%2Fprotobuf%2Ftimestamp.proto"
        );
    }

    #[test]
    fn an_unreachable_registry_is_a_typed_error_naming_the_subject() {
        // Port 9 (discard) on loopback refuses connections on a machine without it.
        let client = HttpSchemaRegistryClient::new("http://127.0.0.1:9")
            .with_timeout(Duration::from_secs(5));
        let schema = Schema::new(SchemaType::Avro, r#""string""#);
        let error = client.register("orders-value", &schema).unwrap_err();
        assert!(
            matches!(error, RegistryError::Unreachable { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("orders-value"), "{error}");
    }
}
