//! Idle means idle (issue 13): while nothing changes, a console process wakes at most twice a
//! second. This starts the real binary in a pseudo-terminal on a copy of a demo store, waits for
//! its first frame and a few seconds more (sled's extra I/O threads from the open end by then),
//! and counts, for every thread of the process, the context switches in
//! `/proc/<pid>/task/<tid>/status` (voluntary: it slept and was woken; non-voluntary: it was
//! running and the scheduler took the core away) over a window. It prints wakeups per second,
//! in total and per thread name (`/proc/<pid>/task/<tid>/comm`), the CPU each used, and the bytes
//! the terminal received. Then the same for a console attached to `switchboard serve`, and for
//! the serving process.
//!
//! `cargo bench --bench idle` measures 10 s on a 30-day and a 365-day demo store, built once with
//! `switchboard demo --days N` under `CARGO_TARGET_TMPDIR/idle-bench/` (the year takes minutes)
//! and copied before every run, so every run opens the same store and the kept one is never
//! written. Under `cargo test --benches` it runs as a smoke test: a 2-day store, 2 s.
//! `SWITCHBOARD_IDLE_BIN` measures another build of the binary instead (the one before a
//! change, say); `SWITCHBOARD_IDLE_SECS` sets the window.
//!
//! The count is what the kernel counted, not a timing: it does not depend on how fast the
//! machine is, but non-voluntary switches do depend on how busy it is (another build on the
//! same cores preempts the console in the middle of a frame), so both kinds are shown apart.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
/// The goal: at most this many wakeups a second, every thread together.
const GOAL: f64 = 2.0;

fn is_full_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

fn bin() -> String {
    std::env::var("SWITCHBOARD_IDLE_BIN").unwrap_or_else(|_| BIN.to_owned())
}

/// A clean environment for the child: no user's configuration or store is read.
struct Sandbox {
    home: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn envs(&self) -> Vec<(&'static str, String)> {
        let home = self.home.path();
        vec![
            ("HOME", home.display().to_string()),
            ("TERM", "xterm-256color".into()),
            ("LANG", "C.UTF-8".into()),
            (
                "SWITCHBOARD_CONFIG",
                home.join("config").display().to_string(),
            ),
            ("SWITCHBOARD_OPERATOR", "bench".into()),
        ]
    }

    fn command(&self) -> Command {
        let mut c = Command::new(bin());
        c.env_clear()
            .envs(self.envs())
            .current_dir(self.home.path());
        c
    }
}

