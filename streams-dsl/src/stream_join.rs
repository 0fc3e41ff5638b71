//! Stream-stream windowed joins on [`KStream`]: inner, left and outer. Each
//! input is buffered in a window store that keeps every record (duplicates
//! included) for `before + after + grace`; left and outer joins add a store
//! shared by both sides for records still waiting for a match. Inputs whose
//! keys changed are repartitioned first, so both sides are co-partitioned.

use crate::operators::{
    FromLeft, FromRight, Sided, StreamJoinSpec, StreamJoiner, StreamStreamJoin,
};
use crate::plan::PlanKind;
use crate::windows::JoinWindows;
use crate::{Data, KStream, Repartitioned, StreamJoined};
use std::sync::Arc;
use std::time::Duration;
use streams_core::serde::{SerdeRef, VecSerde};
use streams_core::state::WindowStoreBuilder;

/// Which unmatched records a join emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JoinKind {
    Inner,
    Left,
    Outer,
}

impl JoinKind {
    fn left_outer(self) -> bool {
        matches!(self, JoinKind::Left | JoinKind::Outer)
    }

    fn right_outer(self) -> bool {
        self == JoinKind::Outer
    }

    /// Prefix of the generated name of the left side's node, and suffix of names
    /// derived from `StreamJoined`, as Kafka Streams names them.
    fn this_names(self) -> (&'static str, &'static str) {
        if self.right_outer() {
            ("KSTREAM-OUTERTHIS", "-outer-this-join")
        } else {
            ("KSTREAM-JOINTHIS", "-this-join")
        }
    }

    /// The same for the right side's node.
    fn other_names(self) -> (&'static str, &'static str) {
        if self.left_outer() {
            ("KSTREAM-OUTEROTHER", "-outer-other-join")
        } else {
            ("KSTREAM-JOINOTHER", "-other-join")
        }
    }

    /// Suffix of the shared store's name derived from `StreamJoined`.
    fn shared_store_suffix(self) -> &'static str {
        if self.right_outer() {
            "-outer-shared-join-store"
        } else {
            "-left-shared-join-store"
        }
    }
}

/// The window store buffering one side: every record kept for the join
/// windows' retention, plus one millisecond. A window store expires records at
/// or before `stream time - retention`, and a record arriving exactly at its
/// window close (stream time = `t + after + grace`) must still find a partner
/// at the far end of its window (`t - before`, that is `stream time -
/// retention`).
fn side_buffer<K, V, V1, V2>(
    name: &str,
    joined: &StreamJoined<K, V1, V2>,
    windows: JoinWindows,
    key_serde: Option<SerdeRef<K>>,
    value_serde: Option<SerdeRef<V>>,
) -> WindowStoreBuilder<K, V> {
    let millis = |ms: i64| Duration::from_millis(ms.unsigned_abs());
    joined
        .store
        .key_value_builder::<K, V>(name)
        .with_serdes(key_serde, value_serde)
        .windowed(
            millis(windows.size_ms()),
            millis(windows.retention_ms().saturating_add(1)),
        )
        .with_retained_duplicates()
}

impl<K: Data, V: Data> KStream<K, V> {
    /// This stream, repartitioned through `name` (or a generated name) if its
    /// keys changed.
    fn co_partitioned(
        &self,
        name: Option<String>,
        key_serde: Option<SerdeRef<K>>,
        value_serde: Option<SerdeRef<V>>,
    ) -> KStream<K, V> {
        if !self.is_key_changed() {
            return self.clone();
        }
        self.implicit_repartition(Repartitioned {
            key_serde,
            value_serde,
            name,
            partitioner: None,
            partitions: None,
        })
    }

