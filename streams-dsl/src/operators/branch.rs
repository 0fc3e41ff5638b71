//! `split`: routes each record to the first branch whose predicate matches.

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;

/// A branch predicate.
pub(crate) type BranchPredicate<K, V> = Arc<dyn Fn(&K, &V) -> bool + Send + Sync>;

/// Sends each record to the child of the first matching predicate, else to the
/// default child if there is one, else drops it.
pub(crate) struct BranchProcessor<K, V> {
    pub(crate) branches: Arc<Vec<(String, BranchPredicate<K, V>)>>,
    pub(crate) default_branch: Option<Arc<str>>,
}

impl<K: Clone, V: Clone> Processor<K, V, K, V> for BranchProcessor<K, V> {
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, V>,
    ) -> Result<(), ProcessError> {
        let chosen = self
            .branches
            .iter()
            .find(|(_, predicate)| predicate(&record.key, &record.value))
            .map(|(child, _)| child.as_str())
            .or(self.default_branch.as_deref());
        match chosen {
            Some(child) => ctx.forward_to(child, record),
            None => Ok(()),
        }
    }
}

/// Forwards every record unchanged (branch children, merge).
pub(crate) struct PassThrough;

impl<K: Clone, V: Clone> Processor<K, V, K, V> for PassThrough {
    #[inline]
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, V>,
    ) -> Result<(), ProcessError> {
        ctx.forward(record)
    }
}
