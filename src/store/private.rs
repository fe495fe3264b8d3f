//! Owner-only data: a data dir, store or socket that another user owns or may write is refused,
//! as ssh refuses such a `~/.ssh`; what the desk makes it makes owner-only, whatever the umask.
//!
//! Another user who may write the data dir can replace the store, or rename `desk.sock` and
//! bind their own to read the operator's next note; one who may read it can read every call.

use std::fs::Metadata;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::Path;

/// This process's real uid.
pub fn my_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Makes the process create files and dirs owner-only from now on (umask 077), whatever the
/// umask it was started with.
pub fn owner_only_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Why `path` (already there) may not be trusted, if it may not: another user owns it, or
/// others may write it.
fn untrusted(path: &Path, meta: &Metadata, what: &str) -> Option<String> {
    let me = my_uid();
    if meta.uid() != me {
        return Some(format!(
            "{what} {} belongs to uid {}, not to you (uid {me}): use a data dir of your own \
             (--data DIR, e.g. under your home), or run as its owner",
            path.display(),
            meta.uid()
        ));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Some(format!(
            "{what} {} may be written by other users (mode {mode:04o}): `chmod go-w {}` \
             if you trust what is in it, or use another data dir",
            path.display(),
            path.display()
        ));
    }
    None
}

/// Makes `dir` the data dir: created 0700 if missing; if there, refused unless it is this
/// user's and no one else may write it, and then made 0700 if others could read it.
pub fn data_dir(dir: &Path) -> Result<(), String> {
    match std::fs::metadata(dir) {
        Ok(meta) => {
            if !meta.is_dir() {
                return Err(format!("{} is not a directory", dir.display()));
            }
            if let Some(why) = untrusted(dir, &meta, "the data dir") {
                return Err(why);
            }
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(|e| format!("cannot make {} owner-only: {e}", dir.display()))?;
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
            // `mode` is masked by the umask; 0700 is what it is meant to be.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("cannot make {} owner-only: {e}", dir.display()))
        }
        Err(e) => Err(format!("cannot use {}: {e}", dir.display())),
    }
}

/// Refuses the store dir (`DIR/store`) if another user owns it or may write it.
pub fn store_dir(dir: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => untrusted(dir, &meta, "the store").map_or(Ok(()), Err),
        Err(_) => Ok(()),
    }
}

/// Makes the store dir and every file in it owner-only (sled makes them with the umask's
/// modes).
pub fn tighten(dir: &Path) -> Result<(), String> {
    let fix = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot make {} owner-only: {e}", p.display()))
    };
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        fix(&d, 0o700)?;
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
                fix(&entry.path(), 0o600)?;
            }
        }
    }
    Ok(())
}

/// Refuses to talk through the socket `path` unless it is this user's: the file, and the
/// process serving it (its peer credentials), checked before a byte is sent.
pub fn check_socket(path: &Path, stream: &std::os::unix::net::UnixStream) -> Result<(), String> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if let Some(why) = untrusted(path, &meta, "the desk socket") {
            return Err(why);
        }
    }
    let cred = rustix::net::sockopt::socket_peercred(stream)
        .map_err(|e| format!("cannot tell who serves {}: {e}", path.display()))?;
    let (them, me) = (cred.uid.as_raw(), my_uid());
    if them != me {
        return Err(format!(
            "{} is served by uid {them}, not by you (uid {me}); nothing was sent: \
             stop that process, or use a data dir of your own",
            path.display()
        ));
    }
    Ok(())
}
