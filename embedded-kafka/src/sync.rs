//! Lock helpers: a panicking holder must not take the whole broker down with it.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering the data if a previous holder panicked.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
