//! [`ChangeLogging`]: the layer that mirrors every write of a store to a
//! changelog. One shape for all store kinds: this file forwards the life
//! cycle every store shares; `change_logging_key_value`, `_window` and
//! `_session` log the writes of their kind, each under its key layout.

use std::rc::Rc;

use crate::{ChangelogSink, Result, StateStore};

/// Wraps a store (`S` is `dyn KeyValueStore`, `dyn WindowStore` or
/// `dyn SessionStore`) and logs its writes to a [`ChangelogSink`] after they
/// succeed. Reads, transactions and restoration pass straight through;
/// restored records are not logged again.
pub struct ChangeLogging<S: ?Sized> {
    pub(crate) inner: Box<S>,
    sink: Rc<dyn ChangelogSink>,
}

impl<S: StateStore + ?Sized> std::fmt::Debug for ChangeLogging<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeLogging")
            .field("name", &self.inner.name())
            .finish()
    }
}

impl<S: StateStore + ?Sized> ChangeLogging<S> {
    /// Logs the writes of `inner` to `sink` under the inner store's name.
    pub fn new(inner: Box<S>, sink: Rc<dyn ChangelogSink>) -> Self {
        Self { inner, sink }
    }

    /// Logs one write of `stored_key` (the store's own key layout); `None`
    /// is a tombstone.
    pub(crate) fn log(&self, stored_key: &[u8], value: Option<&[u8]>) {
        self.sink.log(self.inner.name(), stored_key, value);
    }
}

impl<S: StateStore + ?Sized> StateStore for ChangeLogging<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn persistent(&self) -> bool {
        self.inner.persistent()
    }

    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }

    crate::store::forward_transactions!(inner);
    crate::store::forward_statistics!(inner);

    fn abort(&mut self) -> Result<()> {
        self.inner.abort()
    }

    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
}
