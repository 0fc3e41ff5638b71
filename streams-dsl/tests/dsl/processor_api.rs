//! The Processor API through the DSL and the low-level TopologyBuilder: context
//! metadata, forwarding to named children, punctuation on stream time and wall
//! clock, fixed-key processors, life cycle and error reporting.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use streams_core::topology::{SinkTopic, TopicRef, TopologyBuilder};
use streams_dsl::prelude::*;

/// Emits "key@topic/partition/offset" for every record.
struct Locate;

impl Processor<String, String, String, String> for Locate {
    fn process(
        &mut self,
        record: Record<String, String>,
        ctx: &mut ProcessorContext<'_, String, String>,
    ) -> Result<(), ProcessError> {
        let meta = ctx
            .record_metadata()
            .ok_or_else(|| ProcessError::msg("no metadata"))?;
        let located = format!(
            "{}@{}/{}/{}",
            record.key, meta.topic, meta.partition, meta.offset
        );
        ctx.forward(record.with_value(located))
    }
}

#[test]
fn processors_read_the_input_records_topic_partition_and_offset() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .process(|| Locate, &[])
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver.input_topic::<String, String>("in").unwrap();
    input.pipe("a", "", 0).unwrap();
    input.pipe("b", "", 0).unwrap();
    let out = driver.output_topic::<String, String>("out").unwrap();
    assert_eq!(out.read_value().unwrap(), "a@in/0/0");
    assert_eq!(out.read_value().unwrap(), "b@in/0/1");
}

/// Counts records per key and emits the counts every 10 ms of stream time and
/// every second of wall-clock time, tagging which punctuator fired.
#[derive(Default)]
struct PeriodicCount {
    counts: std::collections::BTreeMap<String, i64>,
    stream_punctuator: Option<PunctuatorId>,
}

impl Processor<String, String, String, String> for PeriodicCount {
    fn init(&mut self, ctx: &mut ProcessorContext<'_, String, String>) -> Result<(), ProcessError> {
        self.stream_punctuator =
            Some(ctx.schedule(Duration::from_millis(10), PunctuationType::StreamTime));
        ctx.schedule(Duration::from_secs(1), PunctuationType::WallClockTime);
        Ok(())
    }

    fn process(
        &mut self,
        record: Record<String, String>,
        _ctx: &mut ProcessorContext<'_, String, String>,
    ) -> Result<(), ProcessError> {
        *self.counts.entry(record.key).or_default() += 1;
        Ok(())
    }

    fn punctuate(
        &mut self,
        id: PunctuatorId,
        timestamp: i64,
        ctx: &mut ProcessorContext<'_, String, String>,
    ) -> Result<(), ProcessError> {
        let kind = if Some(id) == self.stream_punctuator {
            "stream"
        } else {
            "wall"
        };
        for (key, count) in &self.counts {
            ctx.forward(Record::new(
                key.clone(),
                format!("{kind}:{count}"),
                timestamp,
            ))?;
        }
        Ok(())
    }
}

#[test]
fn stream_time_punctuators_fire_as_records_advance_time_and_wall_clock_ones_as_the_clock_moves() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .process(PeriodicCount::default, &[])
        .to("counts", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver.input_topic::<String, String>("in").unwrap();
    let counts = driver.output_topic::<String, String>("counts").unwrap();

    // Aligned to 0: the first record (t=0) fires the stream-time punctuator.
    input.pipe("a", "", 0).unwrap();
    assert_eq!(
        counts
            .read_all()
            .unwrap()
            .iter()
            .map(|r| (r.value.clone(), r.timestamp))
            .collect::<Vec<_>>(),
        [("stream:1".to_string(), 0)]
    );
    input.pipe("a", "", 5).unwrap();
    input.pipe("b", "", 9).unwrap();
    assert!(counts.is_empty(), "no punctuation before t=10");
    // A jump over several intervals fires once, with the current stream time.
    input.pipe("a", "", 35).unwrap();
    assert_eq!(
        counts
            .read_all()
            .unwrap()
            .iter()
            .map(|r| (r.key.clone(), r.value.clone(), r.timestamp))
            .collect::<Vec<_>>(),
        [
            ("a".to_string(), "stream:3".to_string(), 35),
            ("b".to_string(), "stream:1".to_string(), 35)
        ]
    );
    // An out-of-order record does not move stream time back or punctuate.
    input.pipe("a", "", 20).unwrap();
    assert!(counts.is_empty());

    driver
        .advance_wall_clock(Duration::from_millis(999))
        .unwrap();
    assert!(counts.is_empty());
    driver.advance_wall_clock(Duration::from_millis(1)).unwrap();
    assert_eq!(counts.read_value().unwrap(), "wall:4");
    assert_eq!(counts.read_value().unwrap(), "wall:1");
    assert_eq!(driver.metrics().punctuations, 3);
}

/// Schedules a wall-clock punctuator and cancels it after it fired twice.
#[derive(Default)]
struct CancelAfterTwo {
    fired: u32,
}

