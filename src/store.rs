//! The event log on sled 0.34.7 (design §4). The log is the single source of truth.
//!
//! One tree, `log`, holds everything that must change atomically:
//! - `e` + origin (8 bytes BE) + seq (8 bytes BE) → the event's bytes, exactly as first encoded;
//! - `h` + origin → that origin's head: seq (8 bytes BE) + hash (32 bytes);
//! - `m/hlc` → the hybrid clock's high-water mark; `m/replica`, `m/kind` → this store's identity.
//!
//! A second tree, `known` ([`known`]), holds this node's own times, never replicated: when it
//! first knew events whose origin's clock was off. It is written just before the log's batch of
//! the same commit, so a crash between them leaves at worst a time for an event that comes
//! again, and was indeed first known then.
//!
//! A commit is one `apply_batch`, then `flush`, then `sync_all` on a second handle to the `db`
//! file, because sled's flush waits on `sync_file_range` only.

//!
//! What sled does not promise, the store checks ([`ack`], [`aside`]): after each durable commit
//! the heads are recorded again outside sled's files, and an open that finds sled holding less
//! than that record refuses, one line naming what is missing, rather than write on a store that
//! went back. After an unclean shutdown sled's files are copied aside before sled opens them (its
//! recovery rewrites `db`), and that copy is kept for a person when the store does not verify.
//! A panic inside sled is caught and refused the same way. A write that fails (a full disk)
//! drops sled's handle, since sled 0.34 fails every later call once one I/O error happened; the
//! next change opens it again, so the desk carries on once space returns.

mod ack;
mod aside;
pub mod checkpoint;
mod error;
mod known;
pub mod private;
pub mod vault;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::domain::event::hash_bytes;
use crate::domain::{Event, Hash, Known, KnownHere, ReplicaId, MAX_EVENT_BYTES};

pub use error::StoreError;
use error::{guarded, io_words, is_full, nearly_full, sled_words};

/// What a store is for; stores of different kinds never sync with each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    Live,
    Demo,
    Training,
}

impl StoreKind {
    pub fn word(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Demo => "demo",
            Self::Training => "training",
        }
    }

    fn from_word(w: &[u8]) -> Option<Self> {
        [Self::Live, Self::Demo, Self::Training]
            .into_iter()
            .find(|k| k.word().as_bytes() == w)
    }
}

/// The last event of one origin: the next one carries `seq + 1` and `prev = hash`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
}

/// An event ready to commit, with the bytes it will be kept and forwarded as.
#[derive(Clone, Debug)]
pub struct Sealed {
    pub event: Event,
    pub bytes: Vec<u8>,
}

impl Sealed {
    pub fn new(event: Event) -> Self {
        let bytes = event.encode();
        Sealed { event, bytes }
    }

    pub fn hash(&self) -> Hash {
        hash_bytes(&self.bytes)
    }
}

/// sled, open.
struct Sled {
    db: sled::Db,
    log: sled::Tree,
    /// When this node first knew events stamped by a clock that was off (see the module doc).
    known: sled::Tree,
    /// Each call's key, wrapped by the node key; an empty value for an erased call ([`vault`]).
    keys: sled::Tree,
    /// Second handle on sled's `db` file, for the fsync sled's flush does not do.
    db_file: File,
}

impl Sled {
    fn open(sled_dir: &Path) -> Result<Sled, sled::Error> {
        // Our own lock on the data dir keeps other processes out, so a sled file lock still
        // held can only be a handle this process just dropped (after a failed write, or a
        // close) whose threads have not let go yet: wait for them, briefly.
        let started = std::time::Instant::now();
        let db = loop {
            match sled::Config::new()
                .path(sled_dir)
                .cache_capacity(8 * 1024 * 1024)
                // We flush and fsync on every commit; the background flusher would only add
                // wakeups.
                .flush_every_ms(None)
                .open()
            {
                Err(sled::Error::Io(e))
                    if e.to_string().contains("could not acquire lock")
                        && started.elapsed() < std::time::Duration::from_secs(2) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                other => break other?,
            }
        };
        let log = db.open_tree("log")?;
        let known = db.open_tree("known")?;
        let keys = db.open_tree("keys")?;
        let db_file = File::open(sled_dir.join("db"))?;
        Ok(Sled {
            db,
            log,
            known,
            keys,
            db_file,
        })
    }

