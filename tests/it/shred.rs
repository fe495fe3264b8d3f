//! Crypto-shredding (issue 17, items 1 and 6): personal text sealed in the log with a key per
//! call, erased on every node by destroying the key, a chain that still verifies, a legal hold
//! that blocks it, old plain stores that still open, and a store whose bytes hold no name.

use std::path::Path;
use std::time::Duration;

use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::event::{hash_bytes, ERASED};
use switchboard::domain::{Body, CallId, Event, Priority, ReplicaId};
use switchboard::report::metrics::{Metrics, Period};
use switchboard::store::{Sealed, Store, StoreKind};

use crate::common::desk::{desk, refused, run, take, MIN, T0};
use crate::common::pair::{connected, pair, watch_until};

const NAME: &str = "Marguerite Okonkwo";
const CALLBACK: &str = "555-867-5309";
const NOTE: &str = "disclosed a fentanyl relapse last night";

/// A closed call with a caller, a callback, a note and a triage answer.
fn closed_call(d: &mut Desk, clock: &ManualClock) -> CallId {
    let id = take(
        d,
        &format!("call 12 Main St / man in crisis --caller {NAME} --cb {CALLBACK} --type welfare"),
    );
    run(d, &format!("note {id} {NOTE}"));
    run(d, &format!("ask {id} weapon no"));
    clock.advance(10 * MIN);
    run(d, &format!("close {id} resolved"));
    id
}

fn texts(d: &Desk, id: &CallId) -> String {
    let c = &d.state().calls[id];
    let mut all = vec![c.nature.clone()];
    all.extend(c.caller.clone());
    all.extend(c.callback.clone());
    all.extend(c.notes.iter().map(|n| n.text.clone()));
    all.extend(c.answers.values().cloned());
    for e in d.chronology(id).unwrap() {
        all.push(e.body.describe());
    }
    all.join("\n")
}

fn figures(d: &Desk) -> String {
    let mut m = Metrics::new(Period::new(T0 - MIN, T0 + 600 * MIN), d.policy());
    for e in d.events().unwrap() {
        if !matches!(e.body, Body::CallErased { .. }) {
            m.add(&e);
        }
    }
    format!("{:?}", m.summary(T0 + 600 * MIN))
}

fn reopen(dir: &Path) -> Desk {
    let store = Store::open(dir, StoreKind::Live).unwrap();
    Desk::open(store, Box::new(ManualClock::at(T0 + 60 * MIN)), "ct").unwrap()
}

#[test]
fn an_erased_call_reads_erased_everywhere_and_its_chain_still_verifies() {
    let (mut d, clock, dir) = desk();
    let id = closed_call(&mut d, &clock);
    assert!(texts(&d, &id).contains(NOTE));
    let before = figures(&d);

    refused(&mut d, &format!("erase {id}"));
    let done = run(
        &mut d,
        &format!("erase {id} --reason caller asked (ticket 88)"),
    );
    assert!(
        matches!(&done[..], [Body::CallErased { reason, .. }] if reason == "caller asked (ticket 88)")
    );

    let shown = texts(&d, &id);
    for secret in [NAME, CALLBACK, NOTE, "man in crisis"] {
        assert!(!shown.contains(secret), "{secret} still shown:\n{shown}");
    }
    assert!(shown.contains(ERASED), "{shown}");
    assert_eq!(d.state().calls[&id].notes[0].text, ERASED);
    assert_eq!(figures(&d), before, "figures changed by the erasure");
    // The erasure's own event says who and why, and no personal text.
    let erasure = d.chronology(&id).unwrap().pop().unwrap();
    assert_eq!(erasure.operator, "ct");
    assert!(!format!("{:?}", erasure.body).contains(NAME));
    // Nothing writes its personal fields again.
    assert!(refused(&mut d, &format!("note {id} more")).contains("erased"));
    refused(&mut d, &format!("erase {id} --reason again"));
    d.close().unwrap();

    // After a restart (from the checkpoint written at the erasure, and from a full fold).
    let d = reopen(dir.path());
    assert_eq!(d.state().calls[&id].caller.as_deref(), Some(ERASED));
    assert!(!texts(&d, &id).contains(NOTE));
    assert_eq!(figures(&d), before);
    d.close().unwrap();
    let verified = Desk::verify(Store::open(dir.path(), StoreKind::Live).unwrap()).unwrap();
    assert!(verified.checkpoint.is_ok(), "{:?}", verified.checkpoint);
    std::fs::remove_file(dir.path().join("store/checkpoint")).unwrap();
    let d = reopen(dir.path());
    assert_eq!(d.state().calls[&id].notes[0].text, ERASED);
    assert_eq!(d.state().calls[&id].answers["weapon"], ERASED);
}

