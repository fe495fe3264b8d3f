//! The scriptable command line, through the real binary: `exec`, `log` and `state`.
//!
//! Every run passes an explicit `--data` inside a temp dir and also points `SWITCHBOARD_DATA` at a
//! temp path that must never be created, so no test can touch a real store.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const OPERATOR: &str = "tester";

/// A store in a temp dir, and a decoy `SWITCHBOARD_DATA` that must stay untouched.
struct Sandbox {
    tmp: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Sandbox {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn data(&self) -> PathBuf {
        self.tmp.path().join("store")
    }

    fn decoy(&self) -> PathBuf {
        self.tmp.path().join("decoy-env-data")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data")
            .arg(self.data())
            .args(args)
            .env("SWITCHBOARD_DATA", self.decoy())
            .env("SWITCHBOARD_OPERATOR", OPERATOR)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run switchboard")
    }

    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("spawn switchboard");
        {
            let mut stdin = child.stdin.take().expect("stdin");
            // A child that stops at a refusal may close its stdin before reading all of it.
            if let Err(e) = stdin.write_all(input) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
            }
        }
        child.wait_with_output().expect("wait for switchboard")
    }

    /// Runs `exec` with one argument per command line; all must succeed. Returns stdout lines.
    fn exec_ok(&self, lines: &[&str]) -> Vec<String> {
        let mut args = vec!["exec"];
        args.extend_from_slice(lines);
        let out = self.run(&args);
        assert_success(&out, &format!("exec {lines:?}"));
        stdout_lines(&out)
    }

    /// Runs one `call`/`backup` line and returns the id it printed first.
    fn take_call(&self, line: &str) -> String {
        let said = self.exec_ok(&[line]);
        assert_eq!(said.len(), 1, "one line per command: {said:?}");
        call_id_prefix(&said[0])
            .unwrap_or_else(|| panic!("`{line}` printed {:?}, not `<call id> …`", said[0]))
    }

    fn state_json(&self) -> Value {
        let out = self.run(&["state", "--json"]);
        assert_success(&out, "state --json");
        serde_json::from_slice(&out.stdout).expect("state --json is JSON")
    }

    fn digest(&self) -> String {
        let out = self.run(&["state", "--digest"]);
        assert_success(&out, "state --digest");
        let digest = String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned();
        assert_eq!(digest.len(), 64, "a sha-256 hex digest: {digest:?}");
        assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()), "{digest:?}");
        digest
    }

    fn log_json(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["log", "--json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        assert_success(&out, &format!("{args:?}"));
        stdout_lines(&out)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// What a refused command must leave unchanged.
    fn fingerprint(&self) -> (String, usize) {
        (self.digest(), self.log_json(&[]).len())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(
                !self.decoy().exists(),
                "$SWITCHBOARD_DATA was used although --data was given"
            );
        }
    }
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn stderr_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed with {:?}: {}",
        out.status,
        stderr_text(out)
    );
}

/// A failure must say why in exactly one line on stderr, and exit non-zero.
fn assert_one_line_failure(out: &Output, what: &str) -> String {
    let err = stderr_text(out);
    assert!(
        !out.status.success(),
        "{what} should fail; stdout: {:?}",
        stdout_lines(out)
    );
    assert!(
        err.ends_with('\n'),
        "{what}: stderr is not a complete line: {err:?}"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: stderr must be exactly one line: {err:?}"
    );
    assert!(!lines[0].trim().is_empty(), "{what}: stderr line is blank");
    lines[0].to_owned()
}

/// `^\d\d-[A-Z]{2}\d{4,} ` — returns the call id a line starts with.
fn call_id_prefix(line: &str) -> Option<String> {
    let (id, _) = line.split_once(' ')?;
    let b = id.as_bytes();
    let ok = b.len() >= 9
        && b[..2].iter().all(u8::is_ascii_digit)
        && b[2] == b'-'
        && b[3..5].iter().all(u8::is_ascii_uppercase)
        && b[5..].iter().all(u8::is_ascii_digit);
    ok.then(|| id.to_owned())
}

