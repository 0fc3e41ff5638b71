//! Runs one or more child-process instances ([`ChildInstance`]) on an e2e
//! fixture until a completion condition holds, and measures them: wall time
//! from the first instance's `starting`, CPU of this process (the broker, the
//! monitor) and of every instance, and each instance's resident memory
//! (sampled while it runs, at completion, and its peak).

use super::e2e::{self, Fixture};
use super::instance::ChildInstance;
use crate::cpu::{CpuSnapshot, CpuUsage};
use crate::report::BenchResult;
use rdkafka::consumer::BaseConsumer;
use std::error::Error;
use std::time::Duration;

/// StreamsConfig properties of an rstreams instance on `fixture`: a fresh
/// state directory, `threads` stream threads, then `extra` (which may
/// override either).
pub(super) fn rstreams_settings(
    application_id: &str,
    fixture: &Fixture,
    threads: usize,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let (_, state_dir) = e2e::application(application_id);
    let mut settings = vec![
        ("application.id".to_string(), application_id.to_string()),
        ("bootstrap.servers".to_string(), fixture.bootstrap.clone()),
        ("state.dir".to_string(), state_dir.display().to_string()),
        ("num.stream.threads".to_string(), threads.to_string()),
    ];
    settings.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    settings
}

/// Resident memory of one instance over a run, in bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct ResidentSummary {
    /// Median of the samples taken while the run was going.
    pub(super) median: u64,
    /// When the completion condition first held.
    pub(super) at_completion: u64,
    /// The peak (`VmHWM`) at completion.
    pub(super) peak: u64,
}

/// What a run of child instances measured.
pub(super) struct ChildrenRun {
    /// From the first instance's `starting` until the condition held.
    pub(super) elapsed: Duration,
    /// This process's CPU over the run plus every instance's (`instance_*`).
    pub(super) cpu: CpuUsage,
    /// One per instance, in start order.
    pub(super) resident: Vec<ResidentSummary>,
}

impl ChildrenRun {
    /// Adds the CPU split and the instances' memory (MiB) to `result`.
    pub(super) fn annotate(&self, result: BenchResult) -> BenchResult {
        let mib = |bytes: u64| (bytes as f64 / 1048576.0 * 10.0).round() / 10.0;
        let field = |pick: fn(&ResidentSummary) -> u64| -> Vec<f64> {
            self.resident.iter().map(|r| mib(pick(r))).collect()
        };
        self.cpu
            .annotate(result)
            .with("rss_median_mib", field(|r| r.median))
            .with("rss_at_completion_mib", field(|r| r.at_completion))
            .with("rss_peak_mib", field(|r| r.peak))
    }
}

/// Starts `instances` children with `spawn` (the group's members), waits until
/// `done` holds on a monitor of consumer group `group`, then closes them.
pub(super) fn run_children(
    fixture: &Fixture,
    group: &str,
    instances: usize,
    mut spawn: impl FnMut(usize) -> Result<ChildInstance, Box<dyn Error>>,
    mut done: impl FnMut(&BaseConsumer) -> Result<bool, Box<dyn Error>>,
) -> Result<ChildrenRun, Box<dyn Error>> {
    let monitor = fixture.monitor(group)?;
    let cpu_before = CpuSnapshot::of_self();
    let mut children = Vec::with_capacity(instances);
    for index in 0..instances {
        children.push(spawn(index)?);
    }
    let started = children
        .first()
        .map(ChildInstance::started)
        .ok_or("no instance to run")?;
    let mut samples: Vec<Vec<u64>> = vec![Vec::new(); instances];
    e2e::wait_until(group, || {
        for (child, samples) in children.iter_mut().zip(&mut samples) {
            child.check_alive()?;
            // A child that exits between the two reads is reported by its exit status.
            let resident = child
                .resident()
                .map_err(|error| match child.check_alive() {
                    Err(exited) => exited,
                    Ok(()) => error,
                })?;
            samples.push(resident.now_bytes);
        }
        done(&monitor)
    })?;
    let elapsed = started.elapsed();
    let mut cpu = CpuSnapshot::of_self().since(&cpu_before);
    let mut resident = Vec::with_capacity(instances);
    for (child, mut samples) in children.iter().zip(samples) {
        cpu = cpu.plus(
            child
                .cpu()
                .since(&CpuSnapshot::default())
                .of_process_named("instance"),
        );
        let now = child.resident()?;
        samples.sort_unstable();
        resident.push(ResidentSummary {
            median: samples
                .get(samples.len() / 2)
                .copied()
                .unwrap_or(now.now_bytes),
            at_completion: now.now_bytes,
            peak: now.peak_bytes,
        });
    }
    for child in children {
        child.close()?;
    }
    Ok(ChildrenRun {
        elapsed,
        cpu,
        resident,
    })
}
