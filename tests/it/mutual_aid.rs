//! Backup handed to police, EMS or fire is tracked as handed over — asked, then confirmed by
//! whom — not as a P1 of our own pending in the queue (issue 14 item 10).

use crate::common::desk::{desk, MIN, T0};
use crate::common::keys::{console, press, text};
use switchboard::desk::{Desk, Outcome};
use switchboard::domain::safety::waiting_too_long;
use switchboard::domain::{Body, CallId};

/// A call with STAR-1 on scene asking police for backup; (the call, the backup call).
fn asked(d: &mut Desk) -> (CallId, CallId) {
    d.run_line("unit add STAR-1 clinician,medic").unwrap();
    let Outcome::Committed(events) = d.run_line("call 12 Main St / man with a knife").unwrap()
    else {
        panic!("no call");
    };
    let call = events
        .iter()
        .find_map(|e| match &e.body {
            Body::CallCreated { call, .. } => Some(call.clone()),
            _ => None,
        })
        .unwrap();
    d.run_line(&format!("dp STAR-1 {call}")).unwrap();
    d.run_line("ons STAR-1").unwrap();
    let Outcome::Committed(events) = d.run_line(&format!("backup {call} police")).unwrap() else {
        panic!("no backup");
    };
    let child = events
        .iter()
        .find_map(|e| match &e.body {
            Body::BackupRequested { child, .. } => Some(child.clone()),
            _ => None,
        })
        .unwrap();
    (call, child)
}

fn overdue(d: &Desk, call: &CallId, now_ms: i64) -> bool {
    waiting_too_long(d.state(), &d.state().calls[call], now_ms, d.policy())
}

#[test]
fn a_backup_alarms_until_the_agency_confirms_it_and_then_leaves_our_queue_honest() {
    let (mut d, clock, _dir) = desk();
    let (_call, child) = asked(&mut d);
    assert!(
        d.state().calls[&child].waits_here(),
        "asked, not yet theirs"
    );
    assert!(!overdue(&d, &child, T0 + MIN));
    assert!(
        overdue(&d, &child, T0 + 3 * MIN),
        "nobody confirmed a team's call for help"
    );
    clock.set(T0 + 3 * MIN);
    let Outcome::Committed(events) = d
        .run_line(&format!("confirm {child} PD dispatch, 2A12"))
        .unwrap()
    else {
        panic!("confirm committed nothing");
    };
    assert_eq!(
        events[0].body.describe(),
        format!("{child} confirmed by PD dispatch, 2A12")
    );
    let c = &d.state().calls[&child];
    let done = c.confirmed.as_ref().unwrap();
    assert_eq!(
        (done.at_ms, done.by.as_deref()),
        (T0 + 3 * MIN, Some("PD dispatch, 2A12"))
    );
    assert!(!c.waits_here(), "confirmed: theirs, not waiting here");
    assert!(
        !overdue(&d, &child, T0 + 60 * MIN),
        "a confirmed backup never alarms as ours"
    );
    let said = d
        .run_line(&format!("confirm {child}"))
        .unwrap_err()
        .to_string();
    assert!(said.contains("confirmed already"), "{said}");
}

/// The figures follow the desk: a confirmed backup call leaves the pending queue the report
/// counts, as it leaves the queue on screen.
#[test]
fn a_confirmed_backup_leaves_the_pending_queue_of_the_figures() {
    use switchboard::report::metrics::{Metrics, Period};
    let (mut d, clock, _dir) = desk();
    let (_call, child) = asked(&mut d);
    clock.set(T0 + 3 * MIN);
    d.run_line(&format!("confirm {child} PD dispatch")).unwrap();
    let mut m = Metrics::new(Period::new(T0, T0 + 60 * MIN), d.policy());
    for e in &d.events().unwrap() {
        m.add(e);
    }
    let q = m.summary(T0 + 60 * MIN).pending_queue;
    // Only the backup call was ever pending (the call itself had STAR-1 at once), and only
    // for the 3 minutes before PD said it has it: 3 of 60 minutes.
    assert_eq!(q.max, 1);
    assert_eq!(q.mean, Some(0.05), "{q:?}");
    assert_eq!(q.peaks, [1, 0, 0, 0]);
}

#[test]
fn only_a_backup_call_is_confirmed() {
    let (mut d, _clock, _dir) = desk();
    let (call, _child) = asked(&mut d);
    let before = d.state().digest();
    let said = d
        .run_line(&format!("confirm {call}"))
        .unwrap_err()
        .to_string();
    assert!(said.contains("not a backup call"), "{said}");
    assert_eq!(d.state().digest(), before);
}

#[test]
fn the_queue_and_details_say_handed_over_and_both_keymaps_confirm() {
    for (keymap, key) in [("default", "<A-y>"), ("vim", "Y")] {
        let (mut d, _clock, _dir) = desk();
        let (_call, child) = asked(&mut d);
        let mut app = console(d, keymap);
        app.ui.call = Some(child.clone());
        let screen = text(&mut app, 80, 24);
        assert!(screen.contains("ASKD"), "{keymap}:\n{screen}");
        if keymap == "default" {
            insta::assert_snapshot!("backup_asked_80x24", screen);
        }
        assert!(screen.contains("handed to police"), "{keymap}:\n{screen}");
        press(&mut app, key);
        press(&mut app, "PD dispatch<Enter>");
        assert!(app.state().calls[&child].confirmed.is_some(), "{keymap}");
        let screen = text(&mut app, 80, 24);
        assert!(screen.contains("CONF"), "{keymap}:\n{screen}");
        assert!(
            screen.contains("confirmed") && screen.contains("by PD dispatch"),
            "{keymap}:\n{screen}"
        );
    }
}
