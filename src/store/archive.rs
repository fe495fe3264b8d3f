//! The records of the calls a desk let go from memory (issue 13: history stays on disk), in
//! the `archive` tree:
//! - `c` + call id + 0 + generation (8 bytes) → a sealed record;
//! - `m/generation` → the last generation written.
//!
//! What a record holds is the desk's (`domain::state::Record`); the store keeps its bytes.
//! A record is a cache of the log, like the checkpoint it goes with: the checkpoint names the
//! generation it was written at, and an open reads, for each call, the latest record of that
//! generation or before. Records are never overwritten: a call let go again is written under a
//! new generation, so a crash between writing records and writing their checkpoint leaves the
//! old checkpoint reading the old records. The records a checkpoint no longer reads are
//! removed once a later one is written.
//!
//! A record holds the call's personal text, so it is sealed with the call's own key while it
//! has one: erasing the call (shredding its key) leaves every record of it unreadable, as its
//! events are. An erased call's record, or one of a call that never had a key, is sealed with
//! the node key.

use crate::domain::CallId;

use super::{be_u64, vault, Store, StoreError};

const KEY_GENERATION: &[u8] = b"m/generation";
const AAD: &[u8] = b"let go";
/// The first byte of a record: which key sealed it.
const BY_CALL_KEY: u8 = 1;
const BY_NODE_KEY: u8 = 0;

fn prefix(call: &CallId) -> Vec<u8> {
    let mut k = Vec::with_capacity(call.as_str().len() + 10);
    k.push(b'c');
    k.extend_from_slice(call.as_str().as_bytes());
    k.push(0);
    k
}

fn record_key(call: &CallId, generation: u64) -> Vec<u8> {
    let mut k = prefix(call);
    k.extend_from_slice(&generation.to_be_bytes());
    k
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

    /// Writes the records of calls let go, under a new generation, durably; returns the
    /// generation, for the checkpoint that follows to name.
    pub fn keep_records(&self, records: &[(CallId, Vec<u8>)]) -> Result<u64, StoreError> {
        let generation = self.archive_generation()? + 1;
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
        batch.insert(KEY_GENERATION, &generation.to_be_bytes());
        let sled = self.sled()?;
        let written = sled
            .archive
            .apply_batch(batch)
            .and_then(|()| sled.archive.flush());
        match written {
            Err(e) => Err(self.sled_err(&e)),
            Ok(_) => sled
                .db_file
                .sync_all()
                .map(|()| generation)
                .map_err(|e| self.io_failed(&e)),
        }
    }

    /// The record of `call` a checkpoint written at `generation` reads: the latest of that
    /// generation or before, opened. `None` when there is none, or it does not open (its
    /// call's key was shredded since).
    pub fn record(&self, call: &CallId, generation: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let archive = &self.sled()?.archive;
        let range = record_key(call, 0)..=record_key(call, generation);
        let Some(item) = archive.range(range).next_back() else {
            return Ok(None);
        };
        let (k, v) = item.map_err(|e| self.sled_err(&e))?;
        let at = k.len().checked_sub(8).and_then(|i| be_u64(&k[i..]));
        let (Some(at), Some((&by, sealed))) = (at, v.split_first()) else {
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
        Ok(vault::open_bytes(&key, &aad(call, at), sealed))
    }

    /// Removes the records of `calls` a checkpoint at `generation` no longer reads: all but
    /// the latest of that generation or before, and any after it (a crashed write's). Not
    /// flushed: one left by a crash is only space, removed the next time its call is let go.
    pub fn forget_records(&self, calls: &[CallId], generation: u64) -> Result<(), StoreError> {
        let archive = &self.sled()?.archive;
        let mut batch = sled::Batch::default();
        for call in calls {
            let mut kept = false;
            for item in archive.scan_prefix(prefix(call)).rev() {
                let (k, _) = item.map_err(|e| self.sled_err(&e))?;
                let at = k.len().checked_sub(8).and_then(|i| be_u64(&k[i..]));
                if !kept && at.is_some_and(|at| at <= generation) {
                    kept = true;
                } else {
                    batch.remove(k);
                }
            }
        }
        archive.apply_batch(batch).map_err(|e| self.sled_err(&e))
    }
}
