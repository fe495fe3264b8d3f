//! Triage, recommendation, unserved reasons and safety timers through the desk, with a fake
//! clock and the shipped protocol.

use crate::common::desk::{desk, refused, run, MIN};
use switchboard::desk::{Desk, Outcome};
use switchboard::domain::recommend::rank;
use switchboard::domain::safety::{check_in, Check};
use switchboard::domain::triage::Slot;
use switchboard::domain::{Body, CallStatus, ResponseType, UnservedReason};
use switchboard::store::{Store, StoreKind};

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
    run(&mut d, "unit add PD-1 police");
    run(&mut d, "dp PD-1 1");
    run(&mut d, "avl PD-1");
    let err = refused(&mut d, "close 1 resolved");
    assert!(
        err.contains("was eligible for a community team and no community team went (PD-1 did)"),
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
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "dp STAR-1 1");
    run(&mut d, "avl STAR-1");
    let err = refused(&mut d, "close 1 gone");
    assert!(
        err.contains("its community team went only after it waited past its limit"),
        "{err}"
    );
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
    // Every free unit that fits the community slot, best first: a clinician or medic before
    // the peer team, then the same zone, then the longest available.
    let state = d.state();
    let call = &state.calls[&"26-BA0002".parse().unwrap()];
    let order: Vec<String> = rank(
        state,
        call,
        Slot::Community,
        ResponseType::Community,
        d.now_ms(),
    )
    .iter()
    .map(switchboard::domain::recommend::Ranked::explain)
    .collect();
    assert_eq!(
        order,
        [
            "STAR-2: clinician+medic, same zone, available 14 min",
            "STAR-4: clinician+medic, same zone, available 12 min",
            "STAR-1: clinician+medic, other zone, available 15 min",
            "STAR-3: emt+peer, same zone, available 13 min (no clinician or medic aboard)",
        ]
    );
    // `rec` shows the plan: the unit for each slot, the next two, and what --dispatch does.
    let lines = ranking(&mut d, "2");
    assert_eq!(
        lines,
        [
            "26-BA0002 community (rule community-welfare): a community team",
            // `rec` says why it ranks by zone (issue 16, item 7).
            "distances unknown: 26-BA0002 is not placed (no address list placed it); units \
             ranked by zone",
            "  community team STAR-2: clinician+medic, same zone, available 14 min; next STAR-4 \
             same zone, STAR-1 other zone",
            "rec 26-BA0002 --dispatch sends STAR-2",
        ]
    );
    // One command dispatches the plan.
    let bodies = run(&mut d, "rec 2 --dispatch");
    assert!(
        matches!(&bodies[..], [Body::UnitDispatched { unit, .. }] if unit.as_str() == "STAR-2"),
        "{bodies:?}"
    );
    let next = ranking(&mut d, "2");
    assert_eq!(
        next[1..],
        [
            "  community team STAR-2: on the call",
            "the plan is filled: every unit it names is on the call",
        ],
        "{next:?}"
    );
    let err = refused(&mut d, "rec 2 --dispatch");
    assert_eq!(
        err,
        "26-BA0002's community plan is filled: STAR-2 (community team) on it"
    );
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

