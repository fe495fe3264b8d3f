//! The store's indices over its own log (issue 13: history stays on disk). They live in the
//! `log` tree beside the events they point at and are written in the same batch as those
//! events, so they are exactly as durable as the log and never disagree with it after a crash:
//! - `c` + call id + 0 + hlc + origin + seq → nothing: a call's events in fold order, for its
//!   chronology, `log --call` and the exports of one call;
//! - `r` + request id + 0 + origin + seq → nothing: the events a client's request committed,
//!   so a request sent again is answered with them rather than run twice;
//! - `t` + hlc + origin + seq → nothing: every event in fold order, so a report reads the log
//!   from where a mark of its running tally leaves off ([`super::marks`]) instead of reading
//!   and sorting all of it;
//! - `m/indexed` → the version of these indices, once every event is in them.
//!
//! They hold ids, times and sequence numbers only, never text: a call id and a client's random
//! request id are not health information, and erasing a call leaves nothing here to erase.
//!
//! A store made before the indices is indexed in one pass the first time a desk opens it
//! ([`Store::index_history`]); a crash during that pass only means the next open does it again.

use crate::domain::event::FoldKey;
use crate::domain::{CallId, Event, ReplicaId};

use super::{be_u64, fold_key, key_fold, tail_ids, Store, StoreError};

const KEY_INDEXED: &[u8] = b"m/indexed";
/// Bumped when the indices' keys change: a store indexed by another version is indexed again.
const INDEX_VERSION: u64 = 2;
/// The prefixes of the index entries, for a rebuild and a check.
const PREFIXES: [&[u8]; 3] = [b"c", b"r", b"t"];
/// Events per batch while indexing an old store.
const INDEX_BATCH: usize = 4096;

pub(super) fn call_prefix(call: &CallId) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + call.as_str().len() + 24);
    k.push(b'c');
    k.extend_from_slice(call.as_str().as_bytes());
    k.push(0);
    k
}

fn request_prefix(request: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + request.len() + 16);
    k.push(b'r');
    k.extend_from_slice(request.as_bytes());
    k.push(0);
    k
}

/// The index entries of one event, to go in the batch that commits it.
pub(super) fn entries(e: &Event) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    for call in e.body.calls() {
        let mut k = call_prefix(call);
        k.extend_from_slice(&e.hlc.to_be_bytes());
        k.extend_from_slice(&e.origin.0.to_be_bytes());
        k.extend_from_slice(&e.seq.to_be_bytes());
        keys.push(k);
    }
    keys.push(fold_key(e.fold_key()).to_vec());
    if let Some(request) = e.request.as_deref().filter(|r| !r.is_empty()) {
        let mut k = request_prefix(request);
        k.extend_from_slice(&e.origin.0.to_be_bytes());
        k.extend_from_slice(&e.seq.to_be_bytes());
        keys.push(k);
    }
    keys
}

/// The marker a new store starts with: it has no events, so all of them are indexed.
pub(super) fn born_indexed(batch: &mut sled::Batch) {
    batch.insert(KEY_INDEXED, &INDEX_VERSION.to_be_bytes());
}

impl Store {
    /// A call's events as (origin, seq), in fold order.
    pub fn call_events(&self, call: &CallId) -> Result<Vec<(ReplicaId, u64)>, StoreError> {
        self.index_scan(&call_prefix(call))
    }

    /// A call's events in fold order, opened with its key.
    pub fn chronology(&self, call: &CallId) -> Result<Vec<Event>, StoreError> {
        let ids = self.call_events(call)?;
        let mut out = Vec::with_capacity(ids.len());
        for (origin, seq) in ids {
            if let Some(bytes) = self.event_bytes(origin, seq)? {
                out.push(self.open_event(&bytes).map_err(StoreError::Unreadable)?);
            }
        }
        Ok(out)
    }

    /// A call's last event in fold order, without reading the others (the queue asks for it
    /// on every frame, for the "saved on a peer" mark).
    pub fn last_call_event(&self, call: &CallId) -> Result<Option<(ReplicaId, u64)>, StoreError> {
        self.call_index_end(call, false, tail_ids)
    }

    /// What `read` makes of the first (or last) entry of a call's index.
    fn call_index_end<T>(
        &self,
        call: &CallId,
        first: bool,
        read: fn(&[u8]) -> Option<T>,
    ) -> Result<Option<T>, StoreError> {
        let mut entries = self.log()?.scan_prefix(call_prefix(call));
        let end = if first {
            entries.next()
        } else {
            entries.next_back()
        };
        match end {
            None => Ok(None),
            Some(item) => {
                let (k, _) = item.map_err(|e| self.sled_err(&e))?;
                read(&k)
                    .map(Some)
                    .ok_or_else(|| self.corrupt("a bad index key"))
            }
        }
    }

