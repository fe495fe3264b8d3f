//! Duplicate calls at intake and `merge` (issue 14 item 8): flagged with the earlier call, closed
//! into it with their caller and notes, and not counted twice in the figures.

use crate::common::desk::{desk, take, MIN, T0};
use crate::common::keys::{console, press, text};
use switchboard::desk::Desk;
use switchboard::domain::duplicates::possible_duplicates;
use switchboard::domain::{CallId, CallStatus, Disposition};
use switchboard::report::metrics::{Metrics, Period};

fn dups(desk: &Desk, call: &CallId) -> Vec<(CallId, String)> {
    possible_duplicates(desk.state(), &desk.state().calls[call])
}

#[test]
fn a_call_at_the_same_address_near_and_soon_or_from_the_same_number_is_flagged() {
    let (mut d, clock, _dir) = desk();
    let first = take(
        &mut d,
        "call 1400 Colfax Ave / man shouting --cb 303-555-0101",
    );
    let near = take(
        &mut d,
        "call 5th & Pine / woman crying --at 39.7400,-104.9900",
    );
    clock.set(T0 + 5 * MIN);
    let again = take(&mut d, "call 1400 colfax ave. / shouting outside");
    assert_eq!(
        dups(&d, &again),
        vec![(first.clone(), "same address".to_owned())]
    );
    let close_by = take(
        &mut d,
        "call Pine St bus stop / crying woman --at 39.7405,-104.9900",
    );
    let said = dups(&d, &close_by);
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0].0, near);
    assert!(said[0].1.contains("m away, 5 min earlier"), "{said:?}");
    let by_phone = take(
        &mut d,
        "call 9 Elm St / neighbour worried --cb (303) 555-0101",
    );
    assert_eq!(
        dups(&d, &by_phone),
        vec![(first.clone(), "same callback number".to_owned())]
    );
    // 600 m away, or 40 minutes on, or a short number: not flagged.
    clock.set(T0 + 45 * MIN);
    let later = take(
        &mut d,
        "call Pine St corner / woman crying --at 39.7404,-104.9901",
    );
    assert!(dups(&d, &later).is_empty(), "{:?}", dups(&d, &later));
    let far = take(
        &mut d,
        "call 3rd & Oak / woman crying --at 39.7454,-104.9900 --cb 911",
    );
    assert!(dups(&d, &far).is_empty(), "{:?}", dups(&d, &far));
}

#[test]
fn merge_closes_the_duplicate_into_the_call_with_its_caller_and_notes_and_counts_it_once() {
    let (mut d, clock, _dir) = desk();
    d.run_line("unit add STAR-1 clinician,medic").unwrap();
    let first = take(&mut d, "call 1400 Colfax Ave / man shouting --type welfare");
    clock.set(T0 + 2 * MIN);
    let second = take(
        &mut d,
        "call 1400 Colfax Ave / man shouting at traffic --caller Sam --cb 555-0199",
    );
    d.run_line(&format!("note {second} he has a dog with him"))
        .unwrap();
    d.run_line(&format!("dp STAR-1 {second}")).unwrap();
    let before = d.state().digest();
    let said = d
        .run_line(&format!("merge {second} {first}"))
        .unwrap_err()
        .to_string();
    assert!(said.contains("STAR-1") && said.contains("first"), "{said}");
    assert_eq!(d.state().digest(), before);
    d.run_line("disregard STAR-1").unwrap();
    let said = d
        .run_line(&format!("merge {first} {first}"))
        .unwrap_err()
        .to_string();
    assert!(said.contains("itself"), "{said}");
    clock.set(T0 + 4 * MIN);
    d.run_line(&format!("merge {second} {first}")).unwrap();
    let state = d.state();
    let dup = &state.calls[&second];
    assert_eq!(dup.status, CallStatus::Closed);
    assert_eq!(dup.disposition, Some(Disposition::Duplicate));
    assert!(dup.links.contains(&first));
    let kept = &state.calls[&first];
    let notes: Vec<&str> = kept.notes.iter().map(|n| n.text.as_str()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("(caller Sam, cb 555-0199)")
                && n.contains("man shouting at traffic")),
        "{notes:?}"
    );
    let dog = kept.notes.iter().find(|n| n.text.contains("dog")).unwrap();
    let written = dog
        .written
        .as_ref()
        .expect("the note keeps its author and time");
    assert_eq!((written.by.as_str(), written.at_ms), ("ct", T0 + 2 * MIN));
    // The figures: one call received, one duplicate merged.
    let mut m = Metrics::new(Period::new(T0, T0 + 60 * MIN), d.policy());
    for e in &d.events().unwrap() {
        m.add(e);
    }
    assert_eq!(m.calls().len(), 1);
    let text = switchboard::report::table::text(&m.summary(T0 + 60 * MIN));
    assert!(text.contains("1 duplicates merged"), "{text}");
    // The EIDO code for it is the registry's.
    assert_eq!(
        switchboard::report::eido::codes::code(
            switchboard::report::eido::codes::Field::Disposition,
            "duplicate"
        ),
        Some("22")
    );
}

#[test]
fn the_console_flags_a_duplicate_as_it_is_taken_and_both_keymaps_open_merge() {
    for (keymap, key) in [("default", "<A-i>"), ("vim", "=")] {
        let (mut d, _clock, _dir) = desk();
        let first = take(&mut d, "call 1400 Colfax Ave / man shouting");
        let mut app = console(d, keymap);
        if keymap == "vim" {
            press(&mut app, ":");
        }
        press(&mut app, "call 1400 Colfax Ave / shouting again<Enter>");
        let said = app.ui.message.clone().unwrap().text;
        assert!(
            said.starts_with(&format!("possible duplicate of {first}")),
            "{keymap}: {said}"
        );
        // The command to type names the calls by number, short enough for the line.
        assert!(
            said.contains("same address): merge 2 1"),
            "{keymap}: {said}"
        );
        let screen = text(&mut app, 80, 24);
        assert!(screen.contains("Dup?"), "{keymap}:\n{screen}");
        if keymap == "default" {
            insta::assert_snapshot!("duplicate_flagged_80x24", screen);
        }
        if keymap == "vim" {
            press(&mut app, "<Esc>");
        }
        press(&mut app, key);
        assert_eq!(app.ui.line.text, "merge ", "{keymap}");
    }
}