#[test]
fn call_id_prefix_matches_only_call_ids() {
    assert_eq!(
        call_id_prefix("26-KQ0007 taken: x").as_deref(),
        Some("26-KQ0007")
    );
    assert_eq!(call_id_prefix("26-KQ0007"), None);
    assert_eq!(call_id_prefix("STAR-1 added to roster"), None);
    assert_eq!(call_id_prefix("26-kq0007 taken"), None);
    assert_eq!(call_id_prefix("26-KQ007 taken"), None);
}

#[test]
fn a_shift_from_the_shell() {
    let sb = Sandbox::new();
    let roster = sb.exec_ok(&[
        "unit add STAR-1 clinician,medic",
        "unit add STAR-2 peer,emt",
    ]);
    assert_eq!(roster.len(), 2, "one line per command: {roster:?}");

    let a = sb.take_call("call 1 Main St / man shouting at traffic --caller Jo Smith");
    let b = sb.take_call("call 5th & Pine / sleeping in doorway --type welfare");
    assert_ne!(a, b);
    assert_private(&sb.data());

    sb.exec_ok(&[&format!("dp STAR-1 {a}")]);
    sb.exec_ok(&[&format!("dp STAR-2 {b}")]);
    sb.exec_ok(&["ons STAR-1"]);
    sb.exec_ok(&[&format!("note {a} calm now, talking with the clinician")]);
    sb.exec_ok(&["avl STAR-1"]);
    let closed = sb.exec_ok(&[&format!("close {a} referred-988")]);
    assert_eq!(closed.len(), 1);
    assert!(closed[0].contains(&a), "{closed:?}");

    let state = sb.state_json();
    let call_a = &state["calls"][&a];
    assert_eq!(call_a["status"], "closed", "{call_a:#}");
    assert_eq!(call_a["disposition"], "referred-988", "{call_a:#}");
    assert!(call_a["closed_ms"].is_i64(), "{call_a:#}");
    assert_eq!(call_a["location"], "1 Main St");
    assert_eq!(call_a["nature"], "man shouting at traffic");
    assert_eq!(call_a["caller"], "Jo Smith");
    assert_eq!(
        call_a["notes"][0]["text"],
        "calm now, talking with the clinician"
    );
    assert_eq!(call_a["notes"][0]["operator"], OPERATOR);
    let assignments = call_a["assignments"].as_array().expect("assignments");
    assert_eq!(assignments.len(), 1, "{call_a:#}");
    assert_eq!(assignments[0]["unit"], "STAR-1");
    assert!(assignments[0]["on_scene_ms"].is_i64(), "{call_a:#}");
    assert!(assignments[0]["cleared_ms"].is_i64(), "{call_a:#}");

    let call_b = &state["calls"][&b];
    assert_eq!(call_b["status"], "dispatched", "{call_b:#}");
    assert_eq!(call_b["disposition"], Value::Null);
    assert_eq!(state["units"]["STAR-1"]["status"], "AVL");
    assert_eq!(state["units"]["STAR-1"]["call"], Value::Null);
    assert_eq!(state["units"]["STAR-2"]["status"], "DSP");
    assert_eq!(state["units"]["STAR-2"]["call"], b.as_str());

    // The whole log: one JSON object per line with the documented keys, one origin, dense seqs.
    let log = sb.log_json(&[]);
    assert_eq!(
        log.len(),
        11,
        "the limits in force + 2 units + 2 calls + 2 dp + ons + note + avl + close"
    );
    let origin = log[0]["origin"]
        .as_str()
        .expect("origin is a string")
        .to_owned();
    assert_eq!(origin.len(), 16, "{origin}");
    for (i, e) in log.iter().enumerate() {
        let obj = e
            .as_object()
            .unwrap_or_else(|| panic!("line {i} is not an object: {e}"));
        for key in ["time", "operator", "origin", "seq", "change"] {
            assert!(obj.contains_key(key), "log line {i} lacks {key}: {e}");
        }
        let time = e["time"]
            .as_str()
            .unwrap_or_else(|| panic!("time is not a string: {e}"));
        chrono::DateTime::parse_from_rfc3339(time).unwrap_or_else(|err| panic!("{time}: {err}"));
        assert_eq!(e["operator"], OPERATOR);
        assert_eq!(e["origin"], origin.as_str());
        assert_eq!(
            e["seq"].as_u64(),
            Some(i as u64 + 1),
            "seqs are dense from 1: {e}"
        );
        assert!(e["change"].is_string(), "{e}");
    }
    // The desk records the limits it plans with before its first change (in one batch).
    assert!(
        log[0]["change"]
            .as_str()
            .is_some_and(|c| c.starts_with("limits in force at this desk: pending alarms P1 2")),
        "{}",
        log[0]
    );
    assert!(
        log[1]["change"]
            .as_str()
            .is_some_and(|c| c.starts_with("STAR-1 ")),
        "{}",
        log[1]
    );
    assert!(
        log[10]["change"]
            .as_str()
            .is_some_and(|c| c.starts_with(&a)),
        "{}",
        log[10]
    );

    // One call's chronology: exactly the events that concern it, in order.
    let only_a = sb.log_json(&["--call", &a]);
    let expected: Vec<&Value> = log
        .iter()
        .filter(|e| e["change"].as_str().is_some_and(|c| c.contains(&a)))
        .collect();
    assert_eq!(only_a.iter().collect::<Vec<_>>(), expected);
    assert_eq!(
        only_a.len(),
        6,
        "taken, dp, ons, note, avl, closed: {only_a:#?}"
    );
    for e in &only_a {
        let change = e["change"].as_str().expect("change");
        assert!(
            !change.contains(&b),
            "{b} leaked into the log of {a}: {change}"
        );
        assert!(!change.contains("added to roster"), "{change}");
    }
    // The human form lists the same events, and the id may be typed in lower case.
    let text = sb.run(&["log", "--call", &a.to_ascii_lowercase()]);
    assert_success(&text, "log --call");
    let text = stdout_lines(&text);
    assert_eq!(text.len(), 6, "{text:#?}");
    assert!(
        text.iter().all(|l| l.contains(&a) && l.contains(OPERATOR)),
        "{text:#?}"
    );
    assert_eq!(
        sb.log_json(&["--call", &b]).len(),
        2,
        "taken and dispatched"
    );
}

