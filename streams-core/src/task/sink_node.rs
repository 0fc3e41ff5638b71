//! A sink node: serializes records and hands them to the task's collector.

use super::{NodeInput, TaskContext, TaskNode};
use crate::error::{ProcessError, RecordPart, StreamsError};
use crate::processor::PunctuatorId;
use crate::record::{ProducedRecord, Record};
use crate::serde::{SerdeContext, SerdeRef};
use crate::topology::TopicChooser;
use std::any::Any;
use std::sync::Arc;

/// Where a sink writes: one topic (already resolved, internal topics prefixed with
/// the application id) or a topic chosen per record.
pub(crate) enum SinkTarget<K, V> {
    Fixed(Arc<str>),
    PerRecord(TopicChooser<K, V>),
}

pub(crate) struct SinkNode<K, V> {
    name: Arc<str>,
    target: SinkTarget<K, V>,
    key_serde: SerdeRef<K>,
    value_serde: SerdeRef<V>,
}

impl<K, V> SinkNode<K, V> {
    pub(crate) fn new(
        name: Arc<str>,
        target: SinkTarget<K, V>,
        key_serde: SerdeRef<K>,
        value_serde: SerdeRef<V>,
    ) -> Self {
        Self {
            name,
            target,
            key_serde,
            value_serde,
        }
    }

    fn serialization_error(
        &self,
        topic: &str,
        part: RecordPart,
        serde: &str,
        source: crate::serde::SerdeError,
    ) -> ProcessError {
        StreamsError::Serialization {
            topic: topic.to_string(),
            node: self.name.to_string(),
            part,
            serde: serde.to_string(),
            source: Box::new(source),
        }
        .into()
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
        let key = self
            .key_serde
            .serialize_with_context(&SerdeContext::key(&topic, &record.headers), &record.key)
            .map_err(|e| {
                self.serialization_error(&topic, RecordPart::Key, self.key_serde.name(), e)
            })?;
        let value = self
            .value_serde
            .serialize_with_context(&SerdeContext::value(&topic, &record.headers), &record.value)
            .map_err(|e| {
                self.serialization_error(&topic, RecordPart::Value, self.value_serde.name(), e)
            })?;
        task.collector.send(ProducedRecord {
            topic,
            partition: None,
            key,
            value,
            timestamp: record.timestamp,
            headers: record.headers,
        })?;
        task.metrics.produced_records += 1;
        Ok(())
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
