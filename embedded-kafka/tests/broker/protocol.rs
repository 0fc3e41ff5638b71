//! Raw Kafka protocol against the broker: the ApiVersions fallback for a newer
//! version, unsupported versions answered (connection kept), and idempotent
//! producer sequence checks with duplicates acknowledged at their original offset;
//! the transaction-outcome hook told about groups on EndTxn; a fenced producer's
//! TxnOffsetCommit refused; every advertised version of every served API answered
//! in that version's format.

use crate::common;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use common::*;
use embedded_kafka::TransactionOutcomeListener;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, ApiKey, ApiVersionsRequest,
    ApiVersionsResponse, EndTxnRequest, EndTxnResponse, GroupId, InitProducerIdRequest,
    InitProducerIdResponse, OffsetFetchRequest, ProduceRequest, ProduceResponse, RequestHeader,
    TopicName, TransactionalId, TxnOffsetCommitRequest, TxnOffsetCommitResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

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
    let mut response = client.call_raw(ApiKey::Metadata, 1, &[0xff, 0xff]);
    assert_eq!(
        response.get_i16(),
        ResponseError::InvalidRequest.code(),
        "malformed body"
    );
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

#[derive(Debug, Default)]
struct RecordingListener {
    outcomes: Mutex<Vec<(i64, Vec<String>, bool)>>,
}

impl TransactionOutcomeListener for RecordingListener {
    fn transaction_completed(&self, producer_id: i64, groups: &[String], committed: bool) {
        self.outcomes
            .lock()
            .expect("outcomes")
            .push((producer_id, groups.to_vec(), committed));
    }
}

#[test]
fn end_txn_tells_the_listener_which_groups_committed_or_aborted() {
    let kafka = start_broker();
    let listener = Arc::new(RecordingListener::default());
    kafka.register_transaction_listener(listener.clone());
    let mut client = RawClient::connect(kafka.local_addr());
    let transactional_id = TransactionalId(StrBytes::from_string(unique("hook")));
    let group = unique("hook-group");
    let init: InitProducerIdResponse = client.call(
        ApiKey::InitProducerId,
        4,
        &InitProducerIdRequest::default()
            .with_transactional_id(Some(transactional_id.clone()))
            .with_transaction_timeout_ms(60_000)
            .with_producer_id((-1).into())
            .with_producer_epoch(-1),
    );
    assert_eq!(init.error_code, 0);
    for committed in [true, false] {
        let added: AddOffsetsToTxnResponse = client.call(
            ApiKey::AddOffsetsToTxn,
            3,
            &AddOffsetsToTxnRequest::default()
                .with_transactional_id(transactional_id.clone())
                .with_producer_id(init.producer_id)
                .with_producer_epoch(init.producer_epoch)
                .with_group_id(GroupId(StrBytes::from_string(group.clone()))),
        );
        assert_eq!(added.error_code, 0);
        let ended: EndTxnResponse = client.call(
            ApiKey::EndTxn,
            3,
            &EndTxnRequest::default()
                .with_transactional_id(transactional_id.clone())
                .with_producer_id(init.producer_id)
                .with_producer_epoch(init.producer_epoch)
                .with_committed(committed),
        );
        assert_eq!(ended.error_code, 0);
    }
    let stale: EndTxnResponse = client.call(
        ApiKey::EndTxn,
        3,
        &EndTxnRequest::default()
            .with_transactional_id(transactional_id)
            .with_producer_id(init.producer_id)
            .with_producer_epoch(init.producer_epoch - 1)
            .with_committed(true),
    );
    assert_eq!(stale.error_code, ResponseError::ProducerFenced.code());
    assert_eq!(
        *listener.outcomes.lock().expect("outcomes"),
        vec![
            (init.producer_id.0, vec![group.clone()], true),
            (init.producer_id.0, vec![group], false),
        ]
    );
}

/// The transactional id, group and topic of the fencing test, and its raw client.
struct OffsetsInTransaction {
    client: RawClient,
    transactional_id: TransactionalId,
    group: String,
    topic: String,
}

impl OffsetsInTransaction {
    fn init(&mut self) -> InitProducerIdResponse {
        let init: InitProducerIdResponse = self.client.call(
            ApiKey::InitProducerId,
            4,
            &InitProducerIdRequest::default()
                .with_transactional_id(Some(self.transactional_id.clone()))
                .with_transaction_timeout_ms(60_000)
                .with_producer_id((-1).into())
                .with_producer_epoch(-1),
        );
        assert_eq!(init.error_code, 0);
        init
    }

