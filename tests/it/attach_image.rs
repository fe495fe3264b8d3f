//! A console or command attached to `serve` starts from the serving desk's fold (an image,
//! `desk/image.rs`) and is sent only what commits after it: no copy of the log crosses the
//! socket or stays in the client. What it shows beyond the fold it asks for on the line.

use std::os::unix::net::UnixStream;
use std::time::Duration;

use switchboard::desk::attach::{Reply, Request};
use switchboard::desk::frame::{read_frame, write_frame};
use switchboard::desk::{Clock, Desk, SystemClock};
use switchboard::domain::{Event, ReplicaId};
use switchboard::store::{Store, StoreKind};

use crate::common::pair::{pair, take_call, watch_until};
use crate::common::partner::{attach, serve};

fn ids(events: &[Event]) -> Vec<(ReplicaId, u64)> {
    events.iter().map(|e| (e.origin, e.seq)).collect()
}

#[test]
fn an_attached_desk_starts_from_the_serving_desks_fold_and_is_sent_no_history() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let store = Store::open(&dir, StoreKind::Live).unwrap();
    let mut desk = Desk::open(store, Box::new(SystemClock), "ct").unwrap();
    let a = take_call(&mut desk, "call 12 Oak St / man shouting, caller Dana");
    let b = take_call(&mut desk, "call 40 Elm St / welfare");
    for n in 0..30 {
        desk.execute_line(&format!("note {a} line {n}")).unwrap();
    }
    desk.execute_line(&format!("close {b} resolved")).unwrap();
    let digest = desk.state().digest();
    let chronology = ids(&desk.chronology(&a).unwrap());
    let notes: Vec<String> = desk.state().calls[&a]
        .notes
        .iter()
        .map(|n| n.text.clone())
        .filter(|t| t.starts_with("line "))
        .collect();
    assert_eq!(notes.len(), 30);
    let events = desk.event_count();
    desk.close().unwrap();

    let serving = serve(&dir);
    // On the wire: the fold and its heads, and not one event from before.
    let mut raw = UnixStream::connect(dir.join("desk.sock")).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write_frame(
        &mut raw,
        &Request::Watch {
            have: Vec::new(),
            present: None,
            image: true,
        },
    )
    .unwrap();
    let (mut parts, mut covered) = (0, None);
    loop {
        match read_frame::<Reply>(&mut raw).unwrap() {
            Reply::ImagePart(_) => parts += 1,
            Reply::Image(covers) => covered = Some(covers),
            Reply::Events(batch) => panic!("{} events sent before CaughtUp", batch.len()),
            Reply::CaughtUp => break,
            _ => {}
        }
    }
    assert!(parts >= 1);
    let covered = covered.expect("the image's heads");
    let seqs: u64 = covered.heads.iter().map(|(_, s, _)| s).sum();
    assert_eq!(seqs, events);
    drop(raw);

    // The attached desk: the same state, the call's chronology and the whole log on asking.
    let mut console = attach(&dir, "ct-rivera");
    assert_eq!(console.state().digest(), digest);
    assert_eq!(ids(&console.chronology(&a).unwrap()), chronology);
    let shown: Vec<String> = console
        .chronology(&a)
        .unwrap()
        .iter()
        .filter_map(|e| match &e.body {
            switchboard::domain::Body::NoteAdded { text, .. } => Some(text.clone()),
            _ => None,
        })
        .filter(|t| t.starts_with("line "))
        .collect();
    assert_eq!(shown, notes, "the notes open with the keys sent");
    assert_eq!(console.events().unwrap().len() as u64, events);
    // A change through it folds there as on the desk.
    console
        .execute_line(&format!("note {a} from the console"))
        .unwrap();
    let fresh = attach(&dir, "ct-other");
    assert_eq!(console.state().digest(), fresh.state().digest());
    drop(console);
    drop(fresh);
    serving.stop().unwrap();
}

/// Alpha's clock is right; bravo's an hour behind and offline while alpha works.
struct HourBehind;

impl Clock for HourBehind {
    fn now_ms(&self) -> i64 {
        SystemClock.now_ms() - 3_600_000
    }
}

#[test]
fn a_late_event_at_the_serving_desk_makes_an_attached_desk_take_up_its_fold_again() {
    let root = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = pair(root.path());
    bravo.start_with(Box::new(HourBehind));
    let (mut on_bravo, _w) = bravo.attach("ct-bravo");
    let early = take_call(&mut on_bravo, "call 7 Pine St / early --pri 2");
    drop(on_bravo);
    bravo.stop();

    alpha.start();
    let (mut console, mut watch) = alpha.attach("ct-rivera");
    take_call(&mut console, "call 12 Main St / later --pri 1");
    // Bravo comes back: its call sorts an hour before alpha's and reaches the console late.
    bravo.start_with(Box::new(HourBehind));
    watch_until(&mut watch, &mut console, Duration::from_secs(30), |d, _| {
        d.state().calls.contains_key(&early)
    });
    let (fresh, _fw) = alpha.attach("ct-other");
    assert_eq!(console.state().digest(), fresh.state().digest());
    drop(watch);
    alpha.stop();
    bravo.stop();
}

/// A console that took a call itself still folds what another console takes after it.
#[test]
fn a_console_that_changed_something_folds_what_another_changes_next() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    drop(Store::open(&dir, StoreKind::Live).unwrap());
    let serving = serve(&dir);
    let (mut ana, mut watch) =
        switchboard::desk::attach::attach(&dir, Box::new(SystemClock), "ana")
            .unwrap()
            .unwrap();
    take_call(&mut ana, "call 9 Elm St / welfare check");
    let mut bo = attach(&dir, "bo");
    let second = take_call(&mut bo, "call 12 Main St / man shouting --pri 1");
    watch_until(&mut watch, &mut ana, Duration::from_secs(10), |d, _| {
        d.state().calls.contains_key(&second)
    });
    assert_eq!(ana.state().digest(), bo.state().digest());
    drop(watch);
    serving.stop().unwrap();
}