    fn heads(&self) -> Result<BTreeMap<ReplicaId, Head>, Option<sled::Error>> {
        let mut heads = BTreeMap::new();
        for item in self.log.scan_prefix(b"h") {
            let (k, v) = item.map_err(Some)?;
            let origin = k.get(1..).and_then(be_u64).ok_or(None)?;
            let seq = be_u64(&v).ok_or(None)?;
            let hash: Hash = v.get(8..40).and_then(|h| h.try_into().ok()).ok_or(None)?;
            heads.insert(ReplicaId(origin), Head { seq, hash });
        }
        Ok(heads)
    }
}

pub struct Store {
    dir: PathBuf,
    /// `None` after a write failed, until the next change opens it again.
    sled: Option<Sled>,
    record: ack::Record,
    replica: ReplicaId,
    kind: StoreKind,
    heads: BTreeMap<ReplicaId, Head>,
    hlc: u64,
    /// sled's files as an unclean shutdown left them, until the log verifies.
    unchecked: std::sync::Mutex<Option<PathBuf>>,
    /// Acknowledged heads sled lost, to come back from peers ([`Store::open_to_heal`]).
    owed: BTreeMap<ReplicaId, Head>,
    /// The key that wraps call keys at rest (`<data dir>/vault.key`).
    node_key: vault::Key,
    /// The call keys, open ([`vault`]).
    keyring: vault::Keyring,
    /// Held for the store's lifetime; the OS releases it when the process dies.
    _lock: File,
}

const KEY_HLC: &[u8] = b"m/hlc";
const KEY_REPLICA: &[u8] = b"m/replica";
const KEY_KIND: &[u8] = b"m/kind";

