//! Fetch: reads whole batches from each requested offset up to the high watermark
//! (read_uncommitted) or last stable offset (read_committed, with the aborted
//! transactions), long-polling on the broker's data notification until `min_bytes`
//! are available or `max_wait_ms` passes.

use crate::broker::Broker;
use crate::partition::Watermarks;
use crate::sync::lock;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_response::{
    AbortedTransaction, FetchableTopicResponse, PartitionData,
};
use kafka_protocol::messages::{FetchRequest, FetchResponse, ProducerId, RequestHeader};
use std::time::Duration;
use tokio::time::Instant;

const READ_COMMITTED: i8 = 1;

impl Broker {
    /// Fetch.
    pub async fn fetch(&self, _header: &RequestHeader, request: FetchRequest) -> FetchResponse {
        let deadline =
            Instant::now() + Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0));
        loop {
            let notified = self.data_arrived.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (response, bytes, errors) = self.read_fetch(&request);
            let enough = bytes >= usize::try_from(request.min_bytes).unwrap_or(0).max(1);
            if enough || errors || Instant::now() >= deadline {
                return response;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.read_fetch(&request).0;
            }
        }
    }

    /// One pass over the requested partitions: the response, the record bytes in it
    /// and whether any partition had an error.
    fn read_fetch(&self, request: &FetchRequest) -> (FetchResponse, usize, bool) {
        let read_committed = request.isolation_level == READ_COMMITTED;
        let max_bytes = usize::try_from(request.max_bytes).unwrap_or(0);
        let mut total = 0usize;
        let mut errors = false;
        let responses = request
            .topics
            .iter()
            .map(|fetch_topic| {
                let topic = self.topic(&fetch_topic.topic);
                let partitions = fetch_topic
                    .partitions
                    .iter()
                    .map(|wanted| {
                        let response = PartitionData::default()
                            .with_partition_index(wanted.partition)
                            .with_high_watermark(-1)
                            .with_last_stable_offset(-1)
                            .with_log_start_offset(-1);
                        let Some(partition) =
                            topic.as_ref().and_then(|t| t.partition(wanted.partition))
                        else {
                            errors = true;
                            return response
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                        };
                        let log = lock(&partition);
                        let Watermarks {
                            log_start,
                            high,
                            last_stable,
                        } = log.watermarks();
                        let response = response
                            .with_high_watermark(high)
                            .with_last_stable_offset(last_stable)
                            .with_log_start_offset(log_start);
                        let upper = if read_committed { last_stable } else { high };
                        let limit = usize::try_from(wanted.partition_max_bytes)
                            .unwrap_or(0)
                            .min(max_bytes.saturating_sub(total));
                        match log.read(
                            wanted.fetch_offset,
                            upper,
                            limit,
                            total == 0,
                            read_committed,
                        ) {
                            Ok(data) => {
                                total += data.records.len();
                                let aborted = read_committed.then(|| {
                                    data.aborted
                                        .iter()
                                        .map(|a| {
                                            AbortedTransaction::default()
                                                .with_producer_id(ProducerId(a.producer_id))
                                                .with_first_offset(a.first_offset)
                                        })
                                        .collect()
                                });
                                response
                                    .with_aborted_transactions(aborted)
                                    .with_records(Some(data.records.freeze()))
                            }
                            Err(error) => {
                                errors = true;
                                response.with_error_code(error.code())
                            }
                        }
                    })
                    .collect();
                FetchableTopicResponse::default()
                    .with_topic(fetch_topic.topic.clone())
                    .with_partitions(partitions)
            })
            .collect();
        (
            FetchResponse::default().with_responses(responses),
            total,
            errors,
        )
    }
}
