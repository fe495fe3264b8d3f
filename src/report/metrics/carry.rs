//! What the accumulator carries from one day to the next, apart from the figures of its period:
//! the units (their capabilities, status and open stretch on scene), the limits each desk
//! recorded, the pending count, and the calls that can still change what is counted — the open
//! ones, and the closed ones a unit is still on. A [`Carry`] taken at the end of a day and kept
//! in the store as a mark lets the report of a later period start there ([`Metrics::resume`])
//! and give the same figures as a fold of the whole log (the property test in
//! `tests/it/report_marks.rs` holds it to that).
//!
//! A closed call no unit is on is dropped: it waits for nothing. If a later event names it
//! (it is reopened), the report files it back in from its own events ([`Metrics::file_in`]),
//! without the assignments it had (all cleared, since no unit was on it). The one case that
//! differs: a status correction that puts a free unit back on a call a peer closed at the same
//! moment, then a reopen, would find no assignment to reopen; the desk only plans corrections
//! against open calls, so only such a race could make it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{CallRecord, Metrics, Stretch, UnitRecord};
use crate::domain::event::FoldKey;
use crate::domain::policy::Limits;
use crate::domain::{
    CallId, CallStatus, Callsign, Capability, Event, Policy, ReplicaId, UnitStatus,
};

/// Bumped when what a carry holds, or how the accumulator reads it, changes: marks (and
/// figures from a serving desk) of another version are not read.
pub const CARRY_VERSION: u8 = 1;

/// `value` as marks and attached figures keep it: the version, then `MessagePack`.
fn encode_versioned<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![CARRY_VERSION];
    out.extend(rmp_serde::to_vec(value).unwrap_or_default());
    out
}

/// What [`encode_versioned`] made, or `None` for another version or damaged bytes.
fn decode_versioned<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let (&version, rest) = bytes.split_first()?;
    (version == CARRY_VERSION)
        .then(|| rmp_serde::from_slice(rest).ok())
        .flatten()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct UnitCarry {
    capabilities: BTreeSet<Capability>,
    status: UnitStatus,
    status_ms: i64,
    call: Option<CallId>,
    stretch: Option<Stretch>,
}

/// The accumulator's state between periods. It holds ids, times, types and zones: never a
/// caller, a callback or a location.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Carry {
    calls: HashMap<CallId, CallRecord>,
    units: BTreeMap<Callsign, UnitCarry>,
    limits: HashMap<ReplicaId, Limits>,
    pending: u32,
    last: Option<FoldKey>,
    /// Events taken: the report says how many events its figures come from.
    events: u64,
    /// The latest wall time taken: the queue starts from it.
    wall_ms: i64,
}

impl Carry {
    /// The last event folded into it.
    pub fn last(&self) -> Option<FoldKey> {
        self.last
    }

    /// The latest wall time folded into it.
    pub fn wall_ms(&self) -> i64 {
        self.wall_ms
    }

    /// As kept in a mark: the version, then the carry.
    pub fn encode(&self) -> Vec<u8> {
        encode_versioned(self)
    }

    /// A mark's bytes, or `None` for a mark of another version or a damaged one.
    pub fn decode(bytes: &[u8]) -> Option<Carry> {
        decode_versioned(bytes)
    }
}

impl Metrics {
    /// The calls that can still change what is counted: open, or a unit still on them.
    fn still_working(&self) -> impl Fn(&CallId, &CallRecord) -> bool {
        let on: BTreeSet<CallId> = self.units.values().filter_map(|u| u.call.clone()).collect();
        move |id, c| c.status != CallStatus::Closed || on.contains(id)
    }

    /// What carries over to a later period, as of the last event taken at `wall_ms`.
    pub fn carry(&self, wall_ms: i64) -> Carry {
        let working = self.still_working();
        let calls = self
            .calls
            .iter()
            .filter(|(id, c)| working(id, c))
            .map(|(id, c)| {
                let mut c = c.clone();
                c.in_period = false;
                c.location.clear();
                c.callback = None;
                (id.clone(), c)
            })
            .collect();
        let units = self
            .units
            .iter()
            .map(|(callsign, u)| {
                let carried = UnitCarry {
                    capabilities: u.capabilities.clone(),
                    status: u.status,
                    status_ms: u.status_ms,
                    call: u.call.clone(),
                    stretch: u.stretch.clone(),
                };
                (callsign.clone(), carried)
            })
            .collect();
        Carry {
            calls,
            units,
            limits: self.limits.clone(),
            pending: self.pending,
            last: self.last,
            events: self.events,
            wall_ms,
        }
    }

