//! A peer whose clock is off (issue 11, item 13): the ages and alarms of a call it took count
//! from when this node first knew the call, and the chronology says so; within the skew limit
//! the peer's times are taken at their word. Two real stores, linked through the real session
//! protocol in process; then two served desks over loopback TLS with a console attached.

use std::time::Duration;

use switchboard::desk::{Clock, Desk, ManualClock};
use switchboard::domain::safety::waiting_too_long;
use switchboard::domain::{Body, CallId};
use switchboard::store::{Store, StoreKind};
use switchboard::sync::session::{Frame, Session};

use crate::common::pair::{pair, take_call, watch_until};

const MIN: i64 = 60_000;
/// 2026-12-02 07:45 UTC.
const T: i64 = 1_796_197_500_000;

fn desk(dir: &std::path::Path, clock: &ManualClock) -> Desk {
    let store = Store::open(dir, StoreKind::Live).unwrap();
    Desk::open(store, Box::new(clock.clone()), "ct-rivera").unwrap()
}

/// Links `a` and `b` through the session protocol until neither has more to say.
fn sync(a: &mut Desk, b: &mut Desk) {
    let (mut sa, mut sb) = (Session::default(), Session::default());
    let mut to_a: Vec<Frame> = Session::open(b).unwrap();
    let mut to_b: Vec<Frame> = Session::open(a).unwrap();
    for _ in 0..20 {
        for f in std::mem::take(&mut to_a) {
            to_b.extend(sa.on_frame(a, f).unwrap().reply);
        }
        for f in std::mem::take(&mut to_b) {
            to_a.extend(sb.on_frame(b, f).unwrap().reply);
        }
        while let Some(f) = sb.next_batch(b).unwrap() {
            to_a.push(f);
        }
        while let Some(f) = sa.next_batch(a).unwrap() {
            to_b.push(f);
        }
        if to_a.is_empty() && to_b.is_empty() {
            return;
        }
    }
    panic!("the link did not settle");
}

/// Bravo, whose clock reads `T + off_ms`, takes a P1 call; alpha, at `T`, hears of it. Alpha's
/// desk and the call.
fn p1_from_a_peer_off_by(off_ms: i64) -> (tempfile::TempDir, Desk, ManualClock, CallId) {
    let root = tempfile::tempdir().unwrap();
    let (here, there) = (ManualClock::at(T), ManualClock::at(T + off_ms));
    let mut alpha = desk(&root.path().join("alpha"), &here);
    let mut bravo = desk(&root.path().join("bravo"), &there);
    let call = take_call(&mut bravo, "call 12 Main St / man shouting --pri 1");
    sync(&mut alpha, &mut bravo);
    assert!(
        alpha.state().calls.contains_key(&call),
        "alpha lacks the call"
    );
    bravo.close().unwrap();
    (root, alpha, here, call)
}

fn age_and_alarm(alpha: &Desk, call: &CallId, now: i64) -> (i64, bool) {
    let state = alpha.state();
    let c = &state.calls[call];
    (
        now - state.call_since(c),
        waiting_too_long(state, c, now, alpha.policy()),
    )
}

#[test]
fn a_call_from_a_peer_an_hour_behind_ages_from_when_it_was_first_known_here() {
    let (root, alpha, here, call) = p1_from_a_peer_off_by(-60 * MIN);
    here.advance(MIN);
    // One minute here, not an hour and a minute; a P1 alarms after two.
    assert_eq!(age_and_alarm(&alpha, &call, T + MIN), (MIN, false));
    assert_eq!(age_and_alarm(&alpha, &call, T + 3 * MIN), (3 * MIN, true));
    // The chronology says why, and from when.
    let taken = alpha.state().taker(&call).unwrap();
    let known = alpha.state().known().get(taken.0, taken.1).unwrap();
    let mark = switchboard::domain::known::mark(taken.0, known, |ms| {
        switchboard::console::text::hhmm(true, ms)
    });
    assert!(
        mark.contains("was 1h00 behind; age counts from 07:45 here"),
        "{mark}"
    );
    // The time is this node's own: kept in its store beside the log, not in the event.
    alpha.close().unwrap();
    let alpha = desk(&root.path().join("alpha"), &here);
    assert_eq!(age_and_alarm(&alpha, &call, T + MIN), (MIN, false));
    let bytes = alpha.events().unwrap();
    let taken_event = bytes
        .iter()
        .find(|e| matches!(&e.body, Body::CallCreated { call: c, .. } if *c == call))
        .unwrap();
    assert_eq!(taken_event.wall_ms, T - 60 * MIN, "the event was changed");
}

#[test]
fn a_call_from_a_peer_ten_minutes_ahead_alarms_on_time() {
    let (_root, alpha, _here, call) = p1_from_a_peer_off_by(10 * MIN);
    // Taken at its word, the call would be -7 minutes old at T + 3 min and never alarm in time.
    assert_eq!(age_and_alarm(&alpha, &call, T + 3 * MIN), (3 * MIN, true));
}

#[test]
fn a_call_from_a_peer_within_the_skew_limit_keeps_its_own_times() {
    let (_root, alpha, _here, call) = p1_from_a_peer_off_by(-30_000);
    assert_eq!(age_and_alarm(&alpha, &call, T + MIN), (MIN + 30_000, false));
    assert!(alpha.state().known().is_empty());
}

/// A clock an hour behind the system's.
struct HourBehind;

impl Clock for HourBehind {
    fn now_ms(&self) -> i64 {
        switchboard::desk::SystemClock.now_ms() - 60 * MIN
    }
}

#[test]
fn a_console_attached_to_the_serving_desk_ages_a_skewed_peers_call_from_its_arrival() {
    let root = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = pair(root.path());
    alpha.start();
    bravo.start_with(Box::new(HourBehind));
    let (mut on_bravo, _w) = bravo.attach("ct-bravo");
    // The console is open before the call exists: its first-known time reaches it on the watch,
    // after the open, as on a real shift.
    let (mut console, mut watch) = alpha.attach("ct-rivera");
    let before = switchboard::desk::SystemClock.now_ms();
    let call = take_call(&mut on_bravo, "call 12 Main St / man shouting --pri 1");
    watch_until(&mut watch, &mut console, Duration::from_secs(20), |d, _| {
        d.state().calls.contains_key(&call)
    });
    let state = console.state();
    let c = &state.calls[&call];
    assert!(
        c.received_ms < before - 59 * MIN,
        "bravo's clock was not behind"
    );
    assert!(
        state.call_since(c) >= before,
        "the console counts the call's age from bravo's clock"
    );
    drop(watch);
    alpha.stop();
    bravo.stop();
}
