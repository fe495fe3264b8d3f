//! Crypto-shredding: a call's personal text (caller, callback, nature, notes, triage answers;
//! [`Body::personal_mut`]) is sealed in its events with a key of that call's own, so the log's
//! bytes, and the hash chain over them, never hold it in the clear. Destroying the key
//! (`erase`) makes that text unreadable on this node for good while the chain still verifies.
//!
//! The AEAD is ChaCha20-Poly1305 from `ring` (the one rustls already uses): a random 96-bit
//! nonce per text (a call's key seals a few dozen texts at most), the call id and the text's
//! place in its event as associated data, so a sealed text cannot be moved to another call or
//! field. A sealed text is a string, `"\u{1}sb1:"` then base64 of nonce ‖ ciphertext ‖ tag: the
//! free-text rule refuses control characters in anything typed, so no typed text starts so.
//! A store from before sealing holds plain strings, which are read as they are.
//!
//! Keys are kept in sled's `keys` tree, each wrapped (sealed) by the node key in
//! `<data dir>/vault.key` (owner-only, 0600), which is outside `store/`: a copy of the store
//! alone reads nothing. An erased call's entry is a tombstone (empty), so a key a peer sends
//! later for it is never taken again. The store unwraps a call's key the first time it opens or
//! seals that call's text (`Store::keyring_for`), so an open costs nothing per key kept.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};

use crate::domain::event::ERASED;
use crate::domain::{Body, CallId};

pub const KEY_LEN: usize = 32;
pub type Key = [u8; KEY_LEN];

const PREFIX: &str = "\u{1}sb1:";
const NODE_KEY_FILE: &str = "vault.key";

fn random_key() -> Result<Key, String> {
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| format!("no randomness for a key: {e}"))?;
    Ok(key)
}

fn aead(key: &Key) -> LessSafeKey {
    // A 32-byte key is always a valid ChaCha20-Poly1305 key.
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).unwrap_or_else(|_| unreachable!()))
}

/// `plain` sealed with `key`, bound to `aad`: nonce ‖ ciphertext ‖ tag.
pub fn seal_bytes(key: &Key, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, String> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| format!("no randomness for a nonce: {e}"))?;
    let mut out = plain.to_vec();
    aead(key)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out,
        )
        .map_err(|_| "cannot seal".to_owned())?;
    let mut sealed = nonce.to_vec();
    sealed.append(&mut out);
    Ok(sealed)
}

/// What [`seal_bytes`] sealed, if `key` and `aad` are the ones it was sealed with.
pub fn open_bytes(key: &Key, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let (nonce, ct) = (sealed.get(..NONCE_LEN)?, sealed.get(NONCE_LEN..)?);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = ct.to_vec();
    let plain = aead(key)
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .ok()?;
    Some(plain.to_vec())
}

fn text_aad(call: &CallId, at: usize) -> Vec<u8> {
    format!("{call}/{at}").into_bytes()
}

/// True when a text in an event is sealed (not plain, from before sealing).
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(PREFIX)
}

/// The call keys a node holds, open in memory, and the calls it knows were erased. A store's
/// keyring is filled as calls are read ([`crate::store::Store`] reads a call's key from its
/// `keys` tree the first time an event of that call is opened or sealed), so an open of a
/// three-year store unwraps none of its tens of thousands of keys up front. Its own lock makes
/// that possible behind a shared reference.
#[derive(Debug, Default)]
pub struct Keyring {
    ring: std::sync::Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    keys: HashMap<CallId, Key>,
    erased: HashSet<CallId>,
    /// Calls looked for and found with no key (events from before sealing, or a peer's whose
    /// key never came): not looked for again until one is taken.
    keyless: HashSet<CallId>,
}

impl Keyring {
    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn key(&self, call: &CallId) -> Option<Key> {
        self.ring().keys.get(call).copied()
    }

    pub fn is_erased(&self, call: &CallId) -> bool {
        self.ring().erased.contains(call)
    }

    /// True when it holds the call's key, knows it erased, or looked and found none.
    pub fn knows(&self, call: &CallId) -> bool {
        let r = self.ring();
        r.keys.contains_key(call) || r.erased.contains(call) || r.keyless.contains(call)
    }

    /// Notes that the store holds no key for this call.
    pub fn keyless(&self, call: &CallId) {
        self.ring().keyless.insert(call.clone());
    }

