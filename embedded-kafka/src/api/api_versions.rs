//! ApiVersions: the API version ranges served, and the v0 fallback answer for
//! clients that ask with a newer ApiVersions version than supported.

use crate::broker::Broker;
use crate::dispatch::{Reply, SUPPORTED_APIS, encode_reply};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader};

fn advertised() -> Vec<ApiVersion> {
    SUPPORTED_APIS
        .iter()
        .map(|api| {
            ApiVersion::default()
                .with_api_key(api.key as i16)
                .with_min_version(api.min)
                .with_max_version(api.max)
        })
        .collect()
}

impl Broker {
    /// ApiVersions.
    pub async fn api_versions(
        &self,
        _header: &RequestHeader,
        _request: ApiVersionsRequest,
    ) -> ApiVersionsResponse {
        ApiVersionsResponse::default().with_api_keys(advertised())
    }

    /// The v0 UNSUPPORTED_VERSION answer (with the supported ranges) to an
    /// ApiVersions request of a version newer than served.
    pub fn api_versions_fallback(&self, correlation_id: i32) -> Reply {
        let header = RequestHeader::default()
            .with_request_api_key(ApiKey::ApiVersions as i16)
            .with_request_api_version(0)
            .with_correlation_id(correlation_id);
        let response = ApiVersionsResponse::default()
            .with_error_code(ResponseError::UnsupportedVersion.code())
            .with_api_keys(advertised());
        encode_reply(&header, &response)
    }
}
