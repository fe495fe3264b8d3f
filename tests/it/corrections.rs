//! Setting a mistake right without re-dispatching (issue 14 item 6): `disregard` a unit on its
//! way, `correct` a status pressed by mistake; the chronology keeps both, the figures the truth.

use crate::common::desk::{desk, refused, run, take, MIN, T0};
use crate::common::keys::{console, press};
use switchboard::desk::Desk;
use switchboard::domain::{CallStatus, UnitStatus};
use switchboard::report::metrics::{Metrics, Period};

fn metrics(desk: &Desk) -> Metrics {
    let mut m = Metrics::new(Period::new(T0, T0 + 120 * MIN), desk.policy());
    for e in &desk.events().unwrap() {
        m.add(e);
    }
    m
}

fn report(desk: &Desk) -> switchboard::report::metrics::Summary {
    metrics(desk).summary(T0 + 120 * MIN)
}

#[test]
fn a_disregarded_unit_is_free_again_its_call_pending_and_not_its_first_unit_in_the_figures() {
    let (mut d, clock, _dir) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "unit add STAR-2 clinician,medic");
    let call = take(&mut d, "call 12 Main St / man shouting --type welfare");
    run(&mut d, &format!("dp STAR-1 {call}"));
    clock.set(T0 + MIN);
    run(&mut d, "enr STAR-1");
    clock.set(T0 + 3 * MIN);
    let said = run(&mut d, "disregard STAR-1 sent to a P1");
    assert!(
        said.iter()
            .any(|b| b.describe() == format!("STAR-1 disregarded {call} because: sent to a P1")),
        "{said:?}"
    );
    let state = d.state();
    assert_eq!(
        state.units[&"STAR-1".parse().unwrap()].status,
        UnitStatus::Available
    );
    assert_eq!(
        state.calls[&call].status,
        CallStatus::Pending,
        "nobody is on the call now"
    );
    let a = &state.calls[&call].assignments[0];
    assert!(
        a.disregarded && a.en_route_ms == Some(T0 + MIN),
        "its times are kept: {a:?}"
    );
    clock.set(T0 + 10 * MIN);
    run(&mut d, &format!("dp STAR-2 {call}"));
    clock.set(T0 + 20 * MIN);
    run(&mut d, "ons STAR-2");
    let facts = metrics(&d).calls();
    let f = facts.iter().find(|f| f.id == call).unwrap();
    assert_eq!(
        f.dispatched_ms,
        Some(T0 + 10 * MIN),
        "the disregarded dispatch is not the first"
    );
    assert_eq!(f.arrived_ms, Some(T0 + 20 * MIN));
    assert_eq!(
        f.units.len(),
        1,
        "a disregarded unit was not sent: {:?}",
        f.units
    );
    assert!(!f.cleared_without_arrival);
    let text = switchboard::report::table::text(&report(&d));
    assert!(
        text.contains(
            "Corrections: 1 units disregarded, 0 statuses taken back, 0 duplicates merged"
        ),
        "{text}"
    );
}

#[test]
fn a_unit_disregarded_after_another_served_leaves_the_call_waiting_for_its_disposition() {
    let (mut d, _clock, _dir) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "unit add PD-7 police");
    let call = take(&mut d, "call 12 Main St / man shouting --type welfare");
    run(&mut d, &format!("dp STAR-1 {call}"));
    run(&mut d, "ons STAR-1");
    run(&mut d, &format!("dp PD-7 {call}"));
    run(&mut d, "avl STAR-1");
    run(&mut d, "disregard PD-7 not needed");
    let c = &d.state().calls[&call];
    assert!(
        c.awaits_disposition(),
        "STAR-1 went and cleared: {:?}",
        c.status
    );
    assert_ne!(c.status, CallStatus::Pending);
}

#[test]
fn only_a_unit_on_its_way_is_disregarded() {
    let (mut d, _clock, _dir) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    let said = refused(&mut d, "disregard STAR-1");
    assert!(said.contains("on no call"), "{said}");
    let call = take(&mut d, "call 12 Main St / man shouting --type welfare");
    run(&mut d, &format!("dp STAR-1 {call}"));
    run(&mut d, "ons STAR-1");
    let said = refused(&mut d, "disregard STAR-1");
    assert!(said.contains("avl STAR-1"), "{said}");
}