#[test]
fn a_legal_hold_blocks_erasure_until_it_is_released() {
    let (mut d, clock, _dir) = desk();
    let id = closed_call(&mut d, &clock);
    run(&mut d, &format!("hold-legal {id} subpoena 2026-CV-114"));
    let why = refused(&mut d, &format!("erase {id} --reason schedule"));
    assert!(
        why.contains("legal hold") && why.contains("subpoena"),
        "{why}"
    );
    refused(&mut d, &format!("hold-legal {id} twice"));
    run(&mut d, &format!("release-legal {id} case closed"));
    assert!(d.state().calls[&id].legal_hold.is_none());
    run(&mut d, &format!("erase {id} --reason schedule"));
    assert!(d.state().calls[&id].erased);
}

#[test]
fn an_open_call_is_not_erased() {
    let (mut d, _clock, _dir) = desk();
    let id = take(&mut d, &format!("call 1 Elm St / crisis --caller {NAME}"));
    let why = refused(&mut d, &format!("erase {id} --reason asked"));
    assert!(why.contains("close it"), "{why}");
}

/// Every byte of every file under `dir`.
fn all_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn holds(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_copied_store_holds_no_readable_personal_text() {
    let (mut d, clock, dir) = desk();
    let id = closed_call(&mut d, &clock);
    // Enough events for a checkpoint too (the fold holds the text in memory).
    d.write_checkpoint();
    d.close().unwrap();
    let files = all_bytes(&dir.path().join("store"));
    assert!(
        files.iter().any(|(p, _)| p.ends_with("store/db")),
        "{files:?}"
    );
    assert!(files.iter().any(|(p, _)| p.ends_with("checkpoint")));
    for (path, bytes) in &files {
        for secret in [NAME, CALLBACK, NOTE] {
            assert!(!holds(bytes, secret), "{path} holds {secret:?}");
        }
    }
    // The node key is in the data dir, owner-only, outside the store.
    let key = dir.path().join("vault.key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    // And the desk reads it all back.
    let d = reopen(dir.path());
    assert!(texts(&d, &id).contains(NOTE));
    assert_eq!(d.state().calls[&id].caller.as_deref(), Some(NAME));
}

#[test]
fn a_store_with_plain_events_from_before_sealing_still_opens_and_erases() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let call = CallId::mint(2026, &ReplicaId(1).tag(), 1);
    let old = Event {
        origin: ReplicaId(1),
        seq: 1,
        hlc: (T0 as u64) << 16,
        wall_ms: T0,
        prev: [0; 32],
        operator: "ct".into(),
        body: Body::CallCreated {
            call: call.clone(),
            location: "4 Ash Ct".into(),
            coords: None,
            nature: "old plain nature".into(),
            call_type: None,
            priority: "3".parse::<Priority>().unwrap(),
            caller: Some(NAME.into()),
            callback: None,
            zone: None,
            started_ms: None,
            civic: None,
            placed: None,
        },
        request: None,
        os_user: None,
    };
    let plain = Sealed::new(old);
    assert!(holds(&plain.bytes, NAME));
    let _ = hash_bytes(&plain.bytes);
    store.commit(&[plain]).unwrap();
    let clock = ManualClock::at(T0 + MIN);
    let mut d = Desk::open(store, Box::new(clock.clone()), "ct").unwrap();
    assert_eq!(d.state().calls[&call].caller.as_deref(), Some(NAME));
    run(&mut d, &format!("note {call} {NOTE}"));
    assert_eq!(d.state().calls[&call].notes[0].text, NOTE);
    d.close().unwrap();
    let mut d = reopen(dir.path());
    assert_eq!(d.state().calls[&call].nature, "old plain nature");
    assert_eq!(d.state().calls[&call].notes[0].text, NOTE);
    run(&mut d, &format!("close {call} resolved"));
    run(&mut d, &format!("erase {call} --reason retention"));
    d.close().unwrap();
    std::fs::remove_file(dir.path().join("store/checkpoint")).ok();
    let d = reopen(dir.path());
    // The plain event's text too reads erased (its bytes cannot be shredded: see the docs).
    assert_eq!(d.state().calls[&call].caller.as_deref(), Some(ERASED));
    assert_eq!(d.state().calls[&call].notes[0].text, ERASED);
}

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn an_erasure_on_one_node_leaves_the_text_unreadable_on_both() {
    let root = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = pair(root.path());
    alpha.start();
    bravo.start();
    let (mut a, mut a_watch) = alpha.attach("ct-rivera");
    let (mut b, mut b_watch) = bravo.attach("ct-okafor");
    watch_until(&mut a_watch, &mut a, LIMIT, |_, board| {
        connected(board, "bravo")
    });
    let id = crate::common::pair::take_call(
        &mut a,
        &format!("call 12 Main St / man in crisis --caller {NAME} --type welfare"),
    );
    a.execute_line(&format!("note {id} {NOTE}")).unwrap();
    // The key went to bravo with the events: its console reads the note.
    watch_until(&mut b_watch, &mut b, LIMIT, |d, _| {
        d.state().calls.get(&id).is_some_and(|c| c.notes.len() == 1)
    });
    assert_eq!(b.state().calls[&id].notes[0].text, NOTE);
    assert_eq!(b.state().calls[&id].caller.as_deref(), Some(NAME));
    a.execute_line(&format!("close {id} resolved")).unwrap();
    a.execute_line(&format!("erase {id} --reason caller asked"))
        .unwrap();
    watch_until(&mut b_watch, &mut b, LIMIT, |d, _| {
        d.state().calls.get(&id).is_some_and(|c| c.erased)
    });
    assert_eq!(b.state().calls[&id].notes[0].text, ERASED);
    drop((a_watch, b_watch));
    alpha.stop();
    bravo.stop();
    // On both stores the key is gone: a full fold reads erased, the chains verify.
    for dir in [&alpha.dir, &bravo.dir] {
        std::fs::remove_file(dir.join("store/checkpoint")).ok();
        let d = reopen(dir);
        assert_eq!(
            d.state().calls[&id].notes[0].text,
            ERASED,
            "{}",
            dir.display()
        );
        assert_eq!(d.state().calls[&id].caller.as_deref(), Some(ERASED));
        d.close().unwrap();
        Desk::verify(Store::open(dir, StoreKind::Live).unwrap()).unwrap();
    }
}

#[test]
fn erase_by_caller_erases_every_closed_call_of_theirs_and_leaves_the_rest() {
    let (mut d, clock, _dir) = desk();
    let first = closed_call(&mut d, &clock);
    let second = closed_call(&mut d, &clock);
    let held = closed_call(&mut d, &clock);
    run(&mut d, &format!("hold-legal {held} subpoena 41"));
    let open = take(
        &mut d,
        &format!("call 3 Oak St / man in crisis --caller {NAME}"),
    );
    let other = take(
        &mut d,
        "call 5 Oak St / someone else --caller Pat Lin --cb 555-0100",
    );
    run(&mut d, &format!("close {other} resolved"));

    refused(&mut d, "erase --caller Nobody Here --reason asked");
    let done = run(
        &mut d,
        &format!(
            "erase --caller \"{}\" --reason caller asked (ticket 90)",
            NAME.to_uppercase()
        ),
    );
    let erased: Vec<&CallId> = done
        .iter()
        .filter_map(|b| match b {
            Body::CallErased { call, .. } => Some(call),
            _ => None,
        })
        .collect();
    assert_eq!(erased, [&first, &second], "closed, not held, theirs");
    for id in [&first, &second] {
        assert!(!texts(&d, id).contains(NOTE));
    }
    assert!(texts(&d, &held).contains(NOTE), "the legal hold keeps it");
    assert!(texts(&d, &open).contains(NAME), "an open call keeps it");
    assert!(
        texts(&d, &other).contains("Pat Lin"),
        "another caller's call keeps it"
    );
    // By callback number, whatever its punctuation.
    let again = run(&mut d, "erase --caller (555) 0100 --reason asked");
    assert!(matches!(&again[..], [Body::CallErased { call, .. }] if call == &other));
    // What is left is open or held: said so, nothing erased.
    let why = refused(&mut d, &format!("erase --caller {NAME} --reason asked"));
    assert!(why.contains("open or under a legal hold"), "{why}");
}

/// A store reads a call's key when it first needs it, not at open: a note sealed on an old call
/// after a reopen is sealed with that call's key (not a new one that would take its place), so
/// the call's earlier text still opens; and a `vault.key` from elsewhere is refused at open.
#[test]
fn keys_read_when_first_needed_seal_an_old_calls_new_text_with_its_own_key() {
    let (d, clock, dir) = desk();
    // A checkpoint after every commit, so the reopen resumes from it and reads no event.
    let mut d = d.with_checkpoint_every(Some(1));
    let id = closed_call(&mut d, &clock);
    d.close().unwrap();
    let reopen = |dir: &Path| {
        let store = Store::open_as(dir, StoreKind::Live, Some(ReplicaId(1))).unwrap();
        Desk::open(store, Box::new(ManualClock::at(T0 + 60 * MIN)), "ct")
            .unwrap()
            .with_checkpoint_every(Some(1))
    };
    let mut d = reopen(dir.path());
    let ring = d.store().unwrap().keyring_for([]).unwrap();
    assert!(!ring.knows(&id), "the open read the call's key");
    run(&mut d, &format!("note {id} came back the next day"));
    d.close().unwrap();
    // A full fold from the log, with the keys read again from the store.
    std::fs::remove_file(dir.path().join("store").join("checkpoint")).unwrap();
    let d = reopen(dir.path());
    let chronology: Vec<String> = d
        .chronology(&id)
        .unwrap()
        .iter()
        .map(|e| e.body.describe())
        .collect();
    let all = chronology.join("\n");
    assert!(all.contains(NOTE), "{all}");
    assert!(all.contains("came back the next day"), "{all}");
    assert!(!all.contains(ERASED), "{all}");
    assert!(texts(&d, &id).contains(NAME));
    d.close().unwrap();

    // Another node's vault.key opens none of these keys: refused in one line at open.
    let (o, _, odir) = desk();
    o.close().unwrap();
    std::fs::copy(odir.path().join("vault.key"), dir.path().join("vault.key")).unwrap();
    let err = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1)))
        .err()
        .expect("a store with another node's vault.key opened")
        .to_string();
    assert!(err.contains("does not open with the node key"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
