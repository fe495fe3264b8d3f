//! Closed calls out of memory (issue 13: history stays on disk): a day after a call closes,
//! with nothing open bearing on it, the desk's next checkpoint lets it go to the store. The
//! address history, the digest, the retention schedule and every command that names it still
//! see it; a crash between writing its record and writing the checkpoint loses nothing.

use std::path::Path;
use std::time::Duration;

use switchboard::desk::{Clock, Desk, ManualClock};
use switchboard::domain::history::address_history;
use switchboard::domain::{retention, CallId, State};
use switchboard::store::{Store, StoreKind};

use crate::common::desk::{desk, run, served_with_console, take, MIN};
use crate::common::pair::watch_until;

const DAY: i64 = 24 * 60 * MIN;
const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const NOTE: &str = "brother says she stopped her lithium in March";

/// Two calls closed at 1400 Market St and one elsewhere, then one still open at Market St;
/// two days later a checkpoint. Returns the closed ones (Market St first).
fn shift_two_days_ago(d: &mut Desk, clock: &ManualClock) -> [CallId; 3] {
    let first = take(
        d,
        "call 1400 Market St / man shouting at traffic --caller Ray --cb 555-201-3344",
    );
    run(d, &format!("note {first} {NOTE}"));
    clock.advance(20 * MIN);
    run(d, &format!("close {first} resolved"));
    let second = take(d, "call 1400 MARKET ST. / same man, back again");
    clock.advance(30 * MIN);
    run(d, &format!("close {second} referred-988"));
    let elsewhere = take(d, "call 22 Elm St / welfare check");
    clock.advance(10 * MIN);
    run(d, &format!("close {elsewhere} gone"));
    take(d, "call 1400 Market St / shelter asks for a check-in");
    clock.advance(2 * DAY);
    d.write_checkpoint();
    [first, second, elsewhere]
}

fn full_fold(d: &Desk) -> State {
    let store = d.store().unwrap();
    let mut full = State::fold(store.load().unwrap());
    full.set_known(store.known().unwrap());
    full
}

/// Every file under `dir`, read whole.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else {
            out.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
    out
}

#[test]
fn a_call_closed_a_day_ago_leaves_memory_and_everything_still_finds_it() {
    let (mut d, clock, dir) = desk();
    let [first, second, elsewhere] = shift_two_days_ago(&mut d, &clock);
    let state = d.state();
    for id in [&first, &second, &elsewhere] {
        assert!(!state.calls.contains_key(id), "{id} is still in memory");
        assert!(state.is_let_go(id), "{id} is not let go");
    }
    assert_eq!(state.queue().len(), 1, "the open call stays");
    assert_eq!(state.call_count(), 4);
    assert_eq!(state.digest(), full_fold(&d).digest());

    // The history of a new call at the address names them, as a fold of the whole log does.
    let new = take(&mut d, "call 1400 market st / man shouting again");
    let full = full_fold(&d);
    let here = address_history(d.state(), &d.state().calls[&new]);
    assert_eq!(here, address_history(&full, &full.calls[&new]));
    assert_eq!(here.calls.len(), 3, "{here:?}");
    assert!(here.calls.contains(&first.to_string()) && here.calls.contains(&second.to_string()));
    assert_eq!(here.dispositions.len(), 2, "{here:?}");

    // The retention schedule reaches them.
    let due = retention::due(d.state(), 1, clock.now_ms());
    assert_eq!(due.len(), 3, "{due:?}");

    // Their text is sealed in the store: no file holds the note.
    let bytes = all_bytes(dir.path());
    assert!(
        !bytes.windows(NOTE.len()).any(|w| w == NOTE.as_bytes()),
        "the note is readable in the store's files"
    );

    // A command that names one reads it back: by id, and by its short number.
    run(
        &mut d,
        &format!("note {first} came by the desk to say thanks"),
    );
    assert_eq!(d.state().calls[&first].notes.len(), 2);
    assert!(!d.state().is_let_go(&first));
    let number = second.series().1.to_string();
    run(&mut d, &format!("reopen {number}"));
    assert!(d.state().calls[&second].is_open());
    assert_eq!(d.state().digest(), full_fold(&d).digest());

    // An open after it resumes from the checkpoint and reads back what the tail names.
    let digest = d.state().digest();
    drop(d);
    let store = Store::open(dir.path(), StoreKind::Live).unwrap();
    let mut d = Desk::open(store, Box::new(clock.clone()), "ct").unwrap();
    assert!(
        d.resumed_from().is_some(),
        "the open resumed from the checkpoint"
    );
    assert_eq!(d.state().digest(), digest);
    assert!(d.state().is_let_go(&elsewhere));
    assert_eq!(d.state().calls[&first].notes.len(), 2);
    d.take_back_all().unwrap();
    assert!(*d.state() == full_fold(&d), "read back, it is a full fold");
    d.close().unwrap();

    // `state --json` shows the whole state, the let-go calls included.
    let out = std::process::Command::new(BIN)
        .args([
            "--data",
            &dir.path().display().to_string(),
            "state",
            "--json",
        ])
        .env_remove("SWITCHBOARD_DATA")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(elsewhere.as_str()));
}

