//! The offset APIs: OffsetCommit (member commits checked against the generation,
//! simple commits from non-members allowed while the group is empty),
//! OffsetFetch (single-group before v8, batched from v8; `require_stable` per
//! KIP-447), TxnOffsetCommit (staged until the transaction ends) and the end of a
//! transaction.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{
    GroupId, OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
    TopicName, TxnOffsetCommitRequest, TxnOffsetCommitResponse,
};
use kafka_protocol::protocol::StrBytes;
use tokio::time::Instant;
use tracing::{debug, error};

use super::coordinator::{GroupCoordinator, Shared};
use super::metadata::Group;
use super::offsets::{CommittedOffset, TopicPartition};
use super::state::GroupState;
use crate::txn::TransactionOutcomeListener;

/// One partition of an offset commit, decoded.
struct PartitionCommit {
    partition: TopicPartition,
    offset: CommittedOffset,
}

/// The committed offset of one partition as OffsetFetch reports it.
struct FetchedOffset {
    partition: i32,
    offset: i64,
    leader_epoch: i32,
    metadata: String,
    error: Option<ResponseError>,
}

impl FetchedOffset {
    fn none(partition: i32, error: Option<ResponseError>) -> FetchedOffset {
        FetchedOffset {
            partition,
            offset: -1,
            leader_epoch: -1,
            metadata: String::new(),
            error,
        }
    }
}

/// Per topic, in request order (or topic order for "all partitions").
type FetchedTopics = Vec<(String, Vec<FetchedOffset>)>;

fn code(error: Option<ResponseError>) -> i16 {
    error.map_or(0, |e| e.code())
}

/// The checks of Kafka's classic group for (transactional) offset commits.
fn validate_commit(
    group: &Group,
    member_id: &str,
    instance_id: Option<&str>,
    generation_id: i32,
    transactional: bool,
) -> Result<(), ResponseError> {
    if group.state == GroupState::Dead {
        return Err(ResponseError::CoordinatorNotAvailable);
    }
    if generation_id < 0 && group.state == GroupState::Empty {
        // A commit from outside group management (admin client, assign()).
        return Ok(());
    }
    if generation_id >= 0 || !member_id.is_empty() || instance_id.is_some() {
        if group.is_static_member_fenced(member_id, instance_id) {
            return Err(ResponseError::FencedInstanceId);
        }
        if !group.members.contains_key(member_id) {
            return Err(ResponseError::UnknownMemberId);
        }
        if generation_id != group.generation_id {
            return Err(ResponseError::IllegalGeneration);
        }
    } else if !transactional && group.state != GroupState::Empty {
        // Without member id and generation, commits are accepted only from
        // outside the group, i.e. when it has no members.
        return Err(ResponseError::UnknownMemberId);
    }
    if !transactional && group.state == GroupState::CompletingRebalance {
        // The member knows the new generation but has no assignment yet.
        return Err(ResponseError::RebalanceInProgress);
    }
    Ok(())
}

impl GroupCoordinator {
    /// Handles OffsetCommit of `version`.
    pub fn offset_commit(
        &self,
        request: &OffsetCommitRequest,
        version: i16,
    ) -> OffsetCommitResponse {
        let commits: Vec<PartitionCommit> = request
            .topics
            .iter()
            .flat_map(|topic| {
                topic.partitions.iter().map(|p| PartitionCommit {
                    partition: TopicPartition::new(topic.name.0.as_str(), p.partition_index),
                    offset: CommittedOffset {
                        offset: p.committed_offset,
                        leader_epoch: if version >= 6 {
                            p.committed_leader_epoch
                        } else {
                            -1
                        },
                        metadata: p
                            .committed_metadata
                            .as_ref()
                            .map(|m| m.to_string())
                            .unwrap_or_default(),
                    },
                })
            })
            .collect();
        let errors = self.commit(request, version, &commits);
        let mut topics: Vec<OffsetCommitResponseTopic> = Vec::new();
        for (commit, error) in commits.iter().zip(errors) {
            let partition = OffsetCommitResponsePartition::default()
                .with_partition_index(commit.partition.partition)
                .with_error_code(code(error));
            match topics.last_mut() {
                Some(topic) if topic.name.0.as_str() == commit.partition.topic => {
                    topic.partitions.push(partition)
                }
                _ => topics.push(
                    OffsetCommitResponseTopic::default()
                        .with_name(TopicName(StrBytes::from_string(
                            commit.partition.topic.clone(),
                        )))
                        .with_partitions(vec![partition]),
                ),
            }
        }
        OffsetCommitResponse::default().with_topics(topics)
    }

