//! Admin APIs: CreateTopics, DeleteTopics, CreatePartitions, DeleteRecords and
//! DescribeConfigs (with the defaults Kafka reports).

use crate::api::{str_bytes, topic_name};
use crate::broker::Broker;
use crate::sync::lock;
use crate::topic_configs::{self, ConfigSource};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult,
};
use kafka_protocol::messages::{
    CreatePartitionsRequest, CreatePartitionsResponse, CreateTopicsRequest, CreateTopicsResponse,
    DeleteRecordsRequest, DeleteRecordsResponse, DeleteTopicsRequest, DeleteTopicsResponse,
    DescribeConfigsRequest, DescribeConfigsResponse, RequestHeader,
};
use std::collections::BTreeMap;

/// Partition count or replication factor left to the broker default.
const BROKER_DEFAULT: i32 = -1;
const TOPIC_RESOURCE: i8 = 2;
const BROKER_RESOURCE: i8 = 4;

impl Broker {
    /// CreateTopics.
    pub async fn create_topics(
        &self,
        header: &RequestHeader,
        request: CreateTopicsRequest,
    ) -> CreateTopicsResponse {
        let version = header.request_api_version;
        let topics = request
            .topics
            .into_iter()
            .map(|wanted| {
                let partitions = match wanted.num_partitions {
                    BROKER_DEFAULT => self.config.default_partitions,
                    n => n,
                };
                let replication = match i32::from(wanted.replication_factor) {
                    BROKER_DEFAULT => 1,
                    _ => wanted.replication_factor,
                };
                let configs: BTreeMap<String, String> = wanted
                    .configs
                    .iter()
                    .filter_map(|c| Some((c.name.to_string(), c.value.as_ref()?.to_string())))
                    .collect();
                let result = CreatableTopicResult::default().with_name(wanted.name.clone());
                let invalid_config = configs
                    .keys()
                    .find(|k| !topic_configs::is_topic_config(k))
                    .cloned();
                let created = match invalid_config {
                    Some(key) => Err((
                        ResponseError::InvalidConfig,
                        format!("unknown topic config {key}"),
                    )),
                    None => self
                        .create_topic(
                            &wanted.name,
                            partitions,
                            replication,
                            configs,
                            request.validate_only,
                        )
                        .map_err(|e| (e, e.to_string())),
                };
                match created {
                    Ok(topic) => {
                        let mut result = result
                            .with_num_partitions(partitions)
                            .with_replication_factor(replication);
                        if version >= 5 {
                            result.configs = Some(
                                topic_configs::topic_entries(&topic.configs)
                                    .into_iter()
                                    .map(|(name, value, source)| {
                                        CreatableTopicConfigs::default()
                                            .with_name(str_bytes(name))
                                            .with_value(Some(str_bytes(&value)))
                                            .with_config_source(source as i8)
                                    })
                                    .collect(),
                            );
                        }
                        if version >= 7 {
                            result.topic_id = topic.id;
                        }
                        result
                    }
                    Err((error, message)) => {
                        let mut result = result.with_error_code(error.code());
                        if version >= 1 {
                            result.error_message = Some(str_bytes(&message));
                        }
                        if version >= 5 {
                            result.num_partitions = -1;
                            result.replication_factor = -1;
                        }
                        result
                    }
                }
            })
            .collect();
        CreateTopicsResponse::default().with_topics(topics)
    }

    /// DeleteTopics (by name, or by id from v6).
    pub async fn delete_topics(
        &self,
        header: &RequestHeader,
        request: DeleteTopicsRequest,
    ) -> DeleteTopicsResponse {
        let version = header.request_api_version;
        let wanted: Vec<(Option<String>, uuid::Uuid)> = if version >= 6 {
            request
                .topics
                .into_iter()
                .map(|t| (t.name.map(|n| n.0.to_string()), t.topic_id))
                .collect()
        } else {
            request
                .topic_names
                .into_iter()
                .map(|n| (Some(n.0.to_string()), uuid::Uuid::nil()))
                .collect()
        };
        let responses = wanted
            .into_iter()
            .map(|(name, id)| {
                let name = name.or_else(|| self.topic_by_id(id).map(|t| t.name.clone()));
                let outcome = match &name {
                    Some(name) => self.delete_topic(name),
                    None => Err(ResponseError::UnknownTopicId),
                };
                let mut result =
                    DeletableTopicResult::default().with_name(name.as_deref().map(topic_name));
                match outcome {
                    Ok(topic) => {
                        if version >= 6 {
                            result.topic_id = topic.id;
                        }
                    }
                    Err(error) => {
                        result.error_code = error.code();
                        if version >= 6 {
                            result.topic_id = id;
                        }
                    }
                }
                result
            })
            .collect();
        DeleteTopicsResponse::default().with_responses(responses)
    }