impl Processor<String, String, String, i64> for CancelAfterTwo {
    fn init(&mut self, ctx: &mut ProcessorContext<'_, String, i64>) -> Result<(), ProcessError> {
        ctx.schedule(Duration::from_secs(1), PunctuationType::WallClockTime);
        Ok(())
    }
    fn process(
        &mut self,
        _: Record<String, String>,
        _: &mut ProcessorContext<'_, String, i64>,
    ) -> Result<(), ProcessError> {
        Ok(())
    }
    fn punctuate(
        &mut self,
        id: PunctuatorId,
        timestamp: i64,
        ctx: &mut ProcessorContext<'_, String, i64>,
    ) -> Result<(), ProcessError> {
        self.fired += 1;
        ctx.forward(Record::new("tick".into(), timestamp, timestamp))?;
        if self.fired == 2 {
            ctx.cancel(id);
        }
        Ok(())
    }
}

#[test]
fn a_cancelled_punctuator_stops_firing() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .process(CancelAfterTwo::default, &[])
        .to("ticks", Produced::default());
    let config = TestDriverConfig {
        wall_clock_start_ms: 10_000,
        ..TestDriverConfig::default()
    };
    let driver = TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap();
    for _ in 0..5 {
        driver.advance_wall_clock(Duration::from_secs(1)).unwrap();
    }
    let ticks = driver.output_topic::<String, i64>("ticks").unwrap();
    assert_eq!(
        ticks
            .read_all()
            .unwrap()
            .into_iter()
            .map(|r| r.value)
            .collect::<Vec<_>>(),
        [11_000, 12_000]
    );
}

/// Routes to the child named after the record's key.
struct Router;

impl Processor<String, String, String, String> for Router {
    fn process(
        &mut self,
        record: Record<String, String>,
        ctx: &mut ProcessorContext<'_, String, String>,
    ) -> Result<(), ProcessError> {
        let child = format!("sink-{}", record.key);
        ctx.forward_to(&child, record)
    }
}

#[test]
fn forward_to_reaches_only_the_named_child_and_an_unknown_child_is_an_error() {
    let mut topology = TopologyBuilder::new();
    let source = topology.add_source::<String, String>(
        "source",
        vec![TopicRef::External("in".into())],
        None,
        None,
    );
    let router = topology.add_processor("router", || Router, &[source]);
    for name in ["a", "b"] {
        topology.add_sink(
            format!("sink-{name}"),
            SinkTopic::Topic(TopicRef::External(format!("out-{name}"))),
            None,
            None,
            &[router],
        );
    }
    let driver = TopologyTestDriver::new(topology.build().unwrap()).unwrap();
    let input = driver.input_topic::<String, String>("in").unwrap();
    input.pipe("b", "1", 0).unwrap();
    assert!(
        driver
            .output_topic::<String, String>("out-a")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        driver
            .output_topic::<String, String>("out-b")
            .unwrap()
            .read_value()
            .unwrap(),
        "1"
    );
    let error = input.pipe("c", "2", 0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "processor 'router' failed on the record at topic 'in' partition 0 offset 1: no child named 'sink-c'; children are: sink-a, sink-b"
    );
}

/// Fails on a value it cannot parse.
struct Parse;

impl Processor<String, String, String, i64> for Parse {
    fn process(
        &mut self,
        record: Record<String, String>,
        ctx: &mut ProcessorContext<'_, String, i64>,
    ) -> Result<(), ProcessError> {
        let number: i64 = record.value.parse()?;
        ctx.forward(record.with_value(number))
    }
}

#[test]
fn a_processor_error_names_the_node_and_the_input_record() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .process(|| Parse, &[])
        .named("parse")
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver.input_topic::<String, String>("in").unwrap();
    input.pipe("k", "12", 0).unwrap();
    let error = input.pipe("k", "twelve", 0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "processor 'parse' failed on the record at topic 'in' partition 0 offset 1: invalid digit found in string"
    );
}

/// Appends the value's length; keys cannot change.
struct WithLength;

impl FixedKeyProcessor<String, String, String> for WithLength {
    fn process(
        &mut self,
        record: FixedKeyRecord<String, String>,
        ctx: &mut FixedKeyContext<'_, '_, String, String>,
    ) -> Result<(), ProcessError> {
        let value = format!("{}({})", record.value(), record.value().len());
        ctx.forward(record.with_value(value))
    }
}

#[test]
fn process_values_keeps_keys_and_partitioning() {
    let builder = StreamsBuilder::new();
    let stream = builder
        .stream::<String, String>("in", Consumed::default())
        .process_values(|| WithLength, &[]);
    assert!(!stream.is_key_changed());
    stream.to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    driver
        .input_topic::<String, String>("in")
        .unwrap()
        .pipe("k", "abc", 3)
        .unwrap();
    let record = driver
        .output_topic::<String, String>("out")
        .unwrap()
        .read()
        .unwrap();
    assert_eq!(
        (record.key.as_str(), record.value.as_str(), record.timestamp),
        ("k", "abc(3)", 3)
    );
}

