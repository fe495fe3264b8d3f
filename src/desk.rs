//! The desk: the only writer. It plans a command against the state, stamps the events, makes
//! them durable, and only then applies them (design §1).
//!
//! A desk is either *local* — it owns the store — or *attached* to the desk a `switchboard serve`
//! runs on the same data dir ([`attach`]): then it keeps a mirror of the log in memory, sends
//! each change to the serving desk to be planned and committed there, and folds what comes back.
//! The same commands work either way.

pub mod attach;
pub mod frame;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::command::{parse, print, ParseError};
use crate::domain::event::hlc;
use crate::domain::{
    known, plan, Applied, Body, CallField, CallId, CivicAddress, Command, Context, Event, Handover,
    Hash, Known, NewCall, Policy, Refusal, ReplicaId, State, Taken, MAX_EVENT_BYTES,
};
use crate::places::Gazetteer;
use crate::store::checkpoint::Found;
use crate::store::{Head, Sealed, Store, StoreError, StoreKind};

/// A local desk writes a checkpoint of its fold after this many events past the last one; an
/// open folds at most about this many.
pub const CHECKPOINT_EVERY: u64 = 500;

/// A clean close writes a checkpoint when at least this many events came since the last one:
/// fewer fold at the next open in far less time than writing one takes on a big store (one
/// `exec` of one command need not pay for it).
pub const CLOSE_CHECKPOINT: u64 = 50;

/// What a desk writes in its checkpoint: the fold, and its own indexes over the log.
#[derive(serde::Serialize)]
struct Kept<'a> {
    state: crate::domain::Snapshot<'a>,
    chronicle: Vec<(&'a CallId, &'a [(ReplicaId, u64)])>,
    requests: Vec<(&'a String, &'a [(ReplicaId, u64)])>,
}

/// A [`Kept`] read back.
#[derive(serde::Deserialize)]
struct Resumed {
    state: crate::domain::Checkpoint,
    chronicle: Vec<(CallId, Vec<(ReplicaId, u64)>)>,
    requests: Vec<(String, Vec<(ReplicaId, u64)>)>,
}

/// Why a desk did not fold from the store's checkpoint.
#[derive(Debug)]
enum Unused {
    /// None there, or one it may not use with nothing wrong in it (another build's, one a
    /// late event sorts before).
    Stale(String),
    /// A damaged one, or one that is not the fold of the events it names.
    Wrong(String),
}

impl std::fmt::Display for Unused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unused::Stale(why) | Unused::Wrong(why) => f.write_str(why),
        }
    }
}

/// What `switchboard verify` found.
#[derive(Debug)]
pub struct Verified {
    pub events: u64,
    pub origins: usize,
    /// What became of the checkpoint; `Err` when it was wrong (damaged, or not the fold of its
    /// events). Either way a new one, from the full fold, replaced it.
    pub checkpoint: Result<String, String>,
}

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
    /// What to tell the person: one line for a change, several for an answer. What the log
    /// records for itself (the limits in force) is left out; `log` shows it.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Outcome::Committed(events) => {
                vec![events
                    .iter()
                    .filter(|e| !e.body.is_bookkeeping())
                    .map(|e| e.body.describe())
                    .collect::<Vec<_>>()
                    .join("; ")]
            }
            Outcome::Answered(lines) => lines.clone(),
        }
    }
}

/// Where the log lives: in this process's store, or in a serving desk's (mirrored here).
enum Book {
    Local(Store),
    Attached(attach::Mirror),
}

pub struct Desk {
    book: Book,
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
    /// Origins whose history two peers disagree about: nothing more is taken from or sent for
    /// them until people sort it out.
    forks: BTreeMap<ReplicaId, String>,
    /// The events each client request made, by the request's id (see [`Event::request`]).
    requests: HashMap<String, Vec<(ReplicaId, u64)>>,
    /// The request being run, stamped on what it commits.
    request: Option<String>,
    /// How many events the last checkpoint written or resumed from covers.
    checkpointed: u64,
    /// A checkpoint after this many more events; `None`: only on close (a bulk fill).
    checkpoint_every: Option<u64>,
    /// How many events the checkpoint the last fold took up from covered; `None` when it
    /// folded the whole log.
    resumed_from: Option<u64>,
    /// The fold key of the last event the store's checkpoint folded, when this desk wrote or
    /// resumed from it: a late event that sorts before it cannot be folded from it.
    checkpoint_key: Option<crate::domain::event::FoldKey>,
}

/// What a batch of events from elsewhere did to this desk.
#[derive(Debug, Default)]
pub struct Received {
    /// Newly committed and folded, in the order they came.
    pub accepted: Vec<Event>,
    /// Events skipped because an earlier one of their origin has not arrived yet.
    pub gaps: bool,
    /// Origins found forked by this batch, with why.
    pub forks: Vec<(ReplicaId, String)>,
    /// Per origin, the highest seq the batch carried (held by its sender).
    pub named: BTreeMap<ReplicaId, u64>,
}

