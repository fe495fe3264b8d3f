//! The shell's edges through the real binary: line limits, a serving desk killed mid-command,
//! start-up races, a broken config, closed pipes, `--data` mistakes.
//!
//! Every run passes `--data` inside a temp dir, and `SWITCHBOARD_DATA` and `SWITCHBOARD_CONFIG`
//! point into it too, so no test touches a real store or the user's config.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for a process to reach a state before it fails.
const DEADLINE: Duration = Duration::from_secs(20);

use crate::common::sandbox::Sandbox;

impl Sandbox {
    fn command_on(&self, data: &Path, args: &[&str]) -> Command {
        self.command_as("tester", data, args)
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_on(&self.data(), args)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run switchboard")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed ({:?}): {}",
            out.status,
            stderr(&out)
        );
        String::from_utf8(out.stdout).expect("UTF-8 stdout")
    }

    /// Starts `serve` and waits until its socket takes connections.
    fn serve(&self) -> Served {
        let stderr_path = self.tmp.path().join("serve.stderr");
        let file = std::fs::File::create(&stderr_path).expect("serve stderr");
        let child = self
            .command(&["serve"])
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn serve");
        let mut served = Served {
            child,
            stderr: stderr_path,
        };
        let socket = self.data().join("desk.sock");
        wait_for("serve to take connections", || {
            if let Some(status) = served.child.try_wait().expect("try_wait") {
                panic!("serve exited ({status}): {}", served.stderr_text());
            }
            UnixStream::connect(&socket).is_ok()
        });
        served
    }
}

struct Served {
    child: Child,
    stderr: PathBuf,
}

impl Served {
    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < DEADLINE,
            "waited {DEADLINE:?} for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exactly one line on stderr and a plain failure (exit 1, not a signal or a panic's 101).
fn one_line_failure(out: &Output, what: &str) -> String {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: exit {:?}, stderr {err:?}",
        out.status
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line on stderr: {err:?}");
    lines[0].to_owned()
}

/// Runs `args` with `input` on stdin; a child that stops reading early is no failure here.
fn run_stdin(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = feeder.join();
    out
}

// ---------------------------------------------------------------------------------------------
// Item 2: a line over the limit is refused while it is read.

#[test]
fn an_endless_line_on_stdin_is_refused_in_one_line() {
    let sb = Sandbox::new();
    let zero = std::fs::File::open("/dev/zero").expect("/dev/zero");
    let out = sb
        .command(&["exec"])
        .stdin(zero)
        .output()
        .expect("run exec < /dev/zero");
    let err = one_line_failure(&out, "exec < /dev/zero");
    assert!(err.contains("line 1") && err.contains("limit"), "{err}");
    assert!(!sb.data().join("store").exists() || sb.ok(&["state", "--json"]).contains("calls"));
}

#[test]
fn an_overlong_line_sent_to_a_serving_desk_says_what_is_wrong_with_the_line() {
    let sb = Sandbox::new();
    let served = sb.serve();
    // As an argument (the kernel takes at most 128 KiB in one), and 2 MB on stdin after a
    // good line.
    let arg = format!("note 1 {}", "x".repeat(120 * 1024));
    let out = sb.run(&["exec", &arg]);
    let err = one_line_failure(&out, "exec with a 120 KiB argument");
    assert!(err.contains("limit"), "{err}");
    assert!(!err.contains("stopped"), "{err}");
    let long = format!("note 1 {}", "x".repeat(2 * 1024 * 1024));
    let input = format!("unit add STAR-1 medic\n{long}\n");
    let out = run_stdin(sb.command(&["exec"]), input.as_bytes());
    let err = one_line_failure(&out, "exec with a 2 MB line on stdin");
    assert!(err.contains("line 2") && err.contains("limit"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("STAR-1 added"));

    // The desk is fine, and a client that sends an oversized frame is told so before a byte of
    // it is read.
    let mut raw = UnixStream::connect(sb.data().join("desk.sock")).expect("connect");
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    raw.write_all(&(3u32 * 1024 * 1024).to_be_bytes()).unwrap();
    let reply = read_reply(&mut raw);
    assert!(
        reply.contains("Refused") && reply.contains("limit"),
        "{reply}"
    );
    assert!(sb.ok(&["state"]).contains("STAR-1"));
    drop(served);
}

/// One reply frame off the socket, as its debug text (enough to read a refusal).
fn read_reply(stream: &mut UnixStream) -> String {
    use std::io::Read;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).expect("a reply");
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).expect("the reply's body");
    let reply: switchboard::desk::attach::Reply =
        rmp_serde::from_slice(&body).expect("a reply frame");
    format!("{reply:?}")
}

