//! Group APIs: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
//! OffsetFetch, TxnOffsetCommit, DescribeGroups and ListGroups, served by the
//! broker's [`GroupCoordinator`](crate::group::GroupCoordinator).

use crate::broker::Broker;
use crate::group::ClientInfo;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{
    DescribeGroupsRequest, DescribeGroupsResponse, HeartbeatRequest, HeartbeatResponse,
    JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest,
    OffsetFetchResponse, RequestHeader, SyncGroupRequest, SyncGroupResponse,
    TxnOffsetCommitRequest, TxnOffsetCommitResponse,
};

/// The member's client as DescribeGroups reports it. The connection's address is
/// not passed to handlers, so the host is left empty.
fn client_info(header: &RequestHeader) -> ClientInfo {
    ClientInfo {
        client_id: header
            .client_id
            .as_ref()
            .map(|id| id.to_string())
            .unwrap_or_default(),
        client_host: String::new(),
    }
}

impl Broker {
    /// JoinGroup: waits at the join barrier while the group rebalances.
    pub async fn join_group(
        &self,
        header: &RequestHeader,
        request: JoinGroupRequest,
    ) -> JoinGroupResponse {
        self.groups
            .join_group(&request, header.request_api_version, &client_info(header))
            .await
    }

    /// SyncGroup: waits for the leader's assignment.
    pub async fn sync_group(
        &self,
        header: &RequestHeader,
        request: SyncGroupRequest,
    ) -> SyncGroupResponse {
        self.groups
            .sync_group(&request, header.request_api_version)
            .await
    }

    /// Heartbeat.
    pub async fn heartbeat(
        &self,
        header: &RequestHeader,
        request: HeartbeatRequest,
    ) -> HeartbeatResponse {
        self.groups.heartbeat(&request, header.request_api_version)
    }

    /// LeaveGroup.
    pub async fn leave_group(
        &self,
        header: &RequestHeader,
        request: LeaveGroupRequest,
    ) -> LeaveGroupResponse {
        self.groups
            .leave_group(&request, header.request_api_version)
    }

    /// OffsetCommit: partitions this broker does not host are refused with
    /// UNKNOWN_TOPIC_OR_PARTITION, as Kafka does.
    pub async fn offset_commit(
        &self,
        header: &RequestHeader,
        mut request: OffsetCommitRequest,
    ) -> OffsetCommitResponse {
        let mut unknown = Vec::new();
        for topic in &mut request.topics {
            let name = topic.name.0.to_string();
            topic.partitions.retain(|p| {
                let hosted = self.partition(&name, p.partition_index).is_some();
                if !hosted {
                    unknown.push((topic.name.clone(), p.partition_index));
                }
                hosted
            });
        }
        request.topics.retain(|t| !t.partitions.is_empty());
        let mut response = self
            .groups
            .offset_commit(&request, header.request_api_version);
        for (name, partition) in unknown {
            let refused = OffsetCommitResponsePartition::default()
                .with_partition_index(partition)
                .with_error_code(ResponseError::UnknownTopicOrPartition.code());
            match response.topics.iter_mut().find(|t| t.name == name) {
                Some(topic) => topic.partitions.push(refused),
                None => response.topics.push(
                    OffsetCommitResponseTopic::default()
                        .with_name(name)
                        .with_partitions(vec![refused]),
                ),
            }
        }
        response
    }

    /// OffsetFetch.
    pub async fn offset_fetch(
        &self,
        header: &RequestHeader,
        request: OffsetFetchRequest,
    ) -> OffsetFetchResponse {
        self.groups
            .offset_fetch(&request, header.request_api_version)
    }

    /// TxnOffsetCommit: the producer must be the current one of its transactional
    /// id and have added the group to its open transaction (AddOffsetsToTxn); the
    /// offsets stay invisible until its transaction commits.
    pub async fn txn_offset_commit(
        &self,
        header: &RequestHeader,
        request: TxnOffsetCommitRequest,
    ) -> TxnOffsetCommitResponse {
        let verified = self.transactions.verify_offsets_commit(
            request.transactional_id.0.as_str(),
            request.producer_id.0,
            request.producer_epoch,
            request.group_id.0.as_str(),
        );
        match verified {
            Ok(()) => self
                .groups
                .txn_offset_commit(&request, header.request_api_version),
            Err(error) => {
                let topics = request
                    .topics
                    .iter()
                    .map(|topic| {
                        TxnOffsetCommitResponseTopic::default()
                            .with_name(topic.name.clone())
                            .with_partitions(
                                topic
                                    .partitions
                                    .iter()
                                    .map(|p| {
                                        TxnOffsetCommitResponsePartition::default()
                                            .with_partition_index(p.partition_index)
                                            .with_error_code(error.code())
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
                TxnOffsetCommitResponse::default().with_topics(topics)
            }
        }
    }

    /// DescribeGroups.
    pub async fn describe_groups(
        &self,
        header: &RequestHeader,
        request: DescribeGroupsRequest,
    ) -> DescribeGroupsResponse {
        self.groups
            .describe_groups(&request, header.request_api_version)
    }

    /// ListGroups.
    pub async fn list_groups(
        &self,
        header: &RequestHeader,
        request: ListGroupsRequest,
    ) -> ListGroupsResponse {
        self.groups
            .list_groups(&request, header.request_api_version)
    }
}
