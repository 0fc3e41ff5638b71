//! The routes: what each path answers, from the instance's state, metrics,
//! topology and registered stores.

use crate::stores::{QueryFailure, QueryableStore};
use crate::svg::render_svg;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use streams_core::runtime::{KafkaStreams, StreamsState};

/// What every route reads.
pub(crate) struct Shared {
    pub(crate) streams: Arc<KafkaStreams>,
    pub(crate) stores: HashMap<String, Box<dyn QueryableStore>>,
}

type AppState = Arc<Shared>;

pub(crate) fn router(shared: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/topology", get(topology))
        .route("/stores/{store}/keys/{key}", get(store_key))
        .route("/stores/{store}/all", get(store_all))
        .route("/stores/{store}/range", get(store_range))
        .fallback(not_found)
        .with_state(shared)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    json_response(status, json!({ "error": message.to_string() }))
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "no such resource; try /metrics, /health, /ready, /topology or /stores/{store}/keys/{key}",
    )
}

async fn metrics(State(shared): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.streams.metrics_registry().encode(),
    )
        .into_response()
}

fn state_body(state: StreamsState) -> Value {
    json!({ "state": format!("{state:?}") })
}

async fn health(State(shared): State<AppState>) -> Response {
    let state = shared.streams.state();
    let alive = matches!(
        state,
        StreamsState::Created | StreamsState::Rebalancing | StreamsState::Running
    );
    let status = if alive {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(status, state_body(state))
}

/// Ready: Running, which the runtime reaches once every thread has its tasks
/// and restored their state.
async fn ready(State(shared): State<AppState>) -> Response {
    let state = shared.streams.state();
    let status = if state == StreamsState::Running {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(status, state_body(state))
}

async fn topology(
    State(shared): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let description = shared.streams.topology().describe();
    let text =
        |body: String, kind: &'static str| ([(header::CONTENT_TYPE, kind)], body).into_response();
    match params.get("format").map(String::as_str).unwrap_or("text") {
        "text" => text(description.to_string(), "text/plain; charset=utf-8"),
        "mermaid" => text(description.to_mermaid(), "text/plain; charset=utf-8"),
        "dot" => text(description.to_dot(), "text/vnd.graphviz; charset=utf-8"),
        "svg" => {
            let dot = description.to_dot();
            match tokio::task::spawn_blocking(move || render_svg(&dot)).await {
                Ok(Ok(svg)) => text(svg, "image/svg+xml"),
                Ok(Err(reason)) => error(StatusCode::NOT_IMPLEMENTED, reason),
                Err(join) => error(StatusCode::INTERNAL_SERVER_ERROR, join),
            }
        }
        other => error(
            StatusCode::BAD_REQUEST,
            format!("unknown format '{other}'; use text, mermaid, dot or svg"),
        ),
    }
}

/// Runs a store query off the async threads (queries wait for the stream
/// thread that owns the task).
async fn query(
    shared: AppState,
    store: String,
    run: impl FnOnce(&dyn QueryableStore, &KafkaStreams) -> Result<Option<Value>, QueryFailure>
    + Send
    + 'static,
) -> Response {
    let answer = tokio::task::spawn_blocking(move || match shared.stores.get(&store) {
        None => Err(QueryFailure::NotRegistered(store)),
        Some(found) => run(found.as_ref(), &shared.streams),
    })
    .await;
    match answer {
        Ok(Ok(Some(value))) => json_response(StatusCode::OK, value),
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, "no such key"),
        Ok(Err(QueryFailure::BadKey(message))) => error(StatusCode::BAD_REQUEST, message),
        Ok(Err(QueryFailure::NotRegistered(store))) => error(
            StatusCode::NOT_FOUND,
            format!("no queryable store '{store}' is registered with the endpoint"),
        ),
        Ok(Err(QueryFailure::Unavailable(message))) => {
            error(StatusCode::SERVICE_UNAVAILABLE, message)
        }
        Err(join) => error(StatusCode::INTERNAL_SERVER_ERROR, join),
    }
}

async fn store_key(
    State(shared): State<AppState>,
    Path((store, key)): Path<(String, String)>,
) -> Response {
    query(shared, store, move |found, streams| {
        found.get(streams, &key)
    })
    .await
}

async fn store_all(State(shared): State<AppState>, Path(store): Path<String>) -> Response {
    query(shared, store, |found, streams| found.all(streams).map(Some)).await
}

async fn store_range(
    State(shared): State<AppState>,
    Path(store): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (Some(from), Some(to)) = (params.get("from").cloned(), params.get("to").cloned()) else {
        return error(StatusCode::BAD_REQUEST, "give both ?from= and &to= keys");
    };
    query(shared, store, move |found, streams| {
        found.range(streams, &from, &to).map(Some)
    })
    .await
}
