//! The `Processor` trait.

use super::{ProcessorContext, PunctuatorId};
use crate::error::ProcessError;
use crate::record::Record;

/// A node of a topology that receives `Record<KIn, VIn>` and forwards zero or more
/// `Record<KOut, VOut>` through its context.
///
/// One instance exists per task; it is created by the supplier given to the
/// topology, so it needs neither `Send` nor `Sync`.
///
/// ```
/// use streams_core::error::ProcessError;
/// use streams_core::processor::{Processor, ProcessorContext};
/// use streams_core::record::Record;
///
/// /// Emits each word of a line as its own record, keyed by the word.
/// struct SplitWords;
///
/// impl Processor<(), String, String, u64> for SplitWords {
///     fn process(
///         &mut self,
///         record: Record<(), String>,
///         ctx: &mut ProcessorContext<'_, String, u64>,
///     ) -> Result<(), ProcessError> {
///         for word in record.value.split_whitespace() {
///             ctx.forward(Record::new(word.to_lowercase(), 1, record.timestamp))?;
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait Processor<KIn, VIn, KOut, VOut> {
    /// Called once before the first record; schedule punctuators here.
    fn init(&mut self, ctx: &mut ProcessorContext<'_, KOut, VOut>) -> Result<(), ProcessError> {
        let _ = ctx;
        Ok(())
    }

    /// Processes one record.
    fn process(
        &mut self,
        record: Record<KIn, VIn>,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
    ) -> Result<(), ProcessError>;

    /// Called when a punctuator this processor scheduled fires, with the stream time
    /// or wall-clock time (milliseconds) that triggered it.
    fn punctuate(
        &mut self,
        punctuator: PunctuatorId,
        timestamp: i64,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
    ) -> Result<(), ProcessError> {
        let _ = (punctuator, timestamp, ctx);
        Ok(())
    }

    /// Called when the task commits, before its stores are flushed, in topological
    /// order: write down and forward anything the processor buffers (a caching
    /// store's pending updates, for example).
    fn flush(&mut self, ctx: &mut ProcessorContext<'_, KOut, VOut>) -> Result<(), ProcessError> {
        let _ = ctx;
        Ok(())
    }

    /// Called once when the task closes.
    fn close(&mut self) {}
}