/// Counts init and close calls of all instances.
struct LifeCycle(Arc<AtomicUsize>, Arc<AtomicUsize>);

impl Processor<String, String, String, String> for LifeCycle {
    fn init(&mut self, _: &mut ProcessorContext<'_, String, String>) -> Result<(), ProcessError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn process(
        &mut self,
        record: Record<String, String>,
        ctx: &mut ProcessorContext<'_, String, String>,
    ) -> Result<(), ProcessError> {
        ctx.forward(record)
    }
    fn close(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn processors_are_initialised_once_per_task_and_closed_with_the_driver() {
    let (inits, closes) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let builder = StreamsBuilder::new();
    let (i, c) = (inits.clone(), closes.clone());
    builder
        .stream::<String, String>("in", Consumed::default())
        .process(move || LifeCycle(i.clone(), c.clone()), &[])
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    assert_eq!(
        (inits.load(Ordering::SeqCst), closes.load(Ordering::SeqCst)),
        (1, 0)
    );
    drop(driver);
    assert_eq!(closes.load(Ordering::SeqCst), 1);
}

/// A minimal custom store: a map from key to running total.
#[derive(Default)]
struct TotalsStore(std::collections::HashMap<String, i64>);

impl streams_core::state::TaskStore for TotalsStore {
    fn flush(&mut self) -> Result<(), StreamsError> {
        Ok(())
    }
    fn close(&mut self) -> Result<(), StreamsError> {
        Ok(())
    }
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
    fn persistent(&self) -> bool {
        false
    }
    fn restore_batch(
        &mut self,
        records: &[streams_core::state::KeyValueUpdate],
    ) -> Result<(), StreamsError> {
        // Not logged (its builder declares no changelog), so never restored.
        let _ = records;
        Ok(())
    }
}

/// Declares a `TotalsStore` named `name`.
struct TotalsStoreBuilder(&'static str);

impl streams_core::state::StoreBuilder for TotalsStoreBuilder {
    fn name(&self) -> &str {
        self.0
    }
    fn changelog(&self) -> Option<streams_core::state::ChangelogSpec> {
        None
    }
    fn open(
        &self,
        _: streams_core::state::StoreInit<'_>,
    ) -> Result<Box<dyn streams_core::state::TaskStore>, StreamsError> {
        Ok(Box::new(TotalsStore::default()))
    }
}

/// Keeps a running total per key in the "totals" store.
struct RunningTotal;

impl Processor<String, i64, String, i64> for RunningTotal {
    fn process(
        &mut self,
        record: Record<String, i64>,
        ctx: &mut ProcessorContext<'_, String, i64>,
    ) -> Result<(), ProcessError> {
        let store = ctx.state_store::<TotalsStore>("totals")?;
        let total = store.0.entry(record.key.clone()).or_default();
        *total += record.value;
        let total = *total;
        ctx.forward(record.with_value(total))
    }
}

#[test]
fn processors_reach_their_connected_state_stores() {
    let builder = StreamsBuilder::new();
    builder.add_state_store(TotalsStoreBuilder("totals"));
    builder
        .stream::<String, i64>("amounts", Consumed::default())
        .process(|| RunningTotal, &["totals"])
        .to("totals-out", Produced::default());
    let topology = builder.build().unwrap();
    assert!(
        topology
            .describe()
            .to_string()
            .contains("Processor: KSTREAM-PROCESSOR-0000000001 (stores: [totals])")
    );
    let driver = TopologyTestDriver::new(topology).unwrap();
    let input = driver.input_topic::<String, i64>("amounts").unwrap();
    for (key, amount) in [("a", 5), ("b", 1), ("a", 7)] {
        input.pipe(key, amount, 0).unwrap();
    }
    assert_eq!(
        driver
            .output_topic::<String, i64>("totals-out")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("a".into(), 5), ("b".into(), 1), ("a".into(), 12)]
    );
}

#[test]
fn a_store_that_was_never_added_fails_at_build_and_an_unconnected_one_at_use() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("amounts", Consumed::default())
        .process(|| RunningTotal, &["totalz"])
        .to("out", Produced::default());
    assert_eq!(
        builder.build().unwrap_err().to_string(),
        "processor 'KSTREAM-PROCESSOR-0000000001' uses state store 'totalz', which was never added: add it with add_state_store (or check the name)"
    );

    let builder = StreamsBuilder::new();
    builder.add_state_store(TotalsStoreBuilder("totals"));
    let amounts = builder.stream::<String, i64>("amounts", Consumed::default());
    amounts
        .process(|| RunningTotal, &["totals"])
        .to("out", Produced::default());
    amounts
        .process(|| RunningTotal, &[])
        .named("sneaky")
        .to("out2", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let error = driver
        .input_topic::<String, i64>("amounts")
        .unwrap()
        .pipe("a", 1, 0)
        .unwrap_err();
    assert!(
        error.to_string().starts_with("processor 'sneaky' failed on the record at topic 'amounts' partition 0 offset 0: state store 'totals' is not connected to this processor"),
        "{error}"
    );
}
