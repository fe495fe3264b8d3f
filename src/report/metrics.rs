//! Program figures from the event log, for a period, as an incremental accumulator: feed it
//! events in fold order ([`Metrics::add`]) and ask for a [`Summary`] at any time; a new event
//! costs a constant amount of work, so the dashboard never rescans the log.
//!
//! The figures need times the projected `State` does not keep (when a call was first triaged,
//! when each unit changed status, when each check-in came), so they are computed from the events
//! themselves. The accumulator mirrors the fold's rules where they matter: a dispatch that the
//! fold rejects (the unit moved meanwhile) or a status change for a call the unit has left is
//! ignored here too. Times are the events' wall clocks (`wall_ms`), as the fold uses them.
//!
//! # Which calls count
//!
//! A call belongs to the period `[since, until)` by its **received** time (its `CallCreated`).
//! Everything that happens to such a call counts, even after `until` (a call received at 23:50
//! and closed at 00:30 counts as closed, with its whole 40 minutes, in the day it was received);
//! what has not happened by the summary's `now` is missing (the call is still open, a unit has
//! not arrived). Calls created by `backup` for another agency are not calls received: they are
//! counted as backup requests of the call that asked.
//!
//! Unit utilisation and safety check-ins are about time, not calls: they are clipped to the
//! window `[since, min(until, now))`.
//!
//! # Definitions
//!
//! - **response** of a call: the response chosen with `respond`, else the protocol's latest
//!   recommendation, else — for a call nobody triaged — what the units sent say: community units
//!   (no police, fire or EMS capability) alone = `community`, with a police unit =
//!   `co-response`, else `police`, `ems` or `fire` by the units' capabilities. No response and
//!   no unit: none.
//! - **handled**: at least one unit was dispatched to the call (a dispatch the fold accepted).
//! - **community team** (the diversion numerator): handled, and the response is `community` or
//!   `co-response`. **Diversion rate** = community-team calls / calls with a response or a
//!   dispatch. **Co-responses**: community-team calls whose response is `co-response`.
//! - **backup requests**: `BackupRequested` events of the period's calls, by agency; the rate is
//!   requests / handled calls.
//! - **eligible**: the protocol's latest recommendation is `community`, or the call was closed
//!   with an unserved reason (someone recorded it as eligible). **Not served**: eligible, closed,
//!   and no community team — by the reason code of its last close (`no-unit`, `outside-hours`,
//!   …) or `unrecorded` when the close gave none. **Served late**: a community team went, but
//!   the close carries a reason code (the desk asks for one when an eligible call waited past its
//!   pending limit).
//! - **times**, each over the calls that have both ends (median and 90th percentile by nearest
//!   rank: the value at rank `ceil(p/100 × n)` of the sorted list, so the median of an even
//!   count is the lower middle value):
//!   - received → triaged: to the first `TriageAnswered` or `Recommended`;
//!   - received → dispatched: to the first accepted `UnitDispatched`;
//!   - dispatched → on scene: from the first assignment's dispatch to that same assignment's
//!     arrival; a first unit that cleared without arriving is counted in
//!     `cleared_without_arrival` and excluded;
//!   - on scene → clear: from the first arrival of any unit to the last unit clearing, once no
//!     unit is left on the call;
//!   - whole call: received → closed (the last close; a reopened call is open again).
//!
//!   `excluded` counts the period's calls lacking the figure (never triaged, never dispatched,
//!   still open, …). Negative spans (clock skew between consoles) count as zero.
//! - **dispositions**: closed calls by their disposition.
//! - **repeats**: addresses (the location lower-cased, cut into letter-and-digit words) with two
//!   or more of the period's calls, and the calls at them; callers likewise by the digits of
//!   their callback number.
//! - **utilisation**: for each unit, the share of its time on the roster inside the window spent
//!   in each status (a unit counts from its `UnitAdded`; OOS includes off duty).
//! - **safety check-ins**: while a unit is on scene, a check-in is due one interval (the policy's
//!   for the call's response) after it arrived or last checked in. A check-in by then is **on
//!   time** (counted when it happens). Otherwise the check-in is **late** (counted when it was
//!   due): overdue from the due time until the check-in, or until the unit left the scene, or
//!   until now (`overdue_now`); an **escalation** when it was still missing a whole interval
//!   after it was due — the console's `LATE` and `ESCALATE`.
//! - **calls by hour**: the period's calls by hour of day of their received time (UTC or local).
//! - **pending queue**: the number of pending calls (any call, not only the period's: it is the
//!   queue the dispatcher saw) at every 15 minutes from `since`, up to `min(until, now)`; the
//!   series starts at the first sample point at or after the first event.

use crate::domain::history::address_key;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use chrono::{Local, TimeZone, Timelike};
use serde::Serialize;

use super::rfc3339;
use crate::domain::event::FoldKey;
use crate::domain::{
    Agency, Body, CallId, CallStatus, CallType, Callsign, Capability, Disposition, Event, Policy,
    ResponseType, UnitStatus, UnservedReason,
};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
/// The pending queue is sampled this often.
pub const QUEUE_SAMPLE_MINUTES: i64 = 15;
const QUEUE_SAMPLE_MS: i64 = QUEUE_SAMPLE_MINUTES * MINUTE_MS;