/// Builds a `days`-day demo store in `dir` unless it is there, through a directory beside it,
/// so that an interrupted fill never leaves half a store.
fn build(sandbox: &Sandbox, dir: &Path, days: u32) {
    if dir.exists() {
        return;
    }
    let building = dir.with_extension("building");
    let _ = std::fs::remove_dir_all(&building);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let started = Instant::now();
    let out = sandbox
        .command()
        .args(["demo", "--days", &days.to_string(), "--data"])
        .arg(&building)
        .output()
        .expect("run switchboard demo");
    assert!(
        out.status.success(),
        "switchboard demo --days {days} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&building, dir).expect("move the demo store into place");
    println!(
        "built the {days}-day demo store in {:.1?}",
        started.elapsed()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// One thread's counters, read from `/proc/<pid>/task/<tid>/`.
#[derive(Clone, Debug, Default)]
struct Counts {
    voluntary: u64,
    involuntary: u64,
    /// utime + stime, in clock ticks.
    cpu_ticks: u64,
}

/// Every thread of `pid`: tid → (name, counters).
fn threads(pid: u32) -> BTreeMap<u32, (String, Counts)> {
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let (Ok(status), Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(dir.join("status")),
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("stat")),
        ) else {
            continue; // it ended while being read
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        // After the `(comm)`, which may hold spaces: utime and stime are the 12th and 13th.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let tick = |i: usize| fields.get(i).and_then(|f| f.parse().ok()).unwrap_or(0);
        out.insert(
            tid,
            (
                comm.trim().to_owned(),
                Counts {
                    voluntary: field("voluntary_ctxt_switches:"),
                    involuntary: field("nonvoluntary_ctxt_switches:"),
                    cpu_ticks: tick(11) + tick(12),
                },
            ),
        );
    }
    out
}

/// A thread name without its number: `sled-io-3` → `sled-io-*`, `tokio-runtime-w` as is.
fn family(name: &str) -> String {
    match name.rsplit_once('-') {
        Some((stem, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
            format!("{stem}-*")
        }
        _ => name.to_owned(),
    }
}

/// What a process did over the window.
struct Idle {
    seconds: f64,
    /// By thread family: (threads, voluntary, non-voluntary, CPU ticks).
    families: BTreeMap<String, (usize, u64, u64, u64)>,
    ended: usize,
}

impl Idle {
    fn between(
        before: &BTreeMap<u32, (String, Counts)>,
        after: &BTreeMap<u32, (String, Counts)>,
        seconds: f64,
    ) -> Idle {
        let mut families: BTreeMap<String, (usize, u64, u64, u64)> = BTreeMap::new();
        for (tid, (name, now)) in after {
            let was = before.get(tid).map(|(_, c)| c.clone()).unwrap_or_default();
            let f = families.entry(family(name)).or_default();
            f.0 += 1;
            f.1 += now.voluntary - was.voluntary;
            f.2 += now.involuntary - was.involuntary;
            f.3 += now.cpu_ticks - was.cpu_ticks;
        }
        let ended = before.keys().filter(|t| !after.contains_key(t)).count();
        Idle {
            seconds,
            families,
            ended,
        }
    }

    fn total(&self) -> f64 {
        let n: u64 = self.families.values().map(|f| f.1 + f.2).sum();
        n as f64 / self.seconds
    }

    fn print(&self, label: &str, bytes: Option<usize>) {
        let threads: usize = self.families.values().map(|f| f.0).sum();
        let voluntary: u64 = self.families.values().map(|f| f.1).sum();
        let bytes = bytes.map_or_else(String::new, |b| {
            format!(", {:.0} B/s to the terminal", b as f64 / self.seconds)
        });
        let verdict = if self.total() <= GOAL {
            "met"
        } else {
            "MISSED"
        };
        println!(
            "{label}: {:.1} wakeups/s ({:.1} voluntary) over {:.0} s, {threads} threads{bytes}; \
             goal <= {GOAL}/s {verdict}",
            self.total(),
            voluntary as f64 / self.seconds,
            self.seconds,
        );
        // Clock ticks are 10 ms on Linux (USER_HZ is 100 everywhere it matters).
        for (name, (n, v, i, ticks)) in &self.families {
            println!(
                "    {name:<18} x{n:<3} {:>6.1}/s  (voluntary {:.1}, preempted {:.1}), CPU {} ms",
                (v + i) as f64 / self.seconds,
                *v as f64 / self.seconds,
                *i as f64 / self.seconds,
                ticks * 10,
            );
        }
        if self.ended > 0 {
            println!(
                "    ({} threads ended during the window; their count is lost)",
                self.ended
            );
        }
    }
}

/// What the console has written to its terminal.
struct Screen {
    parser: vt100::Parser,
    bytes: usize,
}

/// The console in a pty of 80×24, on `data`.
struct Console {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    screen: Arc<Mutex<Screen>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Console {
    fn start(sandbox: &Sandbox, data: &Path) -> Console {
        let (cols, rows) = (80, 24);
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(bin());
        cmd.arg("--data");
        cmd.arg(data);
        cmd.env_clear();
        for (k, v) in sandbox.envs() {
            cmd.env(k, v);
        }
        cmd.cwd(sandbox.home.path());
        let child = pair.slave.spawn_command(cmd).expect("spawn the console");
        drop(pair.slave);
        let screen = Arc::new(Mutex::new(Screen {
            parser: vt100::Parser::new(rows, cols, 0),
            bytes: 0,
        }));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                let mut s = sink.lock().unwrap();
                s.parser.process(&buf[..n]);
                s.bytes += n;
            }
        });
        Console {
            child,
            screen,
            _master: pair.master,
        }
    }

    fn pid(&self) -> u32 {
        self.child.process_id().expect("the console's pid")
    }

    /// Waits for the first frame: the queue and the roster drawn.
    fn wait_first_frame(&mut self, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let contents = self.screen.lock().unwrap().parser.screen().contents();
            if contents.contains("Queue") && contents.contains("Roster") {
                return started.elapsed();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the console exited ({status:?}); the screen shows:\n{contents}");
            }
            assert!(
                started.elapsed() < within,
                "no first frame within {within:?}; the screen shows:\n{contents}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn bytes(&self) -> usize {
        self.screen.lock().unwrap().bytes
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `switchboard serve` on `data`, stopped (SIGTERM) when dropped.
struct Serve(Child);

impl Serve {
    fn start(sandbox: &Sandbox, data: &Path) -> Serve {
        let child = sandbox
            .command()
            .arg("serve")
            .arg("--data")
            .arg(data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start switchboard serve");
        let serve = Serve(child);
        let started = Instant::now();
        while !data.join("desk.sock").exists() {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "switchboard serve made no desk.sock"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        serve
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// Counts every thread of `pids` over `window`; returns each process's figures, in order.
fn measure(pids: &[u32], window: Duration) -> Vec<Idle> {
    let before: Vec<_> = pids.iter().map(|&p| threads(p)).collect();
    let started = Instant::now();
    std::thread::sleep(window);
    let seconds = started.elapsed().as_secs_f64();
    pids.iter()
        .zip(&before)
        .map(|(&p, b)| Idle::between(b, &threads(p), seconds))
        .collect()
}

fn run(label: &str, kept: &Path, settle: Duration, window: Duration) {
    let sandbox = Sandbox::new();
    let scratch = tempfile::tempdir().expect("temp dir");

    let data = scratch.path().join("own");
    copy_dir(kept, &data);
    let mut console = Console::start(&sandbox, &data);
    let first = console.wait_first_frame(Duration::from_secs(300));
    std::thread::sleep(settle);
    let bytes = console.bytes();
    let idle = measure(&[console.pid()], window);
    idle[0].print(
        &format!("{label}, console on its own store (first frame {first:.1?})"),
        Some(console.bytes() - bytes),
    );
    drop(console);

    let data = scratch.path().join("served");
    copy_dir(kept, &data);
    let serve = Serve::start(&sandbox, &data);
    let mut console = Console::start(&sandbox, &data);
    console.wait_first_frame(Duration::from_secs(300));
    std::thread::sleep(settle);
    let bytes = console.bytes();
    let idle = measure(&[console.pid(), serve.0.id()], window);
    idle[0].print(
        &format!("{label}, console attached to serve"),
        Some(console.bytes() - bytes),
    );
    idle[1].print(&format!("{label}, the serve process"), None);
}

fn main() {
    let full = is_full_run();
    let window = std::env::var("SWITCHBOARD_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(
            Duration::from_secs(if full { 10 } else { 2 }),
            Duration::from_secs_f64,
        );
    if !Path::new("/proc/self/task").exists() {
        println!("idle: skipped (no /proc)");
        return;
    }
    println!("idle: measuring {}", bin());
    let sandbox = Sandbox::new();
    let scratch = tempfile::tempdir().expect("temp dir");
    let (root, sizes): (PathBuf, &[u32]) = if full {
        (
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idle-bench"),
            &[30, 365],
        )
    } else {
        (scratch.path().to_owned(), &[2])
    };
    // sled's I/O threads started for the open end within about 4 s of it.
    let settle = Duration::from_secs(if full { 5 } else { 1 });
    for &days in sizes {
        let kept = root.join(format!("demo-{days}"));
        build(&sandbox, &kept, days);
        run(&format!("{days}-day store"), &kept, settle, window);
    }
}
