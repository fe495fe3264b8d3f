//! The desk: the only writer. It plans a command against the state, stamps the events, makes
//! them durable, and only then applies them (design §1).
//!
//! A desk is either *local* — it owns the store — or *attached* to the desk a `switchboard serve`
//! runs on the same data dir ([`attach`]): then it starts from the serving desk's fold
//! ([`image`]) and keeps no copy of the log, sends each change to the serving desk to be planned
//! and committed there, and folds what comes back. The same commands work either way.

mod archive;
pub mod attach;
pub mod author;
pub mod frame;
pub mod image;
mod receive;
mod restrict;
mod resume;
pub mod shred;

pub use resume::Verified;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::command::{parse, print, ParseError};
use crate::domain::event::hlc;
use crate::domain::{
    plan, Body, CallField, CallId, CivicAddress, Command, Context, Event, Handover, Hash, NewCall,
    Policy, Refusal, ReplicaId, State, Taken, MAX_EVENT_BYTES,
};
use crate::places::Gazetteer;
use crate::store::{Head, Sealed, Store, StoreError, StoreKind};

/// A local desk writes a checkpoint of its fold after this many events past the last one; an
/// open folds at most about this many.
pub const CHECKPOINT_EVERY: u64 = 500;

/// A clean close writes a checkpoint when at least this many events came since the last one:
/// fewer fold at the next open in far less time than writing one takes on a big store (one
/// `exec` of one command need not pay for it).
pub const CLOSE_CHECKPOINT: u64 = 50;

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

