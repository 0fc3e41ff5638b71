//! Scaling of the e2e pipelines: the stateless and count workloads on the e2e
//! input (1M records, 4 partitions) with 1, 2 and 4 stream threads in one
//! instance, and with 2 instances of one thread each. Every instance is its
//! own process (`benchmarks --instance`), the broker stays in this one, so the
//! two-instance layout is two processes sharing the consumer group, as two
//! deployments on one machine would. Ratios are to an `e2e-copy-ceiling` run.

use super::e2e::{self, FILTER_MODULUS, Fixture, OUTPUT};
use super::instance::ChildInstance;
use super::instance_run::{self, ChildrenRun};
use crate::report::BenchResult;
use rdkafka::consumer::BaseConsumer;
use std::error::Error;

/// How the work is spread: instances (processes) and stream threads in each.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    pub(super) instances: usize,
    pub(super) threads: usize,
}

/// One instance, one stream thread.
pub(super) const SINGLE: Layout = Layout {
    instances: 1,
    threads: 1,
};

const LAYOUTS: [Layout; 4] = [
    SINGLE,
    Layout {
        instances: 1,
        threads: 2,
    },
    Layout {
        instances: 1,
        threads: 4,
    },
    Layout {
        instances: 2,
        threads: 1,
    },
];

/// A pipeline by topology name, and when its run on the e2e input is complete.
#[derive(Clone, Copy)]
pub(super) struct Pipeline {
    pub(super) topology: &'static str,
    pub(super) done: fn(&BaseConsumer) -> Result<bool, Box<dyn Error>>,
}

/// Stateless: complete once the output holds every kept record.
pub(super) const STATELESS: Pipeline = Pipeline {
    topology: "stateless",
    done: |monitor| {
        let records = e2e::records();
        Ok(e2e::topic_records(monitor, OUTPUT)? >= records - records / FILTER_MODULUS)
    },
};

/// Count: complete once the committed offsets cover every input record.
pub(super) const COUNT: Pipeline = Pipeline {
    topology: "count",
    done: |monitor| Ok(e2e::committed_records(monitor)? >= e2e::records()),
};

/// Runs `topology` as `instances` rstreams instances of `threads` stream
/// threads each on `fixture`, committing every [`e2e::COMMIT_INTERVAL_MS`] as
/// the in-process e2e workloads do (settings `extra` on top), until `done`
/// holds on the instances' consumer group.
pub(super) fn run_rstreams(
    fixture: &Fixture,
    topology: &str,
    layout: Layout,
    extra: &[(&str, &str)],
    done: impl FnMut(&BaseConsumer) -> Result<bool, Box<dyn Error>>,
) -> Result<ChildrenRun, Box<dyn Error>> {
    let Layout { instances, threads } = layout;
    let (application_id, _) = e2e::application(&format!("rstreams-{topology}"));
    instance_run::run_children(
        fixture,
        &application_id,
        instances,
        |index| {
            let commit_interval = e2e::COMMIT_INTERVAL_MS.to_string();
            let mut e2e_settings = vec![("commit.interval.ms", commit_interval.as_str())];
            e2e_settings.extend_from_slice(extra);
            let settings =
                instance_run::rstreams_settings(&application_id, fixture, threads, &e2e_settings);
            ChildInstance::rstreams(&format!("{application_id}-{index}"), topology, &settings)
        },
        done,
    )
}

fn scale(workload: &str, pipeline: Pipeline) -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let ceiling = e2e::ceiling_records_per_sec()?;
    let mut results = Vec::new();
    for layout in LAYOUTS {
        let fixture = Fixture::start()?;
        let run = run_rstreams(&fixture, pipeline.topology, layout, &[], pipeline.done);
        fixture.shutdown();
        let run = run?;
        let result = e2e::result(workload, run.elapsed)
            .with("instances", layout.instances as u64)
            .with("threads_per_instance", layout.threads as u64)
            .with("commit_interval_ms", e2e::COMMIT_INTERVAL_MS);
        results.push(run.annotate(e2e::with_ratio(result, ceiling)));
    }
    Ok(results)
}

/// `scaling-stateless`.
pub fn stateless() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    scale("scaling-stateless", STATELESS)
}

/// `scaling-count`.
pub fn count() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    scale("scaling-count", COUNT)
}
