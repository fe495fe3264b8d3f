//! Crash-and-damage test on real sled (issue 11, item 1): a child `switchboard exec` appends
//! notes and is killed with SIGKILL while it writes; then, in copies of what it left, sled's `db`
//! is damaged at random offsets (512 bytes of zeros or of noise) and the store is opened.
//!
//! Whatever the damage, the store must never open with fewer events than it acknowledged
//! without saying so: it either opens whole, or refuses in one line (no panic, no sled text)
//! and keeps its files as found. Before the acknowledgement record, about half of such copies
//! opened with events missing and no word, and some panicked inside sled.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;

use switchboard::domain::Body;
use switchboard::store::{Store, StoreError, StoreKind};

use super::store_crash::Rng;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
/// Acknowledged notes before the kill, in CI.
const NOTES: u64 = 300;

/// A data dir left by a `switchboard exec` killed with SIGKILL in the middle of writing, and
/// the numbers of the notes it acknowledged (1..=acked).
fn killed_while_writing(dir: &Path, notes: u64) -> u64 {
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(dir)
        .arg("exec")
        .env("SWITCHBOARD_OPERATOR", "damage-test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn switchboard exec");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdin
        .write_all(b"unit add STAR-1 clinician,medic\ncall 1 Main St / damage test\n")
        .expect("write");
    stdin.flush().expect("flush");
    stdout.read_line(&mut line).expect("read");
    line.clear();
    stdout.read_line(&mut line).expect("read");
    let call = line.split(' ').next().expect("call id").to_owned();
    let writer = thread::spawn(move || {
        let mut n = 1u64;
        while stdin
            .write_all(format!("note {call} ack-{n}\n").as_bytes())
            .is_ok()
        {
            n += 1;
        }
    });
    let mut acked = 0;
    while acked < notes {
        line.clear();
        stdout.read_line(&mut line).expect("read an ack");
        assert!(
            line.trim_end().ends_with(&format!("ack-{}", acked + 1)),
            "{line:?}"
        );
        acked += 1;
    }
    // Killed while it is still committing what the writer sends.
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    writer.join().expect("writer");
    assert!(
        !dir.join("store").join("closed").exists(),
        "the kill left a clean close"
    );
    acked
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Writes 512 bytes of zeros (or of noise) at a random offset of `store/db`; returns the
/// damaged bytes.
fn damage(dir: &Path, rng: &mut Rng) -> Vec<u8> {
    let path = dir.join("store").join("db");
    let mut bytes = std::fs::read(&path).expect("read db");
    let len = bytes.len() as u64;
    let at = rng.between(0, len.saturating_sub(512)) as usize;
    let noise = rng.next().is_multiple_of(2);
    for b in bytes.iter_mut().skip(at).take(512) {
        *b = if noise { rng.next() as u8 } else { 0 };
    }
    std::fs::write(&path, &bytes).expect("write db");
    bytes
}

/// What opening a damaged copy did.
#[derive(Debug, Default)]
struct Tally {
    whole: usize,
    went_back: usize,
    damaged: usize,
    /// Of the damaged: where sled panicked (caught, and refused like the rest).
    sled_panicked: usize,
}

/// Opens one damaged copy: whole (every acknowledged note there), or refused in one line,
/// again on a second try, with the files as found kept.
fn open_damaged(dir: &Path, acked: u64, damaged_db: &[u8], trial: usize, tally: &mut Tally) {
    let refusal = match Store::open(dir, StoreKind::Live) {
        Ok(store) => match store.load() {
            Ok(events) => {
                let notes: Vec<u64> = events
                    .iter()
                    .filter_map(|e| match &e.body {
                        Body::NoteAdded { text, .. } => text.strip_prefix("ack-")?.parse().ok(),
                        _ => None,
                    })
                    .collect();
                for n in 1..=acked {
                    assert!(
                        notes.contains(&n),
                        "trial {trial}: opened without a word, but acknowledged ack-{n} is lost \
                         ({} of {acked} notes there)",
                        notes.len()
                    );
                }
                tally.whole += 1;
                return;
            }
            Err(e) => e,
        },
        Err(e) => e,
    };
    match refusal {
        StoreError::WentBack { .. } => tally.went_back += 1,
        StoreError::Corrupt { ref reason, .. } => {
            tally.damaged += 1;
            if reason.contains("stopped on damaged data") {
                tally.sled_panicked += 1;
            }
        }
        other => panic!("trial {trial}: not a refusal of a damaged store: {other}"),
    }
    let text = refusal.to_string();
    assert!(
        !text.contains('\n'),
        "trial {trial}: more than one line: {text}"
    );
    for internal in [
        "sled",
        "pagecache",
        "Corrupted",
        "backtrace",
        "Inline(",
        "Some(",
    ] {
        assert!(
            !text.contains(internal),
            "trial {trial}: sled's internals in the message: {text}"
        );
    }
    assert!(
        text.contains("to recover, "),
        "trial {trial}: no way back: {text}"
    );
    // The damaged files, as they were before sled's recovery rewrote them, are kept.
    let kept = dir.join("store.damaged");
    assert!(
        text.contains(&kept.display().to_string()),
        "trial {trial}: does not say where its files are kept: {text}"
    );
    assert!(
        std::fs::read(kept.join("db")).expect("kept db") == damaged_db,
        "trial {trial}: the kept copy is not the store as found"
    );
    // Refused again, the same way, with nothing written meanwhile.
    let again = match Store::open(dir, StoreKind::Live) {
        Ok(store) => store.load().map(drop),
        Err(e) => Err(e),
    };
    let again = again.expect_err("a refused store opened on the second try");
    assert_eq!(
        std::mem::discriminant(&again),
        std::mem::discriminant(&refusal),
        "trial {trial}: refused otherwise the second time: {again}"
    );
    assert!(
        !dir.join("store.damaged-2").exists(),
        "trial {trial}: copied again"
    );
}

fn trials(count: usize, seed: u64, notes: u64) -> Tally {
    let scratch = tempfile::tempdir().expect("temp dir");
    let original = scratch.path().join("killed");
    let acked = killed_while_writing(&original, notes);
    let mut rng = Rng::seeded(seed);
    let mut tally = Tally::default();
    for trial in 0..count {
        let dir = scratch.path().join(format!("trial-{trial}"));
        copy_dir(&original, &dir);
        let damaged_db = damage(&dir, &mut rng);
        open_damaged(&dir, acked, &damaged_db, trial, &mut tally);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
    eprintln!("{count} damaged copies of a store killed after {acked} acks: {tally:?}");
    tally
}

#[test]
fn a_damaged_store_never_opens_short_of_what_it_acknowledged() {
    let tally = trials(60, 11, NOTES);
    // Damage at random offsets must sometimes cost acknowledged events, or the test proves
    // little.
    assert!(
        tally.went_back + tally.damaged > 0,
        "no trial hit anything that mattered: {tally:?}"
    );
}

/// More of the same, for a person with time: `cargo test --test it store_damage -- --ignored`.
/// Stores of 1,500 notes, as in the report.
#[test]
#[ignore = "slow: 600 damaged copies"]
fn many_damaged_stores() {
    for seed in 0..4 {
        trials(150, 1000 + seed, 1500);
    }
}

/// The binary says the same in one line, exits 1 (not a panic's 101), and never prints sled's
/// text; a flipped byte in sled's `conf` is said in words too.
#[test]
fn the_binary_refuses_a_damaged_store_in_one_line() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let original = scratch.path().join("killed");
    let acked = killed_while_writing(&original, NOTES);
    let mut rng = Rng::seeded(7);
    let mut refused = 0;
    for trial in 0..12 {
        let dir = scratch.path().join(format!("trial-{trial}"));
        copy_dir(&original, &dir);
        if trial == 0 {
            let conf = dir.join("store").join("conf");
            let mut bytes = std::fs::read(&conf).expect("conf");
            bytes[3] ^= 0x20;
            std::fs::write(&conf, bytes).expect("conf");
        } else {
            damage(&dir, &mut rng);
        }
        let out = Command::new(BIN)
            .arg("--data")
            .arg(&dir)
            .args(["log", "--json"])
            .output()
            .expect("run log");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            let lines = String::from_utf8_lossy(&out.stdout).lines().count() as u64;
            assert!(
                lines >= acked + 3,
                "trial {trial}: {lines} lines, {acked} acked"
            );
            continue;
        }
        refused += 1;
        assert_eq!(out.status.code(), Some(1), "trial {trial}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "trial {trial}: {stderr}");
        assert!(stderr.starts_with("switchboard: the store in "), "{stderr}");
        for internal in [
            "sled",
            "pagecache",
            "panicked",
            "export",
            "Corrupted",
            "backtrace",
        ] {
            assert!(!stderr.contains(internal), "trial {trial}: {stderr}");
        }
        if trial == 0 {
            assert!(stderr.contains("is damaged"), "{stderr}");
        }
    }
    assert!(refused > 0, "no damage was refused");
}

/// sled's files (not the record of what was acknowledged) from `from` to `to`, replacing
/// what `to` had.
fn copy_sled_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(to).expect("read dir") {
        let entry = entry.expect("entry");
        if !entry.file_name().to_string_lossy().starts_with("acked.") {
            if entry.file_type().expect("type").is_dir() {
                std::fs::remove_dir_all(entry.path()).expect("rm");
            } else {
                std::fs::remove_file(entry.path()).expect("rm");
            }
        }
    }
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("acked.") {
            continue;
        }
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).expect("copy");
        }
    }
}

