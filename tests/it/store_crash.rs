//! Crash test on real sled (design §4, §8): a child `switchboard exec` appends notes and prints
//! one line per commit; it is killed with SIGKILL at a random moment, over and over, on the same
//! data dir. Every note the child acknowledged must survive, and the log must still verify.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use switchboard::domain::Body;
use switchboard::store::{Store, StoreKind};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const ROUNDS: u64 = 40;

/// xorshift64*: small, deterministic, no dependency.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn seeded(round: u64) -> Self {
        // splitmix64 of the round, so neighbouring seeds give unrelated streams (never zero).
        let mut z = round.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn spawn(dir: &Path, scratch: &Path) -> (Child, ChildStdin, BufReader<ChildStdout>) {
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(dir)
        .arg("exec")
        .env("SWITCHBOARD_DATA", scratch.join("decoy-env-data"))
        .env("SWITCHBOARD_OPERATOR", "crash-test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn switchboard exec");
    let stdin = child.stdin.take().expect("stdin");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    (child, stdin, stdout)
}

fn send(stdin: &mut ChildStdin, line: &str) {
    stdin.write_all(line.as_bytes()).expect("write to child");
    stdin.write_all(b"\n").expect("write to child");
    stdin.flush().expect("flush to child");
}

fn read_line(stdout: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read from child");
    assert!(line.ends_with('\n'), "child ended early, after {line:?}");
    line
}

/// Parses `… note: ack-<n>` from one acknowledgement line.
fn ack_number(line: &str) -> u64 {
    let (_, n) = line
        .trim_end()
        .rsplit_once("ack-")
        .unwrap_or_else(|| panic!("not an ack: {line:?}"));
    n.parse().unwrap_or_else(|_| panic!("not an ack: {line:?}"))
}

/// What one killed child sent and acknowledged.
struct Round {
    first: u64,
    /// One past the last note number written to the pipe (maybe never read by the child).
    end: u64,
    acked: Vec<u64>,
}

#[test]
fn acknowledged_notes_survive_sigkill() {
    let started = Instant::now();
    let scratch = tempfile::tempdir().expect("temp dir");
    let dir = scratch.path().join("store");
    let mut call_id: Option<String> = None;
    let mut next_note = 1u64;
    let mut rounds: Vec<Round> = Vec::new();

    for round in 0..ROUNDS {
        let mut rng = Rng::seeded(round);
        let delay = Duration::from_millis(rng.between(5, 200));
        let (mut child, mut stdin, mut stdout) = spawn(&dir, scratch.path());

        // Round one sets the scene and learns the call id; later rounds continue on that call.
        if call_id.is_none() {
            send(&mut stdin, "unit add STAR-1 clinician,medic");
            send(&mut stdin, "call 1 Main St / crash test");
            assert!(read_line(&mut stdout).starts_with("STAR-1 added"));
            let line = read_line(&mut stdout);
            let id = line.split(' ').next().expect("call id").to_owned();
            assert!(
                line.starts_with(&format!("{id} taken: 1 Main St / crash test")),
                "{line:?}"
            );
            call_id = Some(id);
        }
        let call = call_id.clone().expect("the call id from round one");

        let first = next_note;
        let writer = thread::spawn(move || {
            let mut n = first;
            // Ends when the pipe breaks, i.e. when the child is dead.
            while stdin
                .write_all(format!("note {call} ack-{n}\n").as_bytes())
                .is_ok()
            {
                n += 1;
            }
            n
        });
        let (first_ack, committing) = std::sync::mpsc::channel();
        let reader = thread::spawn(move || {
            let mut acked = Vec::new();
            let mut line = String::new();
            while stdout.read_line(&mut line).is_ok_and(|read| read > 0) {
                // A torn last line cannot happen (lines are written whole), but never count one.
                if line.ends_with('\n') {
                    acked.push(ack_number(&line));
                    let _ = first_ack.send(());
                }
                line.clear();
            }
            acked
        });

        // Even rounds count the delay from the start, so some kills land while the child opens
        // the store; odd ones from its first commit, so that a loaded machine, slow to start a
        // process, still kills most children in the middle of writing.
        if round % 2 == 1 {
            let _ = committing.recv_timeout(Duration::from_secs(10));
        }
        thread::sleep(delay);
        let early = child.try_wait().expect("poll child");
        assert!(
            early.is_none(),
            "round {round}: child exited by itself: {early:?}: {}",
            stderr_of(&mut child)
        );
        child.kill().expect("SIGKILL the child");
        let status = child.wait().expect("reap child");
        assert_eq!(status.signal(), Some(9), "round {round}: {status:?}");
        let end = writer.join().expect("writer thread");
        let acked = reader.join().expect("reader thread");
        assert!(
            acked.iter().copied().eq(first..first + acked.len() as u64),
            "round {round}: acks out of order: {acked:?}"
        );
        next_note = end;
        rounds.push(Round { first, end, acked });

        verify(&dir, &rounds, round);
    }

    let acked: usize = rounds.iter().map(|r| r.acked.len()).sum();
    // Short delays kill the child while it is still opening the store, which is worth testing
    // too; but many rounds must commit something for the test to mean much.
    let productive = rounds.iter().filter(|r| !r.acked.is_empty()).count();
    assert!(
        productive >= ROUNDS as usize / 4,
        "only {productive} of {ROUNDS} rounds committed anything; the test proves little"
    );
    assert!(
        acked >= 100,
        "only {acked} notes acknowledged in all rounds"
    );

    // The binary opens the crashed-and-reopened store too, and agrees with the library.
    let out = Command::new(BIN)
        .arg("--data")
        .arg(&dir)
        .args(["log", "--json"])
        .env("SWITCHBOARD_DATA", scratch.path().join("decoy-env-data"))
        .output()
        .expect("run switchboard log");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(&dir, StoreKind::Live).expect("open");
    let events = store.load().expect("load");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        events.len()
    );
    drop(store);
    assert!(!scratch.path().join("decoy-env-data").exists());
    let per_round: Vec<usize> = rounds.iter().map(|r| r.acked.len()).collect();
    eprintln!(
        "{ROUNDS} rounds, {acked} acknowledged notes {per_round:?}, {} events, {:?}",
        events.len(),
        started.elapsed()
    );
}

