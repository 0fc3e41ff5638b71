//! The schema registry as a process:
//! `schema-registry --bootstrap-servers HOST:PORT [--listen 127.0.0.1:8081] [--topic _schemas]`.
//! Prints `schema.registry.url=http://HOST:PORT` on stdout once listening; logs
//! through tracing on stderr (`RUST_LOG` filters, default `info`). Runs until
//! Ctrl-C or SIGTERM.

use schema_registry::{SchemaRegistry, SchemaRegistryConfig};
use std::process::ExitCode;

const USAGE: &str = "usage: schema-registry --bootstrap-servers HOST:PORT [--listen HOST:PORT] [--topic NAME] [-X librdkafka.property=value]...";

fn parse(args: &[String]) -> Result<SchemaRegistryConfig, String> {
    let mut bootstrap = None;
    let mut listen = None;
    let mut topic = None;
    let mut properties = Vec::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap-servers" => bootstrap = Some(value()?.clone()),
            "--listen" => {
                let text = value()?;
                listen = Some(text.parse().map_err(|e| format!("--listen {text}: {e}"))?);
            }
            "--topic" => topic = Some(value()?.clone()),
            "-X" => {
                let text = value()?;
                let (key, value) = text
                    .split_once('=')
                    .ok_or_else(|| format!("-X {text}: expected property=value"))?;
                properties.push((key.to_string(), value.to_string()));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let bootstrap = bootstrap.ok_or("--bootstrap-servers is required")?;
    let mut config = SchemaRegistryConfig::new(bootstrap)
        .with_listen(listen.unwrap_or_else(|| ([127, 0, 0, 1], 8081).into()));
    if let Some(topic) = topic {
        config = config.with_topic(topic);
    }
    for (key, value) in properties {
        config = config.with_client_property(key, value);
    }
    Ok(config)
}

fn wait_for_signal() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
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
    let registry = match SchemaRegistry::start(config) {
        Ok(registry) => registry,
        Err(error) => {
            tracing::error!(%error, "cannot start the schema registry");
            return ExitCode::FAILURE;
        }
    };
    println!("schema.registry.url={}", registry.url());
    if let Err(error) = wait_for_signal() {
        tracing::error!(%error, "cannot wait for a signal");
    }
    registry.shutdown();
    ExitCode::SUCCESS
}