/// Where the log lives: in this process's store, or in a serving desk's (asked for from here).
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
    /// Origins whose history two peers disagree about: nothing more is taken from or sent for
    /// them until people sort it out.
    forks: BTreeMap<ReplicaId, String>,
    /// Restricted calls this desk's operator opened (`view`) while it has been open.
    viewed: std::collections::BTreeSet<CallId>,
    /// The request being run, stamped on what it commits.
    request: Option<String>,
    /// The OS user stamped on what it commits (a client's, while its request runs); `None` on
    /// desks nobody told (tests, simulations).
    os_user: Option<String>,
    /// Which operators each OS user may act as.
    act_as: author::ActAs,
    /// How many events the last checkpoint written or resumed from covers.
    checkpointed: u64,
    /// A checkpoint after this many more events; `None`: only on close (a bulk fill).
    checkpoint_every: Option<u64>,
    /// How many events the checkpoint the last fold took up from covered; `None` when it
    /// folded the whole log.
    resumed_from: Option<u64>,
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

    /// A desk that reads figures only (`report`): the store's marks and fold-order index, and
    /// no fold, so a report on a three-year store costs what its period costs. A store left
    /// by an unclean shutdown is verified first, and one from before the indices indexed.
    pub fn for_figures(
        mut store: Store,
        clock: Box<dyn Clock>,
        operator: &str,
    ) -> Result<Desk, StoreError> {
        if store.unchecked() {
            store.verify()?;
        }
        store.index_history()?;
        Ok(Desk::unfolded(Book::Local(store), clock, operator))
    }

    /// A desk attached to a serving desk, before it has taken up its fold.
    fn attached(
        mirror: attach::Mirror,
        clock: Box<dyn Clock>,
        operator: &str,
    ) -> Result<Desk, StoreError> {
        Desk::over(Book::Attached(mirror), clock, operator)
    }

    fn over(book: Book, clock: Box<dyn Clock>, operator: &str) -> Result<Desk, StoreError> {
        let mut desk = Desk::unfolded(book, clock, operator);
        desk.refold()?;
        Ok(desk)
    }

    /// A desk over `book` that has folded nothing yet.
    fn unfolded(book: Book, clock: Box<dyn Clock>, operator: &str) -> Desk {
        Desk {
            book,
            state: State::default(),
            clock,
            operator: operator.to_owned(),
            last_hlc: 0,
            policy: Policy::new(crate::config::protocol::shipped()),
            gazetteer: None,
            forks: BTreeMap::new(),
            viewed: std::collections::BTreeSet::new(),
            request: None,
            os_user: None,
            act_as: author::ActAs::default(),
            checkpointed: 0,
            checkpoint_every: Some(CHECKPOINT_EVERY),
            resumed_from: None,
        }
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

    /// Stamps `os_user` on what this desk commits from now on, and lets each OS user act only
    /// as the operators `act_as` lists for it.
    #[must_use]
    pub fn with_author(mut self, os_user: Option<String>, act_as: author::ActAs) -> Self {
        self.os_user = os_user;
        self.act_as = act_as;
        self
    }

    /// The OS user stamped on what this desk commits, when it was told.
    pub fn os_user(&self) -> Option<&str> {
        self.os_user.as_deref()
    }

    /// Whether `os_user` may act as `operator` here, and why not.
    pub fn may_act_as(&self, os_user: &str, operator: &str) -> Result<(), String> {
        self.act_as.check(os_user, operator)
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
            // Asked for, not kept: a dashboard's figures count it and let it go.
            Book::Attached(_) => self.fetched(&attach::Request::Log)?,
        };
        events.sort_by_key(Event::fold_key);
        Ok(events)
    }

    /// The figures of `period`, read from the last mark before the period on
    /// ([`crate::report::tally`]): here from this desk's store, attached by the serving desk.
    pub fn figures(
        &self,
        period: crate::report::metrics::Period,
        by: Option<crate::report::metrics::GroupBy>,
    ) -> Result<crate::report::metrics::Metrics, StoreError> {
        if let Book::Local(store) = &self.book {
            return Ok(crate::report::tally::figures(store, period, self.policy(), by)?.0);
        }
        self.figures_there(period, by)
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
            Book::Attached(_) => Err(StoreError::Served(
                "an attached desk holds no log to send; the serving desk sends its own".into(),
            )),
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
            Book::Attached(_) => Ok(None),
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
        if let Book::Attached(mirror) = &mut self.book {
            if mirror.line().keeps_no_fold() {
                return self.run_there(&command);
            }
        }
        self.take_back_for(&command)?;
        if let Some(answer) = self.query(&command) {
            return Ok(Outcome::Answered(answer?));
        }
        Ok(Outcome::Committed(self.execute(&command)?))
    }

    /// A line run at the serving desk by a desk that keeps no fold ([`attach::attach_to_run`]):
    /// a query is answered there, a change's events come back opened.
    fn run_there(&mut self, command: &Command) -> Result<Outcome, DeskError> {
        let Book::Attached(mirror) = &mut self.book else {
            return Err(DeskError::Refused(Refusal(
                "a local desk runs its own lines".into(),
            )));
        };
        let line = mirror.line();
        let (_, batch) = line.run(&print(command), &self.operator, Vec::new())?;
        if let Some(lines) = line.take_answered() {
            return Ok(Outcome::Answered(lines));
        }
        let keys = line.take_keys();
        self.take_keys(&keys)?;
        Ok(Outcome::Committed(self.opened_all(&batch)?))
    }

    /// The events the serving desk sent back for a line, opened with the keys that came with
    /// them.
    fn opened_all<B: AsRef<[u8]>>(&self, batch: &[B]) -> Result<Vec<Event>, DeskError> {
        let mut events = Vec::with_capacity(batch.len());
        for bytes in batch {
            events.push(
                self.open_event(bytes.as_ref())
                    .map_err(StoreError::Unreadable)?,
            );
        }
        Ok(events)
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
        os_user: Option<&str>,
        run: impl FnOnce(&mut Desk) -> Result<Outcome, DeskError>,
    ) -> Result<Outcome, DeskError> {
        // The store's index says what a request made: after a failed write it is read from
        // sled opened again, as the change would be.
        self.revive()?;
        let done = match id {
            Some(id) => self.request_events(id)?,
            None => Vec::new(),
        };
        if !done.is_empty() {
            let mut events = Vec::with_capacity(done.len());
            for (origin, seq) in done {
                if let Some(bytes) = self.raw_event(origin, seq)? {
                    events.push(self.open_event(&bytes).map_err(StoreError::Unreadable)?);
                }
            }
            return Ok(Outcome::Committed(events));
        }
        let own = std::mem::replace(&mut self.operator, operator.to_owned());
        let own_user = match os_user {
            Some(user) => self.os_user.replace(user.to_owned()),
            None => self.os_user.clone(),
        };
        self.request = id.map(str::to_owned);
        let outcome = run(self);
        self.request = None;
        self.operator = own;
        self.os_user = own_user;
        outcome
    }

    /// Parses and runs one command line.
    pub fn execute_line(&mut self, line: &str) -> Result<Vec<Event>, DeskError> {
        let command = parse(line)?;
        self.execute(&command)
    }

    /// Plan, stamp, commit, apply. Returns the committed events; a refusal changes nothing.
    pub fn execute(&mut self, command: &Command) -> Result<Vec<Event>, DeskError> {
        let events = self.execute_here(command)?;
        self.opened(&events);
        Ok(events)
    }

    fn execute_here(&mut self, command: &Command) -> Result<Vec<Event>, DeskError> {
        if let Book::Attached(mirror) = &mut self.book {
            let have = mirror.heads.iter().map(|(o, h)| (*o, h.seq)).collect();
            let line = mirror.line();
            let (missed, batch) = line.run(&print(command), &self.operator, have)?;
            let keys = line.take_keys();
            self.take_keys(&keys)?;
            self.absorb(&missed)?;
            self.absorb(&batch)?;
            return self.opened_all(&batch);
        }
        self.revive()?;
        self.take_back_for(command)?;
        let now_ms = self.clock.now_ms();
        let origin = self.replica();
        let located = self.locate(command);
        let command = located.as_ref().unwrap_or(command);
        let ctx = Context {
            origin,
            now_ms,
            policy: &self.policy,
        };
        crate::domain::restrict::may_run(&self.state, command, &self.operator)?;
        let bodies = plan(&self.state, command, &ctx)?;
        self.commit_bodies(bodies, now_ms)
    }

    /// Takes an incident a partner handed over (or sent again): a new pending call with its
    /// hand-off and notes, or what is new for a call it already became, in one commit — all of
    /// it or nothing.
    pub fn take_handover(&mut self, handover: &Handover) -> Result<(Taken, Vec<Event>), DeskError> {
        if let Book::Attached(mirror) = &mut self.book {
            let have = mirror.heads.iter().map(|(o, h)| (*o, h.seq)).collect();
            let line = mirror.line();
            let (missed, batch) = line.handover(handover, &self.operator, have)?;
            let keys = line.take_keys();
            self.take_keys(&keys)?;
            self.absorb(&missed)?;
            self.absorb(&batch)?;
            let events = self.opened_all(&batch)?;
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
        let erasing: Vec<Event> = sealed
            .iter()
            .filter(|s| matches!(s.event.body, Body::CallErased { .. }))
            .map(|s| s.event.clone())
            .collect();
        let events: Vec<Event> = sealed.into_iter().map(|s| s.event).collect();
        for e in &events {
            self.last_hlc = e.hlc;
            self.take_back_named(e)?;
            self.state.apply(e);
        }
        self.shred_erased(&erasing)?;
        self.checkpoint_due();
        Ok(events)
    }

    fn stamp(&mut self, bodies: Vec<Body>, now_ms: i64) -> Result<Vec<Sealed>, DeskError> {
        // The name stamped on the change follows the free-text rule, whoever gave it.
        crate::domain::text::check_operator(&self.operator).map_err(Refusal)?;
        if let Some(user) = &self.os_user {
            self.act_as.check(user, &self.operator).map_err(Refusal)?;
        }
        let origin = self.replica();
        let mut head = self.heads().get(&origin).copied().unwrap_or_default();
        let mut clock = self.last_hlc;
        let mut sealed = Vec::with_capacity(bodies.len());
        for body in bodies {
            clock = hlc::next(clock, now_ms);
            let event = Event {
                origin,
                seq: head.seq + 1,
                hlc: clock,
                wall_ms: now_ms,
                prev: head.hash,
                operator: self.operator.clone(),
                body,
                request: self.request.clone(),
                os_user: self.os_user.clone(),
            };
            // Personal text is sealed in the bytes (the event stays open for the fold).
            let s = match &mut self.book {
                Book::Local(store) => store.seal(event)?,
                Book::Attached(_) => Sealed::new(event),
            };
            if s.bytes.len() > MAX_EVENT_BYTES {
                return Err(DeskError::Refused(Refusal(format!(
                    "that change is {} bytes, over the {MAX_EVENT_BYTES}-byte limit of one event; \
                     make it shorter",
                    s.bytes.len()
                ))));
            }
            head.seq += 1;
            head.hash = s.hash();
            sealed.push(s);
        }
        Ok(sealed)
    }

    /// A call's events in fold order, read from the log.
    pub fn chronology(&self, call: &CallId) -> Result<Vec<Event>, StoreError> {
        match &self.book {
            Book::Local(store) => store.chronology(call),
            Book::Attached(_) => self.fetched(&attach::Request::Chronology { call: call.clone() }),
        }
    }

    /// The (origin, seq) of the last event of a call, to tell when a peer has saved it.
    pub fn last_event_of(&self, call: &CallId) -> Option<(ReplicaId, u64)> {
        match &self.book {
            Book::Local(store) => store.last_call_event(call).ok().flatten(),
            Book::Attached(m) => m.last.get(call).copied(),
        }
    }

    /// A call's events as (origin, seq), in fold order, from the store's index (an attached
    /// desk asks the serving desk for a chronology instead).
    fn call_events(&self, call: &CallId) -> Result<Vec<(ReplicaId, u64)>, StoreError> {
        match &self.book {
            Book::Local(store) => store.call_events(call),
            Book::Attached(_) => Ok(Vec::new()),
        }
    }

    /// The events a client's request committed, as (origin, seq); the serving desk answers a
    /// request sent again, so an attached desk has none.
    fn request_events(&self, request: &str) -> Result<Vec<(ReplicaId, u64)>, StoreError> {
        match &self.book {
            Book::Local(store) => store.request_events(request),
            Book::Attached(_) => Ok(Vec::new()),
        }
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
