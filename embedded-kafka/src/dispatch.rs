//! Request dispatch: one table of the APIs and version ranges this broker serves
//! (also what ApiVersions advertises), and one match from API key to handler.

use crate::broker::Broker;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{ApiKey, ProduceRequest, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};

/// An API and the version range this broker implements for it.
#[derive(Debug, Clone, Copy)]
pub struct SupportedApi {
    /// The API.
    pub key: ApiKey,
    /// Lowest version served.
    pub min: i16,
    /// Highest version served.
    pub max: i16,
}

const fn api(key: ApiKey, min: i16, max: i16) -> SupportedApi {
    SupportedApi { key, min, max }
}

/// Every API served, with its version range.
pub const SUPPORTED_APIS: &[SupportedApi] = &[
    api(ApiKey::Produce, 3, 9),
    api(ApiKey::Fetch, 4, 12),
    api(ApiKey::ListOffsets, 1, 7),
    api(ApiKey::Metadata, 0, 12),
    api(ApiKey::FindCoordinator, 0, 4),
    api(ApiKey::ApiVersions, 0, 3),
    api(ApiKey::CreateTopics, 2, 7),
    api(ApiKey::DeleteTopics, 1, 6),
    api(ApiKey::DeleteRecords, 0, 2),
    api(ApiKey::InitProducerId, 0, 4),
    api(ApiKey::AddPartitionsToTxn, 0, 3),
    api(ApiKey::AddOffsetsToTxn, 0, 3),
    api(ApiKey::EndTxn, 0, 3),
    api(ApiKey::DescribeConfigs, 1, 4),
    api(ApiKey::CreatePartitions, 0, 3),
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

/// The version range served for `key`, if any.
pub fn supported_range(key: ApiKey) -> Option<SupportedApi> {
    SUPPORTED_APIS.iter().find(|a| a.key == key).copied()
}

/// Why a request could not be served; the connection stays open when a reply was
/// possible.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The frame is too short to carry a request header.
    #[error("request frame of {0} bytes is too short for a header")]
    ShortFrame(usize),
    /// The API key is not a Kafka API.
    #[error("unknown API key {0}")]
    UnknownApiKey(i16),
}

/// A serialized response (length prefix included), or nothing for acks=0 produces.
pub type Reply = Option<BytesMut>;

/// Encodes `response` as the reply to `header`.
pub fn encode_reply<R: Encodable + HeaderVersion>(header: &RequestHeader, response: &R) -> Reply {
    let version = header.request_api_version;
    let mut out = BytesMut::with_capacity(256);
    out.put_i32(0);
    let encoded = ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut out, R::header_version(version))
        .and_then(|()| response.encode(&mut out, version));
    match encoded {
        Ok(()) => {
            let length = (out.len() - 4) as i32;
            out[..4].copy_from_slice(&length.to_be_bytes());
            Some(out)
        }
        Err(error) => {
            tracing::error!(%error, api_key = header.request_api_key, version, "cannot encode a response");
            Some(error_frame(
                header.correlation_id,
                ResponseError::UnknownServerError,
            ))
        }
    }
}

/// The last-resort reply to a request that cannot be answered in its own format:
/// the correlation id followed by an error code.
fn error_frame(correlation_id: i32, error: ResponseError) -> BytesMut {
    let mut out = BytesMut::with_capacity(10);
    out.put_i32(6);
    out.put_i32(correlation_id);
    out.put_i16(error.code());
    out
}

fn decode_body<T: Decodable>(body: &mut Bytes, header: &RequestHeader) -> Result<T, Reply> {
    T::decode(body, header.request_api_version).map_err(|error| {
        tracing::warn!(%error, api_key = header.request_api_key, version = header.request_api_version, "malformed request");
        Some(error_frame(header.correlation_id, ResponseError::InvalidRequest))
    })
}