/// Two real nodes on 127.0.0.1, paired; alpha's sled then goes back (its files as they were
/// ten notes earlier, its record of what it acknowledged as it is). Both stopped. Returns the
/// nodes, alpha's origin, and its head before and after the lost notes.
fn went_back(
    root: &Path,
) -> (
    crate::common::pair::Node,
    crate::common::pair::Node,
    switchboard::domain::ReplicaId,
    u64,
    u64,
) {
    use std::time::Duration;

    use crate::common::pair::{pair, take_call, watch_until};

    let (mut alpha, mut bravo) = pair(root);
    alpha.start();
    bravo.start();
    let (mut desk, _watch) = alpha.attach("ct-alpha");
    take_call(&mut desk, "call 1 Main St / went back");
    for n in 0..5 {
        desk.run_line(&format!("note 1 early-{n}")).expect("note");
    }
    let origin = desk.replica();
    drop(desk);
    alpha.stop();
    let early = root.join("alpha-early");
    copy_sled_files(&alpha.dir.join("store"), &early);
    let early_head = Store::open(&alpha.dir, StoreKind::Live)
        .expect("open")
        .head(origin)
        .seq;

    alpha.start();
    let (mut desk, _watch) = alpha.attach("ct-alpha");
    for n in 0..10 {
        desk.run_line(&format!("note 1 late-{n}")).expect("note");
    }
    let head = desk.heads()[&origin].seq;
    drop(desk);
    let (mut seen, mut watch) = bravo.attach("ct-bravo");
    watch_until(&mut watch, &mut seen, Duration::from_secs(20), |d, _| {
        d.heads().get(&origin).is_some_and(|h| h.seq >= head)
    });
    drop((seen, watch));
    alpha.stop();
    bravo.stop();
    copy_sled_files(&early, &alpha.dir.join("store"));
    (alpha, bravo, origin, early_head, head)
}

