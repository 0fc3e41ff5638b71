//! A source node: deserializes raw records of its topics and forwards them, and
//! gives buffered records the timestamp of its extractor.

use super::graph::connect_child;
use super::{Child, RawInput, SourceFailure, TaskContext, TaskNode, serde_guarded};
use crate::error::{ProcessError, RecordPart, StreamsError};
use crate::processor::{
    ExtractorInput, ProcessorContext, PunctuatorId, TimestampExtractionError, TimestampExtractorRef,
};
use crate::record::{ConsumedRecord, Record};
use crate::serde::{SerdeContext, SerdeRef};
use std::any::Any;
use std::sync::Arc;

/// Deserializes with the source's serdes and forwards to its children.
pub(crate) struct SourceNode<K, V> {
    index: usize,
    key_serde: SerdeRef<K>,
    value_serde: SerdeRef<V>,
    extractor: Option<TimestampExtractorRef<K, V>>,
    children: Vec<Child<K, V>>,
}

impl<K, V> SourceNode<K, V> {
    pub(crate) fn new(
        index: usize,
        key_serde: SerdeRef<K>,
        value_serde: SerdeRef<V>,
        extractor: Option<TimestampExtractorRef<K, V>>,
    ) -> Self {
        Self {
            index,
            key_serde,
            value_serde,
            extractor,
            children: Vec::new(),
        }
    }
}

impl<K: Clone, V: Clone> RawInput for SourceNode<K, V> {
    fn timestamp_of(
        &self,
        raw: &ConsumedRecord,
        partition_time: i64,
    ) -> Result<i64, TimestampExtractionError> {
        let Some(extractor) = &self.extractor else {
            return Ok(raw.timestamp);
        };
        let topic = &raw.metadata.topic;
        let key = serde_guarded(|| {
            self.key_serde.deserialize_with_context(
                &SerdeContext::key(topic, &raw.headers),
                raw.key.as_deref(),
            )
        });
        let value = serde_guarded(|| {
            self.value_serde.deserialize_with_context(
                &SerdeContext::value(topic, &raw.headers),
                raw.value.as_deref(),
            )
        });
        // A record that does not deserialize meets the deserialization handler
        // when it is processed; until then it keeps its own timestamp.
        let (Ok(key), Ok(value)) = (key, value) else {
            return Ok(raw.timestamp);
        };
        let input = ExtractorInput {
            key: &key,
            value: Some(&value),
            timestamp: raw.timestamp,
            metadata: &raw.metadata,
            headers: &raw.headers,
        };
        guarded_extract(|| extractor.extract(&input, partition_time), &raw.metadata)
    }

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

/// Runs a user extractor, turning a panic into an extraction error.
fn guarded_extract(
    extract: impl FnOnce() -> Result<i64, TimestampExtractionError>,
    metadata: &crate::record::RecordMetadata,
) -> Result<i64, TimestampExtractionError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(extract)).unwrap_or_else(|payload| {
        Err(TimestampExtractionError::Failed {
            metadata: metadata.clone(),
            reason: format!(
                "panicked: {}",
                crate::error::panic_message(payload.as_ref())
            ),
        })
    })
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