fn stderr_of(child: &mut Child) -> String {
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut err);
    }
    err
}

/// Reopens the store through the library and checks the log against what was acknowledged.
fn verify(dir: &Path, rounds: &[Round], round: u64) {
    let store = Store::open(dir, StoreKind::Live)
        .unwrap_or_else(|e| panic!("round {round}: store does not open after SIGKILL: {e}"));
    let events = store
        .load()
        .unwrap_or_else(|e| panic!("round {round}: store does not verify after SIGKILL: {e}"));
    assert_eq!(
        store.blob_count(),
        0,
        "round {round}: sled wrote blob files"
    );
    let origin = store.replica();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert!(
        seqs.iter().copied().eq(1..=events.len() as u64),
        "round {round}: seqs are not dense from 1: {seqs:?}"
    );
    assert!(
        events.iter().all(|e| e.origin == origin),
        "round {round}: a foreign origin appeared"
    );
    assert_eq!(
        store.head(origin).seq,
        events.len() as u64,
        "round {round}: head"
    );
    // The desk records the limits it plans with along with its first change.
    assert!(
        matches!(
            events.first().map(|e| &e.body),
            Some(Body::LimitsRecorded { .. })
        ),
        "round {round}: the first event is not the limits in force"
    );
    assert!(
        matches!(events.get(1).map(|e| &e.body), Some(Body::UnitAdded { .. })),
        "round {round}: the second event is not the unit"
    );
    assert!(
        matches!(
            events.get(2).map(|e| &e.body),
            Some(Body::CallCreated { .. })
        ),
        "round {round}: the third event is not the call"
    );

    let mut present = Vec::new();
    for e in &events[3..] {
        let Body::NoteAdded { text, .. } = &e.body else {
            panic!("round {round}: unexpected event {:?}", e.body);
        };
        present.push(ack_number(text));
    }
    let unique: BTreeSet<u64> = present.iter().copied().collect();
    assert_eq!(
        unique.len(),
        present.len(),
        "round {round}: a note was stored twice"
    );
    assert!(
        present.windows(2).all(|w| w[0] < w[1]),
        "round {round}: notes out of order"
    );

    for (i, r) in rounds.iter().enumerate() {
        for n in &r.acked {
            assert!(
                unique.contains(n),
                "round {round}: acknowledged ack-{n} of round {i} is lost"
            );
        }
        // A child runs its lines in order, so what it committed is a prefix of what it was sent.
        let committed: Vec<u64> = unique.range(r.first..r.end).copied().collect();
        assert!(
            committed
                .iter()
                .copied()
                .eq(r.first..r.first + committed.len() as u64),
            "round {round}: round {i} committed with a hole: {committed:?}"
        );
    }
    let last_end = rounds.last().map_or(1, |r| r.end);
    assert!(
        unique.range(last_end..).next().is_none(),
        "round {round}: a note nobody sent"
    );
    drop(store);
}