/// Waits until `desk` holds `origin`'s events up to `head` again, and checks the ten notes
/// written last (`late-0` … `late-9`) are among them.
fn took_its_tail_back(
    watch: &mut switchboard::desk::attach::Watch,
    desk: &mut switchboard::desk::Desk,
    origin: switchboard::domain::ReplicaId,
    head: u64,
) {
    crate::common::pair::watch_until(watch, desk, std::time::Duration::from_secs(20), |d, _| {
        d.heads().get(&origin).is_some_and(|h| h.seq >= head)
    });
    let notes = notes_of(desk);
    for n in 0..10 {
        assert!(
            notes.contains(&format!("late-{n}")),
            "late-{n} did not come back"
        );
    }
}

fn notes_of(desk: &switchboard::desk::Desk) -> Vec<String> {
    desk.events()
        .expect("events")
        .into_iter()
        .filter_map(|e| match e.body {
            Body::NoteAdded { text, .. } => Some(text),
            _ => None,
        })
        .collect()
}

/// alpha refuses to open, naming the notes it lacks; done the other way docs/durability.md
/// gives (the store moved aside, started again), alpha takes its lost tail back from bravo,
/// which holds the same bytes.
#[test]
fn a_node_whose_store_went_back_refuses_then_heals_from_its_peer() {
    let root = tempfile::tempdir().expect("temp dir");
    let (mut alpha, mut bravo, origin, early_head, head) = went_back(root.path());
    let Err(refused) = Store::open(&alpha.dir, StoreKind::Live) else {
        panic!("a store that went back opened")
    };
    let text = refused.to_string();
    assert!(matches!(refused, StoreError::WentBack { .. }), "{text}");
    let missing = format!("events {}-{head} of node {}", early_head + 1, origin.tag());
    assert!(text.contains(&missing), "{text}");

    // The store aside, and start again.
    std::fs::rename(alpha.dir.join("store"), alpha.dir.join("store.went-back")).expect("aside");
    bravo.start();
    alpha.start();
    let (mut desk, mut watch) = alpha.attach("ct-alpha");
    assert_ne!(
        desk.replica(),
        origin,
        "the fresh store takes a new node id"
    );
    took_its_tail_back(&mut watch, &mut desk, origin, head);
    drop((desk, watch));
    alpha.stop();
    bravo.stop();
}

