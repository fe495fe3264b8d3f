//! The desk's side of crypto-shredding ([`crate::store::vault`]): events read from the log are
//! opened with the call keys its book holds, keys travel with events to peers and attached
//! consoles, and an erasure folded here destroys the call's key.

use serde_bytes::ByteBuf;

use super::{Book, Desk, DeskError};
use crate::domain::{retention, Body, CallId, Event};
use crate::store::vault::{Key, KEY_LEN};
use crate::store::{StoreError, StoreKind};

/// Erasures by schedule are committed this many to a batch, so a first run over years of
/// calls is a few commits, none of them huge.
const RETENTION_BATCH: usize = 256;

/// Call keys as they travel: the call, and its key's 32 bytes.
pub type WireKeys = Vec<(CallId, ByteBuf)>;

/// A call's key from `store`; none when the store cannot be read just now (said in the log:
/// the events go without it, and their reader shows the text as erased until it asks again).
pub fn store_key(store: &crate::store::Store, call: &CallId) -> Option<Key> {
    match store.keyring_for([call]) {
        Ok(ring) => ring.key(call),
        Err(e) => {
            tracing::warn!(%call, error = %e, "a call key could not be read");
            None
        }
    }
}

/// The keys a peer or the serving desk sent, those of the right length.
pub fn from_wire(keys: &[(CallId, ByteBuf)]) -> Vec<(CallId, Key)> {
    keys.iter()
        .filter_map(|(call, key)| {
            let key: [u8; KEY_LEN] = key.as_slice().try_into().ok()?;
            Some((call.clone(), key))
        })
        .collect()
}

/// The keys of the calls whose text is sealed in `batch`, that `key` finds.
pub fn keys_in<B: AsRef<[u8]>>(key: impl Fn(&CallId) -> Option<Key>, batch: &[B]) -> WireKeys {
    let mut out: WireKeys = Vec::new();
    for bytes in batch {
        let Ok(mut e) = Event::decode(bytes.as_ref()) else {
            continue;
        };
        let Some((call, _)) = e.body.personal_mut() else {
            continue;
        };
        if out.iter().any(|(c, _)| c == call) {
            continue;
        }
        if let Some(key) = key(call) {
            out.push((call.clone(), ByteBuf::from(key.to_vec())));
        }
    }
    out
}

impl Desk {
    /// A call's key, as this desk's book holds it.
    fn call_key(&self, call: &CallId) -> Option<Key> {
        match &self.book {
            Book::Local(store) => store_key(store, call),
            Book::Attached(m) => m.keyring.key(call),
        }
    }

    /// An event from the log's bytes, its personal text open (or [`crate::domain::event::ERASED`]).
    pub fn open_event(&self, bytes: &[u8]) -> Result<Event, String> {
        match &self.book {
            Book::Local(store) => store.open_event(bytes),
            Book::Attached(m) => {
                let mut e = Event::decode(bytes)?;
                m.keyring.open(&mut e.body);
                Ok(e)
            }
        }
    }

    /// The keys to send before `batch` (to a peer, over its mutually authenticated TLS link,
    /// or to a console attached on the owner-only socket), so it can read what it holds.
    pub fn keys_for<B: AsRef<[u8]>>(&self, batch: &[B]) -> WireKeys {
        keys_in(|call| self.call_key(call), batch)
    }

    /// Takes keys sent with events to come; none for a call erased here.
    pub fn take_keys(&mut self, keys: &[(CallId, ByteBuf)]) -> Result<(), StoreError> {
        let keys = from_wire(keys);
        match &mut self.book {
            Book::Local(store) => store.take_keys(&keys),
            Book::Attached(m) => {
                for (call, key) in keys {
                    m.keyring.insert(call, key);
                }
                Ok(())
            }
        }
    }

    /// Destroys the keys of calls these (newly folded) events erase, and writes a checkpoint
    /// so the fold kept at rest no longer holds their text either.
    pub(super) fn shred_erased(&mut self, events: &[Event]) -> Result<(), StoreError> {
        let mut erased = false;
        for e in events {
            let Body::CallErased { call, .. } = &e.body else {
                continue;
            };
            erased = true;
            match &mut self.book {
                Book::Local(store) => store.shred(call)?,
                Book::Attached(m) => m.keyring.shred(call),
            }
        }
        if erased {
            self.write_checkpoint();
        }
        Ok(())
    }

    /// Erases, by the retention schedule of the desk's policy (`[retention]`), the personal
    /// fields of every closed call that has kept them too long; how many it erased. The desk
    /// that owns the store does this (an attached console leaves it to the serving desk);
    /// a demo store keeps everything.
    pub fn keep_retention(&mut self) -> Result<usize, DeskError> {
        if self.is_attached() {
            return Ok(0);
        }
        let schedule = self.policy().retention;
        let days = match self.kind() {
            StoreKind::Live => schedule.personal_days,
            StoreKind::Training => schedule.training_days,
            StoreKind::Demo => None,
        };
        let Some(days) = days else {
            return Ok(0);
        };
        let due = retention::due(self.state(), days, self.now_ms());
        let reason = retention::reason(days);
        for batch in due.chunks(RETENTION_BATCH) {
            let bodies = batch
                .iter()
                .map(|call| Body::CallErased {
                    call: call.clone(),
                    reason: reason.clone(),
                })
                .collect();
            self.commit_planned(bodies)?;
        }
        Ok(due.len())
    }
}
