//! The versions of the group APIs this coordinator implements, for the broker's
//! ApiVersions response. They cover every version librdkafka 2.x negotiates
//! (JoinGroup ≤5, SyncGroup ≤3, Heartbeat ≤3, LeaveGroup ≤1, OffsetCommit ≤9,
//! OffsetFetch ≤9, TxnOffsetCommit ≤3) and the newer ones the Java client uses.

use kafka_protocol::messages::ApiKey;

/// An API with the lowest and highest version implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportedApi {
    /// The API.
    pub key: ApiKey,
    /// The lowest version implemented.
    pub min_version: i16,
    /// The highest version implemented.
    pub max_version: i16,
}

const fn api(key: ApiKey, min_version: i16, max_version: i16) -> SupportedApi {
    SupportedApi {
        key,
        min_version,
        max_version,
    }
}

/// Every API the group coordinator handles. OffsetCommit starts at v2 and
/// OffsetFetch at v1, the oldest versions the protocol crate decodes.
pub const GROUP_APIS: [SupportedApi; 9] = [
    api(ApiKey::JoinGroup, 0, 9),
    api(ApiKey::SyncGroup, 0, 5),
    api(ApiKey::Heartbeat, 0, 4),
    api(ApiKey::LeaveGroup, 0, 5),
    api(ApiKey::OffsetCommit, 2, 9),
    api(ApiKey::OffsetFetch, 1, 9),
    api(ApiKey::TxnOffsetCommit, 0, 4),
    api(ApiKey::DescribeGroups, 0, 5),
    api(ApiKey::ListGroups, 0, 5),
];
