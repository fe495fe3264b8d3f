//! A full disk (issue 11, item 11): on a small tmpfs, a desk fills the disk, is told so in one
//! line naming where, and carries on once space returns, without a restart. Needs `mount`
//! (root, or a user namespace); skipped with a note otherwise.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use switchboard::desk::{Desk, DeskError, ManualClock};
use switchboard::domain::Body;
use switchboard::store::{Store, StoreError, StoreKind};

/// A tmpfs of a few MB, unmounted however the test ends.
struct SmallDisk {
    at: PathBuf,
    _scratch: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let scratch = tempfile::tempdir().expect("temp dir");
        let at = scratch.path().join("disk");
        std::fs::create_dir(&at).expect("mkdir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0700")])
            .arg("tmpfs")
            .arg(&at)
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "skipped: cannot mount a small tmpfs here ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(SmallDisk {
            at,
            _scratch: scratch,
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.at).status();
    }
}

/// Fills what is left of the disk at `dir` with one file.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("filler");
    let block = vec![0x55u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let small = [0x55u8; 512];
    while file.write_all(&small).is_ok() {}
    while file.write_all(&[0x55]).is_ok() {}
    path
}

fn open_desk(dir: &Path) -> Desk {
    let store = Store::open(dir, StoreKind::Live).expect("open");
    Desk::open(
        store,
        Box::new(ManualClock::at(1_767_000_000_000)),
        "full-test",
    )
    .expect("desk")
}

#[test]
fn a_full_disk_is_said_once_and_the_desk_carries_on_when_space_returns() {
    let Some(small) = SmallDisk::mount(4) else {
        return;
    };
    let dir = small.at.join("data");
    let mut desk = open_desk(&dir);
    desk.run_line("unit add STAR-1 clinician").expect("unit");
    desk.run_line("call 1 Main St / full disk").expect("call");
    let mut acked = Vec::new();
    for n in 0..50 {
        desk.run_line(&format!("note 1 before-{n}")).expect("note");
        acked.push(format!("before-{n}"));
    }

    let filler = fill(&small.at);
    // Until sled's next write needs room it may still take a few; then every change is refused
    // the same way, in words, naming where.
    let mut refusals = Vec::new();
    for n in 0..400 {
        match desk.run_line(&format!("note 1 during-{n}")) {
            Ok(_) => acked.push(format!("during-{n}")),
            Err(e) => refusals.push(e),
        }
        if refusals.len() == 3 {
            break;
        }
    }
    assert_eq!(refusals.len(), 3, "the disk never filled");
    for e in &refusals {
        assert!(
            matches!(e, DeskError::Store(StoreError::Full { .. })),
            "{e:?}"
        );
        let text = e.to_string();
        assert_eq!(
            text.matches("the disk is full at ").count(),
            1,
            "said once: {text}"
        );
        assert!(text.contains(&dir.display().to_string()), "where: {text}");
        for os in [
            "os error",
            "Os {",
            "code: 28",
            "storage failed",
            "No space left",
        ] {
            assert!(!text.contains(os), "the OS's words: {text}");
        }
    }

    // Space returns: the same desk takes changes again, no restart.
    std::fs::remove_file(filler).expect("free space");
    for n in 0..20 {
        desk.run_line(&format!("note 1 after-{n}"))
            .unwrap_or_else(|e| panic!("after space returned: {e}"));
        acked.push(format!("after-{n}"));
    }
    desk.close().expect("close");

    // Everything acknowledged is there, once, and the store opens cleanly.
    let desk = open_desk(&dir);
    let notes: Vec<String> = desk
        .events()
        .expect("events")
        .into_iter()
        .filter_map(|e| match e.body {
            Body::NoteAdded { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    for a in &acked {
        assert_eq!(
            notes.iter().filter(|n| *n == a).count(),
            1,
            "acknowledged {a} lost or doubled"
        );
    }
    drop(desk);
}
