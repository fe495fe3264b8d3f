//! The training goal (issue 6): `switchboard sim scenarios/star-shift.toml --speed 1000
//! --headless` — a 16-hour, 30-call shift with eight teams, every change committed (flushed and
//! fsynced) to a fresh training store — finishes in ≤ 10 s on the project's 2-core machine.
//!
//! `cargo bench --bench sim` runs the real binary (so start-up, scenario checking, the store's
//! fsyncs and the score are all counted) as the criterion group `sim/star-shift`, then prints the
//! slowest of the runs against the goal. Under `cargo test --benches` (no `--bench` argument) it
//! runs the binary once, as a smoke test.

// A benchmark has no one to report an error to: any failure aborts it, with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};

const GOAL: Duration = Duration::from_secs(10);

fn is_full_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

/// One headless run of star-shift on a fresh training store; the time it took.
fn star_shift() -> Duration {
    let scenario = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/star-shift.toml");
    let data = tempfile::tempdir().unwrap();
    let store = data.path().join("run");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("sim")
        .arg(&scenario)
        .args(["--speed", "1000", "--headless", "--data"])
        .arg(&store)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("star-shift: 3000 / 3000 points"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    took
}

fn main() {
    if !is_full_run() {
        let took = star_shift();
        println!("sim star-shift --speed 1000 --headless (smoke): {took:.2?}");
        return;
    }
    let mut slowest = Duration::ZERO;
    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group("sim");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .measurement_time(Duration::from_secs(20));
        group.bench_function("star-shift", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let took = star_shift();
                    slowest = slowest.max(took);
                    total += took;
                }
                total
            });
        });
        group.finish();
    }
    c.final_summary();
    println!(
        "sim star-shift --speed 1000 --headless: slowest run {slowest:.2?} (goal ≤ {GOAL:?}: {})",
        if slowest <= GOAL { "met" } else { "MISSED" }
    );
}
