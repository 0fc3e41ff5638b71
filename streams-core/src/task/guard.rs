//! The processing guard: user code of a processor node runs under
//! `catch_unwind`, and an error or panic that arose in the node itself (not one
//! already handled downstream) meets the processing handler right there, as
//! Kafka Streams applies its `ProcessingExceptionHandler` per node: `Continue`
//! drops the record at this node only, so sibling branches still see it.

use super::{Handled, TaskContext};
use crate::error::ProcessError;
use crate::handler::ErrorStage;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// Runs `step` (a node's `process` or `punctuate`) for the node `node`, catching
/// a panic, and applies the processing handler to what fails in it.
#[inline]
pub(crate) fn guarded(
    node: &Arc<str>,
    task: &mut TaskContext,
    step: impl FnOnce(&mut TaskContext) -> Result<(), ProcessError>,
) -> Result<(), ProcessError> {
    // A panic leaves the processor as it was when it panicked; the handler
    // decides whether the task goes on with it (as Kafka Streams does after an
    // exception).
    let error = match catch_unwind(AssertUnwindSafe(|| step(task))) {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(error)) if error.is_handled() => return Err(error),
        Ok(Err(error)) => error,
        Err(payload) => ProcessError::from_panic(payload),
    };
    match task.handle_failure(
        ErrorStage::Processing,
        Some(node),
        error.exception_name(),
        error.source_error(),
    ) {
        Ok(Handled::Continue) => Ok(()),
        Ok(Handled::Fail) => Err(error.at_node(node)),
        Err(dead_letter_failed) => Err(ProcessError::from(dead_letter_failed).at_node(node)),
    }
}

/// Runs a serde call, turning a panic into a [`SerdeError`](crate::serde::SerdeError)
/// with the panic message, so a serde that panics meets the deserialization or
/// production handler like one that fails.
#[inline]
pub(crate) fn serde_guarded<T>(
    run: impl FnOnce() -> Result<T, crate::serde::SerdeError>,
) -> Result<T, crate::serde::SerdeError> {
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|payload| {
        Err(crate::serde::SerdeError::new(format!(
            "panicked: {}",
            crate::error::panic_message(payload.as_ref())
        )))
    })
}
