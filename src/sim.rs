//! Training simulations: a scenario's shift played through the desk on a training store, with a
//! simulated clock, and the trainee's work scored against the scenario's truth.
//!
//! The world (callers, teams, radio) and the trainee both speak the command language: calls come
//! in as `call …` lines, teams report with `enr`/`ons`/`avl`, and the trainee's scripted actions
//! are command lines at offsets. Everything random comes from one seeded [`StdRng`], and the
//! agenda runs in a fixed order, so a scenario, a seed and a set of actions always give the same
//! event log and the same score.

pub mod scenario;
pub mod score;

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};

use crate::desk::{Clock, Desk, DeskError, ManualClock, Outcome};
use crate::domain::{Body, CallId, Event, Policy, ReplicaId};
use crate::store::{Store, StoreError, StoreKind};

pub use scenario::{check_text, load, Action, Scenario, ScenarioError};
pub use score::Score;

use scenario::{expand, is_bare_ask, CallEventKind, Lognormal, WorldEventKind};

/// The shift starts at 2026-03-02 10:00 UTC, so call ids and times are the same on every run.
pub const START_MS: i64 = 1_772_445_600_000;
/// Training stores take this replica id: call ids are the same on every run.
pub const REPLICA: ReplicaId = ReplicaId(7);
/// The operator stamped on every event of a simulation.
pub const OPERATOR: &str = "trainee";

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;

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
    /// (scenario call, time, what): a weapon mentioned or a team asking for backup.
    pub escalations: Vec<(usize, i64, Escalation)>,
    /// (scenario call, time, question, answer typed, true answer).
    pub wrong_answers: Vec<(usize, i64, String, String, String)>,
    /// (time, line, reason): trainee lines the desk refused.
    pub refused: Vec<(i64, String, String)>,
    pub records: Vec<Record>,
    /// The end of the shift, in wall milliseconds.
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

/// Checks that `dir` may hold a training run: empty, or already a training store.
pub fn open_training_store(dir: &std::path::Path) -> Result<Store, String> {
    if dir.join("store").exists() {
        // Opened without a replica id first, so a live or demo store is named as such.
        let existing = Store::open(dir, StoreKind::Training).map_err(|e| e.to_string())?;
        let kind = existing.kind();
        existing.close().map_err(|e| e.to_string())?;
        if kind != StoreKind::Training {
            return Err(format!(
                "{} holds a {} store; simulations run only on a training store",
                dir.display(),
                kind.word()
            ));
        }
    }
    let store =
        Store::open_as(dir, StoreKind::Training, Some(REPLICA)).map_err(|e| e.to_string())?;
    if store.kind() != StoreKind::Training {
        return Err(format!(
            "{} holds a {} store; simulations run only on a training store",
            dir.display(),
            store.kind().word()
        ));
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
    let policy = Policy::new(crate::protocol::shipped());
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
    let clock = ManualClock::at(START_MS);
    let mut desk = Desk::open(store, Box::new(clock.clone()), OPERATOR)?;
    let mut sim = Simulation::new(scenario, seed, clock, &mut desk, Some(actions))?;
    sim.advance_to(&mut desk, sim.end_ms())?;
    let observed = sim.observed_until(sim.end_ms());
    let state = desk.state().clone();
    desk.close()?;
    Ok((observed, state))
}

/// What became of one trainee line.
#[derive(Clone, Debug, PartialEq)]
pub enum Said {
    Committed(Vec<Event>),
    /// A query's answer.
    Answered(Vec<String>),
    /// The desk refused it (or it named a call that has not come in): a mistake, and nothing
    /// changed.
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    EnRoute,
    OnScene,
    Clear,
}

impl Step {
    fn word(self) -> &'static str {
        match self {
            Step::EnRoute => "enr",
            Step::OnScene => "ons",
            Step::Clear => "avl",
        }
    }
}

