//! How an example binary starts and ends: logs through tracing on stderr
//! (`RUST_LOG` filters, default `warn`), its options parsed (a bad one exits
//! 2 with the message), the stop flag SIGINT / SIGTERM set installed before
//! anything runs, and the run's error printed as `<name> failed: ...` with
//! exit code 1.

use std::fmt::Display;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Runs an example binary: `parse` its options, then `run` them with the
/// stop flag; `run` says the exit code.
pub fn app_main<O, E: Display>(
    name: &str,
    parse: impl FnOnce() -> Result<O, String>,
    run: impl FnOnce(O, Arc<AtomicBool>) -> Result<ExitCode, E>,
) -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let options = match parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    // Installed first, so a signal during start-up closes cleanly too.
    let stop = match crate::shutdown::stop_flag() {
        Ok(stop) => stop,
        Err(error) => {
            eprintln!("{name} failed to install signal handlers: {error}");
            return ExitCode::FAILURE;
        }
    };
    match run(options, stop) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{name} failed: {error}");
            ExitCode::FAILURE
        }
    }
}
