//! Health data handled as the people in it require (issue 17, items 3–5): the OS user stamped
//! beside the operator and checked against `[act_as]`, restricted calls, exports per reader.
//!
//! Real processes and a real served desk where the item is about who is on the socket.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use switchboard::desk::author::own_user;
use switchboard::desk::SystemClock;

use crate::common::sandbox::Sandbox;

const LIMIT: Duration = Duration::from_secs(20);

/// A data dir and a config dir of its own, with `config.toml` as given.
struct Centre {
    sandbox: Sandbox,
}

impl Centre {
    fn new(config: &str) -> Centre {
        let sandbox = Sandbox::new();
        std::fs::write(sandbox.config().join("config.toml"), config).unwrap();
        Centre { sandbox }
    }

    fn data(&self) -> PathBuf {
        self.sandbox.data()
    }

    fn command(&self, operator: &str, args: &[&str]) -> Command {
        self.sandbox.command_as(operator, &self.data(), args)
    }

    fn run(&self, operator: &str, args: &[&str]) -> Output {
        self.command(operator, args).output().unwrap()
    }

    fn ok(&self, operator: &str, args: &[&str]) -> String {
        let out = self.run(operator, args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A one-line refusal, nothing on stdout.
    fn refused(&self, operator: &str, args: &[&str]) -> String {
        let out = self.run(operator, args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{args:?} not refused");
        assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
        err
    }

    /// `switchboard serve` on the data dir, once its socket answers.
    fn serve(&self) -> Served {
        let child = self
            .command("desk", &["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::os::unix::net::UnixStream::connect(self.data().join("desk.sock")).is_err() {
            assert!(started.elapsed() < LIMIT, "serve did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Served(child)
    }
}

struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn log_json(centre: &Centre) -> Vec<serde_json::Value> {
    centre
        .ok("anyone", &["log", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn attach(dir: &Path, operator: &str) -> Result<switchboard::desk::Desk, String> {
    switchboard::desk::attach::attach(dir, Box::new(SystemClock), operator)
        .map(|d| d.expect("a desk serves this dir").0)
}

// ---------------------------------------------------------------------------------------------
// Item 4: honest authorship.

#[test]
fn a_local_desk_stamps_its_own_os_user_beside_the_operator() {
    let centre = Centre::new("");
    let me = own_user();
    centre.ok("ct-okafor", &["exec", "unit add STAR-9 clinician"]);
    let events = log_json(&centre);
    assert!(events
        .iter()
        .all(|e| e["operator"] == "ct-okafor" && e["os_user"] == me.as_str()));
    let text = centre.ok("anyone", &["log"]);
    assert!(text.contains(&format!("ct-okafor (os {me})")), "{text}");
}

#[test]
fn a_served_desk_stamps_the_os_user_on_its_socket_and_refuses_one_acting_as_another() {
    let me = own_user();
    let centre = Centre::new(&format!("[act_as]\n\"{me}\" = [\"ct-okafor\"]\n"));
    // The store is made before the desk serves it, by the one operator this user may be.
    centre.ok("ct-okafor", &["exec", "unit add STAR-1 clinician"]);
    let _served = centre.serve();
    let dir = centre.data();

    // A real attach over the socket: what it commits carries the OS user the desk saw there.
    let mut desk = attach(&dir, "ct-okafor").unwrap();
    let events = desk.execute_line("unit add STAR-9 clinician").unwrap();
    assert!(events
        .iter()
        .all(|e| e.operator == "ct-okafor" && e.os_user.as_deref() == Some(me.as_str())));

    // Naming an operator this OS user may not act as: one line, nothing written.
    let mut other = attach(&dir, "ct-reyes").unwrap();
    let why = other
        .execute_line("unit add STAR-7 clinician")
        .unwrap_err()
        .to_string();
    assert!(
        why.contains(&format!("OS user {me} may not act as operator 'ct-reyes'")),
        "{why}"
    );
    assert!(!why.contains('\n'));
    // A console naming such an operator is turned away before it sees anything.
    let console =
        switchboard::desk::attach::attach_console(&dir, Box::new(SystemClock), "ct-reyes");
    let why = console.err().expect("a console as ct-reyes is refused");
    assert!(why.contains("may not act as operator 'ct-reyes'"), "{why}");
    // The binary, attached through the socket, says so in one line.
    let err = centre.refused("ct-reyes", &["exec", "unit add STAR-8 clinician"]);
    assert!(err.contains("may not act as operator 'ct-reyes'"), "{err}");

    let log = centre.ok("anyone", &["log"]);
    assert!(log.contains("STAR-9") && !log.contains("STAR-7") && !log.contains("STAR-8"));
    assert!(log.contains(&format!("ct-okafor (os {me})")), "{log}");
}

#[test]
fn events_from_before_the_os_user_was_recorded_still_verify_and_fold() {
    use switchboard::domain::{Body, Event};
    use switchboard::store::{Sealed, Store, StoreKind};
    let centre = Centre::new("");
    let dir = centre.data();
    // As an older desk wrote them: no OS user on the event, so no such field in its bytes.
    let mut store = Store::open(&dir, StoreKind::Live).unwrap();
    let origin = store.replica();
    let e = Event {
        origin,
        seq: 1,
        hlc: 1 << 30,
        wall_ms: 1_700_000_000_000,
        prev: [0; 32],
        operator: "ct-old".into(),
        body: Body::UnitAdded {
            unit: "STAR-3".parse().unwrap(),
            capabilities: vec![],
            zone: None,
        },
        request: None,
        os_user: None,
    };
    let sealed = Sealed::new(e);
    assert!(!String::from_utf8_lossy(&sealed.bytes).contains("os_user"));
    store.commit(&[sealed]).unwrap();
    store.close().unwrap();
    centre.ok("ct-okafor", &["exec", "unit add STAR-9 clinician"]);
    centre.ok("anyone", &["verify"]);
    let log = centre.ok("anyone", &["log"]);
    assert!(
        log.contains("ct-old ") && !log.contains("ct-old (os"),
        "{log}"
    );
    assert!(
        log.contains(&format!("ct-okafor (os {})", own_user())),
        "{log}"
    );
}
