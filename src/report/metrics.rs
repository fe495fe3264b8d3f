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
//! This file takes the events; `summary` reads the figures out, `figures` counts a set of
//! calls, `checkins` and `queue` keep the safety and pending-queue tallies as time passes, and
//! `period` says which calls and hours count.
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
//! - **response** of a call: what it was worked as — the response chosen with `respond`, else
//!   for a backup call the agency it asked for, else the protocol's latest recommendation. A
//!   call with none of these is **untriaged** (its own group, so the groups add up).
//! - **handled**: at least one unit was dispatched to the call (a dispatch the fold accepted).
//! - **sent**: the units dispatched to the call. A **community team** is a unit with a
//!   clinician, medic, EMT or peer worker that is not fire or an ambulance
//!   (`triage::is_community_team`); a police unit with a clinician aboard (a co-responder car)
//!   is both a community team and police.
//! - **community team** (the diversion numerator): a community team was sent, whatever was
//!   recommended — a police unit sent to a community call is not a diversion. **Diversion
//!   rate** = community-team calls / calls with a response or a dispatch. Of the
//!   community-team calls, **co-responses** had a police unit sent too, the rest went **alone**.
//! - **plans**: per response, its calls, and how much of the response plan went: **in full**
//!   (a unit sent for every slot: for a co-response, a community team and a police unit),
//!   **short** (a unit went, but not for every slot), or **none sent**; the slots left empty;
//!   the units sent. A response that sends nobody (crisis line, information only) counts its
//!   calls and any units sent.
//! - **corrections**: units told to `disregard` the period's calls on their way, and statuses
//!   on them taken back with `correct`. A disregarded unit is not the call's first unit in the
//!   times: received → dispatched and dispatched → on scene count from the first unit that was
//!   not told to disregard.
//! - **duplicates**: a call closed as a duplicate (`merge`) is not a call received: it is
//!   counted as a duplicate merged into the call it repeated.
//! - **holds**: `CallHeld` events of the period's calls, and how many calls were held.
//! - **backup requests**: `BackupRequested` events of the period's calls, by agency; the rate is
//!   requests / handled calls.
//! - **eligible**: the protocol's latest recommendation is `community`, or the call was closed
//!   with an unserved reason (someone recorded it as eligible). **Not served**: eligible, closed,
//!   and no community team sent — by the reason code of its last close (`no-unit`,
//!   `outside-hours`, …) or `unrecorded` when the close gave none (the desk asks for one, so
//!   only older stores have these). **Served late**: a community team went, but the close
//!   carries a reason code (the desk asks for one when an eligible call waited past its pending
//!   limit).
//! - **times**, each over the calls that have both ends (median and 90th percentile by nearest
//!   rank: the value at rank `ceil(p/100 × n)` of the sorted list, so the median of an even
//!   count is the lower middle value):
//!   - received → triaged: to the first `TriageAnswered` or `Recommended`;
//!   - received → dispatched: to the first accepted `UnitDispatched`;
//!   - dispatched → en route: from the first assignment's dispatch to that assignment setting
//!     out (a unit dispatched already en route counts 0);
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
//!   after it was due — the console's `LATE` and `ESCALATE`. The interval is the one in force
//!   when the stretch began: the limits the desk that recorded the arrival (or the check-in)
//!   had written into the log (`Body::LimitsRecorded`), never the reader's `config.toml` —
//!   except for a desk that recorded none (a store older than the record), whose stretches are
//!   judged by the reader's config and counted in `judged_by_config`.
//! - **calls by hour**: the period's calls by hour of day of their received time (UTC or local).
//! - **pending queue**: the number of pending calls (any call, not only the period's: it is the
//!   queue the dispatcher saw; a backup call the other agency confirmed is theirs, not in it),
//!   followed event by event over the window from `since` (or the
//!   15-minute interval of the first event, if later) to `min(until, now)`: the most pending at
//!   once and when, the mean weighted by time, and the peak of every 15-minute interval.

mod carry;
mod checkins;
mod figures;
mod period;
mod queue;
mod summary;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::rfc3339;
use crate::domain::event::FoldKey;
use crate::domain::policy::Limits;
use crate::domain::{
    Agency, Body, CallId, CallStatus, CallType, Callsign, Capability, Disposition, Event, Policy,
    ReplicaId, ResponseType, UnitStatus, UnservedReason,
};
use checkins::SafetyTally;

