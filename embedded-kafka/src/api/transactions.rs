//! Transactional APIs: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
//! plus the expiry of abandoned transactions. Markers are written here.

use crate::batch::Marker;
use crate::broker::Broker;
use crate::txn::EndedTransaction;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse, EndTxnRequest, EndTxnResponse, InitProducerIdRequest,
    InitProducerIdResponse, ProducerId, RequestHeader,
};
use std::time::Duration;

/// Error codes older request versions know instead of PRODUCER_FENCED (KIP-588).
fn for_version(error: ResponseError, version: i16, fenced_since: i16) -> ResponseError {
    if error == ResponseError::ProducerFenced && version < fenced_since {
        ResponseError::InvalidProducerEpoch
    } else {
        error
    }
}

impl Broker {
    /// Writes the markers of an ended transaction, tells the listeners, then
    /// journals the transaction complete.
    pub(crate) fn complete(&self, ended: &EndedTransaction) {
        let marker = if ended.committed {
            Marker::Commit
        } else {
            Marker::Abort
        };
        self.write_markers(
            &ended.partitions,
            marker,
            ended.producer_id,
            ended.producer_epoch,
        );
        self.transactions.notify_listeners(ended);
        self.transactions.markers_written(ended);
    }

    /// Aborts transactions that outlived their timeout.
    pub fn abort_expired_transactions(&self) {
        for ended in self
            .transactions
            .abort_expired(&|| self.allocate_producer_id())
        {
            self.complete(&ended);
        }
    }

    /// InitProducerId: a new idempotent producer, or (re-)initialising a transactional id.
    pub async fn init_producer_id(
        &self,
        header: &RequestHeader,
        request: InitProducerIdRequest,
    ) -> InitProducerIdResponse {
        let version = header.request_api_version;
        let response = InitProducerIdResponse::default().with_producer_id(ProducerId(-1));
        let Some(transactional_id) = request.transactional_id else {
            let (producer_id, epoch) = if request.producer_id.0 >= 0
                && request.producer_epoch >= 0
                && request.producer_epoch < i16::MAX - 1
            {
                (request.producer_id.0, request.producer_epoch + 1)
            } else {
                (self.allocate_producer_id(), 0)
            };
            return response
                .with_producer_id(ProducerId(producer_id))
                .with_producer_epoch(epoch);
        };
        let timeout_ms = u64::try_from(request.transaction_timeout_ms).unwrap_or(0);
        let timeout = Duration::from_millis(timeout_ms);
        if timeout_ms == 0 || timeout > self.config.transaction_max_timeout {
            return response.with_error_code(ResponseError::InvalidTransactionTimeout.code());
        }
        let expected =
            (request.producer_id.0 >= 0).then_some((request.producer_id.0, request.producer_epoch));
        match self
            .transactions
            .init_producer(&transactional_id, timeout, expected, || {
                self.allocate_producer_id()
            }) {
            Ok((producer_id, epoch, aborted)) => {
                if let Some(aborted) = aborted {
                    self.complete(&aborted);
                }
                response
                    .with_producer_id(ProducerId(producer_id))
                    .with_producer_epoch(epoch)
            }
            Err(error) => response.with_error_code(for_version(error, version, 4).code()),
        }
    }

    /// AddPartitionsToTxn (v0-3: one transaction per request).
    pub async fn add_partitions_to_txn(
        &self,
        header: &RequestHeader,
        request: AddPartitionsToTxnRequest,
    ) -> AddPartitionsToTxnResponse {
        let version = header.request_api_version;
        let topics = &request.v3_and_below_topics;
        let missing = |topic: &str, partition: i32| self.partition(topic, partition).is_none();
        let any_missing = topics
            .iter()
            .any(|t| t.partitions.iter().any(|p| missing(&t.name, *p)));
        let outcome = if any_missing {
            Err(None)
        } else {
            let partitions: Vec<(String, i32)> = topics
                .iter()
                .flat_map(|t| t.partitions.iter().map(|p| (t.name.0.to_string(), *p)))
                .collect();
            self.transactions
                .add_to_transaction(
                    &request.v3_and_below_transactional_id,
                    request.v3_and_below_producer_id.0,
                    request.v3_and_below_producer_epoch,
                    &partitions,
                    None,
                )
                .map_err(Some)
        };
        let results = topics
            .iter()
            .map(|t| {
                let results_by_partition = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let error = match &outcome {
                            Ok(()) => 0,
                            Err(None) if missing(&t.name, *p) => {
                                ResponseError::UnknownTopicOrPartition.code()
                            }
                            Err(None) => ResponseError::OperationNotAttempted.code(),
                            Err(Some(error)) => for_version(*error, version, 2).code(),
                        };
                        AddPartitionsToTxnPartitionResult::default()
                            .with_partition_index(*p)
                            .with_partition_error_code(error)
                    })
                    .collect();
                AddPartitionsToTxnTopicResult::default()
                    .with_name(t.name.clone())
                    .with_results_by_partition(results_by_partition)
            })
            .collect();
        AddPartitionsToTxnResponse::default().with_results_by_topic_v3_and_below(results)
    }

    /// AddOffsetsToTxn: adds a consumer group to the open transaction.
    pub async fn add_offsets_to_txn(
        &self,
        header: &RequestHeader,
        request: AddOffsetsToTxnRequest,
    ) -> AddOffsetsToTxnResponse {
        let outcome = self.transactions.add_to_transaction(
            &request.transactional_id,
            request.producer_id.0,
            request.producer_epoch,
            &[],
            Some(&request.group_id),
        );
        let code = outcome.map_or_else(
            |e| for_version(e, header.request_api_version, 2).code(),
            |()| 0,
        );
        AddOffsetsToTxnResponse::default().with_error_code(code)
    }

    /// EndTxn: commits or aborts, writing markers to every partition of the transaction.
    pub async fn end_txn(&self, header: &RequestHeader, request: EndTxnRequest) -> EndTxnResponse {
        match self.transactions.end_transaction(
            &request.transactional_id,
            request.producer_id.0,
            request.producer_epoch,
            request.committed,
        ) {
            Ok(ended) => {
                if let Some(ended) = ended {
                    self.complete(&ended);
                }
                EndTxnResponse::default()
            }
            Err(error) => EndTxnResponse::default()
                .with_error_code(for_version(error, header.request_api_version, 2).code()),
        }
    }
}
