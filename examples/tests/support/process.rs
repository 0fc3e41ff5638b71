//! A child process of the system test: spawned with its stdout and stderr
//! captured line by line (and written to a log file for post-mortems),
//! SIGKILLed, stopped with SIGTERM, and waited for with bounds.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The lines a process printed so far, with a condition variable to wait on.
#[derive(Default)]
struct Lines {
    lines: Mutex<Vec<String>>,
    added: Condvar,
}

impl Lines {
    fn push(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(line);
        self.added.notify_all();
    }
}

/// A running (or finished) child process.
pub struct Process {
    name: String,
    child: Child,
    lines: Arc<Lines>,
    readers: Vec<JoinHandle<()>>,
}

impl Process {
    /// Starts `command` as `name`, its output going to the captured lines and
    /// to `log` (created or appended to).
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Process {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {name} ({command:?}): {e}"));
        let log = Arc::new(Mutex::new(
            File::options()
                .create(true)
                .append(true)
                .open(log)
                .unwrap_or_else(|e| panic!("opening {}: {e}", log.display())),
        ));
        let lines = Arc::new(Lines::default());
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let readers = [(stdout, ""), (stderr, "[stderr] ")]
            .into_iter()
            .filter_map(|(stream, prefix)| stream.map(|s| (s, prefix)))
            .map(|(stream, prefix)| {
                let (lines, log) = (lines.clone(), log.clone());
                std::thread::spawn(move || {
                    for line in BufReader::new(stream).lines().map_while(Result::ok) {
                        let line = format!("{prefix}{line}");
                        let _ = writeln!(
                            log.lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner),
                            "{line}"
                        );
                        lines.push(line);
                    }
                })
            })
            .collect();
        Process {
            name: name.to_string(),
            child,
            lines,
            readers,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every line it printed so far that `keep` accepts.
    pub fn lines_matching(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        self.lines
            .lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|line| keep(line))
            .cloned()
            .collect()
    }

    /// Waits at most `timeout` until it has printed a line that `wanted`
    /// accepts and returns it. Fails early when the process exits first.
    pub fn wait_for_line(
        &mut self,
        wanted: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        let mut lines = self
            .lines
            .lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if let Some(line) = lines.iter().find(|l| wanted(l)) {
                return Ok(line.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                drop(lines);
                return Err(format!(
                    "{} printed no such line within {timeout:?}; its last lines:\n{}",
                    self.name,
                    self.tail(40)
                ));
            }
            // Bounded, so an exit (which prints nothing more) is noticed.
            lines = self
                .lines
                .added
                .wait_timeout(lines, left.min(Duration::from_millis(200)))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
            if let Ok(Some(status)) = self.child.try_wait() {
                if let Some(line) = lines.iter().find(|l| wanted(l)) {
                    return Ok(line.clone());
                }
                drop(lines);
                return Err(format!(
                    "{} exited ({status}) before printing the line; its last lines:\n{}",
                    self.name,
                    self.tail(40)
                ));
            }
        }
    }

    /// Fails, with its last lines, if it has exited.
    pub fn check_running(&mut self) -> Result<(), String> {
        match self.exited() {
            Some(status) => Err(format!(
                "{} exited by itself ({status}); its last lines:\n{}",
                self.name,
                self.tail(40)
            )),
            None => Ok(()),
        }
    }

    /// Its exit status if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGKILLs it and reaps it.
    pub fn kill(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
        }
        if let Err(error) = self.wait_for_exit(Duration::from_secs(30)) {
            eprintln!("{error}");
        }
    }

    /// Sends SIGTERM and waits at most `timeout` for it to exit.
    pub fn terminate(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .map_err(|e| format!("running kill -TERM: {e}"))?;
        if !sent.success() {
            return Err(format!("kill -TERM {} failed: {sent}", self.pid()));
        }
        self.wait_for_exit(timeout)
    }

    /// Waits at most `timeout` for it to exit and for its output to be read.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.exited() {
                break status;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} did not exit within {timeout:?}; its last lines:\n{}",
                    self.name,
                    self.tail(40)
                ));
            }
            // No exit notification to wait on without extra crates: poll briefly.
            std::thread::park_timeout(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Ok(status)
    }

    /// Its last `count` lines, for failure messages.
    pub fn tail(&self, count: usize) -> String {
        let lines = self
            .lines
            .lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        lines[lines.len().saturating_sub(count)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}
