//! The trusted peer list, `<data>/peers.toml` (0600), and the [`TrustedSet`] a running node
//! checks on every handshake.
//!
//! ```toml
//! [[peer]]
//! name = "north"
//! fingerprint = "JUVL-3TUT-4YN6-QLZH-ZP2L-6IH2-CSUU-FN2M-XQ5A-WYRL-VBUS-VBBN-AIPA"
//! addr = "10.0.0.2:7400"
//! ```
//!
//! The file is rewritten whole and atomically on every change; it is small and edited by people
//! rarely, so comments in it are not kept.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use super::{Fingerprint, SyncError};

/// One trusted peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub fingerprint: Fingerprint,
    /// Where to reach it: `host:port`, `ipv4:port` or `[ipv6]:port`.
    pub addr: String,
    /// A person's name for it, unique in the list.
    pub name: String,
}

/// What [`Peers::add`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    New,
    /// The fingerprint was already trusted; its address and name were updated.
    Updated,
}

/// The trusted peer list of one data dir.
#[derive(Clone, Debug)]
pub struct Peers {
    path: PathBuf,
    list: Vec<Peer>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    peer: Vec<toml::Spanned<Entry>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    fingerprint: Fingerprint,
    addr: Addr,
    name: Option<Name>,
}

/// An address checked while parsing, so a bad one is reported at its line.
#[derive(serde::Deserialize)]
#[serde(try_from = "String")]
struct Addr(String);

impl TryFrom<String> for Addr {
    type Error = String;
    fn try_from(text: String) -> Result<Addr, String> {
        check_addr(&text).map(Addr)
    }
}

#[derive(serde::Deserialize)]
#[serde(try_from = "String")]
struct Name(String);

impl TryFrom<String> for Name {
    type Error = String;
    fn try_from(text: String) -> Result<Name, String> {
        check_name(&text).map(Name)
    }
}

/// `host:port`, `ipv4:port` or `[ipv6]:port`, with a port from 1 to 65535; returned trimmed.
pub fn check_addr(text: &str) -> Result<String, String> {
    let text = text.trim();
    let bad = |why: &str| format!("bad address '{text}': {why}");
    if let Ok(addr) = text.parse::<std::net::SocketAddr>() {
        return if addr.port() == 0 {
            Err(bad("the port must be 1 to 65535"))
        } else {
            Ok(text.to_owned())
        };
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(bad("expected HOST:PORT, e.g. 192.168.1.20:7400"));
    };
    if host.contains(':') || host.starts_with('[') {
        return Err(bad(
            "write an IPv6 address in brackets, e.g. [fd00::2]:7400",
        ));
    }
    if !matches!(port.parse::<u16>(), Ok(p) if p > 0) {
        return Err(bad("the port must be 1 to 65535"));
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
        return Err(bad(
            "the host must be a name like node2.example.org or an IP address",
        ));
    }
    Ok(text.to_owned())
}

/// A peer name: 1 to 40 printable characters, not itself a fingerprint; returned trimmed.
pub fn check_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.parse::<Fingerprint>().is_ok() {
        return Err(format!(
            "bad peer name '{name}': a name cannot be a fingerprint"
        ));
    }
    if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
        return Err(format!(
            "bad peer name '{}': use 1 to 40 printable characters",
            name.escape_default()
        ));
    }
    Ok(name.to_owned())
}

