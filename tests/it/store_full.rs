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

/// The same through a serving desk and attached `exec` processes: the line that fails says
/// where the disk is full, once; after space returns the desk serves on, and SIGTERM ends it
/// cleanly.
#[test]
fn a_serving_desk_recovers_when_space_returns() {
    use std::os::unix::net::UnixStream;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
    let Some(small) = SmallDisk::mount(4) else {
        return;
    };
    let config = tempfile::tempdir().expect("config dir");
    let dir = small.at.join("data");
    let run = |args: &[&str]| {
        Command::new(BIN)
            .arg("--data")
            .arg(&dir)
            .args(args)
            .env("SWITCHBOARD_CONFIG", config.path())
            .env("SWITCHBOARD_OPERATOR", "full-test")
            .output()
            .expect("run switchboard")
    };
    let mut serve = Command::new(BIN)
        .arg("--data")
        .arg(&dir)
        .arg("serve")
        .env("SWITCHBOARD_CONFIG", config.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let started = Instant::now();
    while UnixStream::connect(dir.join("desk.sock")).is_err() {
        assert!(serve.try_wait().expect("poll").is_none(), "serve exited");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = run(&[
        "exec",
        "unit add STAR-1 clinician",
        "call 1 Main St / full disk",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let filler = fill(&small.at);
    let mut said = None;
    for n in 0..200 {
        let out = run(&["exec", &format!("note 1 during-{n}")]);
        if !out.status.success() {
            said = Some(String::from_utf8_lossy(&out.stderr).into_owned());
            break;
        }
    }
    let said = said.expect("the disk never filled");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert_eq!(said.matches("the disk is full at ").count(), 1, "{said}");
    assert!(said.contains(&dir.display().to_string()), "{said}");
    for os in ["storage failed", "os error", "Os {", "code: 28"] {
        assert!(!said.contains(os), "{said}");
    }

    std::fs::remove_file(filler).expect("free space");
    let out = run(&["exec", "note 1 after the disk was freed"]);
    assert!(
        out.status.success(),
        "after space returned: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(serve.try_wait().expect("poll").is_none(), "serve died");
    Command::new("kill")
        .arg(serve.id().to_string())
        .status()
        .expect("SIGTERM");
    let status = serve.wait().expect("reap serve");
    assert!(status.success(), "serve after SIGTERM: {status}");
    let out = run(&["log"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("after the disk was freed"));
}
