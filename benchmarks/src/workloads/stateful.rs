//! Stateful DSL workloads through the TopologyTestDriver (serdes, RocksDB stores,
//! caches and changelog capture included; no broker): count over many keys with
//! caching on and off (and cached over 1k to 10M keys), a tumbling-window count (all updates, or suppressed to
//! final results), session and sliding-window counts, a stream-table join and
//! windowed stream-stream joins.

use crate::report::BenchResult;
use std::error::Error;
use std::time::{Duration, Instant};
use streams_dsl::prelude::*;

const COUNT_RECORDS: u64 = 10_000_000;
const DISTINCT_KEYS: u64 = 100_000;
/// Records between commits, standing in for commit.interval.ms.
const COMMIT_EVERY: u64 = 1_000_000;

fn manual_commit_driver(builder: StreamsBuilder) -> Result<TopologyTestDriver, Box<dyn Error>> {
    let config = TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    };
    Ok(TopologyTestDriver::with_config(builder.build()?, config)?)
}

/// Pipes `records` records with keys cycling over `keys`, committing every
/// [`COMMIT_EVERY`]; returns the elapsed time and how many records came out.
fn pipe_keyed(
    driver: &TopologyTestDriver,
    topic: &str,
    records: u64,
    keys: u64,
    spacing_ms: i64,
) -> Result<(Duration, usize), Box<dyn Error>> {
    let input = driver.input_topic::<u64, u64>(topic)?;
    let mut produced = 0;
    let started = Instant::now();
    for i in 0..records {
        input.pipe(i % keys, i, i as i64 * spacing_ms)?;
        if (i + 1) % COMMIT_EVERY == 0 {
            driver.commit()?;
            produced += driver.discard_output();
        }
    }
    driver.commit()?;
    produced += driver.discard_output();
    Ok((started.elapsed(), produced))
}

fn count(
    name: &str,
    caching: bool,
    records: u64,
    keys: u64,
) -> Result<BenchResult, Box<dyn Error>> {
    let builder = StreamsBuilder::new();
    let materialized = Materialized::named("counts");
    let materialized = if caching {
        materialized
    } else {
        materialized.with_caching_disabled()
    };
    builder
        .stream::<u64, u64>("input", Consumed::default())
        .group_by_key()
        .count(materialized)
        .to_stream()
        .to("counts", Produced::default());
    let driver = manual_commit_driver(builder)?;
    let (elapsed, produced) = pipe_keyed(&driver, "input", records, keys, 1)?;
    Ok(BenchResult::new(name, records, elapsed)
        .with("distinct_keys", keys)
        .with("store", "rocksdb")
        .with("commit_every_records", COMMIT_EVERY)
        .with("records_out_incl_changelog", produced as u64))
}

/// Count with the write cache on.
pub fn count_cached() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    Ok(vec![count(
        "count-cached",
        true,
        COUNT_RECORDS,
        DISTINCT_KEYS,
    )?])
}

/// Count with the write cache off.
pub fn count_uncached() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    Ok(vec![count(
        "count-uncached",
        false,
        COUNT_RECORDS,
        DISTINCT_KEYS,
    )?])
}

/// Count with the write cache on over 1k, 100k, 1M and 10M keys (10M records
/// each), so the cost of a growing store shows; `--quick` runs 1M records over
/// the key counts up to 1M.
pub fn count_cached_keys() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let records = crate::scale::scaled(COUNT_RECORDS);
    [1_000, 100_000, 1_000_000, 10_000_000]
        .into_iter()
        .filter(|&keys| keys <= records)
        .map(|keys| count("count-cached-keys", true, records, keys))
        .collect()
}

/// Which results a tumbling-window count forwards.
#[derive(Clone, Copy)]
enum WindowResults {
    /// Every update the cache lets through.
    Updates,
    /// Final results through `suppress(until_window_closes)`.
    Suppressed,
    /// Final results through `EmitStrategy::on_window_close`.
    EmittedOnClose,
}