fn dispatched(bodies: &[Body]) -> Vec<&str> {
    bodies
        .iter()
        .filter_map(|b| match b {
            Body::UnitDispatched { unit, .. } => Some(unit.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_co_response_plan_sends_the_pair_in_one_batch() {
    let (mut d, clock, _t) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic --zone d3");
    run(&mut d, "unit add PD-7 police --zone d3");
    run(&mut d, "unit add STAR-2 clinician,medic --zone d1");
    run(
        &mut d,
        "call 300 Broadway / man with a knife in his bag, calm --type bh-crisis --zone d3",
    );
    run(&mut d, "ask 1 weapon yes");
    clock.advance(MIN);
    let lines = ranking(&mut d, "1");
    assert_eq!(
        lines,
        [
            "26-BA0001 co-response (rule weapon): a community team and a police unit",
            "distances unknown: 26-BA0001 is not placed (no address list placed it); units ranked \
             by zone",
            "  community team STAR-1: clinician+medic, same zone, available 1 min; next STAR-2 \
             other zone",
            "  police unit PD-7: police, same zone, available 1 min",
            "rec 26-BA0001 --dispatch sends STAR-1 and PD-7",
        ]
    );
    // The whole plan in one command and one batch: both committed together.
    let events = match d.run_line("rec 1 --dispatch").unwrap() {
        Outcome::Committed(events) => events,
        Outcome::Answered(lines) => panic!("{lines:?}"),
    };
    let bodies: Vec<Body> = events.iter().map(|e| e.body.clone()).collect();
    assert_eq!(dispatched(&bodies), ["STAR-1", "PD-7"]);
    assert_eq!(events[0].wall_ms, events[1].wall_ms);
    assert_eq!(events[0].seq + 1, events[1].seq);
}

#[test]
fn an_untriaged_call_gets_the_cautious_pair_not_a_refusal() {
    // Untriaged, the protocol's default is co-response: no one unit is clinician and police, so
    // the old single-unit recommendation refused; the plan sends a community team and police.
    let (mut d, _c, _t) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "unit add PD-7 police");
    run(&mut d, "call 300 Broadway / someone shouting");
    let bodies = run(&mut d, "rec 1 --dispatch");
    assert_eq!(dispatched(&bodies), ["STAR-1", "PD-7"]);
}

#[test]
fn a_plan_short_of_a_unit_names_the_slot_and_sends_nothing_unless_told() {
    let (mut d, _c, _t) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(
        &mut d,
        "call 300 Broadway / man with a knife in his bag, calm --type bh-crisis",
    );
    run(&mut d, "ask 1 weapon yes");
    assert_eq!(
        ranking(&mut d, "1")[3..],
        [
            "  police unit: none free",
            "short of a police unit: rec 26-BA0001 --dispatch sends nothing; add --partial to \
             send STAR-1",
        ]
    );
    let err = refused(&mut d, "rec 1 --dispatch");
    assert_eq!(
        err,
        "26-BA0001 co-response needs a police unit and none is free; nothing sent — to send \
         STAR-1 anyway: rec 26-BA0001 --dispatch --partial"
    );
    // Told to send what there is: the community team goes now, the police slot stays open.
    let bodies = run(&mut d, "rec 1 --dispatch --partial");
    assert_eq!(dispatched(&bodies), ["STAR-1"]);
    assert_eq!(
        ranking(&mut d, "1")[1..],
        [
            "  community team STAR-1: on the call",
            "  police unit: none free",
            "short of a police unit: nothing to send",
        ]
    );
    // When police come free, the same key sends only what is missing.
    run(&mut d, "unit add PD-2 police");
    let bodies = run(&mut d, "rec 1 --dispatch");
    assert_eq!(dispatched(&bodies), ["PD-2"]);
    // Nobody free at all: nothing to send, and the call is named.
    run(&mut d, "call 9 Oak St / knife mentioned --type weapon");
    let err = refused(&mut d, "rec 2 --dispatch --partial");
    assert_eq!(
        err,
        "26-BA0002 co-response needs a community team and a police unit and none is free; \
         nothing sent (the call is not triaged yet)"
    );
    assert!(
        d.run_line("rec 2 --partial").is_err(),
        "--partial needs --dispatch"
    );
}

#[test]
fn a_response_that_sends_nobody_recommends_nobody_and_says_why() {
    let (mut d, _c, _t) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "unit add PD-7 police");
    run(&mut d, "call 12 Elm St / loud music next door --type noise");
    for a in CLEAR {
        run(&mut d, &format!("ask 1 {a}"));
    }
    assert_eq!(
        ranking(&mut d, "1"),
        [
            "26-BA0001 info (rule noise): no unit",
            "no unit goes: information only; no unit sent",
        ]
    );
    let err = refused(&mut d, "rec 1 --dispatch");
    assert_eq!(
        err,
        "26-BA0001 sends no unit: it is worked as info (rule noise); to send one, choose \
         another response (respond 26-BA0001 <type> --reason <why>) or dispatch by name"
    );
    // The crisis line sends nobody either.
    run(
        &mut d,
        "call 4 Pine St / feels hopeless, wants to talk --type suicidal",
    );
    for a in CLEAR {
        run(&mut d, &format!("ask 2 {a}"));
    }
    run(&mut d, "ask 2 consent no");
    let err = refused(&mut d, "rec 2 --dispatch");
    assert!(
        err.starts_with(
            "26-BA0002 sends no unit: it is worked as crisis-line (rule declines-visit)"
        ),
        "{err}"
    );
}

#[test]
fn a_co_responder_car_fills_both_slots_but_never_a_community_call() {
    let (mut d, _c, _t) = desk();
    run(&mut d, "unit add CR-1 clinician,police");
    run(
        &mut d,
        "call 300 Broadway / knife mentioned, calm --type weapon",
    );
    let bodies = run(&mut d, "rec 1 --dispatch");
    assert_eq!(dispatched(&bodies), ["CR-1"]);
    run(&mut d, "avl CR-1");
    run(
        &mut d,
        "call 5th & Pine / asleep in a doorway --type unsheltered",
    );
    for a in CLEAR {
        run(&mut d, &format!("ask 2 {a}"));
    }
    let err = refused(&mut d, "rec 2 --dispatch");
    assert!(
        err.contains("community needs a community team and none is free"),
        "{err}"
    );
}

#[test]
fn a_backup_call_is_worked_as_the_agency_it_asked_for() {
    let (mut d, _c, _t) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "unit add MEDIC-7 ems,medic");
    run(&mut d, "unit add ENGINE-3 fire");
    run(&mut d, "unit add PD-7 police");
    run(
        &mut d,
        "call 1400 Colfax Ave / man shouting --type bh-crisis",
    );
    run(&mut d, "dp STAR-1 1");
    run(&mut d, "ons STAR-1");
    for (agency, number, response, unit) in [
        ("ems", 2, ResponseType::Ems, "MEDIC-7"),
        ("fire", 3, ResponseType::Fire, "ENGINE-3"),
        ("police", 4, ResponseType::Police, "PD-7"),
    ] {
        run(&mut d, &format!("backup 1 {agency}"));
        let state = d.state();
        let child = state
            .calls
            .values()
            .find(|c| c.id.series().1 == number)
            .unwrap();
        assert_eq!(child.response_type(), Some(response), "{agency}");
        assert!(
            ranking(&mut d, &number.to_string())[0]
                .contains(&format!("{response} (backup for 26-BA0001)")),
            "{agency}"
        );
        let bodies = run(&mut d, &format!("rec {number} --dispatch"));
        assert_eq!(dispatched(&bodies), [unit], "{agency}");
    }
}
