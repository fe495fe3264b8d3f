//! Priority changes with a reason, and pending calls on hold (issue 14 item 7): through the desk
//! with a fake clock, and through the console's keys in both keymaps.

use crate::common::desk::{desk, refused, run, take, MIN, T0};
use crate::common::keys::{console, press, text};
use switchboard::desk::Desk;
use switchboard::domain::safety::waiting_too_long;
use switchboard::domain::{Body, CallId};
use switchboard::report::metrics::{Metrics, Period};

fn overdue(desk: &Desk, call: &CallId, now_ms: i64) -> bool {
    let c = &desk.state().calls[call];
    waiting_too_long(desk.state(), c, now_ms, desk.policy())
}

#[test]
fn a_priority_change_needs_a_reason_and_the_chronology_keeps_it() {
    let (mut d, _clock, _dir) = desk();
    let call = take(&mut d, "call 12 Main St / man shouting --pri 3");
    let said = refused(&mut d, &format!("set {call} pri 1"));
    assert!(
        said.contains("needs a reason") && said.contains("--reason"),
        "{said}"
    );
    let blank = refused(&mut d, &format!("set {call} pri 1 --reason \" \""));
    assert!(blank.contains("needs a reason"), "{blank}");
    let bodies = run(&mut d, &format!("set {call} pri 1 --reason knife seen"));
    assert_eq!(d.state().calls[&call].priority.get(), 1);
    let described: Vec<String> = bodies.iter().map(Body::describe).collect();
    assert!(
        described.iter().any(|l| l.ends_with("because: knife seen")),
        "{described:?}"
    );
    // Other fields take a reason if given one, and need none.
    run(
        &mut d,
        &format!("set {call} nature man shouting, calmer now"),
    );
}

#[test]
fn a_held_call_does_not_alarm_until_its_time_and_then_does() {
    let (mut d, clock, _dir) = desk();
    let call = take(
        &mut d,
        "call 12 Main St / woman asks for a callback --pri 2",
    );
    let limit = d.policy().pending_limit_ms(d.state().calls[&call].priority);
    run(
        &mut d,
        &format!("hold {call} 30m caller at work, call back at 30"),
    );
    let hold = d.state().calls[&call].hold.clone().expect("held");
    assert_eq!(hold.until_ms, T0 + 30 * MIN);
    assert_eq!(hold.reason, "caller at work, call back at 30");
    // Past the pending limit, but held: no alarm. At the hold's time: at once.
    assert!(
        limit < 30 * MIN,
        "the test needs a limit shorter than the hold"
    );
    assert!(!overdue(&d, &call, T0 + limit + MIN));
    assert!(overdue(&d, &call, T0 + 30 * MIN));
    // Unheld, it waits by its received time again: long past its limit now.
    clock.set(T0 + 10 * MIN);
    run(&mut d, &format!("unhold {call}"));
    assert!(d.state().calls[&call].hold.is_none());
    assert!(overdue(&d, &call, T0 + limit + MIN));
    let again = refused(&mut d, &format!("unhold {call}"));
    assert!(again.contains("not on hold"), "{again}");
}

#[test]
fn only_a_pending_call_is_held_for_a_bounded_time_with_a_reason_and_a_dispatch_ends_it() {
    let (mut d, _clock, _dir) = desk();
    let call = take(&mut d, "call 12 Main St / man shouting --pri 3");
    run(&mut d, "unit add STAR-1 clinician,medic");
    for (line, says) in [
        (format!("hold {call} 0m later"), "1 to 240 minutes"),
        (format!("hold {call} 500m later"), "1 to 240 minutes"),
        (format!("hold {call} soon later"), "not a number of minutes"),
        (format!("hold {call} 20m"), "why"),
    ] {
        let said = refused(&mut d, &line);
        assert!(said.contains(says), "{line}: {said}");
    }
    run(
        &mut d,
        &format!("hold {call} 20m waiting for the caller's sister"),
    );
    run(&mut d, &format!("dp STAR-1 {call}"));
    assert!(
        d.state().calls[&call].hold.is_none(),
        "a dispatch ends the hold"
    );
    let said = refused(&mut d, &format!("hold {call} 20m later"));
    assert!(said.contains("only a pending call"), "{said}");
}

#[test]
fn the_report_counts_holds() {
    let (mut d, _clock, _dir) = desk();
    let a = take(&mut d, "call 12 Main St / man shouting --pri 3");
    take(&mut d, "call 14 Main St / noise --pri 4");
    run(&mut d, &format!("hold {a} 20m calling back"));
    run(&mut d, &format!("unhold {a}"));
    run(&mut d, &format!("hold {a} 10m calling back again"));
    let mut m = Metrics::new(Period::new(T0, T0 + 60 * MIN), d.policy());
    for e in &d.events().unwrap() {
        m.add(e);
    }
    let text = switchboard::report::table::text(&m.summary(T0 + 60 * MIN));
    assert!(
        text.contains("Holds: 1 calls put on hold (2 holds)"),
        "{text}"
    );
}

#[test]
fn the_hold_keys_of_both_keymaps_hold_the_selected_call_and_the_screen_says_so() {
    for (keymap, hold_key, unhold_key) in [("default", "<A-o>", "<A-u>"), ("vim", "H", "U")] {
        let (mut d, _clock, _dir) = desk();
        let call = take(
            &mut d,
            "call 12 Main St / woman asks for a callback --pri 2",
        );
        let mut app = console(d, keymap);
        press(&mut app, hold_key);
        press(&mut app, "20m calling back at 20<Enter>");
        let hold = app.state().calls[&call].hold.clone();
        assert!(hold.is_some(), "{keymap}: {hold_key} did not hold the call");
        let screen = text(&mut app, 80, 24);
        assert!(
            screen.contains("HOLD"),
            "{keymap}: no HOLD in the queue:\n{screen}"
        );
        assert!(
            screen.contains("Hold until") && screen.contains("calling back at 20"),
            "{keymap}: the details do not say why:\n{screen}"
        );
        if keymap == "default" {
            insta::assert_snapshot!("hold_80x24", screen);
        }
        if keymap == "vim" {
            press(&mut app, "<Esc>");
        }
        press(&mut app, unhold_key);
        assert!(
            app.state().calls[&call].hold.is_none(),
            "{keymap}: {unhold_key} did not take it off hold"
        );
    }
}
