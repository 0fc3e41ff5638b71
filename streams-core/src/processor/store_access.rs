//! `StoreAccess`: a processor's stores reached without its output types, so
//! code shared by processors of different outputs (the DSL's value getters,
//! which read a derived table through the store it comes from) can read them.

use crate::error::ProcessError;
use crate::task::TaskContext;

/// The state stores connected to the processor that handed this out (see
/// [`ProcessorContext::store_access`](super::ProcessorContext::store_access)).
pub struct StoreAccess<'a> {
    pub(crate) task: &'a mut TaskContext,
    pub(crate) node: usize,
}

impl StoreAccess<'_> {
    /// The store `name`, as [`ProcessorContext::state_store`](super::ProcessorContext::state_store)
    /// gives it.
    pub fn state_store<S: 'static>(&mut self, name: &str) -> Result<&mut S, ProcessError> {
        self.task.stores.get(name, self.node)
    }
}