/// Which clock the hour-of-day buckets read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hours {
    #[default]
    Utc,
    Local,
}

/// The period `[since_ms, until_ms)` a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub since_ms: i64,
    pub until_ms: i64,
    pub hours: Hours,
}

impl Period {
    /// Hours of day in UTC.
    pub fn new(since_ms: i64, until_ms: i64) -> Self {
        Period {
            since_ms,
            until_ms,
            hours: Hours::Utc,
        }
    }

    /// Hours of day in this machine's local time.
    #[must_use]
    pub fn in_local_hours(mut self) -> Self {
        self.hours = Hours::Local;
        self
    }

    pub fn contains(&self, t: i64) -> bool {
        (self.since_ms..self.until_ms).contains(&t)
    }

    /// The part of `[from, to)` inside `[since, end)`, in ms.
    fn clip(&self, from: i64, to: i64, end: i64) -> i64 {
        (to.min(end) - from.max(self.since_ms)).max(0)
    }

    fn hour_of_day(&self, t: i64) -> usize {
        match self.hours {
            Hours::Utc => t.div_euclid(HOUR_MS).rem_euclid(24) as usize,
            Hours::Local => Local
                .timestamp_millis_opt(t)
                .single()
                .map_or(0, |d| d.hour() as usize),
        }
    }
}

/// How a report splits its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// By call type (`untyped` when none).
    Type,
    /// By response (see the module docs; `none` when there is none).
    Response,
    /// By zone (`none` when none).
    Zone,
    /// By unit: a call counts for every unit dispatched to it (`none` when no unit went).
    Unit,
}

impl GroupBy {
    pub fn word(self) -> &'static str {
        match self {
            Self::Type => "type",
            Self::Response => "response",
            Self::Zone => "zone",
            Self::Unit => "unit",
        }
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Type, Self::Response, Self::Zone, Self::Unit]
            .into_iter()
            .find(|g| g.word().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("cannot group by '{s}'; use type, response, zone or unit"))
    }
}

#[derive(Clone, Debug)]
struct Assignment {
    unit: Callsign,
    dispatched_ms: i64,
    on_scene_ms: Option<i64>,
    cleared_ms: Option<i64>,
}

/// What the accumulator keeps of one call. Text fields are kept only for the period's calls.
#[derive(Clone, Debug)]
struct CallRecord {
    received_ms: i64,
    in_period: bool,
    /// Created by `backup`: not a call received.
    backup_child: bool,
    call_type: Option<CallType>,
    zone: Option<String>,
    location: String,
    callback: Option<String>,
    triaged_ms: Option<i64>,
    recommended: Option<(ResponseType, String)>,
    chosen: Option<ResponseType>,
    overridden: bool,
    assignments: Vec<Assignment>,
    status: CallStatus,
    closed_ms: Option<i64>,
    disposition: Option<Disposition>,
    unserved: Option<UnservedReason>,
    backups: Vec<Agency>,
}

impl CallRecord {
    fn active_assignment_mut(&mut self, unit: &Callsign) -> Option<&mut Assignment> {
        self.assignments
            .iter_mut()
            .rev()
            .find(|a| a.cleared_ms.is_none() && &a.unit == unit)
    }

    /// The status an open call has from its assignments (as the fold's reopen does).
    fn working_status(&self) -> CallStatus {
        let mut active = self.assignments.iter().filter(|a| a.cleared_ms.is_none());
        if active.clone().any(|a| a.on_scene_ms.is_some()) {
            CallStatus::OnScene
        } else if active.next().is_some() {
            CallStatus::Dispatched
        } else {
            CallStatus::Pending
        }
    }

    /// Chosen, else recommended: what the safety timer's interval is chosen by.
    fn triaged_response(&self) -> Option<ResponseType> {
        self.chosen.or(self.recommended.as_ref().map(|r| r.0))
    }
}

/// Safety check-in counts, in ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SafetyTally {
    on_time: u64,
    late: u64,
    overdue_now: u64,
    overdue_ms: i64,
    escalations: u64,
}

impl SafetyTally {
    fn add(&mut self, other: &SafetyTally) {
        self.on_time += other.on_time;
        self.late += other.late;
        self.overdue_now += other.overdue_now;
        self.overdue_ms += other.overdue_ms;
        self.escalations += other.escalations;
    }

    /// A check-in window that opened at `last` and ended at `end`, by a check-in or not.
    fn window(&mut self, period: &Period, last: i64, end: i64, interval: i64, checked_in: bool) {
        let due = last + interval;
        if end <= due {
            if checked_in && period.contains(end) {
                self.on_time += 1;
            }
        } else if period.contains(due) {
            self.late += 1;
            self.overdue_ms += end - due;
            if end > due + interval {
                self.escalations += 1;
            }
        }
    }
}

#[derive(Clone, Debug)]
struct UnitRecord {
    capabilities: Vec<Capability>,
    status: UnitStatus,
    status_ms: i64,
    call: Option<CallId>,
    /// Time in each status (in `UnitStatus::ALL` order), clipped to `[since, until)`.
    in_status_ms: [i64; 7],
    /// On scene: when the safety timer last restarted (arrival or check-in).
    timer: Option<i64>,
    safety: SafetyTally,
}

