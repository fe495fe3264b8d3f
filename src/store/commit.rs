//! Committing: a batch of sealed events made durable in one sled batch, flushed and synced, then
//! recorded outside sled as acknowledged.

use std::collections::BTreeMap;

use crate::domain::{Known, ReplicaId, MAX_EVENT_BYTES};

use super::error::{io_words, is_full, nearly_full};
use super::{
    aside, event_key, head_key, index, known, span_words, Head, Sealed, Store, StoreError, KEY_HLC,
};

impl Store {
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
            for k in index::entries(e) {
                batch.insert(k, &[][..]);
            }
            let mut h = Vec::with_capacity(40);
            h.extend_from_slice(&head.seq.to_be_bytes());
            h.extend_from_slice(&head.hash);
            batch.insert(&head_key(e.origin), h);
        }
        batch.insert(KEY_HLC, &hlc.to_be_bytes());
        // Only a late event (one that sorts before what the log had) can sort before a mark:
        // every other commit leaves the marks alone without looking at them.
        let late = events
            .iter()
            .map(|s| s.event.fold_key())
            .min()
            .filter(|(hlc, _, _)| *hlc <= self.hlc);
        if let Some(earliest) = late {
            self.forget_marks_past(&mut batch, earliest)?;
        }
        if !known.is_empty() {
            if let Err(e) = known::write(&self.sled()?.known, known) {
                self.sled = None;
                return Err(self.sled_err(&e));
            }
        }
        self.durable(batch, &heads)?;
        self.heads = heads;
        self.hlc = hlc;
        if let Some(key) = late {
            self.late += 1;
            self.late_keys.push_back(key);
            if self.late_keys.len() > super::marks::LATE_KEPT {
                self.late_keys.pop_front();
            }
        }
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
    pub(super) fn durable(
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
    pub(super) fn recorded(&self, heads: &BTreeMap<ReplicaId, Head>) -> BTreeMap<ReplicaId, Head> {
        let mut recorded = heads.clone();
        for (o, owed) in &self.owed {
            if recorded.get(o).map_or(0, |h| h.seq) < owed.seq {
                recorded.insert(*o, *owed);
            }
        }
        recorded
    }

    pub(super) fn io_failed(&self, e: &std::io::Error) -> StoreError {
        if is_full(e) || nearly_full(&self.dir) {
            StoreError::Full {
                dir: self.dir.clone(),
            }
        } else {
            StoreError::Io(format!("{} in {}", io_words(e), self.dir.display()))
        }
    }
}
