//! One eos-smoke application instance: a process with its own state
//! directory, SIGKILLed at random points and restarted on the same state
//! directory, stopped with SIGTERM at the end.

use super::process::Process;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// What an instance printed when it reached Running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningReport {
    /// Changelog records its restoration applied since the process started.
    pub restored_records: u64,
}

impl RunningReport {
    const PREFIX: &'static str = "eos-smoke: running ";

    fn is_report(line: &str) -> bool {
        line.starts_with(Self::PREFIX)
    }

    fn parse(line: &str) -> Result<Self, String> {
        let restored = line
            .split_whitespace()
            .find_map(|field| field.strip_prefix("restored_records="))
            .ok_or_else(|| format!("no restored_records in '{line}'"))?;
        Ok(Self {
            restored_records: restored
                .parse()
                .map_err(|e| format!("restored_records in '{line}': {e}"))?,
        })
    }
}

/// An eos-smoke instance and its process (when it runs).
pub struct Instance {
    name: String,
    args: Vec<String>,
    state_dir: PathBuf,
    log: PathBuf,
    process: Option<Process>,
    starts: usize,
}

impl Instance {
    /// Instance `index` of application `application_id`, its state in
    /// `work_dir/instance-<index>`; not started yet.
    pub fn new(
        index: usize,
        bootstrap_servers: &str,
        application_id: &str,
        guarantee: &str,
        work_dir: &std::path::Path,
    ) -> Instance {
        let name = format!("instance-{index}");
        let state_dir = work_dir.join(&name);
        let args = [
            "--bootstrap-servers",
            bootstrap_servers,
            "--application-id",
            application_id,
            "--guarantee",
            guarantee,
        ]
        .map(String::from)
        .to_vec();
        Instance {
            log: work_dir.join(format!("{name}.log")),
            name,
            args,
            state_dir,
            process: None,
            starts: 0,
        }
    }

    /// Its name, `instance-<index>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Starts the process (again) on its state directory.
    pub fn start(&mut self) {
        assert!(self.process.is_none(), "{} runs already", self.name);
        self.starts += 1;
        let mut command = Command::new(env!("CARGO_BIN_EXE_eos-smoke"));
        command
            .args(&self.args)
            .arg("--state-dir")
            .arg(&self.state_dir)
            .env("RUST_LOG", "warn");
        let name = format!("{} (start {})", self.name, self.starts);
        self.process = Some(Process::spawn(&name, command, &self.log));
    }

    /// SIGKILLs the process.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }

    /// Times it was started after the first start.
    pub fn restarts(&self) -> usize {
        self.starts.saturating_sub(1)
    }

    /// Fails if the process exited by itself (instances only end when the
    /// harness kills or stops them).
    pub fn check_alive(&mut self) -> Result<(), String> {
        self.process.as_mut().map_or(Ok(()), Process::check_running)
    }

    /// Waits until the running process first reports Running and returns
    /// that report.
    pub fn wait_until_running(&mut self, timeout: Duration) -> Result<RunningReport, String> {
        let process = self
            .process
            .as_mut()
            .ok_or_else(|| format!("{} is not started", self.name))?;
        let line = process.wait_for_line(RunningReport::is_report, timeout)?;
        RunningReport::parse(&line)
    }

    /// Stops the process with SIGTERM; fails unless it closed cleanly and
    /// exited 0.
    pub fn stop(&mut self, timeout: Duration) -> Result<(), String> {
        let Some(mut process) = self.process.take() else {
            return Err(format!("{} is not started", self.name));
        };
        let status = process.terminate(timeout)?;
        let closed = process
            .lines_matching(|line| line.starts_with("eos-smoke: closed cleanly"))
            .len();
        if status.success() && closed == 1 {
            Ok(())
        } else {
            Err(format!(
                "{} did not close cleanly on SIGTERM ({status}); its last lines:\n{}",
                self.name,
                process.tail(40)
            ))
        }
    }

    /// Its last lines, for failure messages.
    pub fn tail(&self) -> String {
        self.process
            .as_ref()
            .map_or_else(|| "(not running)".to_string(), |p| p.tail(20))
    }
}
