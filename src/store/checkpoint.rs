//! A checkpoint of the fold, kept beside sled's files as `store/checkpoint`, so that an open
//! folds only the log's tail after it (design §4: projections are caches rebuilt from the log).
//!
//! The file is `MAGIC`, the SHA-256 of what follows, then, in `MessagePack` with named fields:
//! the build that wrote it, the store's replica id, the per-origin heads (seq and hash) it
//! covers, and the value itself (the desk's, opaque here). It is written to `checkpoint.tmp`,
//! fsynced, renamed over `checkpoint` and the directory fsynced, so a crash leaves the old one
//! or the new one, never half of one; a `checkpoint.tmp` left by a crash is never read.
//!
//! The last [`KEPT`] are kept (`checkpoint`, `checkpoint.1` …), so that a peer's late event
//! that sorts before the newest is folded from one before it.
//!
//! It is a cache, never trusted on its word: a checkpoint is used only when its hash holds, it
//! was written by this build for this store, and each head it covers is still in the log with
//! the same hash; the tail after it is read from the log and its chains verified up to the
//! heads. Anything else (missing, damaged, another build's, one the log does not match) and the
//! caller folds the whole log and writes it again. Writing one that fails loses nothing.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{be_u64, event_key, guarded, sync_dir, Head, Store, StoreError};
use crate::domain::event::hash_bytes;
use crate::domain::{Event, ReplicaId};

const FILE: &str = "checkpoint";
const TEMP: &str = "checkpoint.tmp";
/// How many checkpoints are kept: the newest as `checkpoint`, the ones before it as
/// `checkpoint.1` (the one before) … A peer's late event that sorts before the newest is
/// folded from the newest one it sorts after, instead of from the start of the log.
pub const KEPT: usize = 4;
/// `2`: the body is sealed with the node key, since the fold holds personal text.
const MAGIC: &[u8; 8] = b"SWBDCKP2";
const AAD: &[u8] = b"checkpoint";

/// The build a checkpoint must come from: another build may fold differently.
const BUILD: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("SWITCHBOARD_COMMIT"));

#[derive(Serialize)]
struct Out<'a, T> {
    build: &'a str,
    replica: ReplicaId,
    heads: Vec<(ReplicaId, u64, &'a serde_bytes::Bytes)>,
    value: &'a T,
}

#[derive(Deserialize)]
struct In<T> {
    build: String,
    replica: ReplicaId,
    heads: Vec<(ReplicaId, u64, serde_bytes::ByteBuf)>,
    value: T,
}

/// What an open found in `store/checkpoint`.
pub enum Found<T> {
    /// None there (a new store, or one from before checkpoints).
    Missing,
    /// One there that may not be used, with why, with nothing wrong in it (another build's,
    /// another store's, one the log does not reach).
    Unusable(String),
    /// One there that is damaged: unreadable, cut short, its hash not holding.
    Damaged(String),
    /// One that holds: the heads it covers, and its value.
    Usable {
        heads: BTreeMap<ReplicaId, Head>,
        value: T,
    },
}

/// The `nth` newest checkpoint's file (0: the newest).
fn path(dir: &Path, nth: usize) -> PathBuf {
    let store = dir.join("store");
    if nth == 0 {
        store.join(FILE)
    } else {
        store.join(format!("{FILE}.{nth}"))
    }
}

impl Store {
    /// Writes `value`, the fold of exactly the events up to the store's heads now, as the
    /// checkpoint, atomically (see the module doc).
    pub fn write_checkpoint<T: Serialize>(&self, value: &T) -> Result<(), StoreError> {
        let heads = self
            .heads
            .iter()
            .map(|(o, h)| (*o, h.seq, serde_bytes::Bytes::new(&h.hash)))
            .collect();
        let body = rmp_serde::to_vec_named(&Out {
            build: BUILD,
            replica: self.replica,
            heads,
            value,
        })
        .map_err(|e| StoreError::Rejected(format!("a checkpoint could not be encoded: {e}")))?;
        let body = self.seal_blob(AAD, &body)?;
        let sled_dir = self.dir.join("store");
        let temp = sled_dir.join(TEMP);
        let written = (|| -> std::io::Result<()> {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&temp)?;
            file.write_all(MAGIC)?;
            file.write_all(&Sha256::digest(&body))?;
            file.write_all(&body)?;
            file.sync_all()?;
            drop(file);
            // The ones before move down a place, the oldest goes. A crash between two renames
            // leaves a gap, never half a file: an open reads whichever are there.
            for nth in (1..KEPT).rev() {
                match fs::rename(path(&self.dir, nth - 1), path(&self.dir, nth)) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            fs::rename(&temp, path(&self.dir, 0))?;
            sync_dir(&sled_dir)
        })();
        written.map_err(|e| {
            let _ = fs::remove_file(&temp);
            self.io_failed(&e)
        })
    }

    /// The newest checkpoint, if it is one this store may fold on from
    /// ([`Store::read_checkpoint_nth`]).
    pub fn read_checkpoint<T: DeserializeOwned>(&self) -> Found<T> {
        self.read_checkpoint_nth(0)
    }

