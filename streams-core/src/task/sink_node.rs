//! A sink node: serializes records, chooses their partition with the sink's
//! partitioner and hands them to the task's collector; a record that cannot be
//! serialized (its serde fails or panics) or sent meets the production handler.

use super::{Handled, NodeInput, TaskContext, TaskNode, serde_guarded};
use crate::error::{ProcessError, RecordPart, StreamsError};
use crate::handler::ErrorStage;
use crate::partitioner::{PartitionerRef, default_partition};
use crate::processor::PunctuatorId;
use crate::record::{ProducedRecord, Record};
use crate::serde::{PartitionBytes, SerdeContext, SerdeRef};
use crate::topology::TopicChooser;
use std::any::Any;
use std::sync::Arc;

/// Where a sink writes: one topic (already resolved, internal topics prefixed with
/// the application id) or a topic chosen per record.
pub(crate) enum SinkTarget<K, V> {
    Fixed(Arc<str>),
    PerRecord(TopicChooser<K, V>),
}

/// How a sink partitions: a custom partitioner first (if any), then the
/// default partitioning, murmur2 of the serialized key, or of the bytes the
/// key serde names (windowed keys: the inner key). A null key is left to the
/// producer.
pub(crate) struct SinkPartitioning<K, V> {
    pub(crate) custom: Option<PartitionerRef<K, V>>,
    pub(crate) key_bytes: Option<PartitionBytes<K>>,
}

pub(crate) struct SinkNode<K, V> {
    name: Arc<str>,
    target: SinkTarget<K, V>,
    key_serde: SerdeRef<K>,
    value_serde: SerdeRef<V>,
    partitioning: SinkPartitioning<K, V>,
    /// Partitions of a fixed target topic, once known.
    fixed_partitions: Option<i32>,
}

impl<K, V> SinkNode<K, V> {
    pub(crate) fn new(
        name: Arc<str>,
        target: SinkTarget<K, V>,
        key_serde: SerdeRef<K>,
        value_serde: SerdeRef<V>,
        partitioning: SinkPartitioning<K, V>,
    ) -> Self {
        Self {
            name,
            target,
            key_serde,
            value_serde,
            partitioning,
            fixed_partitions: None,
        }
    }

    /// The partition of `record` (serialized key `key`) in `topic`, `None`
    /// for the producer to choose (null keys).
    fn partition(
        &mut self,
        topic: &str,
        record: &Record<K, V>,
        key: Option<&[u8]>,
        task: &mut TaskContext,
    ) -> Result<Option<i32>, ProcessError> {
        let partitions = match (&self.target, self.fixed_partitions) {
            (SinkTarget::Fixed(_), Some(partitions)) => partitions,
            (SinkTarget::Fixed(_), None) => {
                let partitions = task.collector.partitions(topic)?;
                self.fixed_partitions = Some(partitions);
                partitions
            }
            (SinkTarget::PerRecord(_), _) => task.collector.partitions(topic)?,
        };
        let chosen = self
            .partitioning
            .custom
            .as_ref()
            .and_then(|p| p.partition(topic, &record.key, Some(&record.value), partitions));
        match chosen {
            Some(partition) if (0..partitions).contains(&partition) => Ok(Some(partition)),
            Some(partition) => Err(StreamsError::PartitionOutOfRange {
                node: self.name.to_string(),
                topic: topic.to_string(),
                partition,
                partitions,
            }
            .into()),
            None => {
                let bytes = match &self.partitioning.key_bytes {
                    Some(key_bytes) => key_bytes(&record.key).map_err(|e| {
                        self.serialization_error(topic, RecordPart::Key, self.key_serde.name(), e)
                    })?,
                    None => return Ok(key.map(|key| default_partition(key, partitions))),
                };
                Ok(bytes.map(|bytes| default_partition(&bytes, partitions)))
            }
        }
    }

    fn serialization_error(
        &self,
        topic: &str,
        part: RecordPart,
        serde: &str,
        source: crate::serde::SerdeError,
    ) -> StreamsError {
        StreamsError::Serialization {
            topic: topic.to_string(),
            node: self.name.to_string(),
            part,
            serde: serde.to_string(),
            source: Box::new(source),
        }
    }

    /// Applies the production handler to a record this sink could not
    /// serialize or send.
    fn production_failure(
        &self,
        task: &mut TaskContext,
        exception: &str,
        error: StreamsError,
    ) -> Result<(), ProcessError> {
        match task.handle_failure(ErrorStage::Production, Some(&self.name), exception, &error) {
            Ok(Handled::Continue) => Ok(()),
            Ok(Handled::Fail) => Err(ProcessError::from(error).at_node(&self.name)),
            Err(dead_letter_failed) => {
                Err(ProcessError::from(dead_letter_failed).at_node(&self.name))
            }
        }
    }
}

impl<K, V> NodeInput<K, V> for SinkNode<K, V> {
    fn process(
        &mut self,
        record: Record<K, V>,
        task: &mut TaskContext,
    ) -> Result<(), ProcessError> {
        let topic: Arc<str> = match &self.target {
            SinkTarget::Fixed(topic) => topic.clone(),
            SinkTarget::PerRecord(choose) => choose(&record).into(),
        };
        let serialized = serde_guarded(|| {
            self.key_serde
                .serialize_with_context(&SerdeContext::key(&topic, &record.headers), &record.key)
        })
        .map_err(|e| self.serialization_error(&topic, RecordPart::Key, self.key_serde.name(), e))
        .and_then(|key| {
            serde_guarded(|| {
                self.value_serde.serialize_with_context(
                    &SerdeContext::value(&topic, &record.headers),
                    &record.value,
                )
            })
            .map(|value| (key, value))
            .map_err(|e| {
                self.serialization_error(&topic, RecordPart::Value, self.value_serde.name(), e)
            })
        });
        let (key, value) = match serialized {
            Ok(serialized) => serialized,
            Err(error) => return self.production_failure(task, "SerializationError", error),
        };
        let partition = self.partition(&topic, &record, key.as_deref(), task)?;
        let sent = task.collector.send(ProducedRecord {
            topic,
            partition,
            key,
            value,
            timestamp: record.timestamp,
            headers: record.headers,
        });
        match sent {
            Ok(()) => {
                task.metrics.produced_records += 1;
                task.sensors.produced();
                Ok(())
            }
            Err(error @ StreamsError::Produce { .. }) => {
                self.production_failure(task, "ProductionError", error)
            }
            Err(other) => Err(ProcessError::from(other).at_node(&self.name)),
        }
    }
}

impl<K, V> TaskNode for SinkNode<K, V> {
    fn init(&mut self, _task: &mut TaskContext) -> Result<(), ProcessError> {
        Ok(())
    }

    fn punctuate(
        &mut self,
        _: PunctuatorId,
        _: i64,
        _: &mut TaskContext,
    ) -> Result<(), ProcessError> {
        Ok(())
    }

    fn flush(&mut self, _task: &mut TaskContext) -> Result<(), ProcessError> {
        Ok(())
    }

    fn close(&mut self) {}

    fn connect(&mut self, _child_name: Arc<str>, _child_input: &dyn Any) -> bool {
        false
    }
}
