//! The event log on sled 0.34.7 (design §4). The log is the single source of truth.
//!
//! One tree, `log`, holds everything that must change atomically:
//! - `e` + origin (8 bytes BE) + seq (8 bytes BE) → the event's bytes, exactly as first encoded;
//! - `h` + origin → that origin's head: seq (8 bytes BE) + hash (32 bytes);
//! - `m/hlc` → the hybrid clock's high-water mark; `m/replica`, `m/kind` → this store's identity.
//!
//! A commit is one `apply_batch`, then `flush`, then `sync_all` on a second handle to the `db`
//! file, because sled's flush waits on `sync_file_range` only.

pub mod private;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::domain::event::hash_bytes;
use crate::domain::{Event, Hash, ReplicaId, MAX_EVENT_BYTES};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data dir {dir} is in use by another switchboard process{pid}; close it, or use another --data dir")]
    Locked { dir: PathBuf, pid: String },
    #[error("cannot open the store in {dir}: {reason}")]
    Open { dir: PathBuf, reason: String },
    #[error(
        "the store in {dir} does not verify: {reason}. It is not repaired automatically; start a \
         fresh store and re-sync it from a peer"
    )]
    Corrupt { dir: PathBuf, reason: String },
    #[error("storage failed: {0}")]
    Io(String),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Io(e.to_string())
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e.to_string())
    }
}

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

pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    log: sled::Tree,
    /// Second handle on sled's `db` file, for the fsync sled's flush does not do.
    db_file: File,
    replica: ReplicaId,
    kind: StoreKind,
    heads: BTreeMap<ReplicaId, Head>,
    hlc: u64,
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

impl Store {
    /// Opens (or creates, as `kind`) the store in `dir`, taking its lock.
    pub fn open(dir: &Path, kind: StoreKind) -> Result<Store, StoreError> {
        Self::open_as(dir, kind, None)
    }

    /// Like [`Store::open`], but a new store takes the given replica id instead of a random one:
    /// training runs and tests need the same call ids every time. An existing store with another
    /// id is refused.
    pub fn open_as(
        dir: &Path,
        kind: StoreKind,
        replica: Option<ReplicaId>,
    ) -> Result<Store, StoreError> {
        let open_err = |reason: String| StoreError::Open {
            dir: dir.to_owned(),
            reason,
        };
        private::data_dir(dir).map_err(open_err)?;
        let lock = take_lock(dir)?;
        let sled_dir = dir.join("store");
        private::store_dir(&sled_dir).map_err(open_err)?;
        let db = sled::Config::new()
            .path(&sled_dir)
            .cache_capacity(8 * 1024 * 1024)
            // We flush and fsync on every commit; the background flusher would only add wakeups.
            .flush_every_ms(None)
            .open()
            .map_err(|e| open_err(e.to_string()))?;
        let log = db.open_tree("log").map_err(|e| open_err(e.to_string()))?;
        let db_file = File::open(sled_dir.join("db")).map_err(|e| open_err(e.to_string()))?;
        private::tighten(&sled_dir).map_err(open_err)?;
        let mut store = Store {
            dir: dir.to_owned(),
            db,
            log,
            db_file,
            replica: ReplicaId(0),
            kind,
            heads: BTreeMap::new(),
            hlc: 0,
            _lock: lock,
        };
        store.load_identity(kind, replica)?;
        store.load_heads()?;
        Ok(store)
    }

