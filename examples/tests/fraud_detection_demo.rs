//! The `fraud-detection` binary end to end on its in-process broker: the bounded
//! demo detects every injected fraud and exits 0, and SIGTERM closes the
//! long-running demo cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(180);

fn demo(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fraud-detection"));
    command.args(args).env("RUST_LOG", "error");
    command
}

/// The (detected, injected) counts of each rule line of the summary.
fn detected_and_injected(stdout: &str) -> Vec<(String, u64, u64)> {
    stdout
        .lines()
        .filter(|line| line.contains(" detected ") && line.contains(" injected"))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = |w: &str| words.iter().position(|x| *x == w).expect(w);
            let detected = words[at("detected") + 1].parse().unwrap();
            let injected = words[at("injected") - 1].parse().unwrap();
            (words[0].to_string(), detected, injected)
        })
        .collect()
}

#[test]
fn the_bounded_demo_detects_every_injected_fraud_and_exits_0() {
    let Output {
        status,
        stdout,
        stderr,
    } = demo(&["--transactions", "6000", "--cards", "300", "--seed", "9"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(
        status.success(),
        "{status}\n{stdout}\n{}",
        String::from_utf8_lossy(&stderr)
    );
    assert!(stdout.contains("transactions processed: 6000"), "{stdout}");
    assert!(stdout.contains("closed cleanly: true"), "{stdout}");
    let rules = detected_and_injected(&stdout);
    assert_eq!(rules.len(), 4, "{stdout}");
    for (rule, detected, injected) in rules {
        assert!(injected > 0, "{rule} is injected: {stdout}");
        assert_eq!(detected, injected, "{rule}: {stdout}");
    }
}

/// Waits until `child` prints a line containing `wanted`; the lines go to `seen`.
fn wait_for_line(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, wanted: &str) {
    let deadline = Instant::now() + WAIT;
    while !seen.iter().any(|line| line.contains(wanted)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line with '{wanted}' within {WAIT:?}: {seen:#?}"),
        }
    }
}

fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "did not exit within {WAIT:?}");
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[cfg(unix)]
#[test]
fn sigterm_closes_the_long_running_demo_cleanly() {
    let mut child = demo(&["--keep-running", "--cards", "300"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    wait_for_line(&lines, &mut seen, "Rebalancing -> Running");
    // Alerts flowing: the generator and the application are both at work.
    wait_for_line(&lines, &mut seen, "ALERT ");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_for_exit(&mut child);
    seen.extend(lines.iter());
    assert!(status.success(), "{status}: {seen:#?}");
    for wanted in [
        "signal received: closing",
        "summary (interrupted)",
        "Running -> PendingShutdown",
        "PendingShutdown -> NotRunning",
        "closed cleanly: true",
    ] {
        assert!(
            seen.iter().any(|l| l.contains(wanted)),
            "{wanted}: {seen:#?}"
        );
    }
}
