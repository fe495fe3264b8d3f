//! What an attack on the desk found (issue 11, items 5–10 and 13): a data dir or socket that is
//! not the user's own, terminal injection through names and peers' events, a forged clock, a
//! flood of connections, a black-holed link, two links to one peer, a skewed peer's clock.
//!
//! Real processes where the item is about processes, sockets or files; a hand-played peer over
//! real pinned TLS on 127.0.0.1 where it is about what a peer sends.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_bytes::ByteBuf;
use switchboard::desk::attach::Board;
use switchboard::desk::frame::{encode, read_frame_async};
use switchboard::domain::{Body, CallId, Event, ReplicaId};
use switchboard::store::{Sealed, Store, StoreKind};
use switchboard::sync::session::{Frame, VERSION};
use switchboard::sync::{Identity, TrustedSet};
use tokio::io::AsyncWriteExt;

use crate::common::pair::{pair, trust, watch_until, Node};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const LIMIT: Duration = Duration::from_secs(20);

/// The binary on `data`, isolated from the user's data and config.
fn command(tmp: &Path, data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--data")
        .arg(data)
        .env("SWITCHBOARD_DATA", tmp.join("decoy"))
        .env("SWITCHBOARD_CONFIG", tmp.join("no-config"))
        .env("SWITCHBOARD_OPERATOR", "tester")
        .env("NO_COLOR", "1")
        .env_remove("SWITCHBOARD_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run switchboard")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(tmp: &Path, data: &Path, args: &[&str]) -> String {
    let out = run(&mut command(tmp, data, args));
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    stdout(&out)
}

/// A one-line refusal, and nothing on stdout.
fn refused(out: &Output, what: &str) -> String {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "{what}: not refused: {}",
        stdout(out)
    );
    assert_eq!(err.lines().count(), 1, "{what}: not one line: {err}");
    assert!(!err.contains('\u{1b}'), "{what}: raw ESC in the refusal");
    err
}

// ---------------------------------------------------------------------------------------------
// Item 6: terminal injection.

const INJECTION: &str = "ct-x\u{1b}]2;PWNED\u{7}\u{1b}[1A\u{1b}[2Kfake";