#[derive(Clone, Debug)]
enum Item {
    Arrive(usize),
    CallEvent(usize, usize),
    World(usize),
    Action(usize),
    Move {
        unit: String,
        trip: u64,
        call: CallId,
        step: Step,
    },
    CheckIn {
        unit: String,
        trip: u64,
    },
}

impl Item {
    /// At the same instant the world goes first: calls ring, then news, then teams, then the
    /// trainee.
    fn rank(&self) -> u8 {
        match self {
            Item::Arrive(_) => 0,
            Item::CallEvent(..) | Item::World(_) => 1,
            Item::Move { .. } => 2,
            Item::CheckIn { .. } | Item::Action(_) => 3,
        }
    }
}

/// A scenario's shift in progress: the world's agenda, its dice and what it has seen. It drives
/// the desk it is given, one due item at a time, so a console can step it with its own clock and
/// a headless run can play it to the end; both give the same log for the same trainee lines.
pub struct Simulation {
    scenario: Arc<Scenario>,
    seed: u64,
    clock: ManualClock,
    rng: StdRng,
    agenda: BTreeMap<(i64, u8, u64), Item>,
    seq: u64,
    /// Per unit (upper case): the current trip number and its call; a status change the world
    /// did not schedule starts a new trip, which cancels what was scheduled.
    trips: BTreeMap<String, (u64, Option<CallId>)>,
    truth: Vec<BTreeMap<String, String>>,
    /// Actions waiting for their trigger.
    waiting: Vec<usize>,
    actions: Arc<[Action]>,
    /// A scripted trainee checks teams in by itself (the scenario's `checkin_every`); a person
    /// at the console does it by hand.
    scripted: bool,
    /// When each scenario call rang.
    arrived: Vec<Option<i64>>,
    /// (scenario call, what): call-backs, radio and the caller's answers, as they happen.
    heard: Vec<(usize, Heard)>,
    /// News for the trainee not yet shown: unit-down and call-backs.
    news: Vec<String>,
    observed: Observed,
}