impl Desk {
    /// Loads and verifies the log, and folds it.
    pub fn open(store: Store, clock: Box<dyn Clock>, operator: &str) -> Result<Desk, StoreError> {
        Desk::over(Book::Local(store), clock, operator)
    }

    /// A desk attached to a serving desk, over the log mirrored so far.
    fn attached(
        mirror: attach::Mirror,
        clock: Box<dyn Clock>,
        operator: &str,
    ) -> Result<Desk, StoreError> {
        Desk::over(Book::Attached(mirror), clock, operator)
    }

    fn over(book: Book, clock: Box<dyn Clock>, operator: &str) -> Result<Desk, StoreError> {
        let mut desk = Desk {
            book,
            state: State::default(),
            clock,
            operator: operator.to_owned(),
            last_hlc: 0,
            policy: Policy::new(crate::config::protocol::shipped()),
            gazetteer: None,
            chronicle: HashMap::new(),
            forks: BTreeMap::new(),
            requests: HashMap::new(),
            request: None,
            checkpointed: 0,
            checkpoint_every: Some(CHECKPOINT_EVERY),
            resumed_from: None,
            checkpoint_key: None,
        };
        desk.refold()?;
        Ok(desk)
    }

    /// Writes a checkpoint every `every` events (`None`: only on close), instead of every
    /// [`CHECKPOINT_EVERY`].
    #[must_use]
    pub fn with_checkpoint_every(mut self, every: Option<u64>) -> Self {
        self.checkpoint_every = every;
        self
    }

    /// Folds the log again (at open, and after an event from a peer sorts before ones already
    /// folded): from the store's checkpoint and the tail after it when the checkpoint holds,
    /// else the whole log, writing a new checkpoint.
    fn refold(&mut self) -> Result<(), StoreError> {
        self.refold_after(None)
    }

    /// [`Desk::refold`] after a late event whose fold key is `earliest`: one that sorts before
    /// the checkpoint goes straight to a full fold.
    fn refold_after(
        &mut self,
        earliest: Option<crate::domain::event::FoldKey>,
    ) -> Result<(), StoreError> {
        let before = match (earliest, self.checkpoint_key) {
            (Some(late), Some(covered)) => late < covered,
            _ => false,
        };
        if let Book::Local(store) = &self.book {
            if store.unchecked() {
                // After an unclean shutdown the whole log verifies once before it is trusted.
                store.verify()?;
            }
            let resumed = if before {
                Err(Unused::Stale("a late event sorts before it".into()))
            } else {
                self.resume()?
            };
            match resumed {
                Ok(tail) => {
                    if self.checkpoint_every.is_some_and(|every| tail >= every) {
                        self.write_checkpoint();
                    }
                    return Ok(());
                }
                Err(why) => {
                    tracing::info!(%why, "folding the whole log: the checkpoint is not used");
                }
            }
        }
        self.fold_all()?;
        self.resumed_from = None;
        if self.event_count() > 0 {
            self.write_checkpoint();
        }
        Ok(())
    }

    /// How many events the checkpoint the last fold (at open, or after a late event) took up
    /// from covered; `None` when it folded the whole log.
    pub fn resumed_from(&self) -> Option<u64> {
        self.resumed_from
    }

    /// Takes up the fold from the store's checkpoint and folds the tail after it; returns how
    /// many events that was, or why the checkpoint cannot be used. A tail that does not verify
    /// is an error: the log is damaged.
    fn resume(&mut self) -> Result<Result<u64, Unused>, StoreError> {
        let Book::Local(store) = &self.book else {
            return Ok(Err(Unused::Stale(
                "an attached desk keeps no checkpoint".into(),
            )));
        };
        let (heads, kept) = match store.read_checkpoint::<Resumed>() {
            Found::Missing => return Ok(Err(Unused::Stale("there is none".into()))),
            Found::Unusable(why) => return Ok(Err(Unused::Stale(why))),
            Found::Damaged(why) => {
                tracing::warn!(%why, "the checkpoint is damaged; folding the whole log");
                return Ok(Err(Unused::Wrong(why)));
            }
            Found::Usable { heads, value } => (heads, value),
        };
        let covers = heads.iter().map(|(o, h)| (*o, h.seq)).collect();
        if *kept.state.seen() != covers
            || kept.state.event_count() != heads.values().map(|h| h.seq).sum::<u64>()
        {
            return Ok(Err(Unused::Wrong(
                "its fold does not match the heads it names".into(),
            )));
        }
        let mut tail = store.tail(&heads)?;
        tail.sort_by_key(Event::fold_key);
        let known = store.known()?;
        let mark = store.hlc_mark();
        let mut state = match State::resume(kept.state) {
            Ok(state) => state,
            Err(why) => return Ok(Err(Unused::Stale(why))),
        };
        let covered = state.last_key();
        state.set_known(known);
        let mut chronicle: HashMap<_, _> = kept.chronicle.into_iter().collect();
        let mut requests: HashMap<_, _> = kept.requests.into_iter().collect();
        let at = state.event_count();
        for e in &tail {
            match state.apply(e) {
                Applied::Applied => {
                    index(&mut chronicle, e);
                    remember(&mut requests, e);
                }
                Applied::OutOfOrder => {
                    return Ok(Err(Unused::Stale(format!(
                        "a later event ({}:{}) sorts before the events it covers",
                        e.origin, e.seq
                    ))))
                }
                Applied::Duplicate => {
                    return Ok(Err(Unused::Wrong(format!(
                        "it covers {}:{} already",
                        e.origin, e.seq
                    ))))
                }
            }
        }
        self.state = state;
        self.chronicle = chronicle;
        self.requests = requests;
        self.checkpointed = at;
        self.resumed_from = Some(at);
        self.checkpoint_key = covered;
        self.last_hlc = self.last_hlc.max(mark).max(self.state.last_hlc());
        Ok(Ok(tail.len() as u64))
    }