// ---------------------------------------------------------------------------------------------
// Item 14: a broken config.toml does not take the desk down.

#[test]
fn a_broken_config_is_reported_once_and_the_desk_runs_on_defaults() {
    let sb = Sandbox::new();
    std::fs::write(
        sb.config().join("config.toml"),
        "theme = \"dark\"\nkeymap = \"vim\"\n[alarms]\npending_minutes = [1, 2, 3, 4]\n\ntheme = \"light\"\n",
    )
    .unwrap();
    let named = |err: &str| {
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "the problem once: {err:?}");
        assert!(lines[0].contains("config.toml:6"), "{err}");
    };
    let out = sb.run(&["exec", "unit add STAR-1 medic"]);
    assert!(out.status.success(), "exec: {}", stderr(&out));
    named(&stderr(&out));
    let out = sb.run(&["state"]);
    assert!(out.status.success(), "state: {}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("STAR-1"));
    named(&stderr(&out));
    // serve starts too, says so once, and takes commands.
    let mut served = sb.serve();
    let out = sb.run(&["exec", "unit add STAR-2 peer"]);
    assert!(out.status.success(), "attached exec: {}", stderr(&out));
    served.kill();
    let said = served.stderr_text();
    assert_eq!(said.matches("config.toml:6").count(), 1, "{said}");
}

// ---------------------------------------------------------------------------------------------
// Issue 11 item 15: a closed pipe on stdout is not a panic.

/// Runs `args` with stdout a pipe whose reading end is already closed.
fn run_into_closed_pipe(sb: &Sandbox, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    sb.command(args)
        .stdout(writer)
        .output()
        .expect("run switchboard")
}