impl Simulation {
    /// Starts the shift on `desk` (a training store's, driven by `clock`): adds the scenario's
    /// teams and books its calls, world events and, with a `script`, the trainee's actions. With
    /// no script a person is the trainee and checks teams in by hand.
    pub fn new(
        scenario: &Scenario,
        seed: u64,
        clock: ManualClock,
        desk: &mut Desk,
        script: Option<&[Action]>,
    ) -> Result<Simulation, SimError> {
        if desk.kind() != StoreKind::Training {
            return Err(SimError::Refused(format!(
                "a simulation runs only on a training store, not a {} store",
                desk.kind().word()
            )));
        }
        clock.set(START_MS);
        let calls = scenario.calls.len();
        let mut sim = Simulation {
            scenario: Arc::new(scenario.clone()),
            seed,
            clock,
            rng: StdRng::seed_from_u64(seed),
            agenda: BTreeMap::new(),
            seq: 0,
            trips: BTreeMap::new(),
            truth: scenario.calls.iter().map(|c| c.answers.clone()).collect(),
            waiting: Vec::new(),
            actions: script.unwrap_or_default().into(),
            scripted: script.is_some(),
            arrived: vec![None; calls],
            heard: Vec::new(),
            news: Vec::new(),
            observed: Observed {
                call_ids: vec![None; calls],
                gone: vec![false; calls],
                ..Observed::default()
            },
        };
        sim.set_up(desk)?;
        Ok(sim)
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulated time now, in wall milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Milliseconds since the shift began.
    pub fn elapsed_ms(&self) -> i64 {
        self.now_ms() - START_MS
    }

    /// When the shift ends, in wall milliseconds.
    pub fn end_ms(&self) -> i64 {
        START_MS + self.scenario.duration_ms
    }

    pub fn finished(&self) -> bool {
        self.now_ms() >= self.end_ms()
    }

    /// Moves the clock to `ms` (never past the end of the shift), handling everything due on the
    /// way at its own time.
    pub fn advance_to(&mut self, desk: &mut Desk, ms: i64) -> Result<(), SimError> {
        let until = ms.min(self.end_ms());
        while let Some(entry) = self.agenda.first_entry() {
            let at = entry.key().0;
            if at > until {
                break;
            }
            let item = entry.remove();
            self.clock.set(at);
            self.handle(desk, at, item)?;
        }
        if until > self.now_ms() {
            self.clock.set(until);
        }
        Ok(())
    }

    /// A line the trainee ran now: the caller answers a bare `ask` with the truth, a dispatched
    /// team starts moving, and a refusal is noted as a mistake.
    pub fn trainee_line(&mut self, desk: &mut Desk, line: &str) -> Result<Said, SimError> {
        let now = self.now_ms();
        self.trainee(desk, now, line)
    }

    /// The trainer brings the next scripted happening forward to now: a call ringing, a turn in
    /// a call, or a world event. Says what happened; `None` when nothing scripted is left.
    pub fn inject(&mut self, desk: &mut Desk) -> Result<Option<String>, SimError> {
        let next = self
            .agenda
            .iter()
            .find(|(_, item)| {
                matches!(item, Item::Arrive(_) | Item::CallEvent(..) | Item::World(_))
            })
            .map(|(key, _)| *key);
        let Some(key) = next else {
            return Ok(None);
        };
        let Some(item) = self.agenda.remove(&key) else {
            return Ok(None);
        };
        let now = self.now_ms();
        let scenario = Arc::clone(&self.scenario);
        let what = match &item {
            Item::Arrive(i) => {
                let c = &scenario.calls[*i];
                format!("call {{{}}} rings now: {}", c.id, c.nature)
            }
            Item::CallEvent(i, j) => {
                let c = &scenario.calls[*i];
                format!("on call {{{}}}: {}", c.id, c.events[*j].text)
            }
            Item::World(i) => {
                let w = &scenario.world[*i];
                match &w.kind {
                    WorldEventKind::UnitDown { unit, reason } => {
                        format!("{unit} goes out of service: {reason}")
                    }
                    WorldEventKind::Backup { call, agency } => {
                        format!("the team on {{{call}}} asks for {agency} backup")
                    }
                }
            }
            _ => String::new(),
        };
        self.handle(desk, now, item)?;
        Ok(Some(what))
    }

    /// What was heard on a scenario call up to now, oldest first: the caller's lines as the
    /// scenario reveals them, call-backs, radio, and the caller's answers to bare `ask`s.
    pub fn heard(&self, call: &CallId) -> Vec<Heard> {
        let Some(i) = self
            .observed
            .call_ids
            .iter()
            .position(|c| c.as_ref() == Some(call))
        else {
            return Vec::new();
        };
        let Some(rang) = self.arrived[i] else {
            return Vec::new();
        };
        let now = self.now_ms();
        let mut out: Vec<Heard> = self.scenario.calls[i]
            .lines
            .iter()
            .filter(|(after, _)| rang + after <= now)
            .map(|(after, text)| Heard {
                at_ms: rang + after,
                voice: Voice::Caller,
                text: text.clone(),
                asked: None,
            })
            .collect();
        out.extend(
            self.heard
                .iter()
                .filter(|(c, _)| *c == i)
                .map(|(_, h)| h.clone()),
        );
        out.sort_by_key(|h| h.at_ms);
        out
    }

    /// The scenario's hint for a call, for the trainee.
    pub fn hint(&self, call: &CallId) -> Option<&str> {
        let i = self
            .observed
            .call_ids
            .iter()
            .position(|c| c.as_ref() == Some(call))?;
        self.scenario.calls[i].hint.as_deref()
    }

    /// News since the last time this was asked (a team out of service, a call-back, radio).
    pub fn take_news(&mut self) -> Vec<String> {
        std::mem::take(&mut self.news)
    }

    /// What was observed, as if the shift ended at `end_ms`.
    pub fn observed_until(&self, end_ms: i64) -> Observed {
        let mut observed = self.observed.clone();
        observed.end_ms = end_ms;
        observed
    }

    /// Scores the work done so far: at the end of the shift, or now if it was cut short.
    pub fn score(&self, desk: &Desk) -> Score {
        let observed = self.observed_until(self.now_ms().min(self.end_ms()));
        // The shipped protocol, as in a headless run: the scenario's truth is written against it.
        let policy = Policy::new(crate::protocol::shipped());
        score::score(&self.scenario, self.seed, &observed, desk.state(), &policy)
    }
}

impl Simulation {
    fn at(&mut self, at: i64, item: Item) {
        self.seq += 1;
        self.agenda.insert((at, item.rank(), self.seq), item);
    }

