//! One input of a cogroup with its value type erased, so inputs of different
//! value types sit in one list: it repartitions when its keys changed upstream,
//! then turns its records into [`CogroupUpdate`]s for the shared aggregation.

use crate::cogroup_update::{CogroupAggregator, CogroupUpdate};
use crate::operators::MapValues;
use crate::plan::{PlanKind, PlanRef};
use crate::{Data, KStream, Repartitioned};
use std::sync::Arc;
use streams_core::serde::SerdeRef;

/// An input of a cogroup, whatever its value type.
pub(crate) trait CogroupInput<K, VA> {
    /// True when an operator upstream changed keys (and the grouping named no
    /// repartition topic), so the input repartitions before aggregating.
    fn needs_repartition(&self) -> bool;

    /// The key serde of the grouping, if it has one.
    fn key_serde(&self) -> Option<SerdeRef<K>>;

    /// Adds the node `name` turning this input's records into updates, after
    /// a repartition through `<repartition>-repartition` when keys changed,
    /// and returns it.
    fn attach(&self, repartition: &str, name: String) -> PlanRef<K, CogroupUpdate<K, VA>>;
}

/// A grouped stream of values `V` with its aggregator.
pub(crate) struct TypedInput<K, V, VA> {
    pub(crate) stream: KStream<K, V>,
    pub(crate) aggregator: CogroupAggregator<K, V, VA>,
}

impl<K: Data, V: Data, VA: Data> CogroupInput<K, VA> for TypedInput<K, V, VA> {
    fn needs_repartition(&self) -> bool {
        self.stream.is_key_changed()
    }

    fn key_serde(&self) -> Option<SerdeRef<K>> {
        self.stream.key_serde()
    }

    fn attach(&self, repartition: &str, name: String) -> PlanRef<K, CogroupUpdate<K, VA>> {
        let input = if self.stream.is_key_changed() {
            self.stream
                .implicit_repartition(Repartitioned::default().named(repartition))
        } else {
            self.stream.clone()
        };
        let aggregator = self.aggregator.clone();
        let bind = Arc::new(move |_: &K, value: V| CogroupUpdate::new(aggregator.clone(), value));
        input.topology().borrow_mut().add_processor(
            PlanKind::Stateless,
            name,
            move || MapValues(bind.clone()),
            &[input.node()],
        )
    }
}
