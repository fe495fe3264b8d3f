//! A year on the desk (issue 13): what the release binary costs as the store grows, on a 30-day,
//! a 365-day and a 1,095-day demo store:
//! - `state --digest`, resuming from the fold's checkpoint (every open but the first) and
//!   folding the whole log (the first open after an upgrade, or after a checkpoint was lost or
//!   damaged: it writes a new one, inside the time), and writing a checkpoint;
//! - one `exec` (a note on an open call), on its own and attached to a `serve` on the store;
//! - `log --call` of one call; a 7-day and a 365-day `report` ending at the store's last event;
//! - the console's first frame in an 80×24 pty, and its peak RSS by then;
//! - a peer's late event (one that sorts before what is folded) taken by a desk on a copy of the
//!   store.
//!
//! With `SWITCHBOARD_BEFORE_BIN` set to another build of the binary (the one before
//! checkpoints), `state --digest` is measured with it on the same stores too. With
//! `SWITCHBOARD_COSTS_BIN` and `SWITCHBOARD_COSTS_DIR` set, it measures only the whole-process
//! costs (exec to first frame), with that binary, on the stores `DIR/demo-{days}` (copies an
//! older build may change), and builds nothing: the figures before a change.
//!
//! `cargo bench --bench open` builds the stores once (about 20 minutes for three years) under
//! `CARGO_TARGET_TMPDIR/open-bench/` and prints plain lines, medians of five runs. Peak RSS is
//! read by `/usr/bin/time -f %M` (left out where there is none). Under `cargo test --benches`
//! it runs once on a 2-day store in a temp dir, as a smoke test.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use switchboard::store::{Store, StoreKind};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

/// The binary whose whole-process costs are measured: this build's, or `SWITCHBOARD_COSTS_BIN`.
fn costs_bin() -> &'static str {
    static BIN_FOR_COSTS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN_FOR_COSTS.get_or_init(|| std::env::var("SWITCHBOARD_COSTS_BIN").unwrap_or(BIN.into()))
}
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
fn digest(bin: &str, dir: &Path) -> Run {
    let (took, rss, out) = timed_with(bin, dir, &["state", "--digest"]);
    (took, rss, out.trim().to_owned())
}

fn checkpoint(dir: &Path) -> PathBuf {
    dir.join("store").join("checkpoint")
}

/// Removes every kept checkpoint (`checkpoint`, `checkpoint.1` …): the next open folds the
/// whole log.
fn remove_checkpoints(dir: &Path) {
    for entry in std::fs::read_dir(dir.join("store")).expect("the store") {
        let path = entry.expect("an entry").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("checkpoint"))
        {
            std::fs::remove_file(path).expect("a checkpoint to remove");
        }
    }
}

