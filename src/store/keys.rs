//! The call keys the store holds: loaded and unwrapped with the node key, made with a call's first
//! event, taken from peers, shredded on erasure; and the node key's sealing of blobs.

use crate::domain::Event;

use super::{vault, Sealed, Store, StoreError};

impl Store {
    /// Checks at open that the node key opens the call keys (the first one kept): a
    /// `vault.key` from another node, or none, is refused here rather than met call by call.
    /// The keys themselves are read when first needed ([`Store::keyring_for`]).
    pub(super) fn load_keys(&mut self) -> Result<(), StoreError> {
        for item in &self.sled()?.keys {
            let (k, v) = item.map_err(|e| self.sled_err(&e))?;
            if v.is_empty() {
                continue;
            }
            let Some(call) = std::str::from_utf8(&k).ok().and_then(|c| c.parse().ok()) else {
                return Err(self.corrupt("a bad call id in its keys"));
            };
            if vault::unwrap(&self.node_key, &call, &v).is_none() {
                return Err(self.bad_key(&call));
            }
            break;
        }
        self.keyring = vault::Keyring::default();
        Ok(())
    }

    fn bad_key(&self, call: &crate::domain::CallId) -> StoreError {
        self.corrupt(format!(
            "the key of {call} does not open with the node key in {}",
            self.dir.join("vault.key").display()
        ))
    }

    /// The keyring, holding the keys of `calls` (read from the `keys` tree and unwrapped
    /// with the node key the first time each is asked for).
    pub fn keyring_for<'a>(
        &self,
        calls: impl IntoIterator<Item = &'a crate::domain::CallId>,
    ) -> Result<&vault::Keyring, StoreError> {
        for call in calls {
            if self.keyring.knows(call) {
                continue;
            }
            let found = self
                .sled()?
                .keys
                .get(call.as_str())
                .map_err(|e| self.sled_err(&e))?;
            match found {
                None => self.keyring.keyless(call),
                Some(v) if v.is_empty() => self.keyring.shred(call),
                Some(v) => {
                    let key = vault::unwrap(&self.node_key, call, &v)
                        .ok_or_else(|| self.bad_key(call))?;
                    self.keyring.insert(call.clone(), key);
                }
            }
        }
        Ok(&self.keyring)
    }

    /// Opens `body`'s personal text with its call's key, read from the store when first
    /// needed ([`vault::Keyring::open`]).
    pub fn open_body(&self, body: &mut crate::domain::Body) -> Result<(), StoreError> {
        let call = body.personal_mut().map(|(call, _)| call.clone());
        self.keyring_for(call.as_ref())?.open(body);
        Ok(())
    }

    /// An event from its bytes, its personal text opened with the call's key ([`vault`]).
    pub fn open_event(&self, bytes: &[u8]) -> Result<Event, String> {
        let mut e = Event::decode(bytes)?;
        self.open_body(&mut e.body).map_err(|e| e.to_string())?;
        Ok(e)
    }

    /// `event` ready to commit, its personal text sealed in the bytes it is kept and forwarded
    /// as (the event itself stays open, for the fold). A call's first event makes its key,
    /// kept in the `keys` tree before the log's batch of the same commit: sled's flush of that
    /// commit makes both durable, and a crash before it leaves at worst an unused key.
    pub fn seal(&mut self, event: Event) -> Result<Sealed, StoreError> {
        let mut body = event.body.clone();
        // Its call's key, if the store holds one, must be in hand: sealing makes a key for a
        // call that has none, and that key would take the old one's place.
        let call = body.personal_mut().map(|(call, _)| call.clone());
        let made = self
            .keyring_for(call.as_ref())?
            .seal(&mut body)
            .map_err(StoreError::Sealing)?;
        if let Some((call, key)) = made {
            self.keep_key(&call, &key)?;
        }
        let bytes = Event {
            body,
            ..event.clone()
        }
        .encode();
        Ok(Sealed { event, bytes })
    }

    pub(super) fn keep_key(
        &mut self,
        call: &crate::domain::CallId,
        key: &vault::Key,
    ) -> Result<(), StoreError> {
        let wrapped = vault::wrap(&self.node_key, call, key).map_err(StoreError::Sealing)?;
        let inserted = self.sled()?.keys.insert(call.as_str(), wrapped);
        if let Err(e) = inserted {
            let err = self.sled_err(&e);
            self.sled = None;
            return Err(err);
        }
        Ok(())
    }

    /// Takes call keys a peer (or the serving desk) sent, for events that follow: none for a
    /// call erased here, none it holds already.
    pub fn take_keys(
        &mut self,
        keys: &[(crate::domain::CallId, vault::Key)],
    ) -> Result<(), StoreError> {
        self.revive()?;
        for (call, key) in keys {
            let ring = self.keyring_for([call])?;
            if ring.is_erased(call) || ring.key(call).is_some() {
                continue;
            }
            self.keep_key(call, key)?;
            self.keyring.insert(call.clone(), *key);
        }
        Ok(())
    }

    /// Destroys a call's key (an erasure folded here), durably: a tombstone in its place, so
    /// no peer's copy is taken again.
    pub fn shred(&mut self, call: &crate::domain::CallId) -> Result<(), StoreError> {
        self.keyring.shred(call);
        self.revive()?;
        let sled = self.sled()?;
        let done = sled
            .keys
            .insert(call.as_str(), &[] as &[u8])
            .and_then(|_| sled.keys.flush());
        let result = match done {
            Err(e) => Err(self.sled_err(&e)),
            Ok(_) => sled.db_file.sync_all().map_err(|e| self.io_failed(&e)),
        };
        if result.is_err() {
            self.sled = None;
        }
        result
    }

    /// `plain` sealed with the node key (the checkpoint: the fold holds personal text).
    pub(crate) fn seal_blob(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        vault::seal_bytes(&self.node_key, aad, plain).map_err(StoreError::Sealing)
    }

    pub(crate) fn open_blob(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        vault::open_bytes(&self.node_key, aad, sealed)
    }
}