/// Decodes the request body, awaits the handler and encodes its response.
macro_rules! serve {
    ($broker:expr, $header:expr, $body:expr, $handler:ident) => {
        match decode_body(&mut $body, &$header) {
            Ok(request) => encode_reply(&$header, &$broker.$handler(&$header, request).await),
            Err(reply) => reply,
        }
    };
}

impl Broker {
    /// Serves one request frame (without its length prefix).
    pub async fn dispatch(&self, mut frame: Bytes) -> Result<Reply, DispatchError> {
        if frame.len() < 8 {
            return Err(DispatchError::ShortFrame(frame.len()));
        }
        let key_code = (&frame[0..2]).get_i16();
        let version = (&frame[2..4]).get_i16();
        let correlation_id = (&frame[4..8]).get_i32();
        let key =
            ApiKey::try_from(key_code).map_err(|()| DispatchError::UnknownApiKey(key_code))?;
        let served = supported_range(key).filter(|r| (r.min..=r.max).contains(&version));
        if served.is_none() {
            tracing::warn!(api = ?key, version, "unsupported API version requested");
            if key == ApiKey::ApiVersions {
                return Ok(self.api_versions_fallback(correlation_id));
            }
            return Ok(Some(error_frame(
                correlation_id,
                ResponseError::UnsupportedVersion,
            )));
        }
        let header = match RequestHeader::decode(&mut frame, key.request_header_version(version)) {
            Ok(header) => header,
            Err(error) => {
                tracing::warn!(%error, api = ?key, version, "malformed request header");
                return Ok(Some(error_frame(
                    correlation_id,
                    ResponseError::InvalidRequest,
                )));
            }
        };
        let mut body = frame;
        let reply = match key {
            ApiKey::ApiVersions => serve!(self, header, body, api_versions),
            ApiKey::Metadata => serve!(self, header, body, metadata),
            ApiKey::Produce => match decode_body::<ProduceRequest>(&mut body, &header) {
                Ok(request) => {
                    let acks = request.acks;
                    let response = self.produce(&header, request).await;
                    if acks == 0 {
                        None
                    } else {
                        encode_reply(&header, &response)
                    }
                }
                Err(reply) => reply,
            },
            ApiKey::Fetch => serve!(self, header, body, fetch),
            ApiKey::ListOffsets => serve!(self, header, body, list_offsets),
            ApiKey::FindCoordinator => serve!(self, header, body, find_coordinator),
            ApiKey::CreateTopics => serve!(self, header, body, create_topics),
            ApiKey::DeleteTopics => serve!(self, header, body, delete_topics),
            ApiKey::CreatePartitions => serve!(self, header, body, create_partitions),
            ApiKey::DeleteRecords => serve!(self, header, body, delete_records),
            ApiKey::DescribeConfigs => serve!(self, header, body, describe_configs),
            ApiKey::InitProducerId => serve!(self, header, body, init_producer_id),
            ApiKey::AddPartitionsToTxn => serve!(self, header, body, add_partitions_to_txn),
            ApiKey::AddOffsetsToTxn => serve!(self, header, body, add_offsets_to_txn),
            ApiKey::EndTxn => serve!(self, header, body, end_txn),
            ApiKey::JoinGroup => serve!(self, header, body, join_group),
            ApiKey::SyncGroup => serve!(self, header, body, sync_group),
            ApiKey::Heartbeat => serve!(self, header, body, heartbeat),
            ApiKey::LeaveGroup => serve!(self, header, body, leave_group),
            ApiKey::OffsetCommit => serve!(self, header, body, offset_commit),
            ApiKey::OffsetFetch => serve!(self, header, body, offset_fetch),
            ApiKey::TxnOffsetCommit => serve!(self, header, body, txn_offset_commit),
            ApiKey::DescribeGroups => serve!(self, header, body, describe_groups),
            ApiKey::ListGroups => serve!(self, header, body, list_groups),
            other => {
                tracing::warn!(api = ?other, version, "API listed as supported has no handler");
                Some(error_frame(
                    correlation_id,
                    ResponseError::UnsupportedVersion,
                ))
            }
        };
        Ok(reply)
    }
}
