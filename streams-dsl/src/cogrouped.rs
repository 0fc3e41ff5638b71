//! `CogroupedKStream`: several grouped streams of one key type, each with its
//! own value type and aggregator, aggregated into one table (Kafka Streams'
//! `cogroup`, KIP-150).
//!
//! All inputs feed one aggregation with one store: each input (repartitioned
//! first when its keys changed) turns its records into updates bound to its
//! aggregator, the inputs merge, and the grouped-stream aggregation (plain or
//! windowed) folds every update into the shared aggregate. Since they share a
//! store, all inputs run in one sub-topology and must be co-partitioned:
//! topics with different partition counts fail at startup.

use crate::cogroup_input::{CogroupInput, TypedInput};
use crate::cogroup_update::{CogroupAggregator, CogroupUpdate};
use crate::operators::PassThrough;
use crate::plan::{LogicalPlan, PlanKind};
use crate::windows::CogroupWindowSpec;
use crate::{Data, KGroupedStream, KStream, KTable, Materialized};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// Grouped streams of key `K` aggregated together into one aggregate `VA`:
/// made by [`KGroupedStream::cogroup`], extended with
/// [`cogroup`](Self::cogroup), then aggregated with
/// [`aggregate`](Self::aggregate) or cut into windows with
/// [`windowed_by`](Self::windowed_by).
///
/// An input whose keys changed upstream repartitions through
/// `<application.id>-<store>-repartition` (or the topic its `Grouped` names);
/// when several inputs of one cogroup need an unnamed repartition, the topic of
/// the input at position `i` (counting from 0) is
/// `<application.id>-<store>-cogroup-<i>-repartition`.
pub struct CogroupedKStream<K, VA> {
    topology: Rc<RefCell<LogicalPlan>>,
    inputs: Vec<Rc<dyn CogroupInput<K, VA>>>,
}

impl<K, VA> Clone for CogroupedKStream<K, VA> {
    fn clone(&self) -> Self {
        Self {
            topology: self.topology.clone(),
            inputs: self.inputs.clone(),
        }
    }
}

impl<K: Data, VA: Data> CogroupedKStream<K, VA> {
    pub(crate) fn new<V: Data>(
        stream: KStream<K, V>,
        aggregator: CogroupAggregator<K, V, VA>,
    ) -> Self {
        let topology = stream.topology().clone();
        let input: Rc<dyn CogroupInput<K, VA>> = Rc::new(TypedInput { stream, aggregator });
        Self {
            topology,
            inputs: vec![input],
        }
    }

    /// Adds `grouped` as another input, its values folded into the aggregate
    /// with `aggregator`. Its value type may differ from the other inputs';
    /// its key type is theirs. Returns the cogroup with the input added (this
    /// one is left as it was).
    pub fn cogroup<V: Data, F>(&self, grouped: &KGroupedStream<K, V>, aggregator: F) -> Self
    where
        F: Fn(&K, V, VA) -> VA + Send + Sync + 'static,
    {
        let mut inputs = self.inputs.clone();
        inputs.push(Rc::new(TypedInput {
            stream: grouped.stream().clone(),
            aggregator: Arc::new(aggregator),
        }));
        Self {
            topology: self.topology.clone(),
            inputs,
        }
    }

    /// Folds the records of every input into one aggregate per key, starting
    /// as `initializer()`, kept in the store `materialized` describes. With
    /// caching off every record forwards its key's new aggregate; with caching
    /// on, updates reach downstream when the cache writes them down.
    pub fn aggregate<I>(&self, initializer: I, materialized: Materialized<K, VA>) -> KTable<K, VA>
    where
        I: Fn() -> VA + Send + Sync + 'static,
    {
        self.aggregate_as(initializer, None, materialized)
    }

