//! Raw Kafka protocol against the broker: the ApiVersions fallback for a newer
//! version, unsupported versions answered (connection kept), and idempotent
//! producer sequence checks with duplicates acknowledged at their original offset.

mod common;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use common::*;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, InitProducerIdRequest, InitProducerIdResponse,
    ProduceRequest, ProduceResponse, RequestHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use std::io::{Read, Write};
use std::net::TcpStream;

struct RawClient {
    stream: TcpStream,
    correlation_id: i32,
}

impl RawClient {
    fn connect(address: std::net::SocketAddr) -> Self {
        let stream = TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(WAIT)).expect("read timeout");
        Self {
            stream,
            correlation_id: 0,
        }
    }

    /// Sends a request body encoded at `version` and returns the response body.
    fn call_raw(&mut self, key: ApiKey, version: i16, body: &[u8]) -> Bytes {
        self.correlation_id += 1;
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("raw-test")));
        let mut frame = BytesMut::new();
        header
            .encode(
                &mut frame,
                key.request_header_version(version.min(key.valid_versions().max)),
            )
            .expect("header");
        frame.put_slice(body);
        let mut message = BytesMut::new();
        message.put_i32(frame.len() as i32);
        message.put_slice(&frame);
        self.stream.write_all(&message).expect("send");
        let mut length = [0u8; 4];
        self.stream
            .read_exact(&mut length)
            .expect("response length");
        let mut response = vec![0u8; i32::from_be_bytes(length) as usize];
        self.stream.read_exact(&mut response).expect("response");
        let mut response = Bytes::from(response);
        assert_eq!(response.get_i32(), self.correlation_id, "correlation id");
        response
    }

    fn call<Req: Encodable, Resp: Decodable + HeaderVersion>(
        &mut self,
        key: ApiKey,
        version: i16,
        request: &Req,
    ) -> Resp {
        let mut body = BytesMut::new();
        request.encode(&mut body, version).expect("encode request");
        let mut response = self.call_raw(key, version, &body);
        if Resp::header_version(version) >= 1 {
            let tagged = response.get_u8();
            assert_eq!(tagged, 0, "no tagged fields in the response header");
        }
        Resp::decode(&mut response, version).expect("decode response")
    }
}

#[test]
fn api_versions_newer_than_supported_gets_the_supported_ranges() {
    let kafka = start_broker();
    let mut client = RawClient::connect(kafka.local_addr());
    let mut body = BytesMut::new();
    ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("raw"))
        .with_client_software_version(StrBytes::from_static_str("1"))
        .encode(&mut body, 3)
        .expect("encode");
    body.put_slice(&[0, 0, 0]);
    let mut response = client.call_raw(ApiKey::ApiVersions, 42, &body);
    let fallback = ApiVersionsResponse::decode(&mut response, 0).expect("v0 response");
    assert_eq!(
        fallback.error_code,
        ResponseError::UnsupportedVersion.code()
    );
    let fetch = fallback
        .api_keys
        .iter()
        .find(|k| k.api_key == ApiKey::Fetch as i16)
        .expect("fetch advertised");
    assert_eq!((fetch.min_version, fetch.max_version), (4, 12));

    let current: ApiVersionsResponse =
        client.call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default());
    assert_eq!(current.error_code, 0);
    assert_eq!(current.api_keys, fallback.api_keys);
}

#[test]
fn an_unsupported_api_version_is_answered_and_the_connection_stays_open() {
    let kafka = start_broker();
    let mut client = RawClient::connect(kafka.local_addr());
    let mut response = client.call_raw(ApiKey::Metadata, 13, &[0, 0, 0, 0]);
    assert_eq!(response.get_i16(), ResponseError::UnsupportedVersion.code());
    let mut response = client.call_raw(ApiKey::DescribeAcls, 1, &[]);
    assert_eq!(response.get_i16(), ResponseError::UnsupportedVersion.code());
    let versions: ApiVersionsResponse =
        client.call(ApiKey::ApiVersions, 0, &ApiVersionsRequest::default());
    assert_eq!(versions.error_code, 0);
}

fn idempotent_batch(producer_id: i64, base_sequence: i32, count: i32) -> Bytes {
    let records: Vec<Record> = (0..count)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id,
            producer_epoch: 0,
            timestamp_type: TimestampType::Creation,
            offset: i64::from(i),
            sequence: base_sequence + i,
            timestamp: 1_000,
            key: None,
            value: Some(Bytes::from(format!("seq-{}", base_sequence + i))),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("batch");
    buf.freeze()
}

fn produce(client: &mut RawClient, topic: &str, batch: Bytes) -> (i16, i64) {
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(batch)),
                ]),
        ]);
    let response: ProduceResponse = client.call(ApiKey::Produce, 9, &request);
    let partition = &response.responses[0].partition_responses[0];
    (partition.error_code, partition.base_offset)
}

#[test]
fn idempotent_sequences_reject_gaps_and_acknowledge_duplicates_at_their_offset() {
    let kafka = start_broker();
    let topic = unique("idempotent");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let mut client = RawClient::connect(kafka.local_addr());
    let init: InitProducerIdResponse = client.call(
        ApiKey::InitProducerId,
        4,
        &InitProducerIdRequest::default()
            .with_transaction_timeout_ms(60_000)
            .with_producer_id((-1).into())
            .with_producer_epoch(-1),
    );
    assert_eq!(init.error_code, 0);
    let producer_id = init.producer_id.0;

    assert_eq!(
        produce(&mut client, &topic, idempotent_batch(producer_id, 0, 3)),
        (0, 0)
    );
    assert_eq!(
        produce(&mut client, &topic, idempotent_batch(producer_id, 3, 2)),
        (0, 3)
    );
    assert_eq!(
        produce(&mut client, &topic, idempotent_batch(producer_id, 0, 3)),
        (0, 0),
        "a retried batch is acknowledged with its original offset"
    );
    let (error, _) = produce(&mut client, &topic, idempotent_batch(producer_id, 9, 1));
    assert_eq!(error, ResponseError::OutOfOrderSequenceNumber.code());
    assert_eq!(
        produce(&mut client, &topic, idempotent_batch(producer_id, 5, 1)),
        (0, 5)
    );

    let consumer = assigned_consumer(&kafka.bootstrap_servers(), &topic, 1, "read_uncommitted");
    let values: Vec<Vec<u8>> = read_to_end(&consumer, 1, 6)
        .iter()
        .map(|m| rdkafka::Message::payload(m).unwrap_or_default().to_vec())
        .collect();
    let expected: Vec<Vec<u8>> = (0..6).map(|i| format!("seq-{i}").into_bytes()).collect();
    assert_eq!(values, expected, "no duplicates, no gaps");
}