/// Served to heal (as `serve` does when it has peers), alpha opens owing what it lost, takes
/// no change of its own until bravo has given it back, then carries on at the next seq, with
/// no fork on either side.
#[test]
fn a_served_node_whose_store_went_back_takes_its_tail_from_a_peer_before_writing() {
    use std::time::Duration;

    use switchboard::desk::{Desk, DeskError, SystemClock};
    use switchboard::sync::node::{serve_in_background, Options};

    use crate::common::pair::watch_until;

    let root = tempfile::tempdir().expect("temp dir");
    let (alpha, mut bravo, origin, early_head, head) = went_back(root.path());
    let store = Store::open_to_heal(&alpha.dir, StoreKind::Live).expect("opens to heal");
    assert_eq!(store.owed()[&origin].seq, head);
    assert_eq!(store.head(origin).seq, early_head);
    let desk = Desk::open(store, Box::new(SystemClock), "test").expect("desk");
    let serving = serve_in_background(
        desk,
        Options {
            dir: alpha.dir.clone(),
            listen: Some(format!("127.0.0.1:{}", alpha.port)),
        },
    )
    .expect("serve alpha");
    let (mut desk, mut watch) = alpha.attach("ct-alpha");
    // bravo is not up yet: nothing of alpha's own may be written.
    match desk.run_line("note 1 too-soon") {
        Err(DeskError::Refused(why)) => {
            assert!(
                why.to_string().contains("taking them back from its peers"),
                "{why}"
            );
        }
        other => panic!("wrote while it owed its own events: {other:?}"),
    }
    bravo.start();
    took_its_tail_back(&mut watch, &mut desk, origin, head);
    desk.run_line("note 1 healed")
        .expect("writes again once whole");
    assert_eq!(
        desk.heads()[&origin].seq,
        head + 1,
        "the next seq, not one minted again"
    );
    drop((desk, watch));

    let (mut seen, mut watch) = bravo.attach("ct-bravo");
    watch_until(&mut watch, &mut seen, Duration::from_secs(20), |d, _| {
        d.heads().get(&origin).is_some_and(|h| h.seq > head)
    });
    assert!(notes_of(&seen).contains(&"note 1 healed".replace("note 1 ", "")));
    drop((seen, watch));
    serving.stop().expect("stop alpha");
    bravo.stop();
    // Whole again: it opens like any store, and nothing is owed.
    let store = Store::open(&alpha.dir, StoreKind::Live).expect("opens whole");
    assert!(store.owed().is_empty());
    assert!(!alpha.dir.join("store").join("refused").exists());
    assert_eq!(
        store.load().expect("verifies").len() as u64,
        store.event_count()
    );
}