/// A tumbling one-minute window count of `records` records over 10k keys, 1 ms
/// apart, forwarding `results`.
fn tumbling_count(
    name: &str,
    records: u64,
    results: WindowResults,
) -> Result<Vec<BenchResult>, Box<dyn Error>> {
    const KEYS: u64 = 10_000;
    let builder = StreamsBuilder::new();
    let windowed = builder
        .stream::<u64, u64>("input", Consumed::default())
        .group_by_key()
        .windowed_by(TimeWindows::of_size_with_no_grace(Duration::from_secs(60)));
    let (counts, window) = match results {
        WindowResults::Updates => (
            windowed.count(Materialized::named("window-counts")),
            "tumbling 60 s",
        ),
        WindowResults::Suppressed => (
            windowed
                .count(Materialized::named("window-counts"))
                .suppress(
                    Suppressed::until_window_closes(BufferConfig::unbounded()).with_name("final"),
                ),
            "tumbling 60 s",
        ),
        WindowResults::EmittedOnClose => (
            windowed
                .emit_strategy(EmitStrategy::on_window_close())
                .count(Materialized::named("window-counts")),
            "tumbling 60 s, emit on window close",
        ),
    };
    counts.to_stream().to("window-counts", Produced::default());
    let driver = manual_commit_driver(builder)?;
    let (elapsed, produced) = pipe_keyed(&driver, "input", records, KEYS, 1)?;
    Ok(vec![
        BenchResult::new(name, records, elapsed)
            .with("distinct_keys", KEYS)
            .with("window", window)
            .with("records_out_incl_changelog", produced as u64),
    ])
}

/// Tumbling one-minute window count over 10k keys, records 1 ms apart.
pub fn window_count() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    tumbling_count("window-count", 5_000_000, WindowResults::Updates)
}

/// The tumbling-window count of [`window_count`], suppressed until each window
/// closes: only final results come out, the buffer logged to its changelog.
pub fn window_count_suppressed() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    tumbling_count(
        "window-count-suppressed",
        5_000_000,
        WindowResults::Suppressed,
    )
}

/// The tumbling-window count of [`window_count`] emitting only each window's
/// final count when it closes (no suppression buffer), over 2M records.
pub fn window_count_emit_final() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    tumbling_count(
        "window-count-emit-final",
        2_000_000,
        WindowResults::EmittedOnClose,
    )
}

/// Session count with a 30 s gap over 10k keys, records 1 ms apart: each key
/// sees a record every 10 s, so every record extends (merges into) its key's
/// session.
pub fn session_count() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    const RECORDS: u64 = 2_000_000;
    const KEYS: u64 = 10_000;
    let builder = StreamsBuilder::new();
    builder
        .stream::<u64, u64>("input", Consumed::default())
        .group_by_key()
        .windowed_by(SessionWindows::of_inactivity_gap_with_no_grace(
            Duration::from_secs(30),
        ))
        .count(Materialized::named("session-counts"))
        .to_stream()
        .to("session-counts", Produced::default());
    let driver = manual_commit_driver(builder)?;
    let (elapsed, produced) = pipe_keyed(&driver, "input", RECORDS, KEYS, 1)?;
    Ok(vec![
        BenchResult::new("session-count", RECORDS, elapsed)
            .with("distinct_keys", KEYS)
            .with("window", "session, gap 30 s")
            .with("records_out_incl_changelog", produced as u64),
    ])
}

/// Sliding-window count with a 60 s time difference over 10k keys, records
/// 1 ms apart: each key sees a record every 10 s, so a record falls in about
/// six windows and creates up to three.
pub fn sliding_count() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    const RECORDS: u64 = 1_000_000;
    const KEYS: u64 = 10_000;
    let builder = StreamsBuilder::new();
    builder
        .stream::<u64, u64>("input", Consumed::default())
        .group_by_key()
        .windowed_by(SlidingWindows::of_time_difference_with_no_grace(
            Duration::from_secs(60),
        ))
        .count(Materialized::named("sliding-counts"))
        .to_stream()
        .to("sliding-counts", Produced::default());
    let driver = manual_commit_driver(builder)?;
    let (elapsed, produced) = pipe_keyed(&driver, "input", RECORDS, KEYS, 1)?;
    Ok(vec![
        BenchResult::new("sliding-count", RECORDS, elapsed)
            .with("distinct_keys", KEYS)
            .with("window", "sliding, difference 60 s")
            .with("records_out_incl_changelog", produced as u64),
    ])
}

/// A stream of 5M records joined with a 100k-row table.
pub fn stream_table_join() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    table_join("stream-table-join", JoinedTable::Local)
}

/// A stream of 5M records joined with a 100k-row global table, by key.
pub fn stream_global_table_join() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    table_join("stream-global-table-join", JoinedTable::Global)
}

/// A stream of 5M records joined with a 100k-row versioned table, as of
/// each record's timestamp.
pub fn stream_versioned_table_join() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    table_join("stream-versioned-table-join", JoinedTable::Versioned)
}

