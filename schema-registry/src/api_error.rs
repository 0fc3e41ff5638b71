//! The registry's REST errors: an HTTP status with Confluent's `error_code` and
//! `message` body, so clients raise the same errors as against Confluent's.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (HTTP {status}, error code {error_code})")]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// Confluent's error code.
    pub error_code: i64,
    /// The message.
    pub message: String,
}

impl ApiError {
    fn new(status: u16, error_code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            error_code,
            message: message.into(),
        }
    }

    /// 40401.
    pub fn subject_not_found(subject: &str) -> Self {
        Self::new(404, 40401, format!("Subject '{subject}' not found."))
    }

    /// 40402.
    pub fn version_not_found(version: &str) -> Self {
        Self::new(404, 40402, format!("Version {version} not found."))
    }

    /// 40403.
    pub fn schema_not_found() -> Self {
        Self::new(404, 40403, "Schema not found")
    }

    /// 40405.
    pub fn not_soft_deleted(subject: &str) -> Self {
        Self::new(
            404,
            40405,
            format!("Subject '{subject}' was not deleted first before being permanently deleted"),
        )
    }

    /// 40408.
    pub fn subject_level_not_configured(subject: &str) -> Self {
        Self::new(
            404,
            40408,
            format!("Subject '{subject}' does not have subject-level compatibility configured"),
        )
    }

    /// 409: the schema is incompatible with earlier versions.
    pub fn incompatible(subject: &str, reasons: &[String]) -> Self {
        Self::new(
            409,
            409,
            format!(
                "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
                reasons.join(", ")
            ),
        )
    }

    /// 42201.
    pub fn invalid_schema(detail: impl std::fmt::Display) -> Self {
        Self::new(422, 42201, format!("Invalid schema: {detail}"))
    }

    /// 42202.
    pub fn invalid_version(version: &str) -> Self {
        Self::new(
            422,
            42202,
            format!(
                "The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
            ),
        )
    }

    /// 42203.
    pub fn invalid_compatibility_level(level: &str) -> Self {
        Self::new(
            422,
            42203,
            format!(
                "Invalid compatibility level '{level}'. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"
            ),
        )
    }

    /// 400 for a body that is not the expected JSON.
    pub fn bad_request(detail: impl std::fmt::Display) -> Self {
        Self::new(400, 400, format!("Unrecognized request body: {detail}"))
    }

    /// 50001: the `_schemas` topic could not be written.
    pub fn store(detail: impl std::fmt::Display) -> Self {
        Self::new(
            500,
            50001,
            format!("Error in the backend data store: {detail}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({"error_code": self.error_code, "message": self.message});
        (status, crate::api::json_body(&body)).into_response()
    }
}
