//! What went wrong with the store, in a dispatcher's words: its errors, sled's and the
//! operating system's turned into them (never a sled internal on screen), and sled's panics on
//! damaged pages caught and turned into a refusal.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// How a refusal tells a person to get going again; docs/durability.md says more.
const RECOVER: &str = "to recover, move its `store` directory aside and start again: the fresh \
                       store takes a new node id and gets this history back from a peer (without \
                       a peer, restore `store` from a backup; see docs/durability.md)";

/// How a store that went back gets it back: its peers hold the same bytes.
const HEAL: &str = "to recover, run `switchboard serve` on it with its peers reachable: it takes \
                    back what it lacks from them before it writes again (without a peer, see \
                    docs/durability.md)";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Every command, console and `serve` that finds the store held says the same: how to
    /// share it, not only that it is taken.
    #[error("data dir {} is in use by another switchboard process{pid} that does not share it; close it, or use another --data dir; to share one store, run `switchboard serve --data {}` (or start the first console with --listen) and every console and command attaches to it", dir.display(), dir.display())]
    Locked { dir: PathBuf, pid: String },
    #[error("cannot open the store in {dir}: {reason}")]
    Open { dir: PathBuf, reason: String },
    #[error("the store in {} is damaged: {reason}; it will not write on it. {}{RECOVER}", dir.display(), kept_words(kept.as_deref()))]
    Corrupt {
        dir: PathBuf,
        reason: String,
        /// Where its files were kept as found, before anything rewrote them.
        kept: Option<PathBuf>,
    },
    #[error("the store in {} went back: it lacks {missing}, which it had acknowledged; it will not write on it. {}{HEAL}", dir.display(), kept_words(kept.as_deref()))]
    WentBack {
        dir: PathBuf,
        /// Per origin, the seqs acknowledged and gone, in words.
        missing: String,
        kept: Option<PathBuf>,
    },
    #[error("the disk is full at {}: the change was not acknowledged; free some space there, then check `switchboard log` before trying it again", dir.display())]
    Full { dir: PathBuf },
    #[error("storage failed: {0}")]
    Io(String),
    /// A change the store will not take as it stands: too large, not the next in its chain,
    /// or planned against a store that has moved on since. Nothing failed in storage.
    #[error("not saved: {0}")]
    Rejected(String),
    /// Sealing personal text (or wrapping its key) failed, so nothing was written.
    #[error("cannot seal personal text ({0}); nothing was saved")]
    Sealing(String),
    /// Bytes that should hold an event do not decode as one.
    #[error("an event could not be read back ({0})")]
    Unreadable(String),
    /// A serving desk's own words for a failure there, or what became of the line to it,
    /// passed on as they are: nothing failed in storage here.
    #[error("{0}")]
    Served(String),
}

pub(super) fn kept_words(kept: Option<&Path>) -> String {
    kept.map_or_else(String::new, |k| {
        format!("Its files as found are kept in {}; ", k.display())
    })
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Io(sled_words(&e))
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(io_words(&e))
    }
}

/// What went wrong in sled, in words a dispatcher reads (never sled's own text).
pub(super) fn sled_words(e: &sled::Error) -> String {
    match e {
        sled::Error::Io(io) => io_words(io),
        sled::Error::Corruption { .. } => "part of its file is damaged".into(),
        sled::Error::Unsupported(_) => {
            "its files are not in a form this version reads (damaged, or from another version)"
                .into()
        }
        sled::Error::ReportableBug(_) => "the storage engine failed inside".into(),
        sled::Error::CollectionNotFound(_) => "part of the store is missing".into(),
    }
}

pub(super) fn io_words(e: &std::io::Error) -> String {
    format!("cannot read or write its files ({})", e.kind())
}

pub(super) fn is_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

/// Whether the filesystem holding `dir` has next to no room left. sled does not always pass
/// ENOSPC on as such (a short write reaches us as a plain I/O error), so a failed write on a
/// disk with less than one of its segments free is said as a full disk.
pub(super) fn nearly_full(dir: &Path) -> bool {
    const ROOM: u64 = 1024 * 1024;
    rustix::fs::statvfs(dir).is_ok_and(|fs| fs.f_bavail.saturating_mul(fs.f_frsize) < ROOM)
}

/// Runs `f`, turning a panic into an error without printing it: sled 0.34 panics on some
/// damaged pages (`tried to serialize Uninitialized`), and a damaged store must be refused in
/// one line, not with a backtrace. The panic's text goes to the log.
pub(super) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    thread_local! {
        static QUIET: Cell<bool> = const { Cell::new(false) };
        static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
    }
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.get() {
                CAUGHT.set(Some(info.to_string()));
            } else {
                previous(info);
            }
        }));
    });
    let was = QUIET.replace(true);
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.set(was);
    result.map_err(|_| {
        let text = CAUGHT.take().unwrap_or_default();
        tracing::error!(%text, "the storage engine panicked");
        text
    })
}