/// 1M updates, records 1 ms apart, over 100k keys into a table in a
/// versioned RocksDB store with one hour of history, forwarded downstream:
/// every update advances stream time and ends its key's previous version,
/// none of which expires within the run.
pub fn versioned_table_updates() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    const RECORDS: u64 = 1_000_000;
    let builder = StreamsBuilder::new();
    builder
        .table::<u64, u64>(
            "input",
            Consumed::default(),
            Materialized::as_versioned("table-store", Duration::from_secs(3600)),
        )
        .to_stream()
        .to("updates", Produced::default());
    let driver = manual_commit_driver(builder)?;
    let (elapsed, produced) = pipe_keyed(&driver, "input", RECORDS, DISTINCT_KEYS, 1)?;
    // Each update is forwarded and logged to the store's changelog.
    if produced as u64 != 2 * RECORDS {
        return Err(format!("{produced} output and changelog records for {RECORDS} inputs").into());
    }
    Ok(vec![
        BenchResult::new("versioned-table-updates", RECORDS, elapsed)
            .with("distinct_keys", DISTINCT_KEYS)
            .with("records_out_incl_changelog", produced as u64)
            .with("store", "rocksdb versioned store (uncached), 1 h history"),
    ])
}

/// The table a [`table_join`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JoinedTable {
    /// A KTable in a cached RocksDB store.
    Local,
    /// A GlobalKTable joined through a key selector returning the record's key.
    Global,
    /// A KTable in a versioned RocksDB store (one hour of history), read as
    /// of each stream record's timestamp.
    Versioned,
}

/// 5M stream records, keys cycling over 100k, each joined with the row of
/// its key in a table of `kind`.
fn table_join(name: &str, kind: JoinedTable) -> Result<Vec<BenchResult>, Box<dyn Error>> {
    const RECORDS: u64 = 5_000_000;
    let builder = StreamsBuilder::new();
    let stream = builder.stream::<u64, u64>("input", Consumed::default());
    let joined = match kind {
        JoinedTable::Global => {
            let table = builder.global_table::<u64, u64>(
                "table",
                Consumed::default(),
                Materialized::named("table-store"),
            );
            stream.join_global(&table, |key, _| *key, |value, row| value.wrapping_add(row))
        }
        JoinedTable::Local | JoinedTable::Versioned => {
            let materialized = match kind {
                JoinedTable::Versioned => {
                    Materialized::as_versioned("table-store", Duration::from_secs(3600))
                }
                _ => Materialized::named("table-store"),
            };
            let table = builder.table::<u64, u64>("table", Consumed::default(), materialized);
            stream.join(&table, |value, row| value.wrapping_add(row))
        }
    };
    joined.to("joined", Produced::default());
    let driver = manual_commit_driver(builder)?;
    let rows = driver.input_topic::<u64, Option<u64>>("table")?;
    for key in 0..DISTINCT_KEYS {
        rows.pipe(key, Some(key * 10), 0)?;
    }
    driver.commit()?;
    driver.discard_output();
    let (elapsed, produced) = pipe_keyed(&driver, "input", RECORDS, DISTINCT_KEYS, 0)?;
    if produced as u64 != RECORDS {
        return Err(format!("{produced} joined records for {RECORDS} inputs").into());
    }
    let store = match kind {
        JoinedTable::Local => "rocksdb, cached",
        JoinedTable::Global => "rocksdb global store (uncached, shared)",
        JoinedTable::Versioned => "rocksdb versioned store (uncached), read as of each record",
    };
    Ok(vec![
        BenchResult::new(name, RECORDS, elapsed)
            .with("table_rows", DISTINCT_KEYS)
            .with("store", store),
    ])
}

