//! Reading the log back: every event decoded and its chain verified, and the raw bytes of events
//! as first encoded, for a peer.

use crate::domain::event::hash_bytes;
use crate::domain::{Event, KnownHere, ReplicaId};

use super::error::guarded;
use super::{aside, be_u64, bounded, event_key, known, Head, Store, StoreError};

impl Store {
    /// Every event, decoded and verified: seqs dense from 1 per origin, each `prev` the hash of
    /// the event before it, each head matching its chain's last event. The first time it
    /// verifies after an unclean shutdown, the copy of sled's files kept until then goes.
    pub fn load(&self) -> Result<Vec<Event>, StoreError> {
        let mut events = Vec::new();
        self.verify_with(|e| events.push(e))?;
        Ok(events)
    }

    /// Verifies every event as [`Store::load`] does, keeping none of them in memory; returns
    /// how many there are.
    pub fn verify(&self) -> Result<u64, StoreError> {
        let mut count = 0;
        self.verify_with(|_| count += 1)?;
        Ok(count)
    }

    /// True until the log has verified after an unclean shutdown (a copy of sled's files as
    /// found is kept until then): the whole of it must be verified before it is trusted.
    pub fn unchecked(&self) -> bool {
        self.unchecked.lock().map_or(true, |u| u.is_some())
    }

    pub(super) fn verify_with(&self, each: impl FnMut(Event)) -> Result<(), StoreError> {
        let verified = guarded(|| self.verified(each))
            .unwrap_or_else(|_| Err(self.corrupt("the storage engine stopped on damaged data")));
        match verified {
            Ok(()) => {
                aside::settle(self.take_unchecked().as_deref());
                Ok(())
            }
            Err(e) => Err(self.keep_as_found_ref(e)),
        }
    }

    pub(super) fn verified(&self, mut each: impl FnMut(Event)) -> Result<(), StoreError> {
        let mut count = 0u64;
        let mut chain: Option<(ReplicaId, Head)> = None;
        for item in self.log()?.scan_prefix(b"e") {
            let (k, bytes) = item.map_err(|e| self.sled_err(&e))?;
            let origin = ReplicaId(be_u64(&k[1..]).ok_or_else(|| self.corrupt("bad event key"))?);
            let seq = be_u64(&k[9..]).ok_or_else(|| self.corrupt("bad event key"))?;
            let e = self
                .open_event(&bytes)
                .map_err(|r| self.corrupt(format!("{origin}:{seq}: {r}")))?;
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
            count += 1;
            each(e);
        }
        if let Some((o, h)) = chain {
            self.check_head(o, h)?;
        }
        if count != self.event_count() {
            return Err(self.corrupt("a head names events that are missing"));
        }
        Ok(())
    }

    pub(super) fn check_head(&self, origin: ReplicaId, found: Head) -> Result<(), StoreError> {
        if self.head(origin) == found {
            Ok(())
        } else {
            Err(self.corrupt(format!("head of {origin} does not match its last event")))
        }
    }

    /// When this node first knew the events whose origin's clock was off.
    pub fn known(&self) -> Result<KnownHere, StoreError> {
        known::load(&self.sled()?.known).map_err(|e| self.sled_err(&e))
    }

    /// The raw bytes of one event, as first encoded.
    pub fn event_bytes(&self, origin: ReplicaId, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .log()?
            .get(event_key(origin, seq))
            .map_err(|e| self.sled_err(&e))?
            .map(|v| v.to_vec()))
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
            self.log()?
                .range(event_key(origin, from)..=event_key(origin, u64::MAX))
                .map(|item| Ok(item.map_err(|e| self.sled_err(&e))?.1.to_vec())),
            max_events,
            max_bytes,
        )
    }
}
