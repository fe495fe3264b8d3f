//! Unit status timers beside the on-scene check-in (issue 14 item 5): dispatched and not en
//! route, en route, at a facility — each limit per status in `[unit_timers]` — and out of
//! service past the return given with `oos … --back`. Through the desk with a fake clock, and
//! through the console: the roster, the status bar, the alarm key and the bell.

use crate::common::desk::{desk, refused, run, MIN, T0};
use crate::common::keys::{console, press, text};
use switchboard::config::Ring;
use switchboard::desk::Desk;
use switchboard::domain::policy::StatusMinutes;
use switchboard::domain::safety::status_timer;
use switchboard::domain::{Body, Callsign, UnitStatus};

/// When `unit`'s status timer runs out, and for which status.
fn timer(desk: &Desk, unit: &str) -> Option<(UnitStatus, i64)> {
    let u = &desk.state().units[&unit.parse::<Callsign>().unwrap()];
    status_timer(desk.state(), u, desk.policy()).map(|t| (t.status, t.due_ms))
}

#[test]
fn each_status_has_its_limit_from_when_the_unit_entered_it_and_on_scene_has_the_check_in() {
    let (mut d, clock, _dir) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "call 12 Main St / man shouting --pri 3");
    assert_eq!(timer(&d, "STAR-1"), None, "available has no timer");
    run(&mut d, "dp STAR-1 1");
    assert_eq!(
        timer(&d, "STAR-1"),
        Some((UnitStatus::Dispatched, T0 + 3 * MIN))
    );
    clock.set(T0 + 2 * MIN);
    run(&mut d, "enr STAR-1");
    assert_eq!(
        timer(&d, "STAR-1"),
        Some((UnitStatus::EnRoute, T0 + 22 * MIN))
    );
    clock.set(T0 + 10 * MIN);
    run(&mut d, "ons STAR-1");
    assert_eq!(timer(&d, "STAR-1"), None, "on scene is the check-in's");
    run(&mut d, "trn STAR-1 Denver Health");
    assert_eq!(timer(&d, "STAR-1"), None, "transporting has no limit");
    clock.set(T0 + 30 * MIN);
    run(&mut d, "atf STAR-1");
    assert_eq!(
        timer(&d, "STAR-1"),
        Some((UnitStatus::AtFacility, T0 + 60 * MIN))
    );
    run(&mut d, "avl STAR-1");
    assert_eq!(timer(&d, "STAR-1"), None);
}

#[test]
fn limits_per_status_come_from_the_policy_and_zero_turns_one_off() {
    let (d, _clock, _dir) = desk();
    let mut policy = d.policy().clone();
    policy.status_minutes = StatusMinutes {
        dispatched: 0,
        en_route: 7,
        at_facility: 45,
    };
    let mut d = d.with_policy(policy);
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "call 12 Main St / man shouting --pri 3");
    run(&mut d, "dp STAR-1 1");
    assert_eq!(timer(&d, "STAR-1"), None, "dispatched: off");
    run(&mut d, "enr STAR-1");
    assert_eq!(
        timer(&d, "STAR-1"),
        Some((UnitStatus::EnRoute, T0 + 7 * MIN))
    );
}

#[test]
fn out_of_service_with_an_expected_return_alarms_past_it_and_bad_input_changes_nothing() {
    let (mut d, clock, _dir) = desk();
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "oos STAR-1 fuel");
    assert_eq!(timer(&d, "STAR-1"), None, "no --back, no timer");
    run(&mut d, "avl STAR-1");
    let bodies = run(&mut d, "oos STAR-1 flat tyre --back 30m");
    let described: Vec<String> = bodies.iter().map(Body::describe).collect();
    assert!(
        described
            .iter()
            .any(|l| l.contains("flat tyre") && l.contains("expected back 10:30 UTC")),
        "{described:?}"
    );
    assert_eq!(
        timer(&d, "STAR-1"),
        Some((UnitStatus::OutOfService, T0 + 30 * MIN))
    );
    let u = &d.state().units[&"STAR-1".parse::<Callsign>().unwrap()];
    assert_eq!(u.detail.as_deref(), Some("flat tyre"));
    // A new expected return moves it; one without ends it.
    clock.set(T0 + 20 * MIN);
    run(&mut d, "oos STAR-1 still at the garage --back 45m");
    assert_eq!(
        timer(&d, "STAR-1"),
        Some((UnitStatus::OutOfService, T0 + 65 * MIN))
    );
    for (line, says) in [
        ("oos STAR-1 --back soon", "not a number of minutes"),
        ("oos STAR-1 --back 0m", "1 to 1440 minutes"),
        ("oos STAR-1 --back 2000m", "1 to 1440 minutes"),
        ("enr STAR-1 --back 5m", "back"),
    ] {
        let said = refused(&mut d, line);
        assert!(said.contains(says), "{line}: {said}");
        assert!(!said.contains('\n'), "{line}: {said}");
    }
    run(&mut d, "avl STAR-1");
    assert_eq!(timer(&d, "STAR-1"), None, "back in service");
}

