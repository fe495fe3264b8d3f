//! Benchmarks for the console's goals (house style, "Every byte crosses an SSH link"):
//! - a full frame with 500 open calls and 100 units renders in ≤ 2 ms;
//! - the 1 s tick costs ≤ 16 B per timer text that changed;
//! - a keystroke in the command line costs ≤ 200 B;
//! - the console on a 30-day demo store stays ≤ 30 MB resident;
//! - the map pane's full draw with 20k address points takes ≤ 2 ms at 80×24; its bytes per
//!   pan and zoom key and its idle cost are printed.
//!
//! `cargo bench --bench console` first measures resident memory (while the heap is fresh, before
//! criterion allocates), then runs the criterion group `render/*`, then prints what criterion
//! cannot: the bytes the terminal receives per tick, per keystroke and per selection move,
//! counted through the console's own backend (`console::lean`) writing into a counter. Under
//! `cargo test --benches` (no `--bench` argument) everything runs once at small sizes, as a
//! smoke test, and the demo store is not built; with `SWITCHBOARD_BENCH_FULL_BYTES=1` the busy
//! store is built at full size, so the bytes printed are the full run's (they do not depend on
//! the build).
//!
//! The 30-day demo store is built once, by this binary re-run as a child process (so the fill's
//! allocations never count against the measurement), and kept under `CARGO_TARGET_TMPDIR`.

// A benchmark has no one to report an error to: any failure aborts it, with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::cell::Cell;
use std::collections::BTreeSet;
use std::hint::black_box;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use switchboard::console::app::{App, Options};
use switchboard::console::keymap::Keymap;
use switchboard::console::lean::LeanBackend;
use switchboard::console::theme::{ColorDepth, Theme};
use switchboard::console::view::screen;
use switchboard::desk::{Desk, ManualClock, SystemClock};
use switchboard::domain::{Body, ReplicaId};
use switchboard::store::{Store, StoreKind};

/// Set (to a directory) when this binary is re-run only to fill the demo store.
const FILL_ENV: &str = "SWITCHBOARD_BENCH_FILL_DEMO";
/// Set under `cargo test --bench console` to print the bytes on the wire for the full-size
/// busy store (500 calls, 100 units, 60 ticks) without building a release bench.
const FULL_BYTES_ENV: &str = "SWITCHBOARD_BENCH_FULL_BYTES";
const DEMO_DAYS: u32 = 30;
const DEMO_SEED: u64 = 2020;
/// 2025-03-04 09:00:00 UTC: a fixed "now" for the busy store, so every run draws the same.
const T0_MS: i64 = 1_741_078_800_000;
const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn main() {
    if let Some(dir) = std::env::var_os(FILL_ENV) {
        fill_demo(Path::new(&dir));
        return;
    }
    let full = is_full_run();
    // The bytes are the same in a debug build: the busy store at full size without the rest.
    let full_bytes = full || std::env::var_os(FULL_BYTES_ENV).is_some();
    let sizes = if full_bytes {
        Sizes::FULL
    } else {
        Sizes::SMOKE
    };

    // First, while the heap is fresh, so that RSS growth is the console's own.
    if full {
        memory_report();
    } else {
        println!(
            "memory: skipped in smoke mode (the 30-day demo store is built only by cargo bench)"
        );
    }

    let started = Instant::now();
    let mut busy = Busy::build(sizes.units, sizes.calls);
    println!(
        "setup: {} units and {} open calls in {:.1?} ({} commands, each fsynced)",
        sizes.units,
        sizes.calls,
        started.elapsed(),
        busy.commands
    );

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(4));
    bench_render(&mut c, &mut busy, &sizes);
    c.final_summary();

    for (width, height) in SIZES {
        bytes_report(&mut busy, width, height, sizes.ticks);
    }

    let mut town = MapTown::build(if full { 20_000 } else { 2_000 });
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    bench_map(&mut c, &mut town);
    c.final_summary();
    for (width, height) in SIZES {
        map_bytes_report(&mut town, width, height, sizes.ticks);
    }
}

// ---------------------------------------------------------------------------------------------
// The map pane over a town of `points` addresses.

struct MapTown {
    app: App,
    clock: ManualClock,
    points: usize,
    _dir: tempfile::TempDir,
}