#[test]
fn exec_prints_what_log_records() {
    let sb = Sandbox::new();
    let said = sb.exec_ok(&[
        "unit add STAR-1 medic",
        "call 9 Oak Ave / crying on a bench",
        "dp STAR-1 1",
        "note 1 \"quoted  text\" with \\ backslash",
    ]);
    let changes: Vec<String> = sb
        .log_json(&[])
        .iter()
        .map(|e| e["change"].as_str().expect("change").to_owned())
        .collect();
    // The log also holds what the desk recorded for itself first: the limits in force.
    assert!(
        changes[0].starts_with("limits in force at this desk"),
        "{changes:?}"
    );
    assert_eq!(said, changes[1..]);
    assert!(
        said[3].ends_with("note: quoted  text with \\ backslash"),
        "{said:?}"
    );
}

#[test]
fn exec_from_stdin_skips_comments_and_stops_at_the_first_refusal() {
    let sb = Sandbox::new();
    let script = "# start of shift\n\
                  unit add STAR-1 clinician,medic\n\
                  \n\
                  \x20  \n\
                  call 12 Main St / man shouting\n\
                  \x20   # an indented comment\n\
                  note 1 first note\n\
                  fly to the moon\n\
                  note 1 never written\n\
                  unit add STAR-2 peer\n";
    let out = sb.run_stdin(&["exec"], script.as_bytes());
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr_text(&out));
    let err = assert_one_line_failure(&out, "exec with a bad line 8");
    assert!(
        err.contains("line 8: "),
        "the reason names the line number: {err}"
    );
    assert!(err.contains("fly"), "{err}");
    let said = stdout_lines(&out);
    assert_eq!(
        said.len(),
        3,
        "three commands ran before the refusal: {said:?}"
    );
    let id = call_id_prefix(&said[1]).expect("the call line starts with its id");

    let state = sb.state_json();
    let units: Vec<&String> = state["units"].as_object().expect("units").keys().collect();
    assert_eq!(units, ["STAR-1"], "nothing after the refusal ran");
    let notes = state["calls"][&id]["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["text"], "first note");
    assert_eq!(sb.log_json(&[]).len(), 4, "the limits in force, then three");

    // Comments and blanks only: nothing to do, success.
    let out = sb.run_stdin(&["exec"], b"# nothing\n\n   \n#still nothing\n");
    assert_success(&out, "exec of comments");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    assert_eq!(sb.log_json(&[]).len(), 4);

    // A last line without a newline runs too, and CRLF line ends are accepted.
    let out = sb.run_stdin(&["exec"], b"unit add STAR-2 peer\r\nunit add STAR-3 emt");
    assert_success(&out, "exec without a final newline");
    assert_eq!(stdout_lines(&out).len(), 2);
    assert_eq!(
        sb.state_json()["units"]
            .as_object()
            .map(serde_json::Map::len),
        Some(3)
    );
}

