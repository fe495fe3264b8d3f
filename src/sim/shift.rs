//! A scenario's shift in progress: its agenda, its dice, and the world's side of it (calls
//! ringing, callers calling back, teams moving and reporting, world events). The trainee's side
//! is in `trainee.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::desk::{Clock, Desk, DeskError, ManualClock};
use crate::domain::{Body, CallId, Capability, Disposition, Event, Policy, UnitStatus};
use crate::store::StoreKind;

use super::agenda::Agenda;
use super::scenario::{Action, CallEventKind, Scenario, WorldEventKind};
use super::teams::{Step, Trips};
use super::world::{News, World};
use super::{Actor, Escalation, Heard, Observed, Record, Score, SimError, Voice};

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;

#[derive(Clone, Debug)]
pub(super) enum Item {
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

    /// A scripted happening the trainer can bring forward.
    fn scripted(&self) -> bool {
        matches!(self, Item::Arrive(_) | Item::CallEvent(..) | Item::World(_))
    }
}

/// A scenario's shift in progress: the world's agenda, its dice and what it has seen. It drives
/// the desk it is given, one due item at a time, so a console can step it with its own clock and
/// a headless run can play it to the end; both give the same log for the same trainee lines.
pub struct Simulation {
    pub(super) scenario: Arc<Scenario>,
    seed: u64,
    clock: ManualClock,
    pub(super) rng: StdRng,
    /// Rides and hand-overs draw from dice of their own, so that they leave every other draw
    /// (and the scripts of shipped scenarios, written against them) as it was.
    rides: StdRng,
    agenda: Agenda<Item>,
    pub(super) trips: Trips,
    pub(super) truth: Vec<BTreeMap<String, String>>,
    /// Actions waiting for their trigger.
    waiting: Vec<usize>,
    pub(super) actions: Arc<[Action]>,
    /// A scripted trainee checks teams in by itself (the scenario's `checkin_every`); a person
    /// at the console does it by hand.
    scripted: bool,
    /// When each scenario call rang.
    arrived: Vec<Option<i64>>,
    /// (scenario call, what): call-backs, radio and the caller's answers, as they happen.
    pub(super) heard: Vec<(usize, Heard)>,
    /// What the trainee has not been told yet.
    news: News,
    /// Simulated milliseconds per real millisecond at the console (1 when headless).
    pace: f64,
    /// Real milliseconds since the start at the console: the trainee's own clock.
    real_ms: f64,
    pub(super) observed: Observed,
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
        clock.set(scenario.start_ms());
        let calls = scenario.calls.len();
        let mut sim = Simulation {
            scenario: Arc::new(scenario.clone()),
            seed,
            clock,
            rng: StdRng::seed_from_u64(seed),
            rides: StdRng::seed_from_u64(seed ^ 0x7269_6465),
            agenda: Agenda::default(),
            trips: Trips::default(),
            truth: scenario.calls.iter().map(|c| c.answers.clone()).collect(),
            waiting: Vec::new(),
            actions: script.unwrap_or_default().into(),
            scripted: script.is_some(),
            arrived: vec![None; calls],
            heard: Vec::new(),
            news: News::default(),
            pace: 1.0,
            real_ms: 0.0,
            observed: Observed {
                call_ids: vec![None; calls],
                gone: vec![false; calls],
                rang_real_ms: vec![None; calls],
                answered_real_ms: vec![None; calls],
                fastest: 1.0,
                start_ms: scenario.start_ms(),
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
        self.now_ms() - self.scenario.start_ms()
    }

    /// When the shift ends, in wall milliseconds.
    pub fn end_ms(&self) -> i64 {
        self.scenario.start_ms() + self.scenario.duration_ms
    }

    pub fn finished(&self) -> bool {
        self.now_ms() >= self.end_ms()
    }

    /// How fast the simulated clock runs against the trainee's (× real time): the console
    /// says so whenever its speed changes, so answer times are scored in real seconds.
    pub fn set_pace(&mut self, speed: f64) {
        if speed > 0.0 && speed.is_finite() {
            self.pace = speed;
        }
    }

    /// The trainee's clock now: real milliseconds since the start.
    pub(super) fn real_now(&self) -> i64 {
        self.real_ms.floor() as i64
    }

    /// Moves the clock to `ms` (never past the end of the shift), handling everything due on the
    /// way at its own time.
    pub fn advance_to(&mut self, desk: &mut Desk, ms: i64) -> Result<(), SimError> {
        let until = ms.min(self.end_ms());
        while let Some((at, item)) = self.agenda.next_due(until) {
            self.pass_to(at);
            self.handle(desk, at, item)?;
        }
        self.pass_to(until);
        Ok(())
    }

    /// The simulated clock moves on to `at`, and the trainee's with it at the pace.
    fn pass_to(&mut self, at: i64) {
        let now = self.now_ms();
        if at > now {
            self.real_ms += (at - now) as f64 / self.pace;
            self.observed.fastest = self.observed.fastest.max(self.pace);
            self.clock.set(at);
        }
    }

    /// The trainer brings the next scripted happening forward to now: a call ringing, a turn in
    /// a call, or a world event. Says what happened; `None` when nothing scripted is left.
    pub fn inject(&mut self, desk: &mut Desk) -> Result<Option<String>, SimError> {
        let Some((_, item)) = self.agenda.take_first(Item::scripted) else {
            return Ok(None);
        };
        let now = self.now_ms();
        self.handle(desk, now, item.clone())?;
        let scenario = Arc::clone(&self.scenario);
        let what = match &item {
            Item::Arrive(i) => format!(
                "call {} rings now: {}",
                self.label(*i),
                scenario.calls[*i].nature
            ),
            Item::CallEvent(i, j) => format!(
                "on call {}: {}",
                self.label(*i),
                scenario.calls[*i].events[*j].text
            ),
            Item::World(i) => match &scenario.world[*i].kind {
                WorldEventKind::UnitDown { unit, reason } => {
                    format!("{unit} goes out of service: {reason}")
                }
                WorldEventKind::Backup { call, agency } => {
                    let on = scenario
                        .calls
                        .iter()
                        .position(|c| &c.id == call)
                        .map_or_else(|| call.clone(), |c| self.label(c));
                    format!("the team on {on} asks for {agency} backup")
                }
            },
            _ => String::new(),
        };
        Ok(Some(what))
    }

    /// A scenario call as the trainer and the trainee both know it: `26-HA0003 (c3)`, or just
    /// the scenario's name before it has come in.
    pub fn label(&self, i: usize) -> String {
        let name = &self.scenario.calls[i].id;
        match &self.observed.call_ids[i] {
            Some(id) => format!("{id} ({name})"),
            None => name.clone(),
        }
    }

    /// What was heard on a scenario call up to now, oldest first: the caller's lines as the
    /// scenario reveals them, call-backs, radio, and the caller's answers to bare `ask`s.
    pub fn heard(&self, call: &CallId) -> Vec<Heard> {
        let Some(i) = self.index_of(call) else {
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
        let i = self.index_of(call)?;
        self.scenario.calls[i].hint.as_deref()
    }

    /// News since the last time this was asked (calls ringing, call-backs, radio, a team out of
    /// service).
    pub fn take_news(&mut self) -> News {
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
        let policy = Policy::new(crate::config::protocol::shipped());
        super::score::score(&self.scenario, self.seed, &observed, desk.state(), &policy)
    }

    pub(super) fn index_of(&self, call: &CallId) -> Option<usize> {
        self.observed
            .call_ids
            .iter()
            .position(|c| c.as_ref() == Some(call))
    }

    pub(super) fn book(&mut self, at: i64, item: Item) {
        let rank = item.rank();
        self.agenda.book(at, rank, item);
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
        let start = scenario.start_ms();
        for (i, c) in scenario.calls.iter().enumerate() {
            self.book(start + c.at_ms, Item::Arrive(i));
        }
        for (i, w) in scenario.world.iter().enumerate() {
            self.book(start + w.at_ms, Item::World(i));
        }
        let actions = Arc::clone(&self.actions);
        for (i, a) in actions.iter().enumerate() {
            if a.after.is_some() {
                self.waiting.push(i);
            } else {
                self.book(start + a.at_ms, Item::Action(i));
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

    pub(super) fn record(&mut self, actor: Actor, events: &[Event]) {
        if actor == Actor::Trainee {
            let now = self.real_now();
            for e in events {
                for call in e.body.calls() {
                    if let Some(i) = self.index_of(call) {
                        self.observed.answered_real_ms[i].get_or_insert(now);
                    }
                }
            }
        }
        self.observed.records.extend(events.iter().map(|e| Record {
            actor,
            event: e.clone(),
        }));
    }

    fn handle(&mut self, desk: &mut Desk, now: i64, item: Item) -> Result<(), SimError> {
        match item {
            Item::Arrive(i) => self.arrive(desk, now, i),
            Item::CallEvent(i, j) => {
                self.call_event(desk, now, i, j);
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
                if !self.trips.is_current(&unit, trip) {
                    return Ok(());
                }
                if Self::unit_status(desk, &unit) == Some(UnitStatus::OnScene) {
                    self.trainee(desk, now, &format!("ok {unit}"))?;
                }
                if let Some(every) = self.scenario.checkin_every_ms {
                    self.book(now + every, Item::CheckIn { unit, trip });
                }
                Ok(())
            }
        }
    }

    fn arrive(&mut self, desk: &mut Desk, now: i64, i: usize) -> Result<(), SimError> {
        let scenario = Arc::clone(&self.scenario);
        let c = &scenario.calls[i];
        self.arrived[i] = Some(now);
        self.observed.rang_real_ms[i] = Some(self.real_now());
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
        if let Some(id) = &id {
            self.news
                .ring(format!("New call {id}: {} at {}", c.nature, c.location));
        }
        self.observed.call_ids[i] = id;
        for j in 0..c.events.len() {
            self.book(now + c.events[j].after_ms, Item::CallEvent(i, j));
        }
        Ok(())
    }

    fn call_event(&mut self, desk: &Desk, now: i64, i: usize, j: usize) {
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
            let on = self.label(i);
            self.news.ring(format!("Callback on {on}: {}", event.text));
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
    }

    fn world_event(&mut self, desk: &mut Desk, now: i64, i: usize) -> Result<(), SimError> {
        let scenario = Arc::clone(&self.scenario);
        let event = &scenario.world[i];
        match &event.kind {
            WorldEventKind::UnitDown { unit, reason } => {
                self.news
                    .say(format!("{unit} goes out of service: {reason}"));
                let busy = Self::unit_call(desk, unit).is_some();
                self.trips.start(unit, None);
                if busy {
                    self.world(desk, &format!("avl {unit}"))?;
                }
                if Self::unit_status(desk, unit) != Some(UnitStatus::OutOfService) {
                    self.world(desk, &format!("oos {unit} {reason}"))?;
                }
            }
            WorldEventKind::Backup { call, agency } => {
                if let Some(c) = scenario.calls.iter().position(|c| &c.id == call) {
                    self.observed
                        .escalations
                        .push((c, now, Escalation::Backup(*agency)));
                    let text = if event.text.is_empty() {
                        format!("the team asks for {agency} backup")
                    } else {
                        event.text.clone()
                    };
                    self.radio(c, now, text);
                }
            }
        }
        Ok(())
    }

    /// A team on a scenario call speaks on the radio: on the call, and on the message line.
    fn radio(&mut self, i: usize, now: i64, text: String) {
        let on = self.label(i);
        self.news.say(format!("Radio on {on}: {text}"));
        self.heard.push((
            i,
            Heard {
                at_ms: now,
                voice: Voice::Radio,
                text,
                asked: None,
            },
        ));
    }

    /// A team reports its next step; what comes after it is booked.
    fn advance(
        &mut self,
        desk: &mut Desk,
        now: i64,
        unit: &str,
        trip: u64,
        call: &CallId,
        step: Step,
    ) -> Result<(), SimError> {
        if !self.trips.is_current(unit, trip) || Self::unit_call(desk, unit).as_ref() != Some(call)
        {
            return Ok(());
        }
        // A team done on scene transports the person when the call ends in a ride (one team
        // does, never police when a community team is on the call too); otherwise it clears.
        let step =
            if step == Step::Clear && Self::unit_status(desk, unit) == Some(UnitStatus::OnScene) {
                self.ride(desk, unit, call)
                    .map_or(Step::Clear, Step::Transport)
            } else {
                step
            };
        let last = step == Step::Clear
            && desk
                .state()
                .calls
                .get(call)
                .is_some_and(|c| c.active_units().count() == 1);
        self.world(desk, &step.line(unit))?;
        let i = self.index_of(call);
        let behaviour = self.scenario.behaviour.clone();
        let next = match &step {
            Step::EnRoute => Some((Step::OnScene, behaviour.travel.sample_ms(&mut self.rng))),
            Step::OnScene => {
                let gone = i.is_some_and(|i| self.observed.gone[i]);
                let stay = if gone {
                    5 * MINUTE
                } else {
                    behaviour.on_scene.sample_ms(&mut self.rng)
                };
                if let Some(every) = self.scenario.checkin_every_ms.filter(|_| self.scripted) {
                    self.book(
                        now + every,
                        Item::CheckIn {
                            unit: unit.to_owned(),
                            trip,
                        },
                    );
                }
                Some((Step::Clear, stay))
            }
            Step::Transport(to) => {
                if let Some(i) = i {
                    self.radio(i, now, format!("{unit} transporting to {to}"));
                }
                Some((Step::AtFacility, behaviour.ride.sample_ms(&mut self.rides)))
            }
            Step::AtFacility => Some((Step::Clear, behaviour.handover.sample_ms(&mut self.rides))),
            Step::Clear => {
                if let (Some(i), true) = (i, last) {
                    if let Some(outcome) = self.outcome(i) {
                        self.radio(i, now, format!("{unit} clear: {outcome}"));
                    }
                }
                None
            }
        };
        if let Some((step, delay)) = next {
            self.book(
                now + delay,
                Item::Move {
                    unit: unit.to_owned(),
                    trip,
                    call: call.clone(),
                    step,
                },
            );
        }
        let word = step.word();
        self.trigger(desk, now, word, unit, call);
        Ok(())
    }

    /// Where `unit` drives the person of `call`, when the call ends in a ride and no other team
    /// on it has taken the person already.
    fn ride(&self, desk: &Desk, unit: &str, call: &CallId) -> Option<String> {
        let i = self.index_of(call)?;
        if self.observed.gone[i] {
            return None;
        }
        let to = match self.scenario.calls[i].expect_disposition {
            Disposition::CommunityTransport => "shelter",
            Disposition::Hospital => "hospital",
            _ => return None,
        };
        let state = desk.state();
        let c = state.calls.get(call)?;
        let police = |u: &crate::domain::Unit| u.capabilities.contains(&Capability::Police);
        let me = Self::unit(desk, unit)?;
        let others: Vec<&crate::domain::Unit> = c
            .active_units()
            .filter(|a| a.unit != me.callsign)
            .filter_map(|a| state.units.get(&a.unit))
            .collect();
        let taken = others
            .iter()
            .any(|u| matches!(u.status, UnitStatus::Transporting | UnitStatus::AtFacility));
        let community_team_stays = police(me) && others.iter().any(|u| !police(u));
        (!taken && !community_team_stays).then(|| to.to_owned())
    }

    /// What the last team on a call says when it clears: the scenario's `outcome`, or the
    /// disposition that is right, in the desk's words.
    fn outcome(&self, i: usize) -> Option<String> {
        let c = &self.scenario.calls[i];
        if let Some(text) = &c.outcome {
            return (!text.is_empty()).then(|| text.clone());
        }
        let disposition = if self.observed.gone[i] {
            Disposition::Gone
        } else {
            c.expect_disposition
        };
        Some(disposition.doc().to_owned())
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
            self.book(now + self.actions[i].at_ms, Item::Action(i));
        }
    }

    pub(super) fn unit<'d>(desk: &'d Desk, unit: &str) -> Option<&'d crate::domain::Unit> {
        desk.state()
            .units
            .values()
            .find(|u| u.callsign.as_str().eq_ignore_ascii_case(unit))
    }

    fn unit_call(desk: &Desk, unit: &str) -> Option<CallId> {
        Self::unit(desk, unit).and_then(|u| u.call.clone())
    }

    fn unit_status(desk: &Desk, unit: &str) -> Option<UnitStatus> {
        Self::unit(desk, unit).map(|u| u.status)
    }
}

impl World for Simulation {
    fn now_ms(&self) -> i64 {
        Simulation::now_ms(self)
    }

    fn advance_to(&mut self, desk: &mut Desk, ms: i64) -> Result<(), SimError> {
        Simulation::advance_to(self, desk, ms)
    }

    fn follow(&mut self, _desk: &Desk, events: &[Event]) {
        let now = self.now_ms();
        self.record(Actor::Trainee, events);
        for e in events {
            self.follow_event(now, e, None);
        }
    }

    fn take_news(&mut self) -> News {
        Simulation::take_news(self)
    }
}