impl UnitRecord {
    fn is_community(&self) -> bool {
        !self
            .capabilities
            .iter()
            .any(|c| matches!(c, Capability::Police | Capability::Fire | Capability::Ems))
    }
}

fn status_index(s: UnitStatus) -> usize {
    UnitStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// The incremental accumulator. See the module docs for what each figure counts.
#[derive(Clone, Debug)]
pub struct Metrics {
    period: Period,
    policy: Policy,
    by: Option<GroupBy>,
    calls: HashMap<CallId, CallRecord>,
    units: BTreeMap<Callsign, UnitRecord>,
    /// Pending calls after the last event.
    pending: u32,
    /// Samples of `pending` taken so far, from `queue_start`.
    queue: Vec<u32>,
    queue_start: Option<i64>,
    last: Option<FoldKey>,
    events: u64,
}

impl Metrics {
    pub fn new(period: Period, policy: &Policy) -> Self {
        Metrics {
            period,
            policy: policy.clone(),
            by: None,
            calls: HashMap::new(),
            units: BTreeMap::new(),
            pending: 0,
            queue: Vec::new(),
            queue_start: None,
            last: None,
            events: 0,
        }
    }

    /// Splits the summary's figures into groups as well.
    #[must_use]
    pub fn grouped(mut self, by: GroupBy) -> Self {
        self.by = Some(by);
        self
    }

    pub fn period(&self) -> Period {
        self.period
    }

    /// Events taken so far.
    pub fn event_count(&self) -> u64 {
        self.events
    }

    /// Takes one event. Events must come in fold order; one that sorts at or before the last
    /// one taken (a duplicate, or late from a peer) is not taken and `false` is returned: the
    /// caller must rebuild from the log to include it.
    pub fn add(&mut self, e: &Event) -> bool {
        let key = e.fold_key();
        if self.last.is_some_and(|last| key <= last) {
            return false;
        }
        self.last = Some(key);
        self.events += 1;
        let at = e.wall_ms;
        self.sample_queue_before(at);
        match &e.body {
            Body::CallCreated {
                call,
                location,
                call_type,
                callback,
                zone,
                ..
            } => {
                if self.calls.contains_key(call) {
                    return true; // minted twice: the fold keeps the first
                }
                let in_period = self.period.contains(at);
                self.calls.insert(
                    call.clone(),
                    CallRecord {
                        received_ms: at,
                        in_period,
                        backup_child: false,
                        call_type: *call_type,
                        zone: zone.clone(),
                        location: if in_period {
                            location.clone()
                        } else {
                            String::new()
                        },
                        callback: if in_period { callback.clone() } else { None },
                        triaged_ms: None,
                        recommended: None,
                        chosen: None,
                        overridden: false,
                        assignments: Vec::new(),
                        status: CallStatus::Pending,
                        closed_ms: None,
                        disposition: None,
                        unserved: None,
                        backups: Vec::new(),
                    },
                );
                self.pending += 1;
            }
            Body::CallEdited { call, field, .. } => {
                use crate::domain::CallField;
                if let Some(c) = self.calls.get_mut(call) {
                    match field {
                        CallField::Type(t) => c.call_type = Some(*t),
                        CallField::Zone(z) => c.zone = Some(z.clone()),
                        CallField::Location(l) if c.in_period => c.location.clone_from(l),
                        CallField::Callback(cb) if c.in_period => c.callback = Some(cb.clone()),
                        _ => {}
                    }
                }
            }
            Body::CallClosed {
                call,
                disposition,
                unserved,
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    set_call_status(&mut self.pending, c, CallStatus::Closed);
                    c.disposition = Some(*disposition);
                    c.closed_ms = Some(at);
                    c.unserved = *unserved;
                }
            }
            Body::TriageAnswered { call, .. } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.triaged_ms.get_or_insert(at);
                }
            }
            Body::Recommended {
                call,
                recommendation,
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.triaged_ms.get_or_insert(at);
                    c.recommended = Some((recommendation.response, recommendation.rule.clone()));
                }
            }
            Body::ResponseChosen {
                call,
                response,
                overrides,
                ..
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.chosen = Some(*response);
                    c.overridden = overrides.is_some();
                }
            }
            Body::UnitCheckedIn { unit, .. } => self.check_in(unit, at),
            Body::CallReopened { call } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.disposition = None;
                    c.closed_ms = None;
                    c.unserved = None;
                    let status = c.working_status();
                    set_call_status(&mut self.pending, c, status);
                }
            }
            Body::NoteAdded { .. }
            | Body::CallsLinked { .. }
            | Body::AlertAcknowledged { .. }
            | Body::Handoff { .. } => {}
            Body::BackupRequested {
                call,
                agency,
                child,
            } => {
                if let Some(c) = self.calls.get_mut(child) {
                    c.backup_child = true;
                }
                if let Some(c) = self.calls.get_mut(call) {
                    c.backups.push(*agency);
                }
            }
            Body::UnitAdded {
                unit, capabilities, ..
            } => {
                self.units
                    .entry(unit.clone())
                    .or_insert_with(|| UnitRecord {
                        capabilities: Vec::new(),
                        status: UnitStatus::Available,
                        status_ms: at,
                        call: None,
                        in_status_ms: [0; 7],
                        timer: None,
                        safety: SafetyTally::default(),
                    })
                    .capabilities
                    .clone_from(capabilities);
            }
            Body::UnitDispatched {
                unit,
                call,
                en_route,
                from,
            } => {
                let Some(current) = self.units.get(unit).map(|u| u.call.clone()) else {
                    return true;
                };
                if &current != from {
                    return true; // the fold keeps the unit where a peer put it
                }
                if let Some(previous) = &current {
                    self.clear_assignment(previous, unit, at);
                }
                let status = if *en_route {
                    UnitStatus::EnRoute
                } else {
                    UnitStatus::Dispatched
                };
                self.set_unit_status(unit, status, at, Some(call.clone()));
                if let Some(c) = self.calls.get_mut(call) {
                    c.assignments.push(Assignment {
                        unit: unit.clone(),
                        dispatched_ms: at,
                        on_scene_ms: None,
                        cleared_ms: None,
                    });
                    if c.status == CallStatus::Pending {
                        set_call_status(&mut self.pending, c, CallStatus::Dispatched);
                    }
                }
            }
            Body::UnitStatusChanged {
                unit, status, call, ..
            } => {
                let Some(current) = self.units.get(unit).map(|u| u.call.clone()) else {
                    return true;
                };
                let clears = matches!(status, UnitStatus::Available | UnitStatus::OutOfService);
                if !clears && &current != call {
                    return true; // the fold ignores it too
                }
                let keeps = if clears { None } else { current.clone() };
                self.set_unit_status(unit, *status, at, keeps);
                let Some(current) = current else {
                    return true;
                };
                if clears {
                    self.clear_assignment(&current, unit, at);
                    return true;
                }
                if let Some(c) = self.calls.get_mut(&current) {
                    if let Some(a) = c.active_assignment_mut(unit) {
                        match status {
                            UnitStatus::OnScene => {
                                a.on_scene_ms.get_or_insert(at);
                            }
                            // As in the fold, a change back to DSP stamps the assignment clear.
                            UnitStatus::Dispatched => {
                                a.cleared_ms.get_or_insert(at);
                            }
                            _ => {}
                        }
                    }
                    if *status == UnitStatus::OnScene && c.status != CallStatus::Closed {
                        set_call_status(&mut self.pending, c, CallStatus::OnScene);
                    }
                }
            }
        }
        true
    }

    /// Takes the queue samples due before an event at `at`: a sample shows the queue after
    /// every event at or before its time.
    fn sample_queue_before(&mut self, at: i64) {
        let since = self.period.since_ms;
        let start = *self.queue_start.get_or_insert_with(|| {
            if at <= since {
                since
            } else {
                let steps = (at - since + QUEUE_SAMPLE_MS - 1) / QUEUE_SAMPLE_MS;
                since + steps * QUEUE_SAMPLE_MS
            }
        });
        loop {
            let next = start + self.queue.len() as i64 * QUEUE_SAMPLE_MS;
            if next >= at || next >= self.period.until_ms {
                return;
            }
            self.queue.push(self.pending);
        }
    }

    fn clear_assignment(&mut self, call: &CallId, unit: &Callsign, at: i64) {
        if let Some(a) = self
            .calls
            .get_mut(call)
            .and_then(|c| c.active_assignment_mut(unit))
        {
            a.cleared_ms = Some(at);
        }
    }

    /// The check-in interval for a unit working `call`.
    fn interval(&self, call: Option<&CallId>) -> i64 {
        let response = call
            .and_then(|c| self.calls.get(c))
            .and_then(CallRecord::triaged_response);
        self.policy.checkin_ms(response)
    }

    fn set_unit_status(
        &mut self,
        unit: &Callsign,
        status: UnitStatus,
        at: i64,
        call: Option<CallId>,
    ) {
        let interval = self.interval(self.units.get(unit).and_then(|u| u.call.as_ref()));
        let period = self.period;
        let Some(u) = self.units.get_mut(unit) else {
            return;
        };
        u.in_status_ms[status_index(u.status)] += period.clip(u.status_ms, at, period.until_ms);
        if let Some(last) = u.timer.take() {
            u.safety.window(&period, last, at, interval, false);
        }
        u.status = status;
        u.status_ms = at;
        u.call = call;
        if status == UnitStatus::OnScene {
            u.timer = Some(at);
        }
    }

    fn check_in(&mut self, unit: &Callsign, at: i64) {
        let interval = self.interval(self.units.get(unit).and_then(|u| u.call.as_ref()));
        let period = self.period;
        let Some(u) = self.units.get_mut(unit) else {
            return;
        };
        if u.status != UnitStatus::OnScene {
            return;
        }
        if let Some(last) = u.timer {
            u.safety.window(&period, last, at, interval, true);
            u.timer = Some(at.max(last));
        }
    }

    /// What the unit's open safety window adds at `now`: a late check-in still missing.
    fn open_window(&self, u: &UnitRecord, now_ms: i64) -> SafetyTally {
        let mut t = SafetyTally::default();
        if let Some(last) = u.timer {
            let interval = self.interval(u.call.as_ref());
            t.window(&self.period, last, now_ms, interval, false);
            t.overdue_now = t.late;
        }
        t
    }

    /// The effective response (see the module docs).
    fn response(&self, c: &CallRecord) -> Option<ResponseType> {
        c.triaged_response().or_else(|| {
            let mut community = false;
            let mut police = false;
            let mut ems = false;
            let mut fire = false;
            for a in &c.assignments {
                let Some(u) = self.units.get(&a.unit) else {
                    continue;
                };
                community |= u.is_community();
                police |= u.capabilities.contains(&Capability::Police);
                ems |= u.capabilities.contains(&Capability::Ems);
                fire |= u.capabilities.contains(&Capability::Fire);
            }
            match (community, police, ems, fire) {
                (true, true, _, _) => Some(ResponseType::CoResponse),
                (true, false, _, _) => Some(ResponseType::Community),
                (false, true, _, _) => Some(ResponseType::Police),
                (false, false, true, _) => Some(ResponseType::Ems),
                (false, false, false, true) => Some(ResponseType::Fire),
                _ => None,
            }
        })
    }

    fn facts(&self, id: &CallId, c: &CallRecord) -> CallFacts {
        let response = self.response(c);
        let first = c.assignments.first();
        let handled = first.is_some();
        let active = c.assignments.iter().any(|a| a.cleared_ms.is_none());
        let community_team = handled && response.is_some_and(ResponseType::is_community);
        let mut units: Vec<Callsign> = Vec::new();
        for a in &c.assignments {
            if !units.contains(&a.unit) {
                units.push(a.unit.clone());
            }
        }
        CallFacts {
            id: id.clone(),
            received_ms: c.received_ms,
            call_type: c.call_type,
            zone: c.zone.clone(),
            triaged_ms: c.triaged_ms,
            dispatched_ms: first.map(|a| a.dispatched_ms),
            arrived_ms: first.and_then(|a| a.on_scene_ms),
            first_on_scene_ms: c.assignments.iter().filter_map(|a| a.on_scene_ms).min(),
            cleared_ms: if active {
                None
            } else {
                c.assignments.iter().filter_map(|a| a.cleared_ms).max()
            },
            closed_ms: c.closed_ms,
            response,
            recommended: c.recommended.as_ref().map(|r| r.0),
            rule: c.recommended.as_ref().map(|r| r.1.clone()),
            overridden: c.overridden,
            units,
            community_team,
            eligible: c.recommended.as_ref().map(|r| r.0) == Some(ResponseType::Community)
                || (c.closed_ms.is_some() && c.unserved.is_some()),
            cleared_without_arrival: first
                .is_some_and(|a| a.on_scene_ms.is_none() && a.cleared_ms.is_some()),
            disposition: c.closed_ms.and(c.disposition),
            unserved: c.closed_ms.and(c.unserved),
            backups: c.backups.clone(),
            address: address_key(&c.location),
            caller: c.callback.as_deref().map(caller_key).unwrap_or_default(),
        }
    }

    /// The period's calls (received in it, not created by `backup`), oldest first.
    pub fn calls(&self) -> Vec<CallFacts> {
        let mut out: Vec<CallFacts> = self
            .calls
            .iter()
            .filter(|(_, c)| c.in_period && !c.backup_child)
            .map(|(id, c)| self.facts(id, c))
            .collect();
        out.sort_by(|a, b| (a.received_ms, &a.id).cmp(&(b.received_ms, &b.id)));
        out
    }

    /// The figures as of `now_ms`.
    pub fn summary(&self, now_ms: i64) -> Summary {
        let calls = self.calls();
        let all: Vec<&CallFacts> = calls.iter().collect();
        let total = figures(&all);
        let mut groups: BTreeMap<String, Figures> = BTreeMap::new();
        if let Some(by) = self.by {
            let mut members: BTreeMap<String, Vec<&CallFacts>> = BTreeMap::new();
            for c in &calls {
                for key in c.group_keys(by) {
                    members.entry(key).or_default().push(c);
                }
            }
            groups = members.into_iter().map(|(k, v)| (k, figures(&v))).collect();
        }
        let end = now_ms.min(self.period.until_ms);
        let mut units = BTreeMap::new();
        let mut safety = SafetyTally::default();
        for (callsign, u) in &self.units {
            let mut in_status = u.in_status_ms;
            in_status[status_index(u.status)] += self.period.clip(u.status_ms, end, end);
            let mut tally = u.safety;
            tally.add(&self.open_window(u, now_ms));
            safety.add(&tally);
            let roster: i64 = in_status.iter().sum();
            units.insert(
                callsign.to_string(),
                UnitFigures {
                    on_roster_s: roster as f64 / 1000.0,
                    status_share: UnitStatus::ALL
                        .iter()
                        .zip(in_status)
                        .map(|(s, ms)| (s.word(), ratio(ms as u64, roster as u64)))
                        .collect(),
                    safety: Safety::from(tally),
                },
            );
        }
        let mut calls_by_hour = vec![0u64; 24];
        for c in &calls {
            calls_by_hour[self.period.hour_of_day(c.received_ms)] += 1;
        }
        Summary {
            period: PeriodSummary {
                since: rfc3339(self.period.since_ms),
                until: rfc3339(self.period.until_ms),
                as_of: rfc3339(now_ms),
                since_ms: self.period.since_ms,
                until_ms: self.period.until_ms,
                as_of_ms: now_ms,
                hours: self.period.hours,
            },
            events: self.events,
            by: self.by,
            total,
            groups,
            units,
            safety: Safety::from(safety),
            calls_by_hour,
            pending_queue: self.queue_series(now_ms),
        }
    }

    fn queue_series(&self, now_ms: i64) -> PendingQueue {
        let Some(start) = self.queue_start else {
            return PendingQueue {
                start: None,
                start_ms: None,
                every_minutes: QUEUE_SAMPLE_MINUTES,
                samples: Vec::new(),
                max: 0,
                mean: None,
            };
        };
        let mut samples = self.queue.clone();
        loop {
            let next = start + samples.len() as i64 * QUEUE_SAMPLE_MS;
            if next > now_ms || next >= self.period.until_ms {
                break;
            }
            samples.push(self.pending);
        }
        let mean = (!samples.is_empty()).then(|| {
            round4(samples.iter().map(|&s| f64::from(s)).sum::<f64>() / samples.len() as f64)
        });
        PendingQueue {
            start: Some(rfc3339(start)),
            start_ms: Some(start),
            every_minutes: QUEUE_SAMPLE_MINUTES,
            max: samples.iter().copied().max().unwrap_or(0),
            mean,
            samples,
        }
    }
}