#[test]
fn backup_creates_a_linked_child_call() {
    let sb = Sandbox::new();
    sb.exec_ok(&["unit add STAR-1 clinician,medic"]);
    let parent = sb.take_call("call 40 Colfax Ave / man with a knife, threatening himself");
    sb.exec_ok(&[&format!("dp STAR-1 {parent}"), "ons STAR-1"]);
    let child = sb.take_call(&format!("backup {parent} police"));
    assert_ne!(child, parent);

    let state = sb.state_json();
    let c = &state["calls"][&child];
    assert!(c.is_object(), "the child call exists: {state:#}");
    assert_eq!(
        c["backup_for"],
        serde_json::json!([parent, "police"]),
        "{c:#}"
    );
    assert_eq!(c["links"], serde_json::json!([parent]), "{c:#}");
    assert_eq!(c["location"], "40 Colfax Ave");
    assert_eq!(c["priority"], 1, "backup is the most urgent call");
    assert_ne!(c["status"], "closed");
    let p = &state["calls"][&parent];
    assert_eq!(p["links"], serde_json::json!([child]), "{p:#}");
    assert_eq!(p["backup_for"], Value::Null);

    // The parent's chronology shows the request; the child's shows its creation and the link.
    let parent_log = sb.log_json(&["--call", &parent]);
    assert!(
        parent_log
            .iter()
            .any(|e| e["change"].as_str().is_some_and(|s| s.contains(&child))),
        "{parent_log:#?}"
    );
    assert_eq!(
        sb.log_json(&["--call", &child]).len(),
        2,
        "created, backup requested"
    );
}

/// One bad command, given as an `exec` argument or on stdin, and words its refusal must name.
struct Bad {
    line: String,
    stdin: Option<Vec<u8>>,
    words: Vec<String>,
}

impl Bad {
    fn line(line: &str, words: &[&str]) -> Self {
        Bad {
            line: line.to_owned(),
            stdin: None,
            words: words.iter().map(|w| (*w).to_owned()).collect(),
        }
    }

    fn stdin(bytes: Vec<u8>, words: &[&str]) -> Self {
        Bad {
            line: String::new(),
            stdin: Some(bytes),
            words: words.iter().map(|w| (*w).to_owned()).collect(),
        }
    }

    /// The start of the input, for messages.
    fn shown(&self) -> Vec<u8> {
        let bytes = self.stdin.as_deref().unwrap_or(self.line.as_bytes());
        bytes[..bytes.len().min(40)].to_vec()
    }
}

