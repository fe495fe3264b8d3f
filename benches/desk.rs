//! Benchmarks for the desk's performance goals:
//! - a commit (one `apply_batch` + flush + fsync) has p99 ≤ 5 ms;
//! - opening a store of 100k events (load, verify the hash chain, fold) takes ≤ 300 ms;
//! - the state folded from 100k events takes ≤ 50 MB.
//!
//! `cargo bench --bench desk` runs the criterion groups `commit/*`, `fold/*` and `open_fold/*`
//! (criterion reports means), then prints what criterion cannot: the latency distribution of
//! 2,000 single commits and the resident memory of a 100k-event state. Under `cargo test
//! --benches` (no `--bench` argument) everything runs once at small sizes, as a smoke test.
//!
//! The histories are realistic and valid: every command is decided by `domain::plan` against the
//! state it evolves (8 teams, 12 calls in flight, each call taken, noted, dispatched, worked,
//! sometimes transported, cleared and closed), then stamped here the way the desk stamps.

// A benchmark has no one to report an error to: any failure aborts it, with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
use switchboard::desk::{Desk, SystemClock};
use switchboard::domain::event::hlc;
use switchboard::domain::{
    plan, Applied, Body, CallField, CallId, CallType, Capability, Command, Context, Disposition,
    Event, NewCall, ReplicaId, State, UnitStatus,
};
use switchboard::store::{Head, Sealed, Store, StoreKind};

fn main() {
    let full = is_full_run();
    let sizes = if full { Sizes::FULL } else { Sizes::SMOKE };

    // First, while the heap is fresh, so that RSS growth is the state's own.
    memory_report(sizes.memory);

    let mut c = Criterion::default().configure_from_args();
    bench_commit(&mut c);
    bench_fold(&mut c, &sizes.fold);
    bench_open_fold(&mut c, sizes.open);
    c.final_summary();

    latency_report(sizes.latency);
}

/// `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion's own rule).
fn is_full_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

struct Sizes {
    memory: usize,
    fold: [usize; 2],
    open: usize,
    latency: usize,
}

impl Sizes {
    const FULL: Sizes = Sizes {
        memory: 100_000,
        fold: [100_000, 1_000_000],
        open: 100_000,
        latency: 2_000,
    };
    const SMOKE: Sizes = Sizes {
        memory: 2_000,
        fold: [2_000, 10_000],
        open: 2_000,
        latency: 20,
    };
}

