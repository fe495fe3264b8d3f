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
//! When a call is let go again, its records older than what the oldest checkpoint kept may
//! name are removed (`m/kept` lists the generations the kept checkpoints were written at).
//!
//! A record holds the call's personal text, so it is sealed with the call's own key while it
//! has one: erasing the call (shredding its key) leaves every record of it unreadable, as its
//! events are. An erased call's record, or one of a call that never had a key, is sealed with
//! the node key.

use crate::domain::CallId;

use super::{be_u64, vault, Store, StoreError};

const KEY_GENERATION: &[u8] = b"m/generation";
const KEY_KEPT: &[u8] = b"m/kept";
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

    /// The record of `call` written under `generation`, opened. `None` when there is none,
    /// or it does not open (its call's key was shredded since).
    pub fn record(&self, call: &CallId, generation: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let found = self
            .sled()?
            .archive
            .get(record_key(call, generation))
            .map_err(|e| self.sled_err(&e))?;
        let Some(v) = found else {
            return Ok(None);
        };
        let Some((&by, sealed)) = v.split_first() else {
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

    /// After a checkpoint was written naming records up to `generation`: notes it among the
    /// kept checkpoints' generations (`kept` of them), and removes the records of `calls`
    /// (just let go again) that none of them can name — all but the latest one written at or
    /// before the oldest kept checkpoint's generation, and the ones after it. Not flushed: a
    /// record left by a crash is only space, removed the next time its call is let go.
    pub fn forget_records(
        &self,
        calls: &[CallId],
        generation: u64,
        kept: usize,
    ) -> Result<(), StoreError> {
        let archive = &self.sled()?.archive;
        let mut generations: Vec<u64> = archive
            .get(KEY_KEPT)
            .map_err(|e| self.sled_err(&e))?
            .map(|v| v.chunks_exact(8).filter_map(be_u64).collect())
            .unwrap_or_default();
        if generations.first() != Some(&generation) {
            generations.insert(0, generation);
        }
        generations.truncate(kept);
        let oldest = generations.last().copied().unwrap_or(generation);
        let mut batch = sled::Batch::default();
        for call in calls {
            let mut kept_one = false;
            for item in archive.scan_prefix(prefix(call)).rev() {
                let (k, _) = item.map_err(|e| self.sled_err(&e))?;
                let at = k.len().checked_sub(8).and_then(|i| be_u64(&k[i..]));
                let Some(at) = at else { continue };
                if at >= oldest && at <= generation {
                    continue;
                }
                if !kept_one && at < oldest {
                    kept_one = true;
                    continue;
                }
                batch.remove(k);
            }
        }
        let list: Vec<u8> = generations.iter().flat_map(|g| g.to_be_bytes()).collect();
        batch.insert(KEY_KEPT, list);
        archive.apply_batch(batch).map_err(|e| self.sled_err(&e))
    }
}