impl MapTown {
    /// A 3 km square grid: 40 streets each way, houses on both sides every ~24 m.
    fn build(points: usize) -> MapTown {
        use std::fmt::Write as _;
        let per_street = points / 80;
        let mut csv = String::from("LON,LAT,NUMBER,STREET\n");
        for k in 0..40 {
            let offset = f64::from(k) * 0.000_68; // ~75 m between streets
            for h in 0..per_street {
                let along = h as f64 * 3_000.0 / per_street as f64;
                let side = if h % 2 == 0 { 0.000_1 } else { -0.000_1 };
                let lat = 39.72 + offset + side;
                let lon = -105.00 + along / 85_000.0;
                writeln!(csv, "{lon:.6},{lat:.6},{},Row {k} St", 100 + h).unwrap();
                let lat = 39.72 + along / 111_000.0;
                let lon = -105.00 + offset * 1.3 + side;
                writeln!(csv, "{lon:.6},{lat:.6},{},Col {k} Ave", 100 + h).unwrap();
            }
        }
        let (gazetteer, problems) = switchboard::places::Gazetteer::parse(&csv, "grid.csv");
        assert!(problems.is_empty() && gazetteer.len() == per_street * 80);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
        let clock = ManualClock::at(T0_MS);
        let mut desk = Desk::open(store, Box::new(clock.clone()), "bench")
            .unwrap()
            .with_gazetteer(Some(gazetteer));
        for line in [
            "unit add STAR-1 clinician,medic",
            "unit add STAR-2 clinician,medic",
            "call 120 Row 20 St / bench",
            "dp STAR-1 1",
            "ons STAR-1",
            "avl STAR-1",
            "call 140 Col 18 Ave / bench",
            "dp STAR-2 2",
            "ons STAR-2",
            "call 130 Row 21 St / bench",
            "call Row 20 St & Col 20 Ave / bench",
        ] {
            desk.execute_line(line).unwrap();
        }
        let mut app = app_for(desk);
        app.ui.call = app.state().queue().first().map(|c| c.id.clone());
        app.ui.map.apply(switchboard::console::map::MapMove::Toggle);
        MapTown {
            app,
            clock,
            points: per_street * 80,
            _dir: dir,
        }
    }
}

fn bench_map(c: &mut Criterion, town: &mut MapTown) {
    let mut group = c.benchmark_group("render");
    for (width, height) in SIZES {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        let app = &mut town.app;
        group.bench_function(
            BenchmarkId::new(
                format!("map_{}_points", town.points),
                format!("{width}x{height}"),
            ),
            |b| {
                b.iter(|| {
                    terminal
                        .draw(|frame| screen::draw(frame, black_box(&*app)))
                        .expect("draw");
                });
            },
        );
    }
    group.finish();
}

fn map_bytes_report(town: &mut MapTown, width: u16, height: u16, ticks: usize) {
    let (mut terminal, counter) = wire(width, height);
    let size = format!("{width}x{height}");
    let app = &mut town.app;
    let (full, _) = draw(&mut terminal, &counter, app);
    println!("[{size}] map: full frame {full} B ({} points)", town.points);
    let mut idle = 0;
    for _ in 0..ticks {
        town.clock.advance(1_000);
        idle += draw(&mut terminal, &counter, app).0;
    }
    println!(
        "[{size}] map: idle {:.1} B per 1 s tick over {ticks} ticks",
        idle as f64 / ticks as f64
    );
    let keys = [
        ("A-l pan", 'l'),
        ("A-h pan", 'h'),
        ("A-j pan", 'j'),
        ("A-k pan", 'k'),
        ("A-- zoom out", '-'),
        ("A-= zoom in", '='),
    ];
    let mut costs = Vec::new();
    for (name, key) in keys {
        app.key(press(KeyCode::Char(key), KeyModifiers::ALT));
        let (bytes, _) = draw(&mut terminal, &counter, app);
        costs.push(format!("{name} {bytes} B"));
    }
    println!("[{size}] map: per key: {}", costs.join(", "));
}

/// `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion's own rule).
fn is_full_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

struct Sizes {
    units: usize,
    calls: usize,
    ticks: usize,
}

impl Sizes {
    const FULL: Sizes = Sizes {
        units: 100,
        calls: 500,
        ticks: 60,
    };
    const SMOKE: Sizes = Sizes {
        units: 10,
        calls: 30,
        ticks: 5,
    };
}

fn app_for(desk: Desk) -> App {
    let keymap = Keymap::preset("default").expect("the default keymap loads");
    let options = Options {
        // Clock times in UTC so that every run draws the same cells.
        utc: true,
        ..Options::default()
    };
    App::new(
        desk,
        keymap,
        Theme::default_for(ColorDepth::Ansi16),
        options,
        &[],
    )
}

fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

// ---------------------------------------------------------------------------------------------
// The busy store: units and open calls taken a second apart, some units out on calls.