fn set_call_status(pending: &mut u32, c: &mut CallRecord, status: CallStatus) {
    if c.status == CallStatus::Pending {
        *pending = pending.saturating_sub(1);
    }
    if status == CallStatus::Pending {
        *pending += 1;
    }
    c.status = status;
}

/// The digits of a callback number.
fn caller_key(callback: &str) -> String {
    callback.chars().filter(char::is_ascii_digit).collect()
}

/// One call of the period as the figures see it.
#[allow(clippy::struct_excessive_bools)] // a flat record: one field per CSV column
#[derive(Clone, Debug, PartialEq)]
pub struct CallFacts {
    pub id: CallId,
    pub received_ms: i64,
    pub call_type: Option<CallType>,
    pub zone: Option<String>,
    /// First `TriageAnswered` or `Recommended`.
    pub triaged_ms: Option<i64>,
    /// First accepted dispatch.
    pub dispatched_ms: Option<i64>,
    /// Arrival of the first assignment (the first unit dispatched).
    pub arrived_ms: Option<i64>,
    /// First arrival of any unit.
    pub first_on_scene_ms: Option<i64>,
    /// The last unit clearing, once no unit is left on the call.
    pub cleared_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    /// The effective response (see the module docs).
    pub response: Option<ResponseType>,
    /// The protocol's latest recommendation and the rule that decided it.
    pub recommended: Option<ResponseType>,
    pub rule: Option<String>,
    /// The response chosen overrides the recommendation.
    pub overridden: bool,
    /// Units dispatched, each once, in dispatch order.
    pub units: Vec<Callsign>,
    /// Handled by a community team (the diversion numerator).
    pub community_team: bool,
    pub eligible: bool,
    /// The first unit dispatched cleared before it arrived.
    pub cleared_without_arrival: bool,
    /// Set only on a closed call.
    pub disposition: Option<Disposition>,
    /// The unserved reason of the last close; only on a closed call.
    pub unserved: Option<UnservedReason>,
    /// Backup requested, by agency, in order.
    pub backups: Vec<Agency>,
    address: String,
    caller: String,
}