    fn set_up(&mut self, desk: &mut Desk) -> Result<(), SimError> {
        let scenario = Arc::clone(&self.scenario);
        for u in &scenario.units {
            let caps: Vec<&str> = u.capabilities.iter().map(|c| c.word()).collect();
            let mut line = format!("unit add {} {}", u.callsign, caps.join(","));
            if let Some(zone) = &u.zone {
                line = format!("{line} --zone {zone}");
            }
            self.world(desk, &line)?;
        }
        for (i, c) in scenario.calls.iter().enumerate() {
            self.at(START_MS + c.at_ms, Item::Arrive(i));
        }
        for (i, w) in scenario.world.iter().enumerate() {
            self.at(START_MS + w.at_ms, Item::World(i));
        }
        let actions = Arc::clone(&self.actions);
        for (i, a) in actions.iter().enumerate() {
            if a.after.is_some() {
                self.waiting.push(i);
            } else {
                self.at(START_MS + a.at_ms, Item::Action(i));
            }
        }
        Ok(())
    }

    /// A line from the world; the world's own lines must not be refused.
    fn world(&mut self, desk: &mut Desk, line: &str) -> Result<Vec<Event>, SimError> {
        match desk.execute_line(line) {
            Ok(events) => {
                self.record(Actor::World, &events);
                Ok(events)
            }
            Err(DeskError::Store(e)) => Err(e.into()),
            Err(e) => Err(SimError::Refused(format!(
                "the simulation's own line `{line}` was refused: {e}"
            ))),
        }
    }

    fn record(&mut self, actor: Actor, events: &[Event]) {
        self.observed.records.extend(events.iter().map(|e| Record {
            actor,
            event: e.clone(),
        }));
    }

    fn call_index(&self, id: &str) -> Option<usize> {
        self.observed.call_ids.iter().position(|c| {
            c.as_ref()
                .is_some_and(|c| c.as_str().eq_ignore_ascii_case(id))
        })
    }

    fn handle(&mut self, desk: &mut Desk, now: i64, item: Item) -> Result<(), SimError> {
        match item {
            Item::Arrive(i) => self.arrive(desk, now, i),
            Item::CallEvent(i, j) => {
                let scenario = Arc::clone(&self.scenario);
                let event = &scenario.calls[i].events[j];
                if !event.text.is_empty() {
                    self.heard.push((
                        i,
                        Heard {
                            at_ms: now,
                            voice: Voice::Callback,
                            text: event.text.clone(),
                            asked: None,
                        },
                    ));
                    let on = self.observed.call_ids[i]
                        .as_ref()
                        .map_or_else(|| scenario.calls[i].id.clone(), ToString::to_string);
                    self.news.push(format!("Callback on {on}: {}", event.text));
                }
                for (q, a) in &event.answers {
                    self.truth[i].insert(q.clone(), a.clone());
                }
                if event.escalates() {
                    let what = match event.kind {
                        CallEventKind::Weapon => "weapon mentioned".to_owned(),
                        _ => event.text.clone(),
                    };
                    self.observed
                        .escalations
                        .push((i, now, Escalation::Changed(what)));
                }
                if event.kind == CallEventKind::Leaves {
                    let arrived = self.observed.call_ids[i].as_ref().is_some_and(|id| {
                        desk.state()
                            .calls
                            .get(id)
                            .is_some_and(|c| c.assignments.iter().any(|a| a.on_scene_ms.is_some()))
                    });
                    if !arrived {
                        self.observed.gone[i] = true;
                    }
                }
                Ok(())
            }
            Item::World(i) => self.world_event(desk, now, i),
            Item::Action(i) => {
                let line = self.actions[i].run.clone();
                self.trainee(desk, now, &line).map(|_| ())
            }
            Item::Move {
                unit,
                trip,
                call,
                step,
            } => self.advance(desk, now, &unit, trip, &call, step),
            Item::CheckIn { unit, trip } => {
                if !self.on_trip(&unit, trip) {
                    return Ok(());
                }
                let on_scene =
                    Self::unit_status(desk, &unit) == Some(crate::domain::UnitStatus::OnScene);
                if on_scene {
                    self.trainee(desk, now, &format!("ok {unit}"))?;
                }
                if let Some(every) = self.scenario.checkin_every_ms {
                    self.at(now + every, Item::CheckIn { unit, trip });
                }
                Ok(())
            }
        }
    }