    fn join_streams<V2: Data, VR: Data>(
        &self,
        other: &KStream<K, V2>,
        kind: JoinKind,
        joiner: StreamJoiner<K, V, V2, VR>,
        windows: JoinWindows,
        joined: StreamJoined<K, V, V2>,
    ) -> KStream<K, VR> {
        let named = |suffix: &str| joined.name.as_ref().map(|name| format!("{name}{suffix}"));
        let left = self.co_partitioned(
            named("-left"),
            joined.key_serde.clone(),
            joined.value_serde.clone(),
        );
        let right = other.co_partitioned(
            named("-right"),
            joined.key_serde.clone(),
            joined.other_value_serde.clone(),
        );
        let key_serde = joined
            .key_serde
            .clone()
            .or_else(|| left.key_serde())
            .or_else(|| right.key_serde());
        let topology = self.topology().clone();
        let mut builder = topology.borrow_mut();
        let (this_prefix, this_suffix) = kind.this_names();
        let (other_prefix, other_suffix) = kind.other_names();
        let this_generated = builder.generate_name(this_prefix);
        let other_generated = builder.generate_name(other_prefix);
        let merge_name = named("-merge").unwrap_or_else(|| builder.generate_name("KSTREAM-MERGE"));
        let store_name = |suffix: &str, generated: &str| match &joined.store_name {
            Some(base) => format!("{base}{suffix}-store"),
            None => format!("{generated}-store"),
        };
        let left_store = store_name(this_suffix, &this_generated);
        let right_store = store_name(other_suffix, &other_generated);
        builder.add_state_store(side_buffer(
            &left_store,
            &joined,
            windows,
            key_serde.clone(),
            joined.value_serde.clone().or_else(|| left.value_serde()),
        ));
        builder.add_state_store(side_buffer(
            &right_store,
            &joined,
            windows,
            key_serde.clone(),
            joined
                .other_value_serde
                .clone()
                .or_else(|| right.value_serde()),
        ));
        let outer_store = kind.left_outer().then(|| {
            let name = match &joined.store_name {
                Some(base) => format!("{base}{}", kind.shared_store_suffix()),
                None => {
                    let index = this_generated.rsplit('-').next().unwrap_or_default();
                    format!("KSTREAM-OUTERSHARED-{index}-store")
                }
            };
            builder.add_state_store(
                joined
                    .store
                    .key_value_builder::<Vec<u8>, Vec<u8>>(&name)
                    .with_key_serde(VecSerde)
                    .with_value_serde(VecSerde),
            );
            name
        });
        let this_name = named(this_suffix).unwrap_or(this_generated);
        let other_name = named(other_suffix).unwrap_or(other_generated);
        let from_left = builder.add_processor::<K, V, K, Sided<V, V2>, _, _>(
            PlanKind::Join,
            this_name,
            || FromLeft,
            &[left.node()],
        );
        let from_right = builder.add_processor::<K, V2, K, Sided<V, V2>, _, _>(
            PlanKind::Join,
            other_name,
            || FromRight,
            &[right.node()],
        );
        let spec = Arc::new(StreamJoinSpec {
            left_store: left_store.as_str().into(),
            right_store: right_store.as_str().into(),
            outer_store: outer_store.as_deref().map(Arc::from),
            windows,
            left_outer: kind.left_outer(),
            right_outer: kind.right_outer(),
            joiner,
        });
        let node = builder.add_processor(
            PlanKind::Join,
            merge_name,
            move || StreamStreamJoin::new(spec.clone()),
            &[from_left, from_right],
        );
        for store in [Some(&left_store), Some(&right_store), outer_store.as_ref()]
            .into_iter()
            .flatten()
        {
            builder.connect_store(store, node);
        }
        drop(builder);
        KStream::new(topology, node, key_serde, None, false)
    }

    /// Joins this stream with `other` on equal keys: each pair of records whose
    /// timestamps are within `windows` (a right record at most `before` earlier
    /// or `after` later than a left one, both ends included) produces
    /// `joiner(left, right)` at once, stamped with the later of the two
    /// timestamps. Records with a null key or value, and records arriving after
    /// their window closed (its end plus the grace period), are dropped and
    /// counted in `dropped_records` (left and outer joins forward null keys
    /// instead, see [`left_join_stream`](Self::left_join_stream)). Streams whose
    /// keys changed are repartitioned first.
    ///
    /// ```
    /// use std::time::Duration;
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// let orders = builder.stream::<String, i64>("orders", Consumed::default());
    /// let payments = builder.stream::<String, String>("payments", Consumed::default());
    /// orders
    ///     .join_stream(
    ///         &payments,
    ///         |cents, method| format!("{cents} paid by {method}"),
    ///         JoinWindows::of_time_difference_with_no_grace(Duration::from_secs(60)),
    ///         StreamJoined::default(),
    ///     )
    ///     .to("paid-orders", Produced::default());
    /// let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    /// driver.input_topic::<String, i64>("orders").unwrap().pipe("o-1", 500, 1_000).unwrap();
    /// driver.input_topic::<String, String>("payments").unwrap().pipe("o-1", "card".to_string(), 30_000).unwrap();
    /// let paid = driver.output_topic::<String, String>("paid-orders").unwrap().read().unwrap();
    /// assert_eq!((paid.value.as_str(), paid.timestamp), ("500 paid by card", 30_000));
    /// ```
    pub fn join_stream<V2: Data, VR: Data, F>(
        &self,
        other: &KStream<K, V2>,
        joiner: F,
        windows: JoinWindows,
        joined: StreamJoined<K, V, V2>,
    ) -> KStream<K, VR>
    where
        F: Fn(V, V2) -> VR + Send + Sync + 'static,
    {
        self.join_stream_with_key(
            other,
            move |_, left, right| joiner(left, right),
            windows,
            joined,
        )
    }