#[test]
fn a_status_pressed_too_early_is_taken_back_and_the_arrival_counts_when_it_came() {
    let (mut d, clock, _dir) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    let call = take(&mut d, "call 12 Main St / man shouting --type welfare");
    run(&mut d, &format!("dp STAR-1 {call}"));
    clock.set(T0 + MIN);
    run(&mut d, "enr STAR-1");
    clock.set(T0 + 2 * MIN);
    run(&mut d, "ons STAR-1");
    clock.set(T0 + 3 * MIN);
    let said = refused(&mut d, "correct STAR-1 enr");
    assert!(said.contains("why"), "{said}");
    let said = refused(&mut d, "correct STAR-1 trn went on");
    assert!(said.contains("takes a status back"), "{said}");
    run(&mut d, "correct STAR-1 enr pressed ons too early");
    let state = d.state();
    let unit = &state.units[&"STAR-1".parse().unwrap()];
    assert_eq!(unit.status, UnitStatus::EnRoute);
    assert_eq!(unit.status_ms, T0 + MIN, "en route since it set out");
    assert_eq!(state.calls[&call].status, CallStatus::Dispatched);
    assert_eq!(state.calls[&call].assignments[0].on_scene_ms, None);
    clock.set(T0 + 9 * MIN);
    run(&mut d, "ons STAR-1");
    let facts = metrics(&d).calls();
    let f = facts.iter().find(|f| f.id == call).unwrap();
    assert_eq!(
        f.arrived_ms,
        Some(T0 + 9 * MIN),
        "the true arrival, not the mistaken one"
    );
    assert_eq!(
        f.dispatched_to_en_route_ms(),
        Some(MIN),
        "dispatch to en route"
    );
    let text = switchboard::report::table::text(&report(&d));
    assert!(text.contains("dispatched -> en route"), "{text}");
    // The chronology keeps the mistake and its correction.
    let log: Vec<String> = d
        .events()
        .unwrap()
        .iter()
        .map(|e| e.body.describe())
        .collect();
    assert!(
        log.iter().filter(|l| l.starts_with("STAR-1 ONS")).count() >= 2,
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("corrected to ENR") && l.contains("pressed ons too early")),
        "{log:?}"
    );
}

#[test]
fn a_unit_cleared_by_mistake_is_put_back_on_its_call() {
    let (mut d, clock, _dir) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    let call = take(&mut d, "call 12 Main St / man shouting --type welfare");
    run(&mut d, &format!("dp STAR-1 {call}"));
    clock.set(T0 + 5 * MIN);
    run(&mut d, "ons STAR-1");
    clock.set(T0 + 6 * MIN);
    run(&mut d, "avl STAR-1");
    clock.set(T0 + 7 * MIN);
    run(&mut d, "correct STAR-1 ons cleared the wrong unit");
    let state = d.state();
    let unit = &state.units[&"STAR-1".parse().unwrap()];
    assert_eq!(
        (unit.status, unit.call.as_ref()),
        (UnitStatus::OnScene, Some(&call))
    );
    assert_eq!(unit.status_ms, T0 + 5 * MIN);
    assert_eq!(state.calls[&call].status, CallStatus::OnScene);
    assert!(state.calls[&call].assignments[0].is_active());
    assert_eq!(
        state.calls[&call].assignments.len(),
        1,
        "not a second dispatch"
    );
}

#[test]
fn the_keys_of_both_keymaps_disregard_and_correct_the_selected_unit() {
    for (keymap, disregard, correct) in [("default", "<A-x>", "<A-z>"), ("vim", "X", "u")] {
        let (mut d, _clock, _dir) = desk();
        run(&mut d, "unit add STAR-1 clinician,medic");
        let call = take(&mut d, "call 12 Main St / man shouting --type welfare");
        run(&mut d, &format!("dp STAR-1 {call}"));
        run(&mut d, "ons STAR-1");
        let mut app = console(d, keymap);
        press(&mut app, correct);
        press(&mut app, "dsp pressed too soon<Enter>");
        let star = "STAR-1".parse().unwrap();
        assert_eq!(
            app.state().units[&star].status,
            UnitStatus::Dispatched,
            "{keymap}"
        );
        if keymap == "vim" {
            press(&mut app, "<Esc>");
        }
        press(&mut app, disregard);
        press(&mut app, "<Enter>");
        assert_eq!(
            app.state().units[&star].status,
            UnitStatus::Available,
            "{keymap}"
        );
    }
}