/// The records of a checkpoint that never got written (a crash, a full disk) are never read:
/// the checkpoint before reads the records it was written with.
#[test]
fn records_written_for_a_checkpoint_that_failed_are_not_read_by_the_one_before() {
    let (mut d, clock, dir) = desk();
    let [first, ..] = shift_two_days_ago(&mut d, &clock);
    assert!(d.state().is_let_go(&first));
    // Read back by a note, and let go again, with the note, for a checkpoint that fails.
    run(
        &mut d,
        &format!("note {first} a second note, after the first let-go"),
    );
    clock.advance(2 * DAY);
    let tmp = dir.path().join("store").join("checkpoint.tmp");
    std::fs::create_dir(&tmp).unwrap();
    let before = std::fs::read(dir.path().join("store").join("checkpoint")).unwrap();
    d.write_checkpoint();
    assert!(
        d.state().is_let_go(&first),
        "let go again, its record written"
    );
    assert_eq!(
        std::fs::read(dir.path().join("store").join("checkpoint")).unwrap(),
        before,
        "the checkpoint was not written"
    );
    drop(d);
    std::fs::remove_dir(&tmp).unwrap();

    let store = Store::open(dir.path(), StoreKind::Live).unwrap();
    let mut d = Desk::open(store, Box::new(clock.clone()), "ct").unwrap();
    assert!(
        d.resumed_from().is_some(),
        "the open resumed from the checkpoint before"
    );
    assert_eq!(d.state().digest(), full_fold(&d).digest());
    assert_eq!(d.state().calls[&first].notes.len(), 2);
    d.take_back_all().unwrap();
    assert!(*d.state() == full_fold(&d));
}

/// A console attached to `serve` holds the serving desk's traces: the history of a new call
/// names the let-go calls, and one reopened at the serving desk comes back to its queue.
#[test]
fn an_attached_console_sees_let_go_calls_in_the_history_and_back_when_reopened() {
    let (mut d, clock, dir) = desk();
    let [first, second, _] = shift_two_days_ago(&mut d, &clock);
    d.close().unwrap();
    let store = Store::open(dir.path(), StoreKind::Live).unwrap();
    let served = Desk::open(store, Box::new(clock.clone()), "serve").unwrap();
    assert!(served.state().is_let_go(&first));
    let (serving, mut console, mut watch) =
        served_with_console(served, dir.path(), Box::new(clock.clone()), "ct");
    assert!(
        console.state().is_let_go(&first),
        "the image carries the traces"
    );

    let new = take(&mut console, "call 1400 Market St / man shouting again");
    let here = address_history(console.state(), &console.state().calls[&new]);
    assert!(
        here.calls.contains(&first.to_string()) && here.calls.contains(&second.to_string()),
        "{here:?}"
    );

    run(&mut console, &format!("reopen {first}"));
    watch_until(&mut watch, &mut console, Duration::from_secs(20), |d, _| {
        d.state()
            .calls
            .get(&first)
            .is_some_and(switchboard::domain::Call::is_open)
    });
    assert!(console.state().queue().iter().any(|c| c.id == first));
    drop((console, watch));
    serving.stop().unwrap();
}