#[test]
fn bad_input_is_refused_in_one_line_and_changes_nothing() {
    let sb = Sandbox::new();
    sb.exec_ok(&[
        "unit add STAR-1 clinician,medic",
        "unit add STAR-2 peer,emt",
    ]);
    let a = sb.take_call("call 1 Main St / man shouting");
    let b = sb.take_call("call 2 Elm St / woman sleeping in the rain");
    sb.exec_ok(&[&format!("dp STAR-1 {a}"), "ons STAR-1"]);
    let before = sb.fingerprint();

    let long_note = format!("note {a} {}", "x".repeat(3_000));
    let big_note = format!("note {a} {}", "x".repeat(100_000));
    let cases = [
        Bad::line("fly STAR-1", &["fly"]),
        Bad::line("note 26-ZZ9999 hello", &["26-ZZ9999"]),
        Bad::line("note 99 hello", &["99"]),
        Bad::line("dp STAR-2 26-ZZ9999", &["26-ZZ9999"]),
        Bad::line(&format!("dp NOPE-9 {b}"), &["NOPE-9"]),
        Bad::line("ons NOPE-9", &["NOPE-9"]),
        Bad::line("dp STAR-2", &["dp", "usage"]),
        Bad::line(&format!("close {b}"), &["close", "usage"]),
        Bad::line("ons STAR-1 now", &["ons", "usage"]),
        Bad::line(&format!("link {a} {b} {a}"), &["link", "usage"]),
        Bad::line(&long_note, &["note", "2000"]),
        Bad::stdin(format!("{long_note}\n").into_bytes(), &["line 1", "2000"]),
        Bad::line(&big_note, &["16384-byte limit"]),
        Bad::stdin(
            format!("{big_note}\n").into_bytes(),
            &["line 1", "16384-byte limit"],
        ),
        Bad::stdin(b"\xff\xfe\n".to_vec(), &["line 1", "UTF-8"]),
        Bad::stdin(
            [format!("note {a} caf\u{e9} ").as_bytes(), b"\xff\xfe\n"].concat(),
            &["UTF-8"],
        ),
        Bad::line(&format!("note {a} \"unclosed quote"), &["quote"]),
        Bad::line(&format!("dp STAR-1 {b}"), &["STAR-1", &a, "--force"]),
        Bad::line(&format!("close {a} resolved"), &["STAR-1", &a]),
        Bad::line(&format!("close {a} happy"), &["happy"]),
        Bad::line("unit add STAR-1 medic", &["STAR-1"]),
        Bad::line(&format!("note {a} bell\u{7} ring"), &["control"]),
    ];
    for bad in &cases {
        let what = format!("exec {:?}", String::from_utf8_lossy(&bad.shown()));
        let out = match &bad.stdin {
            Some(bytes) => sb.run_stdin(&["exec"], bytes),
            None => sb.run(&["exec", bad.line.as_str()]),
        };
        let err = assert_one_line_failure(&out, &what);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{what}: printed {:?}",
            stdout_lines(&out)
        );
        assert!(
            err.len() < 1000,
            "{what}: the reason should not echo the input: {} bytes",
            err.len()
        );
        for word in &bad.words {
            assert!(
                err.contains(word.as_str()),
                "{what}: reason lacks {word:?}: {err}"
            );
        }
        assert_eq!(sb.fingerprint(), before, "{what} changed the store");
    }

    // Reading the log of a call that does not exist is refused the same way.
    for id in ["26-ZZ9999", "not-a-call"] {
        let out = sb.run(&["log", "--call", id]);
        let err = assert_one_line_failure(&out, &format!("log --call {id}"));
        assert!(err.contains(id), "{err}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            sb.fingerprint(),
            before,
            "log --call {id} changed the store"
        );
    }

    // With --force the same dispatch goes through, taking STAR-1 off the first call.
    sb.exec_ok(&[&format!("dp STAR-1 {b} --force")]);
    let state = sb.state_json();
    assert_eq!(state["units"]["STAR-1"]["call"], b.as_str());
    assert!(
        state["calls"][&a]["assignments"][0]["cleared_ms"].is_i64(),
        "{state:#}"
    );
    assert_ne!(sb.fingerprint(), before);
}

