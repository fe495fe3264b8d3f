//! The fold's checkpoint (`store/checkpoint`): an open takes up the fold from it and folds only
//! the log's tail, and whatever happens to it — a crash right after one, during one, between one
//! and the tail, a damaged byte, peers' late events that sort before it, restarts — the state is
//! the one a full fold of the log gives, and no event is lost.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use proptest::prelude::*;
use switchboard::desk::{Desk, ManualClock, CHECKPOINT_EVERY, CLOSE_CHECKPOINT};
use switchboard::domain::{Body, ReplicaId, State};
use switchboard::store::{Store, StoreKind};

use crate::common::shift;
use crate::store_crash::Rng;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const START_MS: i64 = 1_780_000_000_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("SWITCHBOARD_OPERATOR", "checkpoint-test")
        .env_remove("SWITCHBOARD_DATA")
        .output()
        .expect("run switchboard")
}

fn digest_cli(dir: &Path) -> String {
    let out = run(dir, &["state", "--digest"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The digest of a full fold of the log, computed here without any checkpoint.
fn digest_full(dir: &Path) -> (String, usize) {
    let store = Store::open(dir, StoreKind::Live).unwrap();
    let events = store.load().unwrap();
    let n = events.len();
    let digest = State::fold(events).digest();
    drop(store);
    (digest, n)
}

fn checkpoint_file(dir: &Path) -> PathBuf {
    dir.join("store").join("checkpoint")
}

/// Removes every kept checkpoint (`checkpoint`, `checkpoint.1` …): the next open folds the
/// whole log.
pub fn remove_checkpoints(dir: &Path) {
    for entry in std::fs::read_dir(dir.join("store")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("checkpoint")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
}

/// A desk on `dir`, and how many events the checkpoint it resumed from covered.
fn reopen(dir: &Path) -> (Desk, Option<u64>) {
    let store = Store::open(dir, StoreKind::Live).unwrap();
    let desk = Desk::open(store, Box::new(ManualClock::at(START_MS)), "op").unwrap();
    let from = desk.resumed_from();
    (desk, from)
}

/// The desk's state equals a full fold of its store's log, bookkeeping included, and each
/// call's chronology (read through the store's index) is its events in fold order.
/// Calls the desk had let go from memory are read back first (the digest is compared before,
/// with them let go); returns how many there were.
fn assert_full_fold(desk: &mut Desk) -> usize {
    let store = desk.store().unwrap();
    let mut events = store.load().unwrap();
    events.sort_by_key(switchboard::domain::Event::fold_key);
    let mut full = State::fold(events.clone());
    full.set_known(store.known().unwrap());
    assert_eq!(
        desk.state().digest(),
        full.digest(),
        "the digest differs from a full fold's"
    );
    let let_go = desk.state().let_go_calls().len();
    desk.take_back_all().unwrap();
    assert!(
        *desk.state() == full,
        "the desk's state differs from a full fold of its log"
    );
    assert_eq!(desk.store().unwrap().check_indices().unwrap(), Ok(()));
    for id in full.calls.keys() {
        let indexed: Vec<(ReplicaId, u64)> = desk
            .chronology(id)
            .unwrap()
            .iter()
            .map(|e| (e.origin, e.seq))
            .collect();
        let scanned: Vec<(ReplicaId, u64)> = events
            .iter()
            .filter(|e| e.body.calls().contains(&id))
            .map(|e| (e.origin, e.seq))
            .collect();
        assert_eq!(indexed, scanned, "the chronology of {id}");
    }
    let_go
}

fn demo_store(days: &str) -> (tempfile::TempDir, PathBuf) {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("data");
    let out = run(&dir, &["demo", "--days", days]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (scratch, dir)
}

#[test]
fn reopening_after_a_checkpoint_gives_the_digest_of_a_full_fold() {
    let (_scratch, dir) = demo_store("2");
    assert!(
        checkpoint_file(&dir).exists(),
        "the demo's close writes one"
    );
    let (full, events) = digest_full(&dir);
    assert!(events > 500, "{events} events");
    assert_eq!(digest_cli(&dir), full);
    let (mut desk, from) = reopen(&dir);
    assert_eq!(
        from,
        Some(events as u64),
        "the open resumed from the checkpoint"
    );
    assert_full_fold(&mut desk);
    desk.close().unwrap();

    let out = run(&dir, &["verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.starts_with(&format!("verified: {events} events from 1 node")),
        "{said}"
    );
    assert!(said.contains("matches a full fold"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");

    // Verify wrote one, so two are kept now: without the newest the open takes up the one
    // before, and without any the whole log is folded, to the same state, and one written.
    std::fs::remove_file(checkpoint_file(&dir)).unwrap();
    assert_eq!(digest_cli(&dir), full);
    assert_eq!(reopen(&dir).1, Some(events as u64), "from the one before");
    remove_checkpoints(&dir);
    assert_eq!(digest_cli(&dir), full);
    assert!(checkpoint_file(&dir).exists());
    assert_eq!(reopen(&dir).1, Some(events as u64));
}

#[test]
fn a_damaged_checkpoint_is_never_trusted_and_loses_nothing() {
    let (_scratch, dir) = demo_store("1");
    let (full, events) = digest_full(&dir);
    let bytes = std::fs::read(checkpoint_file(&dir)).unwrap();
    for at in [0, 12, bytes.len() / 2, bytes.len() - 1] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x20;
        std::fs::write(checkpoint_file(&dir), &damaged).unwrap();
        let (mut desk, from) = reopen(&dir);
        assert_eq!(
            from, None,
            "byte {at}: a damaged checkpoint is not resumed from"
        );
        assert_eq!(desk.state().digest(), full, "byte {at}");
        assert_eq!(desk.event_count(), events as u64);
        assert_full_fold(&mut desk);
        drop(desk);
        // The full fold wrote a good one back.
        assert_eq!(reopen(&dir).1, Some(events as u64), "byte {at}");
    }

    // `verify` says a damaged one is wrong, in one line, and replaces it.
    let mut damaged = bytes.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x01;
    std::fs::write(checkpoint_file(&dir), &damaged).unwrap();
    let out = run(&dir, &["verify"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("the log verifies"), "{said}");
    assert!(said.contains("damaged"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    let out = run(&dir, &["verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(digest_cli(&dir), full);

    // Cut short, or someone else's: the same.
    std::fs::write(checkpoint_file(&dir), &bytes[..bytes.len() / 3]).unwrap();
    assert_eq!(digest_cli(&dir), full);
    std::fs::write(checkpoint_file(&dir), b"not a checkpoint").unwrap();
    assert_eq!(digest_cli(&dir), full);
    assert_eq!(digest_full(&dir), (full, events));
}

#[test]
fn a_partial_temp_file_from_a_crash_during_a_checkpoint_is_never_read() {
    let (_scratch, dir) = demo_store("1");
    let (full, events) = digest_full(&dir);
    let bytes = std::fs::read(checkpoint_file(&dir)).unwrap();
    // A crash while the next one was being written leaves the old one and half a temp file.
    let temp = dir.join("store").join("checkpoint.tmp");
    std::fs::write(&temp, &bytes[..bytes.len() / 2]).unwrap();
    let (desk, from) = reopen(&dir);
    assert_eq!(from, Some(events as u64));
    assert_eq!(desk.state().digest(), full);
    drop(desk);
    // A crash before the rename, with the temp file whole but no checkpoint yet.
    std::fs::rename(checkpoint_file(&dir), &temp).unwrap();
    let (desk, from) = reopen(&dir);
    assert_eq!(from, None, "a temp file is never taken for the checkpoint");
    assert_eq!(desk.state().digest(), full);
}

/// A child `exec` on `dir` that takes notes on stdin and acknowledges each on stdout.
struct Exec {
    process: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Exec {
    fn spawn(dir: &Path) -> Exec {
        let mut child = Command::new(BIN)
            .arg("--data")
            .arg(dir)
            .arg("exec")
            .env("SWITCHBOARD_OPERATOR", "checkpoint-test")
            .env_remove("SWITCHBOARD_DATA")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Exec {
            process: child,
            stdin,
            stdout,
        }
    }

    /// Sends `n` notes and waits for each to be acknowledged.
    fn notes(&mut self, call: &str, first: u64, n: u64) {
        for i in first..first + n {
            writeln!(self.stdin, "note {call} note-{i}").unwrap();
        }
        self.stdin.flush().unwrap();
        for i in first..first + n {
            let mut line = String::new();
            self.stdout.read_line(&mut line).unwrap();
            assert!(line.trim_end().ends_with(&format!("note-{i}")), "{line:?}");
        }
    }

    fn kill(mut self) {
        self.process.kill().unwrap();
        let status = self.process.wait().unwrap();
        assert_eq!(status.signal(), Some(9));
    }
}

/// Every note numbered in `acked` is in the log.
fn assert_notes(dir: &Path, acked: &[std::ops::Range<u64>]) {
    let store = Store::open(dir, StoreKind::Live).unwrap();
    let mut have: Vec<u64> = store
        .load()
        .unwrap()
        .iter()
        .filter_map(|e| match &e.body {
            Body::NoteAdded { text, .. } => text.strip_prefix("note-")?.parse().ok(),
            _ => None,
        })
        .collect();
    have.sort_unstable();
    have.dedup();
    let gone = acked
        .iter()
        .flat_map(Clone::clone)
        .find(|n| have.binary_search(n).is_err());
    assert_eq!(gone, None, "an acknowledged note is gone");
}

/// What `verify` says about the checkpoint: `(at N events, M after it)`.
fn verify_says(dir: &Path) -> String {
    let out = run(dir, &["verify"]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    said
}

#[test]
fn sigkill_right_after_during_and_between_checkpoints_reopens_to_a_full_fold() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("data");
    let out = run(
        &dir,
        &[
            "exec",
            "unit add STAR-1 clinician,medic",
            "call 1 Main St / crash test",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let call = String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_owned();
    let setup = digest_full(&dir).1 as u64;
    let mut next = 0;
    let mut acked = Vec::new();

    // Killed right after a checkpoint: the note that made it due was acknowledged after it.
    let mut child = Exec::spawn(&dir);
    child.notes(&call, next, CHECKPOINT_EVERY);
    acked.push(next..next + CHECKPOINT_EVERY);
    next += CHECKPOINT_EVERY;
    child.kill();
    let at = setup + CHECKPOINT_EVERY;
    let said = verify_says(&dir);
    assert!(
        said.contains(&format!("(at {at} events, 0 after it)")),
        "{said}"
    );
    assert_eq!(digest_cli(&dir), digest_full(&dir).0);
    assert_notes(&dir, &acked);

    // Killed between a checkpoint and its tail.
    let mut child = Exec::spawn(&dir);
    child.notes(&call, next, CHECKPOINT_EVERY + 37);
    acked.push(next..next + CHECKPOINT_EVERY + 37);
    next += CHECKPOINT_EVERY + 37;
    child.kill();
    let at = setup + 2 * CHECKPOINT_EVERY;
    let (mut desk, from) = reopen(&dir);
    assert_eq!(
        from,
        Some(at),
        "resumed from the checkpoint after the crash"
    );
    assert_eq!(desk.event_count(), at + 37);
    assert_full_fold(&mut desk);
    drop(desk);
    assert_eq!(digest_cli(&dir), digest_full(&dir).0);
    assert_notes(&dir, &acked);

    // Killed at random moments while notes stream in, some during a checkpoint's write.
    for round in 0..6 {
        let mut rng = Rng::seeded(round);
        let mut child = Exec::spawn(&dir);
        let n = rng.between(400, 520);
        child.notes(&call, next, n);
        acked.push(next..next + n);
        next += n;
        let more = rng.between(1, 200);
        for i in 0..more {
            let _ = writeln!(child.stdin, "note {call} note-{}", next + i);
        }
        let _ = child.stdin.flush();
        std::thread::sleep(std::time::Duration::from_millis(rng.between(0, 40)));
        child.kill();
        next += more;
        assert_eq!(digest_cli(&dir), digest_full(&dir).0, "round {round}");
        assert_notes(&dir, &acked);
        let (mut desk, _) = reopen(&dir);
        assert_full_fold(&mut desk);
    }
}

// ---- The property: random shifts on two desks, checkpoints at random points, late events ----

#[derive(Clone, Debug)]
enum Op {
    /// A command line at desk 0 or 1.
    Local(usize, String),
    /// Desk `to` takes every event of desk `from` it lacks.
    Sync(usize),
    /// A desk's clock moves on (ms).
    Tick(usize, i64),
    /// A desk is closed cleanly (writing a checkpoint) or dropped, and opened again.
    Restart(usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..2, shift::line()).prop_map(|(n, l)| Op::Local(n, l)),
        1 => (0usize..2).prop_map(Op::Sync),
        1 => (0usize..2, 1i64..120_000).prop_map(|(n, ms)| Op::Tick(n, ms)),
        // Days on: the calls closed before are let go at the next checkpoint.
        1 => (0usize..2, DAY_MS..3 * DAY_MS).prop_map(|(n, ms)| Op::Tick(n, ms)),
        1 => (0usize..2, any::<bool>()).prop_map(|(n, clean)| Op::Restart(n, clean)),
    ]
}

struct Node {
    dir: PathBuf,
    id: ReplicaId,
    clock: ManualClock,
    every: u64,
    desk: Option<Desk>,
}

impl Node {
    fn open(&mut self) {
        let store = Store::open_as(&self.dir, StoreKind::Live, Some(self.id)).unwrap();
        let desk = Desk::open(store, Box::new(self.clock.clone()), "op")
            .unwrap()
            .with_checkpoint_every(Some(self.every));
        // The digest from what the open let go; the calls are read back in the property's
        // own checks only, so that commands meet let-go calls too.
        let mut events = desk.store().unwrap().load().unwrap();
        events.sort_by_key(switchboard::domain::Event::fold_key);
        assert_eq!(desk.state().digest(), State::fold(events).digest());
        self.desk = Some(desk);
    }

    fn desk(&mut self) -> &mut Desk {
        self.desk.as_mut().unwrap()
    }
}

/// Returns how many opens resumed from a checkpoint, how many syncs brought late events, and
/// how many let-go calls the checks read back.
fn play(skew: i64, every: [u64; 2], ops: &[Op]) -> (usize, usize, usize) {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut nodes: Vec<Node> = (0..2)
        .map(|i| Node {
            dir: dirs[i].path().to_owned(),
            id: ReplicaId(i as u64 + 1),
            // Desk 1's clock is behind: what it does before it hears from desk 0 sorts early.
            clock: ManualClock::at(START_MS - if i == 1 { skew } else { 0 }),
            every: every[i],
            desk: None,
        })
        .collect();
    for n in &mut nodes {
        n.open();
    }
    let (mut resumed, mut late, mut let_go) = (0, 0, 0);
    for op in ops {
        match op {
            Op::Local(n, line) => {
                let desk = nodes[*n].desk();
                let state = desk.state();
                // The let-go calls first: `#0` names one when there is one.
                let ids: Vec<String> = state
                    .let_go_calls()
                    .keys()
                    .chain(state.calls.keys())
                    .map(ToString::to_string)
                    .collect();
                let _ = desk.execute_line(&shift::refer(line, &ids));
            }
            Op::Sync(to) => {
                let from = 1 - to;
                let mut batch = Vec::new();
                let source = nodes[from].desk.as_ref().unwrap();
                let target = nodes[*to].desk.as_ref().unwrap();
                for (origin, head) in source.heads() {
                    let have = target.heads().get(origin).map_or(0, |h| h.seq);
                    if head.seq > have {
                        batch.extend(
                            source
                                .events_from(*origin, have + 1, usize::MAX, usize::MAX)
                                .unwrap(),
                        );
                    }
                }
                let before = nodes[*to].desk().state().last_hlc();
                let received = nodes[*to].desk().receive(&batch).unwrap();
                if received.accepted.iter().any(|e| e.hlc < before) {
                    late += 1;
                }
                let_go += assert_full_fold(nodes[*to].desk.as_mut().unwrap());
            }
            Op::Tick(n, ms) => nodes[*n].clock.advance(*ms),
            Op::Restart(n, clean) => {
                let desk = nodes[*n].desk.take().unwrap();
                if *clean {
                    desk.close().unwrap();
                } else {
                    drop(desk);
                }
                nodes[*n].open();
                if nodes[*n].desk.as_ref().unwrap().resumed_from().is_some() {
                    resumed += 1;
                }
            }
        }
    }
    for n in &mut nodes {
        let_go += assert_full_fold(n.desk.as_mut().unwrap());
        n.desk.take().unwrap().close().unwrap();
        n.open();
    }
    (resumed, late, let_go)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn checkpoints_at_random_points_late_events_and_restarts_fold_like_the_whole_log(
        skew in 0i64..600_000,
        every in [1u64..12, 1u64..12],
        ops in prop::collection::vec(op(), 1..60),
    ) {
        play(skew, every, &ops);
    }
}

/// The property's cases do reach what it is about: opens that resume from a checkpoint, and
/// late events that sort before one.
#[test]
fn the_property_reaches_resumed_opens_and_late_events() {
    let mut ops = Vec::new();
    for i in 0..8 {
        ops.push(Op::Local(1, format!("call {i} Elm St / early {i}")));
    }
    for i in 0..20 {
        ops.push(Op::Local(0, format!("call {i} Oak St / later {i}")));
    }
    ops.push(Op::Restart(0, true));
    ops.push(Op::Sync(0));
    ops.push(Op::Restart(0, false));
    ops.push(Op::Sync(1));
    ops.push(Op::Restart(1, true));
    // Desk 0's calls closed, two days on, a checkpoint: they are let go, and a note and a
    // reopen read two of them back, at the desk and after a restart.
    for i in 0..6 {
        ops.push(Op::Local(0, format!("close #{i} resolved")));
    }
    ops.push(Op::Tick(0, 2 * DAY_MS));
    for i in 0..5 {
        ops.push(Op::Local(0, format!("call {i} Ash St / two days on {i}")));
    }
    ops.push(Op::Restart(0, false));
    ops.push(Op::Local(0, "note #0 came back to say thanks".into()));
    ops.push(Op::Restart(0, false));
    ops.push(Op::Local(0, "reopen #1".into()));
    ops.push(Op::Sync(1));
    let (resumed, late, let_go) = play(300_000, [5, 5], &ops);
    assert!(let_go >= 2, "{let_go} let-go calls read back by the checks");
    assert!(resumed >= 3, "{resumed} resumed opens");
    assert_eq!(
        late, 1,
        "desk 1's early calls sort before desk 0's checkpoint"
    );
}

/// An open from the checkpoint reads only the tail; `verify` reads everything, and finds an
/// event before the checkpoint that is not the one its chain names.
#[test]
fn verify_finds_damage_before_the_checkpoint_in_one_line() {
    let (_scratch, dir) = demo_store("1");
    {
        let db = sled::open(dir.join("store")).unwrap();
        let log = db.open_tree("log").unwrap();
        let events: Vec<_> = log.scan_prefix(b"e").take(12).map(Result::unwrap).collect();
        // The tenth event's bytes where the ninth's were: each still decodes.
        log.insert(&events[9].0, events[10].1.clone()).unwrap();
        db.flush().unwrap();
    }
    let out = run(&dir, &["verify"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("is damaged: chain broken at"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(out.stdout.is_empty());
}

/// One `exec` of one command does not pay for a checkpoint at its close; a close after
/// [`CLOSE_CHECKPOINT`] events or more writes one.
#[test]
fn a_close_writes_a_checkpoint_only_after_enough_events() {
    let (_scratch, dir) = demo_store("1");
    let events = digest_full(&dir).1 as u64;
    let call = {
        let (desk, _) = reopen(&dir);
        desk.state().queue()[0].id.to_string()
    };
    let kept = std::fs::read(checkpoint_file(&dir)).unwrap();
    let out = run(&dir, &["exec", &format!("note {call} one more")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read(checkpoint_file(&dir)).unwrap() == kept,
        "one command's close wrote a checkpoint"
    );
    assert_eq!(reopen(&dir).1, Some(events));

    let notes: Vec<String> = (0..CLOSE_CHECKPOINT)
        .map(|i| format!("note {call} note {i}"))
        .collect();
    let mut args = vec!["exec"];
    args.extend(notes.iter().map(String::as_str));
    let out = run(&dir, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(reopen(&dir).1, Some(events + 1 + CLOSE_CHECKPOINT));
}

/// A peer's event that sorts before the newest checkpoint is folded from the newest kept one
/// it sorts after: the open folds a short tail, not the whole log.
#[test]
fn a_late_event_is_folded_from_the_newest_kept_checkpoint_it_sorts_after() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let clock = ManualClock::at(START_MS);
    let open = |i: usize, clock: &ManualClock| {
        let store = Store::open_as(
            dirs[i].path(),
            StoreKind::Live,
            Some(ReplicaId(i as u64 + 1)),
        )
        .unwrap();
        Desk::open(store, Box::new(clock.clone()), "op")
            .unwrap()
            .with_checkpoint_every(Some(5))
    };
    let mut here = open(0, &clock);
    for i in 0..10 {
        here.execute_line(&format!("call {i} Oak St / early {i}"))
            .unwrap();
    }
    clock.advance(10 * 60_000);
    for i in 0..10 {
        here.execute_line(&format!("call {i} Elm St / later {i}"))
            .unwrap();
    }
    // The peer's clock sits between the two halves.
    let peer_clock = ManualClock::at(START_MS + 5 * 60_000);
    let mut peer = open(1, &peer_clock);
    peer.execute_line("call 9 Ash St / from the peer").unwrap();
    let batch = peer
        .events_from(ReplicaId(2), 1, usize::MAX, usize::MAX)
        .unwrap();
    let received = here.receive(&batch).unwrap();
    assert_eq!(received.accepted.len(), batch.len());
    let from = here.resumed_from().expect("folded from a kept checkpoint");
    assert!(
        (10..20).contains(&from),
        "from the checkpoint at {from} events, of {}",
        here.event_count()
    );
    assert_full_fold(&mut here);
}

/// A child `exec` killed with SIGKILL around the checkpoint that lets go of 120 calls closed
/// three days before (their records being written, the checkpoint after them, or neither yet)
/// reopens to a full fold with every acknowledged note, and some rounds reopen with the calls
/// let go.
#[test]
fn sigkill_while_closed_calls_are_let_go_reopens_to_a_full_fold() {
    use crate::common::desk::take;

    let scratch = tempfile::tempdir().unwrap();
    let template = scratch.path().join("template");
    let call = {
        let store = Store::open(&template, StoreKind::Live).unwrap();
        let days_ago = chrono::Utc::now().timestamp_millis() - 3 * DAY_MS;
        let clock = ManualClock::at(days_ago);
        let mut d = Desk::open(store, Box::new(clock), "setup")
            .unwrap()
            .with_checkpoint_every(None);
        let open = take(&mut d, "call 1 Main St / stays open");
        for i in 0..120 {
            let id = take(&mut d, &format!("call {i} Elm St / closed three days ago"));
            d.execute_line(&format!("close {id} resolved")).unwrap();
        }
        // Its checkpoint lets nothing go: by the clock it was written with, they just closed.
        d.close().unwrap();
        open.to_string()
    };
    let mut let_go = 0;
    for round in 0..4 {
        let dir = scratch.path().join(format!("round-{round}"));
        let copied = Command::new("cp")
            .arg("-r")
            .arg(&template)
            .arg(&dir)
            .status()
            .unwrap();
        assert!(copied.success());
        let mut rng = Rng::seeded(100 + round);
        let mut child = Exec::spawn(&dir);
        // The checkpoint, and the 120 calls let go before it, come due at the 500th event.
        let n = rng.between(490, 500);
        child.notes(&call, 0, n);
        for i in 0..rng.between(5, 30) {
            let _ = writeln!(child.stdin, "note {call} note-{}", n + i);
        }
        let _ = child.stdin.flush();
        std::thread::sleep(std::time::Duration::from_millis(rng.between(0, 30)));
        child.kill();
        // Opened in process first: a clean close (the CLI's) would let them go itself.
        let (mut desk, _) = reopen(&dir);
        let_go += assert_full_fold(&mut desk);
        drop(desk);
        assert_eq!(digest_cli(&dir), digest_full(&dir).0, "round {round}");
        assert_notes(&dir, std::slice::from_ref(&(0..n)));
    }
    assert!(let_go > 0, "no round reopened with calls the child let go");
}