    /// The `nth` newest checkpoint (0: the newest, up to [`KEPT`]), if it is one this store
    /// may fold on from: its hash holds, this build wrote it for this store, and every head it
    /// covers is in the log with the same hash.
    pub fn read_checkpoint_nth<T: DeserializeOwned>(&self, nth: usize) -> Found<T> {
        let mut bytes = Vec::new();
        match File::open(path(&self.dir, nth)).and_then(|mut f| f.read_to_end(&mut bytes)) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::Missing,
            Err(e) => return Found::Damaged(format!("it cannot be read ({})", e.kind())),
        }
        let (Some(magic), Some(hash), Some(body)) =
            (bytes.get(..8), bytes.get(8..40), bytes.get(40..))
        else {
            return Found::Damaged("it is cut short".into());
        };
        if magic != MAGIC {
            return Found::Unusable("it is not a checkpoint this version reads".into());
        }
        if Sha256::digest(body).as_slice() != hash {
            return Found::Damaged("it is damaged (its hash does not match)".into());
        }
        let Some(body) = self.open_blob(AAD, body) else {
            return Found::Unusable("it does not open with this node's key".into());
        };
        let read: In<T> = match rmp_serde::from_slice(&body) {
            Ok(read) => read,
            Err(e) => return Found::Unusable(format!("it does not decode ({e})")),
        };
        if read.build != BUILD {
            return Found::Unusable(format!("it was written by build {}", read.build));
        }
        if read.replica != self.replica {
            return Found::Unusable(format!("it belongs to replica {}", read.replica));
        }
        let mut heads = BTreeMap::new();
        for (origin, seq, hash) in read.heads {
            let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) else {
                return Found::Damaged("it holds a bad head".into());
            };
            let holds = self.head(origin).seq >= seq
                && matches!(self.event_bytes(origin, seq), Ok(Some(b)) if hash_bytes(&b) == hash);
            if !holds {
                return Found::Unusable(format!(
                    "the log does not hold the event {origin}:{seq} it was made at"
                ));
            }
            heads.insert(origin, Head { seq, hash });
        }
        Found::Usable {
            heads,
            value: read.value,
        }
    }

    /// Removes the `nth` newest checkpoints: ones a late event sorts before, of a fold that
    /// did not have it, which no open can use again.
    pub fn discard_newer_checkpoints(&self, nth: usize) {
        for p in (0..nth.min(KEPT)).map(|n| path(&self.dir, n)) {
            if let Err(e) = fs::remove_file(&p) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %p.display(), %e, "could not remove a checkpoint");
                }
            }
        }
    }

    /// Removes every checkpoint (and a temp file a crash left): the next open folds the whole
    /// log.
    pub fn discard_checkpoint(&self) {
        self.discard_newer_checkpoints(KEPT);
        for p in [self.dir.join("store").join(TEMP)] {
            if let Err(e) = fs::remove_file(&p) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %p.display(), %e, "could not remove a checkpoint");
                }
            }
        }
    }

    /// The events after `after` (a checkpoint's heads) up to the store's heads, decoded and
    /// verified: seqs dense, each `prev` the hash of the event before it (the first one's the
    /// checkpoint's head), each chain ending at its head.
    pub fn tail(&self, after: &BTreeMap<ReplicaId, Head>) -> Result<Vec<Event>, StoreError> {
        guarded(|| self.verified_tail(after))
            .unwrap_or_else(|_| Err(self.corrupt("the storage engine stopped on damaged data")))
            .map_err(|e| self.keep_as_found_ref(e))
    }

    fn verified_tail(&self, after: &BTreeMap<ReplicaId, Head>) -> Result<Vec<Event>, StoreError> {
        let mut events = Vec::new();
        for (&origin, &head) in &self.heads {
            let mut at = after.get(&origin).copied().unwrap_or_default();
            if at.seq >= head.seq {
                if at != head {
                    return Err(self.corrupt(format!("head of {origin} does not match its chain")));
                }
                continue;
            }
            let range = event_key(origin, at.seq + 1)..=event_key(origin, head.seq);
            for item in self.log()?.range(range) {
                let (k, bytes) = item.map_err(|e| self.sled_err(&e))?;
                let seq = be_u64(&k[9..]).ok_or_else(|| self.corrupt("bad event key"))?;
                let e = self
                    .open_event(&bytes)
                    .map_err(|r| self.corrupt(format!("{origin}:{seq}: {r}")))?;
                if e.origin != origin || e.seq != seq || seq != at.seq + 1 || e.prev != at.hash {
                    return Err(self.corrupt(format!("chain broken at {origin}:{seq}")));
                }
                at = Head {
                    seq,
                    hash: hash_bytes(&bytes),
                };
                events.push(e);
            }
            if at != head {
                return Err(self.corrupt(format!("head of {origin} does not match its last event")));
            }
        }
        Ok(events)
    }
}
