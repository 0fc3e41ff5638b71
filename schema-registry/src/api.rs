//! The REST API of Confluent's Schema Registry that clients use: subjects and
//! versions, schemas by id, compatibility levels (global and per subject) and
//! compatibility checks, with Confluent's bodies and error codes.

use crate::api_error::ApiError;
use crate::compatibility::CompatibilityLevel;
use crate::model::{LogRecord, SchemaReference, SchemaType, SchemaVersion};
use crate::schema_log::SchemaLog;
use crate::state::{Registration, RegistryState, SubmittedSchema, VersionSelector};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// What the handlers share: the state, and the log its changes go to (one
/// change at a time, so plans never race).
pub struct Registry {
    state: RwLock<RegistryState>,
    log: SchemaLog,
    writes: tokio::sync::Mutex<()>,
}

impl Registry {
    /// A registry serving `state` and appending changes to `log`.
    pub fn new(state: RegistryState, log: SchemaLog) -> Self {
        Self {
            state: RwLock::new(state),
            log,
            writes: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> RwLockReadGuard<'_, RegistryState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends the records, then applies them.
    async fn commit(&self, records: Vec<LogRecord>) -> Result<(), ApiError> {
        for record in records {
            self.log.append(&record).await.map_err(ApiError::store)?;
            self.state
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .apply(record);
        }
        Ok(())
    }
}

type Shared = State<Arc<Registry>>;
type Answer = Result<axum::response::Response, ApiError>;
type Params = Query<HashMap<String, String>>;

/// A JSON body with the registry's content type.
pub(crate) fn json_body(value: &Value) -> impl IntoResponse + use<> {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], value.to_string())
}

fn ok(value: Value) -> Answer {
    Ok(json_body(&value).into_response())
}

fn flag(params: &HashMap<String, String>, name: &str) -> bool {
    params.get(name).is_some_and(|value| value == "true")
}

/// The body of registrations, look-ups and compatibility checks.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaRequest {
    schema: String,
    #[serde(default)]
    schema_type: SchemaType,
    #[serde(default)]
    references: Vec<SchemaReference>,
}

fn submitted(body: &Bytes) -> Result<SubmittedSchema, ApiError> {
    let request: SchemaRequest = serde_json::from_slice(body).map_err(ApiError::bad_request)?;
    Ok(SubmittedSchema {
        schema: request.schema,
        schema_type: request.schema_type,
        references: request.references,
    })
}

fn version_json(version: &SchemaVersion) -> Value {
    let mut body = json!({
        "subject": version.subject,
        "version": version.version,
        "id": version.id,
        "schema": version.schema,
    });
    schema_type_and_references(version, &mut body);
    body
}

fn schema_type_and_references(version: &SchemaVersion, body: &mut Value) {
    if !version.schema_type.is_avro() {
        body["schemaType"] = json!(version.schema_type);
    }
    if !version.references.is_empty() {
        body["references"] = json!(version.references);
    }
}

/// The routes.
pub fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/", get(|| async { ok(json!({})) }))
        .route(
            "/schemas/types",
            get(|| async { ok(json!(["JSON", "PROTOBUF", "AVRO"])) }),
        )
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(raw_schema_by_id))
        .route("/schemas/ids/{id}/versions", get(versions_of_id))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route("/subjects/{subject}/versions/{version}", get(version))
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(raw_version),
        )
        .route("/config", get(global_config).put(set_global_config))
        .route(
            "/config/{subject}",
            get(subject_config)
                .put(set_subject_config)
                .delete(delete_subject_config),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(check_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(check_version),
        )
        .route("/mode", get(|| async { ok(json!({"mode": "READWRITE"})) }))
        .with_state(registry)
}

fn parse_id(id: &str) -> Result<u32, ApiError> {
    id.parse().map_err(|_| ApiError::schema_not_found())
}

async fn schema_by_id(State(registry): Shared, Path(id): Path<String>) -> Answer {
    let state = registry.state();
    let version = state.schema_by_id(parse_id(&id)?)?;
    let mut body = json!({"schema": version.schema});
    schema_type_and_references(version, &mut body);
    ok(body)
}

async fn raw_schema_by_id(State(registry): Shared, Path(id): Path<String>) -> Answer {
    let state = registry.state();
    Ok(state
        .schema_by_id(parse_id(&id)?)?
        .schema
        .clone()
        .into_response())
}

async fn versions_of_id(State(registry): Shared, Path(id): Path<String>) -> Answer {
    let found = registry.state().subject_versions_of_id(parse_id(&id)?)?;
    ok(found
        .into_iter()
        .map(|(subject, version)| json!({"subject": subject, "version": version}))
        .collect())
}

async fn subjects(State(registry): Shared, Query(params): Params) -> Answer {
    ok(json!(registry.state().subjects(flag(&params, "deleted"))))
}

