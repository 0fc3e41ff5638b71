//! The `merge.repartition.topics` rewrite: the repartitions the DSL creates
//! for the aggregations and joins of one re-keyed stream (each its own topic
//! as written) become one. The first of them stays, with its name and topic;
//! the others read its output, so every record crosses the cluster once
//! instead of once per operation.
//!
//! Kafka Streams also moves repartitions up past stateless operations to the
//! key-changing node; here only repartitions of the very same node merge
//! (the plan is typed, and the operations in between may change types), and
//! only those with the same serdes, partition count and no custom
//! partitioner. Repartitions the user asked for with `repartition()` never
//! merge, as in Kafka.

use super::{PlanKind, PlanNode};
use std::collections::HashMap;

/// Marks every mergeable repartition that has an earlier twin under the same
/// parent as replaced by it.
pub(super) fn merge(nodes: &mut [PlanNode]) {
    let mut first_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for index in 0..nodes.len() {
        let node = &nodes[index];
        if node.kind != PlanKind::Repartition || node.replaced_by.is_some() {
            continue;
        }
        let (Some(settings), [parent]) =
            (node.writer.mergeable_repartition(), node.parents.as_slice())
        else {
            continue;
        };
        let twins = first_of.entry(*parent).or_default();
        let survivor = twins
            .iter()
            .copied()
            .find(|&twin| nodes[twin].writer.mergeable_repartition().as_ref() == Some(&settings));
        match survivor {
            Some(survivor) => nodes[index].replaced_by = Some(survivor),
            None => twins.push(index),
        }
    }
}