    fn arrive(&mut self, desk: &mut Desk, now: i64, i: usize) -> Result<(), SimError> {
        let scenario = Arc::clone(&self.scenario);
        let c = &scenario.calls[i];
        self.arrived[i] = Some(now);
        let mut line = format!(
            "call {} / {} --type {}",
            c.location.replace('/', " "),
            c.nature.replace('/', " "),
            c.call_type
        );
        if let Some(p) = c.priority {
            line = format!("{line} --pri {p}");
        }
        if let Some(zone) = &c.zone {
            line = format!("{line} --zone {zone}");
        }
        let events = self.world(desk, &line)?;
        let id = events.iter().find_map(|e| match &e.body {
            Body::CallCreated { call, .. } => Some(call.clone()),
            _ => None,
        });
        self.observed.call_ids[i] = id;
        for j in 0..c.events.len() {
            self.at(now + c.events[j].after_ms, Item::CallEvent(i, j));
        }
        Ok(())
    }

    fn world_event(&mut self, desk: &mut Desk, now: i64, i: usize) -> Result<(), SimError> {
        let scenario = Arc::clone(&self.scenario);
        let event = &scenario.world[i];
        match &event.kind {
            WorldEventKind::UnitDown { unit, reason } => {
                self.news
                    .push(format!("{unit} goes out of service: {reason}"));
                let busy = Self::unit_call(desk, unit).is_some();
                self.new_trip(unit, None);
                if busy {
                    self.world(desk, &format!("avl {unit}"))?;
                }
                if Self::unit_status(desk, unit) != Some(crate::domain::UnitStatus::OutOfService) {
                    self.world(desk, &format!("oos {unit} {reason}"))?;
                }
            }
            WorldEventKind::Backup { call, agency } => {
                if let Some(c) = self.scenario.calls.iter().position(|c| &c.id == call) {
                    self.observed
                        .escalations
                        .push((c, now, Escalation::Backup(*agency)));
                    let text = if event.text.is_empty() {
                        format!("the team asks for {agency} backup")
                    } else {
                        event.text.clone()
                    };
                    self.heard.push((
                        c,
                        Heard {
                            at_ms: now,
                            voice: Voice::Radio,
                            text: text.clone(),
                            asked: None,
                        },
                    ));
                    let on = self.observed.call_ids[c]
                        .as_ref()
                        .map_or_else(|| call.clone(), ToString::to_string);
                    self.news.push(format!("Radio on {on}: {text}"));
                }
            }
        }
        Ok(())
    }

