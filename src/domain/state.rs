//! The projected state: a deterministic fold over events in `(hlc, origin, seq)` order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::call::Call;
use super::event::{CallField, Event, FoldKey};
use super::ids::{alert_id, CallId, Callsign, ReplicaId};
use super::known::{Known, KnownHere};
use super::ledger::{Direction, Handoff, Stage};
use super::policy::Limits;
use super::unit::Unit;

mod archive;
mod fold;

pub use archive::{call_hash, place_key, Record, RecordOut, Sum, Trace};

/// Something people must see: a conflict between consoles, shown rather than dropped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub wall_ms: i64,
    pub origin: ReplicaId,
    pub seq: u64,
    pub text: String,
    /// Who acknowledged it; until someone does, it blocks every console.
    pub acknowledged_by: Option<String>,
}

impl Alert {
    /// The name people type to acknowledge it: the raising event's replica tag and seq.
    pub fn id(&self) -> String {
        alert_id(self.origin, self.seq)
    }

    pub fn is_open(&self) -> bool {
        self.acknowledged_by.is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Applied,
    /// Already folded (same origin and seq); nothing changed.
    Duplicate,
    /// Sorts before events already folded: the caller must re-fold (see [`State::fold`]).
    OutOfOrder,
}

/// Bumped whenever the fold or [`Checkpoint`]'s fields change, so that a checkpoint made by
/// another fold is never resumed from.
pub const FOLD_VERSION: u32 = 5;

/// The fold's whole state at one point of the log, borrowed, to be written down
/// ([`State::checkpoint`]); read back as a [`Checkpoint`]. The node's own times
/// ([`KnownHere`]) are not in it: the store keeps them beside the log.
#[derive(Serialize)]
pub struct Snapshot<'a> {
    version: u32,
    calls: &'a BTreeMap<CallId, Call>,
    units: &'a BTreeMap<Callsign, Unit>,
    alerts: &'a [Alert],
    limits: &'a BTreeMap<ReplicaId, Limits>,
    seen: &'a BTreeMap<ReplicaId, u64>,
    last: Option<FoldKey>,
    call_numbers: &'a BTreeMap<String, u32>,
    events: u64,
    takers: Vec<(&'a CallId, (ReplicaId, u64))>,
    setters: Vec<(&'a CallId, &'static str, (ReplicaId, u64))>,
    overruled: Vec<((ReplicaId, u64), &'a String)>,
    incidents: &'a BTreeMap<String, CallId>,
    status_set: Vec<(&'a Callsign, (ReplicaId, u64))>,
    checkin_set: Vec<(&'a Callsign, (ReplicaId, u64))>,
    on_desk: &'a BTreeMap<String, i64>,
    let_go: &'a BTreeMap<CallId, Trace>,
    let_go_sum: Sum,
}

/// A [`Snapshot`] read back: the value [`State::resume`] carries on folding from.
#[derive(Debug, Deserialize)]
pub struct Checkpoint {
    version: u32,
    calls: BTreeMap<CallId, Call>,
    units: BTreeMap<Callsign, Unit>,
    alerts: Vec<Alert>,
    limits: BTreeMap<ReplicaId, Limits>,
    seen: BTreeMap<ReplicaId, u64>,
    last: Option<FoldKey>,
    call_numbers: BTreeMap<String, u32>,
    events: u64,
    takers: Vec<(CallId, (ReplicaId, u64))>,
    setters: Vec<(CallId, String, (ReplicaId, u64))>,
    overruled: Vec<((ReplicaId, u64), String)>,
    incidents: BTreeMap<String, CallId>,
    status_set: Vec<(Callsign, (ReplicaId, u64))>,
    checkin_set: Vec<(Callsign, (ReplicaId, u64))>,
    #[serde(default)]
    on_desk: BTreeMap<String, i64>,
    #[serde(default)]
    let_go: BTreeMap<CallId, Trace>,
    #[serde(default)]
    let_go_sum: Sum,
}

impl Checkpoint {
    /// Events folded into it.
    pub fn event_count(&self) -> u64 {
        self.events
    }

    /// Per origin, the highest seq folded into it.
    pub fn seen(&self) -> &BTreeMap<ReplicaId, u64> {
        &self.seen
    }

    /// The fold key of the last event folded into it.
    pub fn last_key(&self) -> Option<FoldKey> {
        self.last
    }
}

/// `Serialize` writes what `state --json` shows: the calls in memory (`state --json` reads
/// every let-go call back first), the roster, the alerts, the limits, who is on the desk.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct State {
    /// The calls in memory: every open one and the recently closed ones; the others are let
    /// go to the store, with a trace kept here ([`State::let_go_calls`]).
    pub calls: BTreeMap<CallId, Call>,
    pub units: BTreeMap<Callsign, Unit>,
    pub alerts: Vec<Alert>,
    /// The time limits each desk last recorded (see `policy::Limits`).
    pub limits: BTreeMap<ReplicaId, Limits>,
    /// Operators signed on to the desk (`on`), and since when; `off` signs them off.
    pub on_desk: BTreeMap<String, i64>,
    /// Highest seq folded per origin.
    #[serde(skip)]
    seen: BTreeMap<ReplicaId, u64>,
    #[serde(skip)]
    last: Option<FoldKey>,
    /// Highest number used per call-id series (`26-KQ`).
    #[serde(skip)]
    call_numbers: BTreeMap<String, u32>,
    #[serde(skip)]
    events: u64,
    /// Per call, the event that took it; per call and field, the last event that set it.
    #[serde(skip)]
    takers: BTreeMap<CallId, (ReplicaId, u64)>,
    #[serde(skip)]
    setters: BTreeMap<(CallId, &'static str), (ReplicaId, u64)>,
    /// Events whose change was overruled by a concurrent one (last writer wins), with why:
    /// kept in the chronology and marked, never dropped.
    #[serde(skip)]
    pub overruled: BTreeMap<(ReplicaId, u64), String>,
    /// Partners' incident ids, and the call each became here (the first one, if a sender ever
    /// reused an id).
    #[serde(skip)]
    incidents: BTreeMap<String, CallId>,
    /// Per unit, the event that set its status time, and the one that set its last check-in.
    #[serde(skip)]
    status_set: BTreeMap<Callsign, (ReplicaId, u64)>,
    #[serde(skip)]
    checkin_set: BTreeMap<Callsign, (ReplicaId, u64)>,
    /// When this node first knew events stamped by a clock that was off: not folded, not
    /// replicated, handed in by the shell (see `known`). Ages and alarms read it.
    #[serde(skip)]
    known: KnownHere,
    /// The calls let go from memory ([`archive`]).
    #[serde(skip)]
    archive: archive::Archive,
}

impl State {
    /// Folds a set of events given in any order, with duplicates, into the same state.
    pub fn fold<I: IntoIterator<Item = Event>>(events: I) -> Self {
        let mut events: Vec<Event> = events.into_iter().collect();
        events.sort_by_key(Event::fold_key);
        let mut state = State::default();
        for e in &events {
            state.apply(e);
        }
        state
    }

    /// The fold as it stands, to be written down and resumed from ([`State::resume`]).
    pub fn checkpoint(&self) -> Snapshot<'_> {
        fn pairs<K, V: Copy>(map: &BTreeMap<K, V>) -> Vec<(&K, V)> {
            map.iter().map(|(k, v)| (k, *v)).collect()
        }
        Snapshot {
            version: FOLD_VERSION,
            calls: &self.calls,
            units: &self.units,
            alerts: &self.alerts,
            limits: &self.limits,
            seen: &self.seen,
            last: self.last,
            call_numbers: &self.call_numbers,
            events: self.events,
            takers: pairs(&self.takers),
            setters: self
                .setters
                .iter()
                .map(|((call, field), by)| (call, *field, *by))
                .collect(),
            overruled: self.overruled.iter().map(|(k, v)| (*k, v)).collect(),
            incidents: &self.incidents,
            status_set: pairs(&self.status_set),
            checkin_set: pairs(&self.checkin_set),
            on_desk: &self.on_desk,
            let_go: &self.archive.traces,
            let_go_sum: self.archive.sum,
        }
    }

    /// The state a checkpoint was made of, to fold on from: the same as folding the events it
    /// covers. Refused (with why) when it was made by another fold or names a field this fold
    /// does not know. The node's own times are handed in afterwards ([`State::set_known`]).
    pub fn resume(checkpoint: Checkpoint) -> Result<State, String> {
        let c = checkpoint;
        if c.version != FOLD_VERSION {
            return Err(format!(
                "it was made by fold version {}, not {FOLD_VERSION}",
                c.version
            ));
        }
        let mut setters = BTreeMap::new();
        for (call, field, by) in c.setters {
            let Some(name) = CallField::known_name(&field) else {
                return Err(format!(
                    "it names a call field `{field}` this fold does not know"
                ));
            };
            setters.insert((call, name), by);
        }
        Ok(State {
            calls: c.calls,
            units: c.units,
            alerts: c.alerts,
            limits: c.limits,
            seen: c.seen,
            last: c.last,
            call_numbers: c.call_numbers,
            events: c.events,
            takers: c.takers.into_iter().collect(),
            setters,
            overruled: c.overruled.into_iter().collect(),
            incidents: c.incidents,
            status_set: c.status_set.into_iter().collect(),
            checkin_set: c.checkin_set.into_iter().collect(),
            on_desk: c.on_desk,
            known: KnownHere::default(),
            archive: archive::Archive {
                traces: c.let_go,
                sum: c.let_go_sum,
            },
        })
    }

    /// Folds one event that sorts after everything folded so far.
    pub fn apply(&mut self, e: &Event) -> Applied {
        if self.seen.get(&e.origin).is_some_and(|&s| s >= e.seq) {
            return Applied::Duplicate;
        }
        let key = e.fold_key();
        if self.last.is_some_and(|last| key < last) {
            return Applied::OutOfOrder;
        }
        self.last = Some(key);
        self.seen.insert(e.origin, e.seq);
        self.events += 1;
        self.fold_body(e);
        // What comes for an erased call (a peer's concurrent note) is erased too.
        for call in e.body.calls() {
            if let Some(c) = self.calls.get_mut(call).filter(|c| c.erased) {
                c.erase();
            }
        }
        Applied::Applied
    }

    /// When this node first knew events whose origin's clock was off ([`KnownHere`]).
    pub fn known(&self) -> &KnownHere {
        &self.known
    }

    /// Takes this node's record of when it first knew events stamped by a clock that was off
    /// (the store's, at open); ages and alarms count from those times.
    pub fn set_known(&mut self, known: KnownHere) {
        self.known = known;
    }

    /// This node first knew `(origin, seq)` then.
    pub fn know(&mut self, origin: ReplicaId, seq: u64, known: Known) {
        self.known.insert(origin, seq, known);
    }

    /// When a call's age counts from here: when it was taken, or, if the desk that took it had
    /// a clock that was off, when this node first knew it.
    pub fn call_since(&self, call: &Call) -> i64 {
        self.known
            .counted_ms(self.takers.get(&call.id).copied(), call.received_ms)
    }

    /// When a unit's time in its status counts from here (as [`State::call_since`]).
    pub fn status_since(&self, unit: &Unit) -> i64 {
        self.known
            .counted_ms(self.status_set.get(&unit.callsign).copied(), unit.status_ms)
    }

    /// When a unit's last check-in counts from here (as [`State::call_since`]).
    pub fn checkin_since(&self, unit: &Unit) -> Option<i64> {
        let at = unit.checkin_ms?;
        Some(
            self.known
                .counted_ms(self.checkin_set.get(&unit.callsign).copied(), at),
        )
    }

    /// Number of events folded.
    pub fn event_count(&self) -> u64 {
        self.events
    }

    /// The highest seq folded from `origin` (0 if none).
    pub fn seen(&self, origin: ReplicaId) -> u64 {
        self.seen.get(&origin).copied().unwrap_or(0)
    }

    /// The fold key of the last event folded: an event that sorts before it needs a re-fold.
    pub fn last_key(&self) -> Option<FoldKey> {
        self.last
    }

    /// Highest hlc folded, so a restarted clock never goes backwards.
    pub fn last_hlc(&self) -> u64 {
        self.last.map_or(0, |k| k.0)
    }

    /// The event that last set this field of a call (the one that took the call, if none did).
    pub fn field_setter(&self, call: &CallId, field: &'static str) -> Option<(ReplicaId, u64)> {
        self.setters
            .get(&(call.clone(), field))
            .or_else(|| self.takers.get(call))
            .copied()
    }

    /// The event that took this call.
    pub fn taker(&self, call: &CallId) -> Option<(ReplicaId, u64)> {
        self.takers.get(call).copied()
    }

    /// The call a partner's incident became here, if it was handed in or out before.
    pub fn call_for_incident(&self, incident: &str) -> Option<&CallId> {
        if incident.is_empty() {
            return None;
        }
        self.incidents.get(incident)
    }

    /// The call a partner's `requestForService` with this id brought in (or asked for again).
    pub fn call_for_request(&self, partner: &str, request: &str) -> Option<&CallId> {
        self.calls.values().find_map(|c| {
            c.handoffs
                .iter()
                .any(|h| {
                    h.partner == partner
                        && h.direction == Direction::In
                        && h.requests.iter().any(|r| r == request)
                })
                .then_some(&c.id)
        })
    }

    /// Why this event's change did not stand, if it did not: overruled by a concurrent edit,
    /// or the one that lost a conflict alert.
    pub fn lost(&self, origin: ReplicaId, seq: u64) -> Option<&str> {
        self.overruled
            .get(&(origin, seq))
            .map(String::as_str)
            .or_else(|| {
                self.alerts
                    .iter()
                    .find(|a| a.origin == origin && a.seq == seq)
                    .map(|a| a.text.as_str())
            })
    }

    pub fn next_call_number(&self, series: &str) -> u32 {
        self.call_numbers.get(series).copied().unwrap_or(0) + 1
    }

    /// Conflict alerts nobody has acknowledged yet, oldest first.
    pub fn open_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.is_open())
    }

    /// Open calls, most urgent first, then oldest.
    pub fn queue(&self) -> Vec<&Call> {
        let mut open: Vec<&Call> = self.calls.values().filter(|c| c.is_open()).collect();
        open.sort_by(|a, b| {
            (a.priority, a.received_ms, &a.id).cmp(&(b.priority, b.received_ms, &b.id))
        });
        open
    }

    /// A hex digest that is equal on two stores exactly when their projected states are,
    /// history included: one hash per call summed ([`Sum`]) wherever the call is kept, with
    /// the roster, the alerts, the limits and who is on the desk.
    pub fn digest(&self) -> String {
        #[derive(Serialize)]
        struct Rest<'a> {
            units: &'a BTreeMap<Callsign, Unit>,
            alerts: &'a [Alert],
            limits: &'a BTreeMap<ReplicaId, Limits>,
            on_desk: &'a BTreeMap<String, i64>,
        }
        let mut calls = self.archive.sum;
        for c in self.calls.values() {
            calls.add(&call_hash(c));
        }
        let rest = Rest {
            units: &self.units,
            alerts: &self.alerts,
            limits: &self.limits,
            on_desk: &self.on_desk,
        };
        let mut hash = Sha256::new();
        hash.update(serde_json::to_vec(&rest).unwrap_or_default());
        hash.update(calls.bytes());
        hash.update((self.call_count() as u64).to_be_bytes());
        hash.finalize()
            .iter()
            .fold(String::with_capacity(64), |mut hex, b| {
                use std::fmt::Write;
                let _ = write!(hex, "{b:02x}");
                hex
            })
    }

