//! Triage, recommendation, unserved reasons and safety timers through the desk, with a fake
//! clock and the shipped protocol.

use switchboard::desk::{Desk, ManualClock, Outcome};
use switchboard::domain::safety::{check_in, Check};
use switchboard::domain::{Body, CallStatus, ReplicaId, ResponseType, UnservedReason};
use switchboard::store::{Store, StoreKind};
use tempfile::TempDir;

const T0: i64 = 1_795_773_600_000;
const MIN: i64 = 60_000;

fn desk() -> (Desk, ManualClock, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let clock = ManualClock::at(T0);
    let desk = Desk::open(store, Box::new(clock.clone()), "ct").unwrap();
    (desk, clock, dir)
}

fn run(desk: &mut Desk, line: &str) -> Vec<Body> {
    match desk
        .run_line(line)
        .unwrap_or_else(|e| panic!("{line}: {e}"))
    {
        Outcome::Committed(events) => events.into_iter().map(|e| e.body).collect(),
        Outcome::Answered(lines) => panic!("{line} answered {lines:?}"),
    }
}

fn refused(desk: &mut Desk, line: &str) -> String {
    let before = desk.state().digest();
    let err = desk.run_line(line).expect_err(line).to_string();
    assert_eq!(
        desk.state().digest(),
        before,
        "a refusal changed the state: {line}"
    );
    err
}

/// Answers every disqualifying question the safe way.
const CLEAR: &[&str] = &[
    "violence no",
    "weapon no",
    "crime no",
    "medical no",
    "hazard no",
    "harm no",
    "info yes",
];

#[test]
fn answers_move_the_recommendation_and_record_the_rule() {
    let (mut d, _c, _t) = desk();
    run(
        &mut d,
        "call 1400 Colfax Ave / man shouting at traffic --type bh-crisis",
    );
    let mut recommendations = Vec::new();
    for answer in CLEAR {
        for body in run(&mut d, &format!("ask 1 {answer}")) {
            if let Body::Recommended { recommendation, .. } = body {
                recommendations.push((recommendation.response, recommendation.rule));
            }
        }
    }
    // Unknowns keep it cautious until the last disqualifier is cleared.
    assert!(recommendations[..recommendations.len() - 1]
        .iter()
        .all(|(r, _)| *r != ResponseType::Community));
    assert_eq!(
        recommendations.last().unwrap(),
        &(ResponseType::Community, "community-crisis".to_owned())
    );
    // A weapon mentioned mid-call moves it away from community alone.
    let bodies = run(&mut d, "ask 1 w yes");
    let Some(Body::Recommended { recommendation, .. }) = bodies.last() else {
        panic!("{bodies:?}")
    };
    assert_eq!(
        (recommendation.response, recommendation.rule.as_str()),
        (ResponseType::CoResponse, "weapon")
    );
    // The same answer again is refused; a bad answer names what is allowed.
    assert!(refused(&mut d, "ask 1 weapon yes").contains("already"));
    assert!(refused(&mut d, "ask 1 weapon maybe").contains("use yes (y), no (n) or unknown"));
    assert!(
        refused(&mut d, "ask 1 colour blue").contains("no question 'colour'; one of: violence (v)")
    );
}

#[test]
fn overriding_needs_a_reason_and_is_kept() {
    let (mut d, _c, _t) = desk();
    run(
        &mut d,
        "call 5th & Pine / sleeping in doorway --type unsheltered",
    );
    for a in CLEAR {
        run(&mut d, &format!("ask 1 {a}"));
    }
    let err = refused(&mut d, "respond 1 police");
    assert!(err.starts_with("the protocol recommends community (rule community-welfare); overriding it needs a reason"), "{err}");
    let bodies = run(
        &mut d,
        "respond 1 police --reason caller says he has a gun in the bag",
    );
    assert!(
        matches!(
            &bodies[..],
            [Body::ResponseChosen {
                response: ResponseType::Police,
                overrides: Some(ResponseType::Community),
                reason: Some(_),
                ..
            }]
        ),
        "{bodies:?}"
    );
    // Accepting what is recommended needs no reason.
    run(
        &mut d,
        "call Civic Center Park / asking for shelter --type welfare",
    );
    for a in CLEAR {
        run(&mut d, &format!("ask 2 {a}"));
    }
    run(&mut d, "respond 2 community");
}

#[test]
fn an_eligible_call_that_got_police_needs_an_unserved_reason() {
    let (mut d, _c, _t) = desk();
    run(
        &mut d,
        "call 5th & Pine / sleeping in doorway --type unsheltered",
    );
    for a in CLEAR {
        run(&mut d, &format!("ask 1 {a}"));
    }
    run(&mut d, "respond 1 police --reason caller insists");
    let err = refused(&mut d, "close 1 resolved");
    assert!(
        err.contains("was eligible for a community team and got police instead"),
        "{err}"
    );
    assert!(
        err.contains(
            "--unserved <no-unit|outside-hours|outside-area|caller-declined|safety|other>"
        ),
        "{err}"
    );
    run(&mut d, "close 1 resolved --unserved caller-declined");
    let call = d.state().calls.values().next().unwrap();
    assert_eq!(call.unserved, Some(UnservedReason::CallerDeclined));
    assert_eq!(call.status, CallStatus::Closed);
}

