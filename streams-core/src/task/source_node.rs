//! A source node: deserializes raw records of its topics and forwards them.

use super::graph::connect_child;
use super::{Child, RawInput, SourceFailure, TaskContext, TaskNode, serde_guarded};
use crate::error::{ProcessError, RecordPart, StreamsError};
use crate::processor::{ProcessorContext, PunctuatorId};
use crate::record::Record;
use crate::serde::{SerdeContext, SerdeRef};
use std::any::Any;
use std::sync::Arc;

/// Deserializes with the source's serdes and forwards to its children.
pub(crate) struct SourceNode<K, V> {
    index: usize,
    key_serde: SerdeRef<K>,
    value_serde: SerdeRef<V>,
    children: Vec<Child<K, V>>,
}

impl<K, V> SourceNode<K, V> {
    pub(crate) fn new(index: usize, key_serde: SerdeRef<K>, value_serde: SerdeRef<V>) -> Self {
        Self {
            index,
            key_serde,
            value_serde,
            children: Vec::new(),
        }
    }
}

impl<K: Clone, V: Clone> RawInput for SourceNode<K, V> {
    fn process_raw(&mut self, task: &mut TaskContext) -> Result<(), SourceFailure> {
        let Some(raw) = &task.current_input else {
            return Ok(());
        };
        let failure = |part: RecordPart, serde: &str, source: crate::serde::SerdeError| {
            SourceFailure::Deserialization(Box::new(StreamsError::Deserialization {
                metadata: raw.metadata.clone(),
                part,
                serde: serde.to_string(),
                source: Box::new(source),
            }))
        };
        let topic = &raw.metadata.topic;
        let key = serde_guarded(|| {
            self.key_serde.deserialize_with_context(
                &SerdeContext::key(topic, &raw.headers),
                raw.key.as_deref(),
            )
        })
        .map_err(|e| failure(RecordPart::Key, self.key_serde.name(), e))?;
        let value = serde_guarded(|| {
            self.value_serde.deserialize_with_context(
                &SerdeContext::value(topic, &raw.headers),
                raw.value.as_deref(),
            )
        })
        .map_err(|e| failure(RecordPart::Value, self.value_serde.name(), e))?;
        let record = Record {
            key,
            value,
            timestamp: raw.timestamp,
            headers: raw.headers.clone(),
        };
        let mut ctx = ProcessorContext {
            task,
            children: &self.children,
            node: self.index,
        };
        ctx.forward(record).map_err(SourceFailure::Processing)
    }
}

impl<K: 'static, V: 'static> TaskNode for SourceNode<K, V> {
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

    fn connect(&mut self, child_name: Arc<str>, child_input: &dyn Any) -> bool {
        connect_child(&mut self.children, child_name, child_input)
    }
}
