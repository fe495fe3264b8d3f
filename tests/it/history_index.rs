//! The store's indices over its log (`store/index.rs`): each call's events and each client
//! request's, written with the events, so a chronology or a repeated request reads what it
//! needs rather than the whole log, and the fold's checkpoint carries no index of its own.

use switchboard::desk::{Desk, ManualClock, Outcome};
use switchboard::domain::{Event, ReplicaId};
use switchboard::store::{Store, StoreKind};

use crate::common::desk::{desk, run, take, T0};

fn reopen(dir: &std::path::Path) -> Desk {
    let store = Store::open_as(dir, StoreKind::Live, Some(ReplicaId(1))).unwrap();
    Desk::open(store, Box::new(ManualClock::at(T0)), "ct").unwrap()
}

fn ids(events: &[Event]) -> Vec<(ReplicaId, u64)> {
    events.iter().map(|e| (e.origin, e.seq)).collect()
}

/// Takes the indices out of a closed store's sled files, as a store made before them was.
fn strip_indices(dir: &std::path::Path) -> usize {
    let db = sled::open(dir.join("store")).unwrap();
    let log = db.open_tree("log").unwrap();
    let mut removed = 0;
    for prefix in [&b"c"[..], &b"r"[..]] {
        let keys: Vec<_> = log.scan_prefix(prefix).keys().map(Result::unwrap).collect();
        for k in keys {
            log.remove(k).unwrap();
            removed += 1;
        }
    }
    log.remove(b"m/indexed").unwrap();
    log.flush().unwrap();
    drop(log);
    drop(db);
    removed
}

#[test]
fn a_store_from_before_the_indices_is_indexed_at_open_and_its_chronologies_are_whole() {
    let (mut d, _clock, dir) = desk();
    let a = take(&mut d, "call 12 Oak St / bh-crisis / man shouting");
    let b = take(&mut d, "call 40 Elm St / welfare");
    run(&mut d, &format!("note {a} door is locked"));
    run(&mut d, &format!("note {b} neighbour called"));
    run(&mut d, &format!("merge {b} {a}"));
    let before_a = ids(&d.chronology(&a).unwrap());
    let before_b = ids(&d.chronology(&b).unwrap());
    assert!(
        before_a.len() >= 3 && before_b.len() >= 3,
        "{before_a:?} {before_b:?}"
    );
    d.close().unwrap();

    assert!(strip_indices(dir.path()) > 6);
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    assert!(!store.indexed().unwrap());
    assert!(store.call_events(&a).unwrap().is_empty());
    drop(store);

    let d = reopen(dir.path());
    assert!(d.store().unwrap().indexed().unwrap());
    assert_eq!(ids(&d.chronology(&a).unwrap()), before_a);
    assert_eq!(ids(&d.chronology(&b).unwrap()), before_b);
    assert_eq!(d.store().unwrap().check_indices().unwrap(), Ok(()));
}

#[test]
fn verify_finds_an_index_entry_the_log_does_not_hold_and_rebuilds_the_indices() {
    let (mut d, _clock, dir) = desk();
    let a = take(&mut d, "call 12 Oak St / welfare");
    run(&mut d, &format!("note {a} first"));
    d.close().unwrap();
    {
        let db = sled::open(dir.path().join("store")).unwrap();
        let log = db.open_tree("log").unwrap();
        let mut k = b"c".to_vec();
        k.extend_from_slice(a.as_str().as_bytes());
        k.push(0);
        k.extend_from_slice(&[0xff; 24]);
        log.insert(k, &[][..]).unwrap();
        log.flush().unwrap();
    }
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let found = Desk::verify(store).unwrap();
    let why = found.indices.expect_err("a wrong index must be found");
    assert!(why.contains("does not hold"), "{why}");
    assert!(found.checkpoint.is_ok());

    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let found = Desk::verify(store).unwrap();
    assert_eq!(found.indices, Ok("the indices match the log".to_owned()));
    let d = reopen(dir.path());
    assert_eq!(d.chronology(&a).unwrap().len(), 2);
}

#[test]
fn a_request_sent_again_after_a_restart_is_answered_from_the_index_and_not_run_twice() {
    let (mut d, _clock, dir) = desk();
    let first = d
        .run_request(Some("0123456789abcdef0123456789abcdef"), "ct", None, |d| {
            d.run_line("call 12 Oak St / welfare")
        })
        .unwrap();
    let Outcome::Committed(made) = first else {
        panic!("not committed")
    };
    d.close().unwrap();

    let mut d = reopen(dir.path());
    let count = d.event_count();
    let again = d
        .run_request(Some("0123456789abcdef0123456789abcdef"), "ct", None, |d| {
            d.run_line("call 12 Oak St / welfare")
        })
        .unwrap();
    let Outcome::Committed(answered) = again else {
        panic!("not committed")
    };
    assert_eq!(ids(&answered), ids(&made));
    assert_eq!(d.event_count(), count, "the request ran twice");
    assert_eq!(d.state().calls.len(), 1);
}
