//! This node's identity: a key pair and a self-signed certificate, made at first use, and the
//! certificate's SHA-256 [`Fingerprint`] that peers pin.
//!
//! Stored in `<data>/identity/` (0700) as `cert.der` and `key.der` (PKCS#8), both 0600. The dir
//! is assembled under a temporary name and renamed into place, so a crash never leaves half an
//! identity. An identity that exists but cannot be read is an error, never silently replaced:
//! every peer has pinned it, and a new one would quietly cut this node off.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

use super::SyncError;

/// RFC 4648 base32: no 0/1/8/9, so nothing is confused with O/I/B when read aloud or retyped.
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// 256 bits in 5-bit characters: 51 full ones and one holding the last bit.
const CHARS: usize = 52;
/// Characters per dash-separated group.
const GROUP: usize = 4;

/// The SHA-256 of a certificate's DER: what a node is known and pinned by.
///
/// Shown as 52 base32 characters in 13 groups of four, e.g.
/// `LWGV-RYC4-LOFN-QE2X-O5LD-YHCY-SMSD-UOVJ-ZB56-3ZZ2-MNKL-SYQZ-MKZA` (the last character is
/// always `A` or `Q`: it holds the 256th bit and four zero bits). Parsing ignores case, dashes and spaces, and reads the
/// digits 0, 1 and 8 as the letters O, I and B they are easily mistaken for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_cert(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }

    /// The first group (four characters), for a status bar or a default peer name.
    pub fn short(&self) -> String {
        base32(&self.0)[..GROUP].to_owned()
    }
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8 | u32::from(byte)) & 0xFFF; // at most 4 + 8 live bits
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[(buffer >> bits & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[(buffer << (5 - bits) & 31) as usize]));
    }
    out
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = base32(&self.0);
        for (i, group) in text.as_bytes().chunks(GROUP).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = SyncError;

    fn from_str(text: &str) -> Result<Fingerprint, SyncError> {
        let bad = |reason: String| SyncError::BadFingerprint(reason);
        let mut values = Vec::with_capacity(CHARS);
        for c in text.chars().filter(|c| *c != '-' && !c.is_whitespace()) {
            let c = match c.to_ascii_uppercase() {
                '0' => 'O',
                '1' => 'I',
                '8' => 'B',
                c => c,
            };
            let Some(value) = ALPHABET.iter().position(|&a| char::from(a) == c) else {
                return Err(bad(format!(
                    "'{c}' cannot be in a fingerprint (letters A-Z and digits 2-7 only)"
                )));
            };
            values.push(value as u32);
        }
        if values.len() != CHARS {
            return Err(bad(format!(
                "a fingerprint has {CHARS} letters and digits (dashes and spaces optional), \
                 this has {}",
                values.len()
            )));
        }
        // The last character carries one bit and four zero bits; any other last character
        // would be a second spelling of some fingerprint, or a typo.
        if values[CHARS - 1] & 0b1111 != 0 {
            return Err(bad(
                "its last character can only be A or Q; check it was copied whole".to_owned(),
            ));
        }
        let mut bytes = [0u8; 32];
        let (mut buffer, mut bits, mut at) = (0u32, 0u32, 0);
        for value in values {
            buffer = (buffer << 5 | value) & 0x1FFF;
            bits += 5;
            if bits >= 8 && at < bytes.len() {
                bits -= 8;
                bytes[at] = (buffer >> bits) as u8;
                at += 1;
            }
        }
        Ok(Fingerprint(bytes))
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// This node's certificate, private key and fingerprint.
pub struct Identity {
    cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
    fingerprint: Fingerprint,
}

impl fmt::Debug for Identity {
    // Never prints the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

const CERT_FILE: &str = "cert.der";
const KEY_FILE: &str = "key.der";
/// The fingerprint the certificate had when it was made: a damaged `cert.der` can still hold
/// the key's public half (so the key check passes) and yet hash to another fingerprint, which
/// would quietly cut this node off from every peer that pinned it.
const FINGERPRINT_FILE: &str = "fingerprint";
/// The name inside the certificate. Peers never check it (they pin the fingerprint), but a
/// certificate must hold some name.
const CERT_NAME: &str = "switchboard.peer";

impl Identity {
    /// `<data_dir>/identity`.
    pub fn dir(data_dir: &Path) -> PathBuf {
        data_dir.join("identity")
    }

    /// A fresh identity in memory (ECDSA P-256, self-signed), not stored anywhere.
    pub fn generate() -> Result<Identity, SyncError> {
        let made = rcgen::generate_simple_self_signed(vec![CERT_NAME.to_owned()])
            .map_err(|e| SyncError::Generate(e.to_string()))?;
        let cert_der = made.cert.der().clone();
        Ok(Identity {
            fingerprint: Fingerprint::of_cert(&cert_der),
            key_der: PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()),
            cert_der,
        })
    }

    /// Loads the identity in `<data_dir>/identity/`, making and storing one if there is none
    /// yet (the data dir is created owner-only if needed). An identity that is there but
    /// unreadable, incomplete or inconsistent is an error and is left untouched.
    pub fn load_or_create(data_dir: &Path) -> Result<Identity, SyncError> {
        let dir = Self::dir(data_dir);
        super::create_private_dir(data_dir)?;
        match std::fs::symlink_metadata(&dir) {
            Ok(_) => return Self::load(&dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SyncError::io(&dir, &e)),
        }
        let identity = Self::generate()?;
        let staging = data_dir.join(format!(".identity-new-{}", std::process::id()));
        let stored = identity.store(&staging, &dir);
        if stored.is_err() || staging.exists() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        match stored {
            Ok(()) => Ok(identity),
            // Another process made one at the same moment: theirs won, and is the one.
            Err(_) if dir.exists() => Self::load(&dir),
            Err(e) => Err(e),
        }
    }

    /// Writes both files into `staging`, then renames it to `dir` (which must not exist, or
    /// the rename fails and nothing is replaced).
    fn store(&self, staging: &Path, dir: &Path) -> Result<(), SyncError> {
        use std::io::Write;
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        // Left by an earlier crashed process that had our pid; it was never renamed into use.
        let _ = std::fs::remove_dir_all(staging);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(staging)
            .map_err(|e| SyncError::io(staging, &e))?;
        let fingerprint = format!("{}\n", self.fingerprint);
        for (name, bytes) in [
            (CERT_FILE, self.cert_der.as_ref()),
            (KEY_FILE, self.key_der.secret_pkcs8_der()),
            (FINGERPRINT_FILE, fingerprint.as_bytes()),
        ] {
            let path = staging.join(name);
            let write = || {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)?;
                file.write_all(bytes)?;
                file.sync_all()
            };
            write().map_err(|e| SyncError::io(&path, &e))?;
        }
        let sync_dir = |d: &Path| std::fs::File::open(d).and_then(|f| f.sync_all());
        sync_dir(staging).map_err(|e| SyncError::io(staging, &e))?;
        std::fs::rename(staging, dir).map_err(|e| SyncError::io(dir, &e))?;
        let parent = dir.parent().unwrap_or(Path::new("."));
        sync_dir(parent).map_err(|e| SyncError::io(parent, &e))
    }

    /// Reads and checks an existing identity dir: both files present, the key usable by rustls
    /// and the certificate's public key the key's.
    fn load(dir: &Path) -> Result<Identity, SyncError> {
        let broken = |reason: String| SyncError::Identity {
            dir: dir.to_owned(),
            reason,
        };
        let read =
            |name: &str| std::fs::read(dir.join(name)).map_err(|e| broken(format!("{name}: {e}")));
        let cert_der = CertificateDer::from(read(CERT_FILE)?);
        let key_der = PrivatePkcs8KeyDer::from(read(KEY_FILE)?);
        let provider = rustls::crypto::ring::default_provider();
        let key = provider
            .key_provider
            .load_private_key(PrivateKeyDer::Pkcs8(key_der.clone_key()))
            .map_err(|e| broken(format!("{KEY_FILE}: {e}")))?;
        rustls::sign::CertifiedKey::new(vec![cert_der.clone()], key)
            .keys_match()
            .map_err(|e| broken(format!("{CERT_FILE} does not belong to {KEY_FILE}: {e}")))?;
        let fingerprint = Fingerprint::of_cert(&cert_der);
        let recorded = dir.join(FINGERPRINT_FILE);
        match std::fs::read_to_string(&recorded) {
            Ok(text) => match text.trim().parse::<Fingerprint>() {
                Ok(made) if made == fingerprint => {}
                Ok(made) => {
                    return Err(broken(format!(
                        "{CERT_FILE} is damaged: it hashes to {fingerprint}, not to {made}, the \
                         fingerprint it was made with and peers pinned; restore the dir from a \
                         backup"
                    )))
                }
                Err(_) => {
                    return Err(broken(format!(
                        "{FINGERPRINT_FILE} is damaged, so {CERT_FILE} cannot be checked; \
                         restore the dir from a backup"
                    )))
                }
            },
            // Made before the fingerprint was kept beside it: from now on it is.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let temp = dir.join(format!(".{FINGERPRINT_FILE}-{}", std::process::id()));
                let kept = std::fs::write(&temp, format!("{fingerprint}\n"))
                    .and_then(|()| std::fs::File::open(&temp)?.sync_all())
                    .and_then(|()| std::fs::rename(&temp, &recorded));
                if let Err(e) = kept {
                    let _ = std::fs::remove_file(&temp);
                    tracing::warn!(%e, "could not keep the node's fingerprint beside its certificate");
                }
            }
            Err(e) => return Err(broken(format!("{FINGERPRINT_FILE}: {e}"))),
        }
        Ok(Identity {
            cert_der,
            key_der,
            fingerprint,
        })
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The certificate this node presents.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// The private key, for the TLS configurations only.
    pub(crate) fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key_der.clone_key())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn fingerprint_display_round_trips_and_parsing_is_lenient() {
        for seed in [0u8, 1, 0x7f, 0xff] {
            let fp = Fingerprint::of_cert(&[seed; 10]);
            let text = fp.to_string();
            assert_eq!(text.len(), 52 + 12, "{text}");
            assert_eq!(text.split('-').count(), 13, "{text}");
            assert!(text.ends_with('A') || text.ends_with('Q'), "{text}");
            assert_eq!(text.parse::<Fingerprint>().unwrap(), fp);
            // Lower case, no dashes, spaces instead.
            let loose = text.to_lowercase().replace('-', "");
            assert_eq!(loose.parse::<Fingerprint>().unwrap(), fp);
            let spaced = text.replace('-', " ");
            assert_eq!(format!("  {spaced} ").parse::<Fingerprint>().unwrap(), fp);
            // 0/1/8 are read as O/I/B.
            let misread = text.replace('O', "0").replace('I', "1").replace('B', "8");
            assert_eq!(misread.parse::<Fingerprint>().unwrap(), fp);
            assert_eq!(fp.short(), text[..4]);
        }
        let zero = Fingerprint([0; 32]);
        assert_eq!(
            zero.to_string(),
            "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"
        );
        let mut ones = [0u8; 32];
        ones[31] = 1;
        assert!(Fingerprint(ones).to_string().ends_with("AAAQ"));
        assert_eq!(Fingerprint([0xff; 32]).to_string()[..9], *"7777-7777");
    }

    #[test]
    fn fingerprint_errors_say_what_is_wrong() {
        let good = Fingerprint::of_cert(b"x").to_string();
        let err = good[..good.len() - 1].parse::<Fingerprint>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a fingerprint: a fingerprint has 52 letters and digits (dashes and spaces \
             optional), this has 51"
        );
        let err = format!("{good}A").parse::<Fingerprint>().unwrap_err();
        assert!(err.to_string().contains("this has 53"), "{err}");
        let err = good.replacen(|c: char| c.is_ascii_alphabetic(), "!", 1);
        let err = err.parse::<Fingerprint>().unwrap_err().to_string();
        assert_eq!(
            err,
            "not a fingerprint: '!' cannot be in a fingerprint (letters A-Z and digits 2-7 only)"
        );
        let mut wrong_tail = good[..good.len() - 1].to_owned();
        wrong_tail.push('B');
        let err = wrong_tail.parse::<Fingerprint>().unwrap_err().to_string();
        assert!(err.contains("last character can only be A or Q"), "{err}");
        assert!("".parse::<Fingerprint>().is_err());
    }

    #[test]
    fn identity_is_made_once_owner_only_and_persists() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let first = Identity::load_or_create(&data).unwrap();
        let second = Identity::load_or_create(&data).unwrap();
        assert_eq!(first.fingerprint(), second.fingerprint());
        assert_eq!(first.fingerprint(), Fingerprint::of_cert(first.cert_der()));
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("identity")), 0o700);
        assert_eq!(mode(&data.join("identity/key.der")), 0o600);
        assert_eq!(mode(&data.join("identity/cert.der")), 0o600);
        // Nothing left behind from the staging dir.
        let names: Vec<String> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["identity"]);
        assert!(!format!("{first:?}").contains("key"), "{first:?}");
    }

    #[test]
    fn a_corrupt_identity_is_an_error_and_is_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path();
        Identity::load_or_create(data).unwrap();
        let key = data.join("identity/key.der");
        std::fs::write(&key, b"not a key").unwrap();
        let err = Identity::load_or_create(data).unwrap_err().to_string();
        assert!(err.starts_with("the node identity in "), "{err}");
        assert!(err.contains("key.der"), "{err}");
        assert!(err.contains("never replaced automatically"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        assert_eq!(std::fs::read(&key).unwrap(), b"not a key");

        // Someone else's key beside our certificate.
        let other = Identity::generate().unwrap();
        std::fs::write(&key, other.key_der.secret_pkcs8_der()).unwrap();
        let err = Identity::load_or_create(data).unwrap_err().to_string();
        assert!(err.contains("cert.der does not belong to key.der"), "{err}");

        // A missing certificate.
        std::fs::remove_file(data.join("identity/cert.der")).unwrap();
        let err = Identity::load_or_create(data).unwrap_err().to_string();
        assert!(err.contains("cert.der: "), "{err}");
        assert!(!data.join("identity/cert.der").exists());
    }

    #[test]
    fn a_flipped_byte_in_the_certificate_is_reported_never_a_new_fingerprint() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path();
        let made = Identity::load_or_create(data).unwrap().fingerprint();
        let cert = data.join("identity/cert.der");
        let good = std::fs::read(&cert).unwrap();
        for at in 0..good.len() {
            let mut bytes = good.clone();
            bytes[at] ^= 0x01;
            std::fs::write(&cert, &bytes).unwrap();
            match Identity::load_or_create(data) {
                Ok(id) => panic!("byte {at} flipped: loaded as {}", id.fingerprint()),
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.starts_with("the node identity in "), "{text}");
                    assert!(!text.contains('\n'), "{text}");
                }
            }
            assert_eq!(std::fs::read(&cert).unwrap(), bytes, "left alone");
        }
        std::fs::write(&cert, &good).unwrap();
        assert_eq!(Identity::load_or_create(data).unwrap().fingerprint(), made);

        // One made before the fingerprint was kept gets it on its next load.
        std::fs::remove_file(data.join("identity/fingerprint")).unwrap();
        assert_eq!(Identity::load_or_create(data).unwrap().fingerprint(), made);
        let kept = std::fs::read_to_string(data.join("identity/fingerprint")).unwrap();
        assert_eq!(kept.trim(), made.to_string());
    }
}