pub use carry::Carry;
pub use checkins::Safety;
pub use figures::{
    Backup, CallFacts, Diversion, Figures, PlanFigures, PlanSent, Repeats, Stat, Times, Unserved,
    Volumes, UNTRIAGED,
};
pub use period::{GroupBy, Hours, Period};
pub use queue::{PendingQueue, QUEUE_INTERVAL_MINUTES};
pub use summary::{PeriodSummary, Summary, UnitFigures};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

fn shipped_policy() -> Policy {
    Policy::new(crate::config::protocol::shipped())
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// `part / whole`, to four decimals; none when `whole` is 0.
fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round4(part as f64 / whole as f64))
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Assignment {
    unit: Callsign,
    dispatched_ms: i64,
    en_route_ms: Option<i64>,
    on_scene_ms: Option<i64>,
    cleared_ms: Option<i64>,
    /// Told to disregard on its way: not the call's response in the times.
    disregarded: bool,
}

/// What the accumulator keeps of one call. Text fields are kept only for the period's calls.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct CallRecord {
    received_ms: i64,
    in_period: bool,
    /// Created by `backup` for this agency: not a call received.
    backup_for: Option<Agency>,
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
    /// Times put on hold.
    holds: u32,
    /// Units told to disregard it, and statuses on it corrected.
    disregarded: u32,
    corrected: u32,
    /// Duplicates merged into this call.
    merged_in: u32,
    /// A backup call the other agency confirmed it has: theirs now, not in our pending queue.
    confirmed: bool,
    /// Its hand-offs to and from partners.
    #[serde(default)]
    handoffs: Vec<super::handoffs::HandoffFacts>,
}

impl CallRecord {
    /// Whether it counts in the pending queue: pending here, as [`crate::domain::Call::waits_here`]
    /// has it for the desk.
    fn waits_here(&self) -> bool {
        self.status == CallStatus::Pending && !(self.backup_for.is_some() && self.confirmed)
    }
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

    /// What the call is worked as, as the fold's `Call::response_type` says: chosen, else the
    /// agency a backup call asked for, else recommended.
    fn response(&self) -> Option<ResponseType> {
        self.chosen
            .or(self.backup_for.map(ResponseType::of_agency))
            .or(self.recommended.as_ref().map(|r| r.0))
    }
}

/// A stretch on scene, from the arrival or the last check-in, with the limits its desk had
/// recorded by then (`None`: none recorded, so the reader's policy judges it).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Stretch {
    since: i64,
    limits: Option<Limits>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct UnitRecord {
    capabilities: BTreeSet<Capability>,
    status: UnitStatus,
    status_ms: i64,
    call: Option<CallId>,
    /// Time in each status (in `UnitStatus::ALL` order), clipped to `[since, until)`.
    in_status_ms: [i64; 7],
    /// On scene: the stretch the safety timer is timing.
    stretch: Option<Stretch>,
    safety: SafetyTally,
}