fn span(from: Option<i64>, to: Option<i64>) -> Option<i64> {
    Some((to? - from?).max(0))
}

impl CallFacts {
    pub fn received_to_triaged_ms(&self) -> Option<i64> {
        span(Some(self.received_ms), self.triaged_ms)
    }

    pub fn received_to_dispatched_ms(&self) -> Option<i64> {
        span(Some(self.received_ms), self.dispatched_ms)
    }

    pub fn dispatched_to_on_scene_ms(&self) -> Option<i64> {
        span(self.dispatched_ms, self.arrived_ms)
    }

    pub fn on_scene_to_clear_ms(&self) -> Option<i64> {
        span(self.first_on_scene_ms, self.cleared_ms)
    }

    pub fn received_to_closed_ms(&self) -> Option<i64> {
        span(Some(self.received_ms), self.closed_ms)
    }

    pub fn handled(&self) -> bool {
        self.dispatched_ms.is_some()
    }

    fn group_keys(&self, by: GroupBy) -> Vec<String> {
        match by {
            GroupBy::Type => vec![self
                .call_type
                .map_or_else(|| "untyped".to_owned(), |t| t.word().to_owned())],
            GroupBy::Response => vec![self
                .response
                .map_or_else(|| "none".to_owned(), |r| r.word().to_owned())],
            GroupBy::Zone => vec![self.zone.clone().unwrap_or_else(|| "none".to_owned())],
            GroupBy::Unit if self.units.is_empty() => vec!["none".to_owned()],
            GroupBy::Unit => self.units.iter().map(ToString::to_string).collect(),
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// `part / whole`, to four decimals; none when `whole` is 0.
fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round4(part as f64 / whole as f64))
}

/// The value at rank `ceil(p/100 × n)` of a sorted list.
fn nearest_rank(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The period's calls, as the figures count them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Volumes {
    pub received: u64,
    pub closed: u64,
    /// Not closed as of the summary (including calls waiting for a disposition).
    pub open: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Diversion {
    /// Calls with a unit dispatched.
    pub handled: u64,
    /// Calls with a response or a unit dispatched: the diversion rate's denominator.
    pub with_response: u64,
    /// Handled with a community or co-response: the diversion rate's numerator.
    pub community_team: u64,
    /// Of those, community team alone.
    pub community_alone: u64,
    /// Of those, co-responses (clinician with police).
    pub co_response: u64,
    /// `community_team / with_response`; none when nothing had a response.
    pub diversion_rate: Option<f64>,
    /// Calls by effective response (`none` when none).
    pub by_response: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Backup {
    /// `BackupRequested` events of the period's calls.
    pub requests: u64,
    pub police: u64,
    pub ems: u64,
    pub fire: u64,
    /// `requests / handled`.
    pub rate_per_handled_call: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Unserved {
    pub eligible: u64,
    /// Eligible, closed, no community team: all reasons, recorded or not.
    pub not_served: u64,
    /// Not served, by the reason code of the close (every code listed).
    pub by_reason: BTreeMap<String, u64>,
    /// Not served and no reason code recorded.
    pub unrecorded: u64,
    /// A community team went, but the close carries a reason code (it waited past its limit).
    pub served_late: u64,
}

/// Median and 90th percentile (nearest rank) of one interval, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stat {
    /// Calls with both ends of the interval.
    pub count: u64,
    pub median_s: Option<f64>,
    pub p90_s: Option<f64>,
    /// The period's calls lacking it (not triaged, not dispatched, not arrived, still open…).
    pub excluded: u64,
}

impl Stat {
    fn of(calls: &[&CallFacts], interval: impl Fn(&CallFacts) -> Option<i64>) -> Stat {
        let mut values: Vec<i64> = calls.iter().filter_map(|c| interval(c)).collect();
        values.sort_unstable();
        let seconds = |ms: Option<i64>| ms.map(|ms| ms as f64 / 1000.0);
        Stat {
            count: values.len() as u64,
            median_s: seconds(nearest_rank(&values, 50)),
            p90_s: seconds(nearest_rank(&values, 90)),
            excluded: (calls.len() - values.len()) as u64,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Times {
    pub received_to_triaged: Stat,
    pub received_to_dispatched: Stat,
    pub dispatched_to_on_scene: Stat,
    pub on_scene_to_clear: Stat,
    pub received_to_closed: Stat,
    /// Calls whose first unit cleared before arriving (excluded from dispatched → on scene).
    pub cleared_without_arrival: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Repeats {
    /// Addresses with two or more of the calls.
    pub addresses: u64,
    /// Calls at those addresses.
    pub address_calls: u64,
    /// Callback numbers with two or more of the calls.
    pub callers: u64,
    pub caller_calls: u64,
}

/// The call figures of one group (or of all the period's calls).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub calls: Volumes,
    pub response: Diversion,
    pub backup: Backup,
    pub unserved: Unserved,
    pub times: Times,
    /// Closed calls by disposition (every disposition listed).
    pub dispositions: BTreeMap<String, u64>,
    pub repeats: Repeats,
}

fn repeats<'a>(keys: impl Iterator<Item = &'a str>) -> (u64, u64) {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for k in keys.filter(|k| !k.is_empty()) {
        *counts.entry(k).or_default() += 1;
    }
    counts
        .values()
        .filter(|&&n| n >= 2)
        .fold((0, 0), |(places, calls), &n| (places + 1, calls + n))
}

fn figures(calls: &[&CallFacts]) -> Figures {
    let count = |f: &dyn Fn(&CallFacts) -> bool| calls.iter().filter(|c| f(c)).count() as u64;
    let received = calls.len() as u64;
    let closed = count(&|c| c.closed_ms.is_some());
    let handled = count(&CallFacts::handled);
    let with_response = count(&|c| c.response.is_some() || c.handled());
    let community_team = count(&|c| c.community_team);
    let mut by_response: BTreeMap<String, u64> = BTreeMap::new();
    for c in calls {
        let key = c.response.map_or("none", ResponseType::word);
        *by_response.entry(key.to_owned()).or_default() += 1;
    }
    let agency = |a: Agency| {
        calls
            .iter()
            .map(|c| c.backups.iter().filter(|b| **b == a).count() as u64)
            .sum::<u64>()
    };
    let requests: u64 = calls.iter().map(|c| c.backups.len() as u64).sum();
    let mut by_reason: BTreeMap<String, u64> = UnservedReason::ALL
        .iter()
        .map(|r| (r.word().to_owned(), 0))
        .collect();
    let not_served: Vec<&&CallFacts> = calls
        .iter()
        .filter(|c| c.eligible && c.closed_ms.is_some() && !c.community_team)
        .collect();
    for c in &not_served {
        if let Some(r) = c.unserved {
            *by_reason.entry(r.word().to_owned()).or_default() += 1;
        }
    }
    let mut dispositions: BTreeMap<String, u64> = Disposition::ALL
        .iter()
        .map(|d| (d.word().to_owned(), 0))
        .collect();
    for d in calls.iter().filter_map(|c| c.disposition) {
        *dispositions.entry(d.word().to_owned()).or_default() += 1;
    }
    let (addresses, address_calls) = repeats(calls.iter().map(|c| c.address.as_str()));
    let (callers, caller_calls) = repeats(calls.iter().map(|c| c.caller.as_str()));
    Figures {
        calls: Volumes {
            received,
            closed,
            open: received - closed,
        },
        response: Diversion {
            handled,
            with_response,
            community_team,
            community_alone: count(&|c| {
                c.community_team && c.response == Some(ResponseType::Community)
            }),
            co_response: count(&|c| {
                c.community_team && c.response == Some(ResponseType::CoResponse)
            }),
            diversion_rate: ratio(community_team, with_response),
            by_response,
        },
        backup: Backup {
            requests,
            police: agency(Agency::Police),
            ems: agency(Agency::Ems),
            fire: agency(Agency::Fire),
            rate_per_handled_call: ratio(requests, handled),
        },
        unserved: Unserved {
            eligible: count(&|c| c.eligible),
            not_served: not_served.len() as u64,
            by_reason,
            unrecorded: not_served.iter().filter(|c| c.unserved.is_none()).count() as u64,
            served_late: count(&|c| c.community_team && c.unserved.is_some()),
        },
        times: Times {
            received_to_triaged: Stat::of(calls, CallFacts::received_to_triaged_ms),
            received_to_dispatched: Stat::of(calls, CallFacts::received_to_dispatched_ms),
            dispatched_to_on_scene: Stat::of(calls, CallFacts::dispatched_to_on_scene_ms),
            on_scene_to_clear: Stat::of(calls, CallFacts::on_scene_to_clear_ms),
            received_to_closed: Stat::of(calls, CallFacts::received_to_closed_ms),
            cleared_without_arrival: count(&|c| c.cleared_without_arrival),
        },
        dispositions,
        repeats: Repeats {
            addresses,
            address_calls,
            callers,
            caller_calls,
        },
    }
}

/// Safety check-ins of units on scene (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Safety {
    pub on_time: u64,
    pub late: u64,
    /// Of the late ones, still missing at the summary's time.
    pub overdue_now: u64,
    pub overdue_minutes: f64,
    pub escalations: u64,
    /// `on_time / (on_time + late)`.
    pub on_time_share: Option<f64>,
}

impl From<SafetyTally> for Safety {
    fn from(t: SafetyTally) -> Self {
        Safety {
            on_time: t.on_time,
            late: t.late,
            overdue_now: t.overdue_now,
            overdue_minutes: round4(t.overdue_ms as f64 / MINUTE_MS as f64),
            escalations: t.escalations,
            on_time_share: ratio(t.on_time, t.on_time + t.late),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UnitFigures {
    /// Time on the roster inside the window.
    pub on_roster_s: f64,
    /// Share of that time in each status (AVL, DSP, ENR, ONS, TRN, ATF, OOS).
    pub status_share: BTreeMap<&'static str, Option<f64>>,
    pub safety: Safety,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodSummary {
    pub since: String,
    pub until: String,
    pub as_of: String,
    pub since_ms: i64,
    pub until_ms: i64,
    pub as_of_ms: i64,
    /// The clock of `calls_by_hour`.
    pub hours: Hours,
}

/// The number of pending calls every [`QUEUE_SAMPLE_MINUTES`] from `start`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PendingQueue {
    pub start: Option<String>,
    pub start_ms: Option<i64>,
    pub every_minutes: i64,
    pub max: u32,
    pub mean: Option<f64>,
    pub samples: Vec<u32>,
}

/// Every figure of a period, as of one moment. Serialized with stable keys.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub period: PeriodSummary,
    /// Events taken.
    pub events: u64,
    pub by: Option<GroupBy>,
    pub total: Figures,
    /// Figures per group when grouped (a call may count in several unit groups).
    pub groups: BTreeMap<String, Figures>,
    /// Utilisation and check-ins per unit.
    pub units: BTreeMap<String, UnitFigures>,
    /// Check-ins of all units.
    pub safety: Safety,
    /// The period's calls by hour of day of their received time, 0–23.
    pub calls_by_hour: Vec<u64>,
    pub pending_queue: PendingQueue,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_takes_the_lower_middle_and_the_ninetieth() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 50), Some(5));
        assert_eq!(nearest_rank(&v, 90), Some(9));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3], 50), Some(2));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn addresses_normalize_case_and_punctuation() {
        assert_eq!(
            address_key("1400 Colfax Ave."),
            address_key("1400  colfax ave")
        );
        assert_eq!(caller_key("(555) 01-01"), "5550101");
    }
}
