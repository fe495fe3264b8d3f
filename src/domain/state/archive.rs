//! Closed calls out of memory (issue 13: history stays on disk).
//!
//! A call closed long enough ago that nothing open bears on it is *let go*: the desk writes
//! its [`Record`] (the call and the fold's bookkeeping about it) to the store and the state
//! keeps only a [`Trace`] — its times, how it ended and a key of its place, no text — for the
//! address history, call numbers and the retention schedule. An event or a command that names
//! a let-go call has the desk read the record back first ([`State::take_back`]), so the fold
//! goes on exactly as if the call had never left.
//!
//! Which calls are in memory is the desk's choice, not the fold's: two nodes may keep
//! different ones. So nothing the state answers depends on it — [`State::digest`] sums one
//! hash per call ([`Sum`]), wherever the call is, and the sum of the let-go ones is kept
//! beside their traces.
//!
//! What is never let go, so that every reader of it keeps working from memory alone: an open
//! call, a call a unit is still on, a call an open call names (merged, linked, a backup's
//! asker), a call with a caution note (cautions bear on new calls at once, on every console,
//! attached ones too), and a call with a hand-off (partners' incident and request ids point at
//! it).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::State;
use crate::domain::call::Call;
use crate::domain::event::CallField;
use crate::domain::history::address_key;
use crate::domain::ids::{CallId, ReplicaId};
use crate::domain::place::Coords;
use crate::domain::vocab::Disposition;

/// What stays in memory of a let-go call: no text, only what the address history, a call's
/// short number and the retention schedule ask of every call. Written in a checkpoint as a
/// row without field names ([`TraceRow`]): a three-year store holds some 70,000 of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "TraceRow", into = "TraceRow")]
pub struct Trace {
    pub received_ms: i64,
    pub closed_ms: Option<i64>,
    pub disposition: Option<Disposition>,
    /// [`place_key`] of its location.
    pub place: u64,
    pub coords: Option<Coords>,
    /// It may be erased (closed, not erased, no legal hold): the retention schedule's question.
    pub erasable: bool,
    /// The first bytes of the hash [`Sum`] holds for it, to know its record again.
    check: u64,
    /// The generation its record was written under: the store key of the record.
    generation: u64,
}

type TraceRow = (
    i64,
    Option<i64>,
    Option<Disposition>,
    u64,
    Option<(f64, f64)>,
    bool,
    u64,
    u64,
);

impl Trace {
    /// The generation of its record in the store.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl From<TraceRow> for Trace {
    fn from(
        (received_ms, closed_ms, disposition, place, coords, erasable, check, generation): TraceRow,
    ) -> Self {
        Trace {
            received_ms,
            closed_ms,
            disposition,
            place,
            coords: coords.map(|(lat, lon)| Coords { lat, lon }),
            erasable,
            check,
            generation,
        }
    }
}

impl From<Trace> for TraceRow {
    fn from(t: Trace) -> Self {
        (
            t.received_ms,
            t.closed_ms,
            t.disposition,
            t.place,
            t.coords.map(|c| (c.lat, c.lon)),
            t.erasable,
            t.check,
            t.generation,
        )
    }
}

/// The little-endian `u64` of the first 8 bytes of `bytes` (at least 8 long).
fn le_u64(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(b)
}

fn check_of(hash: &[u8; 32]) -> u64 {
    le_u64(hash)
}

/// A let-go call as the store keeps it, borrowed from the state to be written.
#[derive(Serialize)]
pub struct RecordOut<'a> {
    call: &'a Call,
    taker: Option<(ReplicaId, u64)>,
    setters: Vec<(&'static str, (ReplicaId, u64))>,
}

/// A let-go call read back from the store, to be taken back into the state.
#[derive(Debug, Deserialize)]
pub struct Record {
    call: Call,
    taker: Option<(ReplicaId, u64)>,
    setters: Vec<(String, (ReplicaId, u64))>,
}

/// A hash of a multiset of calls: the sum of their SHA-256 hashes modulo 2²⁵⁶, so one call's
/// share can be added and taken out in any order. (It compares replicas, which do not forge
/// hashes against each other; it is not a commitment against an adversary.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sum([u64; 4]);

impl Sum {
    fn limbs(hash: &[u8; 32]) -> [u64; 4] {
        [0, 8, 16, 24].map(|at| le_u64(&hash[at..]))
    }

    pub fn add(&mut self, hash: &[u8; 32]) {
        let mut carry = false;
        for (a, b) in self.0.iter_mut().zip(Self::limbs(hash)) {
            let (s, c1) = a.overflowing_add(b);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            *a = s;
            carry = c1 || c2;
        }
    }

    pub fn take(&mut self, hash: &[u8; 32]) {
        let mut borrow = false;
        for (a, b) in self.0.iter_mut().zip(Self::limbs(hash)) {
            let (s, b1) = a.overflowing_sub(b);
            let (s, b2) = s.overflowing_sub(u64::from(borrow));
            *a = s;
            borrow = b1 || b2;
        }
    }

    pub fn bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in self.0.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        out
    }
}

/// The hash a call adds to the digest, from the same bytes wherever it is kept.
pub fn call_hash(call: &Call) -> [u8; 32] {
    Sha256::digest(serde_json::to_vec(call).unwrap_or_default()).into()
}

