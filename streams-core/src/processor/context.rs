//! The context a processor receives: forward records, read the input record's
//! metadata and the task's clocks, schedule punctuators.

use super::{PunctuationType, PunctuatorId, StoreAccess};
use crate::error::ProcessError;
use crate::handler::ErrorStage;
use crate::record::{ConsumedRecord, ProducedRecord, Record, RecordMetadata};
use crate::state::GlobalKeyValueStore;
use crate::task::{Child, HoldScope, TaskContext, TaskId};
use std::time::Duration;

/// What a processor can do while it runs: forward records downstream (to every
/// child or one named child), read where the current record came from, read
/// stream time and wall-clock time, and schedule punctuators.
pub struct ProcessorContext<'a, K, V> {
    pub(crate) task: &'a mut TaskContext,
    pub(crate) children: &'a [Child<K, V>],
    pub(crate) node: usize,
}

impl<'a, K: Clone, V: Clone> ProcessorContext<'a, K, V> {
    /// Forwards a record to every child, in the order they were connected.
    pub fn forward(&mut self, record: Record<K, V>) -> Result<(), ProcessError> {
        let Some((last, others)) = self.children.split_last() else {
            return Ok(());
        };
        for child in others {
            child
                .input
                .borrow_mut()
                .process(record.clone(), self.task)?;
        }
        last.input.borrow_mut().process(record, self.task)
    }

    /// Forwards a record to the child with this name only.
    pub fn forward_to(&mut self, child: &str, record: Record<K, V>) -> Result<(), ProcessError> {
        match self.children.iter().find(|c| &*c.name == child) {
            Some(target) => target.input.borrow_mut().process(record, self.task),
            None => Err(ProcessError::msg(format!(
                "no child named '{child}'; children are: {}",
                self.child_names().collect::<Vec<_>>().join(", ")
            ))),
        }
    }
}

impl<'a, K, V> ProcessorContext<'a, K, V> {
    /// Names of this node's children, in forwarding order.
    pub fn child_names(&self) -> impl Iterator<Item = &str> {
        self.children.iter().map(|c| &*c.name)
    }

    /// Topic, partition and offset of the input record being processed; `None`
    /// inside a punctuator.
    pub fn record_metadata(&self) -> Option<&RecordMetadata> {
        self.task.current_metadata()
    }

    /// The task's stream time: the largest timestamp it has processed, or `None`
    /// before its first record.
    pub fn stream_time(&self) -> Option<i64> {
        self.task.stream_time()
    }

    /// The wall-clock time in milliseconds as the task sees it (mocked by the
    /// TopologyTestDriver).
    pub fn wall_clock_time(&self) -> i64 {
        self.task.wall_clock_ms
    }

    /// The task this processor instance belongs to.
    pub fn task_id(&self) -> TaskId {
        self.task.task_id
    }

    /// The application id (the consumer group and internal topic prefix).
    pub fn application_id(&self) -> &str {
        &self.task.application_id
    }

    /// Schedules a punctuator; the processor's
    /// [`punctuate`](super::Processor::punctuate) is called with the returned id.
    pub fn schedule(&mut self, interval: Duration, kind: PunctuationType) -> PunctuatorId {
        let now = match kind {
            PunctuationType::StreamTime => self.task.stream_time().unwrap_or(0),
            PunctuationType::WallClockTime => self.task.wall_clock_ms,
        };
        self.task
            .punctuation
            .schedule(self.node, kind, interval, now)
    }

    /// Cancels a punctuator; it will not fire again.
    pub fn cancel(&mut self, punctuator: PunctuatorId) {
        self.task.punctuation.cancel(punctuator);
    }