    /// The accumulator for `period`, taking up where `carry` left off. Every event the carry
    /// folded must have come before the period (`carry.wall_ms() < period.since_ms`).
    pub fn resume(carry: Carry, period: super::Period, policy: &Policy) -> Self {
        let mut m = Metrics::new(period, policy);
        m.calls = carry.calls;
        m.units = carry
            .units
            .into_iter()
            .map(|(callsign, u)| {
                let record = UnitRecord {
                    capabilities: u.capabilities,
                    status: u.status,
                    status_ms: u.status_ms,
                    call: u.call,
                    in_status_ms: [0; 7],
                    stretch: u.stretch,
                    safety: super::SafetyTally::default(),
                };
                (callsign, record)
            })
            .collect();
        m.limits = carry.limits;
        m.pending = carry.pending;
        m.last = carry.last;
        m.events = carry.events;
        // The queue learns the level it starts at, as a fold of the log had told it.
        if carry.last.is_some() {
            m.queue.set(carry.wall_ms, carry.pending);
        }
        m
    }

    /// Lets go of what a carry would drop and the figures do not need: closed calls outside
    /// the period that no unit is on and that had no hand-off in it.
    pub fn let_go(&mut self) {
        let working = self.still_working();
        let period = self.period;
        self.calls.retain(|id, c| {
            c.in_period
                || working(id, c)
                || c.handoffs.iter().any(|h| period.contains(h.received_ms))
        });
    }

    /// The figures as a serving desk sends them to an attached reader.
    pub fn encode(&self) -> Vec<u8> {
        encode_versioned(self)
    }

    /// Figures a serving desk sent, judged from now on by the reader's `policy`.
    pub fn decode(bytes: &[u8], policy: &Policy) -> Option<Metrics> {
        let mut m: Metrics = decode_versioned(bytes)?;
        m.policy = policy.clone();
        Some(m)
    }

    /// Takes an event as it commits (the dashboard); false when the figures cannot follow it
    /// without the store — it sorts before what they took (a peer's late event), or names a
    /// call they let go of — and must be read again.
    pub fn follow(&mut self, e: &Event) -> bool {
        let created = match &e.body {
            crate::domain::Body::CallCreated { call, .. } => Some(call),
            _ => None,
        };
        let let_go = self.missing_calls(e).iter().any(|c| Some(c) != created);
        !let_go && self.add(e)
    }

    /// Whether the figures read any of this event's personal text (a callback, for repeat
    /// callers): the others need not be opened.
    pub fn reads_text(body: &crate::domain::Body) -> bool {
        use crate::domain::{Body, CallField};
        matches!(
            body,
            Body::CallCreated { .. }
                | Body::CallEdited {
                    field: CallField::Callback(_),
                    ..
                }
        )
    }

    /// The calls `e` names that the accumulator does not hold: dropped by a carry, or never
    /// created.
    pub fn missing_calls(&self, e: &Event) -> Vec<CallId> {
        e.body
            .calls()
            .into_iter()
            .filter(|c| !self.calls.contains_key(*c))
            .cloned()
            .collect()
    }

    /// Files a call a carry dropped back in, from its own events up to where the carry was
    /// taken. It was closed with no unit on it then, so no unit's events are needed: the
    /// units it had were cleared.
    pub fn file_in(&mut self, call: &CallId, events: &[Event]) {
        let mut alone = Metrics::new(
            super::Period::new(i64::MIN / 4, i64::MIN / 4 + 1),
            &self.policy,
        );
        for e in events {
            alone.add(e);
        }
        if let Some(c) = alone.calls.remove(call) {
            self.calls.insert(call.clone(), c);
        }
    }
}