async fn versions(
    State(registry): Shared,
    Path(subject): Path<String>,
    Query(params): Params,
) -> Answer {
    ok(json!(
        registry
            .state()
            .versions(&subject, flag(&params, "deleted"))?
    ))
}

async fn version(
    State(registry): Shared,
    Path((subject, version)): Path<(String, String)>,
) -> Answer {
    let selector = VersionSelector::parse(&version)?;
    ok(version_json(registry.state().version(&subject, selector)?))
}

async fn raw_version(
    State(registry): Shared,
    Path((subject, version)): Path<(String, String)>,
) -> Answer {
    let selector = VersionSelector::parse(&version)?;
    Ok(registry
        .state()
        .version(&subject, selector)?
        .schema
        .clone()
        .into_response())
}

async fn lookup(State(registry): Shared, Path(subject): Path<String>, body: Bytes) -> Answer {
    let submitted = submitted(&body)?;
    ok(version_json(registry.state().lookup(&subject, &submitted)?))
}

async fn register(State(registry): Shared, Path(subject): Path<String>, body: Bytes) -> Answer {
    let submitted = submitted(&body)?;
    let _write = registry.writes.lock().await;
    let plan = registry.state().plan_registration(&subject, submitted)?;
    match plan {
        Registration::Existing(id) => ok(json!({"id": id})),
        Registration::New(version) => {
            let id = version.id;
            tracing::info!(subject, version = version.version, id, "schema registered");
            registry
                .commit(vec![LogRecord::Schema {
                    subject: subject.clone(),
                    version: version.version,
                    value: Some(version),
                }])
                .await?;
            ok(json!({"id": id}))
        }
    }
}

async fn delete_subject(
    State(registry): Shared,
    Path(subject): Path<String>,
    Query(params): Params,
) -> Answer {
    let _write = registry.writes.lock().await;
    let (versions, records) = registry
        .state()
        .plan_subject_deletion(&subject, flag(&params, "permanent"))?;
    registry.commit(records).await?;
    ok(json!(versions))
}

/// The body of `PUT /config`.
#[derive(Deserialize)]
struct ConfigRequest {
    compatibility: String,
}

fn level_json(level: CompatibilityLevel) -> Value {
    json!({"compatibilityLevel": level})
}

async fn global_config(State(registry): Shared) -> Answer {
    ok(level_json(registry.state().level(None)))
}

async fn subject_config(
    State(registry): Shared,
    Path(subject): Path<String>,
    Query(params): Params,
) -> Answer {
    let state = registry.state();
    match state.subject_level(&subject) {
        Some(level) => ok(level_json(level)),
        None if flag(&params, "defaultToGlobal") => ok(level_json(state.level(None))),
        None => Err(ApiError::subject_level_not_configured(&subject)),
    }
}

async fn set_config(registry: &Registry, subject: Option<String>, body: &Bytes) -> Answer {
    let request: ConfigRequest = serde_json::from_slice(body).map_err(ApiError::bad_request)?;
    let level = CompatibilityLevel::parse(&request.compatibility.to_uppercase())
        .ok_or_else(|| ApiError::invalid_compatibility_level(&request.compatibility))?;
    let _write = registry.writes.lock().await;
    registry
        .commit(vec![LogRecord::Config {
            subject,
            level: Some(level),
        }])
        .await?;
    ok(json!({"compatibility": level}))
}

async fn set_global_config(State(registry): Shared, body: Bytes) -> Answer {
    set_config(&registry, None, &body).await
}

async fn set_subject_config(
    State(registry): Shared,
    Path(subject): Path<String>,
    body: Bytes,
) -> Answer {
    set_config(&registry, Some(subject), &body).await
}

async fn delete_subject_config(State(registry): Shared, Path(subject): Path<String>) -> Answer {
    let _write = registry.writes.lock().await;
    let previous = registry
        .state()
        .subject_level(&subject)
        .ok_or_else(|| ApiError::subject_not_found(&subject))?;
    registry
        .commit(vec![LogRecord::Config {
            subject: Some(subject),
            level: None,
        }])
        .await?;
    ok(level_json(previous))
}

fn compatibility_answer(reasons: Vec<String>, params: &HashMap<String, String>) -> Answer {
    let mut body = json!({"is_compatible": reasons.is_empty()});
    if flag(params, "verbose") {
        body["messages"] = json!(reasons);
    }
    ok(body)
}

async fn check_all(
    State(registry): Shared,
    Path(subject): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Answer {
    let submitted = submitted(&body)?;
    let reasons = registry
        .state()
        .incompatibilities(&subject, &submitted, None)?;
    compatibility_answer(reasons, &params)
}

async fn check_version(
    State(registry): Shared,
    Path((subject, version)): Path<(String, String)>,
    Query(params): Params,
    body: Bytes,
) -> Answer {
    let submitted = submitted(&body)?;
    let selector = VersionSelector::parse(&version)?;
    let reasons = registry
        .state()
        .incompatibilities(&subject, &submitted, Some(selector))?;
    compatibility_answer(reasons, &params)
}
