//! An application instance in its own process, so a workload can measure it
//! apart from the broker and the load generator (resident memory, CPU time),
//! run several instances side by side, or run a peer framework the same way.
//!
//! The child protocol, shared by `benchmarks --instance` and the peers'
//! scripts: the child prints `starting` on stdout right before it starts
//! processing (after its own start-up: interpreter, imports, config), and
//! `running` once it has its partitions (where it can tell); it runs until its
//! standard input closes, then closes cleanly and exits 0; a failure exits
//! non-zero with the reason on stderr.

use super::e2e;
use crate::cpu::CpuSnapshot;
use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use streams_dsl::prelude::*;

/// Longest an instance may take to start or to close.
const LIFECYCLE_LIMIT: Duration = Duration::from_secs(120);
/// How often a waiting parent looks at the child again.
const CHECK_EVERY: Duration = Duration::from_millis(20);

/// The topologies an instance can run, by name.
fn topology(name: &str) -> Result<Topology, Box<dyn Error>> {
    match name {
        "stateless" => e2e::stateless_topology(),
        "count" => e2e::count_topology(),
        other => Err(format!("unknown topology '{other}'; use stateless or count").into()),
    }
}

/// Resident memory of a process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resident {
    /// `VmRSS`: resident now.
    pub(super) now_bytes: u64,
    /// `VmHWM`: the most it was ever resident.
    pub(super) peak_bytes: u64,
}

/// A running child process following the protocol above.
pub(super) struct ChildInstance {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// When the child said `starting`.
    started: Instant,
}

impl ChildInstance {
    /// This binary as an rstreams instance running `topology_name` with
    /// `settings` (StreamsConfig properties).
    pub(super) fn rstreams(
        name: &str,
        topology_name: &str,
        settings: &[(String, String)],
    ) -> Result<Self, Box<dyn Error>> {
        let mut command = Command::new(std::env::current_exe()?);
        command.arg("--instance").arg(topology_name);
        for (key, value) in settings {
            command.arg(format!("{key}={value}"));
        }
        Self::spawn(name, command)
    }

    /// Starts `command` and waits until it says `starting`.
    pub(super) fn spawn(name: &str, mut command: Command) -> Result<Self, Box<dyn Error>> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting instance {name} ({command:?}): {e}"))?;
        let stdout = child.stdout.take().ok_or("the child has no stdout")?;
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut instance = Self {
            name: name.to_string(),
            stdin: child.stdin.take(),
            child,
            lines,
            started: Instant::now(),
        };
        instance.await_line("starting")?;
        instance.started = Instant::now();
        Ok(instance)
    }

    fn await_line(&mut self, expected: &str) -> Result<(), Box<dyn Error>> {
        let deadline = Instant::now() + LIFECYCLE_LIMIT;
        loop {
            match self.lines.recv_timeout(CHECK_EVERY) {
                Ok(line) if line.trim() == expected => return Ok(()),
                Ok(other) => {
                    tracing::info!(instance = %self.name, line = %other, "instance output")
                }
                Err(RecvTimeoutError::Timeout) => self.check_alive()?,
                Err(RecvTimeoutError::Disconnected) => {
                    self.check_alive()?;
                    return Err(format!(
                        "instance {} closed its output before '{expected}'",
                        self.name
                    )
                    .into());
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "instance {} did not say '{expected}' within {LIFECYCLE_LIMIT:?}",
                    self.name
                )
                .into());
            }
        }
    }

    /// Waits until the child says `running`.
    pub(super) fn await_running(&mut self) -> Result<(), Box<dyn Error>> {
        self.await_line("running")
    }

    /// When the child said `starting`.
    pub(super) fn started(&self) -> Instant {
        self.started
    }

    /// Fails if the child has exited.
    pub(super) fn check_alive(&mut self) -> Result<(), Box<dyn Error>> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(format!("instance {} exited early: {status}", self.name).into()),
        }
    }

    /// The child's resident memory.
    pub(super) fn resident(&self) -> Result<Resident, Box<dyn Error>> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let field = |name: &str| -> Result<u64, Box<dyn Error>> {
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .ok_or_else(|| format!("no {name} in /proc/{}/status", self.child.id()))?;
            let kib: u64 = line
                .trim_start_matches(name)
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()?;
            Ok(kib * 1024)
        };
        Ok(Resident {
            now_bytes: field("VmRSS:")?,
            peak_bytes: field("VmHWM:")?,
        })
    }

    /// CPU time of the child's live threads.
    pub(super) fn cpu(&self) -> CpuSnapshot {
        CpuSnapshot::of_process(self.child.id())
    }

    /// Closes the child's stdin and waits for a clean exit.
    pub(super) fn close(mut self) -> Result<(), Box<dyn Error>> {
        drop(self.stdin.take());
        let deadline = Instant::now() + LIFECYCLE_LIMIT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("instance {} exited with {status}", self.name).into())
                };
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "instance {} did not close within {LIFECYCLE_LIMIT:?}",
                    self.name
                )
                .into());
            }
            std::thread::sleep(CHECK_EVERY);
        }
    }
}

impl Drop for ChildInstance {
    /// A workload that fails midway does not leave its instances running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `benchmarks --instance TOPOLOGY KEY=VALUE...`: the child side.
pub fn run_instance(args: &[String]) -> ExitCode {
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("instance failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &[String]) -> Result<(), Box<dyn Error>> {
    let (topology_name, settings) = args
        .split_first()
        .ok_or("usage: benchmarks --instance TOPOLOGY KEY=VALUE...")?;
    let mut builder = StreamsConfig::builder();
    for setting in settings {
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("'{setting}' is not KEY=VALUE"))?;
        builder = builder.set(key, value);
    }
    let config = builder.build()?;
    let state_dir = config.state_dir().to_path_buf();
    let mut streams = KafkaStreams::new(topology(topology_name)?, config)?;
    let (closed, stdin_closed) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        // Reads until EOF: the parent closed our stdin (or died).
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = closed.send(());
    });
    println!("starting");
    std::io::stdout().flush()?;
    streams.start()?;
    streams.wait_until_running(LIFECYCLE_LIMIT)?;
    println!("running");
    std::io::stdout().flush()?;
    let outcome = loop {
        if let Some(failure) = streams.failure() {
            break Err(format!("the instance failed: {failure}"));
        }
        match stdin_closed.recv_timeout(CHECK_EVERY) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break Ok(()),
        }
    };
    let closed = streams.close(LIFECYCLE_LIMIT);
    let cleaned = streams.cleanup();
    let _ = std::fs::remove_dir_all(&state_dir);
    outcome?;
    closed?;
    cleaned?;
    Ok(())
}
