//! [`Flushed`]: what a typed store's write cache wrote down, waiting for the
//! owning processor to forward it. One shape for the key-value, window and
//! session facades: each fills it from its cache's flush listener with the
//! updates of its kind and drains it, decoded, in `take_flushed`.

use std::cell::RefCell;
use std::rc::Rc;
use streams_state::{Caching, CachingKind};

/// Updates of type `F` (as stored bytes) in the order the cache wrote them
/// down; clones share one buffer.
pub(crate) struct Flushed<F>(Rc<RefCell<Vec<F>>>);

impl<F> Clone for Flushed<F> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<F> Flushed<F> {
    /// A buffer that `store`'s cache, if it has one, fills: `listener` makes
    /// the cache's flush listener from a handle on the buffer.
    pub(crate) fn listen<S: CachingKind + ?Sized>(
        store: &mut Caching<S>,
        listener: impl FnOnce(Self) -> Box<S::Listener>,
    ) -> Self {
        let flushed = Self(Rc::default());
        if store.caching_enabled() {
            store.set_flush_listener(listener(flushed.clone()));
        }
        flushed
    }

    /// Appends one update written down.
    pub(crate) fn push(&self, update: F) {
        self.0.borrow_mut().push(update);
    }

    /// True when no update is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }

    /// Drains the buffer, each update turned by `decode` into what the
    /// processor forwards.
    pub(crate) fn take<T, E>(&self, decode: impl FnMut(F) -> Result<T, E>) -> Result<Vec<T>, E> {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        let flushed = std::mem::take(&mut *self.0.borrow_mut());
        flushed.into_iter().map(decode).collect()
    }
}
