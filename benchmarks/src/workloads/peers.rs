//! Peers side by side: the e2e stateless and count pipelines run by an
//! rstreams instance and by Quix Streams (`peers/quix_app.py`), each in its
//! own process against the same in-process embedded broker, on the same
//! pre-produced input, timed from the instance's `starting` to the same
//! completion check (output watermarks for stateless, committed offsets for
//! count), with the same JSON fields. `peers/run.sh` installs Quix Streams and
//! runs this workload with `QUIX_PYTHON` set.
//!
//! Quix Streams runs as its docs recommend for throughput: its defaults
//! (at-least-once, RocksDB state with changelog, 5 s commit interval), the
//! `bytes` serdes; the count is also run with rstreams' e2e commit interval
//! (1 s), since committing is what the count's completion check waits for.

use super::e2e::{self, Fixture};
use super::instance::ChildInstance;
use super::instance_run::{self, ChildrenRun};
use super::scaling::{self, COUNT, Pipeline, SINGLE, STATELESS};
use crate::report::BenchResult;
use std::error::Error;
use std::path::PathBuf;
use std::process::Command;

/// The Python interpreter with `quixstreams` installed.
const QUIX_PYTHON: &str = "QUIX_PYTHON";
/// Quix Streams' default commit interval, seconds.
const QUIX_DEFAULT_COMMIT_S: &str = "5.0";

fn quix_run(
    python: &str,
    pipeline: Pipeline,
    commit_interval_s: &str,
) -> Result<ChildrenRun, Box<dyn Error>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/quix_app.py");
    let fixture = Fixture::start()?;
    let (group, state_dir) = e2e::application(&format!("quix-{}", pipeline.topology));
    let run = instance_run::run_children(
        &fixture,
        &group,
        1,
        |_| {
            let mut command = Command::new(python);
            command
                .arg(&script)
                .arg(pipeline.topology)
                .arg(&fixture.bootstrap)
                .arg(&group)
                .arg(&state_dir)
                .arg(commit_interval_s);
            ChildInstance::spawn(&group, command)
        },
        pipeline.done,
    );
    fixture.shutdown();
    let _ = std::fs::remove_dir_all(&state_dir);
    run
}

fn quix_version(python: &str) -> Result<String, Box<dyn Error>> {
    let output = Command::new(python)
        .args(["-c", "import quixstreams; print(quixstreams.__version__)"])
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "{python} cannot import quixstreams: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_string())
}

/// `peers`: rstreams and Quix Streams, stateless and count.
pub fn quix() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let python = std::env::var(QUIX_PYTHON).map_err(|_| {
        format!(
            "set {QUIX_PYTHON} to a Python with quixstreams installed; benchmarks/peers/run.sh does"
        )
    })?;
    let version = quix_version(&python)?;
    let mut results = Vec::new();
    for (workload, pipeline) in [("peers-stateless", STATELESS), ("peers-count", COUNT)] {
        let fixture = Fixture::start()?;
        let ours = scaling::run_rstreams(&fixture, pipeline.topology, SINGLE, &[], pipeline.done);
        fixture.shutdown();
        let ours = ours?;
        let ours_rate = e2e::records() as f64 / ours.elapsed.as_secs_f64();
        results.push(
            ours.annotate(
                e2e::result(workload, ours.elapsed)
                    .with("framework", "rstreams")
                    .with("commit_interval_ms", e2e::COMMIT_INTERVAL_MS),
            ),
        );
        let mut intervals = vec![QUIX_DEFAULT_COMMIT_S];
        if pipeline.topology == COUNT.topology {
            intervals.push("1.0");
        }
        for interval in intervals {
            let theirs = quix_run(&python, pipeline, interval)?;
            let theirs_rate = e2e::records() as f64 / theirs.elapsed.as_secs_f64();
            results.push(
                theirs.annotate(
                    e2e::result(workload, theirs.elapsed)
                        .with("framework", format!("quix-streams {version}"))
                        .with(
                            "commit_interval_ms",
                            (interval.parse::<f64>()? * 1000.0) as u64,
                        )
                        .with(
                            "rstreams_speedup",
                            (ours_rate / theirs_rate * 10.0).round() / 10.0,
                        ),
                ),
            );
        }
    }
    Ok(results)
}
