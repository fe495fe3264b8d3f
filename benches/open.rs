//! What an open costs as the store grows (issue 13): the wall time and peak RSS of the release
//! binary's `state --digest` on a 30-day and a 365-day demo store, resuming from the fold's
//! checkpoint (every open but the first) and folding the whole log (the first open after an
//! upgrade, or after a checkpoint was lost or damaged: it writes a new one, inside the time).
//! With `SWITCHBOARD_BEFORE_BIN` set to another build of the binary (the one before
//! checkpoints), it is measured on the same stores too.
//!
//! `cargo bench --bench open` builds the stores once (a few minutes for the year) under
//! `CARGO_TARGET_TMPDIR/open-bench/` and prints plain lines, medians of five runs. Peak RSS is
//! read by `/usr/bin/time -f %M` (left out where there is none). Under `cargo test --benches`
//! it runs once on a 2-day store in a temp dir, as a smoke test.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use switchboard::store::{Store, StoreKind};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const DEMO_SEED: u64 = 2020;
/// 2025-03-04 09:00:00 UTC: a fixed "now", so every run builds the same history.
const NOW_MS: i64 = 1_741_078_800_000;
const RUNS: usize = 5;

fn is_full_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

/// Fills a fresh store beside `dir` and moves it into place, so that an interrupted fill never
/// leaves a half-built store behind.
fn build(dir: &Path, days: u32) -> u64 {
    if !dir.join("store").exists() {
        let building = dir.with_extension("building");
        let _ = std::fs::remove_dir_all(&building);
        let started = Instant::now();
        let store = Store::open(&building, StoreKind::Demo).expect("demo store");
        switchboard::demo::fill(store, days, DEMO_SEED, NOW_MS).expect("demo fill");
        std::fs::create_dir_all(dir.parent().expect("parent")).expect("bench dir");
        std::fs::rename(&building, dir).expect("move the demo store into place");
        println!("built the {days}-day store in {:.1?}", started.elapsed());
    }
    let store = Store::open(dir, StoreKind::Demo).expect("open");
    store.event_count()
}

/// One `state --digest`: wall time, peak RSS in kB (when `/usr/bin/time` is there), digest.
fn digest(bin: &str, dir: &Path) -> (Duration, Option<u64>, String) {
    let timed = Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "maxrss-kb %M", bin]);
        c
    } else {
        Command::new(bin)
    };
    command
        .arg("--data")
        .arg(dir)
        .args(["state", "--digest"])
        .env_remove("SWITCHBOARD_DATA");
    let started = Instant::now();
    let out = command.output().expect("run switchboard");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss-kb ")?.trim().parse().ok());
    let digest = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (took, rss, digest)
}

fn checkpoint(dir: &Path) -> PathBuf {
    dir.join("store").join("checkpoint")
}

/// Median wall time and median peak RSS over `runs`; `prepare` runs before each (untimed).
fn measure(
    bin: &str,
    dir: &Path,
    runs: usize,
    prepare: impl Fn(),
) -> (Duration, Option<u64>, String) {
    let mut times = Vec::new();
    let mut rss = Vec::new();
    let mut last = String::new();
    for _ in 0..runs {
        prepare();
        let (t, r, d) = digest(bin, dir);
        times.push(t);
        rss.extend(r);
        if !last.is_empty() {
            assert_eq!(d, last, "the digest changed between runs");
        }
        last = d;
    }
    times.sort();
    rss.sort_unstable();
    (
        times[times.len() / 2],
        rss.get(rss.len() / 2).copied(),
        last,
    )
}

fn line(label: &str, days: u32, events: u64, (t, rss, _): &(Duration, Option<u64>, String)) {
    let rss = rss.map_or_else(
        || "peak RSS not measured".into(),
        |kb| format!("peak RSS {:.1} MB", kb as f64 / 1024.0),
    );
    println!(
        "{days:>4} days, {events:>7} events: {label:<44} {:>8.1} ms, {rss}",
        t.as_secs_f64() * 1000.0
    );
}

fn main() {
    let full = is_full_run();
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = if full {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("open-bench")
    } else {
        scratch.path().to_owned()
    };
    let sizes: &[u32] = if full { &[30, 365] } else { &[2] };
    let runs = if full { RUNS } else { 1 };
    let before = std::env::var("SWITCHBOARD_BEFORE_BIN").ok();
    for &days in sizes {
        let dir = root.join(format!("demo-{days}"));
        let events = build(&dir, days);
        // A first open writes the checkpoint if the fill did not.
        let _ = digest(BIN, &dir);
        let resumed = measure(BIN, &dir, runs, || {});
        line(
            "state --digest, from the checkpoint",
            days,
            events,
            &resumed,
        );
        let refolded = measure(BIN, &dir, runs, || {
            std::fs::remove_file(checkpoint(&dir)).expect("a checkpoint to remove");
        });
        line(
            "state --digest, no checkpoint (full fold + write)",
            days,
            events,
            &refolded,
        );
        assert_eq!(resumed.2, refolded.2, "a checkpoint changed the digest");
        // What a commit that makes a checkpoint due pays on top: serialize, write, fsync, rename.
        let store = Store::open(&dir, StoreKind::Demo).expect("open");
        let mut desk =
            switchboard::desk::Desk::open(store, Box::new(switchboard::desk::SystemClock), "bench")
                .expect("desk");
        let mut writes: Vec<Duration> = (0..runs)
            .map(|_| {
                let started = Instant::now();
                desk.write_checkpoint();
                started.elapsed()
            })
            .collect();
        writes.sort();
        drop(desk);
        let size = std::fs::metadata(checkpoint(&dir))
            .expect("checkpoint")
            .len();
        println!(
            "{days:>4} days, {events:>7} events: {:<44} {:>8.1} ms, {:.1} MB",
            "writing a checkpoint (in process)",
            writes[writes.len() / 2].as_secs_f64() * 1000.0,
            size as f64 / 1e6
        );
        if let Some(bin) = &before {
            let kept = std::fs::read(checkpoint(&dir)).expect("the checkpoint");
            let old = measure(bin, &dir, runs, || {});
            std::fs::write(checkpoint(&dir), kept).expect("put the checkpoint back");
            line(
                "state --digest, the build before checkpoints",
                days,
                events,
                &old,
            );
            assert_eq!(old.2, resumed.2, "the build before gives another digest");
        }
    }
}
