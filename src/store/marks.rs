//! Marks: a report's running tally, kept at the end of a day so that the next report of a
//! later period starts there instead of at the first event (issue 13: reports read their
//! period). What a tally holds is the report's business ([`crate::report::period`]); the store
//! keeps the bytes, in the `log` tree, as
//! - `p` + the latest wall time folded (8 bytes, sign bit flipped) + the fold key of the last
//!   event folded (hlc + origin + seq) → the tally's bytes.
//!
//! Marks are a cache of the log, never a record: they are written without a flush, and one
//! lost in a crash is made again by the next report. What must hold is that a mark never
//! outlives the events it summed: a commit of an event that sorts before a mark (a peer's late
//! event) removes that mark and every later one in the same batch, and a rebuild of the indices
//! removes them all. The wall times and fold keys of the marks rise together (each mark is the
//! running maximum of a walk over the same log), so "the marks after a key" is the end of the
//! range.

use crate::domain::event::FoldKey;

use super::{be_u64, fold_key, key_fold, Store, StoreError};

const PREFIX: u8 = b'p';
/// How many late commits the store remembers the earliest event of, for walks under way.
pub(super) const LATE_KEPT: usize = 256;

fn wall_bytes(wall_ms: i64) -> [u8; 8] {
    (wall_ms.cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

fn mark_key(wall_ms: i64, at: FoldKey) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.push(PREFIX);
    k.extend_from_slice(&wall_bytes(wall_ms));
    k.extend_from_slice(&fold_key(at)[1..]);
    k
}

/// A mark as kept: where its walk stopped and the tally there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The latest wall time of the events it folded.
    pub wall_ms: i64,
    /// The last event it folded.
    pub at: FoldKey,
    pub bytes: Vec<u8>,
}

fn read_mark(key: &[u8], bytes: &[u8]) -> Option<Mark> {
    let wall = be_u64(key.get(1..9)?)? ^ (1 << 63);
    Some(Mark {
        wall_ms: wall.cast_signed(),
        at: key_fold(key)?,
        bytes: bytes.to_vec(),
    })
}

/// Removes, in `batch`, the marks that folded past `earliest`: an event there is new to them.
pub(super) fn forget_after(
    log: &sled::Tree,
    batch: &mut sled::Batch,
    earliest: FoldKey,
) -> sled::Result<()> {
    for item in log.scan_prefix([PREFIX]).rev() {
        let (k, _) = item?;
        match key_fold(&k) {
            Some(at) if at <= earliest => break,
            _ => batch.remove(k),
        }
    }
    Ok(())
}

/// Removes every mark, in `batch`.
pub(super) fn forget_all(log: &sled::Tree, batch: &mut sled::Batch) -> sled::Result<()> {
    for item in log.scan_prefix([PREFIX]) {
        batch.remove(item?.0);
    }
    Ok(())
}

impl Store {
    /// The last mark whose events all came before `wall_ms`: a report of a period starting
    /// then may start from it.
    pub fn mark_before(&self, wall_ms: i64) -> Result<Option<Mark>, StoreError> {
        let end = [&[PREFIX][..], &wall_bytes(wall_ms)].concat();
        let Some(item) = self.log()?.range(vec![PREFIX]..end).next_back() else {
            return Ok(None);
        };
        let (k, v) = item.map_err(|e| self.sled_err(&e))?;
        Ok(read_mark(&k, &v))
    }

    /// True when a mark is kept at this wall time and event (a walk need not make it again).
    pub fn has_mark(&self, wall_ms: i64, at: FoldKey) -> Result<bool, StoreError> {
        self.log()?
            .contains_key(mark_key(wall_ms, at))
            .map_err(|e| self.sled_err(&e))
    }

    /// Keeps marks, in one batch and without a flush: they are a cache.
    pub fn keep_marks(&self, marks: &[Mark]) -> Result<(), StoreError> {
        if marks.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for m in marks {
            batch.insert(mark_key(m.wall_ms, m.at), m.bytes.as_slice());
        }
        self.log()?
            .apply_batch(batch)
            .map_err(|e| self.sled_err(&e))
    }

    /// Throws every mark away (the next report walks the whole log and keeps them again).
    pub fn forget_marks(&self) -> Result<(), StoreError> {
        let log = self.log()?;
        let mut batch = sled::Batch::default();
        forget_all(log, &mut batch).map_err(|e| self.sled_err(&e))?;
        log.apply_batch(batch).map_err(|e| self.sled_err(&e))
    }

    /// Where the marks are (wall time, last event), oldest first, for `verify` and tests.
    pub fn marks(&self) -> Result<Vec<(i64, FoldKey)>, StoreError> {
        let mut out = Vec::new();
        for item in self.log()?.scan_prefix([PREFIX]) {
            let (k, v) = item.map_err(|e| self.sled_err(&e))?;
            let m = read_mark(&k, &v).ok_or_else(|| self.corrupt("a bad mark key"))?;
            out.push((m.wall_ms, m.at));
        }
        Ok(out)
    }

    /// How many commits since open held an event that sorts before what the log had.
    pub fn late_commits(&self) -> u64 {
        self.late
    }

    /// The earliest event of the late commits after the first `seen` of them: `Some(None)`
    /// when there were none, `None` when there were too many to say.
    pub fn late_since(&self, seen: u64) -> Option<Option<FoldKey>> {
        let new = usize::try_from(self.late.checked_sub(seen)?).ok()?;
        if new > self.late_keys.len() {
            return None;
        }
        Some(self.late_keys.iter().rev().take(new).min().copied())
    }

    /// In a commit's batch: forgets the marks the batch's earliest event is new to.
    pub(super) fn forget_marks_past(
        &self,
        batch: &mut sled::Batch,
        earliest: FoldKey,
    ) -> Result<(), StoreError> {
        let log = self.log()?;
        let last = log.scan_prefix([PREFIX]).next_back();
        let Some(item) = last else { return Ok(()) };
        let (k, _) = item.map_err(|e| self.sled_err(&e))?;
        if key_fold(&k).is_some_and(|at| at > earliest) {
            forget_after(log, batch, earliest).map_err(|e| self.sled_err(&e))?;
        }
        Ok(())
    }
}