const CAPABILITIES: [&str; 4] = ["clinician,medic", "clinician,peer", "emt,peer", "clinician"];
const ZONES: [&str; 5] = ["north", "south", "east", "west", "central"];
const LOCATIONS: [&str; 8] = [
    "1400 Market St, bus shelter",
    "Civic Center Plaza, north steps",
    "Riverside Park under the 5th Ave bridge",
    "2210 Alder St apt 3B",
    "Greyhound station, waiting room",
    "Safeway, 18th & Pine, parking lot",
    "Public library, 2nd floor restrooms",
    "Oak St encampment, east end",
];
const NATURES: [&str; 6] = [
    "man shouting at traffic, appears disoriented --type bh-crisis",
    "woman sleeping in doorway, not responding --type welfare",
    "caller's brother talking about ending his life --type suicidal",
    "intoxicated man in the road --type intox",
    "person slumped on bench, breathing --type unconscious",
    "noise complaint, music since midnight --type noise",
];

struct Busy {
    app: App,
    clock: ManualClock,
    commands: usize,
    _dir: tempfile::TempDir,
}

impl Busy {
    fn build(units: usize, calls: usize) -> Busy {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).expect("store");
        let clock = ManualClock::at(T0_MS);
        let mut desk = Desk::open(store, Box::new(clock.clone()), "bench").expect("desk");
        let mut commands = 0;
        let mut run = |desk: &mut Desk, line: &str| {
            commands += 1;
            let events = desk
                .execute_line(line)
                .unwrap_or_else(|e| panic!("`{line}` refused: {e}"));
            clock.advance(1_000);
            events
        };
        for u in 0..units {
            run(
                &mut desk,
                &format!(
                    "unit add STAR-{} {} --zone {}",
                    u + 1,
                    CAPABILITIES[u % CAPABILITIES.len()],
                    ZONES[u % ZONES.len()]
                ),
            );
        }
        let mut ids = Vec::with_capacity(calls);
        for n in 0..calls {
            let events = run(
                &mut desk,
                &format!(
                    "call {} / {}",
                    LOCATIONS[n % LOCATIONS.len()],
                    NATURES[n % NATURES.len()]
                ),
            );
            ids.extend(events.iter().find_map(|e| match &e.body {
                Body::CallCreated { call, .. } => Some(call.to_string()),
                _ => None,
            }));
        }
        // A third of the units out on the oldest calls, as on a busy night.
        for (u, id) in ids.iter().take(units / 3).enumerate() {
            run(&mut desk, &format!("dp STAR-{} {id}", u + 1));
        }
        Busy {
            app: app_for(desk),
            clock,
            commands,
            _dir: dir,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Criterion: a whole frame, as the run loop draws it.

fn bench_render(c: &mut Criterion, busy: &mut Busy, sizes: &Sizes) {
    let mut group = c.benchmark_group("render");
    let name = format!("frame_{}_calls_{}_units", sizes.calls, sizes.units);
    for (width, height) in SIZES {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        let app = &mut busy.app;
        group.bench_function(BenchmarkId::new(&name, format!("{width}x{height}")), |b| {
            b.iter(|| {
                app.refresh_chronology();
                terminal
                    .draw(|frame| screen::draw(frame, black_box(&*app)))
                    .expect("draw");
            });
        });
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// Bytes on the wire: the console's own backend writing into a counter.

/// Counts what is written; clones share the count (the backend keeps its writer private).
#[derive(Clone, Default)]
struct Counter(Rc<Cell<usize>>);

impl Counter {
    fn get(&self) -> usize {
        self.0.get()
    }
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

type Wire = Terminal<LeanBackend<Counter>>;

/// A terminal of `width` × `height` whose bytes are counted.
fn wire(width: u16, height: u16) -> (Wire, Counter) {
    let counter = Counter::default();
    let terminal = Terminal::with_options(
        LeanBackend::blank(counter.clone(), width, height),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
        },
    )
    .expect("terminal");
    (terminal, counter)
}

/// Draws a frame; returns the bytes it wrote and the cells it drew.
fn draw(terminal: &mut Wire, counter: &Counter, app: &mut App) -> (usize, Buffer) {
    app.refresh_chronology();
    let before = counter.get();
    let buffer = terminal
        .draw(|frame| screen::draw(frame, app))
        .expect("draw")
        .buffer
        .clone();
    (counter.get() - before, buffer)
}

/// What changed between two frames: texts (runs of non-blank cells in either frame) whose
/// characters changed, as (row, first column, text), and how many texts changed only in style.
struct Changes {
    texts: BTreeSet<(u16, u16, String)>,
    restyled: usize,
}

fn changes(old: &Buffer, new: &Buffer) -> Changes {
    let area = new.area;
    let blank = |b: &Buffer, x: u16, y: u16| b[(x, y)].symbol().trim().is_empty();
    let inked = |x: u16, y: u16| !blank(old, x, y) || !blank(new, x, y);
    let text = |b: &Buffer, y: u16, from: u16, to: u16| -> String {
        (from..=to)
            .map(|x| b[(x, y)].symbol())
            .collect::<String>()
            .trim()
            .to_owned()
    };
    let mut texts = BTreeSet::new();
    let mut restyled = BTreeSet::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            if old[(x, y)] == new[(x, y)] {
                continue;
            }
            let (mut start, mut end) = (x, x);
            while start > area.left() && inked(start - 1, y) {
                start -= 1;
            }
            while end + 1 < area.right() && inked(end + 1, y) {
                end += 1;
            }
            if old[(x, y)].symbol() == new[(x, y)].symbol() {
                restyled.insert((y, start));
                continue;
            }
            // A text that went away is named by what it was.
            let now = text(new, y, start, end);
            let shown = if now.is_empty() {
                text(old, y, start, end)
            } else {
                now
            };
            texts.insert((y, start, shown));
        }
    }
    let restyled = restyled
        .into_iter()
        .filter(|(y, x)| !texts.iter().any(|(ty, tx, _)| ty == y && tx == x))
        .count();
    Changes { texts, restyled }
}

/// `0:41`, `(0:41`, `12m`, `3h05`, `2d`, `09:14`: what the views print for ages and clocks.
fn is_timer(text: &str) -> bool {
    let t = text.trim_start_matches('(');
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if let Some((a, b)) = t.split_once(':') {
        return digits(a) && digits(b);
    }
    if let Some((a, b)) = t.split_once('h') {
        return digits(a) && digits(b);
    }
    t.strip_suffix(['m', 'd']).is_some_and(digits)
}

fn bytes_report(busy: &mut Busy, width: u16, height: u16, ticks: usize) {
    let app = &mut busy.app;
    let (mut terminal, counter) = wire(width, height);
    let size = format!("{width}x{height}");
    let (full, mut last) = draw(&mut terminal, &counter, app);
    println!("[{size}] full frame: {full} B");

    // What every frame costs even when no cell changed: attribute resets and the cursor.
    let (idle, _) = draw(&mut terminal, &counter, app);
    println!("[{size}] frame with no change: {idle} B");

    // (i) The 1 s tick with nothing else happening.
    let (mut total, mut timers, mut worst) = (0, 0, 0);
    let (mut others, mut restyled) = (Vec::new(), 0);
    for _ in 0..ticks {
        busy.clock.advance(1_000);
        let (bytes, frame) = draw(&mut terminal, &counter, app);
        let changed = changes(&last, &frame);
        for (_, _, text) in changed.texts {
            if is_timer(&text) {
                timers += 1;
            } else {
                others.push(text);
            }
        }
        restyled += changed.restyled;
        total += bytes;
        worst = worst.max(bytes);
        last = frame;
    }
    let per_timer = total as f64 / timers.max(1) as f64;
    println!(
        "[{size}] tick: {ticks} ticks, {timers} timers changed, {total} B total, {per_timer:.1} B \
         per changed timer ({:.1} B without the {idle} B every frame costs); {:.1} B per tick \
         (max {worst})",
        total.saturating_sub(idle * ticks) as f64 / timers.max(1) as f64,
        total as f64 / ticks as f64,
    );
    let distinct: BTreeSet<&String> = others.iter().collect();
    println!(
        "[{size}] tick: also {} other texts changed {:?}, {restyled} texts changed only colour",
        others.len(),
        distinct.into_iter().take(6).collect::<Vec<_>>()
    );

    // (ii) Typing a 20-character command line, one frame per key as a person types.
    let line = "note 1 caller calmer";
    assert_eq!(line.chars().count(), 20);
    let mut costs = Vec::new();
    for c in line.chars() {
        app.key(press(KeyCode::Char(c), KeyModifiers::NONE));
        let (bytes, frame) = draw(&mut terminal, &counter, app);
        costs.push((c, bytes, cells_changed(&last, &frame)));
        last = frame;
    }
    println!(
        "[{size}] keystroke: {} over typing {line:?}; per key: {}",
        summary(&costs),
        costs
            .iter()
            .map(|(c, b, _)| format!("{c:?} {b}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    app.key(press(KeyCode::Char('u'), KeyModifiers::CONTROL));
    let (cleared, frame) = draw(&mut terminal, &counter, app);
    last = frame;
    println!("[{size}] clearing the line (Ctrl-U): {cleared} B");

    // (iii) Moving the call selection down the queue and back.
    let mut moves = Vec::new();
    for step in 0..20 {
        let (key, code) = if step < 10 {
            ("C-n", 'n')
        } else {
            ("C-p", 'p')
        };
        app.key(press(KeyCode::Char(code), KeyModifiers::CONTROL));
        let (bytes, frame) = draw(&mut terminal, &counter, app);
        moves.push((key, bytes, cells_changed(&last, &frame)));
        last = frame;
    }
    println!(
        "[{size}] selection move (10 x Ctrl-N, 10 x Ctrl-P): {}",
        summary(&moves)
    );
}

/// Cells that differ in character or style.
fn cells_changed(old: &Buffer, new: &Buffer) -> usize {
    old.content
        .iter()
        .zip(&new.content)
        .filter(|(a, b)| a != b)
        .count()
}

/// `68.7 B average (max 214, min 12), 30.1 cells changed on average, 2.3 B per changed cell`.
fn summary<K>(costs: &[(K, usize, usize)]) -> String {
    let n = costs.len().max(1) as f64;
    let bytes: usize = costs.iter().map(|c| c.1).sum();
    let cells: usize = costs.iter().map(|c| c.2).sum();
    format!(
        "{:.1} B average (max {}, min {}), {:.1} cells changed on average, {:.1} B per changed cell",
        bytes as f64 / n,
        costs.iter().map(|c| c.1).max().unwrap_or(0),
        costs.iter().map(|c| c.1).min().unwrap_or(0),
        cells as f64 / n,
        bytes as f64 / cells.max(1) as f64
    )
}

// ---------------------------------------------------------------------------------------------
// Resident memory with a 30-day demo store open.

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("console-bench")
        .join(format!("demo-{DEMO_DAYS}d-seed{DEMO_SEED}"))
}

/// Runs in the child: fills a fresh store beside `dir`, then moves it into place, so that an
/// interrupted fill never leaves a half-built store behind.
fn fill_demo(dir: &Path) {
    let building = dir.with_extension("building");
    let _ = std::fs::remove_dir_all(&building);
    let store = Store::open(&building, StoreKind::Demo).expect("demo store");
    let now_ms = chrono::Utc::now().timestamp_millis();
    let summary = switchboard::demo::fill(store, DEMO_DAYS, DEMO_SEED, now_ms).expect("demo fill");
    std::fs::rename(&building, dir).expect("move the demo store into place");
    println!("{summary}");
}

fn memory_report() {
    let dir = demo_dir();
    if !dir.exists() {
        std::fs::create_dir_all(dir.parent().unwrap()).expect("bench dir");
        let started = Instant::now();
        let out = Command::new(std::env::current_exe().expect("this bench's path"))
            .env(FILL_ENV, &dir)
            .output()
            .expect("run the demo fill");
        assert!(
            out.status.success(),
            "the demo fill failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "memory: built the {DEMO_DAYS}-day demo store in {:.1?}: {}",
            started.elapsed(),
            String::from_utf8_lossy(&out.stdout).trim()
        );
    }
    let Some(before) = proc_status("VmRSS:") else {
        println!("memory: unavailable (no /proc/self/status)");
        return;
    };
    let started = Instant::now();
    let store = Store::open(&dir, StoreKind::Demo).expect("open the demo store");
    let events = store.event_count();
    let desk = Desk::open(store, Box::new(SystemClock), "bench").expect("open the desk");
    let mut app = app_for(desk);
    app.refresh_chronology();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    terminal
        .draw(|frame| screen::draw(frame, &app))
        .expect("draw");
    let opened = started.elapsed();
    let after = proc_status("VmRSS:").unwrap_or(before);
    let peak = proc_status("VmHWM:").unwrap_or(after);
    let state = app.state();
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "memory: {DEMO_DAYS}-day demo store ({events} events, {} calls, {} units), opened and \
         drawn in {opened:.1?}: VmRSS {:.1} MB before, {:.1} MB after (+{:.1} MB), peak VmHWM \
         {:.1} MB",
        state.calls.len(),
        state.units.len(),
        mb(before),
        mb(after),
        mb(after.saturating_sub(before)),
        mb(peak)
    );
    app.desk.close().expect("close the demo store");
}

/// A `/proc/self/status` field given in kB, in bytes.
fn proc_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
