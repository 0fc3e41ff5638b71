//! `CogroupUpdate`: a record of one cogroup input bound to that input's
//! aggregator. Inputs of a cogroup carry different value types; each turns its
//! values into updates, the one value type the shared aggregation folds in.

use std::rc::Rc;
use std::sync::Arc;

/// The aggregator of one cogroup input: the new aggregate from the key, a value
/// of the input and the current aggregate.
pub(crate) type CogroupAggregator<K, V, VA> = Arc<dyn Fn(&K, V, VA) -> VA + Send + Sync>;

/// Folds one bound value into an aggregate.
type BoundValue<K, VA> = Rc<dyn Fn(&K, VA) -> VA>;

/// A value of one cogroup input with its input's aggregator: applying it to an
/// aggregate folds the value in. It never leaves its task (no serde), so it
/// holds the value behind an `Rc`.
pub(crate) struct CogroupUpdate<K, VA>(BoundValue<K, VA>);

impl<K, VA> Clone for CogroupUpdate<K, VA> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<K: 'static, VA: 'static> CogroupUpdate<K, VA> {
    /// `value` bound to `aggregator`. A windowed aggregation may apply an
    /// update to several windows, so each application gets its own clone.
    pub(crate) fn new<V: Clone + 'static>(
        aggregator: CogroupAggregator<K, V, VA>,
        value: V,
    ) -> Self {
        Self(Rc::new(move |key: &K, aggregate: VA| {
            aggregator(key, value.clone(), aggregate)
        }))
    }

    /// Folds this update into `aggregate` (the signature of an aggregator, so
    /// the grouped-stream aggregations take it as theirs).
    pub(crate) fn apply(key: &K, update: Self, aggregate: VA) -> VA {
        (update.0)(key, aggregate)
    }
}