/// The same with a real `serve` process, as the refusal says to do: it says on stderr that its
/// store went back, refuses changes of its own until bravo has given back what it lost, then
/// takes them at the next seq.
#[test]
fn serve_heals_a_store_that_went_back_from_its_peer() {
    use std::os::unix::net::UnixStream;
    use std::time::{Duration, Instant};

    let root = tempfile::tempdir().expect("temp dir");
    let config = tempfile::tempdir().expect("config dir");
    let (alpha, mut bravo, origin, _early_head, head) = went_back(root.path());
    let stderr_path = root.path().join("serve.stderr");
    let mut serve = Command::new(BIN)
        .arg("--data")
        .arg(&alpha.dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{}", alpha.port)])
        .env("SWITCHBOARD_CONFIG", config.path())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("spawn serve");
    let started = Instant::now();
    while UnixStream::connect(alpha.dir.join("desk.sock")).is_err() {
        assert!(
            serve.try_wait().expect("poll").is_none(),
            "serve exited: {}",
            std::fs::read_to_string(&stderr_path).unwrap_or_default()
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve never listened"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let exec = |line: &str| {
        Command::new(BIN)
            .arg("--data")
            .arg(&alpha.dir)
            .args(["exec", line])
            .env("SWITCHBOARD_CONFIG", config.path())
            .env("SWITCHBOARD_OPERATOR", "ct-alpha")
            .output()
            .expect("run exec")
    };
    let out = exec("note 1 too-soon");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "wrote while it owed its own events");
    assert!(said.contains("taking them back from its peers"), "{said}");
    let banner = std::fs::read_to_string(&stderr_path).expect("stderr");
    assert!(banner.contains("its store went back"), "{banner}");

    bravo.start();
    let started = Instant::now();
    loop {
        let out = exec("note 1 healed");
        if out.status.success() {
            break;
        }
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("taking them back from its peers"), "{said}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never healed: {said}"
        );
        thread::sleep(Duration::from_millis(100));
    }
    Command::new("kill")
        .arg(serve.id().to_string())
        .status()
        .expect("SIGTERM");
    assert!(serve.wait().expect("reap").success());
    bravo.stop();

    let store = Store::open(&alpha.dir, StoreKind::Live).expect("opens whole");
    let events = store.load().expect("verifies");
    let notes: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::NoteAdded { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    for n in 0..10 {
        assert!(
            notes.contains(&format!("late-{n}")),
            "late-{n} did not come back"
        );
    }
    assert!(!notes.contains(&"too-soon".to_owned()));
    let healed = events
        .iter()
        .find(|e| matches!(&e.body, Body::NoteAdded { text, .. } if text == "healed"))
        .expect("the note written once healed");
    assert_eq!((healed.origin, healed.seq), (origin, head + 1));
}

/// Issue 11 item 15: a change the store will not take (one over the size cap, one that does
/// not extend its chain) is said as such, not as "storage failed": nothing failed in storage,
/// and the store still takes the next good change.
#[test]
fn a_change_the_store_refuses_is_not_said_as_a_storage_failure() {
    use switchboard::domain::{CallId, Event, MAX_EVENT_BYTES};
    use switchboard::store::Sealed;
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(scratch.path(), StoreKind::Live).expect("a store");
    let origin = store.replica();
    let note = |seq: u64, text: String| {
        Sealed::new(Event {
            origin,
            seq,
            hlc: seq,
            wall_ms: 0,
            prev: [0; 32],
            operator: "t".into(),
            request: None,
            os_user: None,
            body: Body::NoteAdded {
                call: CallId::mint(26, &origin.tag(), 1),
                text,
                caution: false,
                written: None,
            },
        })
    };
    let too_big = note(1, "x".repeat(MAX_EVENT_BYTES + 1));
    let out_of_chain = note(5, "a note".into());
    for (what, event) in [
        ("over the cap", too_big),
        ("out of its chain", out_of_chain),
    ] {
        let text = store.commit(&[event]).expect_err(what).to_string();
        assert!(text.starts_with("not saved: "), "{what}: {text}");
        assert!(!text.contains("storage failed"), "{what}: {text}");
    }
    store
        .commit(&[note(1, "a note".into())])
        .expect("the next good change");
}