/// `100k`, `1M`, `2k`.
fn label(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n.is_multiple_of(1_000_000) => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n.is_multiple_of(1_000) => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// A realistic history, planned against the state it builds.

const TEAMS: [(&str, &[Capability], &str); 8] = [
    (
        "STAR-1",
        &[Capability::Clinician, Capability::Peer],
        "north",
    ),
    ("STAR-2", &[Capability::Clinician, Capability::Emt], "north"),
    (
        "STAR-3",
        &[Capability::Clinician, Capability::Peer],
        "central",
    ),
    (
        "STAR-4",
        &[Capability::Medic, Capability::Clinician],
        "central",
    ),
    ("CAHOOTS-5", &[Capability::Medic, Capability::Peer], "south"),
    (
        "CAHOOTS-6",
        &[Capability::Emt, Capability::Clinician],
        "south",
    ),
    ("MCT-7", &[Capability::Clinician], "east"),
    (
        "MCT-8",
        &[Capability::Clinician, Capability::Peer, Capability::Emt],
        "west",
    ),
];

const IN_FLIGHT: usize = 12;

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

const NATURES: [(&str, CallType); 8] = [
    (
        "man shouting at traffic, appears disoriented",
        CallType::BhCrisis,
    ),
    (
        "woman sleeping in doorway, not responding to staff",
        CallType::Welfare,
    ),
    (
        "caller's brother talking about ending his life",
        CallType::Suicidal,
    ),
    ("person passed out on bench, breathing", CallType::Intox),
    (
        "unsheltered man asking for a ride to shelter",
        CallType::Unsheltered,
    ),
    ("teen in distress, locked in bathroom", CallType::BhCrisis),
    (
        "neighbour reports elderly woman not seen in 3 days",
        CallType::Welfare,
    ),
    (
        "man refusing to leave store, yelling at staff",
        CallType::Disorder,
    ),
];

const INTAKE_NOTES: [&str; 4] = [
    "caller is store manager, will meet team at the front entrance",
    "subject known to outreach, prefers to be addressed as Sam",
    "no weapons seen per caller; subject pacing, talking to himself",
    "caller will stay on scene, wearing a red jacket",
];

const SCENE_NOTES: [&str; 4] = [
    "contact made, subject calm, accepted water and a blanket",
    "subject agreed to a voluntary assessment at the crisis centre",
    "safety plan done with family present; follow-up in 24 h",
    "vitals normal, declined medical transport, referred to day centre",
];

const FACILITIES: [&str; 3] = [
    "Crisis Stabilization Unit",
    "St. Vincent ED",
    "Sobering Center",
];

const DISPOSITIONS: [Disposition; 5] = [
    Disposition::Resolved,
    Disposition::CommunityTransport,
    Disposition::Declined,
    Disposition::Referred988,
    Disposition::FollowUp,
];

/// One call in flight: which step of its life it is at, and the team working it.
#[derive(Default)]
struct Slot {
    call: Option<String>,
    unit: Option<String>,
    phase: u8,
}

/// A dispatch history: commands planned with `domain::plan` against the state they evolve, and
/// stamped like the desk stamps (dense seq, monotonic hlc). `prev` is left zero: [`seal`]
/// chains events that go to a store.
struct History {
    state: State,
    origin: ReplicaId,
    now_ms: i64,
    hlc: u64,
    seq: u64,
    rng: u64,
    teams_added: usize,
    slots: Vec<Slot>,
    policy: switchboard::domain::Policy,
}

impl History {
    fn new(origin: ReplicaId, seed: u64) -> Self {
        History {
            state: State::default(),
            origin,
            // 2026-01-05 08:00 UTC.
            now_ms: 1_767_600_000_000,
            hlc: 0,
            seq: 0,
            rng: seed,
            teams_added: 0,
            slots: (0..IN_FLIGHT).map(|_| Slot::default()).collect(),
            policy: switchboard::domain::Policy::new(switchboard::config::protocol::shipped()),
        }
    }

    /// splitmix64: deterministic, and needs no dependency.
    fn rand(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.rand() % from.len() as u64) as usize]
    }

    /// The next `n` events (a command may make more than one; the extra are cut off).
    fn take(&mut self, n: usize) -> Vec<Event> {
        let mut events = Vec::with_capacity(n + 4);
        while events.len() < n {
            events.extend(self.step());
        }
        events.truncate(n);
        events
    }

    /// Plans one command, stamps its events, folds them into the history's own state.
    fn step(&mut self) -> Vec<Event> {
        // 10–110 s between commands: ~60 s on average, ~140 calls a day.
        self.now_ms += 10_000 + (self.rand() % 100_000) as i64;
        let (slot, command) = self.next_command();
        let ctx = Context {
            origin: self.origin,
            now_ms: self.now_ms,
            policy: &self.policy,
        };
        let bodies = plan(&self.state, &command, &ctx)
            .unwrap_or_else(|r| panic!("the generator planned {command:?}, refused: {r}"));
        let events: Vec<Event> = bodies.into_iter().map(|b| self.stamp(b)).collect();
        for e in &events {
            assert_eq!(self.state.apply(e), Applied::Applied);
            if let (Some(i), Body::CallCreated { call, .. }) = (slot, &e.body) {
                self.slots[i].call = Some(call.as_str().to_owned());
            }
        }
        events
    }

    fn stamp(&mut self, body: Body) -> Event {
        const OPERATORS: [&str; 3] = ["dispatch-amy", "dispatch-raj", "dispatch-lou"];
        self.hlc = hlc::next(self.hlc, self.now_ms);
        self.seq += 1;
        // Three eight-hour shifts.
        let shift = (self.now_ms / (8 * 3_600_000)) as usize % OPERATORS.len();
        Event {
            origin: self.origin,
            seq: self.seq,
            hlc: self.hlc,
            wall_ms: self.now_ms,
            prev: [0; 32],
            operator: OPERATORS[shift].to_owned(),
            body,
            request: None,
            os_user: None,
        }
    }

    fn free_team(&self) -> Option<String> {
        self.state
            .units
            .values()
            .find(|u| u.call.is_none() && u.status == UnitStatus::Available)
            .map(|u| u.callsign.as_str().to_owned())
    }

    /// The command for a random call in flight, moving that call one step along its life.
    fn next_command(&mut self) -> (Option<usize>, Command) {
        if self.teams_added < TEAMS.len() {
            let (callsign, capabilities, zone) = TEAMS[self.teams_added];
            self.teams_added += 1;
            let command = Command::AddUnit {
                callsign: callsign.to_owned(),
                capabilities: capabilities.to_vec(),
                zone: Some(zone.to_owned()),
            };
            return (None, command);
        }
        let i = (self.rand() % IN_FLIGHT as u64) as usize;
        let r = self.rand();
        let free = self.free_team();
        let location = self.pick(&LOCATIONS);
        let (nature, call_type) = self.pick(&NATURES);
        let intake = self.pick(&INTAKE_NOTES);
        let scene = self.pick(&SCENE_NOTES);
        let facility = self.pick(&FACILITIES);
        let disposition = self.pick(&DISPOSITIONS);

        let slot = &mut self.slots[i];
        let call = slot.call.clone().unwrap_or_default();
        let unit = slot.unit.clone().unwrap_or_default();
        let note = |text: &str| Command::Note {
            call: call.clone(),
            text: text.to_owned(),
            caution: false,
        };
        let status = |status, detail: Option<&str>| Command::Status {
            unit: unit.clone(),
            status,
            detail: detail.map(str::to_owned),
            back_minutes: None,
        };
        let command = match slot.phase {
            0 => {
                slot.phase = 1;
                Command::TakeCall(NewCall {
                    location: location.to_owned(),
                    nature: nature.to_owned(),
                    call_type: Some(call_type),
                    priority: None,
                    caller: (!r.is_multiple_of(3)).then(|| "Jordan (store manager)".to_owned()),
                    callback: (r.is_multiple_of(2)).then(|| "503-555-0142".to_owned()),
                    zone: None,
                    coords: None,
                    civic: None,
                    placed: None,
                })
            }
            1 => {
                slot.phase = 2;
                note(intake)
            }
            2 => match free {
                Some(team) => {
                    let en_route = r.is_multiple_of(4);
                    slot.phase = if en_route { 4 } else { 3 };
                    slot.unit = Some(team.clone());
                    Command::Dispatch {
                        unit: team,
                        call,
                        en_route,
                        force: false,
                    }
                }
                None => note("holding: no team free, caller advised of delay"),
            },
            3 => {
                slot.phase = 4;
                status(UnitStatus::EnRoute, None)
            }
            4 => {
                slot.phase = 5;
                status(UnitStatus::OnScene, None)
            }
            5 => {
                slot.phase = if r % 10 < 3 { 6 } else { 8 };
                note(scene)
            }
            6 => {
                slot.phase = 7;
                status(UnitStatus::Transporting, Some(facility))
            }
            7 => {
                slot.phase = 8;
                status(UnitStatus::AtFacility, None)
            }
            8 => {
                slot.phase = 9;
                slot.unit = None;
                status(UnitStatus::Available, None)
            }
            9 => {
                slot.phase = 10;
                if r.is_multiple_of(5) {
                    Command::Set {
                        call,
                        field: CallField::Nature(format!("{nature} (updated on scene)")),
                        located: None,
                        reason: None,
                    }
                } else {
                    note("team cleared; caller informed")
                }
            }
            _ => {
                *slot = Slot::default();
                Command::Close {
                    call,
                    disposition,
                    force: false,
                    unserved: None,
                }
            }
        };
        (Some(i), command)
    }
}

