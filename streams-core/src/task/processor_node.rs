//! A processor instantiated in a task, with its typed children. Its user code
//! runs under the processing guard, and at DEBUG level its per-record latency is
//! recorded.

use super::graph::connect_child;
use super::{Child, NodeInput, NodeSensors, TaskContext, TaskNode, guarded};
use crate::error::ProcessError;
use crate::processor::{Processor, ProcessorContext, PunctuatorId};
use crate::record::Record;
use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

/// A user or DSL processor plus the children it forwards to.
pub(crate) struct ProcessorNode<P, KIn, VIn, KOut, VOut> {
    name: Arc<str>,
    index: usize,
    processor: P,
    children: Vec<Child<KOut, VOut>>,
    sensors: NodeSensors,
    input: PhantomData<fn(KIn, VIn)>,
}

impl<P, KIn, VIn, KOut, VOut> ProcessorNode<P, KIn, VIn, KOut, VOut> {
    /// Runs one step of the processor's user code under the processing guard.
    #[inline]
    fn run_guarded(
        &mut self,
        task: &mut TaskContext,
        step: impl FnOnce(&mut P, &mut ProcessorContext<'_, KOut, VOut>) -> Result<(), ProcessError>,
    ) -> Result<(), ProcessError> {
        let Self {
            name,
            index,
            processor,
            children,
            ..
        } = self;
        guarded(name, task, |task| {
            let mut ctx = ProcessorContext {
                task,
                children,
                node: *index,
            };
            step(processor, &mut ctx)
        })
    }

    pub(crate) fn new(name: Arc<str>, index: usize, processor: P) -> Self {
        Self {
            name,
            index,
            processor,
            children: Vec::new(),
            sensors: NodeSensors::disabled(),
            input: PhantomData,
        }
    }
}

impl<P, KIn, VIn, KOut, VOut> NodeInput<KIn, VIn> for ProcessorNode<P, KIn, VIn, KOut, VOut>
where
    P: Processor<KIn, VIn, KOut, VOut>,
{
    #[inline]
    fn process(
        &mut self,
        record: Record<KIn, VIn>,
        task: &mut TaskContext,
    ) -> Result<(), ProcessError> {
        let start = self.sensors.start();
        let result = self.run_guarded(task, |processor, ctx| processor.process(record, ctx));
        self.sensors.record(start);
        result
    }
}

impl<P, KIn, VIn, KOut: 'static, VOut: 'static> TaskNode for ProcessorNode<P, KIn, VIn, KOut, VOut>
where
    P: Processor<KIn, VIn, KOut, VOut>,
{
    fn init(&mut self, task: &mut TaskContext) -> Result<(), ProcessError> {
        self.sensors = task.sensors.node(&self.name);
        let mut ctx = ProcessorContext {
            task,
            children: &self.children,
            node: self.index,
        };
        self.processor
            .init(&mut ctx)
            .map_err(|e| e.at_node(&self.name))
    }

    fn punctuate(
        &mut self,
        punctuator: PunctuatorId,
        timestamp: i64,
        task: &mut TaskContext,
    ) -> Result<(), ProcessError> {
        self.run_guarded(task, |processor, ctx| {
            processor.punctuate(punctuator, timestamp, ctx)
        })
    }

    fn flush(&mut self, task: &mut TaskContext) -> Result<(), ProcessError> {
        let mut ctx = ProcessorContext {
            task,
            children: &self.children,
            node: self.index,
        };
        self.processor
            .flush(&mut ctx)
            .map_err(|e| e.at_node(&self.name))
    }

    fn close(&mut self) {
        self.processor.close();
    }

    fn connect(&mut self, child_name: Arc<str>, child_input: &dyn Any) -> bool {
        connect_child(&mut self.children, child_name, child_input)
    }
}