    /// CreatePartitions.
    pub async fn create_partitions(
        &self,
        _header: &RequestHeader,
        request: CreatePartitionsRequest,
    ) -> CreatePartitionsResponse {
        let results = request
            .topics
            .into_iter()
            .map(|wanted| {
                let result = CreatePartitionsTopicResult::default().with_name(wanted.name.clone());
                match self.add_partitions(&wanted.name, wanted.count, request.validate_only) {
                    Ok(()) => result,
                    Err(error) => result
                        .with_error_code(error.code())
                        .with_error_message(Some(str_bytes(&error.to_string()))),
                }
            })
            .collect();
        CreatePartitionsResponse::default().with_results(results)
    }

    /// DeleteRecords: moves each partition's log start offset.
    pub async fn delete_records(
        &self,
        _header: &RequestHeader,
        request: DeleteRecordsRequest,
    ) -> DeleteRecordsResponse {
        let topics = request
            .topics
            .into_iter()
            .map(|wanted| {
                let topic = self.topic(&wanted.name);
                let partitions = wanted
                    .partitions
                    .into_iter()
                    .map(|p| {
                        let result = DeleteRecordsPartitionResult::default()
                            .with_partition_index(p.partition_index)
                            .with_low_watermark(-1);
                        match topic.as_ref().and_then(|t| t.partition(p.partition_index)) {
                            None => result
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code()),
                            Some(partition) => match lock(&partition).delete_before(p.offset) {
                                Ok(low) => result.with_low_watermark(low),
                                Err(error) => result.with_error_code(error.code()),
                            },
                        }
                    })
                    .collect();
                DeleteRecordsTopicResult::default()
                    .with_name(wanted.name)
                    .with_partitions(partitions)
            })
            .collect();
        DeleteRecordsResponse::default().with_topics(topics)
    }

    /// DescribeConfigs for topics and this broker.
    pub async fn describe_configs(
        &self,
        header: &RequestHeader,
        request: DescribeConfigsRequest,
    ) -> DescribeConfigsResponse {
        let version = header.request_api_version;
        let results = request
            .resources
            .into_iter()
            .map(|resource| {
                let result = DescribeConfigsResult::default()
                    .with_resource_type(resource.resource_type)
                    .with_resource_name(resource.resource_name.clone());
                let entries = match resource.resource_type {
                    TOPIC_RESOURCE => match self.topic(&resource.resource_name) {
                        Some(topic) => Ok(topic_configs::topic_entries(&topic.configs)),
                        None => Err(ResponseError::UnknownTopicOrPartition),
                    },
                    BROKER_RESOURCE => {
                        let name = resource.resource_name.as_str();
                        if name.is_empty() || name == self.config.node_id.to_string() {
                            Ok(topic_configs::broker_entries(&self.config))
                        } else {
                            Err(ResponseError::InvalidRequest)
                        }
                    }
                    _ => Err(ResponseError::InvalidRequest),
                };
                let wanted_keys = resource.configuration_keys;
                match entries {
                    Ok(entries) => result.with_configs(
                        entries
                            .into_iter()
                            .filter(|(name, _, _)| {
                                wanted_keys
                                    .as_ref()
                                    .is_none_or(|keys| keys.iter().any(|k| k.as_str() == *name))
                            })
                            .map(|(name, value, source)| {
                                let mut entry = DescribeConfigsResourceResult::default()
                                    .with_name(str_bytes(name))
                                    .with_value(Some(str_bytes(&value)))
                                    .with_read_only(source == ConfigSource::StaticBroker)
                                    .with_config_source(source as i8);
                                if version >= 3 {
                                    entry.config_type = topic_configs::config_type(name) as i8;
                                }
                                entry
                            })
                            .collect(),
                    ),
                    Err(error) => result
                        .with_error_code(error.code())
                        .with_error_message(Some(str_bytes(&error.to_string()))),
                }
            })
            .collect();
        DescribeConfigsResponse::default().with_results(results)
    }
}