/// How many records the store's `archive` tree holds (the store closed).
fn records(dir: &Path) -> usize {
    let db = sled::open(dir.join("store")).unwrap();
    let archive = db.open_tree("archive").unwrap();
    archive.scan_prefix(b"c").count()
}

/// A full fold (the first open of a new build, a damaged checkpoint) lets the same calls go
/// again: it takes up their records rather than writing each again, and what no checkpoint
/// names is removed.
#[test]
fn a_full_fold_takes_up_the_records_it_finds_and_removes_the_rest() {
    let (mut d, clock, dir) = desk();
    let [first, ..] = shift_two_days_ago(&mut d, &clock);
    // Read back and let go again: two records of the first call, for the kept checkpoints.
    run(&mut d, &format!("note {first} after the first let-go"));
    clock.advance(2 * DAY);
    d.write_checkpoint();
    assert!(d.state().is_let_go(&first));
    d.close().unwrap();
    assert_eq!(records(dir.path()), 4, "three calls, one of them twice");

    crate::checkpoint::remove_checkpoints(dir.path());
    let store = Store::open(dir.path(), StoreKind::Live).unwrap();
    let d = Desk::open(store, Box::new(clock.clone()), "ct").unwrap();
    assert_eq!(d.resumed_from(), None, "the whole log was folded");
    assert_eq!(d.state().let_go_calls().len(), 3);
    assert_eq!(d.state().digest(), full_fold(&d).digest());
    d.close().unwrap();
    assert_eq!(
        records(dir.path()),
        3,
        "the records it took up, and no other"
    );

    let store = Store::open(dir.path(), StoreKind::Live).unwrap();
    let mut d = Desk::open(store, Box::new(clock.clone()), "ct").unwrap();
    assert!(d.resumed_from().is_some());
    d.take_back_all().unwrap();
    assert!(*d.state() == full_fold(&d));
    assert_eq!(d.state().calls[&first].notes.len(), 2);
}

/// A partner asking to follow one of our calls is answered the same whether the call is in
/// memory or let go: closed long ago for a partner that sees every call, not shared for one
/// that sees only hand-offs.
#[test]
fn a_partner_asking_for_a_let_go_call_is_answered_as_before() {
    use switchboard::partner::list::{Share, Trust};
    use switchboard::partner::notifier::decide;
    use switchboard::partner::wire::Subscribe;
    use switchboard::partner::Partner;

    let (mut d, clock, _dir) = desk();
    let id = take(&mut d, "call 22 Elm St / welfare check");
    run(&mut d, &format!("close {id} resolved"));
    clock.advance(2 * DAY);
    let answers = |d: &Desk| {
        [Share::All, Share::Handoffs].map(|share| {
            let partner = Partner {
                name: "county".into(),
                url: "wss://county.example:7443/IncidentData/ent".into(),
                trust: Trust::Authority,
                subscribe_new: false,
                share,
            };
            let req = Subscribe {
                request_id: "s-1".into(),
                request_type: Some("EIDO".into()),
                sub_type: Some("single".into()),
                incident_id: Some(id.to_string()),
                ..Subscribe::default()
            };
            let out = decide(&partner, &req, &[], d.state(), clock.now_ms(), || {
                "sub".into()
            });
            (out.code, out.text)
        })
    };
    let before = answers(&d);
    assert_eq!(before[0].0, 404, "{before:?}");
    assert_eq!(before[1].0, 403, "{before:?}");
    d.write_checkpoint();
    assert!(d.state().is_let_go(&id));
    assert_eq!(answers(&d), before);
}
