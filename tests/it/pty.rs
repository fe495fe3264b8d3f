//! End-to-end runs of the real console in a pseudo-terminal (bottom's start-and-kill test,
//! zellij's vte snapshots): take and dispatch a call, quit, start again on the same store, hang
//! up, and start in a window too small for the panes.
//!
//! The child's output is read on a thread into a `vt100` parser; the tests wait on what the
//! screen shows, with a deadline, never on fixed sleeps. Every run gets an explicit `--data` and
//! `SWITCHBOARD_CONFIG` inside a temp dir, a cleared environment and a temp `HOME`, so no user
//! configuration or store is ever read.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const WAIT: Duration = Duration::from_secs(10);
const ENTER: &str = "\r";
const CTRL_Q: &str = "\x11";
const LEAVE_ALTERNATE_SCREEN: &[u8] = b"\x1b[?1049l";
const CLEAR_ALL: &[u8] = b"\x1b[2J";

use crate::common::sandbox::Sandbox;

impl Sandbox {
    /// Runs a scripted subcommand on the sandbox's store; panics with stderr unless it succeeds.
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(BIN)
            .args(args)
            .arg("--data")
            .arg(self.data())
            .env_clear()
            .env("HOME", self.tmp.path())
            .env("SWITCHBOARD_CONFIG", self.config())
            .env("SWITCHBOARD_OPERATOR", "tester")
            .env("LANG", "C.UTF-8")
            .current_dir(self.tmp.path())
            .output()
            .expect("run switchboard");
        assert!(
            out.status.success(),
            "switchboard {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    fn state(&self) -> Value {
        serde_json::from_str(&self.cli(&["state", "--json"])).expect("state is JSON")
    }

    fn log(&self) -> Vec<Value> {
        self.cli(&["log", "--json"])
            .lines()
            .map(|l| serde_json::from_str(l).expect("log line is JSON"))
            .collect()
    }

    fn console(&self, cols: u16, rows: u16) -> Console {
        self.console_of(&[], cols, rows)
    }

    /// The console of a subcommand (`sim SCENARIO`, `demo`) on the sandbox's store.
    fn console_of(&self, args: &[&str], cols: u16, rows: u16) -> Console {
        Console::start(
            self.tmp.path(),
            &self.data(),
            &self.config(),
            (cols, rows),
            args,
            Some("tester"),
        )
    }

    /// The console of operator `name`.
    fn console_as(&self, name: &str, cols: u16, rows: u16) -> Console {
        Console::start(
            self.tmp.path(),
            &self.data(),
            &self.config(),
            (cols, rows),
            &[],
            Some(name),
        )
    }

    /// The console with no operator name anywhere: no `--operator`, `$SWITCHBOARD_OPERATOR`
    /// or `$USER`.
    fn console_unnamed(&self, cols: u16, rows: u16) -> Console {
        Console::start(
            self.tmp.path(),
            &self.data(),
            &self.config(),
            (cols, rows),
            &[],
            None,
        )
    }
}

/// What the reader thread has seen: the parsed screen and every raw byte.
struct Seen {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// How often the console asked where the cursor is (DSR).
    cursor_queries: usize,
    closed: bool,
}

type Keyboard = Arc<Mutex<Box<dyn Write + Send>>>;

/// The console running in a pty.
struct Console {
    master: Box<dyn MasterPty + Send>,
    writer: Keyboard,
    child: Box<dyn Child + Send + Sync>,
    seen: Arc<Mutex<Seen>>,
}

