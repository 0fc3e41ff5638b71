//! The embedded-kafka broker as a separate process with a data directory:
//! started on a fixed port, SIGKILLed, and restarted on the same port and data
//! directory, so clients find it again where it was.

use super::process::Process;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a (re)started broker may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The broker process.
pub struct BrokerProcess {
    port: u16,
    data_dir: PathBuf,
    log_dir: PathBuf,
    process: Option<Process>,
    starts: usize,
}

impl BrokerProcess {
    /// Starts a broker on a free local port, keeping its data in `data_dir`
    /// and its logs in `log_dir`.
    pub fn start(data_dir: PathBuf, log_dir: PathBuf) -> BrokerProcess {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("finding a free port")
            .port();
        let mut broker = BrokerProcess {
            port,
            data_dir,
            log_dir,
            process: None,
            starts: 0,
        };
        broker.launch();
        broker
    }

    /// `bootstrap.servers` for clients.
    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGKILLs the broker.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }

    /// Starts the broker again on the same port and data directory.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// Times it was restarted.
    pub fn restarts(&self) -> usize {
        self.starts.saturating_sub(1)
    }

    /// Fails if the broker exited by itself (a broker killed on purpose and
    /// not yet restarted is fine).
    pub fn check_alive(&mut self) -> Result<(), String> {
        self.process.as_mut().map_or(Ok(()), Process::check_running)
    }

    /// Starts the process and waits until it listens. The port of a killed
    /// broker can take a moment to become free again: a start that fails to
    /// bind is retried until [`START_TIMEOUT`].
    fn launch(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            self.starts += 1;
            let mut command = Command::new(env!("CARGO_BIN_EXE_embedded-kafka-broker"));
            command
                .args(["--listen", &self.bootstrap_servers()])
                .arg("--data-dir")
                .arg(&self.data_dir)
                .env("RUST_LOG", "warn");
            let log = self.log_dir.join("broker.log");
            let mut process = Process::spawn("the broker", command, &log);
            let left = deadline.saturating_duration_since(Instant::now());
            match process.wait_for_line(|line| line.starts_with("bootstrap.servers="), left) {
                Ok(_) => {
                    self.process = Some(process);
                    return;
                }
                Err(error) if Instant::now() < deadline && process.exited().is_some() => {
                    eprintln!("broker start failed, retrying: {error}");
                    self.starts -= 1;
                    // Not a synchronisation: a pause before trying the port again.
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(error) => panic!("the broker did not start: {error}"),
            }
        }
    }
}