    /// Like [`join_stream`](Self::join_stream), with a joiner that also reads
    /// the key.
    pub fn join_stream_with_key<V2: Data, VR: Data, F>(
        &self,
        other: &KStream<K, V2>,
        joiner: F,
        windows: JoinWindows,
        joined: StreamJoined<K, V, V2>,
    ) -> KStream<K, VR>
    where
        F: Fn(&K, V, V2) -> VR + Send + Sync + 'static,
    {
        self.join_streams(
            other,
            JoinKind::Inner,
            Arc::new(move |key, left, right| match (left, right) {
                (Some(left), Some(right)) => Some(joiner(key, left, right)),
                _ => None,
            }),
            windows,
            joined,
        )
    }

    /// Like [`join_stream`](Self::join_stream), but every record of this stream
    /// produces output: a left record that has matched nothing when its window
    /// closes (stream time passed its timestamp + `after` + grace) is emitted
    /// once, as `joiner(left, None)` with its own timestamp. A record that
    /// matched before then is never emitted that way. As in Kafka Streams, a
    /// right record arriving after that, but within its own window (its
    /// timestamp + `before` + grace), still joins the buffered left record.
    /// A left record with a null key cannot match anything: it is forwarded at
    /// once as `joiner(left, None)`, with its null key (KIP-962, Kafka Streams
    /// 3.7); right records with a null key are dropped and counted.
    pub fn left_join_stream<V2: Data, VR: Data, F>(
        &self,
        other: &KStream<K, V2>,
        joiner: F,
        windows: JoinWindows,
        joined: StreamJoined<K, V, V2>,
    ) -> KStream<K, VR>
    where
        F: Fn(V, Option<V2>) -> VR + Send + Sync + 'static,
    {
        self.left_join_stream_with_key(
            other,
            move |_, left, right| joiner(left, right),
            windows,
            joined,
        )
    }

    /// Like [`left_join_stream`](Self::left_join_stream), with a joiner that
    /// also reads the key.
    pub fn left_join_stream_with_key<V2: Data, VR: Data, F>(
        &self,
        other: &KStream<K, V2>,
        joiner: F,
        windows: JoinWindows,
        joined: StreamJoined<K, V, V2>,
    ) -> KStream<K, VR>
    where
        F: Fn(&K, V, Option<V2>) -> VR + Send + Sync + 'static,
    {
        self.join_streams(
            other,
            JoinKind::Left,
            Arc::new(move |key, left, right| left.map(|left| joiner(key, left, right))),
            windows,
            joined,
        )
    }

    /// Like [`left_join_stream`](Self::left_join_stream) for both sides: an
    /// unmatched right record is emitted as `joiner(None, right)` once its
    /// window closes (stream time passed its timestamp + `before` + grace).
    /// Records with a null key on either side are forwarded at once, with their
    /// null key, as `joiner(left, None)` or `joiner(None, right)` (KIP-962).
    pub fn outer_join_stream<V2: Data, VR: Data, F>(
        &self,
        other: &KStream<K, V2>,
        joiner: F,
        windows: JoinWindows,
        joined: StreamJoined<K, V, V2>,
    ) -> KStream<K, VR>
    where
        F: Fn(Option<V>, Option<V2>) -> VR + Send + Sync + 'static,
    {
        self.outer_join_stream_with_key(
            other,
            move |_, left, right| joiner(left, right),
            windows,
            joined,
        )
    }

    /// Like [`outer_join_stream`](Self::outer_join_stream), with a joiner that
    /// also reads the key.
    pub fn outer_join_stream_with_key<V2: Data, VR: Data, F>(
        &self,
        other: &KStream<K, V2>,
        joiner: F,
        windows: JoinWindows,
        joined: StreamJoined<K, V, V2>,
    ) -> KStream<K, VR>
    where
        F: Fn(&K, Option<V>, Option<V2>) -> VR + Send + Sync + 'static,
    {
        self.join_streams(
            other,
            JoinKind::Outer,
            Arc::new(move |key, left, right| match (left, right) {
                (None, None) => None,
                (left, right) => Some(joiner(key, left, right)),
            }),
            windows,
            joined,
        )
    }
}