/// A TOML basic string.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Peers {
    /// `<data_dir>/peers.toml`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("peers.toml")
    }

    /// Reads `<data_dir>/peers.toml`; a missing file is an empty list, a broken one an error
    /// naming the file and line.
    pub fn load(data_dir: &Path) -> Result<Peers, SyncError> {
        let path = Self::path(data_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(SyncError::io(&path, &e)),
        };
        let list = Self::parse(&text).map_err(|(line, reason)| SyncError::PeersFile {
            path: path.clone(),
            line,
            reason,
        })?;
        Ok(Peers { path, list })
    }

    /// The peers in a file's text, or the 1-based line and reason of the first problem.
    fn parse(text: &str) -> Result<Vec<Peer>, (usize, String)> {
        let line_of = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
        // Text TOML reads whose values are wrong (a bad fingerprint) is not a syntax error:
        // then the message is what is wrong with the value.
        let readable = text.parse::<toml::Table>().is_ok();
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(s.start));
            let said = crate::spelling::toml_message(e.message());
            let said = match said.strip_prefix("TOML syntax error: ") {
                Some(what) if readable => what.to_owned(),
                _ => said,
            };
            (line, said)
        })?;
        let mut list: Vec<Peer> = Vec::with_capacity(file.peer.len());
        for spanned in file.peer {
            let line = line_of(spanned.span().start);
            let entry = spanned.into_inner();
            let peer = Peer {
                name: entry
                    .name
                    .map_or_else(|| entry.fingerprint.short(), |n| n.0),
                fingerprint: entry.fingerprint,
                addr: entry.addr.0,
            };
            if list.iter().any(|p| p.fingerprint == peer.fingerprint) {
                return Err((line, format!("peer {} is listed twice", peer.fingerprint)));
            }
            if list.iter().any(|p| p.name == peer.name) {
                return Err((line, format!("two peers are named '{}'", peer.name)));
            }
            list.push(peer);
        }
        Ok(list)
    }

    /// The peers, in the order they were added.
    pub fn list(&self) -> &[Peer] {
        &self.list
    }

    pub fn get(&self, fingerprint: &Fingerprint) -> Option<&Peer> {
        self.list.iter().find(|p| p.fingerprint == *fingerprint)
    }

    /// The fingerprints, for a [`TrustedSet`].
    pub fn fingerprints(&self) -> impl Iterator<Item = Fingerprint> + '_ {
        self.list.iter().map(|p| p.fingerprint)
    }

    /// Trusts `fingerprint` at `addr`, named `name` (default: the fingerprint's short form). An
    /// already trusted fingerprint gets the new address, and the new name if one is given.
    /// Refuses `own` (this node's fingerprint), a bad address or name, and a name another peer
    /// has. Changes only this value; [`Peers::save`] writes it.
    pub fn add(
        &mut self,
        own: &Fingerprint,
        fingerprint: Fingerprint,
        addr: &str,
        name: Option<&str>,
    ) -> Result<Added, SyncError> {
        if fingerprint == *own {
            return Err(SyncError::Peer(format!(
                "{fingerprint} is this node's own fingerprint; add the other node's (run \
                 `switchboard id` there)"
            )));
        }
        let addr = check_addr(addr).map_err(SyncError::Peer)?;
        let name = name.map(check_name).transpose().map_err(SyncError::Peer)?;
        let existing = self.list.iter().position(|p| p.fingerprint == fingerprint);
        let name = name.unwrap_or_else(|| {
            existing.map_or_else(|| fingerprint.short(), |i| self.list[i].name.clone())
        });
        if let Some(other) = self
            .list
            .iter()
            .find(|p| p.name == name && p.fingerprint != fingerprint)
        {
            return Err(SyncError::Peer(format!(
                "the name '{name}' is taken by peer {}; choose another with --name",
                other.fingerprint
            )));
        }
        let peer = Peer {
            fingerprint,
            addr,
            name,
        };
        if let Some(i) = existing {
            self.list[i] = peer;
            Ok(Added::Updated)
        } else {
            self.list.push(peer);
            Ok(Added::New)
        }
    }

    /// Stops trusting the peer named `which`, or else whose fingerprint `which` is.
    pub fn remove(&mut self, which: &str) -> Result<Peer, SyncError> {
        let by_name = self.list.iter().position(|p| p.name == which.trim());
        let index = by_name.or_else(|| {
            let fingerprint = which.parse::<Fingerprint>().ok()?;
            self.list.iter().position(|p| p.fingerprint == fingerprint)
        });
        match index {
            Some(i) => Ok(self.list.remove(i)),
            None => Err(SyncError::Peer(format!(
                "no peer is named or has the fingerprint '{}' (see `switchboard peer list`)",
                which.trim()
            ))),
        }
    }

    /// The file's text.
    fn render(&self) -> String {
        let mut out = String::from(
            "# Trusted peers: `switchboard peer add|rm` rewrites this file (comments are not kept).\n",
        );
        for p in &self.list {
            let _ = write!(
                out,
                "\n[[peer]]\nname = {}\nfingerprint = \"{}\"\naddr = {}\n",
                quoted(&p.name),
                p.fingerprint,
                quoted(&p.addr)
            );
        }
        out
    }

    /// Writes the list to `peers.toml` atomically, owner-only (creating the data dir if needed).
    pub fn save(&self) -> Result<(), SyncError> {
        if let Some(dir) = self.path.parent() {
            super::create_private_dir(dir)?;
        }
        super::write_private_atomic(&self.path, self.render().as_bytes())
    }
}