/// Orders (left table) joined with products (right table) by the product id
/// each order refers to (KIP-213): 1M order updates over 100k orders and 10k
/// products, then 10k product updates, each reaching the ~10 orders that
/// refer to it. Both phases run through the subscription and response topics.
pub fn table_foreign_key_join() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    const ORDER_UPDATES: u64 = 1_000_000;
    const ORDERS: u64 = 100_000;
    const PRODUCTS: u64 = 10_000;
    let builder = StreamsBuilder::new();
    let products = builder.table::<u64, u64>(
        "products",
        Consumed::default(),
        Materialized::named("products"),
    );
    builder
        .table::<u64, u64>("orders", Consumed::default(), Materialized::named("orders"))
        .join_foreign_key_with(
            &products,
            |product: &u64| Some(product % PRODUCTS),
            |product, price| product.wrapping_add(price),
            Materialized::named("order-lines"),
        )
        .to_stream()
        .to("order-lines-out", Produced::default());
    let driver = manual_commit_driver(builder)?;
    let product_rows = driver.input_topic::<u64, Option<u64>>("products")?;
    for product in 0..PRODUCTS {
        product_rows.pipe(product, Some(product * 100), 0)?;
    }
    driver.commit()?;
    driver.discard_output();
    let orders = driver.input_topic::<u64, Option<u64>>("orders")?;
    let started = Instant::now();
    for i in 0..ORDER_UPDATES {
        orders.pipe(i % ORDERS, Some(i), i as i64)?;
        if (i + 1) % COMMIT_EVERY == 0 {
            driver.commit()?;
            driver.discard_output();
        }
    }
    driver.commit()?;
    driver.discard_output();
    let left_elapsed = started.elapsed();
    let lines = driver
        .key_value_store_entries::<u64, u64>("order-lines")?
        .len() as u64;
    if lines != ORDERS {
        return Err(format!("{lines} joined orders for {ORDERS} orders").into());
    }
    let started = Instant::now();
    for product in 0..PRODUCTS {
        product_rows.pipe(product, Some(product * 100 + 1), ORDER_UPDATES as i64)?;
    }
    driver.commit()?;
    let fanned_out = driver.discard_output() as u64;
    let right_elapsed = started.elapsed();
    Ok(vec![
        BenchResult::new("table-fk-join-left-updates", ORDER_UPDATES, left_elapsed)
            .with("orders", ORDERS)
            .with("products", PRODUCTS),
        BenchResult::new("table-fk-join-right-updates", PRODUCTS, right_elapsed)
            .with("orders", ORDERS)
            .with("products", PRODUCTS)
            .with("records_out_incl_internal", fanned_out),
    ])
}

/// Pairs of records piped into each side of [`stream_stream_join`].
const JOIN_PAIRS: u64 = 1_000_000;

/// One stream-stream join run: `JOIN_PAIRS` left records, each followed by a
/// right record with the same key and timestamp (keys cycling over 10k,
/// timestamps 1 ms apart, a ±100 ms window), so each pair joins exactly once.
fn stream_stream_join_run(left_join: bool) -> Result<BenchResult, Box<dyn Error>> {
    const KEYS: u64 = 10_000;
    let builder = StreamsBuilder::new();
    let right = builder.stream::<u64, u64>("right", Consumed::default());
    let left = builder.stream::<u64, u64>("left", Consumed::default());
    let windows = JoinWindows::of_time_difference_with_no_grace(Duration::from_millis(100));
    let joined = if left_join {
        left.left_join_stream(
            &right,
            |l, r: Option<u64>| l.wrapping_add(r.unwrap_or_default()),
            windows,
            StreamJoined::default(),
        )
    } else {
        left.join_stream(&right, u64::wrapping_add, windows, StreamJoined::default())
    };
    joined.to("joined", Produced::default());
    let driver = manual_commit_driver(builder)?;
    let left = driver.input_topic::<u64, u64>("left")?;
    let right = driver.input_topic::<u64, u64>("right")?;
    let output = driver.output_topic::<u64, u64>("joined")?;
    let mut joined_records = 0;
    let started = Instant::now();
    for i in 0..JOIN_PAIRS {
        left.pipe(i % KEYS, i, i as i64)?;
        right.pipe(i % KEYS, i, i as i64)?;
        if (i + 1) % (COMMIT_EVERY / 2) == 0 {
            driver.commit()?;
            joined_records += output.len();
            driver.discard_output();
        }
    }
    driver.commit()?;
    joined_records += output.len();
    let elapsed = started.elapsed();
    if joined_records as u64 != JOIN_PAIRS {
        return Err(format!("{joined_records} joined records for {JOIN_PAIRS} pairs").into());
    }
    let name = if left_join {
        "stream-stream-left-join"
    } else {
        "stream-stream-join"
    };
    Ok(BenchResult::new(name, 2 * JOIN_PAIRS, elapsed)
        .with("distinct_keys", KEYS)
        .with("window", "+-100 ms, no grace")
        .with("store", "rocksdb, logged"))
}

/// Inner and left stream-stream joins, each side buffered in RocksDB.
pub fn stream_stream_join() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    Ok(vec![
        stream_stream_join_run(false)?,
        stream_stream_join_run(true)?,
    ])
}
