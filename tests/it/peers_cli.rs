//! `switchboard id` and `switchboard peer add|list|rm`, through the real binary, each run with
//! an explicit `--data` in a temp dir and a decoy `SWITCHBOARD_DATA` that must stay untouched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use switchboard::sync::Fingerprint;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

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

    fn run_in(&self, data: &Path, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("--data")
            .arg(data)
            .args(args)
            .env("SWITCHBOARD_DATA", self.decoy())
            .env("SWITCHBOARD_OPERATOR", "tester")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run switchboard")
    }

    fn ok_in(&self, data: &Path, args: &[&str]) -> String {
        let out = self.run_in(data, args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The one stderr line of a refused run (exit status 1, nothing on stdout).
    fn refused_in(&self, data: &Path, args: &[&str]) -> String {
        let out = self.run_in(data, args);
        assert_eq!(out.status.code(), Some(1), "{args:?} should be refused");
        assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "not one line: {err}");
        err.trim_end().to_owned()
    }

    fn id(&self, data: &Path) -> Fingerprint {
        let out = self.ok_in(data, &["id"]);
        assert_eq!(out.lines().count(), 1, "{out}");
        out.trim().parse().expect("id prints a fingerprint")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(!self.decoy().exists(), "SWITCHBOARD_DATA was touched");
        }
    }
}

#[test]
fn id_is_made_once_and_stable() {
    let sb = Sandbox::new();
    let a = sb.dir("a");
    let first = sb.id(&a);
    assert_eq!(sb.id(&a), first);
    assert_eq!(
        sb.ok_in(&a, &["id"]).trim(),
        first.to_string(),
        "printed in the canonical form"
    );
    assert_ne!(sb.id(&sb.dir("b")), first, "each data dir is its own node");
    // The store opens beside the identity, and leaves it alone.
    sb.ok_in(&a, &["exec", "unit add STAR-1 peer"]);
    assert_eq!(sb.id(&a), first);
}

#[test]
fn a_corrupt_identity_is_refused_in_one_line_and_kept() {
    let sb = Sandbox::new();
    let a = sb.dir("a");
    sb.id(&a);
    let key = a.join("identity/key.der");
    std::fs::write(&key, b"garbage").unwrap();
    let err = sb.refused_in(&a, &["id"]);
    assert!(
        err.starts_with("switchboard: the node identity in "),
        "{err}"
    );
    assert!(err.contains("never replaced automatically"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), b"garbage");
}

#[test]
fn peer_add_list_update_and_rm() {
    let sb = Sandbox::new();
    let (a, b, c) = (sb.dir("a"), sb.dir("b"), sb.dir("c"));
    let (fb, fc) = (sb.id(&b), sb.id(&c));
    assert_eq!(sb.ok_in(&a, &["peer", "list"]), "no peers\n");

    let out = sb.ok_in(
        &a,
        &[
            "peer",
            "add",
            &fb.to_string(),
            "10.0.0.2:7400",
            "--name",
            "north",
        ],
    );
    let own = sb.id(&a);
    assert_eq!(
        out,
        format!(
            "added peer north {fb} at 10.0.0.2:7400\n\
             on that node, run: switchboard peer add {own} <this node's HOST:PORT>\n"
        )
    );
    // Lower case without dashes is the same fingerprint; the name defaults to its short form.
    let loose = fc.to_string().to_lowercase().replace('-', "");
    sb.ok_in(&a, &["peer", "add", &loose, "node3.example.org:7400"]);
    let list = sb.ok_in(&a, &["peer", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(
        lines[0].starts_with("NAME ") && lines[0].ends_with("ADDRESS"),
        "{list}"
    );
    assert_eq!(lines[1], format!("north  {fb}  10.0.0.2:7400"));
    assert_eq!(
        lines[2],
        format!("{:<5}  {fc}  node3.example.org:7400", fc.short())
    );

    // Adding a known fingerprint again moves it.
    let out = sb.ok_in(&a, &["peer", "add", &fb.to_string(), "10.0.0.9:7400"]);
    assert_eq!(out, format!("updated peer north {fb} at 10.0.0.9:7400\n"));
    assert!(sb.ok_in(&a, &["peer", "list"]).contains("10.0.0.9:7400"));

    let out = sb.ok_in(&a, &["peer", "rm", "north"]);
    assert_eq!(out, format!("removed peer north {fb}\n"));
    let out = sb.ok_in(&a, &["peer", "rm", &fc.to_string()]);
    assert_eq!(out, format!("removed peer {} {fc}\n", fc.short()));
    assert_eq!(sb.ok_in(&a, &["peer", "list"]), "no peers\n");
    let err = sb.refused_in(&a, &["peer", "rm", "north"]);
    assert_eq!(
        err,
        "switchboard: no peer is named or has the fingerprint 'north' (see `switchboard peer list`)"
    );
}

#[test]
fn peer_add_refusals_are_one_line_and_change_nothing() {
    let sb = Sandbox::new();
    let (a, b) = (sb.dir("a"), sb.dir("b"));
    let (own, fb) = (sb.id(&a), sb.id(&b));
    let err = sb.refused_in(&a, &["peer", "add", "ABCD-EFGH", "h:1"]);
    assert_eq!(
        err,
        "switchboard: not a fingerprint: a fingerprint has 52 letters and digits (dashes and \
         spaces optional), this has 8"
    );
    let err = sb.refused_in(&a, &["peer", "add", &own.to_string(), "h:1"]);
    assert!(err.contains("is this node's own fingerprint"), "{err}");
    let err = sb.refused_in(&a, &["peer", "add", &fb.to_string(), "10.0.0.2"]);
    assert_eq!(
        err,
        "switchboard: bad address '10.0.0.2': expected HOST:PORT, e.g. 192.168.1.20:7400"
    );
    assert!(!a.join("peers.toml").exists(), "a refusal wrote the list");

    std::fs::write(a.join("peers.toml"), "[[peer]]\nfingerprint = 3\n").unwrap();
    let err = sb.refused_in(&a, &["peer", "list"]);
    let path = a.join("peers.toml");
    assert!(
        err.starts_with(&format!("switchboard: {}:2: ", path.display())),
        "{err}"
    );
}

#[test]
fn id_and_peer_work_while_the_store_is_open() {
    let sb = Sandbox::new();
    let (a, b) = (sb.dir("a"), sb.dir("b"));
    let fb = sb.id(&b);
    // Another process holds the store (as a running console would).
    let store = switchboard::store::Store::open(&a, switchboard::store::StoreKind::Live).unwrap();
    let busy = sb.run_in(&a, &["state"]);
    assert!(!busy.status.success(), "the store should be locked");
    let own = sb.id(&a);
    sb.ok_in(&a, &["peer", "add", &fb.to_string(), "127.0.0.1:7400"]);
    assert!(sb.ok_in(&a, &["peer", "list"]).contains(&fb.to_string()));
    store.close().unwrap();
    assert_eq!(sb.id(&a), own);
}