#[test]
fn a_second_process_is_told_the_store_is_in_use() {
    let sb = Sandbox::new();
    let mut holder: Child = sb
        .command(&["exec"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the holder");
    let mut stdin = holder.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(holder.stdout.take().expect("stdout"));
    stdin
        .write_all(b"unit add STAR-1 medic\n")
        .expect("feed the holder");
    stdin.flush().expect("flush");
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("read the holder's answer");
    assert!(line.starts_with("STAR-1 added"), "holder said {line:?}");

    let dir = sb.data();
    for args in [
        &["state"][..],
        &["state", "--digest"],
        &["log"],
        &["exec", "unit add STAR-2 peer"],
    ] {
        let out = sb.run(args);
        let err = assert_one_line_failure(&out, &format!("{args:?} while the store is held"));
        assert!(
            err.contains(&dir.display().to_string()),
            "names the dir: {err}"
        );
        assert!(err.contains("in use"), "says it is in use: {err}");
        assert!(
            err.contains(&holder.id().to_string()),
            "names the holder's pid: {err}"
        );
        assert!(out.stdout.is_empty());
    }

    // The holder is unharmed and still takes commands; when it ends, the store is free again.
    stdin
        .write_all(b"unit add STAR-3 peer\n")
        .expect("feed the holder");
    stdin.flush().expect("flush");
    line.clear();
    stdout
        .read_line(&mut line)
        .expect("read the holder's answer");
    assert!(line.starts_with("STAR-3 added"), "holder said {line:?}");
    drop(stdin);
    let status = holder.wait().expect("holder exits");
    assert!(status.success(), "{status:?}");

    let state = sb.state_json();
    let units: Vec<&String> = state["units"].as_object().expect("units").keys().collect();
    assert_eq!(
        units,
        ["STAR-1", "STAR-3"],
        "the refused exec wrote nothing"
    );
}

#[test]
fn digest_is_stable_across_reopen_and_follows_changes() {
    let sb = Sandbox::new();
    // `state` only reads, so it never makes a store: `exec` with nothing to run does.
    assert_success(&sb.run_stdin(&["exec"], b""), "exec making the store");
    let empty = sb.digest();
    assert_eq!(sb.digest(), empty);

    sb.exec_ok(&["unit add STAR-1 medic", "call 1 Main St / man shouting"]);
    let first = sb.digest();
    assert_ne!(first, empty);
    assert_eq!(sb.digest(), first, "same store reopened, same digest");
    let json = sb.state_json();
    assert_eq!(sb.state_json(), json);
    // `log` and `state` only read.
    sb.log_json(&[]);
    assert_eq!(sb.digest(), first);

    sb.exec_ok(&["dp STAR-1 1"]);
    let second = sb.digest();
    assert_ne!(second, first, "a command changes the digest");
    assert_eq!(sb.digest(), second);

    // A refusal changes nothing.
    let out = sb.run(&["exec", "dp STAR-1 1"]);
    assert_one_line_failure(&out, "dispatching again");
    assert_eq!(sb.digest(), second);
}

#[cfg(unix)]
fn assert_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir)
        .expect("data dir")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        mode & 0o077,
        0,
        "data dir {} is mode {mode:o}",
        dir.display()
    );
}

#[cfg(not(unix))]
fn assert_private(_: &Path) {}

#[test]
fn state_says_a_cleared_call_is_cleared_not_on_scene() {
    // Issue 12 item 8: every unit gone and no disposition yet reads `cleared`.
    let sb = Sandbox::new();
    sb.exec_ok(&["unit add STAR-1 clinician,medic"]);
    let a = sb.take_call("call 1 Main St / man shouting at traffic --pri 3");
    sb.exec_ok(&[&format!("dp STAR-1 {a}"), "ons STAR-1", "avl STAR-1"]);
    let out = sb.run(&["state"]);
    assert_success(&out, "state");
    let line = stdout_lines(&out)
        .into_iter()
        .find(|l| l.contains(&a))
        .expect("the call is listed");
    assert!(line.contains(" P3 cleared "), "{line}");
    assert!(!line.contains("on scene"), "{line}");
}