fn event_key(origin: ReplicaId, seq: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = b'e';
    k[1..9].copy_from_slice(&origin.0.to_be_bytes());
    k[9..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn head_key(origin: ReplicaId) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = b'h';
    k[1..].copy_from_slice(&origin.0.to_be_bytes());
    k
}

fn be_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// `seq`s `from..=to` of `origin`, in words.
fn span_words(origin: ReplicaId, from: u64, to: u64) -> String {
    let seqs = if from == to {
        format!("event {from}")
    } else {
        format!("events {from}-{to}")
    };
    format!("{seqs} of node {} ({origin})", origin.tag())
}

impl Store {
    /// Opens (or creates, as `kind`) the store in `dir`, taking its lock.
    pub fn open(dir: &Path, kind: StoreKind) -> Result<Store, StoreError> {
        Self::open_as(dir, kind, None)
    }

    /// Like [`Store::open`], for a desk whose peers can give back what it lost: a store that
    /// went back opens, owing the events it lacks ([`Store::owed`]). It takes them from peers
    /// (each one's acknowledged event must come back with the same hash) and no change of its
    /// own until its own origin is whole again. Its files as found are still kept aside.
    pub fn open_to_heal(dir: &Path, kind: StoreKind) -> Result<Store, StoreError> {
        Self::open_with(dir, kind, None, true)
    }

    /// Like [`Store::open`], but a new store takes the given replica id instead of a random one:
    /// training runs and tests need the same call ids every time. An existing store with another
    /// id is refused.
    pub fn open_as(
        dir: &Path,
        kind: StoreKind,
        replica: Option<ReplicaId>,
    ) -> Result<Store, StoreError> {
        Self::open_with(dir, kind, replica, false)
    }

    fn open_with(
        dir: &Path,
        kind: StoreKind,
        replica: Option<ReplicaId>,
        heal: bool,
    ) -> Result<Store, StoreError> {
        let open_err = |reason: String| StoreError::Open {
            dir: dir.to_owned(),
            reason,
        };
        private::data_dir(dir).map_err(open_err)?;
        let lock = take_lock(dir)?;
        let sled_dir = dir.join("store");
        private::store_dir(&sled_dir).map_err(open_err)?;
        let unchecked = aside::before_open(dir).map_err(|e| {
            open_err(format!(
                "cannot keep a copy of its files before opening them ({})",
                e.kind()
            ))
        })?;
        // From here on, a store that does not open keeps its files as found.
        let refuse = |reason: String| StoreError::Corrupt {
            dir: dir.to_owned(),
            reason,
            kept: aside::keep(dir, unchecked.as_deref()),
        };
        let sled = match guarded(|| Sled::open(&sled_dir)) {
            Ok(Ok(sled)) => sled,
            Ok(Err(sled::Error::Io(e))) if !matches!(e.kind(), std::io::ErrorKind::InvalidData) => {
                aside::settle(unchecked.as_deref());
                return Err(open_err(io_words(&e)));
            }
            Ok(Err(e)) => return Err(refuse(sled_words(&e))),
            Err(_) => return Err(refuse("the storage engine stopped on damaged data".into())),
        };
        let (record, found) = ack::Record::open(&sled_dir).map_err(|e| open_err(io_words(&e)))?;
        let node_key = vault::node_key(dir).map_err(open_err)?;
        private::tighten(&sled_dir).map_err(open_err)?;
        let mut store = Store {
            dir: dir.to_owned(),
            sled: Some(sled),
            record,
            replica: ReplicaId(0),
            kind,
            heads: BTreeMap::new(),
            hlc: 0,
            unchecked: std::sync::Mutex::new(unchecked),
            owed: BTreeMap::new(),
            node_key,
            keyring: vault::Keyring::default(),
            _lock: lock,
        };
        if let Err(e) = store.load_keys() {
            store.sled = None;
            return Err(e);
        }
        match store.check(found, kind, replica, heal) {
            Ok(()) => Ok(store),
            Err(e) => {
                // Refused: nothing more goes to sled, not even a clean close.
                store.sled = None;
                Err(e)
            }
        }
    }

    /// Reads the store's identity and heads, checks them against what was acknowledged, and
    /// gives a new store its identity.
    fn check(
        &mut self,
        found: ack::Found,
        kind: StoreKind,
        replica: Option<ReplicaId>,
        heal: bool,
    ) -> Result<(), StoreError> {
        let loaded = guarded(|| self.load_identity(kind, replica))
            .unwrap_or_else(|_| Err(self.corrupt("the storage engine stopped on damaged data")));
        loaded.map_err(|e| self.keep_as_found_ref(e))?;
        match found {
            ack::Found::Heads(acked) => self.compare(&acked, heal)?,
            ack::Found::Damaged => {
                let e = self.corrupt(
                    "its record of what it acknowledged (store/acked.0 and acked.1) is damaged, \
                     so it cannot tell whether anything was lost",
                );
                return Err(self.keep_as_found(e));
            }
            // A store from before the record: what it holds now is what it acknowledged.
            ack::Found::Nothing if !self.heads.is_empty() => {
                let heads = self.heads.clone();
                self.record.write(&heads).map_err(|e| self.io_failed(&e))?;
            }
            ack::Found::Nothing => {}
        }
        self.birth(kind, replica)
    }

    fn sled(&self) -> Result<&Sled, StoreError> {
        self.sled.as_ref().ok_or_else(|| {
            StoreError::Io(format!(
                "the store in {} could not be opened again after a failed write",
                self.dir.display()
            ))
        })
    }

    fn log(&self) -> Result<&sled::Tree, StoreError> {
        Ok(&self.sled()?.log)
    }

    fn corrupt(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            dir: self.dir.clone(),
            reason: reason.into(),
            kept: None,
        }
    }

    /// A refusal, with the files an unclean shutdown left kept aside for a person.
    fn keep_as_found(&self, e: StoreError) -> StoreError {
        let unchecked = self.take_unchecked();
        let kept_now = aside::keep(&self.dir, unchecked.as_deref());
        match e {
            StoreError::Corrupt { dir, reason, kept } => StoreError::Corrupt {
                dir,
                reason,
                kept: kept.or(kept_now),
            },
            StoreError::WentBack { dir, missing, kept } => StoreError::WentBack {
                dir,
                missing,
                kept: kept.or(kept_now),
            },
            other => other,
        }
    }

    /// sled's error in words, with where: a full disk is said as such.
    fn sled_err(&self, e: &sled::Error) -> StoreError {
        match e {
            sled::Error::Io(io) => self.io_failed(io),
            _ => self.corrupt(sled_words(e)),
        }
    }

    fn load_identity(
        &mut self,
        kind: StoreKind,
        wanted: Option<ReplicaId>,
    ) -> Result<(), StoreError> {
        let log = self.log()?;
        let get = |key: &[u8]| log.get(key).map_err(|e| self.sled_err(&e));
        let (replica, stored, hlc) = (get(KEY_REPLICA)?, get(KEY_KIND)?, get(KEY_HLC)?);
        let heads = self.sled()?.heads().map_err(|e| match e {
            Some(e) => self.sled_err(&e),
            None => self.corrupt("bad head"),
        })?;
        if let (Some(replica), Some(stored)) = (replica, stored) {
            let replica =
                ReplicaId(be_u64(&replica).ok_or_else(|| self.corrupt("bad replica id"))?);
            let stored =
                StoreKind::from_word(&stored).ok_or_else(|| self.corrupt("bad store kind"))?;
            if let Some(wanted) = wanted.filter(|w| *w != replica) {
                return Err(StoreError::Open {
                    dir: self.dir.clone(),
                    reason: format!("it belongs to replica {replica}, not {wanted}"),
                });
            }
            self.replica = replica;
            self.kind = stored;
        } else {
            self.kind = kind;
        }
        self.hlc = hlc.and_then(|v| be_u64(&v)).unwrap_or(0);
        self.heads = heads;
        Ok(())
    }

    /// Gives a new store its identity, once what it acknowledged has been checked: a store
    /// whose sled came back empty must not quietly become a new one.
    fn birth(&mut self, kind: StoreKind, wanted: Option<ReplicaId>) -> Result<(), StoreError> {
        if self.replica != ReplicaId(0) {
            return Ok(());
        }
        self.replica = if let Some(id) = wanted {
            id
        } else {
            let mut raw = [0u8; 8];
            getrandom::fill(&mut raw).map_err(|e| StoreError::Open {
                dir: self.dir.clone(),
                reason: format!("no randomness for a node id: {e}"),
            })?;
            ReplicaId(u64::from_be_bytes(raw))
        };
        self.kind = kind;
        let mut batch = sled::Batch::default();
        batch.insert(KEY_REPLICA, &self.replica.0.to_be_bytes());
        batch.insert(KEY_KIND, kind.word().as_bytes());
        let heads = self.heads.clone();
        self.durable(batch, &heads)
    }

    /// Checks sled against the record of what was acknowledged: every origin's acknowledged
    /// head must still be there, with the same hash.
    /// With `heal`, what is missing is owed rather than refused.
    fn compare(&mut self, acked: &BTreeMap<ReplicaId, Head>, heal: bool) -> Result<(), StoreError> {
        let mut missing = String::new();
        let mut owed = BTreeMap::new();
        for (&origin, want) in acked {
            let have = self.head(origin);
            if have.seq < want.seq {
                if !missing.is_empty() {
                    missing.push_str(", ");
                }
                missing.push_str(&span_words(origin, have.seq + 1, want.seq));
                owed.insert(origin, *want);
                continue;
            }
            let found = guarded(|| self.event_bytes(origin, want.seq))
                .unwrap_or_else(|_| Err(self.corrupt("the storage engine stopped on damaged data")))
                .map_err(|e| self.keep_as_found_ref(e))?;
            if found.map(|b| hash_bytes(&b)) != Some(want.hash) {
                let e = self.corrupt(format!(
                    "{} is not the event it acknowledged",
                    span_words(origin, want.seq, want.seq)
                ));
                return Err(self.keep_as_found(e));
            }
        }
        if !missing.is_empty() && heal {
            let kept = aside::keep(&self.dir, self.take_unchecked().as_deref());
            tracing::error!(
                %missing,
                kept = %kept.map(|k| k.display().to_string()).unwrap_or_default(),
                "the store went back; taking what it lacks from peers"
            );
            self.owed = owed;
            return Ok(());
        }
        if !missing.is_empty() {
            let e = StoreError::WentBack {
                dir: self.dir.clone(),
                missing,
                kept: None,
            };
            tracing::error!(%e, "refused a store that went back");
            return Err(self.keep_as_found(e));
        }
        if self.heads != *acked {
            // sled made more durable than the record got to say before a crash: never
            // acknowledged, but kept; from now on it is.
            let heads = self.recorded(&self.heads);
            self.record.write(&heads).map_err(|e| self.io_failed(&e))?;
        }
        Ok(())
    }

    /// A refusal keeps the files as found; other failures (a full disk) do not.
    fn keep_as_found_ref(&self, e: StoreError) -> StoreError {
        match e {
            e @ (StoreError::Corrupt { .. } | StoreError::WentBack { .. }) => self.keep_as_found(e),
            e => e,
        }
    }

    fn take_unchecked(&self) -> Option<PathBuf> {
        self.unchecked
            .lock()
            .map_or(None, |mut unchecked| unchecked.take())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    pub fn head(&self, origin: ReplicaId) -> Head {
        self.heads.get(&origin).copied().unwrap_or_default()
    }

    pub fn heads(&self) -> &BTreeMap<ReplicaId, Head> {
        &self.heads
    }

    /// The highest hybrid clock value ever committed here.
    pub fn hlc_mark(&self) -> u64 {
        self.hlc
    }

    pub fn event_count(&self) -> u64 {
        self.heads.values().map(|h| h.seq).sum()
    }

    /// Per origin, the acknowledged head this store lost and is taking back from peers.
    pub fn owed(&self) -> &BTreeMap<ReplicaId, Head> {
        &self.owed
    }

    /// True while a failed write has left sled closed; [`Store::revive`] opens it again.
    pub fn is_down(&self) -> bool {
        self.sled.is_none()
    }

    /// After a failed write (a full disk), opens sled again. The change that failed may have
    /// reached the disk after all: true when the heads moved, so whoever folded the log folds it
    /// again. What was acknowledged before must all still be there.
    pub fn revive(&mut self) -> Result<bool, StoreError> {
        if self.sled.is_some() {
            return Ok(false);
        }
        let sled = match guarded(|| Sled::open(&self.dir.join("store"))) {
            Ok(Ok(sled)) => sled,
            Ok(Err(e)) => return Err(self.sled_err(&e)),
            Err(_) => return Err(self.corrupt("the storage engine stopped on damaged data")),
        };
        let heads = sled.heads().map_err(|e| match e {
            Some(e) => self.sled_err(&e),
            None => self.corrupt("bad head"),
        })?;
        let hlc = sled
            .log
            .get(KEY_HLC)
            .map_err(|e| self.sled_err(&e))?
            .and_then(|v| be_u64(&v))
            .unwrap_or(0);
        let before = std::mem::replace(&mut self.heads, heads);
        self.sled = Some(sled);
        self.hlc = self.hlc.max(hlc);
        if let Err(e) = self.compare(&before, false) {
            self.sled = None;
            self.heads = before;
            return Err(e);
        }
        Ok(self.heads != before)
    }

    /// Makes a batch of events durable. Each must extend its origin's chain: the next seq and
    /// the previous event's hash. Only after this returns may the events be applied or shown.
    pub fn commit(&mut self, events: &[Sealed]) -> Result<(), StoreError> {
        self.commit_known(events, &[])
    }

    /// Like [`Store::commit`], keeping beside the log when this node first knew some of the
    /// events (those whose origin's clock was off): this node's own times, never replicated.
    pub fn commit_known(
        &mut self,
        events: &[Sealed],
        known: &[(ReplicaId, u64, Known)],
    ) -> Result<(), StoreError> {
        if self.revive()? {
            return Err(StoreError::Rejected(
                "the store took a change that had failed; plan again against it".into(),
            ));
        }
        let mut heads = self.heads.clone();
        let mut hlc = self.hlc;
        let mut batch = sled::Batch::default();
        for sealed in events {
            let e = &sealed.event;
            if sealed.bytes.len() > MAX_EVENT_BYTES {
                return Err(StoreError::Rejected(format!(
                    "event of {} bytes is over the {MAX_EVENT_BYTES}-byte cap",
                    sealed.bytes.len()
                )));
            }
            let head = heads.entry(e.origin).or_default();
            if e.seq != head.seq + 1 || e.prev != head.hash {
                return Err(StoreError::Rejected(format!(
                    "event {}:{} does not extend its chain (head is seq {})",
                    e.origin, e.seq, head.seq
                )));
            }
            *head = Head {
                seq: e.seq,
                hash: sealed.hash(),
            };
            if let Some(owed) = self.owed.get(&e.origin).filter(|o| o.seq == e.seq) {
                if owed.hash != head.hash {
                    return Err(self.corrupt(format!(
                        "a peer gave back {} different from the one it acknowledged",
                        span_words(e.origin, e.seq, e.seq)
                    )));
                }
            }
            hlc = hlc.max(e.hlc);
            batch.insert(&event_key(e.origin, e.seq), sealed.bytes.as_slice());
            let mut h = Vec::with_capacity(40);
            h.extend_from_slice(&head.seq.to_be_bytes());
            h.extend_from_slice(&head.hash);
            batch.insert(&head_key(e.origin), h);
        }
        batch.insert(KEY_HLC, &hlc.to_be_bytes());
        if !known.is_empty() {
            if let Err(e) = known::write(&self.sled()?.known, known) {
                self.sled = None;
                return Err(self.sled_err(&e));
            }
        }
        self.durable(batch, &heads)?;
        self.heads = heads;
        self.hlc = hlc;
        if !self.owed.is_empty() {
            let heads = &self.heads;
            self.owed
                .retain(|o, owed| heads.get(o).map_or(0, |h| h.seq) < owed.seq);
            if self.owed.is_empty() {
                tracing::info!("the store has back all it had acknowledged");
                aside::healed(&self.dir);
            }
        }
        Ok(())
    }

    /// sled, then the record of what is acknowledged. Any failure closes sled, whose later
    /// calls would all fail, so that the next change opens it again.
    fn durable(
        &mut self,
        batch: sled::Batch,
        heads: &BTreeMap<ReplicaId, Head>,
    ) -> Result<(), StoreError> {
        let sled = self.sled()?;
        let result = match sled.log.apply_batch(batch).and_then(|()| sled.log.flush()) {
            Err(e) => Err(self.sled_err(&e)),
            Ok(_) => sled.db_file.sync_all().map_err(|e| self.io_failed(&e)),
        };
        let recorded = self.recorded(heads);
        let result = result.and_then(|()| {
            let written = self.record.write(&recorded);
            written.map_err(|e| self.io_failed(&e))
        });
        if result.is_err() {
            self.sled = None;
        }
        result
    }

    /// What the record says for `heads`: what is owed stays recorded until it is back.
    fn recorded(&self, heads: &BTreeMap<ReplicaId, Head>) -> BTreeMap<ReplicaId, Head> {
        let mut recorded = heads.clone();
        for (o, owed) in &self.owed {
            if recorded.get(o).map_or(0, |h| h.seq) < owed.seq {
                recorded.insert(*o, *owed);
            }
        }
        recorded
    }

    fn io_failed(&self, e: &std::io::Error) -> StoreError {
        if is_full(e) || nearly_full(&self.dir) {
            StoreError::Full {
                dir: self.dir.clone(),
            }
        } else {
            StoreError::Io(format!("{} in {}", io_words(e), self.dir.display()))
        }
    }

    /// Every event, decoded and verified: seqs dense from 1 per origin, each `prev` the hash of
    /// the event before it, each head matching its chain's last event. The first time it
    /// verifies after an unclean shutdown, the copy of sled's files kept until then goes.
    pub fn load(&self) -> Result<Vec<Event>, StoreError> {
        let mut events = Vec::new();
        self.verify_with(|e| events.push(e))?;
        Ok(events)
    }

    /// Verifies every event as [`Store::load`] does, keeping none of them in memory; returns
    /// how many there are.
    pub fn verify(&self) -> Result<u64, StoreError> {
        let mut count = 0;
        self.verify_with(|_| count += 1)?;
        Ok(count)
    }

    /// True until the log has verified after an unclean shutdown (a copy of sled's files as
    /// found is kept until then): the whole of it must be verified before it is trusted.
    pub fn unchecked(&self) -> bool {
        self.unchecked.lock().map_or(true, |u| u.is_some())
    }

    fn verify_with(&self, each: impl FnMut(Event)) -> Result<(), StoreError> {
        let verified = guarded(|| self.verified(each))
            .unwrap_or_else(|_| Err(self.corrupt("the storage engine stopped on damaged data")));
        match verified {
            Ok(()) => {
                aside::settle(self.take_unchecked().as_deref());
                Ok(())
            }
            Err(e) => Err(self.keep_as_found_ref(e)),
        }
    }

    fn verified(&self, mut each: impl FnMut(Event)) -> Result<(), StoreError> {
        let mut count = 0u64;
        let mut chain: Option<(ReplicaId, Head)> = None;
        for item in self.log()?.scan_prefix(b"e") {
            let (k, bytes) = item.map_err(|e| self.sled_err(&e))?;
            let origin = ReplicaId(be_u64(&k[1..]).ok_or_else(|| self.corrupt("bad event key"))?);
            let seq = be_u64(&k[9..]).ok_or_else(|| self.corrupt("bad event key"))?;
            let e = self
                .open_event(&bytes)
                .map_err(|r| self.corrupt(format!("{origin}:{seq}: {r}")))?;
            let expected = match chain {
                Some((o, h)) if o == origin => h,
                Some((o, h)) => {
                    self.check_head(o, h)?;
                    Head::default()
                }
                None => Head::default(),
            };
            if e.origin != origin
                || e.seq != seq
                || seq != expected.seq + 1
                || e.prev != expected.hash
            {
                return Err(self.corrupt(format!("chain broken at {origin}:{seq}")));
            }
            chain = Some((
                origin,
                Head {
                    seq,
                    hash: hash_bytes(&bytes),
                },
            ));
            count += 1;
            each(e);
        }
        if let Some((o, h)) = chain {
            self.check_head(o, h)?;
        }
        if count != self.event_count() {
            return Err(self.corrupt("a head names events that are missing"));
        }
        Ok(())
    }

    fn check_head(&self, origin: ReplicaId, found: Head) -> Result<(), StoreError> {
        if self.head(origin) == found {
            Ok(())
        } else {
            Err(self.corrupt(format!("head of {origin} does not match its last event")))
        }
    }

    /// Reads the call keys from the `keys` tree, unwrapping each with the node key.
    fn load_keys(&mut self) -> Result<(), StoreError> {
        let mut ring = vault::Keyring::default();
        for item in &self.sled()?.keys {
            let (k, v) = item.map_err(|e| self.sled_err(&e))?;
            let Some(call) = std::str::from_utf8(&k).ok().and_then(|c| c.parse().ok()) else {
                return Err(self.corrupt("a bad call id in its keys"));
            };
            match vault::unwrap(&self.node_key, &call, &v) {
                Some(key) => {
                    ring.insert(call, key);
                }
                None if v.is_empty() => ring.shred(&call),
                None => {
                    return Err(self.corrupt(format!(
                        "the key of {call} does not open with the node key in {}",
                        self.dir.join("vault.key").display()
                    )))
                }
            }
        }
        self.keyring = ring;
        Ok(())
    }

    /// The call keys this store holds, open.
    pub fn keyring(&self) -> &vault::Keyring {
        &self.keyring
    }

    /// An event from its bytes, its personal text opened with the call's key ([`vault`]).
    pub fn open_event(&self, bytes: &[u8]) -> Result<Event, String> {
        let mut e = Event::decode(bytes)?;
        self.keyring.open(&mut e.body);
        Ok(e)
    }

    /// `event` ready to commit, its personal text sealed in the bytes it is kept and forwarded
    /// as (the event itself stays open, for the fold). A call's first event makes its key,
    /// kept in the `keys` tree before the log's batch of the same commit: sled's flush of that
    /// commit makes both durable, and a crash before it leaves at worst an unused key.
    pub fn seal(&mut self, event: Event) -> Result<Sealed, StoreError> {
        let mut body = event.body.clone();
        let made = self.keyring.seal(&mut body).map_err(StoreError::Sealing)?;
        if let Some((call, key)) = made {
            self.keep_key(&call, &key)?;
        }
        let bytes = Event {
            body,
            ..event.clone()
        }
        .encode();
        Ok(Sealed { event, bytes })
    }

    fn keep_key(
        &mut self,
        call: &crate::domain::CallId,
        key: &vault::Key,
    ) -> Result<(), StoreError> {
        let wrapped = vault::wrap(&self.node_key, call, key).map_err(StoreError::Sealing)?;
        let inserted = self.sled()?.keys.insert(call.as_str(), wrapped);
        if let Err(e) = inserted {
            let err = self.sled_err(&e);
            self.sled = None;
            return Err(err);
        }
        Ok(())
    }

    /// Takes call keys a peer (or the serving desk) sent, for events that follow: none for a
    /// call erased here, none it holds already.
    pub fn take_keys(
        &mut self,
        keys: &[(crate::domain::CallId, vault::Key)],
    ) -> Result<(), StoreError> {
        self.revive()?;
        for (call, key) in keys {
            if self.keyring.is_erased(call) || self.keyring.key(call).is_some() {
                continue;
            }
            self.keep_key(call, key)?;
            self.keyring.insert(call.clone(), *key);
        }
        Ok(())
    }

    /// Destroys a call's key (an erasure folded here), durably: a tombstone in its place, so
    /// no peer's copy is taken again.
    pub fn shred(&mut self, call: &crate::domain::CallId) -> Result<(), StoreError> {
        self.keyring.shred(call);
        self.revive()?;
        let sled = self.sled()?;
        let done = sled
            .keys
            .insert(call.as_str(), &[] as &[u8])
            .and_then(|_| sled.keys.flush());
        let result = match done {
            Err(e) => Err(self.sled_err(&e)),
            Ok(_) => sled.db_file.sync_all().map_err(|e| self.io_failed(&e)),
        };
        if result.is_err() {
            self.sled = None;
        }
        result
    }

    /// `plain` sealed with the node key (the checkpoint: the fold holds personal text).
    pub(crate) fn seal_blob(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        vault::seal_bytes(&self.node_key, aad, plain).map_err(StoreError::Sealing)
    }

    pub(crate) fn open_blob(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        vault::open_bytes(&self.node_key, aad, sealed)
    }

    /// When this node first knew the events whose origin's clock was off.
    pub fn known(&self) -> Result<KnownHere, StoreError> {
        known::load(&self.sled()?.known).map_err(|e| self.sled_err(&e))
    }

    /// The raw bytes of one event, as first encoded.
    pub fn event_bytes(&self, origin: ReplicaId, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .log()?
            .get(event_key(origin, seq))
            .map_err(|e| self.sled_err(&e))?
            .map(|v| v.to_vec()))
    }

    /// The raw bytes of `origin`'s events from seq `from` on, in order: at most `max_events`, and
    /// no more than `max_bytes` in all (but always at least one, if there is one).
    pub fn events_from(
        &self,
        origin: ReplicaId,
        from: u64,
        max_events: usize,
        max_bytes: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        bounded(
            self.log()?
                .range(event_key(origin, from)..=event_key(origin, u64::MAX))
                .map(|item| Ok(item.map_err(|e| self.sled_err(&e))?.1.to_vec())),
            max_events,
            max_bytes,
        )
    }

    /// Files in sled's `blobs/` directory; should always be none, since events are capped.
    pub fn blob_count(&self) -> usize {
        fs::read_dir(self.dir.join("store").join("blobs")).map_or(0, Iterator::count)
    }

    /// Flushes and closes, and marks the close as clean so the next open need not keep a copy
    /// of sled's files first. Dropping a store does the same, without saying what failed.
    pub fn close(mut self) -> Result<(), StoreError> {
        self.shut()
    }

    fn shut(&mut self) -> Result<(), StoreError> {
        let Some(sled) = self.sled.take() else {
            // Closed after a failed write: not known to be clean.
            return Ok(());
        };
        sled.db.flush().map_err(|e| self.sled_err(&e))?;
        sled.db_file.sync_all().map_err(|e| self.io_failed(&e))?;
        drop(sled);
        aside::closed_cleanly(&self.dir).map_err(|e| self.io_failed(&e))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Err(e) = self.shut() {
            tracing::warn!(%e, "the store did not close cleanly");
        }
    }
}