    fn add_offsets(&mut self, producer: &InitProducerIdResponse) {
        let added: AddOffsetsToTxnResponse = self.client.call(
            ApiKey::AddOffsetsToTxn,
            3,
            &AddOffsetsToTxnRequest::default()
                .with_transactional_id(self.transactional_id.clone())
                .with_producer_id(producer.producer_id)
                .with_producer_epoch(producer.producer_epoch)
                .with_group_id(GroupId(StrBytes::from_string(self.group.clone()))),
        );
        assert_eq!(added.error_code, 0);
    }

    /// TxnOffsetCommit v3 of `offset` for partition 0 with `epoch`; its error.
    fn commit_offset(&mut self, producer: &InitProducerIdResponse, epoch: i16, offset: i64) -> i16 {
        let response: TxnOffsetCommitResponse = self.client.call(
            ApiKey::TxnOffsetCommit,
            3,
            &TxnOffsetCommitRequest::default()
                .with_transactional_id(self.transactional_id.clone())
                .with_group_id(GroupId(StrBytes::from_string(self.group.clone())))
                .with_producer_id(producer.producer_id)
                .with_producer_epoch(epoch)
                .with_generation_id(-1)
                .with_topics(vec![
                    TxnOffsetCommitRequestTopic::default()
                        .with_name(TopicName(StrBytes::from_string(self.topic.clone())))
                        .with_partitions(vec![
                            TxnOffsetCommitRequestPartition::default()
                                .with_partition_index(0)
                                .with_committed_offset(offset),
                        ]),
                ]),
        );
        response.topics[0].partitions[0].error_code
    }
}

#[test]
fn a_fenced_producer_cannot_stage_offsets_in_the_transaction_of_its_successor() {
    let kafka = start_broker();
    let mut test = OffsetsInTransaction {
        client: RawClient::connect(kafka.local_addr()),
        transactional_id: TransactionalId(StrBytes::from_string(unique("fenced-offsets"))),
        group: unique("fenced-offsets-group"),
        topic: unique("fenced-offsets-topic"),
    };
    kafka.create_topic(&test.topic, 1, &[]).expect("topic");
    let zombie = test.init();
    test.add_offsets(&zombie);
    let successor = test.init();
    assert_eq!(successor.producer_id, zombie.producer_id);
    assert_eq!(
        test.commit_offset(&zombie, zombie.producer_epoch, 5),
        ResponseError::InvalidProducerEpoch.code(),
        "the zombie's offsets would otherwise commit with its successor's transaction"
    );
    assert_eq!(
        test.commit_offset(&successor, successor.producer_epoch, 6),
        ResponseError::InvalidTxnState.code(),
        "offsets need AddOffsetsToTxn first"
    );
    test.add_offsets(&successor);
    assert_eq!(
        test.commit_offset(&successor, successor.producer_epoch, 7),
        0
    );
    let ended: EndTxnResponse = test.client.call(
        ApiKey::EndTxn,
        3,
        &EndTxnRequest::default()
            .with_transactional_id(test.transactional_id.clone())
            .with_producer_id(successor.producer_id)
            .with_producer_epoch(successor.producer_epoch)
            .with_committed(true),
    );
    assert_eq!(ended.error_code, 0);
    let fetched = kafka.broker().groups.offset_fetch(
        &OffsetFetchRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(test.group.clone())))
            .with_topics(Some(vec![
                OffsetFetchRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_string(test.topic.clone())))
                    .with_partition_indexes(vec![0]),
            ]))
            .with_require_stable(true),
        7,
    );
    let partition = &fetched.topics[0].partitions[0];
    assert_eq!((partition.error_code, partition.committed_offset), (0, 7));
}

/// Decodes a response body after its header, failing on the fallback error frame.
fn decode_at<Resp: Decodable + HeaderVersion>(mut body: Bytes, version: i16, what: &str) -> Resp {
    if Resp::header_version(version) >= 1 {
        body.get_u8();
    }
    Resp::decode(&mut body, version)
        .unwrap_or_else(|error| panic!("{what} v{version}: undecodable response: {error}"))
}

fn encode_at<Req: Encodable>(request: &Req, version: i16) -> BytesMut {
    let mut body = BytesMut::new();
    request.encode(&mut body, version).expect("encode request");
    body
}

