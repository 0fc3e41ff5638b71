//! The stores of one task and which nodes may use them.

use super::TaskStore;
use crate::error::{ProcessError, StreamsError};
use crate::topology::TopologyError;
use std::any::type_name;
use streams_state::{KeyValueUpdate, StoreStatistics};

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

    /// Applies changelog records to the store `name` during restoration and
    /// commits them with `last_offset`, the offset of the last one.
    pub(crate) fn restore_batch(
        &mut self,
        name: &str,
        records: &[KeyValueUpdate],
        last_offset: i64,
    ) -> Result<(), StreamsError> {
        match self.stores.iter_mut().find(|s| s.name == name) {
            Some(open) => {
                open.store.restore_batch(records)?;
                open.store.commit(Some(last_offset))
            }
            None => Err(TopologyError::Internal(format!(
                "no store named '{name}' to restore in this task"
            ))
            .into()),
        }
    }

    /// Whether the store `name` keeps its contents across restarts.
    pub(crate) fn is_persistent(&self, name: &str) -> bool {
        self.stores
            .iter()
            .any(|s| s.name == name && s.store.persistent())
    }

    /// The committed changelog offset of the store `name` if it is persistent
    /// (a store kept in memory starts empty when reopened, whatever it had
    /// committed).
    pub(crate) fn committed_offset(&self, name: &str) -> Result<Option<i64>, StreamsError> {
        match self.stores.iter().find(|s| s.name == name) {
            Some(open) if open.store.persistent() => open.store.committed_offset(),
            _ => Ok(None),
        }
    }

    /// Writes every store's cache down.
    pub(crate) fn flush(&mut self) -> Result<(), StreamsError> {
        self.stores.iter_mut().try_for_each(|s| s.store.flush())
    }

    /// Commits every store, with the changelog offset `offset_of` gives for
    /// its name.
    pub(crate) fn commit(
        &mut self,
        offset_of: impl Fn(&str) -> Option<i64>,
    ) -> Result<(), StreamsError> {
        self.stores
            .iter_mut()
            .try_for_each(|s| s.store.commit(offset_of(&s.name)))
    }

    /// Bytes held by all stores for writes since their last commit.
    pub(crate) fn uncommitted_bytes(&self) -> usize {
        self.stores
            .iter()
            .map(|s| s.store.uncommitted_bytes())
            .sum()
    }

    /// What each store reports about itself, by name.
    pub(crate) fn statistics(&self) -> impl Iterator<Item = (&str, StoreStatistics)> {
        self.stores
            .iter()
            .map(|s| (s.name.as_str(), s.store.statistics()))
    }

    /// Drops every store's uncommitted writes and closes it, reporting the
    /// first failure after trying all.
    pub(crate) fn close_dirty(&mut self) -> Result<(), StreamsError> {
        self.close_each(|store| {
            store.abort()?;
            store.close()
        })
    }

    /// Closes every store, reporting the first failure after trying all.
    pub(crate) fn close(&mut self) -> Result<(), StreamsError> {
        self.close_each(|store| store.close())
    }

    fn close_each(
        &mut self,
        close: impl Fn(&mut dyn TaskStore) -> Result<(), StreamsError>,
    ) -> Result<(), StreamsError> {
        let mut first_error = None;
        for open in &mut self.stores {
            if let Err(error) = close(open.store.as_mut()) {
                tracing::error!(store = %open.name, %error, "closing a state store failed");
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