    /// The events after `after` in fold order (all of them from `None`), each given to `each`;
    /// it returns `false` to stop. Only the events `opens` picks are opened with the call keys:
    /// the rest keep their personal text sealed, as a reader that does not read it needs.
    pub fn events_in_fold_order(
        &self,
        after: Option<FoldKey>,
        opens: impl Fn(&crate::domain::Body) -> bool,
        mut each: impl FnMut(Event) -> bool,
    ) -> Result<(), StoreError> {
        let from = after.map_or_else(
            || vec![b't'],
            |at| {
                let mut k = fold_key(at).to_vec();
                k.push(0); // just past `at` itself
                k
            },
        );
        for item in self.log()?.range(from..vec![b'u']) {
            let (k, _) = item.map_err(|e| self.sled_err(&e))?;
            let (_, origin, seq) = key_fold(&k).ok_or_else(|| self.corrupt("a bad index key"))?;
            let bytes = self.event_bytes(origin, seq)?.ok_or_else(|| {
                self.corrupt(format!("the index names {origin}:{seq}, not in the log"))
            })?;
            let mut e =
                Event::decode(&bytes).map_err(|r| self.corrupt(format!("{origin}:{seq}: {r}")))?;
            if opens(&e.body) {
                self.open_body(&mut e.body)?;
            }
            if !each(e) {
                break;
            }
        }
        Ok(())
    }

    /// Where a call's first event sorts, without reading the others.
    pub fn first_call_event(&self, call: &CallId) -> Result<Option<FoldKey>, StoreError> {
        self.call_index_end(call, true, key_fold)
    }

    /// The events a client's request committed, as (origin, seq).
    pub fn request_events(&self, request: &str) -> Result<Vec<(ReplicaId, u64)>, StoreError> {
        if request.is_empty() {
            return Ok(Vec::new());
        }
        self.index_scan(&request_prefix(request))
    }

    fn index_scan(&self, prefix: &[u8]) -> Result<Vec<(ReplicaId, u64)>, StoreError> {
        let mut found = Vec::new();
        for item in self.log()?.scan_prefix(prefix) {
            let (k, _) = item.map_err(|e| self.sled_err(&e))?;
            found.push(tail_ids(&k).ok_or_else(|| self.corrupt("a bad index key"))?);
        }
        Ok(found)
    }

    /// True once every event is in the indices.
    pub fn indexed(&self) -> Result<bool, StoreError> {
        let marker = self
            .log()?
            .get(KEY_INDEXED)
            .map_err(|e| self.sled_err(&e))?;
        Ok(marker.and_then(|v| be_u64(&v)) == Some(INDEX_VERSION))
    }

    /// Indexes a store made before the indices, in one pass over the log; does nothing on one
    /// already indexed. Returns how many events it indexed.
    pub fn index_history(&mut self) -> Result<u64, StoreError> {
        if self.indexed()? {
            return Ok(0);
        }
        let started = std::time::Instant::now();
        let mut count = 0u64;
        let mut batch = sled::Batch::default();
        let mut in_batch = 0;
        for item in self.log()?.scan_prefix(b"e") {
            let (_, bytes) = item.map_err(|e| self.sled_err(&e))?;
            // Ids and times are never sealed: the bytes decode without the call keys.
            let e = Event::decode(&bytes).map_err(|r| self.corrupt(r))?;
            for k in entries(&e) {
                batch.insert(k, &[][..]);
            }
            count += 1;
            in_batch += 1;
            if in_batch == INDEX_BATCH {
                let full = std::mem::take(&mut batch);
                self.log()?
                    .apply_batch(full)
                    .map_err(|e| self.sled_err(&e))?;
                in_batch = 0;
            }
        }
        batch.insert(KEY_INDEXED, &INDEX_VERSION.to_be_bytes());
        let heads = self.heads.clone();
        self.durable(batch, &heads)?;
        tracing::info!(
            events = count,
            ms = started.elapsed().as_millis() as u64,
            "indexed the log's history"
        );
        Ok(count)
    }

    /// Throws the indices away and makes them again from the log (after `verify` found them
    /// wrong).
    pub fn reindex(&mut self) -> Result<u64, StoreError> {
        let mut batch = sled::Batch::default();
        for prefix in PREFIXES {
            for item in self.log()?.scan_prefix(prefix) {
                let (k, _) = item.map_err(|e| self.sled_err(&e))?;
                batch.remove(k);
            }
        }
        batch.remove(KEY_INDEXED);
        super::marks::forget_all(self.log()?, &mut batch).map_err(|e| self.sled_err(&e))?;
        self.log()?
            .apply_batch(batch)
            .map_err(|e| self.sled_err(&e))?;
        self.index_history()
    }

    /// Checks the indices against the log, for `switchboard verify`: every event's entries are
    /// there and nothing else is. Returns why not.
    pub fn check_indices(&self) -> Result<Result<(), String>, StoreError> {
        if !self.indexed()? {
            return Ok(Err("the log's history is not indexed yet".into()));
        }
        let mut expected = std::collections::BTreeSet::new();
        for item in self.log()?.scan_prefix(b"e") {
            let (_, bytes) = item.map_err(|e| self.sled_err(&e))?;
            let e = Event::decode(&bytes).map_err(|r| self.corrupt(r))?;
            expected.extend(entries(&e));
        }
        let mut found = 0usize;
        for prefix in PREFIXES {
            for item in self.log()?.scan_prefix(prefix) {
                let (k, _) = item.map_err(|e| self.sled_err(&e))?;
                if !expected.contains(k.as_ref()) {
                    return Ok(Err(
                        "an index entry names an event the log does not hold".into()
                    ));
                }
                found += 1;
            }
        }
        if found != expected.len() {
            return Ok(Err(format!(
                "the index lacks {} of the log's entries",
                expected.len() - found
            )));
        }
        Ok(Ok(()))
    }
}
