//! The rstreams benchmark binary.
//!
//! `benchmarks --list` names the workloads; `benchmarks [--quick | --scale N]
//! NAME...` runs them (all of them when no name is given; `--quick` at a
//! tenth of their size, `--scale N` at N times it, see `scale`) and prints one
//! JSON line per result:
//! `{"workload": ..., "records": ..., "seconds": ..., "records_per_sec": ...}` plus
//! workload-specific fields. Logs (the runtime's, librdkafka's) go to stderr,
//! filtered by `RUST_LOG` (default `warn`). `benchmarks --instance TOPOLOGY
//! KEY=VALUE...` is the child-process application instance some workloads
//! start (see `workloads::instance`).

mod cpu;
mod report;
mod scale;
mod workloads;

use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--instance") {
        return workloads::run_instance(&args[1..]);
    }
    if let Some(position) = args.iter().position(|a| a == "--quick") {
        args.remove(position);
        scale::set_quick();
    }
    if let Some(position) = args.iter().position(|a| a == "--scale") {
        let factor = args.get(position + 1).and_then(|f| f.parse::<f64>().ok());
        match factor {
            Some(factor) if factor > 0.0 && factor.is_finite() => scale::set_factor(factor),
            _ => {
                eprintln!(
                    "`--scale` takes a positive number: `--scale 5 e2e-count` runs 5M records"
                );
                return ExitCode::FAILURE;
            }
        }
        args.drain(position..position + 2);
    }
    let registry = workloads::all();
    if args.iter().any(|a| a == "--list") {
        for workload in &registry {
            println!("{:<32} {}", workload.name, workload.about);
        }
        return ExitCode::SUCCESS;
    }
    let selected: Vec<&workloads::Workload> = if args.is_empty() {
        registry.iter().collect()
    } else {
        let mut selected = Vec::new();
        for name in &args {
            match registry.iter().find(|w| w.name == name) {
                Some(workload) => selected.push(workload),
                None => {
                    eprintln!("unknown workload '{name}'; `--list` names the workloads");
                    return ExitCode::FAILURE;
                }
            }
        }
        selected
    };
    for workload in selected {
        match (workload.run)() {
            Ok(results) => {
                for result in results {
                    let result = if scale::is_quick() {
                        result.with("quick", true)
                    } else if let Some(factor) = scale::factor() {
                        result.with("scale", factor)
                    } else {
                        result
                    };
                    println!("{}", result.to_json_line());
                }
            }
            Err(error) => {
                eprintln!("workload '{}' failed: {error}", workload.name);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