/// The fingerprints a running node accepts, shared between its TLS verifiers and whatever
/// reloads the peer list, so a `peer add` or `peer rm` takes effect without a restart.
#[derive(Clone, Debug, Default)]
pub struct TrustedSet(Arc<RwLock<BTreeSet<Fingerprint>>>);

impl TrustedSet {
    pub fn new(fingerprints: impl IntoIterator<Item = Fingerprint>) -> TrustedSet {
        TrustedSet(Arc::new(RwLock::new(fingerprints.into_iter().collect())))
    }

    /// Swaps in a new set for every holder of a clone.
    pub fn replace(&self, fingerprints: impl IntoIterator<Item = Fingerprint>) {
        let new: BTreeSet<Fingerprint> = fingerprints.into_iter().collect();
        // A panic elsewhere while holding the lock cannot leave a set half-replaced (the swap
        // is one move), so a poisoned lock is still a consistent set.
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = new;
    }

    pub fn contains(&self, fingerprint: &Fingerprint) -> bool {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn fp(seed: u8) -> Fingerprint {
        Fingerprint::of_cert(&[seed])
    }

    #[test]
    fn add_update_remove_and_save_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let own = fp(0);
        let mut peers = Peers::load(tmp.path()).unwrap();
        assert!(peers.list().is_empty());
        assert_eq!(
            peers
                .add(&own, fp(1), "10.0.0.2:7400", Some("north"))
                .unwrap(),
            Added::New
        );
        assert_eq!(
            peers.add(&own, fp(2), "[fd00::2]:7400", None).unwrap(),
            Added::New
        );
        assert_eq!(peers.list()[1].name, fp(2).short());
        // Same fingerprint again: address updated, name kept when none is given.
        assert_eq!(
            peers
                .add(&own, fp(1), "node1.example.org:7401", None)
                .unwrap(),
            Added::Updated
        );
        assert_eq!(peers.list().len(), 2);
        assert_eq!(peers.list()[0].addr, "node1.example.org:7401");
        assert_eq!(peers.list()[0].name, "north");
        peers
            .add(&own, fp(3), "h:1", Some("Station \"7\" \\ east"))
            .unwrap();
        peers.save().unwrap();
        let path = Peers::path(tmp.path());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = Peers::load(tmp.path()).unwrap();
        assert_eq!(again.list(), peers.list());
        // Saving again replaces the file whole and leaves no temp file behind.
        again.save().unwrap();
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["peers.toml"]);

