//! Fraud detection demo: generates synthetic card transactions, runs the detector
//! topology over them, prints alerts as they are raised and a summary at the end.
//!
//! Usage: `fraud-detection [--transactions N] [--cards N] [--seed N]`
//!
//! This version runs the topology in-process through the TopologyTestDriver; it
//! moves to the broker-backed runtime (embedded Kafka by default) as that lands.

use examples::fraud::{
    ALERTS_TOPIC, Alert, TRANSACTIONS_TOPIC, Transaction, TransactionGenerator, fraud_topology,
};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;
use streams_dsl::prelude::*;

struct Options {
    transactions: usize,
    cards: u64,
    seed: u64,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        transactions: 50_000,
        cards: 2_000,
        seed: 42,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            args.next()
                .ok_or_else(|| format!("{name} needs a value"))?
                .parse()
                .map_err(|e| format!("{name}: {e}"))
        };
        match flag.as_str() {
            "--transactions" => options.transactions = value("--transactions")? as usize,
            "--cards" => options.cards = value("--cards")?,
            "--seed" => options.seed = value("--seed")?,
            other => {
                return Err(format!(
                    "unknown argument '{other}'; usage: fraud-detection [--transactions N] [--cards N] [--seed N]"
                ));
            }
        }
    }
    Ok(options)
}

fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let topology = fraud_topology()?;
    println!("{}", topology.describe());
    let driver = TopologyTestDriver::new(topology)?;
    let transactions = driver.input_topic::<String, Transaction>(TRANSACTIONS_TOPIC)?;
    let alerts = driver.output_topic::<String, Alert>(ALERTS_TOPIC)?;

    let traffic = TransactionGenerator::new(options.seed, options.cards)
        .generate(options.transactions, 1_700_000_000_000);
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let started = Instant::now();
    for (timestamp, transaction) in &traffic.transactions {
        transactions.pipe(transaction.card.clone(), transaction.clone(), *timestamp)?;
        for alert in alerts.read_all()? {
            println!(
                "ALERT {:<22} {} {}",
                alert.value.rule.to_string(),
                alert.key,
                alert.value.detail
            );
            *by_rule.entry(alert.value.rule.to_string()).or_default() += 1;
        }
    }
    let elapsed = started.elapsed();

    println!("\nsummary");
    println!("  transactions processed: {}", traffic.transactions.len());
    for (rule, injected) in &traffic.injected {
        let raised = by_rule.get(&rule.to_string()).copied().unwrap_or(0);
        println!("  alerts {rule:<22} {raised} (fraud injected: {injected})");
    }
    println!(
        "  throughput: {:.0} transactions/s ({:.2} s)",
        traffic.transactions.len() as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fraud-detection failed: {error}");
            ExitCode::FAILURE
        }
    }
}
