//! The demo centre's world: callers calling, a call-taker triaging, a colleague dispatching and
//! teams moving, all as command lines through the desk. The same world fills the history (its
//! clock set item by item, as fast as the store commits) and keeps the console live (its clock
//! stepped by real time), and it follows what the person at the console does: a team they
//! dispatch starts moving, a status they set is where the team goes on from, a call they take
//! is one the colleague helps with if they leave it.
//!
//! What it knows of the desk it reads from the desk's state; what it keeps is only intention:
//! each team's duty and the call it is about to be sent to, and each call's story (how it will
//! end, whether it needs police too).

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::desk::{Clock, Desk, DeskError, ManualClock, Outcome};
use crate::domain::{
    Agency, Body, CallId, Capability, Disposition, Event, Refusal, State, UnitStatus,
    UnservedReason,
};
use crate::sim::agenda::Agenda;
use crate::sim::teams::{Lognormal, Step, Trips};
use crate::sim::News;

use super::people::{operator_at, Callers};
use super::town::Kind;
use super::{between_s, in_hours, HOUR};

/// The last stretch before the console opens is always in service, so it opens on a live
/// board; so is every minute it stays open.
pub(super) const LIVE_WINDOW: i64 = 2 * HOUR;

/// Why a call comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arrival {
    /// In service hours and eligible: a team goes.
    Eligible,
    /// In service hours but for police or EMS.
    Screened,
    /// Eligible, but no team is on duty.
    OffHours,
    /// One of the last calls of a history: still waiting for a team when the console opens.
    Held,
}