fn status_index(s: UnitStatus) -> usize {
    UnitStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// The incremental accumulator. See the module docs for what each figure counts.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Metrics {
    period: Period,
    /// The reader's policy: judges only what the log recorded no limits for. Not sent with
    /// the figures: the reader sets its own ([`Metrics::decode`]).
    #[serde(skip, default = "shipped_policy")]
    policy: Policy,
    by: Option<GroupBy>,
    calls: HashMap<CallId, CallRecord>,
    units: BTreeMap<Callsign, UnitRecord>,
    /// The limits each desk recorded last.
    limits: HashMap<ReplicaId, Limits>,
    /// Pending calls after the last event.
    pending: u32,
    queue: queue::Queue,
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
            limits: HashMap::new(),
            pending: 0,
            queue: queue::Queue::new(period.since_ms, period.until_ms),
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

    /// The hand-offs received or sent in the period.
    pub fn handoffs(&self) -> super::handoffs::Handoffs {
        let all = self.calls.values().flat_map(|c| &c.handoffs);
        super::handoffs::figures(all, self.period.since_ms, self.period.until_ms)
    }

    /// The last event taken.
    pub fn last(&self) -> Option<FoldKey> {
        self.last
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
        self.take(e);
        self.queue.set(e.wall_ms, self.pending);
        true
    }

    fn take(&mut self, e: &Event) {
        let at = e.wall_ms;
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
                    return; // minted twice: the fold keeps the first
                }
                let in_period = self.period.contains(at);
                self.calls.insert(
                    call.clone(),
                    CallRecord {
                        received_ms: at,
                        in_period,
                        backup_for: None,
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
                        holds: 0,
                        disregarded: 0,
                        corrected: 0,
                        merged_in: 0,
                        confirmed: false,
                        handoffs: Vec::new(),
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
            Body::CallMerged { call, into } => {
                if let Some(c) = self.calls.get_mut(into) {
                    c.merged_in += 1;
                }
                if let Some(c) = self.calls.get_mut(call) {
                    set_call_status(&mut self.pending, c, CallStatus::Closed);
                    c.disposition = Some(Disposition::Duplicate);
                    c.closed_ms = Some(at);
                    c.unserved = None;
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
            Body::UnitCheckedIn { unit, .. } => self.check_in(unit, e),
            Body::CallReopened { call } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.disposition = None;
                    c.closed_ms = None;
                    c.unserved = None;
                    let status = c.working_status();
                    set_call_status(&mut self.pending, c, status);
                }
            }
            Body::UnitDisregarded { unit, call, .. } => {
                let on = self.units.get(unit).and_then(|u| u.call.clone());
                if on.as_ref() != Some(call) {
                    return; // the fold ignores it too
                }
                self.set_unit_status(unit, UnitStatus::Available, e, None);
                if let Some(c) = self.calls.get_mut(call) {
                    c.disregarded += 1;
                    if let Some(a) = c.active_assignment_mut(unit) {
                        a.cleared_ms = Some(at);
                        a.disregarded = true;
                    }
                    let active = c.assignments.iter().any(|a| a.cleared_ms.is_none());
                    let nobody_went = c.assignments.iter().all(|a| a.disregarded);
                    if c.status != CallStatus::Closed && (active || nobody_went) {
                        let status = c.working_status();
                        set_call_status(&mut self.pending, c, status);
                    }
                }
            }
            Body::StatusCorrected {
                unit, call, status, ..
            } => {
                let on = self.units.get(unit).map(|u| u.call.clone());
                if !matches!(&on, Some(Some(c)) if c == call) && on != Some(None) {
                    return; // the fold ignores it too
                }
                self.set_unit_status(unit, *status, e, Some(call.clone()));
                if let Some(c) = self.calls.get_mut(call) {
                    c.corrected += 1;
                    if let Some(a) = c.assignments.iter_mut().rev().find(|a| a.unit == *unit) {
                        a.cleared_ms = None;
                        if status.step().unwrap_or(0) < 2 {
                            a.en_route_ms = None;
                        }
                        if status.step().unwrap_or(0) < 3 {
                            a.on_scene_ms = None;
                        }
                    }
                    if c.status != CallStatus::Closed {
                        let status = c.working_status();
                        set_call_status(&mut self.pending, c, status);
                    }
                }
            }
            Body::CallHeld { call, .. } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.holds += 1;
                }
            }
            Body::BackupConfirmed { call, .. } => {
                if let Some(c) = self.calls.get_mut(call) {
                    let waited = c.waits_here();
                    c.confirmed = true;
                    if waited && !c.waits_here() {
                        self.pending = self.pending.saturating_sub(1);
                    }
                }
            }
            Body::NoteAdded { .. }
            | Body::SignedOn
            | Body::SignedOff
            | Body::HoldReleased { .. }
            | Body::CallsLinked { .. }
            | Body::AlertAcknowledged { .. }
            | Body::CallErased { .. }
            | Body::LegalHold { .. }
            | Body::CallRestricted { .. }
            | Body::RestrictedViewed { .. } => {}
            Body::Handoff {
                call,
                partner,
                direction,
                stage,
                ..
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    let found = c
                        .handoffs
                        .iter()
                        .position(|h| h.partner == *partner && h.direction == *direction);
                    let i = found.unwrap_or_else(|| {
                        c.handoffs.push(super::handoffs::HandoffFacts {
                            partner: partner.clone(),
                            direction: *direction,
                            received_ms: at,
                            accepted_ms: None,
                            rejected: false,
                        });
                        c.handoffs.len() - 1
                    });
                    c.handoffs[i].take(*stage, at);
                }
            }
            Body::LimitsRecorded { limits } => {
                self.limits.insert(e.origin, limits.clone());
            }
            Body::BackupRequested {
                call,
                agency,
                child,
            } => {
                if let Some(c) = self.calls.get_mut(child) {
                    c.backup_for = Some(*agency);
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
                        capabilities: BTreeSet::new(),
                        status: UnitStatus::Available,
                        status_ms: at,
                        call: None,
                        in_status_ms: [0; 7],
                        stretch: None,
                        safety: SafetyTally::default(),
                    })
                    .capabilities = capabilities.iter().copied().collect();
            }
            Body::UnitDispatched {
                unit,
                call,
                en_route,
                from,
            } => {
                let Some(current) = self.units.get(unit).map(|u| u.call.clone()) else {
                    return;
                };
                if &current != from {
                    return; // the fold keeps the unit where a peer put it
                }
                if let Some(previous) = &current {
                    self.clear_assignment(previous, unit, at);
                }
                let status = if *en_route {
                    UnitStatus::EnRoute
                } else {
                    UnitStatus::Dispatched
                };
                self.set_unit_status(unit, status, e, Some(call.clone()));
                if let Some(c) = self.calls.get_mut(call) {
                    c.assignments.push(Assignment {
                        unit: unit.clone(),
                        dispatched_ms: at,
                        en_route_ms: en_route.then_some(at),
                        on_scene_ms: None,
                        cleared_ms: None,
                        disregarded: false,
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
                    return;
                };
                let clears = matches!(status, UnitStatus::Available | UnitStatus::OutOfService);
                if !clears && &current != call {
                    return; // the fold ignores it too
                }
                let keeps = if clears { None } else { current.clone() };
                self.set_unit_status(unit, *status, e, keeps);
                let Some(current) = current else {
                    return;
                };
                if clears {
                    self.clear_assignment(&current, unit, at);
                    return;
                }
                if let Some(c) = self.calls.get_mut(&current) {
                    if let Some(a) = c.active_assignment_mut(unit) {
                        match status {
                            UnitStatus::EnRoute => {
                                a.en_route_ms.get_or_insert(at);
                            }
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

    /// A stretch on scene starting now, judged by the limits `e`'s desk recorded.
    fn stretch(&self, e: &Event) -> Stretch {
        Stretch {
            since: e.wall_ms,
            limits: self.limits.get(&e.origin).cloned(),
        }
    }

    /// The check-in interval for a unit working `call` in `stretch`, and whether the reader's
    /// policy had to stand in for limits the log does not have.
    fn interval(&self, call: Option<&CallId>, stretch: &Stretch) -> (i64, bool) {
        let response = call
            .and_then(|c| self.calls.get(c))
            .and_then(CallRecord::response);
        match &stretch.limits {
            Some(limits) => (limits.checkin_ms(response), false),
            None => (self.policy.checkin_ms(response), true),
        }
    }

    fn set_unit_status(
        &mut self,
        unit: &Callsign,
        status: UnitStatus,
        e: &Event,
        call: Option<CallId>,
    ) {
        let at = e.wall_ms;
        let stretch = (status == UnitStatus::OnScene).then(|| self.stretch(e));
        let period = self.period;
        let Some(u) = self.units.get(unit) else {
            return;
        };
        let judge = u
            .stretch
            .as_ref()
            .map(|s| (s.since, self.interval(u.call.as_ref(), s)));
        let Some(u) = self.units.get_mut(unit) else {
            return;
        };
        u.in_status_ms[status_index(u.status)] += period.clip(u.status_ms, at, period.until_ms);
        if let Some((since, interval)) = judge {
            u.safety.window(&period, (since, at), interval, false);
        }
        u.stretch = stretch;
        u.status = status;
        u.status_ms = at;
        u.call = call;
    }

    fn check_in(&mut self, unit: &Callsign, e: &Event) {
        let at = e.wall_ms;
        let next = self.stretch(e);
        let period = self.period;
        let Some(u) = self.units.get(unit) else {
            return;
        };
        if u.status != UnitStatus::OnScene {
            return;
        }
        let Some(stretch) = &u.stretch else {
            return;
        };
        let (since, interval) = (stretch.since, self.interval(u.call.as_ref(), stretch));
        let Some(u) = self.units.get_mut(unit) else {
            return;
        };
        u.safety.window(&period, (since, at), interval, true);
        u.stretch = Some(Stretch {
            since: at.max(since),
            ..next
        });
    }

    /// What the unit's open safety window adds at `now`: a late check-in still missing.
    fn open_window(&self, u: &UnitRecord, now_ms: i64) -> SafetyTally {
        let mut t = SafetyTally::default();
        if let Some(stretch) = &u.stretch {
            let interval = self.interval(u.call.as_ref(), stretch);
            t.window(&self.period, (stretch.since, now_ms), interval, false);
            t.overdue_now = t.late;
        }
        t
    }
}

fn set_call_status(pending: &mut u32, c: &mut CallRecord, status: CallStatus) {
    if c.waits_here() {
        *pending = pending.saturating_sub(1);
    }
    c.status = status;
    if c.waits_here() {
        *pending += 1;
    }
}

/// The digits of a callback number.
fn caller_key(callback: &str) -> String {
    callback.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::address_key;

    #[test]
    fn nearest_rank_takes_the_lower_middle_and_the_ninetieth() {
        use figures::nearest_rank;
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