    /// Takes a call's key; false (and nothing kept) when the call was erased.
    pub fn insert(&self, call: CallId, key: Key) -> bool {
        let mut r = self.ring();
        if r.erased.contains(&call) {
            return false;
        }
        r.keyless.remove(&call);
        r.keys.insert(call, key);
        true
    }

    /// Forgets a call's key for good.
    pub fn shred(&self, call: &CallId) {
        let mut r = self.ring();
        r.keys.remove(call);
        r.keyless.remove(call);
        r.erased.insert(call.clone());
    }

    /// Seals `body`'s personal text in place with its call's key, making the key when the call
    /// has none yet (returned, to be kept before the event is). An erased call's text is
    /// written as [`ERASED`].
    pub fn seal(&self, body: &mut Body) -> Result<Option<(CallId, Key)>, String> {
        let Some((call, texts)) = body.personal_mut() else {
            return Ok(None);
        };
        let mut r = self.ring();
        if r.erased.contains(call) {
            for text in texts {
                ERASED.clone_into(text);
            }
            return Ok(None);
        }
        let (key, made) = if let Some(key) = r.keys.get(call) {
            (*key, None)
        } else {
            let key = random_key()?;
            r.keyless.remove(call);
            r.keys.insert(call.clone(), key);
            (key, Some((call.clone(), key)))
        };
        for (at, text) in texts.into_iter().enumerate() {
            let sealed = seal_bytes(&key, &text_aad(call, at), text.as_bytes())?;
            *text = format!("{PREFIX}{}", data_encoding::BASE64_NOPAD.encode(&sealed));
        }
        Ok(made)
    }

    /// Opens `body`'s sealed text in place: the plain text with the call's key, [`ERASED`]
    /// without it (or for a call erased here, whatever its bytes hold). Plain text from before
    /// sealing stays as it is.
    pub fn open(&self, body: &mut Body) {
        let Some((call, texts)) = body.personal_mut() else {
            return;
        };
        let (erased, key) = {
            let r = self.ring();
            (r.erased.contains(call), r.keys.get(call).copied())
        };
        let key = key.as_ref();
        for (at, text) in texts.into_iter().enumerate() {
            if erased {
                ERASED.clone_into(text);
                continue;
            }
            let Some(sealed) = text.strip_prefix(PREFIX) else {
                continue;
            };
            let opened = key
                .zip(data_encoding::BASE64_NOPAD.decode(sealed.as_bytes()).ok())
                .and_then(|(key, sealed)| open_bytes(key, &text_aad(call, at), &sealed))
                .and_then(|plain| String::from_utf8(plain).ok());
            *text = opened.unwrap_or_else(|| ERASED.to_owned());
        }
    }
}

/// The node key that wraps call keys at rest: `<data dir>/vault.key`, made (0600) at first
/// use.
pub fn node_key(data_dir: &Path) -> Result<Key, String> {
    let path = data_dir.join(NODE_KEY_FILE);
    let say = |e: std::io::Error| format!("the node key {}: {e}", path.display());
    match std::fs::File::open(&path) {
        Ok(mut f) => {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).map_err(say)?;
            if f.metadata().map_err(say)?.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(say)?;
            }
            bytes.try_into().map_err(|_| {
                format!(
                    "the node key {} is not {KEY_LEN} bytes; without it the store's \
                     personal fields cannot be read",
                    path.display()
                )
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_key()?;
            let temp = data_dir.join("vault.key.tmp");
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&temp)
                .map_err(say)?;
            f.write_all(&key).map_err(say)?;
            f.sync_all().map_err(say)?;
            std::fs::rename(&temp, &path).map_err(say)?;
            super::sync_dir(data_dir).map_err(say)?;
            Ok(key)
        }
        Err(e) => Err(say(e)),
    }
}

/// A call key wrapped by the node key, for the `keys` tree.
pub fn wrap(node: &Key, call: &CallId, key: &Key) -> Result<Vec<u8>, String> {
    seal_bytes(node, call.as_str().as_bytes(), key)
}

/// A call key from the `keys` tree; `None` for a tombstone or a key that does not open.
pub fn unwrap(node: &Key, call: &CallId, wrapped: &[u8]) -> Option<Key> {
    open_bytes(node, call.as_str().as_bytes(), wrapped)?
        .try_into()
        .ok()
}
