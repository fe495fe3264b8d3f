//! The report's goal (issue 7): a report over a 365-day demo store (about 15,000 calls) in
//! ≤ 1 s — opening the store (which verifies the hash chain), loading and decoding every event,
//! putting them in fold order, feeding them all to [`Metrics`] and taking the summary. Also the
//! dashboard's incremental cost: one more event, and a summary of the current shift.
//!
//! `cargo bench --bench report` builds the demo store once (about half a minute) under
//! `CARGO_TARGET_TMPDIR/report-bench/` and then prints plain lines. Under `cargo test --benches`
//! (no `--bench` argument) it runs once on a 3-day store in a temp dir, as a smoke test.

// A benchmark has no one to report an error to: any failure aborts it, with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use switchboard::domain::{Event, Policy};
use switchboard::report::metrics::{GroupBy, Metrics, Period};
use switchboard::store::{Store, StoreKind};

const DAY_MS: i64 = 24 * 3_600_000;
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
fn build(dir: &Path, days: u32) {
    if dir.join("store").exists() {
        return;
    }
    let building = dir.with_extension("building");
    let _ = std::fs::remove_dir_all(&building);
    let started = Instant::now();
    let store = Store::open(&building, StoreKind::Demo).expect("demo store");
    let summary = switchboard::demo::fill(store, days, DEMO_SEED, NOW_MS).expect("demo fill");
    std::fs::create_dir_all(dir.parent().expect("parent")).expect("bench dir");
    std::fs::rename(&building, dir).expect("move the demo store into place");
    println!("built in {:.1?}: {summary}", started.elapsed());
}

/// Open, verify, load, sort, feed every event, summarize: what `switchboard report` does.
fn report(dir: &Path, period: Period, policy: &Policy) -> (Duration, u64, u64) {
    let started = Instant::now();
    let store = Store::open(dir, StoreKind::Demo).expect("open");
    let mut events = store.load().expect("load");
    events.sort_by_key(Event::fold_key);
    let mut metrics = Metrics::new(period, policy).grouped(GroupBy::Type);
    for e in &events {
        metrics.add(e);
    }
    let summary = black_box(metrics.summary(NOW_MS));
    let took = started.elapsed();
    drop(events);
    store.close().expect("close");
    (took, summary.events, summary.total.calls.received)
}

fn main() {
    let full = is_full_run();
    let days: u32 = if full { 365 } else { 3 };
    let tmp;
    let dir: PathBuf = if full {
        Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("report-bench")
            .join(format!("demo-{days}d-seed{DEMO_SEED}"))
    } else {
        tmp = tempfile::tempdir().expect("temp dir");
        tmp.path().join("demo")
    };
    build(&dir, days);
    let policy = Policy::new(switchboard::config::protocol::shipped());
    let year = Period::new(NOW_MS - i64::from(days) * DAY_MS, NOW_MS);

    let runs = if full { RUNS } else { 1 };
    let mut times = Vec::new();
    let mut counts = (0, 0);
    for _ in 0..runs {
        let (took, events, calls) = report(&dir, year, &policy);
        times.push(took);
        counts = (events, calls);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "report over a {days}-day demo store ({} events, {} calls in the period): open + load + \
         metrics + summary median {:.0} ms, best {:.0} ms over {runs} run(s) (goal <= 1000 ms)",
        counts.0,
        counts.1,
        median.as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
    );

    // The dashboard: the current 16-hour shift, fed the log once, then one event at a time.
    let store = Store::open(&dir, StoreKind::Demo).expect("open");
    let mut events = store.load().expect("load");
    events.sort_by_key(Event::fold_key);
    let shift = Period::new(NOW_MS - 16 * 3_600_000, NOW_MS);
    let mut metrics = Metrics::new(shift, &policy);
    let tail = events.len().min(1000);
    let (before, last) = events.split_at(events.len() - tail);
    for e in before {
        metrics.add(e);
    }
    let started = Instant::now();
    for e in last {
        metrics.add(e);
    }
    let per_event = started.elapsed() / tail.max(1) as u32;
    let started = Instant::now();
    let summary = black_box(metrics.summary(NOW_MS));
    let summary_took = started.elapsed();
    println!(
        "dashboard: one more event {:.2} us (mean of the last {tail}); summary of the current \
         shift ({} calls) {:.2} ms",
        per_event.as_secs_f64() * 1e6,
        summary.total.calls.received,
        summary_took.as_secs_f64() * 1000.0
    );
    store.close().expect("close");
    eido_packed();
}

/// An EIDO document of nearly 1 MiB packed with 12,000 location components that all give
/// nothing usable: how long reading and refusing it takes (it must stay linear).
fn eido_packed() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eido/missing-location.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).expect("fixture")).expect("json");
    let n = 12_000;
    doc["locationComponent"] = (0..n)
        .map(|i| serde_json::json!({ "$id": format!("l{i}"), "locationTypeDescriptionRegistryText": "x" }))
        .collect();
    doc["incidentComponent"]["locationReference"] = (0..n)
        .map(|i| serde_json::json!({ "$ref": format!("l{i}") }))
        .collect();
    let text = doc.to_string();
    let started = Instant::now();
    let refused = switchboard::report::eido::import(&text, "packed.json").is_err();
    println!(
        "eido: a {} KB document with {n} unusable locations refused ({refused}) in {:.1} ms",
        text.len() / 1024,
        started.elapsed().as_secs_f64() * 1000.0
    );
}