#[test]
fn a_closed_pipe_on_stdout_ends_output_quietly() {
    let sb = Sandbox::new();
    sb.ok(&["exec", "unit add STAR-1 medic", "call 1 Main St / a test"]);
    sb.ok(&["gazetteer", "demo", "millbrook"]);
    for args in [
        &["state"][..],
        &["state", "--json"],
        &["log"],
        &["exec", "unit add STAR-2 peer"],
        &["peer", "list"],
        &["id"],
        &["gazetteer", "lookup", "1 Main St"],
    ] {
        let out = run_into_closed_pipe(&sb, args);
        let err = stderr(&out);
        assert!(
            !err.contains("panicked") && out.status.code() != Some(101),
            "{args:?}: {:?} {err}",
            out.status
        );
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
    assert!(sb.ok(&["state"]).contains("STAR-2"), "the exec still ran");
}

// ---------------------------------------------------------------------------------------------
// Issue 11 item 12: the start-up race between `serve` and the commands around it.

/// A store with a few thousand events, so that opening it takes a moment.
fn a_store_that_takes_a_moment_to_open(sb: &Sandbox) {
    let mut input = String::from("unit add STAR-1 medic\ncall 1 Main St / a long night\n");
    for i in 0..3000 {
        use std::fmt::Write as _;
        let _ = writeln!(input, "note 1 note number {i}");
    }
    let out = run_stdin(sb.command(&["exec"]), input.as_bytes());
    assert!(out.status.success(), "filling the store: {}", stderr(&out));
}

#[test]
fn commands_started_while_serve_starts_wait_for_it_and_attach() {
    let sb = Sandbox::new();
    a_store_that_takes_a_moment_to_open(&sb);
    let expected = sb.ok(&["state", "--digest"]);
    for round in 0..3 {
        let served = sb.command(&["serve"]).stdout(Stdio::null()).spawn();
        let mut served = Served {
            child: served.expect("spawn serve"),
            stderr: sb.tmp.path().join("unused"),
        };
        // Commands once the desk has said it is starting, while it opens the store.
        let mark = sb.data().join("desk.starting");
        wait_for("serve to start", || mark.exists());
        let clients: Vec<_> = (0..4)
            .map(|i| {
                std::thread::sleep(Duration::from_millis(25 * i));
                sb.command(&["state", "--digest"])
                    .spawn()
                    .expect("spawn state")
            })
            .collect();
        for client in clients {
            let out = client.wait_with_output().expect("state");
            assert!(
                out.status.success(),
                "round {round}: state during serve's start: {}",
                stderr(&out)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
        }
        let socket = sb.data().join("desk.sock");
        wait_for("serve to listen", || {
            assert!(
                served.child.try_wait().unwrap().is_none(),
                "round {round}: serve gave up"
            );
            UnixStream::connect(&socket).is_ok()
        });
        served.kill();
    }
}

#[test]
fn serve_started_while_a_command_holds_the_store_waits_for_it() {
    let sb = Sandbox::new();
    a_store_that_takes_a_moment_to_open(&sb);
    for round in 0..3 {
        let holder = sb
            .command(&["log"])
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn log");
        std::thread::sleep(Duration::from_millis(30));
        let mut served = sb.serve();
        let out = holder.wait_with_output().expect("log");
        assert!(out.status.success(), "round {round}: {}", stderr(&out));
        assert!(sb.ok(&["state"]).contains("STAR-1"));
        served.kill();
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 11 item 3: a serving desk killed mid-command; what the client says is the truth.

#[test]
fn a_client_whose_desk_is_killed_mid_command_says_what_became_of_the_line() {
    use std::io::{BufRead, BufReader};
    let sb = Sandbox::new();
    let said = sb.ok(&[
        "exec",
        "unit add STAR-1 medic",
        "call 1 Main St / a long night",
    ]);
    let call = said
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("the call's id")
        .to_owned();
    let mut told_saved = 0;
    let mut told_not_saved = 0;
    for round in 0..6 {
        let mut served = sb.serve();
        let mut client = sb.command(&["exec"]).stdin(Stdio::piped()).spawn().unwrap();
        let mut stdin = client.stdin.take().unwrap();
        let tag = format!("r{round}n");
        let feed = {
            let tag = tag.clone();
            let call = call.clone();
            std::thread::spawn(move || {
                for i in 0..2000 {
                    if writeln!(stdin, "note {call} {tag}{i}").is_err() {
                        break;
                    }
                }
            })
        };
        let mut stdout = BufReader::new(client.stdout.take().unwrap());
        let mut acked = Vec::new();
        let mut line = String::new();
        let mut killer = None;
        while stdout.read_line(&mut line).unwrap() > 0 {
            if let Some(n) = line.trim_end().rsplit(tag.as_str()).next() {
                acked.push(n.parse::<u32>().expect("a note number"));
            }
            line.clear();
            if acked.len() == 5 {
                // SIGKILL at a moment that has nothing to do with the answers read.
                let mut child =
                    std::mem::replace(&mut served.child, Command::new("true").spawn().unwrap());
                let pause = Duration::from_millis(7 * round + 3);
                killer = Some(std::thread::spawn(move || {
                    std::thread::sleep(pause);
                    let _ = child.kill();
                    let _ = child.wait();
                }));
            }
        }
        killer.expect("the desk was killed").join().unwrap();
        let status = client.wait().unwrap();
        let _ = feed.join();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut client.stderr.take().unwrap(), &mut err).unwrap();
        assert!(
            !status.success(),
            "round {round}: exec went on after the desk died"
        );
        assert!(!err.contains("unknown whether"), "round {round}: {err}");
        // What the store holds is exactly what the client said was saved.
        let log = sb.ok(&["log", "--call", &call]);
        let saved: Vec<u32> = log
            .lines()
            .filter_map(|l| l.rsplit(tag.as_str()).next().filter(|_| l.contains(&tag)))
            .map(|n| n.trim().parse().expect("a note number"))
            .collect();
        assert_eq!(saved, acked, "round {round}: stderr {err}");
        eprintln!("round {round}: {} saved; {}", acked.len(), err.trim());
        if err.contains("not saved") {
            told_not_saved += 1;
        } else {
            told_saved += 1;
        }
        assert_eq!(err.lines().count(), 1, "round {round}: {err}");
    }
    eprintln!("told saved {told_saved}, told not saved {told_not_saved}");
}

/// Sends one request on a fresh connection to the desk serving `dir`; returns its reply.
fn ask_desk(
    dir: &Path,
    request: &switchboard::desk::attach::Request,
) -> switchboard::desk::attach::Reply {
    use std::io::Read;
    let mut stream = UnixStream::connect(dir.join("desk.sock")).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = rmp_serde::to_vec_named(request).unwrap();
    stream
        .write_all(&u32::try_from(body.len()).unwrap().to_be_bytes())
        .unwrap();
    stream.write_all(&body).unwrap();
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).expect("a reply");
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).expect("the reply's body");
    rmp_serde::from_slice(&body).expect("a reply frame")
}

#[test]
fn a_request_sent_again_is_answered_with_what_it_did_and_not_run_twice() {
    use switchboard::desk::attach::{Reply, Request};
    let sb = Sandbox::new();
    let said = sb.ok(&["exec", "call 1 Main St / a long night"]);
    let call = said.split_whitespace().next().unwrap().to_owned();
    let request = || Request::Run {
        line: format!("note {call} asked once"),
        operator: "tester".into(),
        have: Vec::new(),
        id: Some("0123456789abcdef0123456789abcdef".into()),
        thin: false,
    };
    let committed = |reply: Reply| match reply {
        Reply::Committed { events, .. } => events,
        other => panic!("expected Committed, got {other:?}"),
    };
    let mut served = sb.serve();
    let first = committed(ask_desk(&sb.data(), &request()));
    assert_eq!(first.len(), 1);
    // Again on another connection: the same event, not a second note.
    assert_eq!(committed(ask_desk(&sb.data(), &request())), first);
    // And after the desk was killed and started again: it reads the answer from the log.
    served.kill();
    let mut served = sb.serve();
    assert_eq!(committed(ask_desk(&sb.data(), &request())), first);
    served.kill();
    let log = sb.ok(&["log", "--call", &call]);
    assert_eq!(log.matches("asked once").count(), 1, "{log}");
    // A malformed id is refused and runs nothing.
    let _served = sb.serve();
    let bad = Request::Run {
        line: format!("note {call} asked badly"),
        operator: "tester".into(),
        have: Vec::new(),
        id: Some("not an id".into()),
        thin: false,
    };
    assert!(matches!(ask_desk(&sb.data(), &bad), Reply::Refused(_)));
}

/// Reads one request frame a client sent.
fn read_request(stream: &mut UnixStream) -> switchboard::desk::attach::Request {
    use std::io::Read;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).expect("a request");
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).expect("the request's body");
    rmp_serde::from_slice(&body).expect("a request frame")
}

