//! Retention by schedule (issue 17 item 2): a closed call keeps its personal fields for the
//! days `[retention]` gives, then the desk that owns the store erases them (crypto-shredding),
//! leaving the operational record the figures need; a legal hold or an open call keeps them.

use std::time::Duration;

use switchboard::config::Settings;
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::event::ERASED;
use switchboard::domain::retention::Retention;
use switchboard::domain::{Body, CallId};
use switchboard::report::metrics::{Metrics, Period};
use switchboard::store::{Store, StoreKind};

use crate::common::desk::{desk, run, served_with_console, take, MIN, T0};
use crate::common::pair::watch_until;

const DAY: i64 = 24 * 60 * MIN;
const NAME: &str = "Ines Baptiste";
const NOTE: &str = "says the voices told her to stop her meds";

fn keeping(d: Desk, days: u32) -> Desk {
    let mut policy = d.policy().clone();
    policy.retention = Retention {
        personal_days: Some(days),
        training_days: None,
    };
    d.with_policy(policy)
}

/// A call with a caller and a note, closed ten minutes after it came in.
fn closed(d: &mut Desk, clock: &ManualClock, street: &str) -> CallId {
    let id = take(
        d,
        &format!("call {street} / woman hearing voices --caller {NAME} --type bh-crisis"),
    );
    run(d, &format!("note {id} {NOTE}"));
    clock.advance(10 * MIN);
    run(d, &format!("close {id} resolved"));
    id
}

/// The figures of the days around the calls, from the operational record only.
fn figures(d: &Desk) -> String {
    let mut m = Metrics::new(Period::new(T0 - DAY, T0 + 2 * DAY), d.policy());
    for e in d.events().unwrap() {
        if !matches!(e.body, Body::CallErased { .. }) {
            m.add(&e);
        }
    }
    format!("{:?}", m.summary(T0 + 2 * DAY))
}

/// The call's personal text as the desk holds it (read back into memory first, as a command
/// naming it would).
fn personal(d: &mut Desk, id: &CallId) -> String {
    d.take_back_typed(id.as_str()).unwrap();
    let c = &d.state().calls[id];
    let mut all = vec![c.nature.clone()];
    all.extend(c.caller.clone());
    all.extend(c.notes.iter().map(|n| n.text.clone()));
    all.join("\n")
}

#[test]
fn a_closed_call_keeps_its_personal_fields_for_the_schedule_then_loses_them_and_the_figures_stay() {
    let (d, clock, dir) = desk();
    let mut d = keeping(d, 30);
    let old = closed(&mut d, &clock, "12 Main St");
    let held = closed(&mut d, &clock, "14 Main St");
    run(&mut d, &format!("hold-legal {held} subpoena 2026-114"));
    let open = take(
        &mut d,
        &format!("call 16 Main St / man shouting --caller {NAME}"),
    );
    let before = figures(&d);

    // A day short of the schedule: nothing is due.
    clock.set(T0 + 29 * DAY);
    assert_eq!(d.keep_retention().unwrap(), 0);
    assert!(personal(&mut d, &old).contains(NOTE));

    clock.set(T0 + 31 * DAY);
    assert_eq!(
        d.keep_retention().unwrap(),
        1,
        "only the closed call without a hold"
    );
    let shown = personal(&mut d, &old);
    assert!(!shown.contains(NAME) && !shown.contains(NOTE), "{shown}");
    assert!(shown.contains(ERASED));
    let erased = d
        .events()
        .unwrap()
        .into_iter()
        .find_map(|e| match e.body {
            Body::CallErased { call, reason } if call == old => Some(reason),
            _ => None,
        })
        .expect("the erasure is in the log");
    assert!(
        erased.starts_with("retention: personal fields are kept 30 days"),
        "{erased}"
    );
    assert!(
        personal(&mut d, &held).contains(NOTE),
        "a legal hold keeps them"
    );
    assert!(
        personal(&mut d, &open).contains(NAME),
        "an open call keeps them"
    );
    // Erased once: the next sweep finds nothing, and the figures are the same.
    assert_eq!(d.keep_retention().unwrap(), 0);
    assert_eq!(figures(&d), before, "the figures need no name");

    // The chain still verifies, and a reopened desk reads [erased] too.
    d.close().unwrap();
    let store = Store::open(dir.path(), StoreKind::Live).unwrap();
    Desk::verify(store).expect("the hash chain verifies after the erasure");
    let store = Store::open(dir.path(), StoreKind::Live).unwrap();
    let mut d = Desk::open(store, Box::new(ManualClock::at(T0 + 32 * DAY)), "ct").unwrap();
    assert!(!personal(&mut d, &old).contains(NOTE));
    assert!(personal(&mut d, &held).contains(NOTE));
}

#[test]
fn a_desk_without_a_schedule_keeps_everything() {
    let (mut d, clock, _dir) = desk();
    let id = closed(&mut d, &clock, "12 Main St");
    clock.set(T0 + 3650 * DAY);
    assert_eq!(d.keep_retention().unwrap(), 0);
    assert!(personal(&mut d, &id).contains(NOTE));
}

#[test]
fn the_serving_desk_erases_on_schedule_and_its_consoles_see_it() {
    let (mut d, clock, dir) = desk();
    let id = closed(&mut d, &clock, "12 Main St");
    d.close().unwrap();
    // The desk is served 31 days later, with a 30-day schedule.
    let store = Store::open(dir.path(), StoreKind::Live).unwrap();
    let later = ManualClock::at(T0 + 31 * DAY);
    let served = keeping(Desk::open(store, Box::new(later), "serve").unwrap(), 30);
    let (serving, mut console, mut watch) = served_with_console(
        served,
        dir.path(),
        Box::new(ManualClock::at(T0 + 31 * DAY)),
        "ct",
    );
    // The call closed a month ago: the serving desk holds it in the store, not in memory, and
    // so does the console's copy of its fold. What the console reads of it, its chronology
    // from the serving desk, is erased.
    let erased = |d: &Desk| {
        d.chronology(&id)
            .is_ok_and(|es| es.iter().any(|e| matches!(e.body, Body::CallErased { .. })))
    };
    watch_until(&mut watch, &mut console, Duration::from_secs(20), |d, _| {
        erased(d)
    });
    let told: Vec<String> = console
        .chronology(&id)
        .unwrap()
        .iter()
        .map(|e| format!("{:?}", e.body))
        .collect();
    assert!(told.iter().any(|t| t.contains("[erased]")), "{told:?}");
    assert!(!told.concat().contains(NOTE), "{told:?}");
    assert!(console.state().calls.get(&id).is_none_or(|c| c.erased));
    drop((console, watch));
    serving.stop().unwrap();
}

#[test]
fn retention_in_config_toml_is_read_and_a_bad_value_named() {
    let (settings, problems) = Settings::parse_all(
        "theme = \"dark\"\n[retention]\npersonal_days = 730\ntraining_days = 7\n",
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        settings.retention.schedule(),
        Retention {
            personal_days: Some(730),
            training_days: Some(7)
        }
    );
    for bad in [
        "personal_days = 0",
        "personal_days = -3",
        "operational_days = 30",
    ] {
        let (settings, problems) =
            Settings::parse_all(&format!("theme = \"dark\"\n[retention]\n{bad}\n"));
        assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
        assert!(problems[0].starts_with("3: "), "{bad}: {problems:?}");
        assert_eq!(
            settings.theme.as_deref(),
            Some("dark"),
            "the good keys stay"
        );
        assert_eq!(settings.retention.schedule(), Retention::default());
    }
}
