//! Metadata: this broker, and each topic's partitions led by it; creates missing
//! topics when auto-creation is enabled.

use crate::api::{str_bytes, topic_name};
use crate::broker::Broker;
use crate::topics::Topic;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, RequestHeader};
use std::collections::BTreeMap;

impl Broker {
    /// Metadata.
    pub async fn metadata(
        &self,
        header: &RequestHeader,
        request: MetadataRequest,
    ) -> MetadataResponse {
        let version = header.request_api_version;
        let node = BrokerId(self.config.node_id);
        let topics = match request.topics {
            None => self
                .topics()
                .iter()
                .map(|t| self.describe_topic(t, version))
                .collect(),
            Some(requested) => requested
                .into_iter()
                .map(|wanted| {
                    let found = match &wanted.name {
                        Some(name) => self.topic(name).or_else(|| {
                            let allowed = version < 4 || request.allow_auto_topic_creation;
                            (self.config.auto_create_topics && allowed)
                                .then(|| {
                                    self.create_topic(
                                        name,
                                        self.config.default_partitions,
                                        1,
                                        BTreeMap::new(),
                                        false,
                                    )
                                    .ok()
                                })
                                .flatten()
                                .or_else(|| self.topic(name))
                        }),
                        None => self.topic_by_id(wanted.topic_id),
                    };
                    match found {
                        Some(topic) => self.describe_topic(&topic, version),
                        None => {
                            let mut missing = MetadataResponseTopic::default()
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code())
                                .with_name(wanted.name);
                            if version >= 10 {
                                missing.topic_id = wanted.topic_id;
                            }
                            missing
                        }
                    }
                })
                .collect(),
        };
        MetadataResponse::default()
            .with_brokers(vec![
                MetadataResponseBroker::default()
                    .with_node_id(node)
                    .with_host(str_bytes(&self.host))
                    .with_port(self.port),
            ])
            .with_cluster_id(Some(str_bytes(&self.cluster_id)))
            .with_controller_id(node)
            .with_topics(topics)
    }

    fn describe_topic(&self, topic: &Topic, version: i16) -> MetadataResponseTopic {
        let node = BrokerId(self.config.node_id);
        let partitions = (0..topic.partition_count())
            .map(|index| {
                MetadataResponsePartition::default()
                    .with_partition_index(index)
                    .with_leader_id(node)
                    .with_leader_epoch(0)
                    .with_replica_nodes(vec![node])
                    .with_isr_nodes(vec![node])
            })
            .collect();
        let mut described = MetadataResponseTopic::default()
            .with_name(Some(topic_name(&topic.name)))
            .with_partitions(partitions);
        if version >= 10 {
            described.topic_id = topic.id;
        }
        described
    }
}
