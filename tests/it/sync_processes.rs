//! Serving desks as real processes: `serve`, attached `exec`/`log`/`state`, two desks syncing
//! over pinned TLS on 127.0.0.1, a desk killed and restarted, hostile bytes and an untrusted node
//! on the peer port, and the Unix socket kept from other local users.
//!
//! Every run passes an explicit `--data` inside a temp dir, points `SWITCHBOARD_DATA` at a decoy
//! that must stay untouched and `SWITCHBOARD_CONFIG` at an empty temp path. Served desks are
//! killed when their guard drops. No wall-clock time is asserted: waits are liveness deadlines.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
/// How long anything may take to happen (converge, close, start) before the test fails.
const DEADLINE: Duration = Duration::from_secs(30);
/// How long one command may run before it is killed and the test fails.
const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// Data dirs in a temp dir, with a decoy `SWITCHBOARD_DATA` that must stay untouched.
struct Sandbox {
    tmp: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Sandbox {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn decoy(&self) -> PathBuf {
        self.tmp.path().join("decoy-env-data")
    }

    /// The binary on `data`, isolated from the user's data, config and log settings.
    fn command(&self, program: &str, data: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .arg("--data")
            .arg(data)
            .env("SWITCHBOARD_DATA", self.decoy())
            .env("SWITCHBOARD_CONFIG", self.tmp.path().join("no-config"))
            .env("SWITCHBOARD_OPERATOR", "tester")
            .env("NO_COLOR", "1")
            .env_remove("SWITCHBOARD_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn run(&self, data: &Path, args: &[&str]) -> Output {
        finish(self.command(BIN, data, args), &format!("{args:?}"))
    }

    fn ok(&self, data: &Path, args: &[&str]) -> String {
        let out = self.run(data, args);
        assert!(
            out.status.success(),
            "`switchboard {args:?} --data {}` failed ({}): {}",
            data.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    fn id(&self, data: &Path) -> String {
        let out = self.ok(data, &["id"]);
        assert_eq!(
            out.lines().count(),
            1,
            "`id` printed more than one line: {out}"
        );
        out.trim().to_owned()
    }

    fn digest(&self, data: &Path) -> String {
        self.ok(data, &["state", "--digest"]).trim().to_owned()
    }

    /// Runs command lines on `data`; returns the id a `call` line printed first, if any.
    fn exec(&self, data: &Path, lines: &[&str]) -> Option<String> {
        let mut args = vec!["exec"];
        args.extend_from_slice(lines);
        let out = self.ok(data, &args);
        out.lines()
            .find(|l| l.contains(" taken: "))
            .and_then(|l| l.split_whitespace().next())
            .map(str::to_owned)
    }

    fn trust(&self, data: &Path, fingerprint: &str, port: u16, name: &str) {
        let addr = format!("127.0.0.1:{port}");
        self.ok(data, &["peer", "add", fingerprint, &addr, "--name", name]);
    }

    /// Starts `serve` on `data` (logging at info), and waits until its socket takes connections.
    fn serve(&self, data: &Path, listen: Option<u16>) -> Served {
        let listen = listen.map(|p| format!("127.0.0.1:{p}"));
        let mut args = vec!["serve"];
        if let Some(addr) = &listen {
            args.extend(["--listen", addr.as_str()]);
        }
        let name = data.file_name().unwrap().to_string_lossy().into_owned();
        let stderr_path = self.tmp.path().join(format!("{name}.serve.stderr"));
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_path)
            .unwrap();
        let child = self
            .command(BIN, data, &args)
            .env("SWITCHBOARD_LOG", "info")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn switchboard serve");
        let mut served = Served {
            child,
            dir: data.to_owned(),
            stderr: stderr_path,
        };
        let started = Instant::now();
        wait_for(
            &format!("`serve --data {name}` to take connections"),
            || {
                if let Some(status) = served.child.try_wait().unwrap() {
                    panic!(
                        "`serve --data {name}` exited ({status}) before serving: {}",
                        served.stderr_text()
                    );
                }
                UnixStream::connect(data.join("desk.sock"))
                    .map(drop)
                    .map_err(|e| e.to_string())
            },
        );
        eprintln!("serve {name}: ready in {:?}", started.elapsed());
        served
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(!self.decoy().exists(), "SWITCHBOARD_DATA was touched");
        }
    }
}

/// A running `serve`, killed when dropped.
struct Served {
    child: Child,
    dir: PathBuf,
    stderr: PathBuf,
}

impl Served {
    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGKILL, and reap it.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The desk's `switchboard.log` (empty if none yet).
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("switchboard.log")).unwrap_or_default()
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits for a command, killing it (and failing) if it runs past [`COMMAND_DEADLINE`].
fn finish(mut cmd: Command, what: &str) -> Output {
    let mut child = cmd.spawn().expect("spawn switchboard");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let Some(status) = crate::common::wait_at_most(&mut child, COMMAND_DEADLINE) else {
        panic!("{what} still ran after {COMMAND_DEADLINE:?}: it hangs");
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Polls `probe` until it succeeds; fails with its last complaint after [`DEADLINE`].
fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let started = Instant::now();
    loop {
        match probe() {
            Ok(t) => return t,
            Err(last) if started.elapsed() > DEADLINE => {
                panic!("waited {DEADLINE:?} for {what}; last: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

/// Waits until the two desks hold the same state; returns its digest.
fn converge(sb: &Sandbox, a: &Path, b: &Path) -> String {
    let started = Instant::now();
    let digest = wait_for("the two desks' digests to agree", || {
        let (da, db) = (sb.digest(a), sb.digest(b));
        if da == db {
            Ok(da)
        } else {
            Err(format!("A {da} vs B {db}"))
        }
    });
    eprintln!("converged in {:?}", started.elapsed());
    digest
}

fn assert_no_fork(desk: &Served) {
    let log = desk.log();
    assert!(
        !log.to_lowercase().contains("fork"),
        "{} logged a fork:\n{log}",
        desk.dir.display()
    );
}

/// Reads until the desk closes the connection (EOF or reset); fails if it stays open.
fn assert_closed_by_desk(mut stream: TcpStream, what: &str) {
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            // An alert before the close is fine.
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                assert!(
                    started.elapsed() < DEADLINE,
                    "the desk kept the connection that sent {what} open for {DEADLINE:?}"
                );
            }
            // Reset: closed with our bytes unread.
            Err(_) => break,
        }
    }
    eprintln!("{what}: closed after {:?}", started.elapsed());
}

/// Connects to the peer port, sends `bytes` (a reset midway is fine), and expects a close.
fn attack(port: u16, bytes: &[u8], what: &str) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the peer port");
    let _ = stream.write_all(bytes);
    let _ = stream.flush();
    assert_closed_by_desk(stream, what);
}

/// Deterministic junk (xorshift), so a failure can be replayed.
fn junk(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn lines_with<'a>(log: &'a str, words: &[&str]) -> Vec<&'a str> {
    log.lines()
        .filter(|l| words.iter().all(|w| l.contains(w)))
        .collect()
}

#[test]
fn two_served_desks_sync_and_survive_a_kill() {
    let sb = Sandbox::new();
    let (a, b) = (sb.dir("A"), sb.dir("B"));
    let (fa, fb) = (sb.id(&a), sb.id(&b));
    let (pa, pb) = (free_port(), free_port());
    sb.trust(&a, &fb, pb, "b");
    sb.trust(&b, &fa, pa, "a");
    let desk_a = sb.serve(&a, Some(pa));
    let mut desk_b = sb.serve(&b, Some(pb));

    let call_a = sb
        .exec(
            &a,
            &[
                "unit add STAR-1 clinician,medic",
                "call 12 Main St / man shouting --type welfare",
            ],
        )
        .expect("`call` on A printed no call id");
    let call_b = sb
        .exec(&b, &["call 9 Oak Ave / welfare check --type welfare"])
        .expect("`call` on B printed no call id");
    assert_ne!(call_a, call_b, "two desks gave the same call id");
    converge(&sb, &a, &b);
    for data in [&a, &b] {
        let state = sb.ok(data, &["state"]);
        for id in [&call_a, &call_b] {
            assert!(
                state.contains(id.as_str()),
                "{} lacks call {id} after the digests agreed:\n{state}",
                data.display()
            );
        }
    }

    // Notes on A while B is killed mid-stream and restarted.
    let stop = AtomicBool::new(false);
    let acked: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let refused: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let count = || acked.lock().unwrap().len();
    let wait_acked = |n: usize, when: &str| {
        wait_for(&format!("{n} notes acknowledged by A {when}"), || {
            let got = count();
            if got >= n {
                Ok(())
            } else {
                Err(format!("{got} acknowledged"))
            }
        });
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let text = format!("mark{i:04}x");
                let out = sb.run(&a, &["exec", &format!("note {call_a} {text}")]);
                if out.status.success() {
                    acked.lock().unwrap().push(text);
                } else {
                    let err = String::from_utf8_lossy(&out.stderr).into_owned();
                    refused.lock().unwrap().push(format!("{text}: {err}"));
                }
            }
        });
        wait_acked(5, "before the kill");
        let at_kill = count();
        desk_b.kill();
        eprintln!("killed B's desk after {at_kill} notes");
        wait_acked(at_kill + 10, "while B is down");
        let at_restart = count();
        desk_b = sb.serve(&b, Some(pb));
        eprintln!("restarted B's desk after {at_restart} notes");
        wait_acked(at_restart + 5, "after B restarted");
        stop.store(true, Ordering::SeqCst);
    });
    let acked = acked.into_inner().unwrap();
    let refused = refused.into_inner().unwrap();
    assert!(
        refused.is_empty(),
        "A refused notes while its peer was down or restarting: {refused:?}"
    );
    eprintln!("A acknowledged {} notes", acked.len());

    converge(&sb, &a, &b);
    for (data, name) in [(&a, "A"), (&b, "B")] {
        let log = sb.ok(data, &["log", "--call", &call_a]);
        let missing: Vec<&String> = acked.iter().filter(|t| !log.contains(t.as_str())).collect();
        assert!(
            missing.is_empty(),
            "{name}'s log lacks notes A acknowledged: {missing:?}"
        );
    }
    let mut desk_a = desk_a;
    assert!(desk_a.alive(), "A's desk died: {}", desk_a.stderr_text());
    assert!(desk_b.alive(), "B's desk died: {}", desk_b.stderr_text());
    assert_no_fork(&desk_a);
    assert_no_fork(&desk_b);
    assert!(
        !lines_with(&desk_a.log(), &["peer link open", "peer=b"]).is_empty(),
        "A never logged its link to b:\n{}",
        desk_a.log()
    );
}

