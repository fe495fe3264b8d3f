//! NENA EIDO export and import, and the NENA-STA-024 conveyance.
//!
//! Every exported document is checked against the shipped schema and the NIEM components it
//! points to (copied from NENA's repositories into `tests/fixtures/eido/nena/`, see its
//! PROVENANCE.md) by a small validator written here ([`validator`]); every code against the
//! registries of NENA-STA-021.1b; a round trip export → import keeps the call; hostile documents
//! are refused with one line and the store stays as it was.

mod cli;
mod conveyance;
mod export;
mod import;
pub mod validator;

use std::path::{Path, PathBuf};

use serde_json::Value;
use switchboard::desk::{Desk, ManualClock, Outcome};
use switchboard::domain::{CallId, Event, ReplicaId, State};
use switchboard::report::eido;
use switchboard::store::{Store, StoreKind};
use tempfile::TempDir;

/// 2026-11-23T08:00:00Z.
pub const T0: i64 = 1_795_420_800_000;
pub const MIN: i64 = 60_000;

/// NENA's schemas, registries and samples, kept in the repository so the tests run from a
/// checkout on its own.
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eido/nena")
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eido")
        .join(name)
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

// A call history.

pub struct History {
    /// Always `Some` between calls; taken out only while the operator changes.
    desk: Option<Desk>,
    clock: ManualClock,
    pub dir: TempDir,
}

impl History {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::at(T0);
        let mut h = History {
            desk: None,
            clock,
            dir,
        };
        h.sign_in("ana");
        h
    }

    /// Another operator takes the console (the store is the same, so is the replica).
    pub fn sign_in(&mut self, operator: &str) {
        if let Some(desk) = self.desk.take() {
            desk.close().unwrap();
        }
        let store = Store::open_as(self.dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
        self.desk = Some(Desk::open(store, Box::new(self.clock.clone()), operator).unwrap());
    }

    pub fn desk(&mut self) -> &mut Desk {
        self.desk.as_mut().unwrap()
    }

    pub fn run(&mut self, line: &str) -> Vec<Event> {
        match self.desk().run_line(line) {
            Ok(Outcome::Committed(events)) => events,
            Ok(Outcome::Answered(lines)) => panic!("{line} answered {lines:?}"),
            Err(e) => panic!("{line}: {e}"),
        }
    }

    pub fn at(&mut self, minutes: i64, line: &str) -> Vec<Event> {
        self.clock.set(T0 + minutes * MIN);
        self.run(line)
    }

    pub fn events(&self) -> Vec<Event> {
        self.desk.as_ref().unwrap().events().unwrap()
    }

    pub fn state(&self) -> &State {
        self.desk.as_ref().unwrap().state()
    }
}

pub fn new_call(events: &[Event]) -> CallId {
    events
        .iter()
        .find_map(|e| match &e.body {
            switchboard::domain::Body::CallCreated { call, .. } => Some(call.clone()),
            _ => None,
        })
        .expect("a call was taken")
}

/// A shift in small: a crisis call worked from intake to close by two operators (triage, a
/// dispatch, statuses, notes including one with HTML-looking text and a caution), a noise call
/// left pending, and a backup request linking two calls.
pub fn shift() -> (History, CallId, CallId) {
    let mut h = History::new();
    h.run("unit add STAR-1 clinician,medic --zone d6");
    h.run("unit add STAR-2 peer,emt --zone d3");
    let crisis = new_call(&h.at(
        0,
        "call 1450 Larimer St / man pacing in traffic, talking to himself --type bh-crisis \
         --caller Jo Smith --cb 555-0101 --at 39.74,-104.99",
    ));
    for (i, answer) in [
        "violence no",
        "weapon no",
        "crime no",
        "medical no",
        "hazard no",
        "harm no",
        "info yes",
    ]
    .iter()
    .enumerate()
    {
        h.at(1 + i as i64 / 3, &format!("ask {crisis} {answer}"));
    }
    h.at(3, &format!("dp STAR-1 {crisis}"));
    h.at(4, "enr STAR-1");
    h.at(
        5,
        &format!("note {crisis} caller says he is <b>not</b> armed & it's calm now"),
    );
    h.at(16, "ons STAR-1");
    h.sign_in("Bo Lee");
    h.at(20, &format!("note {crisis} dog in the yard --caution"));
    h.at(30, "ok STAR-1");
    let backup = new_call(&h.at(35, &format!("backup {crisis} ems")));
    h.at(
        50,
        &format!("note {crisis} agreed to go to the crisis centre"),
    );
    h.at(55, "avl STAR-1");
    h.at(56, &format!("close {crisis} community-transport"));
    h.at(
        60,
        "call 12 Main St / loud party, music since 10 --type noise --cb ask for the front desk",
    );
    (h, crisis, backup)
}

pub fn export_all(h: &History) -> Vec<Value> {
    eido::export(&h.events(), h.state(), None, None, None).unwrap()
}

pub fn export_one(h: &History, call: &CallId) -> Value {
    let mut docs = eido::export(&h.events(), h.state(), Some(call), None, None).unwrap();
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
