//! The desk: the only writer. It plans a command against the state, stamps the events, makes
//! them durable, and only then applies them (design §1).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::command::{parse, ParseError};
use crate::domain::event::hlc;
use crate::domain::{
    plan, Body, CallId, Command, Context, Event, Policy, Refusal, ReplicaId, State, MAX_EVENT_BYTES,
};
use crate::gazetteer::Gazetteer;
use crate::store::{Sealed, Store, StoreError};

/// "Now" for the desk: the system clock in production, a hand-driven one in demos and tests.
pub trait Clock: Send {
    fn now_ms(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A clock that moves only when told; clones share the same time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(ms)))
    }

    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What running a command line did.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The events committed, in order.
    Committed(Vec<Event>),
    /// The lines answering a query; nothing was written.
    Answered(Vec<String>),
}

impl Outcome {
    /// What to tell the person: one line for a change, several for an answer.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Outcome::Committed(events) => {
                vec![events
                    .iter()
                    .map(|e| e.body.describe())
                    .collect::<Vec<_>>()
                    .join("; ")]
            }
            Outcome::Answered(lines) => lines.clone(),
        }
    }
}

pub struct Desk {
    store: Store,
    state: State,
    clock: Box<dyn Clock>,
    operator: String,
    last_hlc: u64,
    policy: Policy,
    /// Known addresses: a call's location picks up coordinates and zone from here.
    gazetteer: Option<Gazetteer>,
    /// Each call's events as (origin, seq) in fold order: the chronology is read from the log
    /// on demand rather than kept in memory.
    chronicle: HashMap<CallId, Vec<(ReplicaId, u64)>>,
}

impl Desk {
    /// Loads and verifies the log, and folds it.
    pub fn open(store: Store, clock: Box<dyn Clock>, operator: &str) -> Result<Desk, StoreError> {
        let mut events = store.load()?;
        events.sort_by_key(Event::fold_key);
        let mut chronicle = HashMap::new();
        let mut state = State::default();
        for e in &events {
            state.apply(e);
            index(&mut chronicle, e);
        }
        drop(events);
        let last_hlc = store.hlc_mark().max(state.last_hlc());
        Ok(Desk {
            store,
            state,
            clock,
            operator: operator.to_owned(),
            last_hlc,
            policy: Policy::new(crate::protocol::shipped()),
            gazetteer: None,
            chronicle,
        })
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Plans with these rules (protocol, alarm limits, check-in intervals) from now on.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Looks new calls' locations up in this address list from now on.
    #[must_use]
    pub fn with_gazetteer(mut self, gazetteer: Option<Gazetteer>) -> Self {
        self.gazetteer = gazetteer;
        self
    }

    pub fn gazetteer(&self) -> Option<&Gazetteer> {
        self.gazetteer.as_ref()
    }

    /// Coordinates and zone for a new call, from the gazetteer, when the typed location names a
    /// known address: the best match must carry the same house number, so a street alone or a
    /// guess never places a call.
    fn locate(&self, command: &Command) -> Option<Command> {
        let Command::TakeCall(new) = command else {
            return None;
        };
        let gazetteer = self.gazetteer.as_ref()?;
        if new.coords.is_some() {
            return None;
        }
        let number = new
            .location
            .split_whitespace()
            .next()
            .filter(|w| w.chars().all(|c| c.is_ascii_digit()))?;
        let (address, _) = gazetteer.lookup(&new.location, 1).into_iter().next()?;
        if address.number != number {
            return None;
        }
        let mut located = new.clone();
        located.coords = Some(address.coords.clone());
        if located.zone.is_none() && !address.district.is_empty() {
            located.zone = Some(address.district.clone());
        }
        Some(Command::TakeCall(located))
    }

    /// Answers a read-only command (such as `rec`) with lines; `None` if the command writes.
    pub fn query(&self, command: &Command) -> Option<Result<Vec<String>, Refusal>> {
        let ctx = Context {
            origin: self.store.replica(),
            now_ms: self.clock.now_ms(),
            policy: &self.policy,
        };
        crate::domain::query(&self.state, command, &ctx)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn operator(&self) -> &str {
        &self.operator
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Parses and runs one command line: a change is committed, a query (such as `rec`) is
    /// answered.
    pub fn run_line(&mut self, line: &str) -> Result<Outcome, DeskError> {
        let command = parse(line)?;
        if let Some(answer) = self.query(&command) {
            return Ok(Outcome::Answered(answer?));
        }
        Ok(Outcome::Committed(self.execute(&command)?))
    }

    /// Parses and runs one command line.
    pub fn execute_line(&mut self, line: &str) -> Result<Vec<Event>, DeskError> {
        let command = parse(line)?;
        self.execute(&command)
    }

    /// Plan, stamp, commit, apply. Returns the committed events; a refusal changes nothing.
    pub fn execute(&mut self, command: &Command) -> Result<Vec<Event>, DeskError> {
        let now_ms = self.clock.now_ms();
        let origin = self.store.replica();
        let located = self.locate(command);
        let command = located.as_ref().unwrap_or(command);
        let ctx = Context {
            origin,
            now_ms,
            policy: &self.policy,
        };
        let bodies = plan(&self.state, command, &ctx)?;
        let sealed = self.stamp(bodies, now_ms)?;
        self.store.commit(&sealed)?;
        let events: Vec<Event> = sealed.into_iter().map(|s| s.event).collect();
        for e in &events {
            self.last_hlc = e.hlc;
            self.state.apply(e);
            index(&mut self.chronicle, e);
        }
        Ok(events)
    }

    fn stamp(&self, bodies: Vec<Body>, now_ms: i64) -> Result<Vec<Sealed>, Refusal> {
        let origin = self.store.replica();
        let mut head = self.store.head(origin);
        let mut clock = self.last_hlc;
        let mut sealed = Vec::with_capacity(bodies.len());
        for body in bodies {
            clock = hlc::next(clock, now_ms);
            let s = Sealed::new(Event {
                origin,
                seq: head.seq + 1,
                hlc: clock,
                wall_ms: now_ms,
                prev: head.hash,
                operator: self.operator.clone(),
                body,
            });
            if s.bytes.len() > MAX_EVENT_BYTES {
                return Err(Refusal(format!(
                    "that change is {} bytes, over the {MAX_EVENT_BYTES}-byte limit of one event; \
                     make it shorter",
                    s.bytes.len()
                )));
            }
            head.seq += 1;
            head.hash = s.hash();
            sealed.push(s);
        }
        Ok(sealed)
    }

    /// A call's events in fold order, read from the log.
    pub fn chronology(&self, call: &CallId) -> Result<Vec<Event>, StoreError> {
        let Some(keys) = self.chronicle.get(call) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(keys.len());
        for &(origin, seq) in keys {
            if let Some(bytes) = self.store.event_bytes(origin, seq)? {
                out.push(Event::decode(&bytes).map_err(StoreError::Io)?);
            }
        }
        Ok(out)
    }

    /// Flushes and releases the store.
    pub fn close(self) -> Result<(), StoreError> {
        self.store.close()
    }
}

fn index(chronicle: &mut HashMap<CallId, Vec<(ReplicaId, u64)>>, e: &Event) {
    for call in e.body.calls() {
        chronicle
            .entry(call.clone())
            .or_default()
            .push((e.origin, e.seq));
    }
}
