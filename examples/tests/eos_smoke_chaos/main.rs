//! The eos-smoke system test: several eos-smoke processes against an
//! embedded-kafka broker process, 200k input records written while instances
//! and the broker are SIGKILLed and restarted, then a read_committed
//! verifier compares every output with a direct computation of the input.
//!
//! Under at-least-once the kills must show up as duplicates: the test asserts
//! that the verifier finds them (and loses nothing), which proves it can fail.
//! Under exactly_once_v2 the same scenario must come out exact: every output
//! topic holds exactly what the input implies, nothing extra, nothing missing.
//!
//! Parameters (defaults are the issue's): `EOS_SMOKE_SEED`,
//! `EOS_SMOKE_RECORDS`, `EOS_SMOKE_INSTANCE_KILLS`, `EOS_SMOKE_BROKER_KILLS`,
//! `EOS_SMOKE_RATE` (records written per second).

mod broker;
mod input;
mod instance;
#[path = "../support/process.rs"]
mod process;
mod progress;
mod scenario;
mod verifier;

use examples::eos_smoke::ECHO_TOPIC;
use scenario::{ChaosConfig, ChaosOutcome};
use std::sync::{Mutex, PoisonError};

/// The two scenarios run one after the other: each already loads both cores
/// with a broker and three instances.
static ONE_SCENARIO_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs the scenario under `guarantee` and checks what both guarantees
/// promise: the faults happened, the input is complete, and the crashed single
/// instance restored only the changelog tail after its stores' last commit.
fn run_and_check_common(guarantee: &'static str) -> (ChaosConfig, ChaosOutcome) {
    let _alone = ONE_SCENARIO_AT_A_TIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let config = ChaosConfig::for_guarantee(guarantee);
    let outcome = scenario::run(&config);
    println!("{outcome}");
    let seed = config.seed;
    assert!(
        outcome.instance_restarts >= config.instance_kills,
        "{outcome}\n(seed {seed})"
    );
    assert!(
        outcome.broker_restarts >= config.broker_kills,
        "{outcome}\n(seed {seed})"
    );
    assert!(
        outcome.verification.input_records as u64 >= outcome.input_acknowledged
            && outcome.input_acknowledged >= config.records as u64,
        "the input topic lacks acknowledged records: {outcome}\n(seed {seed})"
    );
    assert!(
        outcome.solo_restored < outcome.solo_changelog_records,
        "the restarted instance restored its whole state, not just the tail: {outcome}\n(seed {seed})"
    );
    (config, outcome)
}

#[cfg(unix)]
#[test]
fn at_least_once_under_sigkill_duplicates_output_and_the_verifier_finds_it() {
    let (config, outcome) = run_and_check_common("at_least_once");
    let seed = config.seed;
    let echo = outcome.verification.topic(ECHO_TOPIC);
    assert_eq!(
        echo.missing, 0,
        "at least once loses no record: {outcome}\n(seed {seed})"
    );
    assert!(
        echo.extra > 0 && !outcome.verification.is_exact(),
        "SIGKILLs under at-least-once must duplicate output, but the verifier found none: {outcome}\n(seed {seed})"
    );
}

#[cfg(unix)]
#[test]
fn exactly_once_under_sigkill_outputs_exactly_what_the_input_implies() {
    let (config, outcome) = run_and_check_common("exactly_once_v2");
    let seed = config.seed;
    assert!(
        outcome.verification.is_exact(),
        "exactly-once output differs from the input's: {outcome}\n(seed {seed})"
    );
}