    fn commit(
        &self,
        request: &OffsetCommitRequest,
        version: i16,
        commits: &[PartitionCommit],
    ) -> Vec<Option<ResponseError>> {
        let group_id = request.group_id.0.as_str();
        let member_id = request.member_id.as_str();
        let instance_id = request.group_instance_id.as_ref().map(StrBytes::as_str);
        let generation_id = request.generation_id_or_member_epoch;
        let mut groups = self.shared.lock();
        let group = match groups.get_mut(group_id) {
            Some(group) => group,
            None if generation_id < 0 => groups
                .entry(group_id.to_string())
                .or_insert_with(|| Group::new(group_id.to_string())),
            None => {
                let error = if version >= 9 {
                    ResponseError::GroupIdNotFound
                } else {
                    ResponseError::IllegalGeneration
                };
                return vec![Some(error); commits.len()];
            }
        };
        if let Err(error) = validate_commit(group, member_id, instance_id, generation_id, false) {
            return vec![Some(error); commits.len()];
        }
        if let Some(member) = group.members.get_mut(member_id) {
            member.last_heartbeat = Instant::now();
        }
        commits
            .iter()
            .map(|commit| store_commit(&self.shared, group, commit).err())
            .collect()
    }

    /// Handles OffsetFetch of `version`: committed offsets of the requested
    /// partitions (all the group's partitions when topics is null), whatever the
    /// group's state.
    pub fn offset_fetch(&self, request: &OffsetFetchRequest, version: i16) -> OffsetFetchResponse {
        let require_stable = version >= 7 && request.require_stable;
        if version < 8 {
            let topics = request.topics.as_ref().map(|topics| {
                topics
                    .iter()
                    .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                    .collect::<Vec<_>>()
            });
            let (error, fetched) = self.fetch(request.group_id.0.as_str(), topics, require_stable);
            let topics = fetched
                .into_iter()
                .map(|(name, partitions)| {
                    OffsetFetchResponseTopic::default()
                        .with_name(TopicName(StrBytes::from_string(name)))
                        .with_partitions(
                            partitions
                                .into_iter()
                                .map(|p| {
                                    OffsetFetchResponsePartition::default()
                                        .with_partition_index(p.partition)
                                        .with_committed_offset(p.offset)
                                        .with_committed_leader_epoch(if version >= 5 {
                                            p.leader_epoch
                                        } else {
                                            -1
                                        })
                                        .with_metadata(Some(StrBytes::from_string(p.metadata)))
                                        .with_error_code(code(p.error))
                                })
                                .collect(),
                        )
                })
                .collect();
            let response = OffsetFetchResponse::default().with_topics(topics);
            return if version >= 2 {
                response.with_error_code(code(error))
            } else {
                response
            };
        }
        let groups = request
            .groups
            .iter()
            .map(|group| {
                let topics = group.topics.as_ref().map(|topics| {
                    topics
                        .iter()
                        .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                        .collect::<Vec<_>>()
                });
                let (error, fetched) =
                    self.fetch(group.group_id.0.as_str(), topics, require_stable);
                let topics = fetched
                    .into_iter()
                    .map(|(name, partitions)| {
                        OffsetFetchResponseTopics::default()
                            .with_name(TopicName(StrBytes::from_string(name)))
                            .with_partitions(
                                partitions
                                    .into_iter()
                                    .map(|p| {
                                        OffsetFetchResponsePartitions::default()
                                            .with_partition_index(p.partition)
                                            .with_committed_offset(p.offset)
                                            .with_committed_leader_epoch(p.leader_epoch)
                                            .with_metadata(Some(StrBytes::from_string(p.metadata)))
                                            .with_error_code(code(p.error))
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
                OffsetFetchResponseGroup::default()
                    .with_group_id(GroupId(group.group_id.0.clone()))
                    .with_topics(topics)
                    .with_error_code(code(error))
            })
            .collect();
        OffsetFetchResponse::default().with_groups(groups)
    }

    fn fetch(
        &self,
        group_id: &str,
        topics: Option<Vec<(String, Vec<i32>)>>,
        require_stable: bool,
    ) -> (Option<ResponseError>, FetchedTopics) {
        let groups = self.shared.lock();
        let group = groups.get(group_id);
        let fetch_one = |partition: &TopicPartition| -> FetchedOffset {
            let Some(group) = group else {
                return FetchedOffset::none(partition.partition, None);
            };
            if require_stable && group.offsets.has_pending(partition) {
                return FetchedOffset::none(
                    partition.partition,
                    Some(ResponseError::UnstableOffsetCommit),
                );
            }
            match group.offsets.committed(partition) {
                Some(committed) => FetchedOffset {
                    partition: partition.partition,
                    offset: committed.offset,
                    leader_epoch: committed.leader_epoch,
                    metadata: committed.metadata.clone(),
                    error: None,
                },
                None => FetchedOffset::none(partition.partition, None),
            }
        };
        let fetched = match topics {
            Some(topics) => topics
                .into_iter()
                .map(|(topic, partitions)| {
                    let offsets = partitions
                        .into_iter()
                        .map(|p| fetch_one(&TopicPartition::new(topic.clone(), p)))
                        .collect();
                    (topic, offsets)
                })
                .collect(),
            None => {
                let mut all: FetchedTopics = Vec::new();
                let partitions = group.into_iter().flat_map(|g| g.offsets.all_committed());
                for (partition, _) in partitions {
                    let offset = fetch_one(partition);
                    match all.last_mut() {
                        Some((topic, offsets)) if *topic == partition.topic => offsets.push(offset),
                        _ => all.push((partition.topic.clone(), vec![offset])),
                    }
                }
                all
            }
        };
        (None, fetched)
    }

    /// Handles TxnOffsetCommit of `version`: the offsets are staged for the
    /// producer's transaction and become visible only if it commits (see
    /// [`GroupCoordinator::complete_transaction`]). Validating the producer id
    /// and epoch is the transaction coordinator's part.
    pub fn txn_offset_commit(
        &self,
        request: &TxnOffsetCommitRequest,
        version: i16,
    ) -> TxnOffsetCommitResponse {
        let errors = self.stage(request, version);
        let mut errors = errors.into_iter();
        let topics = request
            .topics
            .iter()
            .map(|topic| {
                let partitions = topic
                    .partitions
                    .iter()
                    .map(|p| {
                        TxnOffsetCommitResponsePartition::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(code(errors.next().flatten()))
                    })
                    .collect();
                TxnOffsetCommitResponseTopic::default()
                    .with_name(topic.name.clone())
                    .with_partitions(partitions)
            })
            .collect();
        TxnOffsetCommitResponse::default().with_topics(topics)
    }

    fn stage(&self, request: &TxnOffsetCommitRequest, version: i16) -> Vec<Option<ResponseError>> {
        let count = request.topics.iter().map(|t| t.partitions.len()).sum();
        let group_id = request.group_id.0.as_str();
        if group_id.is_empty() {
            return vec![Some(ResponseError::InvalidGroupId); count];
        }
        let (member_id, instance_id, generation_id) = if version >= 3 {
            (
                request.member_id.as_str(),
                request.group_instance_id.as_ref().map(StrBytes::as_str),
                request.generation_id,
            )
        } else {
            ("", None, -1)
        };
        let mut groups = self.shared.lock();
        let group = groups
            .entry(group_id.to_string())
            .or_insert_with(|| Group::new(group_id.to_string()));
        if let Err(error) = validate_commit(group, member_id, instance_id, generation_id, true) {
            return vec![Some(error); count];
        }
        let max_metadata = self.shared.config.max_offset_metadata_bytes;
        let producer_id = request.producer_id.0;
        let mut errors = Vec::with_capacity(count);
        for topic in &request.topics {
            for p in &topic.partitions {
                let metadata = p
                    .committed_metadata
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_default();
                if metadata.len() > max_metadata {
                    errors.push(Some(ResponseError::OffsetMetadataTooLarge));
                    continue;
                }
                let offset = CommittedOffset {
                    offset: p.committed_offset,
                    leader_epoch: if version >= 2 {
                        p.committed_leader_epoch
                    } else {
                        -1
                    },
                    metadata,
                };
                group.offsets.stage(
                    producer_id,
                    TopicPartition::new(topic.name.0.as_str(), p.partition_index),
                    offset,
                );
                errors.push(None);
            }
        }
        debug!(group = %group_id, producer_id, partitions = count, "staged transactional offsets");
        errors
    }

    /// Ends the transaction of `producer_id` in `groups` (those it added with
    /// AddOffsetsToTxn): on commit its staged offsets become committed (and
    /// persisted), on abort they are dropped. The broker's EndTxn, transaction
    /// timeouts and fencing call it through [`TransactionOutcomeListener`].
    pub fn complete_transaction(&self, producer_id: i64, groups: &[String], committed: bool) {
        let mut all = self.shared.lock();
        for group_id in groups {
            let Some(group) = all.get_mut(group_id) else {
                continue;
            };
            let applied = group.offsets.complete_transaction(producer_id, committed);
            debug!(group = %group_id, producer_id, committed, offsets = applied.len(), "transaction ended");
            for (partition, offset) in applied {
                if let Err(failure) = self
                    .shared
                    .persistence
                    .persist(&group.id, &partition, &offset)
                {
                    error!(group = %group.id, %failure, "could not persist a transactional offset commit");
                }
            }
        }
    }
}

impl TransactionOutcomeListener for GroupCoordinator {
    fn transaction_completed(&self, producer_id: i64, groups: &[String], committed: bool) {
        self.complete_transaction(producer_id, groups, committed);
    }
}

/// Stores one committed offset, after persisting it.
fn store_commit(
    shared: &Shared,
    group: &mut Group,
    commit: &PartitionCommit,
) -> Result<(), ResponseError> {
    if commit.offset.metadata.len() > shared.config.max_offset_metadata_bytes {
        return Err(ResponseError::OffsetMetadataTooLarge);
    }
    if let Err(failure) = shared
        .persistence
        .persist(&group.id, &commit.partition, &commit.offset)
    {
        error!(group = %group.id, %failure, "could not persist an offset commit");
        return Err(ResponseError::UnknownServerError);
    }
    group
        .offsets
        .commit(commit.partition.clone(), commit.offset.clone());
    Ok(())
}
