//! The eos-smoke system test: several eos-smoke processes against an
//! embedded-kafka broker process, 200k input records written while instances
//! and the broker are SIGKILLed and restarted, then a read_committed
//! verifier compares every output with a direct computation of the input.
//!
//! Under at-least-once the kills must show up as duplicates: the test asserts
//! that the verifier finds them (and loses nothing), which proves it can fail.
//! The exactly-once run, which must come out exact, joins it once the runtime
//! commits exactly once.
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
use scenario::ChaosConfig;

#[cfg(unix)]
#[test]
fn at_least_once_under_sigkill_duplicates_output_and_the_verifier_finds_it() {
    let config = ChaosConfig::for_guarantee("at_least_once");
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
    let echo = outcome.verification.topic(ECHO_TOPIC);
    assert_eq!(
        echo.missing, 0,
        "at least once loses no record: {outcome}\n(seed {seed})"
    );
    assert!(
        echo.extra > 0 && !outcome.verification.is_exact(),
        "SIGKILLs under at-least-once must duplicate output, but the verifier found none: {outcome}\n(seed {seed})"
    );
    assert!(
        outcome.solo_restored < outcome.solo_changelog_records,
        "the restarted instance restored its whole state, not just the tail: {outcome}\n(seed {seed})"
    );
}
