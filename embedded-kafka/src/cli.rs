//! The broker as a process: the command line of the `embedded-kafka` binary,
//! `--listen 127.0.0.1:9092 [--data-dir DIR] [--auto-create-topics]`, as a
//! library entry point, so other packages can ship the same broker binary
//! (a test package's own binary is what `cargo test -p PACKAGE` builds).
//! Prints `bootstrap.servers=HOST:PORT` on stdout once listening; logs through
//! tracing on stderr (`RUST_LOG` filters, default `info`); Ctrl-C stops it.

use crate::{BrokerConfig, EmbeddedKafka};
use std::process::ExitCode;

const USAGE: &str = "usage: embedded-kafka [--listen HOST:PORT] [--data-dir DIR] [--advertised-host HOST] [--auto-create-topics] [--partitions N]";

fn parse(args: &[String]) -> Result<BrokerConfig, String> {
    let mut config = BrokerConfig::default().with_listen(([127, 0, 0, 1], 9092).into());
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let text = value()?;
                config.listen = text.parse().map_err(|e| format!("--listen {text}: {e}"))?;
            }
            "--data-dir" => config.data_dir = Some(value()?.into()),
            "--advertised-host" => config.advertised_host = Some(value()?.clone()),
            "--auto-create-topics" => config.auto_create_topics = true,
            "--partitions" => {
                let text = value()?;
                config.default_partitions = text
                    .parse()
                    .map_err(|e| format!("--partitions {text}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(config)
}

/// Runs the broker with the process's command-line arguments until Ctrl-C.
pub fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let config = match parse(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(config))
}

async fn serve(config: BrokerConfig) -> ExitCode {
    let broker = match EmbeddedKafka::start(config).await {
        Ok(broker) => broker,
        Err(error) => {
            tracing::error!(%error, "cannot start the broker");
            return ExitCode::FAILURE;
        }
    };
    println!("bootstrap.servers={}", broker.bootstrap_servers());
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::error!(%error, "cannot wait for Ctrl-C");
    }
    broker.shutdown().await;
    ExitCode::SUCCESS
}
