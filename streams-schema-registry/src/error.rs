//! The errors of registry look-ups and of the Confluent wire format.

/// Why a schema could not be registered, found or used.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error (Confluent's `error_code` and
    /// `message`), for example 409 for a schema incompatible with the subject's
    /// earlier versions or 40401 for an unknown subject.
    #[error("schema registry refused {what}: {message} (HTTP {status}, error code {error_code})")]
    Rejected {
        /// What was asked, naming the subject or schema id.
        what: String,
        /// The HTTP status.
        status: u16,
        /// Confluent's error code (e.g. 409, 40401, 42201).
        error_code: i64,
        /// The registry's message.
        message: String,
    },
    /// The registry could not be reached or did not answer in time.
    #[error("schema registry at {url} could not be reached for {what}: {source}")]
    Unreachable {
        /// The request's URL.
        url: String,
        /// What was asked, naming the subject or schema id.
        what: String,
        /// The transport error (connection refused, timeout, TLS, ...).
        #[source]
        source: Box<ureq::Error>,
    },
    /// The registry answered something this client cannot read.
    #[error("schema registry at {url} answered {what} unexpectedly: {detail}")]
    UnexpectedResponse {
        /// The request's URL.
        url: String,
        /// What was asked.
        what: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// A schema that does not parse, or that is of another type than the serde's.
    #[error("invalid schema: {0}")]
    InvalidSchema(String),
    /// Bytes that are not in the Confluent wire format.
    #[error("not in the Confluent wire format: {0}")]
    WireFormat(String),
}

impl RegistryError {
    /// Confluent's error code when the registry refused the request.
    pub fn error_code(&self) -> Option<i64> {
        match self {
            RegistryError::Rejected { error_code, .. } => Some(*error_code),
            _ => None,
        }
    }
}