#[test]
fn every_advertised_version_of_the_core_apis_answers_in_its_own_format() {
    use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    use kafka_protocol::messages::{
        FetchRequest, FetchResponse, FindCoordinatorRequest, FindCoordinatorResponse,
        ListOffsetsRequest, ListOffsetsResponse, MetadataRequest, MetadataResponse,
    };

    let kafka = start_broker();
    let topic = unique("versions");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let name = TopicName(StrBytes::from_string(topic.clone()));
    let mut client = RawClient::connect(kafka.local_addr());
    let range = |key| embedded_kafka::dispatch::supported_range(key).expect("served");

    let produce_range = range(ApiKey::Produce);
    for version in produce_range.min..=produce_range.max {
        let request = ProduceRequest::default()
            .with_acks(1)
            .with_timeout_ms(5_000)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(name.clone())
                    .with_partition_data(vec![
                        PartitionProduceData::default()
                            .with_index(0)
                            .with_records(Some(idempotent_batch(-1, -1, 1))),
                    ]),
            ]);
        let body = client.call_raw(ApiKey::Produce, version, &encode_at(&request, version));
        let response: ProduceResponse = decode_at(body, version, "Produce");
        assert_eq!(
            response.responses[0].partition_responses[0].error_code, 0,
            "Produce v{version}"
        );
    }
    let produced = i64::from(produce_range.max - produce_range.min + 1);

    let metadata = range(ApiKey::Metadata);
    for version in metadata.min..=metadata.max {
        let request = MetadataRequest::default().with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(name.clone())),
        ]));
        let body = client.call_raw(ApiKey::Metadata, version, &encode_at(&request, version));
        let response: MetadataResponse = decode_at(body, version, "Metadata");
        assert_eq!(response.topics[0].error_code, 0, "Metadata v{version}");
        assert_eq!(
            response.brokers[0].port,
            i32::from(kafka.local_addr().port())
        );
    }

    let fetch = range(ApiKey::Fetch);
    for version in fetch.min..=fetch.max {
        let request = FetchRequest::default()
            .with_max_wait_ms(0)
            .with_min_bytes(1)
            .with_max_bytes(1 << 20)
            .with_isolation_level(1)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic(name.clone())
                    .with_partitions(vec![
                        FetchPartition::default()
                            .with_fetch_offset(0)
                            .with_partition_max_bytes(1 << 20),
                    ]),
            ]);
        let body = client.call_raw(ApiKey::Fetch, version, &encode_at(&request, version));
        let response: FetchResponse = decode_at(body, version, "Fetch");
        let partition = &response.responses[0].partitions[0];
        assert_eq!(partition.error_code, 0, "Fetch v{version}");
        assert_eq!(partition.high_watermark, produced, "Fetch v{version}");
        assert!(partition.records.as_ref().is_some_and(|r| !r.is_empty()));
    }

    let list_offsets = range(ApiKey::ListOffsets);
    for version in list_offsets.min..=list_offsets.max {
        let request = ListOffsetsRequest::default().with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(name.clone())
                .with_partitions(vec![ListOffsetsPartition::default().with_timestamp(-1)]),
        ]);
        let body = client.call_raw(ApiKey::ListOffsets, version, &encode_at(&request, version));
        let response: ListOffsetsResponse = decode_at(body, version, "ListOffsets");
        assert_eq!(
            response.topics[0].partitions[0].offset, produced,
            "ListOffsets v{version}"
        );
    }

    let find = range(ApiKey::FindCoordinator);
    for version in find.min..=find.max {
        let request = FindCoordinatorRequest::default()
            .with_key(if version < 4 {
                StrBytes::from_static_str("g")
            } else {
                StrBytes::default()
            })
            .with_coordinator_keys(if version >= 4 {
                vec![StrBytes::from_static_str("g")]
            } else {
                vec![]
            });
        let body = client.call_raw(
            ApiKey::FindCoordinator,
            version,
            &encode_at(&request, version),
        );
        let response: FindCoordinatorResponse = decode_at(body, version, "FindCoordinator");
        let port = if version >= 4 {
            response.coordinators[0].port
        } else {
            response.port
        };
        assert_eq!(
            port,
            i32::from(kafka.local_addr().port()),
            "FindCoordinator v{version}"
        );
    }
}