    /// Like [`aggregate`](Self::aggregate), with its nodes named after `name`
    /// (Kafka Streams' `Named`): `<name>-cogroup-input-<i>` for the input at
    /// position `i`, `<name>-cogroup-merge` (with several inputs) and
    /// `<name>-cogroup-agg`.
    pub fn aggregate_named<I>(
        &self,
        initializer: I,
        name: impl Into<String>,
        materialized: Materialized<K, VA>,
    ) -> KTable<K, VA>
    where
        I: Fn() -> VA + Send + Sync + 'static,
    {
        self.aggregate_as(initializer, Some(name.into()), materialized)
    }

    fn aggregate_as<I>(
        &self,
        initializer: I,
        name: Option<String>,
        mut materialized: Materialized<K, VA>,
    ) -> KTable<K, VA>
    where
        I: Fn() -> VA + Send + Sync + 'static,
    {
        let store = self.store_name(&mut materialized);
        let table = self.updates(&store, name.as_deref()).aggregate(
            initializer,
            CogroupUpdate::apply,
            materialized,
        );
        if let Some(name) = name {
            table.rename_node(format!("{name}-cogroup-agg"));
        }
        table
    }

    /// Cuts the cogrouped streams into windows: tumbling or hopping
    /// ([`TimeWindows`](crate::windows::TimeWindows), giving a
    /// [`TimeWindowedCogroupedKStream`](crate::TimeWindowedCogroupedKStream)),
    /// sliding windows ([`SlidingWindows`](crate::windows::SlidingWindows),
    /// giving a [`SlidingWindowedCogroupedKStream`](crate::SlidingWindowedCogroupedKStream))
    /// or sessions ([`SessionWindows`](crate::windows::SessionWindows), giving
    /// a [`SessionWindowedCogroupedKStream`](crate::SessionWindowedCogroupedKStream)).
    pub fn windowed_by<W: CogroupWindowSpec<K, VA>>(&self, windows: W) -> W::Stream {
        windows.cogrouped_stream(self.clone())
    }

    /// The name of the aggregation's store: the one `materialized` gives, else
    /// a generated one, written back into `materialized`.
    pub(crate) fn store_name(&self, materialized: &mut Materialized<K, VA>) -> String {
        let topology = &self.topology;
        materialized
            .name
            .get_or_insert_with(|| {
                topology
                    .borrow_mut()
                    .generate_name("COGROUPKSTREAM-AGGREGATE-STATE-STORE")
            })
            .clone()
    }

    /// Every input's records as updates of the aggregation into `store`, in one
    /// grouped stream: the inputs repartitioned where their keys changed, bound
    /// to their aggregators and merged. Nodes are named after `name` if given.
    pub(crate) fn updates(
        &self,
        store: &str,
        name: Option<&str>,
    ) -> KGroupedStream<K, CogroupUpdate<K, VA>> {
        let repartitioned = self
            .inputs
            .iter()
            .filter(|input| input.needs_repartition())
            .count();
        let mut nodes = Vec::with_capacity(self.inputs.len());
        for (index, input) in self.inputs.iter().enumerate() {
            let repartition = match repartitioned {
                0 | 1 => store.to_string(),
                _ => format!("{store}-cogroup-{index}"),
            };
            let node_name = match name {
                Some(name) => format!("{name}-cogroup-input-{index}"),
                None => self
                    .topology
                    .borrow_mut()
                    .generate_name("COGROUPKSTREAM-INPUT"),
            };
            nodes.push(input.attach(&repartition, node_name));
        }
        let node = match nodes.as_slice() {
            [single] => *single,
            _ => {
                let mut topology = self.topology.borrow_mut();
                let merge = match name {
                    Some(name) => format!("{name}-cogroup-merge"),
                    None => topology.generate_name("COGROUPKSTREAM-MERGE"),
                };
                topology.add_processor(PlanKind::Stateless, merge, || PassThrough, &nodes)
            }
        };
        let key_serde = self.inputs.iter().find_map(|input| input.key_serde());
        KGroupedStream::new(KStream::new(
            self.topology.clone(),
            node,
            key_serde,
            None,
            false,
        ))
    }
}
