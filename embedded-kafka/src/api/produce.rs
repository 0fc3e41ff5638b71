//! Produce: validates each batch's header and CRC, checks idempotent sequences and
//! transactional producers, assigns offsets and appends the raw batch.

use crate::batch::{self, BatchHeader};
use crate::broker::Broker;
use crate::partition::Appended;
use crate::sync::lock;
use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, RequestHeader};

impl Broker {
    /// Produce (acks 0, 1 and all behave alike: the single replica is the ISR).
    pub async fn produce(
        &self,
        _header: &RequestHeader,
        request: ProduceRequest,
    ) -> ProduceResponse {
        let transactional_id = request.transactional_id.as_ref().map(|t| t.0.to_string());
        let mut appended_any = false;
        let responses = request
            .topic_data
            .into_iter()
            .map(|topic_data| {
                let topic = self.topic(&topic_data.name);
                let partition_responses = topic_data
                    .partition_data
                    .into_iter()
                    .map(|data| {
                        let response = PartitionProduceResponse::default().with_index(data.index);
                        let Some(partition) = topic.as_ref().and_then(|t| t.partition(data.index))
                        else {
                            return response
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                        };
                        let records = data.records.unwrap_or_default();
                        let outcome = self.append_batches(&partition, &records, transactional_id.as_deref());
                        let log_start = lock(&partition).watermarks().log_start;
                        match outcome {
                            Ok((base_offset, wrote)) => {
                                appended_any |= wrote;
                                response
                                    .with_base_offset(base_offset)
                                    .with_log_append_time_ms(-1)
                                    .with_log_start_offset(log_start)
                            }
                            Err(error) => {
                                tracing::debug!(topic = %topic_data.name.0, partition = data.index, ?error, "produce refused");
                                response
                                    .with_error_code(error.code())
                                    .with_base_offset(-1)
                                    .with_log_append_time_ms(-1)
                                    .with_log_start_offset(log_start)
                            }
                        }
                    })
                    .collect();
                TopicProduceResponse::default()
                    .with_name(topic_data.name)
                    .with_partition_responses(partition_responses)
            })
            .collect();
        if appended_any {
            self.data_arrived.notify_waiters();
        }
        ProduceResponse::default().with_responses(responses)
    }

    /// Appends every batch of one partition's record set; returns the base offset of
    /// the first batch and whether anything new was written.
    fn append_batches(
        &self,
        partition: &crate::topics::SharedPartition,
        records: &Bytes,
        transactional_id: Option<&str>,
    ) -> Result<(i64, bool), ResponseError> {
        let batches = batch::split_batches(records).map_err(|error| {
            tracing::debug!(%error, "rejecting a record set");
            ResponseError::CorruptMessage
        })?;
        if batches.is_empty() {
            return Err(ResponseError::InvalidRecord);
        }
        for (header, _) in &batches {
            self.check_transactional(header, transactional_id)?;
        }
        let mut log = lock(partition);
        let mut first_base = None;
        let mut wrote = false;
        for (header, bytes) in batches {
            let base = match log.append(&header, bytes)? {
                Appended::At(base) => {
                    wrote = true;
                    base
                }
                Appended::Duplicate(base) => base,
            };
            first_base.get_or_insert(base);
        }
        Ok((first_base.unwrap_or(-1), wrote))
    }

    fn check_transactional(
        &self,
        header: &BatchHeader,
        transactional_id: Option<&str>,
    ) -> Result<(), ResponseError> {
        if !header.transactional {
            return Ok(());
        }
        let Some(id) = transactional_id else {
            return Err(ResponseError::TransactionalIdAuthorizationFailed);
        };
        self.transactions
            .verify(id, header.producer_id, header.producer_epoch)
            .map_err(|error| match error {
                ResponseError::ProducerFenced => ResponseError::InvalidProducerEpoch,
                other => other,
            })
    }
}