/// A key of an address as the history compares them ([`address_key`]), without its text.
pub fn place_key(location: &str) -> u64 {
    let key = address_key(location);
    if key.is_empty() {
        return 0;
    }
    le_u64(&Sha256::digest(key.as_bytes()))
}

/// The let-go calls: their traces, and the sum of their hashes.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Archive {
    pub(super) traces: BTreeMap<CallId, Trace>,
    pub(super) sum: Sum,
}

impl State {
    /// Calls this state could let go now: closed at or before `closed_before`, and none of
    /// what keeps a call in memory (see the module doc). Oldest first.
    pub fn may_let_go(&self, closed_before: i64) -> Vec<CallId> {
        let mut named: BTreeSet<&CallId> = self
            .units
            .values()
            .filter_map(|u| u.call.as_ref())
            .collect();
        for c in self.calls.values().filter(|c| c.is_open()) {
            named.extend(c.links.iter());
            named.extend(c.backup_for.iter().map(|(asker, _)| asker));
        }
        let mut out: Vec<&Call> = self
            .calls
            .values()
            .filter(|c| !c.is_open() && c.closed_ms.is_some_and(|t| t <= closed_before))
            .filter(|c| c.handoffs.is_empty() && !c.notes.iter().any(|n| n.caution))
            .filter(|c| c.active_units().next().is_none() && !named.contains(&c.id))
            .collect();
        out.sort_by_key(|c| (c.closed_ms, c.id.clone()));
        out.into_iter().map(|c| c.id.clone()).collect()
    }

    /// The record of a call in memory, to be written before the state lets it go.
    pub fn record_of(&self, id: &CallId) -> Option<RecordOut<'_>> {
        let call = self.calls.get(id)?;
        Some(RecordOut {
            call,
            taker: self.takers.get(id).copied(),
            setters: self.setters_of(id).map(|((_, f), by)| (*f, *by)).collect(),
        })
    }

    fn setters_of<'s>(
        &'s self,
        id: &'s CallId,
    ) -> impl Iterator<Item = (&'s (CallId, &'static str), &'s (ReplicaId, u64))> + 's {
        self.setters
            .range((id.clone(), "")..)
            .take_while(move |((c, _), _)| c == id)
    }

    /// Lets a call go from memory, keeping its trace: its record is in the store now, under
    /// `generation`.
    pub fn let_go(&mut self, id: &CallId, generation: u64) {
        let Some(call) = self.calls.remove(id) else {
            return;
        };
        self.takers.remove(id);
        let fields: Vec<(CallId, &'static str)> =
            self.setters_of(id).map(|(k, _)| k.clone()).collect();
        for k in fields {
            self.setters.remove(&k);
        }
        let hash = call_hash(&call);
        self.archive.sum.add(&hash);
        self.archive.traces.insert(
            id.clone(),
            Trace {
                received_ms: call.received_ms,
                closed_ms: call.closed_ms,
                disposition: call.disposition,
                place: place_key(&call.location),
                coords: call.coords.clone(),
                erasable: call.may_be_erased(),
                check: check_of(&hash),
                generation,
            },
        );
    }

    /// Takes a let-go call back into memory from its record; refused (with why) when the
    /// record is not the call this state let go.
    pub fn take_back(&mut self, record: Record) -> Result<(), String> {
        let id = record.call.id.clone();
        let Some(check) = self.archive.traces.get(&id).map(|t| t.check) else {
            return Err(format!("call {id} was not let go"));
        };
        let hash = call_hash(&record.call);
        if check_of(&hash) != check {
            return Err(format!("the record of call {id} is not the call let go"));
        }
        let mut setters = Vec::with_capacity(record.setters.len());
        for (field, by) in record.setters {
            let Some(name) = CallField::known_name(&field) else {
                return Err(format!("the record of call {id} names a field `{field}`"));
            };
            setters.push(((id.clone(), name), by));
        }
        self.archive.traces.remove(&id);
        self.archive.sum.take(&hash);
        if let Some(by) = record.taker {
            self.takers.insert(id.clone(), by);
        }
        self.setters.extend(setters);
        self.calls.insert(id, record.call);
        Ok(())
    }

    /// Whether this call was let go (its record is in the store).
    pub fn is_let_go(&self, id: &CallId) -> bool {
        self.archive.traces.contains_key(id)
    }

    /// The let-go calls' traces.
    pub fn let_go_calls(&self) -> &BTreeMap<CallId, Trace> {
        &self.archive.traces
    }

    /// Every call taken, in memory or let go.
    pub fn call_count(&self) -> usize {
        self.calls.len() + self.archive.traces.len()
    }

    /// The let-go call a command naming `typed` means, as [`crate::domain::planning::find_call`]
    /// reads it: by id, or by a number no open call has that only a let-go call has.
    pub fn let_go_named(&self, typed: &str) -> Option<CallId> {
        if let Ok(id) = typed.parse::<CallId>() {
            return self.is_let_go(&id).then_some(id);
        }
        let wanted = crate::domain::ids::typed_number(typed)?;
        // One in memory with that number (open or not) is the one meant, or one of many.
        if self.calls.values().any(|c| c.id.series().1 == wanted) {
            return None;
        }
        let mut gone = self
            .archive
            .traces
            .keys()
            .filter(|id| id.series().1 == wanted);
        match (gone.next(), gone.next()) {
            (Some(one), None) => Some(one.clone()),
            _ => None,
        }
    }
}
