//! The records of the calls a desk let go from memory (issue 13: history stays on disk), in
//! the `archive` tree:
//! - `c` + call id + 0 + generation (8 bytes) → a sealed record;
//! - `m/generation` → the last generation written.
//!
//! What a record holds is the desk's (`domain::state::Record`); the store keeps its bytes.
//! A record is a cache of the log, like the checkpoints it goes with: each let-go call's trace
//! in a checkpoint names the generation of its record. Records are never overwritten: a call
//! let go again is written under a new generation, so a crash between writing records and
//! writing their checkpoint leaves the checkpoints before reading the records they name.
//! A record no kept checkpoint names is only space: after a full fold, which throws the kept
//! checkpoints away, the records the new one does not name are removed. Between full folds a
//! call read back and let go again leaves its older record (a few KB), because an older kept
//! checkpoint may name it.
//!
//! A record holds the call's personal text, so it is sealed with the call's own key while it
//! has one: erasing the call (shredding its key) leaves every record of it unreadable, as its
//! events are. An erased call's record, or one of a call that never had a key, is sealed with
//! the node key.

use crate::domain::CallId;

// A record's key starts as a call's index entries in the `log` tree do (`c` + id + 0).
use super::index::call_prefix;
use super::{be_u64, vault, Store, StoreError};

const KEY_GENERATION: &[u8] = b"m/generation";
const AAD: &[u8] = b"let go";
/// The first byte of a record: which key sealed it.
const BY_CALL_KEY: u8 = 1;
const BY_NODE_KEY: u8 = 0;

fn record_key(call: &CallId, generation: u64) -> Vec<u8> {
    let mut k = call_prefix(call);
    k.extend_from_slice(&generation.to_be_bytes());
    k
}

/// The call and generation a record's key names.
fn read_key(k: &[u8]) -> Option<(CallId, u64)> {
    let end = k.len().checked_sub(9)?;
    let id = std::str::from_utf8(k.get(1..end)?).ok()?.parse().ok()?;
    Some((id, be_u64(&k[end + 1..])?))
}

fn aad(call: &CallId, generation: u64) -> Vec<u8> {
    let mut a = AAD.to_vec();
    a.extend_from_slice(&record_key(call, generation));
    a
}

impl Store {
    /// The last generation of records written (0: none yet).
    pub fn archive_generation(&self) -> Result<u64, StoreError> {
        let found = self
            .sled()?
            .archive
            .get(KEY_GENERATION)
            .map_err(|e| self.sled_err(&e))?;
        Ok(found.and_then(|v| be_u64(&v)).unwrap_or(0))
    }

    /// A new generation for records, noted durably before any record is written under it, so
    /// that none is ever used twice (a crash's records under it are only space).
    pub fn new_generation(&self) -> Result<u64, StoreError> {
        let generation = self.archive_generation()? + 1;
        let sled = self.sled()?;
        let noted = sled
            .archive
            .insert(KEY_GENERATION, &generation.to_be_bytes())
            .and_then(|_| sled.archive.flush());
        noted.map_err(|e| self.sled_err(&e))?;
        Ok(generation)
    }

    /// Writes the records of calls let go under `generation`, durably (flushed and fsynced).
    pub fn keep_records(
        &self,
        generation: u64,
        records: &[(CallId, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let calls: Vec<&CallId> = records.iter().map(|(id, _)| id).collect();
        let ring = self.keyring_for(calls)?;
        let mut batch = sled::Batch::default();
        for (call, plain) in records {
            let (by, key) = match ring.key(call) {
                Some(key) => (BY_CALL_KEY, key),
                None => (BY_NODE_KEY, self.node_key),
            };
            let mut value = vec![by];
            value.extend(
                vault::seal_bytes(&key, &aad(call, generation), plain)
                    .map_err(StoreError::Sealing)?,
            );
            batch.insert(record_key(call, generation), value);
        }
        let sled = self.sled()?;
        let written = sled
            .archive
            .apply_batch(batch)
            .and_then(|()| sled.archive.flush());
        match written {
            Err(e) => Err(self.sled_err(&e)),
            Ok(_) => sled.db_file.sync_all().map_err(|e| self.io_failed(&e)),
        }
    }

    /// The record of `call` written under `generation`, opened. `None` when there is none,
    /// or it does not open (its call's key was shredded since).
    pub fn record(&self, call: &CallId, generation: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let found = self
            .sled()?
            .archive
            .get(record_key(call, generation))
            .map_err(|e| self.sled_err(&e))?;
        match found {
            Some(sealed) => self.open_record(call, generation, &sealed),
            None => Ok(None),
        }
    }

    /// The latest record of `call`, of any generation, opened, with its generation: a call let
    /// go again unchanged (after a full fold) takes it up instead of writing another.
    pub fn latest_record(&self, call: &CallId) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let archive = &self.sled()?.archive;
        let Some(item) = archive.scan_prefix(call_prefix(call)).next_back() else {
            return Ok(None);
        };
        let (k, sealed) = item.map_err(|e| self.sled_err(&e))?;
        let Some((_, at)) = read_key(&k) else {
            return Ok(None);
        };
        Ok(self
            .open_record(call, at, &sealed)?
            .map(|plain| (at, plain)))
    }

    /// A record's stored bytes opened with the key its first byte names.
    fn open_record(
        &self,
        call: &CallId,
        generation: u64,
        stored: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((&by, sealed)) = stored.split_first() else {
            return Ok(None);
        };
        let key = if by == BY_CALL_KEY {
            match self.keyring_for([call])?.key(call) {
                Some(key) => key,
                None => return Ok(None),
            }
        } else {
            self.node_key
        };
        Ok(vault::open_bytes(&key, &aad(call, generation), sealed))
    }

    /// Removes every record `named` does not name (by call and generation). Called when the
    /// only checkpoint kept is the one just written, whose traces are `named`: after a full
    /// fold, which throws the kept ones away. Not flushed: a record left by a crash is only
    /// space.
    pub fn prune_records(&self, named: impl Fn(&CallId, u64) -> bool) -> Result<usize, StoreError> {
        let archive = &self.sled()?.archive;
        let mut batch = sled::Batch::default();
        let mut removed = 0;
        for item in archive.scan_prefix(b"c") {
            let (k, _) = item.map_err(|e| self.sled_err(&e))?;
            if !read_key(&k).is_some_and(|(id, at)| named(&id, at)) {
                batch.remove(k);
                removed += 1;
            }
        }
        archive.apply_batch(batch).map_err(|e| self.sled_err(&e))?;
        Ok(removed)
    }
}