    /// Writes the fold as the store's checkpoint now, if it is the fold of exactly the store's
    /// events (the desk does so itself every [`CHECKPOINT_EVERY`] events and on close). One
    /// that cannot be written costs only time at the next open.
    pub fn write_checkpoint(&mut self) {
        let Book::Local(store) = &self.book else {
            return;
        };
        let folded = store
            .heads()
            .iter()
            .all(|(o, h)| self.state.seen(*o) == h.seq)
            && self.state.event_count() == store.event_count();
        if !folded {
            tracing::warn!("no checkpoint: the fold is not of the store's events");
            return;
        }
        let kept = Kept {
            state: self.state.checkpoint(),
            chronicle: self
                .chronicle
                .iter()
                .map(|(k, v)| (k, v.as_slice()))
                .collect(),
            requests: self
                .requests
                .iter()
                .map(|(k, v)| (k, v.as_slice()))
                .collect(),
        };
        match store.write_checkpoint(&kept) {
            Ok(()) => {
                self.checkpointed = self.state.event_count();
                self.checkpoint_key = self.state.last_key();
            }
            Err(e) => tracing::warn!(%e, "could not write a checkpoint"),
        }
    }

    /// A checkpoint when enough events have come since the last one.
    fn checkpoint_due(&mut self) {
        let due = self
            .checkpoint_every
            .is_some_and(|every| self.state.event_count() >= self.checkpointed + every);
        if due {
            self.write_checkpoint();
        }
    }

    /// Verifies the whole log (every hash chain and head) and the checkpoint against a full
    /// fold, and writes a new checkpoint from that fold. An error is the log's: it is damaged.
    pub fn verify(store: Store) -> Result<Verified, StoreError> {
        let events = store.verify()?;
        let origins = store.heads().len();
        let mut desk = Desk {
            book: Book::Local(store),
            state: State::default(),
            clock: Box::new(SystemClock),
            operator: String::new(),
            last_hlc: 0,
            policy: Policy::new(crate::config::protocol::shipped()),
            gazetteer: None,
            chronicle: HashMap::new(),
            forks: BTreeMap::new(),
            requests: HashMap::new(),
            request: None,
            checkpointed: 0,
            checkpoint_every: None,
            resumed_from: None,
            checkpoint_key: None,
        };
        let checkpoint = match desk.resume()? {
            Ok(tail) => {
                let state = std::mem::take(&mut desk.state);
                let chronicle = std::mem::take(&mut desk.chronicle);
                let requests = std::mem::take(&mut desk.requests);
                let at = desk.checkpointed;
                desk.fold_all()?;
                if state == desk.state && chronicle == desk.chronicle && requests == desk.requests {
                    Ok(format!(
                        "the checkpoint (at {at} events, {tail} after it) matches a full fold"
                    ))
                } else {
                    Err(format!(
                        "the checkpoint at {at} events does not match a full fold of the log; \
                         it is replaced by one from the full fold (the log itself verifies)"
                    ))
                }
            }
            Err(Unused::Stale(why)) => {
                desk.fold_all()?;
                Ok(format!(
                    "the checkpoint was not used ({why}); a new one is written"
                ))
            }
            Err(Unused::Wrong(why)) => {
                desk.fold_all()?;
                Err(format!(
                    "the checkpoint was wrong ({why}); it is replaced by one from the full fold"
                ))
            }
        };
        if events > 0 {
            desk.write_checkpoint();
        }
        desk.close()?;
        Ok(Verified {
            events,
            origins,
            checkpoint,
        })
    }

    /// Folds the whole log.
    fn fold_all(&mut self) -> Result<(), StoreError> {
        let events = self.events()?;
        let mut chronicle = HashMap::new();
        let mut requests = HashMap::new();
        let mut state = State::default();
        // This node's times, not the log's: kept across a fold (an attached desk's come from
        // the desk it is attached to).
        let known = match &self.book {
            Book::Local(store) => store.known()?,
            Book::Attached(_) => self.state.known().clone(),
        };
        state.set_known(known);
        for e in &events {
            state.apply(e);
            index(&mut chronicle, e);
            remember(&mut requests, e);
        }
        self.state = state;
        self.chronicle = chronicle;
        self.requests = requests;
        let mark = match &self.book {
            Book::Local(store) => store.hlc_mark(),
            Book::Attached(_) => 0,
        };
        self.last_hlc = self.last_hlc.max(mark).max(self.state.last_hlc());
        Ok(())
    }

