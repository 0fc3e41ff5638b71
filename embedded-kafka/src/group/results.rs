//! The answers to JoinGroup and SyncGroup, which may be produced long after the
//! request arrived (when the join or sync barrier completes), and their encoding
//! into the response of the version the client used.

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupResponse, SyncGroupResponse};
use kafka_protocol::protocol::StrBytes;

/// The generation id Kafka answers when there is none.
pub(crate) const NO_GENERATION: i32 = -1;

/// A member as the leader sees it in its JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoinedMember {
    pub(crate) member_id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) metadata: Bytes,
}

/// The answer to one JoinGroup request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoinResult {
    pub(crate) error: Option<ResponseError>,
    pub(crate) member_id: String,
    pub(crate) generation_id: i32,
    pub(crate) protocol_type: Option<String>,
    pub(crate) protocol_name: Option<String>,
    pub(crate) leader_id: String,
    /// Filled for the leader only.
    pub(crate) members: Vec<JoinedMember>,
}

impl JoinResult {
    /// A failed join for `member_id`.
    pub(crate) fn error(member_id: String, error: ResponseError) -> JoinResult {
        JoinResult {
            error: Some(error),
            member_id,
            generation_id: NO_GENERATION,
            protocol_type: None,
            protocol_name: None,
            leader_id: String::new(),
            members: Vec::new(),
        }
    }

    /// The JoinGroup response of `version`: versions before 7 carry no protocol
    /// type and a non-nullable protocol name, versions before 5 no instance ids.
    pub(crate) fn into_response(self, version: i16) -> JoinGroupResponse {
        let members = self
            .members
            .into_iter()
            .map(|member| {
                JoinGroupResponseMember::default()
                    .with_member_id(StrBytes::from_string(member.member_id))
                    .with_group_instance_id(if version >= 5 {
                        member.instance_id.map(StrBytes::from_string)
                    } else {
                        None
                    })
                    .with_metadata(member.metadata)
            })
            .collect();
        let (protocol_type, protocol_name) = if version >= 7 {
            (self.protocol_type, self.protocol_name)
        } else {
            (None, Some(self.protocol_name.unwrap_or_default()))
        };
        JoinGroupResponse::default()
            .with_error_code(self.error.map_or(0, |e| e.code()))
            .with_generation_id(self.generation_id)
            .with_protocol_type(protocol_type.map(StrBytes::from_string))
            .with_protocol_name(protocol_name.map(StrBytes::from_string))
            .with_leader(StrBytes::from_string(self.leader_id))
            .with_member_id(StrBytes::from_string(self.member_id))
            .with_members(members)
    }
}

/// The answer to one SyncGroup request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyncResult {
    pub(crate) error: Option<ResponseError>,
    pub(crate) assignment: Bytes,
    pub(crate) protocol_type: Option<String>,
    pub(crate) protocol_name: Option<String>,
}

impl SyncResult {
    /// A failed sync.
    pub(crate) fn error(error: ResponseError) -> SyncResult {
        SyncResult {
            error: Some(error),
            assignment: Bytes::new(),
            protocol_type: None,
            protocol_name: None,
        }
    }

    /// The SyncGroup response of `version` (protocol type and name from version 5).
    pub(crate) fn into_response(self, version: i16) -> SyncGroupResponse {
        let (protocol_type, protocol_name) = if version >= 5 {
            (self.protocol_type, self.protocol_name)
        } else {
            (None, None)
        };
        SyncGroupResponse::default()
            .with_error_code(self.error.map_or(0, |e| e.code()))
            .with_protocol_type(protocol_type.map(StrBytes::from_string))
            .with_protocol_name(protocol_name.map(StrBytes::from_string))
            .with_assignment(self.assignment)
    }
}