/// Median wall time and median peak RSS over `runs`; `prepare` runs before each (untimed).
fn measure(bin: &str, dir: &Path, runs: usize, prepare: impl Fn()) -> Run {
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

fn line(label: &str, days: u32, events: u64, (t, rss, _): &Run) {
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
    let sizes: &[u32] = if full { &[30, 365, 1095] } else { &[2] };
    let runs = if full { RUNS } else { 1 };
    let before = std::env::var("SWITCHBOARD_BEFORE_BIN").ok();
    if let (Ok(_), Ok(stores)) = (
        std::env::var("SWITCHBOARD_COSTS_BIN"),
        std::env::var("SWITCHBOARD_COSTS_DIR"),
    ) {
        for &days in sizes {
            let dir = Path::new(&stores).join(format!("demo-{days}"));
            println!("{} on {}:", costs_bin(), dir.display());
            costs(&dir, days, 0, runs, false);
        }
        return;
    }
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
        let refolded = measure(BIN, &dir, runs, || remove_checkpoints(&dir));
        line(
            "state --digest, no checkpoint (full fold, let go, write)",
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
        let (kept, let_go) = (desk.state().calls.len(), desk.state().let_go_calls().len());
        println!(
            "{days:>4} days, {events:>7} events: {:<44} {kept} in memory, {let_go} let go",
            "calls"
        );
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
        costs(&dir, days, events, runs, true);
    }
}

/// A run's wall time, peak RSS in kB and output.
type Run = (Duration, Option<u64>, String);

/// Wall time and peak RSS of one run of the binary measured with `args` on `dir`.
fn timed(dir: &Path, args: &[&str]) -> Run {
    timed_with(costs_bin(), dir, args)
}

/// Wall time and peak RSS of one run of `bin` with `args` on `dir`, which must succeed.
fn timed_with(bin: &str, dir: &Path, args: &[&str]) -> Run {
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
        .args(args)
        .env("SWITCHBOARD_OPERATOR", "bench")
        .env_remove("SWITCHBOARD_DATA");
    let started = Instant::now();
    let out = command.output().expect("run switchboard");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss-kb ")?.trim().parse().ok());
    (took, rss, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The median of `runs` runs of [`timed`].
fn median(dir: &Path, args: &[&str], runs: usize) -> Run {
    let mut all: Vec<_> = (0..runs).map(|_| timed(dir, args)).collect();
    let mut rss: Vec<u64> = all.iter().filter_map(|r| r.1).collect();
    rss.sort_unstable();
    all.sort_by_key(|r| r.0);
    let (t, _, out) = all.swap_remove(all.len() / 2);
    (t, rss.get(rss.len() / 2).copied(), out)
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("a time")
        .to_rfc3339()
}

fn costs(dir: &Path, days: u32, events: u64, runs: usize, in_process: bool) {
    let show = |label: &str, r: &Run| line(label, days, events, r);
    // An open call to work on, and the time of the store's last event (the demo's "now").
    let state = timed(dir, &["state", "--json"]).2;
    let state: serde_json::Value = serde_json::from_str(&state).expect("state --json");
    let calls = state["calls"].as_object().expect("calls");
    let open = calls
        .values()
        .filter(|c| c["closed_ms"].is_null())
        .find_map(|c| c["id"].as_str())
        .expect("an open call")
        .to_owned();
    let last = calls
        .values()
        .filter_map(|c| c["received_ms"].as_i64())
        .max()
        .expect("a call");
    let note = format!("note {open} bench");
    show(
        "exec: a note on an open call",
        &median(dir, &["exec", &note], runs),
    );
    show(
        "log --call: one call's events",
        &median(dir, &["log", "--call", &open], runs),
    );
    let report = |span: i64| {
        let since = rfc3339(last - span * 24 * 3_600_000);
        let until = rfc3339(last + 60_000);
        vec![
            "report".to_owned(),
            "--since".into(),
            since,
            "--until".into(),
            until,
        ]
    };
    if in_process {
        // The first report on a store walks its whole log and leaves a mark at each midnight.
        let store = Store::open(dir, StoreKind::Demo).expect("the store");
        store.forget_marks().expect("marks forgotten");
        drop(store);
        let args = report(7);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        show(
            "report: 7 days, the first (no marks yet)",
            &timed(dir, &args),
        );
    }
    for (label, span) in [("report: 7 days", 7), ("report: 365 days", 365)] {
        let args = report(span);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        show(label, &median(dir, &args, runs));
    }
    let mut frames: Vec<(Duration, u64)> = (0..runs).map(|_| first_frame(dir)).collect();
    frames.sort();
    let (t, kb) = frames[frames.len() / 2];
    show(
        "console: first frame at 80x24",
        &(t, Some(kb), String::new()),
    );
    let week = report(7);
    let week: Vec<&str> = week.iter().map(String::as_str).collect();
    attached(dir, &note, &week, runs, &show);
    if in_process {
        late_event(dir, days, events, last);
    }
}

/// The console in an 80×24 pty: the time until its first frame shows the queue, and its peak
/// RSS then.
fn first_frame(dir: &Path) -> (Duration, u64) {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    use std::io::{Read, Write};
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pty");
    let mut cmd = CommandBuilder::new(costs_bin());
    cmd.args(["demo", "--data"]);
    cmd.arg(dir);
    cmd.env("SWITCHBOARD_OPERATOR", "bench");
    cmd.env("TERM", "xterm-256color");
    let started = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).expect("spawn the console");
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let took = loop {
        let n = reader.read(&mut buf).expect("read the console");
        assert!(n > 0, "the console ended before its first frame");
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(5).any(|w| w == b"Queue") {
            break started.elapsed();
        }
    };
    let pid = child.process_id().expect("pid");
    let hwm = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmHWM:")?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0);
    let mut writer = pty.master.take_writer().expect("writer");
    writer.write_all(b"\x11").expect("Ctrl-Q");
    // Read on until it ends, so it is never blocked writing to a full pty.
    std::thread::spawn(move || while reader.read(&mut buf).is_ok_and(|n| n > 0) {});
    let _ = child.wait();
    (took, hwm)
}

/// `exec` attached to a `serve` on the store.
fn attached(dir: &Path, line: &str, report: &[&str], runs: usize, show: &dyn Fn(&str, &Run)) {
    let mut serve = Command::new(costs_bin())
        .arg("--data")
        .arg(dir)
        .arg("serve")
        .env("SWITCHBOARD_OPERATOR", "bench")
        .env_remove("SWITCHBOARD_DATA")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    let started = Instant::now();
    while !dir.join("desk.sock").exists() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // The first attach waits for the desk to open; the runs measured come after it.
    let _ = timed(dir, &["exec", line]);
    show(
        "exec, attached to serve",
        &median(dir, &["exec", line], runs),
    );
    show(
        "report: 7 days, attached to serve",
        &median(dir, report, runs),
    );
    let _ = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let _ = serve.wait();
}

/// A peer's event that sorts before the newest checkpoint, taken by a desk on a copy of the
/// store: the desk works 600 changes (a checkpoint every 500 events, as a live desk writes
/// them), then a peer's event stamped before those changes arrives.
fn late_event(dir: &Path, days: u32, events: u64, _last: i64) {
    use switchboard::desk::{Desk, ManualClock, SystemClock};
    let scratch = tempfile::tempdir().expect("temp dir");
    let copy = scratch.path().join("copy");
    let status = Command::new("cp")
        .arg("-r")
        .arg(dir)
        .arg(&copy)
        .status()
        .expect("cp");
    assert!(status.success());
    let _ = std::fs::remove_file(copy.join("desk.sock"));
    let store = Store::open(&copy, StoreKind::Demo).expect("copy");
    let mut desk = Desk::open(store, Box::new(SystemClock), "bench").expect("desk");
    let before = chrono::Utc::now().timestamp_millis();
    desk.execute_line("unit add BENCH-1 clinician,medic")
        .expect("a unit");
    for i in 0..600 {
        let status = if i % 2 == 0 {
            "oos BENCH-1 break"
        } else {
            "avl BENCH-1"
        };
        desk.execute_line(status).expect("a status change");
    }
    let peer_dir = scratch.path().join("peer");
    let peer = Store::open(&peer_dir, StoreKind::Demo).expect("peer store");
    let mut peer = Desk::open(peer, Box::new(ManualClock::at(before)), "peer").expect("peer");
    peer.execute_line("unit add LATE-1 police")
        .expect("a unit on the peer");
    let origin = peer.replica();
    let batch = peer
        .events_from(origin, 1, usize::MAX, usize::MAX)
        .expect("the peer's events");
    let started = Instant::now();
    let received = desk.receive(&batch).expect("the late event");
    let took = started.elapsed();
    assert!(!received.accepted.is_empty());
    let from = desk.resumed_from();
    println!(
        "{days:>4} days, {events:>7} events: {:<44} {:>8.1} ms ({})",
        "a peer's late event (re-fold, in process)",
        took.as_secs_f64() * 1000.0,
        from.map_or("the whole log".to_owned(), |n| format!(
            "from the checkpoint at {n} events"
        ))
    );
}
