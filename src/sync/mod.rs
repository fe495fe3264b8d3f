//! Peers: who this node is, whom it trusts, and the pinned mutual TLS 1.3 between them.
//!
//! - [`identity`]: this node's key pair and self-signed certificate, made at first use and kept
//!   owner-only in `<data>/identity/`; its [`Fingerprint`] (SHA-256 of the certificate) is what
//!   another node pins, like a Syncthing device id.
//! - [`peers`]: the trusted peer list in `<data>/peers.toml`, and the [`TrustedSet`] a running
//!   node consults on every handshake, so a `peer add` takes effect without a restart.
//! - [`tls`]: rustls configurations (TLS 1.3 only, client certificate required) whose verifiers
//!   accept exactly the certificates whose fingerprints are trusted; there are no CAs and no names.
//!
//! - [`session`]: the link protocol (hello, summaries, catch-up, live push, acks, pings) as
//!   frames in and frames out, with no sockets, so tests can drive it through any network.
//! - [`node`]: the serving desk: the store, the Unix socket attached consoles use, and the
//!   peer links themselves.
//!
//! Two stores become peers when each has added the other's fingerprint; nothing else is needed.

use std::path::{Path, PathBuf};

pub mod identity;
pub mod node;
pub mod peers;
pub mod session;
pub mod tls;

pub use identity::{Fingerprint, Identity};
pub use peers::{Peer, Peers, TrustedSet};

/// Everything that can go wrong with identities, the peer list and TLS setup; each message is
/// one line, meant to be shown as is.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A file or dir could not be read or written.
    #[error("{}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
    /// Text that is not a fingerprint.
    #[error("not a fingerprint: {0}")]
    BadFingerprint(String),
    /// The stored identity exists but cannot be used; it is never replaced automatically,
    /// because peers pin it.
    #[error(
        "the node identity in {} is unusable ({reason}); it is never replaced automatically: \
         move that dir aside to make a new one (peers must then add the new fingerprint)",
        dir.display()
    )]
    Identity { dir: PathBuf, reason: String },
    /// `peers.toml` does not parse; `line` is 1-based.
    #[error("{}:{line}: {reason}", path.display())]
    PeersFile {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// A new key pair or certificate could not be made.
    #[error("cannot make a node identity: {0}")]
    Generate(String),
    /// A refused `peer add` or `peer rm`.
    #[error("{0}")]
    Peer(String),
    /// rustls refused the configuration (for example a key it cannot use).
    #[error("TLS setup: {0}")]
    Tls(#[from] rustls::Error),
}

impl SyncError {
    pub(crate) fn io(path: &Path, e: &std::io::Error) -> SyncError {
        SyncError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        }
    }
}

/// Creates the data dir `dir` (and its parents) owner-only, or refuses one that is there but not
/// this user's own ([`crate::store::private::data_dir`]).
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), SyncError> {
    crate::store::private::data_dir(dir).map_err(SyncError::Peer)
}

/// Writes `bytes` to `path` owner-only (0600) so that a crash leaves either the old file or the
/// whole new one: a temp file beside it is written, fsynced, renamed over `path`, and the dir is
/// fsynced so the rename itself survives a power cut.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), SyncError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // Unique per process and per call, so two writers never share a temp file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let result = (|| {
        // A temp file left by an earlier crashed process with our pid and count is ours to
        // overwrite.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        // `mode` applies only when the file is created; a stale temp keeps its old mode.
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        SyncError::io(path, &e)
    })
}