impl Console {
    fn start(
        home: &Path,
        data: &Path,
        config: &Path,
        (cols, rows): (u16, u16),
        args: &[&str],
        operator: Option<&str>,
    ) -> Console {
        let pair = native_pty_system()
            .openpty(size(cols, rows))
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.arg("--data");
        cmd.arg(data);
        cmd.env_clear();
        cmd.env("HOME", home);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env("SWITCHBOARD_CONFIG", config);
        if let Some(operator) = operator {
            cmd.env("SWITCHBOARD_OPERATOR", operator);
        }
        cmd.cwd(home);
        let child = pair.slave.spawn_command(cmd).expect("spawn the console");
        // Only the child may hold the slave side, so that reads end when it exits.
        drop(pair.slave);

        let seen = Arc::new(Mutex::new(Seen {
            parser: vt100::Parser::new(rows, cols, 0),
            raw: Vec::new(),
            cursor_queries: 0,
            closed: false,
        }));
        let writer: Keyboard = Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let reader = pair.master.try_clone_reader().expect("pty reader");
        let (sink, answers) = (Arc::clone(&seen), Arc::clone(&writer));
        std::thread::spawn(move || read_screen(reader, &sink, &answers));
        Console {
            master: pair.master,
            writer,
            child,
            seen,
        }
    }

    fn send(&mut self, text: &str) {
        let mut keyboard = self.writer.lock().unwrap();
        keyboard.write_all(text.as_bytes()).expect("write to pty");
        keyboard.flush().expect("flush pty");
    }

    /// Types a line and presses Enter.
    fn enter(&mut self, line: &str) {
        self.send(line);
        self.send(ENTER);
    }

    fn screen_text(&self) -> String {
        self.seen.lock().unwrap().parser.screen().contents()
    }