#[test]
fn an_operator_name_with_control_characters_is_refused_from_every_source() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("A");
    let call = "call 12 Main St / man shouting --type welfare";
    // The flag.
    let out = run(command(tmp.path(), &a, &["exec", call]).args(["--operator", INJECTION]));
    let err = refused(&out, "--operator");
    assert!(err.contains("operator name"), "{err}");
    // The environment.
    let out = run(command(tmp.path(), &a, &["exec", call]).env("SWITCHBOARD_OPERATOR", INJECTION));
    refused(&out, "SWITCHBOARD_OPERATOR");
    let out = run(command(tmp.path(), &a, &["exec", call])
        .env_remove("SWITCHBOARD_OPERATOR")
        .env("USER", "bidi\u{202E}eman"));
    refused(&out, "$USER");
    // Free text with direction overrides, zero-width characters or a soft hyphen.
    for text in [
        "pills\u{202E}lanoitcnuf",
        "zero\u{200B}width",
        "soft\u{AD}hyphen",
        "iso\u{2067}late",
    ] {
        let line = format!("call 12 Main St / {text}");
        let out = run(&mut command(tmp.path(), &a, &["exec", &line]));
        refused(&out, text);
    }
    // Nothing was written; a plain name still works.
    assert!(!ok(tmp.path(), &a, &["log"]).contains("taken"));
    ok(tmp.path(), &a, &["exec", call]);
    // An attached console's request carries its own name: the serving desk checks it too.
    let mut serve = command(tmp.path(), &a, &["serve"]);
    let mut served = serve
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(a.join("desk.sock")).is_err() {
        assert!(started.elapsed() < LIMIT, "serve did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let attached =
        switchboard::desk::attach::attach(&a, Box::new(switchboard::desk::SystemClock), INJECTION)
            .unwrap()
            .expect("serving");
    let (mut desk, _watch) = attached;
    let e = desk.execute_line("unit add STAR-9 clinician").unwrap_err();
    assert!(e.to_string().contains("operator name"), "{e}");
    let _ = served.kill();
    let _ = served.wait();
    assert!(!ok(tmp.path(), &a, &["log"]).contains("STAR-9"));
}

/// Writes an event straight into a store, as an older desk or a peer before this check did.
fn plant(dir: &Path, operator: &str, body: Body) {
    let mut store = Store::open(dir, StoreKind::Live).unwrap();
    let origin = store.replica();
    let head = store.heads().get(&origin).copied().unwrap_or_default();
    let e = Event {
        origin,
        seq: head.seq + 1,
        hlc: store.hlc_mark() + (1 << 20),
        wall_ms: 1_700_000_000_000,
        prev: head.hash,
        operator: operator.to_owned(),
        request: None,
        os_user: None,
        body,
    };
    store.commit(&[Sealed::new(e)]).unwrap();
    store.close().unwrap();
}

#[test]
fn log_state_report_and_csv_print_control_characters_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("A");
    let said = ok(
        tmp.path(),
        &a,
        &["exec", "call 12 Main St / man shouting --type welfare"],
    );
    let call: CallId = said.split_whitespace().next().unwrap().parse().unwrap();
    plant(
        &a,
        INJECTION,
        Body::NoteAdded {
            call: call.clone(),
            text: "has pills\u{1b}[2J\u{202E}".into(),
            caution: false,
            written: None,
        },
    );
    plant(
        &a,
        "ct-rivera",
        Body::CallEdited {
            call,
            field: switchboard::domain::CallField::Location("x\u{1b}]2;PWNED\u{7}".into()),
            replaces: None,
            coords: None,
            placed: None,
            reason: None,
        },
    );
    for args in [
        &["log"][..],
        &["state"],
        &["report", "--since", "2000-01-01T00:00:00Z"],
        &["export", "--format", "csv"],
    ] {
        let out = ok(tmp.path(), &a, args);
        assert!(
            !out.chars()
                .any(|c| c != '\n' && switchboard::domain::text::forbidden(c)),
            "{args:?} printed a raw control character: {out:?}"
        );
    }
    let log = ok(tmp.path(), &a, &["log"]);
    assert!(log.contains("ct-x\\u{1b}]2;PWNED"), "{log}");
    assert_eq!(log.lines().count(), 4, "{log}");
}

// ---------------------------------------------------------------------------------------------
// A peer played by hand over real pinned TLS.

/// Node `alpha` serving, which trusts `mallory`, whose side of the link a test plays.
struct Rig {
    _root: tempfile::TempDir,
    alpha: Node,
    connector: tokio_rustls::TlsConnector,
    runtime: tokio::runtime::Runtime,
}

impl Rig {
    fn new() -> Rig {
        Rig::with(|_| {})
    }

    /// A rig whose alpha store `prepare` fills before alpha starts serving.
    fn with(prepare: impl FnOnce(&Path)) -> Rig {
        let root = tempfile::tempdir().unwrap();
        let (mut alpha, _bravo) = pair(root.path());
        prepare(&alpha.dir);
        let mallory = root.path().join("mallory");
        trust(&alpha.dir, &mallory, "127.0.0.1:9", "mallory");
        trust(
            &mallory,
            &alpha.dir,
            &format!("127.0.0.1:{}", alpha.port),
            "alpha",
        );
        alpha.start();
        let identity = Identity::load_or_create(&mallory).unwrap();
        let trusted =
            TrustedSet::new([Identity::load_or_create(&alpha.dir).unwrap().fingerprint()]);
        let connector = switchboard::sync::tls::connector(&identity, trusted).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Rig {
            _root: root,
            alpha,
            connector,
            runtime,
        }
    }

