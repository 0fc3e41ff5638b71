//! A tiny HTTP/1.1 endpoint over the order views: `GET /orders/{id}` and
//! `GET /orders`, answering JSON. Plain `std::net`, one connection at a time:
//! a demo endpoint needs no more, and no web framework (with its async
//! runtime) joins the build. Also a minimal client for the demo and tests.

use super::{ORDER_VIEWS_STORE, OrderView};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use streams_dsl::prelude::KafkaStreams;

/// How long the server waits for a client's request, and a client for the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A status code and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// JSON text.
    pub body: String,
}

impl HttpResponse {
    fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            body: body.to_string(),
        }
    }

    fn error(status: u16, message: impl std::fmt::Display) -> Self {
        Self::json(status, &serde_json::json!({ "error": message.to_string() }))
    }
}

/// Answers a request for `path`: one order's view, all views (by order id), or
/// an error (404 for an unknown order or path, 503 when the views cannot be
/// read here right now, e.g. while restoring or when another instance hosts it).
pub fn route(method: &str, path: &str, streams: &KafkaStreams) -> HttpResponse {
    if method != "GET" {
        return HttpResponse::error(405, format!("{method} is not supported; use GET"));
    }
    match path.trim_end_matches('/') {
        "/orders" => match streams.query_key_value_all::<String, OrderView>(ORDER_VIEWS_STORE) {
            Ok(mut views) => {
                views.sort_by(|a, b| a.0.cmp(&b.0));
                let views: Vec<serde_json::Value> =
                    views.iter().map(|(_, view)| view.to_json()).collect();
                HttpResponse::json(200, &serde_json::Value::Array(views))
            }
            Err(error) => HttpResponse::error(503, error),
        },
        other => match other.strip_prefix("/orders/") {
            Some(id) if !id.is_empty() && !id.contains('/') => {
                match streams
                    .query_key_value::<String, OrderView>(ORDER_VIEWS_STORE, &id.to_string())
                {
                    Ok(Some(view)) => HttpResponse::json(200, &view.to_json()),
                    Ok(None) => HttpResponse::error(404, format!("no order '{id}'")),
                    Err(error) => HttpResponse::error(503, error),
                }
            }
            _ => HttpResponse::error(
                404,
                format!("no such resource '{path}'; try /orders or /orders/{{id}}"),
            ),
        },
    }
}

/// The endpoint's socket.
pub struct HttpServer {
    listener: TcpListener,
    address: SocketAddr,
}

impl HttpServer {
    /// Listens on `address` (port 0 picks a free one).
    pub fn bind(address: &str) -> io::Result<Self> {
        let listener = TcpListener::bind(address)?;
        let address = listener.local_addr()?;
        Ok(Self { listener, address })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves requests with `streams` until `stop` is set and
    /// [`wake`](Self::wake) is called.
    pub fn serve(&self, streams: &KafkaStreams, stop: &AtomicBool) {
        for connection in self.listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let result = connection.and_then(|stream| answer(stream, streams));
            if let Err(error) = result {
                tracing::warn!(%error, "an HTTP request failed");
            }
        }
    }

    /// Unblocks [`serve`](Self::serve) so it sees `stop`.
    pub fn wake(&self) {
        if let Err(error) = TcpStream::connect(self.address) {
            tracing::warn!(%error, "waking the HTTP server failed");
        }
    }

    /// `GET path` against `address`: the status code and the body.
    pub fn get(address: SocketAddr, path: &str) -> io::Result<HttpResponse> {
        let mut stream = TcpStream::connect(address)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let invalid = || io::Error::new(io::ErrorKind::InvalidData, "not an HTTP response");
        let (head, body) = response.split_once("\r\n\r\n").ok_or_else(invalid)?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(invalid)?;
        Ok(HttpResponse {
            status,
            body: body.to_string(),
        })
    }
}

fn answer(stream: TcpStream, streams: &KafkaStreams) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    if request_line.trim().is_empty() {
        // A wake-up connection, or a client that sent nothing.
        return Ok(());
    }
    // Skip the headers; requests this endpoint serves have no body.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let response = route(method, path, streams);
    let reason = match response.status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        response.status,
        response.body.len(),
        response.body
    )?;
    stream.flush()
}