    fn trainee(&mut self, desk: &mut Desk, now: i64, line: &str) -> Result<Said, SimError> {
        let ids = &self.observed.call_ids;
        let calls = &self.scenario.calls;
        let expanded = expand(line, |id| {
            let i = calls.iter().position(|c| c.id == id)?;
            ids[i].as_ref().map(|c| c.as_str().to_owned())
        });
        let mut line = match expanded {
            Ok(l) => l,
            Err(id) => {
                let why = format!("call {{{id}}} has not come in yet");
                self.observed
                    .refused
                    .push((now, line.to_owned(), why.clone()));
                return Ok(Said::Refused(why));
            }
        };
        let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        let asked =
            if words.len() >= 3 && ["ask", "triage"].contains(&words[0].to_lowercase().as_str()) {
                self.call_index(&words[1]).zip(
                    desk.policy()
                        .protocol
                        .question(&words[2])
                        .map(|q| q.id.clone()),
                )
            } else {
                None
            };
        let mut caller_answers = None;
        if let (true, Some((i, q))) = (is_bare_ask(&line), &asked) {
            let truth = self.truth[*i]
                .get(q)
                .cloned()
                .unwrap_or_else(|| crate::domain::triage::UNKNOWN.to_owned());
            line = format!("{line} {truth}");
            caller_answers = Some((*i, q.clone(), truth));
        }
        match desk.run_line(&line) {
            Ok(Outcome::Committed(events)) => {
                self.record(Actor::Trainee, &events);
                for e in &events {
                    self.follow(now, e, asked.as_ref());
                }
                if let Some((i, q, truth)) = caller_answers {
                    self.heard.push((
                        i,
                        Heard {
                            at_ms: now,
                            voice: Voice::Caller,
                            text: spoken(&truth),
                            asked: Some(q),
                        },
                    ));
                }
                Ok(Said::Committed(events))
            }
            Ok(Outcome::Answered(lines)) => Ok(Said::Answered(lines)),
            Err(DeskError::Store(e)) => Err(e.into()),
            Err(e) => {
                let why = e.to_string();
                self.observed.refused.push((now, line, why.clone()));
                Ok(Said::Refused(why))
            }
        }
    }

    /// What the world does after a trainee's change: teams move when dispatched; a status the
    /// trainee set by hand replaces what the team would have reported.
    fn follow(&mut self, now: i64, e: &Event, asked: Option<&(usize, String)>) {
        match &e.body {
            Body::TriageAnswered {
                question, answer, ..
            } => {
                if let Some((i, _)) = asked {
                    let truth = self.truth[*i]
                        .get(question)
                        .map_or(crate::domain::triage::UNKNOWN, String::as_str);
                    if truth != answer {
                        self.observed.wrong_answers.push((
                            *i,
                            now,
                            question.clone(),
                            answer.clone(),
                            truth.to_owned(),
                        ));
                    }
                }
            }
            Body::UnitDispatched {
                unit,
                call,
                en_route,
                ..
            } => {
                let unit = unit.as_str().to_owned();
                let trip = self.new_trip(&unit, Some(call.clone()));
                let (step, delay) = if *en_route {
                    (Step::OnScene, self.duration(self.scenario.behaviour.travel))
                } else {
                    let (lo, hi) = self.scenario.behaviour.turnout;
                    let s = if hi > lo {
                        self.rng.random_range(lo..=hi)
                    } else {
                        lo
                    };
                    (Step::EnRoute, (s * SECOND as f64) as i64)
                };
                self.at(
                    now + delay,
                    Item::Move {
                        unit,
                        trip,
                        call: call.clone(),
                        step,
                    },
                );
            }
            Body::UnitStatusChanged { unit, .. } => {
                self.new_trip(unit.as_str(), None);
            }
            _ => {}
        }
    }