/// The first events of `items`: at most `max_events`, and no more than `max_bytes` in all (but
/// always the first, if there is one), so a batch fits one frame.
pub(crate) fn bounded<E>(
    items: impl Iterator<Item = Result<Vec<u8>, E>>,
    max_events: usize,
    max_bytes: usize,
) -> Result<Vec<Vec<u8>>, E> {
    let mut out = Vec::new();
    let mut total = 0;
    for bytes in items {
        let bytes = bytes?;
        if out.len() == max_events || (!out.is_empty() && total + bytes.len() > max_bytes) {
            break;
        }
        total += bytes.len();
        out.push(bytes);
    }
    Ok(out)
}

/// Makes a rename or a new file in `dir` durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// An advisory lock on `<dir>/lock`, holding the owner's pid for the error message.
fn take_lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join("lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StoreError::Open {
            dir: dir.to_owned(),
            reason: e.to_string(),
        })?;
    // The lock is an flock on the file description. A child process forked by another thread
    // shares that description until it execs, so a store closed and reopened in one process can
    // find its own lock still held for a moment; a real second opener holds it far longer.
    let mut attempt = 0;
    let locked = loop {
        match file.try_lock() {
            Err(fs::TryLockError::WouldBlock) if attempt < 20 => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => break other,
        }
    };
    match locked {
        Ok(()) => {
            file.set_len(0)?;
            file.rewind()?;
            write!(file, "{}", std::process::id())?;
            file.sync_all()?;
            Ok(file)
        }
        Err(fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let pid = if pid.is_empty() {
                String::new()
            } else {
                format!(" (pid {pid})")
            };
            Err(StoreError::Locked {
                dir: dir.to_owned(),
                pid,
            })
        }
        Err(fs::TryLockError::Error(e)) => Err(StoreError::Open {
            dir: dir.to_owned(),
            reason: e.to_string(),
        }),
    }
}
