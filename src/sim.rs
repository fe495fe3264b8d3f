//! Training simulations: a scenario's shift played through the desk on a training store, with a
//! simulated clock, and the trainee's work scored against the scenario's truth.
//!
//! The world (callers, teams, radio) and the trainee both speak the command language: calls come
//! in as `call …` lines, teams report with `enr`/`ons`/`trn`/`atf`/`avl`, and the trainee's
//! scripted actions are command lines at offsets. Everything random comes from one seeded
//! [`StdRng`](rand::rngs::StdRng), and the agenda runs in a fixed order, so a scenario, a seed and
//! a set of actions always give the same event log and the same score.
//!
//! The parts: [`shift`] is the scenario's world in progress and [`trainee`] the trainee's side of
//! it; [`world`] is what every world driving a desk shares (the console steps it; the demo's
//! centre is one too), with its [`agenda`] and its [`teams`]; [`scenario`] reads the files;
//! [`score`] scores a run and [`report`] writes it.

pub mod agenda;
pub mod from_calls;
pub mod report;
pub mod scenario;
pub mod score;
pub mod shift;
pub mod teams;
pub mod trainee;
pub mod world;

use crate::desk::{Desk, ManualClock};
use crate::domain::{CallId, Event, Policy, ReplicaId};
use crate::store::{Store, StoreError, StoreKind};

pub use scenario::{check_text, load, Action, Scenario, ScenarioError};
pub use score::Score;
pub use shift::Simulation;
pub use world::{News, World};

/// A shift starts on 2026-03-02 at its scenario's `start` (10:00 UTC unless it says), so call
/// ids and times are the same on every run.
pub const DAY_MS: i64 = 1_772_409_600_000;
/// The start of a shift whose scenario names no `start`: 10:00.
pub const START_MS: i64 = DAY_MS + 10 * 3_600_000;
/// Training stores take this replica id: call ids are the same on every run.
pub const REPLICA: ReplicaId = ReplicaId(7);
/// The operator stamped on every event of a simulation.
pub const OPERATOR: &str = "trainee";

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Refused(String),
}

/// Who wrote an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    World,
    Trainee,
}

/// One committed event and who caused it.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub actor: Actor,
    pub event: Event,
}

/// What happened in the shift that the log alone does not say, for scoring.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// The call id each scenario call got, once it came in.
    pub call_ids: Vec<Option<CallId>>,
    /// When the person left, for calls whose person left before a team got there.
    pub gone: Vec<bool>,
    /// Per scenario call, on the trainee's clock (real milliseconds at the console, whatever
    /// the simulated clock's speed): when it rang, and the trainee's first change to it.
    pub rang_real_ms: Vec<Option<i64>>,
    pub answered_real_ms: Vec<Option<i64>>,
    /// The fastest the simulated clock ran while time went by (× real time).
    pub fastest: f64,
    /// (scenario call, time, what): a weapon mentioned or a team asking for backup.
    pub escalations: Vec<(usize, i64, Escalation)>,
    /// (scenario call, time, question, answer typed, true answer).
    pub wrong_answers: Vec<(usize, i64, String, String, String)>,
    /// (time, line, reason): trainee lines the desk refused.
    pub refused: Vec<(i64, String, String)>,
    pub records: Vec<Record>,
    /// The start and the end of the shift, in wall milliseconds.
    pub start_ms: i64,
    pub end_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Escalation {
    /// The caller's story changed (a weapon, violence, a medical turn): re-triage, change the
    /// response or ask for backup.
    Changed(String),
    /// A team asked for backup from this agency.
    Backup(crate::domain::Agency),
}

/// What became of one trainee line.
#[derive(Clone, Debug, PartialEq)]
pub enum Said {
    Committed(Vec<Event>),
    /// A query's answer.
    Answered(Vec<String>),
    /// The desk refused it (or it named a call that has not come in): nothing changed.
    Refused(String),
}

/// Who is speaking in a line the trainee hears about a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Voice {
    /// The caller, on the line.
    Caller,
    /// The caller calling back, or news about the call.
    Callback,
    /// A team on the radio.
    Radio,
}

impl Voice {
    pub fn word(self) -> &'static str {
        match self {
            Voice::Caller => "Caller",
            Voice::Callback => "Callback",
            Voice::Radio => "Radio",
        }
    }
}

/// One thing said about a scenario call, with when it was said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heard {
    pub at_ms: i64,
    pub voice: Voice,
    pub text: String,
    /// The question id, when this is the caller's answer to one.
    pub asked: Option<String>,
}

/// Checks that `dir` may hold a training run: empty, or already a training store.
pub fn open_training_store(dir: &std::path::Path) -> Result<Store, String> {
    let not_training = |kind: StoreKind| {
        format!(
            "{} holds a {} store; simulations run only on a training store",
            dir.display(),
            kind.word()
        )
    };
    if dir.join("store").exists() {
        // Opened without a replica id first, so a live or demo store is named as such.
        let existing = Store::open(dir, StoreKind::Training).map_err(|e| e.to_string())?;
        let kind = existing.kind();
        existing.close().map_err(|e| e.to_string())?;
        if kind != StoreKind::Training {
            return Err(not_training(kind));
        }
    }
    let store =
        Store::open_as(dir, StoreKind::Training, Some(REPLICA)).map_err(|e| e.to_string())?;
    if store.kind() != StoreKind::Training {
        return Err(not_training(store.kind()));
    }
    if store.event_count() > 0 {
        return Err(format!(
            "{} already holds a training run ({} events); give an empty dir",
            dir.display(),
            store.event_count()
        ));
    }
    Ok(store)
}

/// Runs the scenario on `store` (a fresh training store) with the trainee's `actions`, and
/// scores it. The store is closed at the end; its log is the run's record.
pub fn run(
    scenario: &Scenario,
    seed: u64,
    store: Store,
    actions: &[Action],
) -> Result<Score, SimError> {
    let (observed, state) = play(scenario, seed, store, actions)?;
    let policy = Policy::new(crate::config::protocol::shipped());
    Ok(score::score(scenario, seed, &observed, &state, &policy))
}

/// Runs the scenario and returns what was observed and the final state, without scoring.
pub fn play(
    scenario: &Scenario,
    seed: u64,
    store: Store,
    actions: &[Action],
) -> Result<(Observed, crate::domain::State), SimError> {
    if store.kind() != StoreKind::Training {
        return Err(SimError::Refused(format!(
            "a simulation runs only on a training store, not a {} store",
            store.kind().word()
        )));
    }
    let clock = ManualClock::at(scenario.start_ms());
    let mut desk = Desk::open(store, Box::new(clock.clone()), OPERATOR)?;
    let mut sim = Simulation::new(scenario, seed, clock, &mut desk, Some(actions))?;
    sim.advance_to(&mut desk, sim.end_ms())?;
    let observed = sim.observed_until(sim.end_ms());
    let state = desk.state().clone();
    desk.close()?;
    Ok((observed, state))
}