    /// A TLS link to alpha on which mallory has said hello and sent an empty summary.
    fn link(&self, wall_ms: i64) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
        self.runtime.block_on(async {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.alpha.port))
                .await
                .unwrap();
            let mut tls = self
                .connector
                .connect(switchboard::sync::tls::server_name(), tcp)
                .await
                .unwrap();
            let hello = Frame::Hello {
                version: VERSION,
                kind: "live".into(),
                replica: ReplicaId(MALLORY),
                wall_ms,
            };
            for f in [hello, Frame::Summary(Vec::new())] {
                tls.write_all(&encode(&f).unwrap()).await.unwrap();
            }
            tls.flush().await.unwrap();
            tls
        })
    }

    fn send(
        &self,
        tls: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
        frame: &Frame,
    ) {
        self.runtime.block_on(async {
            let _ = tls.write_all(&encode(frame).unwrap()).await;
            let _ = tls.flush().await;
        });
    }

    /// Reads frames until alpha refuses the link or closes it; the refusal's text, if any.
    fn until_closed(
        &self,
        tls: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    ) -> Option<String> {
        self.runtime.block_on(async {
            let deadline = tokio::time::Instant::now() + LIMIT;
            loop {
                match tokio::time::timeout_at(deadline, read_frame_async::<Frame>(tls)).await {
                    Ok(Ok(Frame::Refuse(why))) => return Some(why),
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) => return None,
                    Err(elapsed) => panic!("alpha kept the link open ({elapsed})"),
                }
            }
        })
    }

    fn board(&self, done: impl FnMut(&switchboard::desk::Desk, &Board) -> bool) -> Board {
        let (mut desk, mut watch) = self.alpha.attach("ct-rivera");
        watch_until(&mut watch, &mut desk, LIMIT, done)
    }
}

const MALLORY: u64 = 0x6d61_6c6c_6f72_7901;

