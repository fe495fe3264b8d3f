//! Opening the store: taking its lock, reading its identity and heads, checking them against what
//! was acknowledged (refusing, or owing what went back), giving a new store its identity, and
//! opening sled again after a failed write.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::domain::event::hash_bytes;
use crate::domain::ReplicaId;

use super::error::{guarded, io_words, sled_words};
use super::{
    ack, aside, be_u64, index, private, span_words, vault, Head, Sled, Store, StoreError,
    StoreKind, KEY_HLC, KEY_KIND, KEY_REPLICA,
};

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

    pub(super) fn open_with(
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
            late: 0,
            late_keys: std::collections::VecDeque::new(),
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
    pub(super) fn check(
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

    pub(super) fn sled(&self) -> Result<&Sled, StoreError> {
        self.sled.as_ref().ok_or_else(|| {
            StoreError::Io(format!(
                "the store in {} could not be opened again after a failed write",
                self.dir.display()
            ))
        })
    }

    pub(super) fn log(&self) -> Result<&sled::Tree, StoreError> {
        Ok(&self.sled()?.log)
    }

    pub(super) fn corrupt(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            dir: self.dir.clone(),
            reason: reason.into(),
            kept: None,
        }
    }

    /// A refusal, with the files an unclean shutdown left kept aside for a person.
    pub(super) fn keep_as_found(&self, e: StoreError) -> StoreError {
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
    pub(super) fn sled_err(&self, e: &sled::Error) -> StoreError {
        match e {
            sled::Error::Io(io) => self.io_failed(io),
            _ => self.corrupt(sled_words(e)),
        }
    }

    pub(super) fn load_identity(
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
    pub(super) fn birth(
        &mut self,
        kind: StoreKind,
        wanted: Option<ReplicaId>,
    ) -> Result<(), StoreError> {
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
        index::born_indexed(&mut batch);
        let heads = self.heads.clone();
        self.durable(batch, &heads)
    }

    /// Checks sled against the record of what was acknowledged: every origin's acknowledged
    /// head must still be there, with the same hash.
    /// With `heal`, what is missing is owed rather than refused.
    pub(super) fn compare(
        &mut self,
        acked: &BTreeMap<ReplicaId, Head>,
        heal: bool,
    ) -> Result<(), StoreError> {
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
    pub(super) fn keep_as_found_ref(&self, e: StoreError) -> StoreError {
        match e {
            e @ (StoreError::Corrupt { .. } | StoreError::WentBack { .. }) => self.keep_as_found(e),
            e => e,
        }
    }

    pub(super) fn take_unchecked(&self) -> Option<PathBuf> {
        self.unchecked
            .lock()
            .map_or(None, |mut unchecked| unchecked.take())
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
}

/// An advisory lock on `<dir>/lock`, holding the owner's pid for the error message.
pub(super) fn take_lock(dir: &Path) -> Result<File, StoreError> {
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