#[derive(Clone, Debug)]
pub(super) enum Ev {
    /// The next call of the stream; it books the one after.
    Arrival,
    /// A call at a time of its own (the history's last few).
    Call(Arrival),
    /// The call-taker's questions; then, unless it waits for the console to open, the call is
    /// ready for a team.
    Triage {
        call: CallId,
        then_ready: bool,
    },
    Ready(CallId),
    Assign,
    Dispatch {
        call: CallId,
        unit: usize,
    },
    Move {
        unit: usize,
        trip: u64,
        step: Step,
    },
    Cancel {
        unit: usize,
        trip: u64,
    },
    CheckIn {
        unit: usize,
        trip: u64,
        turn: u64,
    },
    Note {
        call: CallId,
        text: String,
    },
    /// A second caller about the person of `of`, at the same place: taken, then merged.
    SecondCaller {
        of: CallId,
    },
    Merge {
        call: CallId,
        into: CallId,
    },
    Backup {
        call: CallId,
        agency: Agency,
    },
    Close {
        call: CallId,
        disposition: Disposition,
        /// Why an eligible call got no team, as the reason code `close --unserved` records.
        unserved: Option<UnservedReason>,
    },
    ShiftStart,
    ShiftEnd,
    OnDuty(usize),
    OffDuty(usize),
    BreakDue(usize),
    TakeBreak(usize, (&'static str, i64)),
    BreakEnd(usize),
}

impl Ev {
    /// At the same instant: duty first, calls ring, then what follows from them.
    fn rank(&self) -> u8 {
        match self {
            Ev::ShiftStart | Ev::ShiftEnd => 0,
            Ev::Arrival | Ev::Call(_) => 1,
            _ => 2,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Duty {
    Off,
    On,
    Break,
}

/// A unit as the world plans for it.
pub(super) struct Team {
    pub callsign: String,
    pub zone: Option<String>,
    pub police: bool,
    pub capabilities: BTreeSet<Capability>,
    pub duty: Duty,
    /// About to be sent to this call.
    pub reserved: Option<CallId>,
    pub free_since: i64,
    /// Goes off duty when it clears its call.
    pub off_when_clear: bool,
    /// Takes this break when it clears its call.
    pub break_when_clear: Option<(&'static str, i64)>,
    /// Bumped by every check-in from someone else, so the world's own next one is rebooked.
    pub checkin_turn: u64,
}

/// A call's story, as the world means it to go.
pub(super) struct Plan {
    pub kind: Kind,
    pub zone: Option<String>,
    pub priority: u8,
    pub received: i64,
    pub disposition: Disposition,
    pub police_backup: bool,
    /// The caller could not rule out a weapon: clinician with police.
    pub joint: bool,
    /// The team has already noted how it is going (a call taken up from the log).
    pub noted: bool,
}

pub(super) struct World {
    pub rng: StdRng,
    pub clock: ManualClock,
    pub agenda: Agenda<Ev>,
    /// From here on the centre is always in service.
    pub(super) live_from: i64,
    /// Where the history ends and the console opens: after it, the colleague gives the person
    /// at the console time to act first.
    pub opened_at: i64,
    pub teams: Vec<Team>,
    pub plans: BTreeMap<CallId, Plan>,
    /// Calls ready for a team and not yet given all they need.
    pub(super) waiting: Vec<CallId>,
    pub trips: Trips,
    pub(super) callers: Callers,
    pub news: News,
    /// In a history a refused line is a bug of the world's; live, the person at the console
    /// may have got there first, and the world lets it go.
    pub(super) strict: bool,
    pub operators: BTreeSet<&'static str>,
    pub commands: u64,
    /// On a real town: where its calls come from (`places::towns::call_places`), instead of
    /// the fictional zones' places.
    pub town: Vec<String>,
}

impl World {
    pub fn new(seed: u64, clock: ManualClock, opened_at: i64, strict: bool) -> World {
        World {
            rng: StdRng::seed_from_u64(seed),
            clock,
            agenda: Agenda::default(),
            live_from: opened_at - LIVE_WINDOW,
            opened_at,
            teams: Vec::new(),
            plans: BTreeMap::new(),
            waiting: Vec::new(),
            trips: Trips::default(),
            callers: Callers::default(),
            news: News::default(),
            strict,
            operators: BTreeSet::new(),
            commands: 0,
            town: Vec::new(),
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn book(&mut self, at: i64, ev: Ev) {
        let rank = ev.rank();
        self.agenda.book(at, rank, ev);
    }

    /// In service: the published hours, and always from the last stretch before the console
    /// opens.
    pub fn in_service(&self, t: i64) -> bool {
        in_hours(t) || t >= self.live_from
    }

    pub fn live(&self, t: i64) -> bool {
        t >= self.opened_at
    }

    /// Does what is due up to `until`, each at its own time, then sets the clock there.
    pub fn advance_to(&mut self, desk: &mut Desk, until: i64) -> Result<(), DeskError> {
        while let Some((at, ev)) = self.agenda.next_due(until) {
            if at > self.now_ms() {
                self.clock.set(at);
            }
            let now = self.now_ms();
            self.handle(desk, now, ev)?;
        }
        if until > self.now_ms() {
            self.clock.set(until);
        }
        Ok(())
    }

    /// One of the world's own lines, by whoever has the console then. `None`: refused live.
    pub fn run(&mut self, desk: &mut Desk, line: &str) -> Result<Option<Vec<Event>>, DeskError> {
        let now = self.now_ms();
        let operator = operator_at(now);
        self.operators.insert(operator);
        self.commands += 1;
        match desk.run_line_as(line, operator) {
            Ok(Outcome::Committed(events)) => {
                self.absorb(now, desk.state(), &events, false);
                Ok(Some(events))
            }
            Ok(Outcome::Answered(_)) => Ok(Some(Vec::new())),
            Err(DeskError::Refused(Refusal(why))) if !self.strict => {
                tracing::debug!(line, why, "demo: the world's line was refused");
                Ok(None)
            }
            Err(DeskError::Refused(Refusal(why))) => {
                Err(Refusal(format!("demo generator: `{line}` was refused: {why}")).into())
            }
            Err(e) => Err(e),
        }
    }

    pub fn team_of(&self, callsign: &str) -> Option<usize> {
        self.teams
            .iter()
            .position(|t| t.callsign.eq_ignore_ascii_case(callsign))
    }

    fn handle(&mut self, desk: &mut Desk, now: i64, ev: Ev) -> Result<(), DeskError> {
        match ev {
            Ev::Arrival => {
                if let Some(class) = self.class_at(now) {
                    self.arrive(desk, now, class)?;
                }
                let gap = self.gap();
                self.book(now + gap, Ev::Arrival);
            }
            Ev::Call(class) => self.arrive(desk, now, class)?,
            Ev::Triage { call, then_ready } => {
                self.triage(desk, &call)?;
                if then_ready {
                    let priority = self.plans.get(&call).map_or(3, |p| p.priority);
                    let at = self.ready_at(now, priority);
                    self.book(at, Ev::Ready(call));
                }
            }
            Ev::Ready(call) => {
                let open = desk
                    .state()
                    .calls
                    .get(&call)
                    .is_some_and(crate::domain::Call::is_open);
                if open && self.in_service(now) {
                    if !self.waiting.contains(&call) {
                        self.waiting.push(call.clone());
                    }
                    self.assign(desk.state(), desk.policy(), now);
                    self.hold_if_nobody_free(desk, &call)?;
                } else if open {
                    self.unserved(now, &call, UnservedReason::OutsideHours);
                }
            }
            Ev::Assign => self.assign(desk.state(), desk.policy(), now),
            Ev::Dispatch { call, unit } => self.dispatch(desk, now, &call, unit)?,
            Ev::Move { unit, trip, step } => {
                if self.trips.is_current(&self.teams[unit].callsign, trip) {
                    let line = step.line(&self.teams[unit].callsign);
                    self.run(desk, &line)?;
                }
            }
            Ev::Cancel { unit, trip } => {
                let callsign = self.teams[unit].callsign.clone();
                if self.trips.is_current(&callsign, trip) {
                    if let Some(call) = unit_call(desk.state(), &callsign) {
                        let text = super::notes::scene_notes(Disposition::Cancelled)[0];
                        self.run(desk, &format!("note {call} {text}"))?;
                    }
                    self.run(desk, &format!("avl {callsign}"))?;
                }
            }
            Ev::CheckIn { unit, trip, turn } => {
                let callsign = self.teams[unit].callsign.clone();
                let on_scene =
                    desk.state().units.values().any(|u| {
                        u.callsign.as_str() == callsign && u.status == UnitStatus::OnScene
                    });
                if on_scene
                    && self.trips.is_current(&callsign, trip)
                    && self.teams[unit].checkin_turn == turn
                {
                    self.run(desk, &format!("ok {callsign}"))?;
                    self.book_check_in(now, unit, trip);
                }
            }
            Ev::Note { call, text } => {
                if desk
                    .state()
                    .calls
                    .get(&call)
                    .is_some_and(crate::domain::Call::is_open)
                {
                    self.run(desk, &format!("note {call} {text}"))?;
                }
            }
            Ev::SecondCaller { of } => {
                let first = desk.state().calls.get(&of).filter(|c| c.is_open());
                let Some(line) = first.map(|c| {
                    format!(
                        "call {} / passer-by worried about the same person{}",
                        c.location,
                        c.zone
                            .as_ref()
                            .map_or_else(String::new, |z| format!(" --zone {z}"))
                    )
                }) else {
                    return Ok(());
                };
                if let Some(events) = self.run(desk, &line)? {
                    if let Some(call) = created(&events) {
                        // The colleague sees the flag and merges it rather than send a team.
                        self.book(now + 45_000, Ev::Merge { call, into: of });
                    }
                }
            }
            Ev::Merge { call, into } => {
                let open = |id: &CallId| {
                    desk.state()
                        .calls
                        .get(id)
                        .is_some_and(crate::domain::Call::is_open)
                };
                if open(&call) && open(&into) {
                    self.run(desk, &format!("merge {call} {into}"))?;
                } else if open(&call) {
                    // The first call closed while the second caller was on the line: nothing
                    // left to merge into, so it closes as the duplicate it is.
                    self.run(desk, &format!("close {call} duplicate"))?;
                }
            }
            Ev::Backup { call, agency } => self.backup(desk, now, &call, agency)?,
            Ev::Close {
                call,
                disposition,
                unserved,
            } => self.close(desk, now, &call, disposition, unserved)?,
            _ => self.duty(desk, now, &ev)?,
        }
        Ok(())
    }

    /// The world follows events: its own lines' and the person's at the console. A call
    /// someone else took gets a story and the colleague's help; a team sent anywhere moves;
    /// a status set is where the team goes on from; someone's check-in resets the world's.
    pub(super) fn absorb(&mut self, now: i64, state: &State, events: &[Event], from_person: bool) {
        for e in events {
            match &e.body {
                Body::CallCreated { call, .. } if from_person => {
                    if let Some(c) = state.calls.get(call) {
                        let mut plan = self.plan(
                            Kind::of(c.call_type),
                            c.zone.clone(),
                            c.priority.get(),
                            c.received_ms,
                            true,
                        );
                        // Police go too only if the person's own triage says so.
                        plan.joint = false;
                        self.plans.insert(call.clone(), plan);
                        let at = self.ready_at(now.max(self.opened_at), c.priority.get());
                        self.book(at, Ev::Ready(call.clone()));
                    }
                }
                Body::UnitDispatched {
                    unit,
                    call,
                    en_route,
                    ..
                } => {
                    let Some(u) = self.team_of(unit.as_str()) else {
                        continue;
                    };
                    if let Some(other) = self.teams[u].reserved.take() {
                        if &other != call && !self.waiting.contains(&other) {
                            self.waiting.push(other);
                        }
                        self.book(now, Ev::Assign);
                    }
                    let status = if *en_route {
                        UnitStatus::EnRoute
                    } else {
                        UnitStatus::Dispatched
                    };
                    self.moved(now, now, state, u, status, Some(call));
                }
                Body::UnitStatusChanged {
                    unit, status, call, ..
                } => {
                    if let Some(u) = self.team_of(unit.as_str()) {
                        if from_person && *status == UnitStatus::OutOfService {
                            // Taken out by hand: the world leaves it there until it is back.
                            self.teams[u].reserved = None;
                        }
                        self.moved(now, now, state, u, *status, call.as_ref());
                    }
                }
                Body::UnitCheckedIn { unit, .. } if from_person => {
                    if let Some(u) = self.team_of(unit.as_str()) {
                        self.teams[u].checkin_turn += 1;
                        let trip = self.trips.current(&self.teams[u].callsign);
                        self.book_check_in(now, u, trip);
                    }
                }
                Body::CallClosed { call, .. } => {
                    self.waiting.retain(|w| w != call);
                    self.plans.remove(call);
                }
                _ => {}
            }
        }
    }

    /// A unit's status changed (at `since`; the world takes it up at `now`): a new trip, and
    /// the next step booked — en route after turnout, on scene after travel, the scene's
    /// story, the ride, the hand-over; free again when clear.
    pub(super) fn moved(
        &mut self,
        since: i64,
        now: i64,
        state: &State,
        u: usize,
        status: UnitStatus,
        call: Option<&CallId>,
    ) {
        let callsign = self.teams[u].callsign.clone();
        let trip = self.trips.start(&callsign, call.cloned());
        let at = |delay: i64| (since + delay).max(now);
        match status {
            UnitStatus::Dispatched => {
                let delay = between_s(&mut self.rng, 15, 120);
                self.book(
                    at(delay),
                    Ev::Move {
                        unit: u,
                        trip,
                        step: Step::EnRoute,
                    },
                );
            }
            UnitStatus::EnRoute => {
                let home = call
                    .and_then(|c| self.plans.get(c))
                    .is_some_and(|p| p.zone == self.teams[u].zone);
                let median = if home { 10.0 } else { 16.0 };
                let travel = Lognormal::new(median, 0.5, 2.0, 75.0).sample_ms(&mut self.rng);
                let cancelled = !self.teams[u].police
                    && call
                        .and_then(|c| self.plans.get(c))
                        .is_some_and(|p| p.disposition == Disposition::Cancelled);
                if cancelled {
                    let part = (travel as f64 * self.rng.random_range(0.2..0.8)) as i64;
                    self.book(at(part), Ev::Cancel { unit: u, trip });
                } else {
                    self.book(
                        at(travel),
                        Ev::Move {
                            unit: u,
                            trip,
                            step: Step::OnScene,
                        },
                    );
                }
            }
            UnitStatus::OnScene => {
                if let Some(call) = call {
                    self.scene(since, now, state, u, trip, call);
                }
            }
            UnitStatus::Transporting => {
                let ride = Lognormal::new(10.0, 0.5, 4.0, 35.0).sample_ms(&mut self.rng);
                self.book(
                    at(ride),
                    Ev::Move {
                        unit: u,
                        trip,
                        step: Step::AtFacility,
                    },
                );
            }
            UnitStatus::AtFacility => {
                let handover = Lognormal::new(15.0, 0.5, 5.0, 45.0).sample_ms(&mut self.rng);
                self.book(
                    at(handover),
                    Ev::Move {
                        unit: u,
                        trip,
                        step: Step::Clear,
                    },
                );
            }
            UnitStatus::Available => self.cleared(now, state, u, call),
            UnitStatus::OutOfService => {}
        }
    }

    /// The unit is clear: the call closes a little after its last team clears; the unit goes
    /// off duty, on a break, or back to the waiting calls.
    fn cleared(&mut self, now: i64, state: &State, u: usize, call: Option<&CallId>) {
        self.teams[u].free_since = now;
        if self.teams[u].duty == Duty::Break {
            self.teams[u].duty = Duty::On;
        }
        if let Some(call) = call {
            let last = state
                .calls
                .get(call)
                .is_some_and(|c| c.is_open() && c.active_units().next().is_none());
            if last {
                let disposition = self
                    .plans
                    .get(call)
                    .map_or(Disposition::Resolved, |p| p.disposition);
                let wait = if self.live(now) {
                    between_s(&mut self.rng, 120, 240)
                } else {
                    between_s(&mut self.rng, 15, 150)
                };
                self.book(
                    now + wait,
                    Ev::Close {
                        call: call.clone(),
                        disposition,
                        unserved: None,
                    },
                );
            }
        }
        if std::mem::take(&mut self.teams[u].off_when_clear) || !self.in_service(now) {
            self.teams[u].break_when_clear = None;
            self.book(now, Ev::OffDuty(u));
        } else if let Some(brk) = self.teams[u].break_when_clear.take() {
            self.book(now, Ev::TakeBreak(u, brk));
        } else {
            self.book(now, Ev::Assign);
        }
    }
}

/// The call a unit is on, by callsign.
fn unit_call(state: &State, callsign: &str) -> Option<CallId> {
    state
        .units
        .values()
        .find(|u| u.callsign.as_str() == callsign)
        .and_then(|u| u.call.clone())
}

/// The id of the first call an event batch created.
pub(super) fn created(events: &[Event]) -> Option<CallId> {
    events.iter().find_map(|e| match &e.body {
        Body::CallCreated { call, .. } => Some(call.clone()),
        _ => None,
    })
}
