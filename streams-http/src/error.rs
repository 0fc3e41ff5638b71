//! Why the endpoint could not start.

/// An endpoint that could not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The address cannot be listened on.
    #[error(
        "cannot listen on '{address}': {source}; choose another host:port (port 0 picks a free one)"
    )]
    Bind {
        /// The address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The server's runtime or thread could not start.
    #[error("cannot start the HTTP server: {0}")]
    Start(std::io::Error),
}