fn send_reply(stream: &mut UnixStream, reply: &switchboard::desk::attach::Reply) {
    let body = rmp_serde::to_vec_named(reply).unwrap();
    stream
        .write_all(&u32::try_from(body.len()).unwrap().to_be_bytes())
        .unwrap();
    stream.write_all(&body).unwrap();
}

#[test]
fn a_client_told_nothing_after_its_line_was_saved_says_it_was_saved() {
    use std::os::unix::net::UnixListener;
    use switchboard::desk::attach::{Reply, Request};
    use switchboard::desk::{Desk, SystemClock};
    use switchboard::store::{Store, StoreKind};
    let sb = Sandbox::new();
    let said = sb.ok(&["exec", "call 1 Main St / a long night"]);
    let call = said.split_whitespace().next().unwrap().to_owned();
    // This test is the serving desk: it commits the client's line and dies before answering.
    let store = Store::open(&sb.data(), StoreKind::Live).unwrap();
    let mut desk = Desk::open(store, Box::new(SystemClock), "desk").unwrap();
    let listener = UnixListener::bind(sb.data().join("desk.sock")).unwrap();
    let client = sb
        .command(&["exec", &format!("note {call} saved, answer lost")])
        .spawn()
        .unwrap();
    // `exec` opens no watch: it asks who serves, then sends its line on the same connection.
    let (mut line, _) = listener.accept().unwrap();
    assert!(matches!(read_request(&mut line), Request::Hello));
    let welcome = Reply::Welcome {
        replica: desk.replica(),
        kind: "live".into(),
    };
    send_reply(&mut line, &welcome);
    let Request::Run {
        line: text,
        operator,
        id,
        ..
    } = read_request(&mut line)
    else {
        panic!("expected a command line");
    };
    desk.run_request(id.as_deref(), &operator, None, |d| d.run_line(&text))
        .unwrap();
    desk.close().unwrap();
    drop((listener, line));
    let out = client.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("saved, answer lost"),
        "{out:?}"
    );
    let log = sb.ok(&["log", "--call", &call]);
    assert_eq!(log.matches("answer lost").count(), 1, "{log}");
}