#[test]
fn every_advertised_version_of_the_admin_and_transaction_apis_answers_in_its_own_format() {
    use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
    use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
    use kafka_protocol::messages::create_topics_request::CreatableTopic;
    use kafka_protocol::messages::delete_records_request::{
        DeleteRecordsPartition, DeleteRecordsTopic,
    };
    use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
    use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
    use kafka_protocol::messages::{
        AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, CreatePartitionsRequest,
        CreatePartitionsResponse, CreateTopicsRequest, CreateTopicsResponse, DeleteRecordsRequest,
        DeleteRecordsResponse, DeleteTopicsRequest, DeleteTopicsResponse, DescribeConfigsRequest,
        DescribeConfigsResponse,
    };

    let kafka = start_broker();
    let mut client = RawClient::connect(kafka.local_addr());
    let range = |key| embedded_kafka::dispatch::supported_range(key).expect("served");
    let name_of = |text: &str| TopicName(StrBytes::from_string(text.to_owned()));

    let create = range(ApiKey::CreateTopics);
    let delete = range(ApiKey::DeleteTopics);
    for (version, delete_version) in
        (create.min..=create.max).zip((delete.min..=delete.max).cycle())
    {
        let topic = unique("versions-admin");
        let request = CreateTopicsRequest::default()
            .with_timeout_ms(5_000)
            .with_topics(vec![
                CreatableTopic::default()
                    .with_name(name_of(&topic))
                    .with_num_partitions(1)
                    .with_replication_factor(1),
            ]);
        let body = client.call_raw(ApiKey::CreateTopics, version, &encode_at(&request, version));
        let response: CreateTopicsResponse = decode_at(body, version, "CreateTopics");
        assert_eq!(response.topics[0].error_code, 0, "CreateTopics v{version}");

        let partitions = range(ApiKey::CreatePartitions);
        let partitions_version = partitions.min + (version % (partitions.max + 1));
        let request = CreatePartitionsRequest::default()
            .with_timeout_ms(5_000)
            .with_topics(vec![
                CreatePartitionsTopic::default()
                    .with_name(name_of(&topic))
                    .with_count(2),
            ]);
        let body = client.call_raw(
            ApiKey::CreatePartitions,
            partitions_version,
            &encode_at(&request, partitions_version),
        );
        let response: CreatePartitionsResponse =
            decode_at(body, partitions_version, "CreatePartitions");
        assert_eq!(
            response.results[0].error_code, 0,
            "CreatePartitions v{partitions_version}"
        );

        let records = range(ApiKey::DeleteRecords);
        let records_version = records.min + (version % (records.max + 1));
        let request = DeleteRecordsRequest::default()
            .with_timeout_ms(5_000)
            .with_topics(vec![
                DeleteRecordsTopic::default()
                    .with_name(name_of(&topic))
                    .with_partitions(vec![
                        DeleteRecordsPartition::default()
                            .with_partition_index(1)
                            .with_offset(0),
                    ]),
            ]);
        let body = client.call_raw(
            ApiKey::DeleteRecords,
            records_version,
            &encode_at(&request, records_version),
        );
        let response: DeleteRecordsResponse = decode_at(body, records_version, "DeleteRecords");
        assert_eq!(
            response.topics[0].partitions[0].error_code, 0,
            "DeleteRecords v{records_version}"
        );

        let configs = range(ApiKey::DescribeConfigs);
        let configs_version = configs.min + (version % configs.max);
        let request = DescribeConfigsRequest::default().with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_string(topic.clone()))
                .with_configuration_keys(None),
            DescribeConfigsResource::default()
                .with_resource_type(4)
                .with_resource_name(StrBytes::from_static_str("1"))
                .with_configuration_keys(None),
        ]);
        let body = client.call_raw(
            ApiKey::DescribeConfigs,
            configs_version,
            &encode_at(&request, configs_version),
        );
        let response: DescribeConfigsResponse = decode_at(body, configs_version, "DescribeConfigs");
        assert!(
            response
                .results
                .iter()
                .all(|r| r.error_code == 0 && !r.configs.is_empty())
        );

        let request = if delete_version >= 6 {
            DeleteTopicsRequest::default().with_topics(vec![
                DeleteTopicState::default().with_name(Some(name_of(&topic))),
            ])
        } else {
            DeleteTopicsRequest::default().with_topic_names(vec![name_of(&topic)])
        }
        .with_timeout_ms(5_000);
        let body = client.call_raw(
            ApiKey::DeleteTopics,
            delete_version,
            &encode_at(&request, delete_version),
        );
        let response: DeleteTopicsResponse = decode_at(body, delete_version, "DeleteTopics");
        assert_eq!(
            response.responses[0].error_code, 0,
            "DeleteTopics v{delete_version}"
        );
        assert!(kafka.broker().topic(&topic).is_none());
    }

    let topic = unique("versions-txn");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let init = range(ApiKey::InitProducerId);
    for version in init.min..=init.max {
        let transactional_id = TransactionalId(StrBytes::from_string(unique("versions-txn-id")));
        let request = InitProducerIdRequest::default()
            .with_transactional_id(Some(transactional_id.clone()))
            .with_transaction_timeout_ms(60_000)
            .with_producer_id((-1).into())
            .with_producer_epoch(-1);
        let body = client.call_raw(
            ApiKey::InitProducerId,
            version,
            &encode_at(&request, version),
        );
        let producer: InitProducerIdResponse = decode_at(body, version, "InitProducerId");
        assert_eq!(producer.error_code, 0, "InitProducerId v{version}");

        let txn_version = version.min(3);
        let request = AddPartitionsToTxnRequest::default()
            .with_v3_and_below_transactional_id(transactional_id.clone())
            .with_v3_and_below_producer_id(producer.producer_id)
            .with_v3_and_below_producer_epoch(producer.producer_epoch)
            .with_v3_and_below_topics(vec![
                AddPartitionsToTxnTopic::default()
                    .with_name(name_of(&topic))
                    .with_partitions(vec![0]),
            ]);
        let body = client.call_raw(
            ApiKey::AddPartitionsToTxn,
            txn_version,
            &encode_at(&request, txn_version),
        );
        let added: AddPartitionsToTxnResponse = decode_at(body, txn_version, "AddPartitionsToTxn");
        let result = &added.results_by_topic_v3_and_below[0].results_by_partition[0];
        assert_eq!(
            result.partition_error_code, 0,
            "AddPartitionsToTxn v{txn_version}"
        );

        let request = AddOffsetsToTxnRequest::default()
            .with_transactional_id(transactional_id.clone())
            .with_producer_id(producer.producer_id)
            .with_producer_epoch(producer.producer_epoch)
            .with_group_id(GroupId(StrBytes::from_static_str("versions-group")));
        let body = client.call_raw(
            ApiKey::AddOffsetsToTxn,
            txn_version,
            &encode_at(&request, txn_version),
        );
        let offsets: AddOffsetsToTxnResponse = decode_at(body, txn_version, "AddOffsetsToTxn");
        assert_eq!(offsets.error_code, 0, "AddOffsetsToTxn v{txn_version}");

        let request = EndTxnRequest::default()
            .with_transactional_id(transactional_id)
            .with_producer_id(producer.producer_id)
            .with_producer_epoch(producer.producer_epoch)
            .with_committed(true);
        let body = client.call_raw(
            ApiKey::EndTxn,
            txn_version,
            &encode_at(&request, txn_version),
        );
        let ended: EndTxnResponse = decode_at(body, txn_version, "EndTxn");
        assert_eq!(ended.error_code, 0, "EndTxn v{txn_version}");
    }
}