    fn alert(&mut self, e: &Event, text: String) {
        self.alerts.push(Alert {
            wall_ms: e.wall_ms,
            origin: e.origin,
            seq: e.seq,
            text,
            acknowledged_by: None,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn handoff(
        &mut self,
        at: i64,
        call: &CallId,
        partner: &str,
        incident: &str,
        direction: Direction,
        stage: Stage,
        detail: Option<&String>,
        request: Option<&String>,
    ) {
        let Some(c) = self.calls.get_mut(call) else {
            return;
        };
        if !incident.is_empty() {
            self.incidents
                .entry(incident.to_owned())
                .or_insert_with(|| call.clone());
        }
        let found = c
            .handoffs
            .iter()
            .position(|h| h.partner == partner && h.direction == direction);
        let i = found.unwrap_or_else(|| {
            c.handoffs.push(Handoff {
                partner: partner.to_owned(),
                incident: incident.to_owned(),
                direction,
                stage,
                detail: None,
                received_ms: at,
                accepted_ms: None,
                history: Vec::new(),
                requests: Vec::new(),
            });
            c.handoffs.len() - 1
        });
        let h = &mut c.handoffs[i];
        if let Some(r) = request {
            if !h.requests.contains(r) {
                h.requests.push(r.clone());
            }
            // The partner asked again under another request id: only the id is new.
            if found.is_some() && h.stage == stage && h.detail.as_ref() == detail {
                return;
            }
        }
        h.stage = stage;
        h.detail = detail.cloned();
        h.history.push((stage, at));
        if stage == Stage::Accepted && h.accepted_ms.is_none() {
            h.accepted_ms = Some(at);
        }
    }
}
