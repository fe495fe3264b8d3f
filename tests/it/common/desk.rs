//! A desk on a real sled store in a temp dir, with a clock the test moves, and the few ways
//! tests run lines on it.

use std::path::Path;

use switchboard::desk::attach::{attach, Watch};
use switchboard::desk::{Clock, Desk, ManualClock, Outcome};
use switchboard::domain::{Body, CallId, ReplicaId};
use switchboard::store::{Store, StoreKind};
use switchboard::sync::node::{serve_in_background, Options, Serving};
use tempfile::TempDir;

/// 2026-11-27 10:00 UTC.
pub const T0: i64 = 1_795_773_600_000;
pub const MIN: i64 = 60_000;

/// A desk at [`T0`] on a fresh live store, operator `ct`.
pub fn desk() -> (Desk, ManualClock, TempDir) {
    desk_as("ct")
}

pub fn desk_as(operator: &str) -> (Desk, ManualClock, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let clock = ManualClock::at(T0);
    let desk = Desk::open(store, Box::new(clock.clone()), operator).unwrap();
    (desk, clock, dir)
}

/// Runs a line that must commit; the bodies it committed.
pub fn run(desk: &mut Desk, line: &str) -> Vec<Body> {
    match desk
        .run_line(line)
        .unwrap_or_else(|e| panic!("{line}: {e}"))
    {
        Outcome::Committed(events) => events.into_iter().map(|e| e.body).collect(),
        Outcome::Answered(lines) => panic!("{line} answered {lines:?}"),
    }
}

/// Runs a line that must be refused, and checks it changed nothing; the refusal.
pub fn refused(desk: &mut Desk, line: &str) -> String {
    let before = desk.state().digest();
    let err = desk.run_line(line).expect_err(line).to_string();
    assert_eq!(
        desk.state().digest(),
        before,
        "a refusal changed the state: {line}"
    );
    err
}

/// Takes a call with a `call …` line; its id.
pub fn take(desk: &mut Desk, line: &str) -> CallId {
    run(desk, line)
        .into_iter()
        .find_map(|b| match b {
            Body::CallCreated { call, .. } => Some(call),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{line} took no call"))
}

/// Runs a line that must only read; the lines it answered.
pub fn answer(desk: &mut Desk, line: &str) -> Vec<String> {
    match desk
        .run_line(line)
        .unwrap_or_else(|e| panic!("{line}: {e}"))
    {
        Outcome::Answered(lines) => lines,
        Outcome::Committed(events) => panic!("{line} committed {events:?}"),
    }
}

/// Serves `desk` on `dir`'s socket only (no peers), and attaches a console to it for
/// `operator`, reading `clock`.
pub fn served_with_console(
    desk: Desk,
    dir: &Path,
    clock: Box<dyn Clock>,
    operator: &str,
) -> (Serving, Desk, Watch) {
    let serving = serve_in_background(
        desk,
        Options {
            dir: dir.to_owned(),
            listen: None,
        },
    )
    .expect("serve");
    let (console, watch) = attach(dir, clock, operator)
        .unwrap()
        .expect("a desk serves this dir");
    (serving, console, watch)
}