    /// Waits until `ready` holds for the screen, or fails showing the screen.
    fn wait_for(&self, what: &str, ready: impl Fn(&vt100::Screen) -> bool, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if ready(self.seen.lock().unwrap().parser.screen()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited {within:?} for {what}; the screen shows:\n{}",
                self.screen_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_for_text(&self, text: &str) {
        self.wait_for(
            &format!("{text:?} on screen"),
            |screen| screen.contents().contains(text),
            WAIT,
        );
    }

    /// Waits for the child to exit and for its last output to be read.
    fn wait_exit(&mut self, within: Duration) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the console did not exit within {within:?}; the screen shows:\n{}",
                self.screen_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        while !self.seen.lock().unwrap().closed {
            assert!(
                Instant::now() < deadline,
                "the pty stayed open after the console exited"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        status
    }

    fn raw_len(&self) -> usize {
        self.seen.lock().unwrap().raw.len()
    }

    fn raw_since(&self, from: usize) -> Vec<u8> {
        self.seen.lock().unwrap().raw[from..].to_vec()
    }

    /// Resizes the pty (the child gets SIGWINCH) and the parser with it.
    fn resize(&mut self, cols: u16, rows: u16) {
        // The parser first, so that nothing drawn for the new size lands on the old grid.
        self.seen
            .lock()
            .unwrap()
            .parser
            .screen_mut()
            .set_size(rows, cols);
        self.master
            .resize(size(cols, rows))
            .expect("resize the pty");
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        // A failed assertion must not leave a console running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Feeds the child's output to the parser until the pty closes, answering as a terminal would
/// when asked for the cursor position (DSR, `ESC [ 6 n`; ratatui's `Terminal::clear` asks, and
/// crossterm gives up after 2 s without an answer).
fn read_screen(
    mut reader: Box<dyn Read + Send>,
    seen: &Mutex<Seen>,
    keyboard: &Mutex<Box<dyn Write + Send>>,
) {
    const ASK_CURSOR: &[u8] = b"\x1b[6n";
    let mut buf = [0u8; 8192];
    let mut next = 0;
    loop {
        match reader.read(&mut buf) {
            // Linux reports EIO once the child side is gone.
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let mut seen = seen.lock().unwrap();
                seen.parser.process(&buf[..n]);
                seen.raw.extend_from_slice(&buf[..n]);
                // A query may be split across reads: `next` is the first start not yet checked.
                let end = seen.raw.len().saturating_sub(ASK_CURSOR.len() - 1);
                let asks = (next..end)
                    .filter(|&i| seen.raw[i..].starts_with(ASK_CURSOR))
                    .count();
                next = next.max(end);
                seen.cursor_queries += asks;
                if asks > 0 {
                    let (row, col) = seen.parser.screen().cursor_position();
                    let answer = format!("\x1b[{};{}R", row + 1, col + 1).repeat(asks);
                    let mut keyboard = keyboard.lock().unwrap();
                    let _ = keyboard.write_all(answer.as_bytes());
                    let _ = keyboard.flush();
                }
            }
        }
    }
    seen.lock().unwrap().closed = true;
}

fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

fn contains(needle: &[u8], haystack: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn hang_up(pid: u32) {
    let status = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -HUP {pid} failed");
}

#[test]
fn takes_and_dispatches_a_call_survives_a_restart_and_a_hangup() {
    let sandbox = Sandbox::new();
    sandbox.cli(&["exec", "unit add STAR-1 clinician,medic"]);

    // (a) Take a call and dispatch to it from the command line, then quit.
    let mut console = sandbox.console(80, 24);
    console.wait_for_text("Queue 0 open");
    console.wait_for_text("STAR-1");
    console.enter("call 1400 Colfax Ave / man shouting");
    console.wait_for_text("taken:");
    console.wait_for_text("Queue 1 open, 1 pending");
    // The call id ends in 0001; its digits alone name it.
    console.enter("dp STAR-1 1");
    console.wait_for_text("dispatched");
    console.wait_for_text("Queue 1 open, 0 pending");
    console.send(CTRL_Q);
    let status = console.wait_exit(WAIT);
    assert!(
        status.success(),
        "Ctrl-Q should exit with 0, got {status:?}"
    );
    drop(console);

    let state = sandbox.state();
    let calls = state["calls"].as_object().expect("calls");
    assert_eq!(calls.len(), 1, "one call in {state:#}");
    let (id, call) = calls.iter().next().unwrap();
    assert!(id.ends_with("0001"), "call id {id}");
    assert_eq!(call["location"], "1400 Colfax Ave");
    assert_eq!(call["nature"], "man shouting");
    assert_eq!(call["status"], "dispatched");
    assert_eq!(call["assignments"][0]["unit"], "STAR-1");
    assert_eq!(state["units"]["STAR-1"]["call"], id.as_str());

    // (b) Start again on the same store: the call is there.
    let mut console = sandbox.console(80, 24);
    console.wait_for(
        &format!("call {id} with its location in the queue"),
        |screen| {
            screen
                .contents()
                .lines()
                .any(|l| l.contains(id.as_str()) && l.contains("1400 Colfax Ave"))
        },
        WAIT,
    );
    console.wait_for_text("Queue 1 open, 0 pending");
    assert!(console
        .seen
        .lock()
        .unwrap()
        .parser
        .screen()
        .alternate_screen());

    // (c) A note acknowledged on screen survives a hangup, and the terminal is given back.
    console.enter("note 1 caller calmer now");
    console.wait_for_text("note: caller calmer now");
    let before_kill = console.raw_len();
    let pid = console.child.process_id().expect("the console's pid");
    hang_up(pid);
    let status = console.wait_exit(WAIT);
    assert!(
        status.success(),
        "SIGHUP should end the console cleanly, got {status:?}"
    );
    let after = console.raw_since(before_kill);
    assert!(
        contains(LEAVE_ALTERNATE_SCREEN, &after),
        "no alternate-screen leave after SIGHUP; the console wrote {:?}",
        String::from_utf8_lossy(&after)
    );
    assert!(
        !console
            .seen
            .lock()
            .unwrap()
            .parser
            .screen()
            .alternate_screen(),
        "the terminal was left in the alternate screen"
    );
    drop(console);

    let noted = sandbox.log().into_iter().any(|e| {
        e["body"]["note_added"]["call"] == id.as_str()
            && e["body"]["note_added"]["text"] == "caller calmer now"
    });
    assert!(noted, "the acknowledged note is not in the log");
}

/// Issue 12 item 19: with no operator name anywhere the console says so at start, and how to
/// set one, instead of recording every change as "dispatcher" unseen.
#[test]
fn a_console_without_an_operator_name_says_so_and_how_to_set_one() {
    let sandbox = Sandbox::new();
    let mut console = sandbox.console_unnamed(120, 30);
    console.wait_for_text("no operator name");
    let screen = console.screen_text();
    assert!(
        screen.contains("recorded as 'dispatcher'") && screen.contains("--operator NAME"),
        "{screen}"
    );
    console.send(CTRL_Q);
    assert!(console.wait_exit(WAIT).success());
    // Named, nothing is said.
    let mut console = sandbox.console(120, 30);
    console.wait_for_text("Queue 0 open");
    assert!(!console.screen_text().contains("no operator name"));
    console.send(CTRL_Q);
    assert!(console.wait_exit(WAIT).success());
}

/// Issue 12 item 19: a second console on a store the first holds is refused with the way to
/// share it (`serve`, or `--listen`), and the first goes on.
#[test]
fn a_second_console_on_a_held_store_is_told_how_to_share_it() {
    let sandbox = Sandbox::new();
    let mut first = sandbox.console(80, 24);
    first.wait_for_text("Queue 0 open");
    let mut second = sandbox.console(80, 24);
    second.wait_for_text("switchboard serve");
    let said = second.screen_text();
    assert!(said.contains("--listen"), "{said}");
    assert!(!second.wait_exit(WAIT).success());
    // A console that would serve the store itself, and `serve`, say the same.
    let port = crate::common::pair::free_port();
    let mut listening = sandbox.console_of(&["--listen", &format!("127.0.0.1:{port}")], 80, 24);
    listening.wait_for_text("switchboard serve");
    let said = listening.screen_text();
    assert!(said.contains("does not share it"), "{said}");
    assert!(!listening.wait_exit(WAIT).success());
    let out = Command::new(BIN)
        .args(["serve", "--data"])
        .arg(sandbox.data())
        .env_clear()
        .env("HOME", sandbox.tmp.path())
        .env("SWITCHBOARD_CONFIG", sandbox.config())
        .env("SWITCHBOARD_OPERATOR", "tester")
        .output()
        .expect("run serve");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains("does not share it") && said.contains("switchboard serve --data"),
        "{said}"
    );
    first.enter("unit add STAR-1 clinician");
    first.wait_for_text("STAR-1");
    first.send(CTRL_Q);
    assert!(first.wait_exit(WAIT).success());
}

/// Issue 12 item 19: the demo console holds its store as any console does; a second `demo` on
/// it is told how to share it, not only that it is in use.
#[test]
fn a_second_demo_console_is_told_how_to_share_the_store() {
    let sandbox = Sandbox::new();
    sandbox.cli(&["demo", "--days", "1"]);
    let mut first = sandbox.console_of(&["demo"], 80, 24);
    first.wait_for_text("DEMO");
    let mut second = sandbox.console_of(&["demo"], 80, 24);
    second.wait_for_text("switchboard serve");
    let said = second.screen_text();
    assert!(said.contains("--listen"), "{said}");
    assert!(!second.wait_exit(WAIT).success());
    first.send(CTRL_Q);
    assert!(first.wait_exit(WAIT).success());
}

/// Issue 12 item 19: two operators at consoles on one `serve` desk each see the other in the
/// status bar; when one quits, the other is alone again.
#[test]
fn operators_on_a_shared_desk_see_each_other() {
    let sandbox = Sandbox::new();
    let _serve = serve(&sandbox);
    let mut ana = sandbox.console_as("ana", 80, 24);
    ana.wait_for_text("Queue 0 open");
    let mut bo = sandbox.console_as("bo", 80, 24);
    bo.wait_for_text("bo with ana");
    ana.wait_for_text("ana with bo");
    // `who` names them all, this console first.
    ana.enter("who");
    ana.wait_for_text("at this desk: ana (you), bo");
    bo.send(CTRL_Q);
    assert!(bo.wait_exit(WAIT).success());
    ana.wait_for(
        "ana alone again",
        |screen| !screen.contents().contains("with bo"),
        WAIT,
    );
    ana.send(CTRL_Q);
    assert!(ana.wait_exit(WAIT).success());
}

#[test]
fn too_small_then_resized_shows_the_queue() {
    let sandbox = Sandbox::new();
    let mut console = sandbox.console(40, 10);
    console.wait_for_text("Terminal too small");
    assert!(!console.screen_text().contains("Queue"));

    console.resize(80, 24);
    console.wait_for_text("Queue 0 open");
    console.wait_for(
        "the notice to be gone",
        |screen| !screen.contents().contains("Terminal too small"),
        WAIT,
    );
    console.send(CTRL_Q);
    let status = console.wait_exit(WAIT);
    assert!(
        status.success(),
        "Ctrl-Q should exit with 0, got {status:?}"
    );
}

/// Ctrl-L repaints the whole screen and the console goes on. It used to call ratatui's
/// `Terminal::clear`, which asks the terminal where the cursor is while the input thread holds
/// crossterm's event reader: the answer was never read, and 2 s later the console ended with
/// "terminal failed: The cursor position could not be read within a normal duration".
#[test]
fn redraw_repaints_and_the_console_goes_on() {
    let sandbox = Sandbox::new();
    let mut console = sandbox.console(80, 24);
    console.wait_for_text("Queue 0 open");
    let before = console.raw_len();
    console.send("\x0c");
    // Keys are handled in order: a call taken after Ctrl-L shows that the loop survived it.
    console.enter("call 12 Main St / redraw check");
    console.wait_for_text("taken:");
    assert!(
        contains(CLEAR_ALL, &console.raw_since(before)),
        "Ctrl-L did not clear the screen"
    );
    // Each question is a round trip over SSH, and its answer can be eaten by the input thread.
    assert_eq!(
        console.seen.lock().unwrap().cursor_queries,
        0,
        "the console asked the terminal for the cursor position"
    );
    console.send(CTRL_Q);
    let status = console.wait_exit(WAIT);
    assert!(
        status.success(),
        "Ctrl-Q should exit with 0, got {status:?}"
    );
}

/// A `serve` process on the sandbox's store, killed however the test ends.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(sandbox: &Sandbox) -> Reap {
    let serving = Reap(
        Command::new(BIN)
            .args(["serve", "--data"])
            .arg(sandbox.data())
            .env_clear()
            .env("HOME", sandbox.tmp.path())
            .env("SWITCHBOARD_CONFIG", sandbox.config())
            .env("SWITCHBOARD_OPERATOR", "tester")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn serve"),
    );
    let deadline = Instant::now() + WAIT;
    while std::os::unix::net::UnixStream::connect(sandbox.data().join("desk.sock")).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    serving
}

/// Issue 14 item 2: a call another operator takes rings this console's bell once; one this
/// console takes rings nothing; `bell = []` in `config.toml` silences it.
#[test]
fn a_call_taken_elsewhere_rings_the_bell_unless_the_config_silences_it() {
    const BEL: &[u8] = b"\x07";
    for silenced in [false, true] {
        let sandbox = Sandbox::new();
        if silenced {
            std::fs::create_dir_all(sandbox.config()).unwrap();
            std::fs::write(
                sandbox.config().join("config.toml"),
                "[alarms]\nbell = []\n",
            )
            .unwrap();
        }
        let _serve = serve(&sandbox);
        let mut ana = sandbox.console_as("ana", 80, 24);
        ana.wait_for_text("Queue 0 open");
        let before = ana.raw_len();
        ana.send("call 9 Elm St / welfare check");
        ana.send(ENTER);
        ana.wait_for_text("Queue 1 open");
        sandbox.cli(&["exec", "call 12 Main St / man shouting --pri 1"]);
        ana.wait_for_text("Queue 2 open");
        // The bell goes out right after the frame that shows the call: give it a moment.
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline && !contains(BEL, &ana.raw_since(before)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let rings = ana
            .raw_since(before)
            .windows(BEL.len())
            .filter(|w| *w == BEL)
            .count();
        assert_eq!(rings, usize::from(!silenced), "silenced: {silenced}");
        ana.send(CTRL_Q);
        assert!(ana.wait_exit(WAIT).success());
    }
}

/// A call ringing in a training run rings the terminal's bell (BEL), once per call.
#[test]
fn a_training_call_rings_the_terminal_bell() {
    const BEL: &[u8] = b"\x07";
    let sandbox = Sandbox::new();
    let tutorial = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    // At ×64 the tutorial's first call rings a second after the start.
    let mut console = sandbox.console_of(
        &["sim", tutorial.to_str().unwrap(), "--speed", "64"],
        80,
        24,
    );
    console.wait_for_text("TRAINING");
    let before = console.raw_len();
    console.wait_for_text("New call");
    let deadline = Instant::now() + WAIT;
    while !contains(BEL, &console.raw_since(before)) {
        assert!(Instant::now() < deadline, "no bell when the call rang");
        std::thread::sleep(Duration::from_millis(20));
    }
    let rings = console
        .raw_since(before)
        .windows(BEL.len())
        .filter(|w| *w == BEL)
        .count();
    assert_eq!(rings, 1);
    console.send(CTRL_Q);
    let status = console.wait_exit(WAIT);
    assert!(status.success(), "{status:?}");
}

/// Times every thread of `pid` went to sleep and was woken (voluntary context switches), from
/// `/proc/<pid>/task/*/status`, with the thread names that did.
fn voluntary_switches(pid: u32) -> std::collections::BTreeMap<u32, (String, u64)> {
    let mut out = std::collections::BTreeMap::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("the console's tasks") {
        let dir = task.expect("a task").path();
        let tid = dir.file_name().unwrap().to_str().unwrap().parse().unwrap();
        let (Ok(status), Ok(comm)) = (
            std::fs::read_to_string(dir.join("status")),
            std::fs::read_to_string(dir.join("comm")),
        ) else {
            continue;
        };
        let switches = status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("voluntary_ctxt_switches in status");
        out.insert(tid, (comm.trim().to_owned(), switches));
    }
    out
}

/// Issue 13, "idle means idle": a console with nothing to do wakes once a second, for its
/// tick, and no other thread of it wakes at all: not its input, signal or watch threads, and
/// not sled's I/O threads, which woke every second each, eight of them, before sled was
/// patched (vendor/sled/SWITCHBOARD.md), while the tokio timer the tick was woke twice a tick.
/// This counts what the kernel counted, so a slow or busy machine does not change it (being
/// preempted is not counted: that is the machine's load, not the console's doing).
#[test]
fn an_idle_console_wakes_once_a_second() {
    const WINDOW: Duration = Duration::from_secs(4);
    let sandbox = Sandbox::new();
    sandbox.cli(&[
        "exec",
        "unit add STAR-1 clinician,medic",
        "call 9 Elm St / welfare",
    ]);
    let mut console = sandbox.console(80, 24);
    console.wait_for_text("Queue 1 open");
    // sled's extra I/O threads from the open end within 3 s of their last work.
    std::thread::sleep(Duration::from_secs(4));
    let pid = console.child.process_id().expect("the console's pid");
    let before = voluntary_switches(pid);
    let started = Instant::now();
    std::thread::sleep(WINDOW);
    let after = voluntary_switches(pid);
    let seconds = started.elapsed().as_secs_f64();
    let woke: Vec<(String, u64)> = after
        .iter()
        .map(|(tid, (name, n))| (name.clone(), n - before.get(tid).map_or(0, |(_, b)| *b)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let total: u64 = woke.iter().map(|(_, n)| n).sum();
    // One tick a second, and one more for the window's edges.
    assert!(
        total as f64 <= seconds + 1.0,
        "{total} wakeups in {seconds:.1} s, by thread: {woke:?}"
    );
    assert!(
        woke.iter().all(|(name, _)| name == "switchboard"),
        "threads other than the loop woke: {woke:?}"
    );
    console.send(CTRL_Q);
    assert!(console.wait_exit(WAIT).success());
}