    /// This task's instance of the state store `name`, which must be connected to
    /// this processor; `S` is the store's concrete type.
    pub fn state_store<S: 'static>(&mut self, name: &str) -> Result<&mut S, ProcessError> {
        self.task.stores.get(name, self.node)
    }

    /// This processor's stores, without its output types (for code that
    /// serves processors of several outputs).
    pub fn store_access(&mut self) -> StoreAccess<'_> {
        StoreAccess {
            task: self.task,
            node: self.node,
        }
    }

    /// The instance's global store `name` (see
    /// [`TopologyBuilder::add_global_store`](crate::topology::TopologyBuilder::add_global_store)),
    /// read-only: every task sees the rows of all partitions of its topic,
    /// as far as the instance's global thread has read it.
    pub fn global_store<KG: 'static, VG: 'static>(
        &self,
        name: &str,
    ) -> Result<&GlobalKeyValueStore<KG, VG>, ProcessError> {
        self.task
            .global_stores
            .reader::<KG, VG>(name)
            .map_err(|problem| ProcessError::msg(format!("{problem}: add it to the topology with add_global_store (StreamsBuilder::global_table)")))
    }

    /// Counts a record this processor dropped on purpose (for example a null key
    /// where one is required), in the task's `dropped-records` metric.
    pub fn record_dropped(&mut self) {
        self.task.metrics.dropped_records += 1;
        self.task.sensors.dropped();
    }

    /// Counts a record this processor sent to a dead-letter topic itself (with
    /// [`send_serialized`](Self::send_serialized)), in the task's
    /// `dead-lettered-records` metric at the processing stage.
    pub fn record_dead_lettered(&mut self) {
        self.task.metrics.dead_lettered_records += 1;
        self.task.sensors.dead_lettered(ErrorStage::Processing);
    }

    /// Keeps the current source record in the task to process it again later
    /// (a retry with backoff), without blocking the thread: until the hold ends
    /// the task takes no further records (the thread's other tasks go on), and
    /// its commits stop before the held record, so a crash or a rebalance reads
    /// it again. The hold ends at this processor's next punctuation, which sees
    /// the record as its input ([`record_metadata`](Self::record_metadata)) and
    /// releases it unless it calls `hold_input` again; schedule a wall-clock
    /// punctuator for when the retry is due. An error returned from that
    /// punctuation meets the processing handler with the held record (so a
    /// dead-letter topic gets its original bytes).
    ///
    /// Fails when there is no source record to hold (inside other
    /// punctuations, or for records fed to a node directly).
    pub fn hold_input(&mut self) -> Result<(), ProcessError> {
        self.request_hold(HoldScope::Task)
    }

    /// Like [`hold_input`](Self::hold_input), but only the held record's own
    /// partition stops: the task goes on with the records of its other input
    /// partitions meanwhile (a retry topic waiting for a record's delay holds
    /// its own partition and not the main input). Commits of the held
    /// partition stop before the held record.
    pub fn hold_input_partition(&mut self) -> Result<(), ProcessError> {
        self.request_hold(HoldScope::Partition)
    }

    fn request_hold(&mut self, scope: HoldScope) -> Result<(), ProcessError> {
        if self.task.current_input.is_none() {
            return Err(ProcessError::msg(
                "holding the input needs a source record; there is none in this call (a punctuation, or a record fed to the node directly)",
            ));
        }
        self.task.hold_requested.push((self.node, scope));
        Ok(())
    }

    /// The source record being processed, as consumed (key and value bytes,
    /// timestamp, headers); `None` where [`record_metadata`](Self::record_metadata)
    /// is `None`. In the punctuation that ends a hold, the held record.
    pub fn source_record(&self) -> Option<&ConsumedRecord> {
        self.task.current_input.as_ref()
    }

    /// Sends an already serialized record through the task's producer, as it
    /// is (the way a dead-letter record is sent): for records that are not the
    /// output of a sink, such as a source record passed on to a retry topic.
    pub fn send_serialized(&mut self, record: ProducedRecord) -> Result<(), ProcessError> {
        self.task.collector.send(record)?;
        Ok(())
    }
}