/// Mallory's event `seq` (after `prev`), stamped `hlc`.
fn mallory_event(seq: u64, prev: [u8; 32], hlc: u64, operator: &str, location: &str) -> Sealed {
    let call = CallId::mint(26, &ReplicaId(MALLORY).tag(), seq as u32);
    Sealed::new(Event {
        origin: ReplicaId(MALLORY),
        seq,
        hlc,
        wall_ms: switchboard::domain::event::hlc::physical_ms(hlc),
        prev,
        operator: operator.to_owned(),
        request: None,
        os_user: None,
        body: Body::CallCreated {
            call,
            location: location.to_owned(),
            coords: None,
            nature: "man shouting".into(),
            call_type: None,
            priority: switchboard::domain::Priority::MOST_URGENT,
            caller: None,
            callback: None,
            zone: None,
            started_ms: None,
            civic: None,
            placed: None,
        },
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn events(batch: &[Sealed]) -> Frame {
    Frame::Events(
        batch
            .iter()
            .map(|s| ByteBuf::from(s.bytes.clone()))
            .collect(),
    )
}

#[test]
fn a_peers_event_with_control_characters_is_refused_before_it_is_written() {
    let rig = Rig::new();
    let hlc = (now_ms() as u64) << 16;
    for (operator, location) in [
        (INJECTION, "12 Main St"),
        ("ct-rivera", "12 Main St\u{1b}[2J"),
        ("ct-rivera", "12 Main\u{202E}tS"),
    ] {
        let mut tls = rig.link(now_ms());
        let e = mallory_event(1, [0; 32], hlc, operator, location);
        rig.send(&mut tls, &events(&[e]));
        let why = rig.until_closed(&mut tls).unwrap_or_default();
        assert!(why.contains("bad event"), "alpha's refusal: {why:?}");
    }
    let board = rig.board(|_, b| b.refused.iter().any(|r| r.why.contains("bad event")));
    assert!(
        board.refused.iter().any(|r| r.who == "mallory"),
        "{board:?}"
    );
    let (desk, _w) = rig.alpha.attach("ct-rivera");
    assert!(
        !desk.heads().contains_key(&ReplicaId(MALLORY)),
        "a bad event was written"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 5: a data dir, store or socket that is not the user's own.

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn chmod(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

fn am_root() -> bool {
    switchboard::store::private::my_uid() == 0
}

#[test]
fn a_data_dir_or_store_others_may_write_or_own_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("alpha");
    let note = "call 12 Main St / suicidal thoughts, has pills --type welfare";
    // A world-writable dir, like a /tmp/alpha another user made for us.
    std::fs::create_dir(&a).unwrap();
    chmod(&a, 0o777);
    let err = refused(
        &run(&mut command(tmp.path(), &a, &["exec", note])),
        "0777 dir",
    );
    assert!(
        err.contains("written by other users") && err.contains("chmod go-w"),
        "{err}"
    );
    assert!(
        !a.join("store").exists(),
        "a store was made in a world-writable dir"
    );
    refused(
        &run(&mut command(tmp.path(), &a, &["state"])),
        "state in a 0777 dir",
    );
    refused(
        &run(&mut command(tmp.path(), &a, &["id"])),
        "id in a 0777 dir",
    );
    // One that others may only read is ours: it is made owner-only and used.
    chmod(&a, 0o755);
    ok(tmp.path(), &a, &["exec", note]);
    assert_eq!(mode(&a), 0o700, "the data dir was left readable by others");
    // A store dir others may write.
    chmod(&a.join("store"), 0o777);
    let err = refused(&run(&mut command(tmp.path(), &a, &["state"])), "0777 store");
    assert!(err.contains("store"), "{err}");
    chmod(&a.join("store"), 0o700);
    if am_root() {
        // A dir another user owns (and could swap the store in).
        std::os::unix::fs::chown(&a, Some(65534), None).unwrap();
        let err = refused(
            &run(&mut command(tmp.path(), &a, &["state"])),
            "nobody's dir",
        );
        assert!(err.contains("belongs to uid 65534"), "{err}");
        std::os::unix::fs::chown(&a, Some(0), None).unwrap();
    } else {
        eprintln!("skipped a dir of another user: not root");
    }
    assert!(ok(tmp.path(), &a, &["state"]).contains("1 open call"));
}

#[test]
fn everything_is_created_owner_only_whatever_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("alpha");
    let sh = |args: &str, log: bool| {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("umask 000; exec \"$0\" {args} --data \"$1\""))
            .arg(BIN)
            .arg(&a)
            .env("SWITCHBOARD_DATA", tmp.path().join("decoy"))
            .env("SWITCHBOARD_CONFIG", tmp.path().join("no-config"))
            .env("SWITCHBOARD_OPERATOR", "tester");
        if log {
            cmd.env("SWITCHBOARD_LOG", "info");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{args}: {}", stderr(&out));
    };
    sh("exec 'call 12 Main St / has pills --type welfare'", true);
    sh("id", false);
    let theirs = ok(tmp.path(), &tmp.path().join("bravo"), &["id"]);
    sh(
        &format!("peer add {} 127.0.0.1:9 --name bravo", theirs.trim()),
        false,
    );
    let mut open = Vec::new();
    let mut stack = vec![a.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            if mode(&p) & 0o077 != 0 {
                open.push(format!("{} {:04o}", p.display(), mode(&p)));
            }
        }
    }
    assert_eq!(mode(&a), 0o700);
    assert!(open.is_empty(), "not owner-only under umask 000: {open:#?}");
}

/// `setpriv` arguments that run a program as `nobody`, when this test runs as root and nobody
/// can reach the binary; else none (said why).
fn as_nobody() -> Option<Vec<&'static str>> {
    use std::os::unix::fs::PermissionsExt;
    if !am_root() {
        eprintln!("skipped: not root, cannot run as another user");
        return None;
    }
    let reachable = Path::new(BIN).ancestors().all(|p| {
        p.as_os_str().is_empty()
            || std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
    });
    let setpriv = Command::new("setpriv").arg("--help").output().is_ok();
    if !reachable || !setpriv {
        eprintln!("skipped: nobody cannot reach {BIN}, or no setpriv");
        return None;
    }
    Some(vec![
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ])
}

#[test]
fn a_socket_another_user_serves_is_refused_before_a_byte_is_sent() {
    use switchboard::desk::attach::{Reply, Request};
    let Some(nobody) = as_nobody() else { return };
    let tmp = tempfile::tempdir().unwrap();
    chmod(tmp.path(), 0o755);
    let a = tmp.path().join("alpha");
    ok(tmp.path(), &a, &["exec", "unit add STAR-1 clinician"]);
    // Nobody serves a desk of their own...
    let theirs = tmp.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let mut serve = Command::new(nobody[0]);
    serve
        .args(&nobody[1..])
        .arg(BIN)
        .args(["serve", "--data"])
        .arg(&theirs)
        .env("SWITCHBOARD_CONFIG", tmp.path().join("no-config"))
        .env("SWITCHBOARD_OPERATOR", "mallory")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut served = serve.spawn().unwrap();
    let sock = theirs.join("desk.sock");
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(&sock).is_err() {
        assert!(started.elapsed() < LIMIT, "nobody's desk did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // ...and its socket is put where ours would be, made to look like ours.
    std::fs::rename(&sock, a.join("desk.sock")).unwrap();
    std::os::unix::fs::chown(a.join("desk.sock"), Some(0), Some(0)).unwrap();
    let out = run(&mut command(
        tmp.path(),
        &a,
        &["exec", "call 12 Main St / suicidal thoughts, has pills"],
    ));
    let err = refused(&out, "a socket nobody serves");
    assert!(
        err.contains("served by uid 65534") && err.contains("nothing was sent"),
        "{err}"
    );
    // The desk, for its part, lets in only its own user: root is not nobody.
    let mut raw = std::os::unix::net::UnixStream::connect(a.join("desk.sock")).unwrap();
    switchboard::desk::frame::write_frame(
        &mut raw,
        &Request::Watch {
            have: Vec::new(),
            present: None,
            image: true,
        },
    )
    .unwrap();
    match switchboard::desk::frame::read_frame::<Reply>(&mut raw).unwrap() {
        Reply::Refused(why) => assert!(why.contains("own user"), "{why}"),
        other => panic!("nobody's desk let root in: {other:?}"),
    }
    let _ = served.kill();
    let _ = served.wait();
}

// ---------------------------------------------------------------------------------------------
// Item 7: a forged clock.

#[test]
fn a_peer_event_stamped_far_ahead_of_our_clock_is_refused_on_the_peers_line() {
    let rig = Rig::new();
    // 2^64 - 1: it would sort last and win every later edit, forever.
    let mut tls = rig.link(now_ms());
    rig.send(
        &mut tls,
        &events(&[mallory_event(1, [0; 32], u64::MAX, "m", "1 Main St")]),
    );
    let why = rig.until_closed(&mut tls).unwrap_or_default();
    assert!(
        why.contains("ahead of this desk's clock"),
        "alpha's refusal: {why:?}"
    );
    // An hour ahead from a peer whose clock reads the same as ours is refused as well.
    let hour = ((now_ms() + 3_600_000) as u64) << 16;
    let mut tls = rig.link(now_ms());
    rig.send(
        &mut tls,
        &events(&[mallory_event(1, [0; 32], hour, "m", "1 Main St")]),
    );
    let why = rig.until_closed(&mut tls).unwrap_or_default();
    assert!(
        why.contains("ahead of this desk's clock"),
        "alpha's refusal: {why:?}"
    );
    let board = rig.board(|_, b| {
        b.refused
            .iter()
            .any(|r| r.who == "mallory" && r.why.contains("ahead of this desk's clock"))
    });
    assert!(!board.refused.is_empty());
    let (desk, _w) = rig.alpha.attach("ct-rivera");
    assert!(
        !desk.heads().contains_key(&ReplicaId(MALLORY)),
        "a forged clock was written"
    );
    // A peer whose clock really is ten minutes ahead (its hello and pings say so) is taken.
    let ahead = now_ms() + 600_000;
    let mut tls = rig.link(ahead);
    rig.send(
        &mut tls,
        &events(&[mallory_event(
            1,
            [0; 32],
            (ahead as u64) << 16,
            "m",
            "1 Main St",
        )]),
    );
    rig.board(|d, _| d.heads().contains_key(&ReplicaId(MALLORY)));
    drop(tls);
}

/// What mallory does with the frames alpha sends it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Nothing is ever read: a black hole, alpha's writes stall once the buffers are full.
    Never,
    /// Every frame is read and dropped; nothing is acknowledged.
    Drops,
    /// Every batch of events is read and acknowledged, as a healthy peer does.
    Acknowledges,
}

/// What mallory saw of alpha: when the first events came, and alpha's refusal (its text, and
/// when) if it closed the link with one.
#[derive(Default)]
struct Seen {
    first_events: Option<Instant>,
    refused: Option<(Instant, String)>,
    acks_sent: usize,
}

/// Mallory's side of a link, on a thread of its own: hello and an empty summary, then a ping
/// every half second until `stop`; alpha's frames are read as `reading` says, until alpha
/// closes the link (`closed`).
struct Pinger {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    seen: std::sync::Arc<std::sync::Mutex<Seen>>,
}

impl Pinger {
    fn start(rig: &Rig, reading: Reading, rcvbuf: Option<u32>) -> Pinger {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let stop = Arc::new(AtomicBool::new(false));
        let closed = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (connector, port) = (rig.connector.clone(), rig.alpha.port);
        let (stopping, closing, seeing) = (stop.clone(), closed.clone(), seen.clone());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                if let Some(size) = rcvbuf {
                    socket.set_recv_buffer_size(size).unwrap();
                }
                let tcp = socket
                    .connect(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
                    .await
                    .unwrap();
                let tls = connector
                    .connect(switchboard::sync::tls::server_name(), tcp)
                    .await
                    .unwrap();
                let (mut rd, wr) = tokio::io::split(tls);
                let wr = tokio::sync::Mutex::new(wr);
                let hello = Frame::Hello {
                    version: VERSION,
                    kind: "live".into(),
                    replica: ReplicaId(MALLORY),
                    wall_ms: now_ms(),
                };
                for f in [hello, Frame::Summary(Vec::new())] {
                    wr.lock()
                        .await
                        .write_all(&encode(&f).unwrap())
                        .await
                        .unwrap();
                }
                wr.lock().await.flush().await.unwrap();
                let _ = ready_tx.send(());
                let reading = async {
                    if reading != Reading::Never {
                        while let Ok(frame) = read_frame_async::<Frame>(&mut rd).await {
                            let events = match frame {
                                Frame::Events(events) | Frame::Sealed { events, .. } => events,
                                Frame::Refuse(why) => {
                                    let mut seen = seeing.lock().unwrap();
                                    seen.refused = Some((Instant::now(), why));
                                    continue;
                                }
                                _ => continue,
                            };
                            seeing
                                .lock()
                                .unwrap()
                                .first_events
                                .get_or_insert_with(Instant::now);
                            if reading != Reading::Acknowledges {
                                continue;
                            }
                            // Per origin, the highest seq in the batch: all of it "saved".
                            let mut heads = std::collections::BTreeMap::new();
                            for bytes in &events {
                                let e = Event::decode(bytes).unwrap();
                                let seq = heads.entry(e.origin).or_insert(0);
                                *seq = e.seq.max(*seq);
                            }
                            let ack = encode(&Frame::Ack(heads.into_iter().collect())).unwrap();
                            let mut wr = wr.lock().await;
                            if wr.write_all(&ack).await.is_err() || wr.flush().await.is_err() {
                                break;
                            }
                            seeing.lock().unwrap().acks_sent += 1;
                        }
                        closing.store(true, Ordering::SeqCst);
                    }
                    std::future::pending::<()>().await;
                };
                let pinging = async {
                    while !stopping.load(Ordering::SeqCst) {
                        let ping = encode(&Frame::Ping { wall_ms: now_ms() }).unwrap();
                        let mut wr = wr.lock().await;
                        if wr.write_all(&ping).await.is_err() || wr.flush().await.is_err() {
                            break;
                        }
                        drop(wr);
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    // Silent from now on, the socket kept open until the test ends.
                    tokio::time::sleep(LIMIT * 2).await;
                };
                tokio::select! {
                    () = reading => {}
                    () = pinging => {}
                }
            });
        });
        ready_rx.recv_timeout(LIMIT).expect("mallory's link opened");
        Pinger { stop, closed, seen }
    }

    fn closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap()
    }

    fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn state_of(board: &Board, peer: &str) -> Option<switchboard::desk::attach::LinkState> {
    board.peers.iter().find(|p| p.name == peer).map(|p| p.state)
}

// ---------------------------------------------------------------------------------------------
// Item 10: two links to one peer.

#[test]
fn a_second_link_to_one_peer_replaces_the_first_without_a_storm_of_board_frames() {
    use switchboard::desk::attach::{LinkState, Reply};
    let rig = Rig::new();
    let first = Pinger::start(&rig, Reading::Drops, None);
    rig.board(|_, b| state_of(b, "mallory") == Some(LinkState::Connected));
    let second = Pinger::start(&rig, Reading::Drops, None);
    let started = Instant::now();
    while !first.closed() {
        assert!(
            started.elapsed() < LIMIT,
            "alpha kept both links to mallory open"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The newer link stays, and the peer's line is quiet: a handful of board frames in two
    // seconds, not one for every turn of two links redrawing it.
    let (_desk, mut watch) = rig.alpha.attach("ct-rivera");
    watch.set_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut boards = 0;
    let mut last = None;
    let window = Instant::now();
    while window.elapsed() < Duration::from_secs(2) {
        if let Ok(Reply::Board(b)) = watch.recv() {
            boards += 1;
            last = Some(b);
        }
    }
    assert!(!second.closed(), "alpha closed the newer link");
    assert!(boards < 50, "{boards} board frames in two seconds");
    assert_eq!(
        state_of(&last.unwrap(), "mallory"),
        Some(LinkState::Connected)
    );
    first.stop();
    second.stop();
}

// ---------------------------------------------------------------------------------------------
// Item 9: a black-holed link.

#[test]
fn a_peer_that_stops_reading_is_shown_down_while_alpha_is_stuck_writing_to_it() {
    use switchboard::desk::attach::LinkState;
    // Alpha holds 12 MB of notes, more than the kernel buffers of a link can take while the
    // other end reads nothing: its catch-up write to mallory cannot finish.
    let rig = Rig::with(|dir| crate::common::pair::fill_with_notes(dir, 12));
    let mallory = Pinger::start(&rig, Reading::Never, Some(4096));
    let (mut desk, mut watch) = rig.alpha.attach("ct-rivera");
    watch_until(&mut watch, &mut desk, LIMIT, |_, b| {
        state_of(b, "mallory") == Some(LinkState::CatchingUp)
    });
    // Mallory falls silent too, as a pulled cable would. Alpha says so within the limit.
    std::thread::sleep(Duration::from_millis(500));
    mallory.stop();
    watch_until(&mut watch, &mut desk, LIMIT, |_, b| {
        state_of(b, "mallory") == Some(LinkState::Down)
    });
}

/// The watchdog's acknowledgement limit (`UNACKNOWLEDGED` in `src/sync/node.rs`): a peer that
/// has acknowledged nothing it was sent for this long is down.
const ACK_LIMIT: Duration = Duration::from_secs(10);

/// The ack rule on its own: mallory reads everything alpha sends and pings every half second,
/// so the link is never silent and alpha's writes never stall, but acknowledges nothing (what
/// alpha sent may never have reached a disk there). Alpha must say mallory is down, for that
/// reason, once the acknowledgement limit has passed — not before it (that would be some other
/// rule) and not much after.
#[test]
fn a_peer_that_pings_but_acknowledges_nothing_is_shown_down_when_the_ack_limit_passes() {
    use switchboard::desk::attach::LinkState;
    let rig = Rig::with(|dir| crate::common::pair::fill_with_notes(dir, 1));
    let mallory = Pinger::start(&rig, Reading::Drops, None);
    let (mut desk, mut watch) = rig.alpha.attach("ct-rivera");
    let mut down_at = None;
    let mut up_before = false;
    watch_until(
        &mut watch,
        &mut desk,
        ACK_LIMIT * 2,
        |_, b| match state_of(b, "mallory") {
            Some(LinkState::Down) if up_before => {
                down_at = Some(Instant::now());
                true
            }
            Some(LinkState::Down) | None => false,
            Some(_) => {
                up_before = true;
                false
            }
        },
    );
    let down_at = down_at.unwrap();
    // Give alpha's refusal a moment to arrive (it is written as the link closes).
    let started = Instant::now();
    while mallory.seen().refused.is_none() && started.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let seen = mallory.seen();
    let first = seen.first_events.expect("alpha sent mallory its events");
    let (refused_at, why) = seen.refused.clone().expect("alpha refused the link");
    assert!(why.contains("nothing acknowledged"), "alpha said: {why}");
    let waited = refused_at.duration_since(first);
    assert!(
        waited + Duration::from_millis(500) >= ACK_LIMIT,
        "closed after {waited:?}, before the acknowledgement limit: {why}"
    );
    assert!(
        waited <= ACK_LIMIT + Duration::from_secs(3),
        "closed only after {waited:?}"
    );
    let shown = down_at.duration_since(first);
    assert!(
        shown <= ACK_LIMIT + Duration::from_secs(4),
        "shown down only after {shown:?}"
    );
    drop(seen);
    mallory.stop();
}

/// The other side of the rule: a peer that acknowledges what it is sent stays up well past the
/// acknowledgement limit while alpha keeps sending it new events.
#[test]
fn a_peer_that_acknowledges_what_it_is_sent_stays_up_past_the_ack_limit() {
    use switchboard::desk::attach::LinkState;
    let rig = Rig::with(|dir| crate::common::pair::fill_with_notes(dir, 1));
    let mallory = Pinger::start(&rig, Reading::Acknowledges, None);
    let (mut desk, mut watch) = rig.alpha.attach("ct-rivera");
    let mut board = watch_until(&mut watch, &mut desk, LIMIT, |_, b| {
        crate::common::pair::connected(b, "mallory")
    });
    let window = Instant::now();
    let mut n = 0;
    while window.elapsed() < ACK_LIMIT + Duration::from_secs(3) {
        n += 1;
        desk.execute_line(&format!("unit add STAR-{n} clinician"))
            .unwrap();
        board =
            crate::common::pair::watch_for(&mut watch, &mut desk, board, Duration::from_secs(1));
        let state = state_of(&board, "mallory");
        assert!(
            matches!(state, Some(LinkState::Connected | LinkState::CatchingUp)),
            "mallory shown {state:?} after {:?} though it acknowledged everything",
            window.elapsed()
        );
    }
    let seen = mallory.seen();
    assert!(seen.refused.is_none(), "alpha refused: {:?}", seen.refused);
    assert!(
        seen.acks_sent > n / 2,
        "only {} acks for {n} changes",
        seen.acks_sent
    );
    assert!(!mallory.closed());
    drop(seen);
    mallory.stop();
}

// ---------------------------------------------------------------------------------------------
// Item 8: descriptor exhaustion.

#[test]
fn a_flood_of_idle_connections_does_not_stop_local_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("alpha");
    ok(tmp.path(), &a, &["exec", "unit add STAR-1 clinician"]);
    let port = crate::common::pair::free_port();
    let listen = format!("127.0.0.1:{port}");
    // The desk may hold 200 descriptors; the flood is more than that on each port.
    let mut serve = Command::new("prlimit");
    serve
        .args(["--nofile=200:200", "--"])
        .arg(BIN)
        .args(["serve", "--listen", &listen, "--data"])
        .arg(&a)
        .env("SWITCHBOARD_DATA", tmp.path().join("decoy"))
        .env("SWITCHBOARD_CONFIG", tmp.path().join("no-config"))
        .env("SWITCHBOARD_OPERATOR", "tester")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut served = serve.spawn().unwrap();
    let sock = a.join("desk.sock");
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(&sock).is_err() {
        assert!(started.elapsed() < LIMIT, "serve did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The flood, on a thread: a connect waits when the desk's backlog is full, and a desk that
    // stopped accepting must fail the test, not hang it.
    let (tx, rx) = std::sync::mpsc::channel();
    let (flood_sock, flood_addr) = (sock.clone(), listen.clone());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for _ in 0..300 {
            if let Ok(s) = std::os::unix::net::UnixStream::connect(&flood_sock) {
                held.push(s);
            }
        }
        let mut tcp = Vec::new();
        for _ in 0..300 {
            if let Ok(s) = std::net::TcpStream::connect(&flood_addr) {
                tcp.push(s);
            }
        }
        let _ = tx.send((held, tcp));
    });
    let Ok((held, tcp)) = rx.recv_timeout(LIMIT) else {
        let _ = served.kill();
        let _ = served.wait();
        panic!("the desk stopped taking connections under a flood of idle ones");
    };
    // A command still gets through, and the desk still serves (bounded: killed if it hangs).
    let mut exec = command(tmp.path(), &a, &["exec", "unit add STAR-2 clinician"]);
    let mut child = exec.spawn().unwrap();
    let Some(status) = crate::common::wait_at_most(&mut child, LIMIT) else {
        let _ = served.kill();
        panic!("exec hung while idle connections held the desk's descriptors");
    };
    let out = child.wait_with_output().unwrap();
    assert!(status.success(), "exec failed: {}", stderr(&out));
    assert!(served.try_wait().unwrap().is_none(), "the desk died");
    let state = ok(tmp.path(), &a, &["state"]);
    assert!(state.contains("STAR-2"), "{state}");
    drop(held);
    drop(tcp);
    let _ = served.kill();
    let _ = served.wait();
}