    fn corrupt(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            dir: self.dir.clone(),
            reason: reason.into(),
        }
    }

    fn load_identity(
        &mut self,
        kind: StoreKind,
        wanted: Option<ReplicaId>,
    ) -> Result<(), StoreError> {
        if let (Some(replica), Some(stored)) = (self.log.get(KEY_REPLICA)?, self.log.get(KEY_KIND)?)
        {
            self.replica =
                ReplicaId(be_u64(&replica).ok_or_else(|| self.corrupt("bad replica id"))?);
            self.kind =
                StoreKind::from_word(&stored).ok_or_else(|| self.corrupt("bad store kind"))?;
            if let Some(wanted) = wanted.filter(|w| *w != self.replica) {
                return Err(StoreError::Open {
                    dir: self.dir.clone(),
                    reason: format!("it belongs to replica {}, not {wanted}", self.replica),
                });
            }
        } else {
            self.replica = if let Some(id) = wanted {
                id
            } else {
                let mut raw = [0u8; 8];
                getrandom::fill(&mut raw).map_err(|e| StoreError::Io(e.to_string()))?;
                ReplicaId(u64::from_be_bytes(raw))
            };
            self.kind = kind;
            let mut batch = sled::Batch::default();
            batch.insert(KEY_REPLICA, &self.replica.0.to_be_bytes());
            batch.insert(KEY_KIND, kind.word().as_bytes());
            self.durable(batch)?;
        }
        self.hlc = self.log.get(KEY_HLC)?.and_then(|v| be_u64(&v)).unwrap_or(0);
        Ok(())
    }

    fn load_heads(&mut self) -> Result<(), StoreError> {
        for item in self.log.scan_prefix(b"h") {
            let (k, v) = item?;
            let origin = be_u64(&k[1..]).ok_or_else(|| self.corrupt("bad head key"))?;
            let seq = be_u64(&v).ok_or_else(|| self.corrupt("bad head"))?;
            let hash: Hash = v
                .get(8..40)
                .and_then(|h| h.try_into().ok())
                .ok_or_else(|| self.corrupt("bad head"))?;
            self.heads.insert(ReplicaId(origin), Head { seq, hash });
        }
        Ok(())
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

    /// Makes a batch of events durable. Each must extend its origin's chain: the next seq and
    /// the previous event's hash. Only after this returns may the events be applied or shown.
    pub fn commit(&mut self, events: &[Sealed]) -> Result<(), StoreError> {
        let mut heads = self.heads.clone();
        let mut hlc = self.hlc;
        let mut batch = sled::Batch::default();
        for sealed in events {
            let e = &sealed.event;
            if sealed.bytes.len() > MAX_EVENT_BYTES {
                return Err(StoreError::Io(format!(
                    "event of {} bytes is over the {MAX_EVENT_BYTES}-byte cap",
                    sealed.bytes.len()
                )));
            }
            let head = heads.entry(e.origin).or_default();
            if e.seq != head.seq + 1 || e.prev != head.hash {
                return Err(StoreError::Io(format!(
                    "event {}:{} does not extend its chain (head is seq {})",
                    e.origin, e.seq, head.seq
                )));
            }
            *head = Head {
                seq: e.seq,
                hash: sealed.hash(),
            };
            hlc = hlc.max(e.hlc);
            batch.insert(&event_key(e.origin, e.seq), sealed.bytes.as_slice());
            let mut h = Vec::with_capacity(40);
            h.extend_from_slice(&head.seq.to_be_bytes());
            h.extend_from_slice(&head.hash);
            batch.insert(&head_key(e.origin), h);
        }
        batch.insert(KEY_HLC, &hlc.to_be_bytes());
        self.durable(batch)?;
        self.heads = heads;
        self.hlc = hlc;
        Ok(())
    }

    fn durable(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.log.apply_batch(batch)?;
        self.log.flush()?;
        self.db_file.sync_all()?;
        Ok(())
    }

    /// Every event, decoded and verified: seqs dense from 1 per origin, each `prev` the hash of
    /// the event before it, each head matching its chain's last event.
    pub fn load(&self) -> Result<Vec<Event>, StoreError> {
        let mut events = Vec::new();
        let mut chain: Option<(ReplicaId, Head)> = None;
        for item in self.log.scan_prefix(b"e") {
            let (k, bytes) = item?;
            let origin = ReplicaId(be_u64(&k[1..]).ok_or_else(|| self.corrupt("bad event key"))?);
            let seq = be_u64(&k[9..]).ok_or_else(|| self.corrupt("bad event key"))?;
            let e =
                Event::decode(&bytes).map_err(|r| self.corrupt(format!("{origin}:{seq}: {r}")))?;
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
            events.push(e);
        }
        if let Some((o, h)) = chain {
            self.check_head(o, h)?;
        }
        if events.len() as u64 != self.event_count() {
            return Err(self.corrupt("a head names events that are missing"));
        }
        Ok(events)
    }

    fn check_head(&self, origin: ReplicaId, found: Head) -> Result<(), StoreError> {
        if self.head(origin) == found {
            Ok(())
        } else {
            Err(self.corrupt(format!("head of {origin} does not match its last event")))
        }
    }

    /// The raw bytes of one event, as first encoded.
    pub fn event_bytes(&self, origin: ReplicaId, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.log.get(event_key(origin, seq))?.map(|v| v.to_vec()))
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
            self.log
                .range(event_key(origin, from)..=event_key(origin, u64::MAX))
                .map(|item| Ok(item?.1.to_vec())),
            max_events,
            max_bytes,
        )
    }

    /// Files in sled's `blobs/` directory; should always be none, since events are capped.
    pub fn blob_count(&self) -> usize {
        fs::read_dir(self.dir.join("store").join("blobs")).map_or(0, Iterator::count)
    }

    /// Flushes and closes, so the next opener does not replay sled's log.
    pub fn close(self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
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