// ---------------------------------------------------------------------------------------------
// Issue 12 item 18: one rule for the short number of a call, in every command that names one.

#[test]
fn every_command_that_names_a_call_takes_its_short_number() {
    let sb = Sandbox::new();
    let said = sb.ok(&["exec", "call 1 Main St / a long night"]);
    let id = said.split_whitespace().next().unwrap().to_owned();
    let n = id
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .trim_start_matches('0')
        .to_owned();
    // Open: log and export take the short number as exec's commands do.
    assert!(sb.ok(&["log", "--call", &n]).contains("a long night"));
    assert!(sb
        .ok(&["export", "--format", "csv", "--call", &n])
        .contains(&id));
    sb.ok(&["exec", &format!("close {n} resolved")]);
    // Closed: no open call has the number, so the one call that has it is meant.
    assert!(sb.ok(&["log", "--call", &n]).contains("closed"));
    let said = sb.ok(&["exec", &format!("reopen {n}")]);
    assert!(said.contains(&id), "{said}");
    // A number no call has is refused in one line.
    let out = sb.run(&["log", "--call", "999"]);
    let err = one_line_failure(&out, "log --call 999");
    assert!(err.contains("no call numbered 999"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Issue 12 item 19: `--data` mistakes, a second console, serve's first line, no operator name.

#[test]
fn data_mistakes_are_named_and_reading_never_makes_a_store() {
    let sb = Sandbox::new();
    let typo = sb.tmp.path().join("stroe");
    for args in [
        &["report"][..],
        &["log"],
        &["state"],
        &["export", "--format", "csv"],
    ] {
        let out = sb.command_on(&typo, args).output().unwrap();
        let err = one_line_failure(&out, &format!("{args:?} on a missing dir"));
        assert!(
            err.contains("no store in") && err.contains("stroe"),
            "{err}"
        );
        assert!(!typo.exists(), "{args:?} made {}", typo.display());
    }
    let file = sb.tmp.path().join("a-file");
    std::fs::write(&file, "not a dir").unwrap();
    for args in [
        &["state"][..],
        &["exec", "unit add STAR-1 medic"],
        &["serve"],
    ] {
        let out = sb.command_on(&file, args).output().unwrap();
        let err = one_line_failure(&out, &format!("{args:?} on a file"));
        assert!(err.contains("is a file"), "{err}");
    }
    // A store held by another process: the refusal says how to share it.
    let mut holder = sb.command(&["exec"]).stdin(Stdio::piped()).spawn().unwrap();
    let mut stdin = holder.stdin.take().unwrap();
    writeln!(stdin, "unit add STAR-1 medic").unwrap();
    wait_for("the holder to write", || sb.data().join("store").exists());
    std::thread::sleep(Duration::from_millis(300));
    let out = sb.run(&["exec", "unit add STAR-2 medic"]);
    let err = one_line_failure(&out, "exec while another holds the store");
    assert!(
        err.contains("in use") && err.contains("switchboard serve"),
        "{err}"
    );
    drop(stdin);
    holder.wait().unwrap();
}

#[test]
fn serve_says_where_it_serves_in_one_line() {
    let sb = Sandbox::new();
    let mut served = sb.serve();
    served.kill();
    let said = served.stderr_text();
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.contains("serving") && said.contains("desk.sock"),
        "{said}"
    );
}

#[test]
fn a_change_without_an_operator_name_says_so() {
    let sb = Sandbox::new();
    let out = sb
        .command(&["exec", "unit add STAR-1 medic"])
        .env_remove("SWITCHBOARD_OPERATOR")
        .env_remove("USER")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no operator name") && err.contains("dispatcher"),
        "{err}"
    );
    // Named, nothing is said.
    let out = sb.run(&["exec", "unit add STAR-2 medic"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

/// The board a console's watch brings next that `ready` accepts; every board seen on the way is
/// checked by `each`.
fn board_until(
    watch: &mut switchboard::desk::attach::Watch,
    mut each: impl FnMut(&[String]),
    ready: impl Fn(&[String]) -> bool,
) -> switchboard::desk::attach::Board {
    use switchboard::desk::attach::Reply;
    watch.set_timeout(Some(DEADLINE)).unwrap();
    loop {
        match watch.recv() {
            Ok(Reply::Board(board)) => {
                each(&board.operators);
                if ready(&board.operators) {
                    return board;
                }
            }
            Ok(_) => {}
            Err(e) => panic!("no such board came: {e}"),
        }
    }
}

#[test]
fn consoles_on_a_shared_desk_see_who_else_is_at_it() {
    use switchboard::desk::attach::{attach, attach_console, Reply};
    use switchboard::desk::SystemClock;

    let sb = Sandbox::new();
    let _served = sb.serve();
    let dir = sb.data();
    let console = |name: &str| {
        attach_console(&dir, Box::new(SystemClock), name)
            .unwrap()
            .expect("serving")
    };
    let (ana, mut ana_watch) = console("ana");
    let (bo, mut bo_watch) = console("bo");
    // A command passing through (`exec`, `report`) is nobody at the desk.
    let passing = attach(&dir, Box::new(SystemClock), "cron")
        .unwrap()
        .expect("serving");
    let never_cron = |ops: &[String]| assert!(!ops.contains(&"cron".to_owned()), "{ops:?}");
    let both = |ops: &[String]| ops == ["ana", "bo"];
    let ana_board = board_until(&mut ana_watch, never_cron, both);
    let bo_board = board_until(&mut bo_watch, never_cron, both);

    // Each console shows the other: in the status bar, and in `peers`.
    let mut ana_app = crate::common::keys::console(ana, "default");
    ana_app.desk_news(Reply::Board(ana_board));
    let screen = crate::common::keys::text(&mut ana_app, 80, 24);
    let status = screen.lines().next().unwrap_or_default();
    assert!(status.contains("ana with bo"), "{status}");
    let mut bo_app = crate::common::keys::console(bo, "default");
    bo_app.desk_news(Reply::Board(bo_board));
    crate::common::keys::press(&mut bo_app, "peers<Enter>");
    let said = bo_app.ui.message.clone().expect("peers says").text;
    assert!(said.contains("also at this desk: ana"), "{said}");

    // bo leaves: ana is alone again, while the passing command is still attached.
    drop((bo_app, bo_watch));
    let alone = board_until(&mut ana_watch, never_cron, |ops| ops == ["ana"]);
    ana_app.desk_news(Reply::Board(alone));
    let screen = crate::common::keys::text(&mut ana_app, 80, 24);
    assert!(!screen.lines().next().unwrap_or_default().contains("with"));
    crate::common::keys::press(&mut ana_app, "peers<Enter>");
    let said = ana_app.ui.message.clone().expect("peers says").text;
    assert!(said.contains("nobody else at this desk"), "{said}");
    drop(passing);
}
