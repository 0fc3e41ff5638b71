//! ListOffsets: earliest, latest (the last stable offset for read_committed),
//! max-timestamp and by-timestamp lookups.

use crate::broker::Broker;
use crate::sync::lock;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse, RequestHeader};

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const READ_COMMITTED: i8 = 1;

impl Broker {
    /// ListOffsets.
    pub async fn list_offsets(
        &self,
        _header: &RequestHeader,
        request: ListOffsetsRequest,
    ) -> ListOffsetsResponse {
        let read_committed = request.isolation_level == READ_COMMITTED;
        let topics = request
            .topics
            .into_iter()
            .map(|wanted| {
                let topic = self.topic(&wanted.name);
                let partitions = wanted
                    .partitions
                    .into_iter()
                    .map(|p| {
                        let response = ListOffsetsPartitionResponse::default()
                            .with_partition_index(p.partition_index)
                            .with_timestamp(-1)
                            .with_offset(-1);
                        let Some(partition) =
                            topic.as_ref().and_then(|t| t.partition(p.partition_index))
                        else {
                            return response
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                        };
                        let log = lock(&partition);
                        let marks = log.watermarks();
                        let (offset, timestamp) = match p.timestamp {
                            LATEST if read_committed => (marks.last_stable, -1),
                            LATEST => (marks.high, -1),
                            EARLIEST => (marks.log_start, -1),
                            MAX_TIMESTAMP => log.max_timestamp_offset().unwrap_or((-1, -1)),
                            at => log.offset_for_timestamp(at).unwrap_or((-1, -1)),
                        };
                        response
                            .with_offset(offset)
                            .with_timestamp(timestamp)
                            .with_leader_epoch(0)
                    })
                    .collect();
                ListOffsetsTopicResponse::default()
                    .with_name(wanted.name)
                    .with_partitions(partitions)
            })
            .collect();
        ListOffsetsResponse::default().with_topics(topics)
    }
}
