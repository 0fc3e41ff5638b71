//! A real process crash: a child process writes and commits a key-value and a
//! segmented window store in rounds (round `n` committed with changelog offset
//! `n`) until it is killed with SIGKILL in the middle of a round. Reopened, the
//! stores must be exactly at a commit no older than the last one the child
//! reported, and replaying the changelog after their committed offset must give
//! the same contents as a store that never crashed.
//!
//! The child is this test binary again, running `child_writer` with
//! `RSTREAMS_KILL_NINE_DIR` set.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use streams_state::{
    InMemoryKeyValueStore, KeyValueStore, RocksDbKeyValueStore, RocksDbOptions,
    SegmentedWindowStore, StateStore, WindowStore,
};

const CHILD_DIR: &str = "RSTREAMS_KILL_NINE_DIR";
const RETENTION_MS: i64 = 200_000;
/// Rounds committed before the child is killed.
const ROUNDS_BEFORE_KILL: i64 = 25;
/// A child that is never killed stops after this many rounds.
const MAX_ROUNDS: i64 = 100_000;

/// The writes of round `n`: overwrites and one delete in the key-value store,
/// windows moving forward in time (a new segment every five rounds, the oldest
/// dropped as they expire).
fn apply_round(n: i64, kv: &mut dyn KeyValueStore, windows: &mut dyn WindowStore) {
    for i in 0..500 {
        let key = (n * 131 + i * 7) % 3000;
        kv.put(format!("k{key}").as_bytes(), format!("{n}-{i}").as_bytes())
            .unwrap();
    }
    kv.delete(format!("k{}", (n * 17) % 3000).as_bytes())
        .unwrap();
    for i in 0..200 {
        let key = format!("w{}", i % 50);
        windows
            .put(
                key.as_bytes(),
                Some(n.to_string().as_bytes()),
                n * 20_000 + i,
            )
            .unwrap();
    }
}

fn open(dir: &Path) -> (RocksDbKeyValueStore, SegmentedWindowStore) {
    let options = RocksDbOptions::default();
    (
        RocksDbKeyValueStore::open("kv", dir, &options).unwrap(),
        SegmentedWindowStore::rocksdb("w", dir, RETENTION_MS, false, &options).unwrap(),
    )
}

fn kv_contents(store: &dyn KeyValueStore) -> Vec<(Vec<u8>, Vec<u8>)> {
    store.all().unwrap().map(Result::unwrap).collect()
}

fn window_contents(store: &dyn WindowStore) -> Vec<(Vec<u8>, i64, Vec<u8>)> {
    store
        .all()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.key, e.window_start, e.value)
        })
        .collect()
}

/// Stores that applied rounds `0..=last` and never crashed.
fn reference(last: i64) -> (InMemoryKeyValueStore, SegmentedWindowStore) {
    let mut kv = InMemoryKeyValueStore::new("kv");
    let mut windows = SegmentedWindowStore::in_memory("w", RETENTION_MS, false).unwrap();
    for n in 0..=last {
        apply_round(n, &mut kv, &mut windows);
        kv.commit(Some(n)).unwrap();
        windows.commit(Some(n)).unwrap();
    }
    (kv, windows)
}

/// The child's part: commit rounds and report each, forever (until killed).
#[test]
fn child_writer() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return; // Not the child: nothing to do.
    };
    let (mut kv, mut windows) = open(Path::new(&dir));
    for n in 0..MAX_ROUNDS {
        apply_round(n, &mut kv, &mut windows);
        kv.commit(Some(n)).unwrap();
        windows.commit(Some(n)).unwrap();
        println!("committed {n}");
    }
}

#[test]
fn a_killed_process_leaves_its_stores_at_a_commit() {
    if std::env::var_os(CHILD_DIR).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut reported = -1;
    while reported < ROUNDS_BEFORE_KILL {
        assert!(
            Instant::now() < deadline,
            "the child reported only {reported} commits in 300 s"
        );
        let line = lines
            .next()
            .expect("the child ended before it was killed")
            .unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            reported = n.parse().unwrap();
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no flush
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");
    for line in lines {
        if let Some(n) = line.unwrap().strip_prefix("committed ") {
            reported = n.parse().unwrap();
        }
    }

    let (mut kv, mut windows) = open(dir.path());
    let kv_offset = kv
        .committed_offset()
        .unwrap()
        .expect("an offset was committed");
    assert!(
        kv_offset >= reported,
        "the key-value store lost a reported commit: at {kv_offset}, reported {reported}"
    );
    assert!(
        kv_offset <= reported + 1,
        "at most the round being reported"
    );
    let (expected_kv, _) = reference(kv_offset);
    assert_eq!(
        kv_contents(&kv),
        kv_contents(&expected_kv),
        "the key-value store holds exactly commit {kv_offset}"
    );

    let window_offset = windows.committed_offset().unwrap().expect("an offset");
    assert!(
        window_offset >= reported,
        "the window store lost a reported commit: at {window_offset}, reported {reported}"
    );
    // Restoration replays the changelog after the committed offset: the next
    // round, which some segments may already hold.
    let replayed = window_offset + 1;
    apply_round(replayed, &mut kv, &mut windows);
    windows.commit(Some(replayed)).unwrap();
    let (_, expected_windows) = reference(replayed);
    assert_eq!(
        window_contents(&windows),
        window_contents(&expected_windows),
        "the window store after replaying round {replayed}"
    );
}