#[test]
fn an_eligible_call_that_waited_too_long_needs_a_reason_too() {
    let (mut d, clock, _t) = desk();
    run(
        &mut d,
        "call 5th & Pine / sleeping in doorway --type unsheltered --pri 3",
    );
    for a in CLEAR {
        run(&mut d, &format!("ask 1 {a}"));
    }
    clock.advance(16 * MIN); // P3 may wait 15 minutes
    assert!(refused(&mut d, "close 1 gone").contains("waited past its limit"));
    run(&mut d, "close 1 gone --unserved no-unit");
    // A call never found eligible closes without one.
    run(
        &mut d,
        "call 2200 Larimer St / fight in the street --type fight",
    );
    clock.advance(40 * MIN);
    run(&mut d, "close 2 police-needed");
}

fn ranking(d: &mut Desk, call: &str) -> Vec<String> {
    match d.run_line(&format!("rec {call}")).unwrap() {
        Outcome::Answered(lines) => lines,
        Outcome::Committed(e) => panic!("rec wrote {e:?}"),
    }
}

#[test]
fn recommendation_ranks_capability_then_distance_then_idle_time() {
    let (mut d, clock, _t) = desk();
    for line in [
        "unit add STAR-1 clinician,medic --zone d1", // idle longest, but in another zone
        "unit add STAR-2 clinician,medic --zone d3",
        "unit add STAR-3 peer,emt --zone d3", // nearest, but no clinician
        "unit add STAR-4 clinician,medic --zone d3", // same zone, idle less than STAR-2
        "unit add STAR-5 clinician,medic --zone d3",
        "unit add STAR-6 clinician,medic --zone d3",
    ] {
        clock.advance(MIN);
        run(&mut d, line);
    }
    run(&mut d, "oos STAR-5 meal break");
    run(
        &mut d,
        "call 9 Oak St / old friend of a neighbour, seems lost --type welfare --zone d3",
    );
    run(&mut d, "dp STAR-6 1"); // busy now
    run(
        &mut d,
        "call 300 Broadway / woman crying in a bus shelter --type welfare --zone d3",
    );
    for a in CLEAR {
        run(&mut d, &format!("ask 2 {a}"));
    }
    clock.advance(10 * MIN);
    let lines = ranking(&mut d, "2");
    assert_eq!(
        lines,
        [
            "26-BA0002 needs community: clinician",
            "1. STAR-2: clinician+medic, same zone, available 14 min",
            "2. STAR-4: clinician+medic, same zone, available 12 min",
            "3. STAR-1: clinician+medic, other zone, available 15 min",
            "4. STAR-3: emt+peer, same zone, available 13 min — lacks clinician",
        ]
    );
    // One command dispatches the top of the list.
    let bodies = run(&mut d, "rec 2 --dispatch");
    assert!(
        matches!(&bodies[..], [Body::UnitDispatched { unit, .. }] if unit.as_str() == "STAR-2"),
        "{bodies:?}"
    );
    let next = ranking(&mut d, "2");
    assert!(next[1].starts_with("1. STAR-4"), "{next:?}");
}

#[test]
fn safety_timer_goes_overdue_escalates_and_survives_a_restart() {
    let (mut d, clock, dir) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(
        &mut d,
        "call 1400 Colfax Ave / man shouting --type bh-crisis",
    );
    run(&mut d, "dp STAR-1 1");
    run(&mut d, "ons STAR-1");
    let on_scene = switchboard::desk::Clock::now_ms(&clock);
    let state_of = |d: &Desk, now: i64| {
        let u = d.state().units.values().next().unwrap();
        check_in(d.state(), u, now, d.policy())
    };
    assert_eq!(
        state_of(&d, on_scene + 19 * MIN),
        Some(Check::Due(on_scene + 20 * MIN))
    );
    assert_eq!(
        state_of(&d, on_scene + 21 * MIN),
        Some(Check::Overdue(on_scene + 20 * MIN))
    );
    // A check-in restarts the timer.
    clock.set(on_scene + 22 * MIN);
    run(&mut d, "ok STAR-1");
    assert_eq!(
        state_of(&d, on_scene + 30 * MIN),
        Some(Check::Due(on_scene + 42 * MIN))
    );
    assert_eq!(
        state_of(&d, on_scene + 63 * MIN),
        Some(Check::Escalated(on_scene + 42 * MIN))
    );
    // Derived from event times: a restart changes nothing.
    d.close().unwrap();
    let store = Store::open(dir.path(), StoreKind::Live).unwrap();
    let d = Desk::open(store, Box::new(clock.clone()), "ct").unwrap();
    assert_eq!(
        state_of(&d, on_scene + 63 * MIN),
        Some(Check::Escalated(on_scene + 42 * MIN))
    );
    // Only units on scene check in.
    let mut d = d;
    run(&mut d, "avl STAR-1");
    assert!(refused(&mut d, "ok STAR-1").contains("not on scene"));
    assert_eq!(state_of(&d, on_scene + 63 * MIN), None);
}

#[test]
fn address_history_shows_earlier_calls_and_cautions() {
    let (mut d, clock, _t) = desk();
    run(
        &mut d,
        "call 1400 Colfax Ave / man shouting --type bh-crisis",
    );
    run(
        &mut d,
        "note 1 large dog in the yard, ask owner to tie it up --caution",
    );
    run(&mut d, "close 1 resolved");
    clock.advance(60 * MIN);
    run(
        &mut d,
        "call 1400 colfax ave. / same man, pacing --type bh-crisis",
    );
    let state = d.state();
    let call = state
        .calls
        .values()
        .find(|c| c.nature.starts_with("same man"))
        .unwrap();
    let history = switchboard::domain::history::address_history(state, call);
    assert_eq!(history.calls, ["26-BA0001"]);
    assert_eq!(
        history.cautions,
        ["large dog in the yard, ask owner to tie it up"]
    );
}