/// Chains events onto `head`: each gets the next seq and the previous event's hash.
fn seal(events: Vec<Event>, mut head: Head) -> Vec<Sealed> {
    events
        .into_iter()
        .map(|mut e| {
            e.seq = head.seq + 1;
            e.prev = head.hash;
            let sealed = Sealed::new(e);
            head = Head {
                seq: sealed.event.seq,
                hash: sealed.hash(),
            };
            sealed
        })
        .collect()
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn open_store(dir: &Path) -> Store {
    Store::open(dir, StoreKind::Live).unwrap_or_else(|e| panic!("{e}"))
}

/// A desk on a fresh store with one open call; returns the desk and the call's id.
fn desk_with_a_call(dir: &Path) -> (Desk, String) {
    let mut desk = Desk::open(open_store(dir), Box::new(SystemClock), "bench").unwrap();
    let take = Command::TakeCall(NewCall {
        location: LOCATIONS[0].to_owned(),
        nature: NATURES[0].0.to_owned(),
        call_type: Some(NATURES[0].1),
        priority: None,
        caller: None,
        callback: None,
        zone: None,
        coords: None,
        civic: None,
        placed: None,
    });
    let events = desk.execute(&take).unwrap();
    // A fresh desk logs the limits it plans with first: find the call among what it made.
    let Some(call) = events.iter().find_map(|e| match &e.body {
        Body::CallCreated { call, .. } => Some(call),
        _ => None,
    }) else {
        panic!("taking a call made {events:?}");
    };
    (desk, call.as_str().to_owned())
}

fn note_command(call: &str) -> Command {
    Command::Note {
        call: call.to_owned(),
        text: SCENE_NOTES[0].to_owned(),
        caution: false,
    }
}

// ---------------------------------------------------------------------------------------------
// commit/*

fn bench_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    // One dispatcher command: plan, stamp, one apply_batch + flush + fsync, apply.
    {
        let dir = tempfile::tempdir().unwrap();
        let (mut desk, call) = desk_with_a_call(dir.path());
        let command = note_command(&call);
        group.sample_size(30).throughput(Throughput::Elements(1));
        group.bench_function("one_event", |b| {
            b.iter(|| black_box(desk.execute(&command).unwrap()));
        });
        desk.close().unwrap();
    }

    // N events in one Store::commit: the cost of a batch, per event. Events are built and
    // sealed outside the timing; only the commit is timed.
    for n in [16_usize, 256] {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open_store(dir.path());
        let origin = store.replica();
        let call = CallId::mint(2026, &origin.tag(), 1);
        let mut clock = store.hlc_mark();
        let mut batch = |store: &Store| -> Vec<Sealed> {
            let now = wall_ms();
            let events = (0..n)
                .map(|k| {
                    clock = hlc::next(clock, now);
                    Event {
                        origin,
                        seq: 0,
                        hlc: clock,
                        wall_ms: now,
                        prev: [0; 32],
                        operator: "bench".to_owned(),
                        body: Body::NoteAdded {
                            call: call.clone(),
                            text: format!("{} ({k})", SCENE_NOTES[k % SCENE_NOTES.len()]),
                            caution: false,
                            written: None,
                        },
                        request: None,
                        os_user: None,
                    }
                })
                .collect();
            seal(events, store.head(origin))
        };
        group
            .sample_size(20)
            .throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("group_of_{n}"), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let sealed = batch(&store);
                    let start = Instant::now();
                    store.commit(&sealed).unwrap();
                    spent += start.elapsed();
                }
                spent
            });
        });
        assert_eq!(
            store.blob_count(),
            0,
            "events went to sled's unsynced blobs/"
        );
        store.close().unwrap();
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// fold/*