    /// After a failed write (a full disk), opens the store again before the next change, and
    /// folds again if the failed change reached the disk after all.
    fn revive(&mut self) -> Result<(), StoreError> {
        if let Book::Local(store) = &mut self.book {
            if store.revive()? {
                self.refold()?;
            }
        }
        Ok(())
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

    /// The address list new calls are placed with, when there is one.
    pub fn gazetteer(&self) -> Option<&Gazetteer> {
        self.gazetteer.as_ref()
    }

    /// The town a new call's address is in: the one its sender named (a civic address's city),
    /// else the one the address list has the location in exactly as given (a fuzzy or
    /// ambiguous match is no ground to turn a call away); `None` when neither says.
    pub fn town_of(&self, new: &NewCall) -> Option<String> {
        let named = new
            .civic
            .as_ref()
            .map(|c| c.city.trim())
            .filter(|c| !c.is_empty());
        if let Some(city) = named {
            return Some(city.to_owned());
        }
        let gazetteer = self.gazetteer.as_ref()?;
        // The street address in parts when the sender gave them (the text may carry a state
        // or a landmark the list does not know), else the location as given.
        let street = new
            .civic
            .as_ref()
            .filter(|c| !c.street.trim().is_empty())
            .map(|c| format!("{} {}", c.number.trim(), c.street.trim()));
        let found = gazetteer.place(street.as_deref().unwrap_or(&new.location).trim());
        if !matches!(found.placement, crate::domain::Placement::Exact { .. }) {
            return None;
        }
        civic_of(gazetteer, &found.placement)
            .map(|c| c.city.trim().to_owned())
            .filter(|c| !c.is_empty())
    }

    /// Where the address list places a new call's location or a changed one, with how sure it
    /// is: the command as planned, or `None` when there is nothing to place (no list, other
    /// commands, coordinates already given). An ambiguous or unknown location is recorded as
    /// such, never placed at a guess.
    fn locate(&self, command: &Command) -> Option<Command> {
        let gazetteer = self.gazetteer.as_ref()?;
        match command {
            Command::TakeCall(new) => self.place(new).map(Command::TakeCall),
            Command::Set {
                call,
                field: field @ CallField::Location(location),
                located: None,
                reason,
            } => Some(Command::Set {
                call: call.clone(),
                field: field.clone(),
                located: Some(gazetteer.place(location)),
                reason: reason.clone(),
            }),
            _ => None,
        }
    }

    /// A new call placed by the address list: coordinates, zone, the address in parts and how
    /// sure the list is; `None` without a list or when coordinates came with it.
    fn place(&self, new: &NewCall) -> Option<NewCall> {
        let gazetteer = self.gazetteer.as_ref()?;
        if new.coords.is_some() {
            return None;
        }
        let found = gazetteer.place(&new.location);
        let mut located = new.clone();
        located.coords = found.coords;
        if located.zone.is_none() {
            located.zone = found.zone;
        }
        if located.civic.is_none() {
            located.civic = civic_of(gazetteer, &found.placement).map(Box::new);
        }
        located.placed = Some(Box::new(found.placement));
        Some(located)
    }

    /// Answers a read-only command (such as `rec`) with lines; `None` if the command writes.
    pub fn query(&self, command: &Command) -> Option<Result<Vec<String>, Refusal>> {
        let ctx = Context {
            origin: self.replica(),
            now_ms: self.clock.now_ms(),
            policy: &self.policy,
        };
        crate::domain::query(&self.state, command, &ctx)
    }

    /// The store, when this desk owns it.
    pub fn store(&self) -> Option<&Store> {
        match &self.book {
            Book::Local(store) => Some(store),
            Book::Attached(_) => None,
        }
    }

    /// True when another process's desk commits for this one.
    pub fn is_attached(&self) -> bool {
        matches!(self.book, Book::Attached(_))
    }

    /// The replica whose id new events carry.
    pub fn replica(&self) -> ReplicaId {
        match &self.book {
            Book::Local(store) => store.replica(),
            Book::Attached(m) => m.replica,
        }
    }

    pub fn kind(&self) -> StoreKind {
        match &self.book {
            Book::Local(store) => store.kind(),
            Book::Attached(m) => m.kind,
        }
    }

    /// Per origin, the last event this desk has.
    pub fn heads(&self) -> &BTreeMap<ReplicaId, Head> {
        match &self.book {
            Book::Local(store) => store.heads(),
            Book::Attached(m) => &m.heads,
        }
    }

    pub fn event_count(&self) -> u64 {
        self.heads().values().map(|h| h.seq).sum()
    }

    /// Every event, in fold order.
    pub fn events(&self) -> Result<Vec<Event>, StoreError> {
        let mut events = match &self.book {
            Book::Local(store) => store.load()?,
            Book::Attached(m) => m.events.values().map(|(e, _)| e.clone()).collect(),
        };
        events.sort_by_key(Event::fold_key);
        Ok(events)
    }

    /// The raw bytes of `origin`'s events from seq `from` on (see [`Store::events_from`]).
    pub fn events_from(
        &self,
        origin: ReplicaId,
        from: u64,
        max_events: usize,
        max_bytes: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        match &self.book {
            Book::Local(store) => store.events_from(origin, from, max_events, max_bytes),
            Book::Attached(m) => crate::store::bounded(
                (from..)
                    .map_while(|seq| m.events.get(&(origin, seq)))
                    .map(|(_, bytes)| Ok(bytes.clone())),
                max_events,
                max_bytes,
            ),
        }
    }

    /// The hash of `origin`'s event `seq`, if this desk has it.
    pub fn hash_at(&self, origin: ReplicaId, seq: u64) -> Result<Option<Hash>, StoreError> {
        Ok(self
            .raw_event(origin, seq)?
            .map(|b| crate::domain::event::hash_bytes(&b)))
    }

    fn raw_event(&self, origin: ReplicaId, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        match &self.book {
            Book::Local(store) => store.event_bytes(origin, seq),
            Book::Attached(m) => Ok(m.events.get(&(origin, seq)).map(|(_, b)| b.clone())),
        }
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

    /// Runs one command line for an operator at an attached console: their name is stamped on
    /// what it commits.
    pub fn run_line_as(&mut self, line: &str, operator: &str) -> Result<Outcome, DeskError> {
        let own = std::mem::replace(&mut self.operator, operator.to_owned());
        let outcome = self.run_line(line);
        self.operator = own;
        outcome
    }

    /// Runs a client's request `id` for `operator`, once: a request this desk has already
    /// committed is answered with the events it made then (a client that lost its answer asks
    /// again with the same id), and nothing is run again.
    pub fn run_request(
        &mut self,
        id: Option<&str>,
        operator: &str,
        run: impl FnOnce(&mut Desk) -> Result<Outcome, DeskError>,
    ) -> Result<Outcome, DeskError> {
        if let Some(done) = id.and_then(|id| self.requests.get(id)) {
            let mut events = Vec::with_capacity(done.len());
            for &(origin, seq) in done {
                if let Some(bytes) = self.raw_event(origin, seq)? {
                    events.push(Event::decode(&bytes).map_err(StoreError::Io)?);
                }
            }
            return Ok(Outcome::Committed(events));
        }
        let own = std::mem::replace(&mut self.operator, operator.to_owned());
        self.request = id.map(str::to_owned);
        let outcome = run(self);
        self.request = None;
        self.operator = own;
        outcome
    }

    /// Parses and runs one command line.
    pub fn execute_line(&mut self, line: &str) -> Result<Vec<Event>, DeskError> {
        let command = parse(line)?;
        self.execute(&command)
    }

    /// Plan, stamp, commit, apply. Returns the committed events; a refusal changes nothing.
    pub fn execute(&mut self, command: &Command) -> Result<Vec<Event>, DeskError> {
        if let Book::Attached(mirror) = &mut self.book {
            let have = mirror.heads.iter().map(|(o, h)| (*o, h.seq)).collect();
            let (missed, batch) = mirror.link.run(&print(command), &self.operator, have)?;
            self.absorb(&missed)?;
            self.absorb(&batch)?;
            let mut events = Vec::with_capacity(batch.len());
            for bytes in &batch {
                events.push(Event::decode(bytes).map_err(StoreError::Io)?);
            }
            return Ok(events);
        }
        self.revive()?;
        let now_ms = self.clock.now_ms();
        let origin = self.replica();
        let located = self.locate(command);
        let command = located.as_ref().unwrap_or(command);
        let ctx = Context {
            origin,
            now_ms,
            policy: &self.policy,
        };
        let bodies = plan(&self.state, command, &ctx)?;
        self.commit_bodies(bodies, now_ms)
    }

    /// Takes an incident a partner handed over (or sent again): a new pending call with its
    /// hand-off and notes, or what is new for a call it already became, in one commit — all of
    /// it or nothing.
    pub fn take_handover(&mut self, handover: &Handover) -> Result<(Taken, Vec<Event>), DeskError> {
        if let Book::Attached(mirror) = &mut self.book {
            let have = mirror.heads.iter().map(|(o, h)| (*o, h.seq)).collect();
            let (missed, batch) = mirror.link.handover(handover, &self.operator, have)?;
            self.absorb(&missed)?;
            self.absorb(&batch)?;
            let mut events = Vec::with_capacity(batch.len());
            for bytes in &batch {
                events.push(Event::decode(bytes).map_err(StoreError::Io)?);
            }
            return Ok((self.taken(handover, &events), events));
        }
        self.revive()?;
        let now_ms = self.clock.now_ms();
        let placed = self.place(&handover.call).map(|call| Handover {
            call,
            ..handover.clone()
        });
        let handover = placed.as_ref().unwrap_or(handover);
        let ctx = Context {
            origin: self.replica(),
            now_ms,
            policy: &self.policy,
        };
        let (taken, bodies) = crate::domain::handoff::plan_handover(&self.state, handover, &ctx)?;
        Ok((taken, self.commit_bodies(bodies, now_ms)?))
    }

    /// Runs [`Desk::take_handover`] for an operator at an attached console.
    pub fn take_handover_as(
        &mut self,
        handover: &Handover,
        operator: &str,
    ) -> Result<(Taken, Vec<Event>), DeskError> {
        let own = std::mem::replace(&mut self.operator, operator.to_owned());
        let outcome = self.take_handover(handover);
        self.operator = own;
        outcome
    }

    fn taken(&self, handover: &Handover, events: &[Event]) -> Taken {
        let known = self.state.call_for_incident(&handover.incident).cloned();
        match known {
            Some(id)
                if !events
                    .iter()
                    .any(|e| matches!(&e.body, Body::CallCreated { call, .. } if *call == id)) =>
            {
                Taken::Known(id)
            }
            _ => Taken::New,
        }
    }

    /// Commits what was planned elsewhere (a partner's word on a hand-off), as this desk's
    /// operator; nothing to commit commits nothing.
    pub fn commit_planned(&mut self, bodies: Vec<Body>) -> Result<Vec<Event>, DeskError> {
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        if self.is_attached() {
            return Err(DeskError::Refused(Refusal(
                "an attached desk sends commands to the desk it is attached to".into(),
            )));
        }
        self.revive()?;
        let now_ms = self.clock.now_ms();
        self.commit_bodies(bodies, now_ms)
    }

    fn commit_bodies(
        &mut self,
        mut bodies: Vec<Body>,
        now_ms: i64,
    ) -> Result<Vec<Event>, DeskError> {
        // The limits this desk plans with go into the log with its first change under them.
        let ctx = Context {
            origin: self.replica(),
            now_ms,
            policy: &self.policy,
        };
        if !bodies.is_empty() {
            if let Some(limits) = crate::domain::plan::limits_to_record(&self.state, &ctx) {
                bodies.insert(0, limits);
            }
        }
        if let Some(owed) = self.store().and_then(|s| s.owed().get(&s.replica())) {
            // Its own seqs from here were acknowledged before: minting them again would fork.
            return Err(DeskError::Refused(Refusal(format!(
                "this node lost its own events up to {} and is taking them back from its peers; \
                 it takes changes again once they are back",
                owed.seq
            ))));
        }
        let sealed = self.stamp(bodies, now_ms)?;
        if let Book::Local(store) = &mut self.book {
            store.commit(&sealed)?;
        }
        let events: Vec<Event> = sealed.into_iter().map(|s| s.event).collect();
        for e in &events {
            self.last_hlc = e.hlc;
            self.state.apply(e);
            index(&mut self.chronicle, e);
            remember(&mut self.requests, e);
        }
        self.checkpoint_due();
        Ok(events)
    }

    fn stamp(&self, bodies: Vec<Body>, now_ms: i64) -> Result<Vec<Sealed>, Refusal> {
        // The name stamped on the change follows the free-text rule, whoever gave it.
        crate::domain::text::check_operator(&self.operator).map_err(Refusal)?;
        let origin = self.replica();
        let mut head = self.heads().get(&origin).copied().unwrap_or_default();
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
                request: self.request.clone(),
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

    /// Origins found forked, with why; nothing more is taken from or sent for them.
    pub fn forks(&self) -> &BTreeMap<ReplicaId, String> {
        &self.forks
    }

    /// Notes that a peer holds a different history of `origin` than this desk: a fork. True
    /// when it is newly found.
    pub fn fork_found(&mut self, origin: ReplicaId, why: String) -> bool {
        let std::collections::btree_map::Entry::Vacant(slot) = self.forks.entry(origin) else {
            return false;
        };
        tracing::error!(%origin, %why, "fork: stopped syncing this origin");
        slot.insert(why);
        true
    }

    fn mark_fork(&mut self, origin: ReplicaId, why: String, received: &mut Received) {
        if self.fork_found(origin, why.clone()) {
            received.forks.push((origin, why));
        }
    }

    /// Takes events another desk committed, forwarded byte for byte: each must extend its
    /// origin's chain here. Duplicates are skipped; a gap stops that origin until the rest
    /// comes; different bytes at a seq already held is a fork. What is new is committed in one
    /// batch, then folded. A malformed batch is refused whole and changes nothing.
    pub fn receive<B: AsRef<[u8]>>(&mut self, batch: &[B]) -> Result<Received, DeskError> {
        self.receive_within(batch, u64::MAX, None)
    }

    /// Like [`Desk::receive`], refusing the batch if an event's hybrid clock is past
    /// `hlc_limit`: a forged clock far ahead would sort last and win every later edit.
    /// `peer_clock` is the sending peer's replica and its clock minus ours, as measured on the
    /// link: its own events, when that clock is off by more than the limit, and any event
    /// stamped that far ahead of our clock, have their ages count from now ([`crate::domain::known`]).
    pub fn receive_within<B: AsRef<[u8]>>(
        &mut self,
        batch: &[B],
        hlc_limit: u64,
        peer_clock: Option<(ReplicaId, i64)>,
    ) -> Result<Received, DeskError> {
        self.revive()?;
        let (sealed, mut received) = self.admit(batch, Some(hlc_limit))?;
        let known = self.first_known(&sealed, peer_clock);
        if let Book::Local(store) = &mut self.book {
            store.commit_known(&sealed, &known)?;
            for &(origin, seq, k) in &known {
                self.state.know(origin, seq, k);
            }
        } else {
            return Err(DeskError::Refused(Refusal(
                "an attached desk takes events only from the desk it is attached to".into(),
            )));
        }
        self.fold_in(sealed, &mut received)?;
        self.checkpoint_due();
        Ok(received)
    }

    /// Of events from a peer, those whose origin's clock is off from ours by more than the
    /// limit, with when this node first knew them: now. The peer's own clock is measured on the
    /// link; a third party's is known to be off only when it stamped an event ahead of ours (a
    /// relayed event stamped behind may just have waited on a partition).
    fn first_known(
        &self,
        sealed: &[Sealed],
        peer_clock: Option<(ReplicaId, i64)>,
    ) -> Vec<(ReplicaId, u64, Known)> {
        let now = self.clock.now_ms();
        sealed
            .iter()
            .filter_map(|s| {
                let e = &s.event;
                let ahead = e.wall_ms - now;
                let skew_ms = match peer_clock {
                    Some((peer, skew)) if peer == e.origin && known::is_off(skew) => skew,
                    _ if known::is_off(ahead) && ahead > 0 => ahead,
                    _ => return None,
                };
                (e.origin != self.replica()).then_some((
                    e.origin,
                    e.seq,
                    Known {
                        at_ms: now,
                        skew_ms,
                    },
                ))
            })
            .collect()
    }

    /// An attached desk learns from the desk it is attached to when that node first knew events
    /// stamped by a clock that was off.
    pub fn know(&mut self, known: &[(ReplicaId, u64, Known)]) {
        for &(origin, seq, k) in known {
            self.state.know(origin, seq, k);
        }
    }

    /// Takes events the serving desk committed into an attached desk's mirror.
    pub fn absorb<B: AsRef<[u8]>>(&mut self, batch: &[B]) -> Result<Received, DeskError> {
        let (sealed, mut received) = self.admit(batch, None)?;
        if let Book::Attached(m) = &mut self.book {
            for s in &sealed {
                let e = &s.event;
                m.heads.insert(
                    e.origin,
                    Head {
                        seq: e.seq,
                        hash: s.hash(),
                    },
                );
                m.events
                    .insert((e.origin, e.seq), (e.clone(), s.bytes.clone()));
            }
        } else {
            return Err(DeskError::Refused(Refusal(
                "a local desk takes peers' events through receive".into(),
            )));
        }
        self.fold_in(sealed, &mut received)?;
        Ok(received)
    }

    /// Decodes and orders a batch. With a clock limit (a peer's events) it also holds every
    /// event to the rules a local command meets (free text, operator name) and to that limit,
    /// refusing the batch otherwise.
    fn admit<B: AsRef<[u8]>>(
        &mut self,
        batch: &[B],
        strict: Option<u64>,
    ) -> Result<(Vec<Sealed>, Received), DeskError> {
        let refuse = |why: String| DeskError::Refused(Refusal(why));
        let mut received = Received::default();
        let mut decoded = Vec::with_capacity(batch.len());
        for bytes in batch {
            let bytes = bytes.as_ref();
            if bytes.len() > MAX_EVENT_BYTES {
                return Err(refuse(format!(
                    "an event of {} bytes is over the {MAX_EVENT_BYTES}-byte cap",
                    bytes.len()
                )));
            }
            let e = Event::decode(bytes).map_err(|why| refuse(format!("a bad event: {why}")))?;
            if let Some(limit) = strict {
                crate::domain::text::check_event(&e)
                    .map_err(|why| refuse(format!("a bad event: {why}")))?;
                if e.hlc > limit {
                    let ahead_ms = hlc::physical_ms(e.hlc).saturating_sub(self.clock.now_ms());
                    return Err(refuse(format!(
                        "event {}:{} is stamped {} ahead of this desk's clock, more than the \
                         peer's measured clock skew allows; check the clocks",
                        e.origin,
                        e.seq,
                        crate::domain::text::span(ahead_ms)
                    )));
                }
            }
            let named = received.named.entry(e.origin).or_default();
            *named = (*named).max(e.seq);
            decoded.push(Sealed {
                event: e,
                bytes: bytes.to_vec(),
            });
        }
        let mut heads: BTreeMap<ReplicaId, Head> = BTreeMap::new();
        let mut stalled: Vec<ReplicaId> = Vec::new();
        let mut sealed = Vec::new();
        for s in decoded {
            let e = &s.event;
            if self.forks.contains_key(&e.origin) || stalled.contains(&e.origin) {
                continue;
            }
            let head = *heads
                .entry(e.origin)
                .or_insert_with(|| self.heads().get(&e.origin).copied().unwrap_or_default());
            if e.seq <= head.seq {
                let kept = match sealed
                    .iter()
                    .find(|x: &&Sealed| x.event.origin == e.origin && x.event.seq == e.seq)
                {
                    Some(x) => Some(x.bytes.clone()),
                    None => self.raw_event(e.origin, e.seq)?,
                };
                if kept.as_deref() != Some(s.bytes.as_slice()) {
                    let why = format!("two different events {}:{}", e.origin, e.seq);
                    self.mark_fork(e.origin, why, &mut received);
                }
                continue;
            }
            if e.seq > head.seq + 1 {
                received.gaps = true;
                stalled.push(e.origin);
                continue;
            }
            if e.prev != head.hash {
                let why = format!("{}:{} does not follow the event before it", e.origin, e.seq);
                self.mark_fork(e.origin, why, &mut received);
                continue;
            }
            let owed = self
                .store()
                .and_then(|s| s.owed().get(&e.origin))
                .is_some_and(|h| e.seq <= h.seq);
            if e.origin == self.replica() && !self.is_attached() && !owed {
                // This desk never made that event: its store was copied, or rebuilt with an old
                // replica id.
                let why = format!(
                    "a peer holds {}:{} that this desk never made",
                    e.origin, e.seq
                );
                self.mark_fork(e.origin, why, &mut received);
                continue;
            }
            heads.insert(
                e.origin,
                Head {
                    seq: e.seq,
                    hash: s.hash(),
                },
            );
            sealed.push(s);
        }
        sealed.retain(|s| !self.forks.contains_key(&s.event.origin));
        Ok((sealed, received))
    }

    fn fold_in(&mut self, sealed: Vec<Sealed>, received: &mut Received) -> Result<(), StoreError> {
        let mut events: Vec<Event> = sealed.into_iter().map(|s| s.event).collect();
        let mut in_order: Vec<&Event> = events.iter().collect();
        in_order.sort_by_key(|e| e.fold_key());
        let mut late: Option<crate::domain::event::FoldKey> = None;
        for e in in_order {
            self.last_hlc = self.last_hlc.max(e.hlc);
            match self.state.apply(e) {
                Applied::OutOfOrder => {
                    late = Some(late.map_or(e.fold_key(), |k| k.min(e.fold_key())));
                }
                Applied::Applied => {
                    index(&mut self.chronicle, e);
                    remember(&mut self.requests, e);
                }
                Applied::Duplicate => {}
            }
        }
        if late.is_some() {
            self.refold_after(late)?;
        }
        received.accepted.append(&mut events);
        Ok(())
    }

    /// A call's events in fold order, read from the log.
    pub fn chronology(&self, call: &CallId) -> Result<Vec<Event>, StoreError> {
        let Some(keys) = self.chronicle.get(call) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(keys.len());
        for &(origin, seq) in keys {
            if let Some(bytes) = self.raw_event(origin, seq)? {
                out.push(Event::decode(&bytes).map_err(StoreError::Io)?);
            }
        }
        Ok(out)
    }

    /// The (origin, seq) of the last event of a call, to tell when a peer has saved it.
    pub fn last_event_of(&self, call: &CallId) -> Option<(ReplicaId, u64)> {
        self.chronicle
            .get(call)
            .and_then(|keys| keys.last().copied())
    }

    /// Writes a checkpoint if [`CLOSE_CHECKPOINT`] events or more came since the last one (any,
    /// after a bulk fill), then flushes and releases the store.
    pub fn close(mut self) -> Result<(), StoreError> {
        let since = self.state.event_count().saturating_sub(self.checkpointed);
        let worth = match self.checkpoint_every {
            Some(_) => since >= CLOSE_CHECKPOINT,
            None => since > 0,
        };
        if worth && self.store().is_some_and(|s| !s.is_down()) {
            self.write_checkpoint();
        }
        match self.book {
            Book::Local(store) => store.close(),
            Book::Attached(_) => Ok(()),
        }
    }
}

fn remember(requests: &mut HashMap<String, Vec<(ReplicaId, u64)>>, e: &Event) {
    if let Some(id) = &e.request {
        requests
            .entry(id.clone())
            .or_default()
            .push((e.origin, e.seq));
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

/// The address in parts, for a call placed at one address of the list (not at a corner, not at
/// a guess).
fn civic_of(gazetteer: &Gazetteer, placement: &crate::domain::Placement) -> Option<CivicAddress> {
    use crate::domain::Placement;
    let (Placement::Exact { matched } | Placement::Fuzzy { matched, .. }) = placement else {
        return None;
    };
    let (address, _) = gazetteer.lookup(matched, 1).into_iter().next()?;
    (address.label() == *matched).then(|| CivicAddress {
        number: address.number.clone(),
        street: address.street.clone(),
        unit: address.unit.clone(),
        city: address.city.clone(),
        postcode: address.postcode.clone(),
    })
}
