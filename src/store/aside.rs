//! sled's files kept as found, for a person to examine, when a store does not verify.
//!
//! sled 0.34 has no read-only open, and its recovery after a crash rewrites `db` (it cuts the
//! log at the first bad segment), so a damaged store's bytes must be copied *before* sled opens
//! them. Copying on every open would cost a read and a write of the whole store each start; a
//! store that was closed cleanly (`store/closed`, written by [`closed_cleanly`] after sled is
//! dropped and removed again before sled opens) has no log to replay and is opened as it is.
//! After an unclean shutdown the files are copied to `store.unchecked` (through `std::fs::copy`,
//! which on Linux uses `copy_file_range`: a reflink on filesystems that share extents, an
//! in-kernel copy elsewhere), each fsynced, and the copy is removed as soon as the log verifies.
//! A hard link would not do: sled writes `db` in place, so a link would change with it.
//!
//! On a refusal the copy becomes `store.damaged` (or `store.damaged-2`, … when one is there
//! already) and `store/refused` names it, so that opening the refused store again neither copies
//! the rewritten files again nor forgets where the original ones are.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::sync_dir;

const CLOSED: &str = "closed";
const REFUSED: &str = "refused";
const UNCHECKED: &str = "store.unchecked";
const COPYING: &str = "store.copying";
const DAMAGED: &str = "store.damaged";

/// Before sled opens the store in `dir`: after an unclean shutdown, a copy of sled's files as
/// they are; `None` when there is nothing to keep (a clean close, a new store, a refused one).
pub(super) fn before_open(dir: &Path) -> io::Result<Option<PathBuf>> {
    let sled_dir = dir.join("store");
    let unchecked = dir.join(UNCHECKED);
    let closed = sled_dir.join(CLOSED);
    if closed.exists() {
        fs::remove_file(&closed)?;
        sync_dir(&sled_dir)?;
        remove_copy(&unchecked)?;
        return Ok(None);
    }
    if !sled_dir.join("db").exists() || sled_dir.join(REFUSED).exists() {
        return Ok(None);
    }
    // Left by an open that never verified: older than what is there now, so kept instead.
    if unchecked.exists() {
        return Ok(Some(unchecked));
    }
    let copying = dir.join(COPYING);
    remove_copy(&copying)?;
    copy_dir(&sled_dir, &copying)?;
    fs::rename(&copying, &unchecked)?;
    sync_dir(dir)?;
    Ok(Some(unchecked))
}

/// The store verified: the copy is not needed.
pub(super) fn settle(unchecked: Option<&Path>) {
    if let Some(path) = unchecked {
        if let Err(e) = fs::remove_dir_all(path) {
            tracing::warn!(path = %path.display(), %e, "could not remove a store copy");
        }
    }
}

/// The store is refused: where its files as found are kept, if anywhere.
pub(super) fn keep(dir: &Path, unchecked: Option<&Path>) -> Option<PathBuf> {
    let refused = dir.join("store").join(REFUSED);
    let Some(unchecked) = unchecked else {
        // Refused before: the copy made then is the original.
        let name = fs::read_to_string(&refused).ok()?;
        let kept = dir.join(name.trim());
        return kept.exists().then_some(kept);
    };
    let kept = (1..1000)
        .map(|n| {
            if n == 1 {
                dir.join(DAMAGED)
            } else {
                dir.join(format!("{DAMAGED}-{n}"))
            }
        })
        .find(|p| !p.exists())?;
    fs::rename(unchecked, &kept).ok()?;
    let name = kept.file_name()?.to_string_lossy().into_owned();
    if let Err(e) = fs::write(&refused, name).and_then(|()| sync_dir(dir)) {
        tracing::warn!(%e, "could not note where the damaged store's files are kept");
    }
    Some(kept)
}

/// A store that went back is whole again: later unclean shutdowns keep copies as before.
pub(super) fn healed(dir: &Path) {
    let refused = dir.join("store").join(REFUSED);
    if let Err(e) = fs::remove_file(&refused) {
        if e.kind() != io::ErrorKind::NotFound {
            tracing::warn!(%e, "could not remove {}", refused.display());
        }
    }
}

/// Marks the store in `dir` as closed cleanly; sled must be closed (dropped) already.
pub(super) fn closed_cleanly(dir: &Path) -> io::Result<()> {
    let sled_dir = dir.join("store");
    fs::File::create(sled_dir.join(CLOSED))?.sync_all()?;
    sync_dir(&sled_dir)
}

fn remove_copy(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new().mode(0o700).create(to)?;
    }
    #[cfg(not(unix))]
    fs::create_dir(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        // The fold's checkpoint is a cache of the log, not evidence: not worth a copy.
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("checkpoint")
        {
            continue;
        }
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &target)?;
            fs::File::open(&target)?.sync_all()?;
        }
    }
    sync_dir(to)
}