fn bench_fold(c: &mut Criterion, sizes: &[usize; 2]) {
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let started = Instant::now();
    let all = History::new(ReplicaId(0x5eed_0001), 1).take(largest);
    println!(
        "generated {} events for fold/* in {:.1?}",
        all.len(),
        started.elapsed()
    );

    let mut group = c.benchmark_group("fold");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1));
    for &n in sizes {
        let events = &all[..n];
        // The clone is the setup, not timed; State::fold is timed whole (collect, sort, apply,
        // free the events it consumed); dropping the state it returns is not.
        group
            .throughput(Throughput::Elements(n as u64))
            .measurement_time(if n >= 1_000_000 {
                Duration::from_secs(12)
            } else {
                Duration::from_secs(4)
            });
        group.bench_function(label(n), |b| {
            b.iter_batched(|| events.to_vec(), State::fold, BatchSize::PerIteration);
        });
        // The fold's own work on the same fresh copy: apply each event to a new state, by
        // reference; sorting and freeing the events are left out (both outputs are dropped
        // after the timing). The difference from the line above is what State::fold spends
        // sorting and freeing the events it consumes.
        group.bench_function(format!("{}_apply_only", label(n)), |b| {
            b.iter_batched(
                || events.to_vec(),
                |events| {
                    let mut state = State::default();
                    for e in &events {
                        state.apply(e);
                    }
                    (state, events)
                },
                BatchSize::PerIteration,
            );
        });
        let state = State::fold(events.to_vec());
        println!(
            "fold/{}: {} events -> {} calls ({} open), {} units, {} alerts",
            label(n),
            state.event_count(),
            state.calls.len(),
            state.queue().len(),
            state.units.len(),
            state.alerts.len()
        );
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// open_fold/*

fn bench_open_fold(c: &mut Criterion, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    {
        let mut store = open_store(dir.path());
        let events = History::new(store.replica(), 2).take(n);
        let sealed = seal(events, store.head(store.replica()));
        for batch in sealed.chunks(256) {
            store.commit(batch).unwrap();
        }
        assert_eq!(store.event_count(), n as u64);
        assert_eq!(
            store.blob_count(),
            0,
            "events went to sled's unsynced blobs/"
        );
        store.close().unwrap();
    }
    println!("wrote {n} events to a store in {:.1?}", started.elapsed());

    let mut group = c.benchmark_group("open_fold");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(n as u64));
    // Store::open + Desk::open (load every event, verify the chain, fold) are timed; closing
    // the store (flush, drop sled) is not.
    group.bench_function(label(n), |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let desk = Desk::open(open_store(dir.path()), Box::new(SystemClock), "bench")
                    .unwrap_or_else(|e| panic!("{e}"));
                spent += start.elapsed();
                assert_eq!(black_box(desk.state().event_count()), n as u64);
                desk.close().unwrap();
            }
            spent
        });
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// Reports criterion does not give.