        let gone = peers.remove("north").unwrap();
        assert_eq!(gone.fingerprint, fp(1));
        let by_fp = fp(2).to_string().to_lowercase();
        assert_eq!(peers.remove(&by_fp).unwrap().fingerprint, fp(2));
        let err = peers.remove("north").unwrap_err().to_string();
        assert_eq!(
            err,
            "no peer is named or has the fingerprint 'north' (see `switchboard peer list`)"
        );
        assert_eq!(peers.list().len(), 1);
    }

    #[test]
    fn add_refuses_self_bad_addresses_names_and_taken_names() {
        let own = fp(0);
        let mut peers = Peers::load(Path::new("/nonexistent-switchboard-test")).unwrap();
        let err = peers.add(&own, own, "h:1", None).unwrap_err().to_string();
        assert!(err.contains("this node's own fingerprint"), "{err}");
        for (addr, why) in [
            ("10.0.0.2", "expected HOST:PORT"),
            ("host:0", "1 to 65535"),
            ("host:70000", "1 to 65535"),
            ("host:", "1 to 65535"),
            (":7400", "the host must be"),
            ("bad_host:7400", "the host must be"),
            ("-a.b:7400", "the host must be"),
            ("fd00::2:7400", "in brackets"),
            ("", "expected HOST:PORT"),
        ] {
            let err = peers.add(&own, fp(1), addr, None).unwrap_err().to_string();
            assert!(err.starts_with(&format!("bad address '{addr}'")), "{err}");
            assert!(err.contains(why), "{addr}: {err}");
        }
        for ok in ["localhost:7400", "a-b.example.org.:1", "127.0.0.1:65535"] {
            check_addr(ok).unwrap();
        }
        let err = peers.add(&own, fp(1), "h:1", Some("  ")).unwrap_err();
        assert!(err.to_string().starts_with("bad peer name"), "{err}");
        let err = peers
            .add(&own, fp(1), "h:1", Some(&fp(9).to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("cannot be a fingerprint"), "{err}");
        assert!(peers.list().is_empty());
        peers.add(&own, fp(1), "h:1", Some("north")).unwrap();
        let err = peers.add(&own, fp(2), "h:2", Some("north")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the name 'north' is taken by peer "),
            "{err}"
        );
    }

    #[test]
    fn a_broken_file_names_its_line() {
        let tmp = tempfile::tempdir().unwrap();
        let path = Peers::path(tmp.path());
        let good = fp(1);
        let cases = [
            (
                "[[peer]]\nfingerprint = \"XYZ\"\naddr = \"h:1\"\n",
                2,
                "not a fingerprint",
            ),
            (
                &format!("[[peer]]\nfingerprint = \"{good}\"\naddr = \"h\"\n") as &str,
                3,
                "bad address 'h'",
            ),
            (
                &format!("[[peer]]\nfingerprint = \"{good}\"\naddr = \"h:1\"\nport = 3\n"),
                4,
                "unknown key 'port'",
            ),
            ("[[peer]\n", 1, "TOML syntax error"),
            (
                &format!(
                    "[[peer]]\nfingerprint = \"{good}\"\naddr = \"h:1\"\n\n\
                     [[peer]]\nfingerprint = \"{good}\"\naddr = \"h:2\"\n"
                ),
                5,
                "is listed twice",
            ),
        ];
        for (text, line, reason) in cases {
            std::fs::write(&path, text).unwrap();
            let err = Peers::load(tmp.path()).unwrap_err().to_string();
            let prefix = format!("{}:{line}: ", path.display());
            assert!(err.starts_with(&prefix), "{text:?} → {err}");
            assert!(err.contains(reason), "{text:?} → {err}");
            assert!(!err.contains('\n'), "{err}");
            if !reason.contains("syntax") {
                assert!(!err.contains("syntax"), "{text:?} → {err}");
            }
        }
    }

    #[test]
    fn trusted_set_is_shared_between_clones() {
        let set = TrustedSet::new([fp(1)]);
        let clone = set.clone();
        assert!(clone.contains(&fp(1)));
        set.replace([fp(2), fp(3)]);
        assert!(!clone.contains(&fp(1)));
        assert!(clone.contains(&fp(3)));
        assert_eq!(clone.len(), 2);
        assert!(TrustedSet::default().is_empty());
    }
}