#[test]
fn the_console_names_units_past_their_timer_visits_them_and_rings_once() {
    for keymap in ["default", "vim"] {
        let (mut d, clock, _dir) = desk();
        for line in [
            "unit add STAR-1 clinician,medic",
            "unit add STAR-2 clinician,medic",
            "unit add STAR-3 clinician,medic",
            "call 12 Main St / man shouting --pri 3",
            "call 30 Oak Ave / woman asks for help --pri 3",
            "dp STAR-1 1",
            "oos STAR-3 vehicle check --back 10m",
        ] {
            run(&mut d, line);
        }
        let mut app = console(d, keymap).ringing(&[Ring::UnitTimer], false);
        app.listen(T0);
        assert!(!std::mem::take(&mut app.ui.bell));
        clock.set(T0 + 2 * MIN);
        app.desk.execute_line("dp STAR-2 2").unwrap();
        let screen = text(&mut app, 80, 24);
        assert!(!screen.contains("not en route"), "{keymap}\n{screen}");
        assert!(screen.contains("STAR-3 OOS"), "{keymap}\n{screen}");
        assert!(screen.contains("back 8:00"), "{keymap}\n{screen}");
        // STAR-1 passes its 3 minutes dispatched: the bar names it, the bell rings once.
        clock.set(T0 + 4 * MIN);
        app.listen(T0 + 4 * MIN);
        assert!(std::mem::take(&mut app.ui.bell), "{keymap}: no bell");
        app.listen(T0 + 4 * MIN);
        assert!(!std::mem::take(&mut app.ui.bell), "{keymap}: rang twice");
        let screen = text(&mut app, 80, 24);
        assert!(
            screen.contains("not en route: STAR-1"),
            "{keymap}\n{screen}"
        );
        assert!(screen.contains("LONG 1:00"), "{keymap}\n{screen}");
        // STAR-2 too, and STAR-3 is not back: another kind rings again.
        clock.set(T0 + 11 * MIN);
        app.listen(T0 + 11 * MIN);
        assert!(
            std::mem::take(&mut app.ui.bell),
            "{keymap}: no bell for OOS"
        );
        let screen = text(&mut app, 80, 24);
        assert!(
            screen.contains("not en route: STAR-1, STAR-2"),
            "{keymap}\n{screen}"
        );
        assert!(screen.contains("not back: STAR-3"), "{keymap}\n{screen}");
        assert!(
            screen.contains("STAR-3 OOS") && screen.contains("LATE 1:00"),
            "{keymap}\n{screen}"
        );
        if keymap == "default" {
            insta::assert_snapshot!("unit_timers_80x24", screen);
        }
        // The alarm key visits each unit, with its call.
        let key = if keymap == "vim" { "!" } else { "<A-g>" };
        let mut visited = Vec::new();
        for _ in 0..3 {
            press(&mut app, key);
            let unit = app.selected_unit().map(|u| u.callsign.to_string());
            visited.push(unit.unwrap_or_default());
            let said = app.ui.message.clone().unwrap().text;
            assert!(said.starts_with("Alarm: STAR-"), "{keymap}: {said}");
        }
        assert_eq!(visited, ["STAR-1", "STAR-2", "STAR-3"], "{keymap}");
        press(&mut app, key);
        assert_eq!(
            app.selected_unit()
                .map(|u| u.callsign.to_string())
                .as_deref(),
            Some("STAR-1"),
            "{keymap}: round the list"
        );
        assert_eq!(
            app.selected_call().map(|c| c.id.to_string()).as_deref(),
            Some("26-BA0001"),
            "{keymap}"
        );
        assert!(
            app.ui.message.clone().unwrap().text == "Alarm: STAR-1 not en route",
            "{keymap}"
        );
        // Not listed in [alarms] bell: silent.
        let (mut d, clock, _dir) = desk();
        run(&mut d, "unit add STAR-1 clinician,medic");
        run(&mut d, "call 12 Main St / man shouting --pri 3");
        run(&mut d, "dp STAR-1 1");
        let mut quiet = console(d, keymap).ringing(&[Ring::CheckIn], false);
        quiet.listen(T0);
        clock.set(T0 + 4 * MIN);
        quiet.listen(T0 + 4 * MIN);
        assert!(!std::mem::take(&mut quiet.ui.bell), "{keymap}");
    }
}