#[test]
fn a_second_serve_on_the_same_dir_is_refused_in_one_line() {
    let sb = Sandbox::new();
    let a = sb.dir("A");
    let mut desk = sb.serve(&a, None);
    let out = sb.run(&a, &["serve"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a second serve on the same dir was not refused: {err}"
    );
    assert_eq!(err.lines().count(), 1, "the refusal is not one line: {err}");
    assert_eq!(
        err.trim_end(),
        format!("switchboard: a desk already serves {}", a.display()),
        "unexpected refusal"
    );
    assert!(out.stdout.is_empty(), "the refused serve printed on stdout");
    assert!(desk.alive(), "the first desk died: {}", desk.stderr_text());
    // The first desk still answers.
    sb.exec(&a, &["unit add STAR-1 peer"]);
}

/// A data dir with STAR-1 on the roster and one call taken; the call's id.
fn a_unit_and_a_call() -> (Sandbox, PathBuf, String) {
    let sb = Sandbox::new();
    let a = sb.dir("A");
    let call = sb
        .exec(
            &a,
            &[
                "unit add STAR-1 clinician,medic",
                "call 12 Main St / man shouting --type welfare",
            ],
        )
        .expect("a call");
    (sb, a, call)
}

/// `exec` attached to a serving desk keeps no fold of its own: its queries are answered there,
/// the same as on the store itself, and what it commits is printed as it would be.
#[test]
fn exec_attached_runs_its_queries_at_the_serving_desk() {
    let (sb, a, call) = a_unit_and_a_call();
    let rec = format!("rec {call}");
    let alone = sb.ok(&a, &["exec", &rec]);
    assert!(alone.contains("STAR-1"), "{alone}");
    let mut desk = sb.serve(&a, None);
    assert_eq!(sb.ok(&a, &["exec", &rec]), alone);
    let note = sb.ok(&a, &["exec", &format!("note {call} through the desk")]);
    assert!(note.contains("through the desk"), "{note}");
    let out = sb.run(&a, &["exec", "rec 99"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("refused: no call"), "{err}");
    let _ = desk.child.kill();
    let _ = desk.child.wait();
}

/// A `report` attached to a serving desk is read there, from its store's marks, in steps (the
/// store is the serving desk's, so a report here could not open it), and says what the same
/// report says on the store alone.
#[test]
fn report_attached_is_read_at_the_serving_desk() {
    let (sb, a, call) = a_unit_and_a_call();
    sb.exec(
        &a,
        &[&format!("dp STAR-1 {call}"), "ons STAR-1", "avl STAR-1"],
    );
    sb.exec(&a, &[&format!("close {call} resolved")]);
    let figures = |out: String| {
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        (
            v["events"].clone(),
            v["total"]["calls"].clone(),
            v["total"]["dispositions"]["resolved"].clone(),
            v["handoffs"].clone(),
        )
    };
    let alone = figures(sb.ok(&a, &["report", "--format", "json"]));
    assert_eq!(alone.1["received"], 1, "{alone:?}");
    let mut desk = sb.serve(&a, None);
    let there = figures(sb.ok(&a, &["report", "--format", "json"]));
    assert_eq!(there, alone);
    let text = sb.ok(&a, &["report"]);
    assert!(text.contains("Hand-offs"), "{text}");
    let out = sb.run(&a, &["report", "--since", "1d", "--until", "2d"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is not before --until"), "{err}");
    // A period no client would send is refused by the desk, which goes on answering.
    for (since_ms, until_ms) in [(10, 5), (i64::MIN, i64::MAX), (0, i64::MAX)] {
        use switchboard::desk::attach::{Reply, Request};
        use switchboard::desk::frame::{read_frame, write_frame};
        let mut raw = UnixStream::connect(a.join("desk.sock")).unwrap();
        let period = switchboard::report::metrics::Period {
            since_ms,
            until_ms,
            hours: switchboard::report::metrics::Hours::Utc,
        };
        write_frame(&mut raw, &Request::Figures { period, by: None }).unwrap();
        match read_frame::<Reply>(&mut raw).unwrap() {
            Reply::Refused(why) => assert!(why.contains("cannot be read"), "{why}"),
            other => panic!("a period of {since_ms}..{until_ms} was answered: {other:?}"),
        }
    }
    assert_eq!(figures(sb.ok(&a, &["report", "--format", "json"])), alone);
    let _ = desk.child.kill();
    let _ = desk.child.wait();
}

#[test]
fn exec_attaches_to_a_serving_desk() {
    let sb = Sandbox::new();
    let a = sb.dir("A");
    let mut desk = sb.serve(&a, None);
    // The desk holds the store's lock, so these succeed only by attaching to it.
    let call = sb
        .exec(
            &a,
            &[
                "unit add STAR-1 clinician,medic",
                "call 12 Main St / man shouting --type welfare",
            ],
        )
        .expect("`call` printed no call id");
    sb.exec(&a, &[&format!("note {call} attached-note")]);
    let log = sb.ok(&a, &["log"]);
    for want in [
        "STAR-1 added to roster",
        "12 Main St / man shouting",
        "attached-note",
    ] {
        assert!(log.contains(want), "the log lacks {want:?}:\n{log}");
    }
    let state = sb.ok(&a, &["state"]);
    assert!(state.contains(&call), "state lacks call {call}:\n{state}");
    let digest = sb.digest(&a);

    // Stopped by SIGTERM, the desk closes the store cleanly; the events are in it.
    let pid = desk.child.id().to_string();
    let term = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(term.success(), "kill -TERM {pid} failed");
    let status = wait_for("the desk to stop on SIGTERM", || {
        desk.child
            .try_wait()
            .unwrap()
            .ok_or_else(|| "running".to_owned())
    });
    assert!(
        status.success(),
        "the desk stopped badly on SIGTERM ({status}): {}",
        desk.stderr_text()
    );
    assert!(
        !a.join("desk.sock").exists(),
        "the stopped desk left its socket behind"
    );
    assert_eq!(
        sb.digest(&a),
        digest,
        "the store opened directly differs from what the desk served"
    );
    let direct = sb.ok(&a, &["log"]);
    assert!(
        direct.contains("attached-note"),
        "the attached exec's note is not in the store:\n{direct}"
    );
}

#[test]
fn hostile_bytes_on_the_peer_port_change_nothing() {
    let sb = Sandbox::new();
    let (a, c) = (sb.dir("A"), sb.dir("C"));
    let fa = sb.id(&a);
    let pa = free_port();
    let mut desk_a = sb.serve(&a, Some(pa));
    let call = sb
        .exec(&a, &["call 12 Main St / man shouting --type welfare"])
        .expect("`call` printed no call id");
    let before = sb.digest(&a);

    attack(pa, &junk(64 * 1024), "64 KiB of junk");
    attack(pa, b"GET / HTTP/1.1\r\n\r\n", "an HTTP request");
    // A TLS 1.2 ClientHello cut short: a record header promising more than is sent.
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03,
    ];
    hello.extend(junk(32));
    attack(pa, &hello, "a truncated TLS 1.2 ClientHello");

    assert!(
        desk_a.alive(),
        "A's desk died under hostile bytes: {}",
        desk_a.stderr_text()
    );
    assert_eq!(sb.digest(&a), before, "hostile bytes changed A's state");
    let refusals = wait_for("A to log the three refusals", || {
        let log = desk_a.log();
        let n = lines_with(&log, &["peer refused", "who=127.0.0.1:"]).len();
        if n >= 3 {
            Ok(n)
        } else {
            Err(format!("{n} refusals logged:\n{log}"))
        }
    });
    eprintln!("A logged {refusals} refusals");
    sb.exec(&a, &[&format!("note {call} after-the-attack")]);
    let after = sb.digest(&a);
    assert_ne!(after, before, "an exec after the attack changed nothing");

    // An untrusted node: C trusts A, A never added C.
    let fc = sb.id(&c);
    sb.trust(&c, &fa, pa, "a");
    let desk_c = sb.serve(&c, None);
    wait_for("A to refuse C as an unknown peer", || {
        let log = desk_a.log();
        if lines_with(&log, &["peer refused", "unknown peer", &fc]).is_empty() {
            Err(format!("A's log:\n{log}"))
        } else {
            Ok(())
        }
    });
    // A TLS 1.3 client finishes its handshake before the server checks its certificate, so C
    // hears of the refusal as the server's alert, and records it as a refusal.
    wait_for("C to log A's refusal", || {
        let log = desk_c.log();
        let shown =
            !lines_with(&log, &["peer refused", "refused this node's certificate"]).is_empty();
        if shown {
            Ok(())
        } else {
            Err(format!("C's log:\n{log}"))
        }
    });
    assert!(desk_a.alive(), "A's desk died: {}", desk_a.stderr_text());
    assert_eq!(sb.digest(&a), after, "the untrusted node changed A's state");
    let state_c = sb.ok(&c, &["state"]);
    assert!(
        !state_c.contains(&call),
        "the untrusted node got A's call {call}:\n{state_c}"
    );
    assert_no_fork(&desk_a);
}

#[test]
fn another_local_user_cannot_use_the_socket() {
    let sb = Sandbox::new();
    let a = sb.dir("A");
    let mut desk = sb.serve(&a, None);
    sb.exec(&a, &["call 12 Main St / man shouting --type welfare"]);
    let digest = sb.digest(&a);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let sock = a.join("desk.sock");
    assert_eq!(mode(&a), 0o700, "the data dir is not owner-only");
    assert_eq!(mode(&sock), 0o600, "the desk socket is not owner-only");

    let Some(as_nobody) = nobody_runner() else {
        return;
    };
    // Let nobody reach the data dir's parent, so only the data dir's own mode stands in the way.
    std::fs::set_permissions(sb.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let refused = |why: &str| {
        let mut args: Vec<&str> = as_nobody.iter().map(String::as_str).collect();
        args.extend([BIN, "state"]);
        let out = finish(
            sb.command(args[0], &a, &args[1..]),
            &format!("state as nobody ({why})"),
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "nobody read the desk's state ({why}): {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            out.stdout.is_empty(),
            "nobody got output ({why}): {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(err.lines().count(), 1, "not one line ({why}): {err}");
        eprintln!("as nobody ({why}): {}", err.trim_end());
        err
    };
    refused("data dir 0700");
    // Even with the modes loosened, the desk checks who is on the other end of the socket.
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();
    let err = refused("data dir 0755, socket 0666");
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(
        err.contains("belongs to uid") || err.contains("only the desk's own user may use it"),
        "another user was not refused: {err}"
    );
    assert!(desk.alive(), "the desk died: {}", desk.stderr_text());
    assert_eq!(sb.digest(&a), digest, "another user changed the state");
}

/// The command prefix that runs a program as `nobody`, when this test runs as root, `nobody`
/// exists, a tool to switch users does, and `nobody` can reach the binary; else none (said why).
fn nobody_runner() -> Option<Vec<String>> {
    let text = |cmd: &mut Command| {
        cmd.output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    if text(Command::new("id").arg("-u")).as_deref() != Some("0") {
        eprintln!("skipped running as another user: not root");
        return None;
    }
    let Some(gid) = text(Command::new("id").args(["-g", "nobody"])) else {
        eprintln!("skipped running as another user: no user nobody");
        return None;
    };
    let reachable = Path::new(BIN).ancestors().all(|p| {
        p.as_os_str().is_empty()
            || std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
    });
    if !reachable {
        eprintln!("skipped running as another user: nobody cannot reach {BIN}");
        return None;
    }
    let has = |tool: &str| {
        Command::new(tool)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if has("setpriv") {
        Some(
            [
                "setpriv",
                "--reuid=nobody",
                &format!("--regid={gid}"),
                "--clear-groups",
            ]
            .map(str::to_owned)
            .to_vec(),
        )
    } else if has("runuser") {
        Some(
            ["runuser", "-u", "nobody", "--"]
                .map(str::to_owned)
                .to_vec(),
        )
    } else {
        eprintln!("skipped running as another user: neither setpriv nor runuser");
        None
    }
}
