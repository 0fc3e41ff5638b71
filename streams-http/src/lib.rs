//! An optional HTTP endpoint for one running instance, on axum:
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /metrics` | every metric in the Prometheus/OpenMetrics text format |
//! | `GET /health` | 200 while the instance is alive (created, rebalancing, running), else 503 |
//! | `GET /ready` | 200 once it is running with every active task restored, else 503 |
//! | `GET /topology` | the topology as text; `?format=mermaid`, `dot` or `svg` |
//! | `GET /stores/{store}/keys/{key}` | one entry of a registered key-value store, JSON |
//! | `GET /stores/{store}/all` | this instance's entries, JSON `[{"key":..,"value":..}]` |
//! | `GET /stores/{store}/range?from=..&to=..` | the entries between two keys |
//!
//! SVG comes from Graphviz's `dot` when it is on the `PATH` (501 naming what to
//! install otherwise): a pure-Rust layout engine would add a large dependency
//! for a picture `dot` draws better; Mermaid needs nothing on the server.
//!
//! Users who do not want an HTTP server do not depend on this crate.
//!
//! ```no_run
//! use std::sync::Arc;
//! use streams_http::HttpEndpoint;
//! # fn streams() -> streams_core::runtime::KafkaStreams { unimplemented!() }
//! let streams = Arc::new(streams());
//! let endpoint = HttpEndpoint::builder()
//!     .key_value_store::<String, i64>("word-counts")
//!     .start(streams.clone(), "127.0.0.1:8080")?;
//! println!("serving on http://{}", endpoint.address());
//! // ...
//! endpoint.stop();
//! # Ok::<(), streams_http::HttpError>(())
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod client;
mod endpoint;
mod error;
mod routes;
mod stores;
mod svg;

pub use client::{HttpResponse, get};
pub use endpoint::{HttpEndpoint, HttpEndpointBuilder};
pub use error::HttpError;
pub use stores::QueryableStore;