#[test]
fn a_long_polling_fetch_wakes_up_when_data_arrives() {
    use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    use kafka_protocol::messages::{FetchRequest, FetchResponse};

    let kafka = start_broker();
    let topic = unique("long-poll");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let name = TopicName(StrBytes::from_string(topic.clone()));
    let address = kafka.local_addr();
    // max_wait far beyond the client's read timeout (WAIT): only a wake-up on new
    // data can answer in time.
    let fetcher = std::thread::spawn(move || {
        let mut client = RawClient::connect(address);
        let request = FetchRequest::default()
            .with_max_wait_ms(600_000)
            .with_min_bytes(1)
            .with_max_bytes(1 << 20)
            .with_topics(vec![
                FetchTopic::default().with_topic(name).with_partitions(vec![
                    FetchPartition::default()
                        .with_fetch_offset(0)
                        .with_partition_max_bytes(1 << 20),
                ]),
            ]);
        let response: FetchResponse = client.call(ApiKey::Fetch, 12, &request);
        response.responses[0].partitions[0].high_watermark
    });
    // Whether the fetch arrives before this record (and must be woken) or after it
    // (and finds it at once), it answers with the record.
    let mut producer = RawClient::connect(address);
    let (error, _) = produce(&mut producer, &topic, idempotent_batch(-1, -1, 1));
    assert_eq!(error, 0);
    let high_watermark = fetcher.join().expect("the fetch answered within WAIT");
    assert_eq!(high_watermark, 1);
}