    fn advance(
        &mut self,
        desk: &mut Desk,
        now: i64,
        unit: &str,
        trip: u64,
        call: &CallId,
        step: Step,
    ) -> Result<(), SimError> {
        if !self.on_trip(unit, trip) || Self::unit_call(desk, unit).as_ref() != Some(call) {
            return Ok(());
        }
        self.world(desk, &format!("{} {unit}", step.word()))?;
        let next = match step {
            Step::EnRoute => Some((Step::OnScene, self.duration(self.scenario.behaviour.travel))),
            Step::OnScene => {
                let gone = self
                    .observed
                    .call_ids
                    .iter()
                    .position(|c| c.as_ref() == Some(call))
                    .is_some_and(|i| self.observed.gone[i]);
                let stay = if gone {
                    5 * MINUTE
                } else {
                    self.duration(self.scenario.behaviour.on_scene)
                };
                if let Some(every) = self.scenario.checkin_every_ms.filter(|_| self.scripted) {
                    self.at(
                        now + every,
                        Item::CheckIn {
                            unit: unit.to_owned(),
                            trip,
                        },
                    );
                }
                Some((Step::Clear, stay))
            }
            Step::Clear => None,
        };
        if let Some((step, delay)) = next {
            self.at(
                now + delay,
                Item::Move {
                    unit: unit.to_owned(),
                    trip,
                    call: call.clone(),
                    step,
                },
            );
        }
        self.trigger(desk, now, step.word(), unit, call);
        Ok(())
    }

    /// Starts the actions waiting for this report.
    fn trigger(&mut self, desk: &Desk, now: i64, status: &str, unit: &str, call: &CallId) {
        let mut started = Vec::new();
        for (k, &i) in self.waiting.iter().enumerate() {
            let Some(t) = &self.actions[i].after else {
                continue;
            };
            let call_matches = self
                .scenario
                .calls
                .iter()
                .position(|c| c.id == t.call)
                .and_then(|c| self.observed.call_ids[c].as_ref())
                == Some(call);
            // `avl * {call}` waits for the last unit on the call to clear.
            let unit_matches = if t.unit == "*" {
                status != "avl"
                    || desk
                        .state()
                        .calls
                        .get(call)
                        .is_some_and(|c| c.active_units().next().is_none())
            } else {
                t.unit.eq_ignore_ascii_case(unit)
            };
            if t.status == status && unit_matches && call_matches {
                started.push(k);
            }
        }
        for k in started.into_iter().rev() {
            let i = self.waiting.remove(k);
            self.at(now + self.actions[i].at_ms, Item::Action(i));
        }
    }

    /// The world's moves for the unit stop; a new trip begins (numbered).
    fn new_trip(&mut self, unit: &str, call: Option<CallId>) -> u64 {
        let entry = self
            .trips
            .entry(unit.to_ascii_uppercase())
            .or_insert((0, None));
        entry.0 += 1;
        entry.1 = call;
        entry.0
    }

    fn on_trip(&self, unit: &str, trip: u64) -> bool {
        self.trips
            .get(&unit.to_ascii_uppercase())
            .is_some_and(|(t, _)| *t == trip)
    }

    fn unit<'d>(desk: &'d Desk, unit: &str) -> Option<&'d crate::domain::Unit> {
        desk.state()
            .units
            .values()
            .find(|u| u.callsign.as_str().eq_ignore_ascii_case(unit))
    }

    fn unit_call(desk: &Desk, unit: &str) -> Option<CallId> {
        Self::unit(desk, unit).and_then(|u| u.call.clone())
    }

    fn unit_status(desk: &Desk, unit: &str) -> Option<crate::domain::UnitStatus> {
        Self::unit(desk, unit).map(|u| u.status)
    }

    fn duration(&mut self, d: Lognormal) -> i64 {
        let minutes = LogNormal::new(d.median_min.ln(), d.sigma)
            .map_or(d.median_min, |l| l.sample(&mut self.rng));
        (minutes.clamp(d.min_min, d.max_min) * MINUTE as f64) as i64
    }
}

/// How a caller says an answer: `yes` is "Yes.", `unknown` is "I don't know.".
fn spoken(answer: &str) -> String {
    match answer {
        "yes" => "Yes.".to_owned(),
        "no" => "No.".to_owned(),
        crate::domain::triage::UNKNOWN => "I don't know.".to_owned(),
        other => {
            let mut chars = other.chars();
            chars.next().map_or_else(String::new, |first| {
                format!(
                    "{}{}.",
                    first.to_uppercase(),
                    chars.as_str().replace('-', " ")
                )
            })
        }
    }
}
