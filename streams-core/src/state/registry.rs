//! The stores of one task and which nodes may use them.

use super::TaskStore;
use crate::error::{ProcessError, StreamsError};
use std::any::type_name;

struct OpenStore {
    name: String,
    store: Box<dyn TaskStore>,
    /// Task-local indices of the nodes connected to it.
    nodes: Vec<usize>,
}

/// The opened stores of a task.
#[derive(Default)]
pub(crate) struct TaskStores {
    stores: Vec<OpenStore>,
}

impl TaskStores {
    pub(crate) fn add(&mut self, name: String, store: Box<dyn TaskStore>, nodes: Vec<usize>) {
        self.stores.push(OpenStore { name, store, nodes });
    }

    /// The store `name` as `S`, for node `node`.
    pub(crate) fn get<S: 'static>(
        &mut self,
        name: &str,
        node: usize,
    ) -> Result<&mut S, ProcessError> {
        let open = self
            .stores
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| ProcessError::msg(format!("no state store named '{name}' is connected to this processor; connect it when adding the processor")))?;
        if !open.nodes.contains(&node) {
            return Err(ProcessError::msg(format!(
                "state store '{name}' is not connected to this processor; connect it when adding the processor"
            )));
        }
        open.store.as_any_mut().downcast_mut::<S>().ok_or_else(|| {
            ProcessError::msg(format!(
                "state store '{name}' is not a {}",
                type_name::<S>()
            ))
        })
    }

    /// The store `name` as `S`, whichever node uses it.
    pub(crate) fn find<S: 'static>(&mut self, name: &str) -> Option<&mut S> {
        self.stores
            .iter_mut()
            .find(|s| s.name == name)
            .and_then(|s| s.store.as_any_mut().downcast_mut::<S>())
    }

    /// Flushes every store.
    pub(crate) fn flush(&mut self) -> Result<(), StreamsError> {
        self.stores.iter_mut().try_for_each(|s| s.store.flush())
    }

    /// Closes every store, reporting the first failure after trying all.
    pub(crate) fn close(&mut self) -> Result<(), StreamsError> {
        let mut first_error = None;
        for open in &mut self.stores {
            if let Err(error) = open.store.close() {
                tracing::error!(store = %open.name, %error, "closing a state store failed");
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