/// p50 / p99 / max of `count` single commits through the desk (`note <call> <text>`: plan,
/// stamp, `apply_batch` + flush + fsync, apply), each timed on its own.
fn latency_report(count: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (mut desk, call) = desk_with_a_call(dir.path());
    let command = note_command(&call);
    for _ in 0..count.min(50) {
        desk.execute(&command).unwrap();
    }
    let mut took: Vec<Duration> = (0..count)
        .map(|_| {
            let start = Instant::now();
            black_box(desk.execute(&command).unwrap());
            start.elapsed()
        })
        .collect();
    desk.close().unwrap();
    took.sort_unstable();
    let at = |q: f64| took[((took.len() as f64 * q).ceil() as usize).clamp(1, took.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "commit latency over {count} commits: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms \
         (mean {:.2} ms; goal p99 <= 5 ms)",
        ms(at(0.50)),
        ms(at(0.99)),
        ms(at(1.0)),
        ms(took.iter().sum::<Duration>()) / took.len() as f64,
    );
}

/// Resident memory of the state folded from `n` events: RSS before and after building it. The
/// events are folded one at a time as they are generated and then dropped, so the growth is the
/// state's own (plus allocator overhead), not the events'.
fn memory_report(n: usize) {
    let Some(before) = rss_bytes() else {
        println!("memory: unavailable (no /proc/self/status)");
        return;
    };
    let started = Instant::now();
    let mut history = History::new(ReplicaId(0x5eed_0003), 3);
    while history.state.event_count() < n as u64 {
        drop(history.step());
    }
    let elapsed = started.elapsed();
    let after = rss_bytes().unwrap_or(before);
    let state = &history.state;
    let notes: usize = state.calls.values().map(|c| c.notes.len()).sum();
    let mb = after.saturating_sub(before) as f64 / (1024.0 * 1024.0);
    println!(
        "memory: {}-event state ≈ {mb:.1} MB (RSS delta; {} calls, {notes} notes, {} units; built \
         in {elapsed:.1?}; goal <= 50 MB)",
        label(n),
        state.calls.len(),
        state.units.len(),
    );
    black_box(history);
}

/// `VmRSS` of this process, in bytes.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
