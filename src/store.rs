//! The event log on sled 0.34.7 (design §4). The log is the single source of truth.
//!
//! One tree, `log`, holds everything that must change atomically:
//! - `e` + origin (8 bytes BE) + seq (8 bytes BE) → the event's bytes, exactly as first encoded;
//! - `h` + origin → that origin's head: seq (8 bytes BE) + hash (32 bytes);
//! - `m/hlc` → the hybrid clock's high-water mark; `m/replica`, `m/kind` → this store's identity;
//! - the indices over the log ([`index`]: by call, by request, in fold order) and the marks of
//!   a report's running tally ([`marks`]), written in the same batches as the events they
//!   follow.
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
mod archive;
mod aside;
pub mod checkpoint;
mod commit;
mod error;
mod index;
mod keys;
mod known;
pub mod marks;
mod open;
pub mod private;
mod read;
pub mod vault;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::domain::event::{hash_bytes, FoldKey};
use crate::domain::{Event, Hash, ReplicaId};

use error::guarded;
pub use error::StoreError;

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
    /// The records of the calls the desk let go from memory ([`archive`]).
    archive: sled::Tree,
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
        let archive = db.open_tree("archive")?;
        let db_file = File::open(sled_dir.join("db"))?;
        Ok(Sled {
            db,
            log,
            known,
            keys,
            archive,
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
    /// Commits since open that held an event sorting before what the log already had, and the
    /// earliest event of each of the last [`marks::LATE_KEPT`] of them: a walk over the log in
    /// fold order that is past one starts again ([`Store::late_since`]).
    late: u64,
    late_keys: std::collections::VecDeque<crate::domain::event::FoldKey>,
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

/// The fold-order entry of the event at `key`.
fn fold_key((hlc, origin, seq): FoldKey) -> [u8; 25] {
    let mut k = [0u8; 25];
    k[0] = b't';
    k[1..9].copy_from_slice(&hlc.to_be_bytes());
    k[9..17].copy_from_slice(&origin.0.to_be_bytes());
    k[17..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The fold key at the end of a `t` entry or a mark's key.
fn key_fold(key: &[u8]) -> Option<FoldKey> {
    let n = key.len();
    let hlc = be_u64(key.get(n.checked_sub(24)?..)?)?;
    let (origin, seq) = tail_ids(key)?;
    Some((hlc, origin, seq))
}

/// The (origin, seq) at the end of an index key.
fn tail_ids(key: &[u8]) -> Option<(ReplicaId, u64)> {
    let n = key.len();
    let origin = be_u64(key.get(n.checked_sub(16)?..)?)?;
    let seq = be_u64(key.get(n - 8..)?)?;
    Some((ReplicaId(origin), seq))
}

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
