//! Cautions where the eye is (issue 14 item 4): a caution at the address or for the caller marks
//! the queue row, opens as a banner on the call and before triage's first question, and a weapon
//! caution counts as a known weapon in the recommendation until triage answers otherwise.

use crate::common::desk::{answer, desk, run, take, MIN, T0};
use crate::common::keys::{console, press, text};
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::{Body, CallId, ResponseType};

/// An earlier call at 12 Main St left a knife caution; a later one there, untriaged.
fn knife_at_main_st(d: &mut Desk, clock: &ManualClock) -> (CallId, CallId) {
    let earlier = take(d, "call 12 Main St / man shouting --pri 3");
    run(
        d,
        &format!("note {earlier} keeps a knife by the door --caution"),
    );
    run(d, &format!("close {earlier} resolved"));
    clock.set(T0 + 60 * MIN);
    let later = take(d, "call 12 Main St. / welfare check --pri 3");
    (earlier, later)
}

#[test]
fn a_weapon_caution_at_the_address_counts_as_weapon_yes_until_triage_answers_it() {
    let (mut d, clock, _dir) = desk();
    let (earlier, later) = knife_at_main_st(&mut d, &clock);
    let said = answer(&mut d, &format!("rec {later}"));
    assert!(
        said[0].contains("co-response") && said[0].contains("rule weapon"),
        "{said:?}"
    );
    assert!(
        said[0].contains("caution \"keeps a knife by the door\" counts as weapon yes"),
        "{said:?}"
    );
    // Triage answers otherwise: the caution no longer decides.
    let bodies = run(&mut d, &format!("ask {later} weapon no"));
    let rec = bodies
        .iter()
        .find_map(|b| match b {
            Body::Recommended { recommendation, .. } => Some(recommendation.clone()),
            _ => None,
        })
        .expect("a new recommendation");
    assert_ne!(rec.rule, "weapon");
    assert!(!rec.reason.contains("caution"), "{}", rec.reason);
    let said = answer(&mut d, &format!("rec {later}"));
    assert!(!said[0].contains("caution"), "{said:?}");
    // `unknown` is not an answer to that: the caution is what is known.
    run(&mut d, &format!("ask {later} weapon unknown"));
    let c = &d.state().calls[&later];
    let rec = c.recommendation.as_ref().unwrap();
    assert_eq!(rec.rule, "weapon");
    assert_eq!(rec.response, ResponseType::CoResponse);
    assert!(
        rec.reason
            .contains("counts as weapon yes until triage answers weapon"),
        "{}",
        rec.reason
    );
    // The earlier call's own caution is not a later one's: it is before it.
    assert!(
        switchboard::domain::history::cautions(d.state(), &d.state().calls[&earlier])
            .iter()
            .all(|c| c.from == switchboard::domain::history::CautionFrom::ThisCall)
    );
}

#[test]
fn the_plan_sent_for_a_weapon_caution_is_the_co_response_pair() {
    let (mut d, clock, _dir) = desk();
    knife_at_main_st(&mut d, &clock);
    // An overdose goes to EMS; at the knife address the weapon rule comes first.
    let here = take(
        &mut d,
        "call 12 Main St / overdose, breathing --type overdose",
    );
    let elsewhere = take(
        &mut d,
        "call 80 Elm St / overdose, breathing --type overdose",
    );
    run(&mut d, &format!("ask {here} violence no"));
    run(&mut d, &format!("ask {elsewhere} violence no"));
    let rule = |d: &Desk, c: &CallId| d.state().calls[c].recommendation.clone().unwrap();
    assert_eq!(rule(&d, &here).rule, "weapon");
    assert_eq!(rule(&d, &here).response, ResponseType::CoResponse);
    assert_eq!(rule(&d, &elsewhere).rule, "medical-types");
    run(&mut d, "unit add STAR-1 clinician,medic");
    run(&mut d, "unit add PD-1 police");
    run(&mut d, &format!("rec {here} --dispatch"));
    let mut sent: Vec<String> = d.state().calls[&here]
        .active_units()
        .map(|a| a.unit.to_string())
        .collect();
    sent.sort();
    assert_eq!(sent, ["PD-1", "STAR-1"]);
    // Triage says there is no weapon: EMS again.
    run(&mut d, &format!("ask {here} weapon no"));
    assert_eq!(rule(&d, &here).rule, "medical-types");
}

#[test]
fn a_caution_for_the_caller_follows_the_callback_number_and_one_without_a_weapon_changes_no_rule() {
    let (mut d, clock, _dir) = desk();
    let first = take(&mut d, "call 40 Oak Ave / distressed man --cb 555-201-7788");
    run(&mut d, &format!("note {first} has a gun at home --caution"));
    run(&mut d, &format!("note {first} plain note, no caution"));
    clock.set(T0 + 10 * MIN);
    let second = take(
        &mut d,
        "call 3 Birch Rd / same man again --cb (555) 201 7788",
    );
    let other = take(&mut d, "call 9 Pine Rd / someone else --cb 555-000-1111");
    let cautions = switchboard::domain::history::cautions(d.state(), &d.state().calls[&second]);
    assert_eq!(cautions.len(), 1, "{cautions:?}");
    assert_eq!(cautions[0].text, "has a gun at home");
    assert_eq!(
        cautions[0].from,
        switchboard::domain::history::CautionFrom::Caller(first.clone())
    );
    assert!(switchboard::domain::history::cautions(d.state(), &d.state().calls[&other]).is_empty());
    let said = answer(&mut d, &format!("rec {second}"));
    assert!(said[0].contains("rule weapon"), "{said:?}");
    // A caution that names no weapon is shown but decides nothing.
    run(&mut d, &format!("note {other} dog in the yard --caution"));
    let said = answer(&mut d, &format!("rec {other}"));
    assert!(!said[0].contains("caution"), "{said:?}");
}

#[test]
fn a_weapon_caution_noted_after_triage_moves_the_recommendation_on_record() {
    let (mut d, _clock, _dir) = desk();
    let call = take(
        &mut d,
        "call 5 Elm St / welfare check --type welfare --pri 3",
    );
    run(&mut d, &format!("ask {call} violence no"));
    let before = d.state().calls[&call].recommendation.clone().unwrap();
    assert_ne!(before.rule, "weapon");
    let bodies = run(&mut d, &format!("note {call} machete in the car --caution"));
    assert!(
        bodies.iter().any(|b| matches!(b, Body::Recommended { .. })),
        "{bodies:?}"
    );
    let after = d.state().calls[&call].recommendation.clone().unwrap();
    assert_eq!(after.rule, "weapon");
    assert_eq!(after.response, ResponseType::CoResponse);
    // A plain note leaves it as it was.
    let bodies = run(&mut d, &format!("note {call} sister is on her way"));
    assert_eq!(bodies.len(), 1, "{bodies:?}");
}

/// A second call to an address while the first is still open: a knife noted on the second
/// bears on the first too, and the first's recommendation on record moves with it.
#[test]
fn a_weapon_caution_on_one_open_call_moves_the_recommendation_of_another_at_the_address() {
    let (mut d, clock, _dir) = desk();
    let first = take(
        &mut d,
        "call 12 Main St / welfare check --type welfare --pri 3",
    );
    run(&mut d, &format!("ask {first} violence no"));
    let before = d.state().calls[&first].recommendation.clone().unwrap();
    assert_ne!(before.rule, "weapon");
    clock.set(T0 + 10 * MIN);
    let second = take(&mut d, "call 12 Main St. / neighbour says he is shouting");
    let elsewhere = take(
        &mut d,
        "call 9 Oak Ave / welfare check --type welfare --pri 3",
    );
    run(&mut d, &format!("ask {elsewhere} violence no"));
    let bodies = run(
        &mut d,
        &format!("note {second} he has a knife in his hand --caution"),
    );
    let moved: Vec<&CallId> = bodies
        .iter()
        .filter_map(|b| match b {
            Body::Recommended { call, .. } => Some(call),
            _ => None,
        })
        .collect();
    assert_eq!(moved, vec![&first], "{bodies:?}");
    let after = d.state().calls[&first].recommendation.clone().unwrap();
    assert_eq!(after.rule, "weapon");
    assert_eq!(after.response, ResponseType::CoResponse);
    let said = answer(&mut d, &format!("rec {first}"));
    assert!(said[0].contains("rule weapon"), "{said:?}");
    // A call elsewhere keeps what triage recommended.
    assert_ne!(
        d.state().calls[&elsewhere]
            .recommendation
            .clone()
            .unwrap()
            .rule,
        "weapon"
    );
}

#[test]
fn the_queue_row_is_marked_the_call_opens_with_a_banner_and_triage_shows_it_first() {
    for keymap in ["default", "vim"] {
        let (mut d, clock, _dir) = desk();
        let (_, later) = knife_at_main_st(&mut d, &clock);
        take(&mut d, "call 7 Cedar Ln / noise complaint --pri 4");
        let mut app = console(d, keymap);
        press(&mut app, if keymap == "vim" { "gg" } else { "<Home>" });
        let screen = text(&mut app, 80, 24);
        let row = |name: &str| {
            screen
                .lines()
                .find(|l| l.contains(name) && l.contains("PEND"))
                .unwrap_or_else(|| panic!("{keymap}: no row for {name}\n{screen}"))
                .to_owned()
        };
        assert!(
            row("12 Main St.").contains("⚠ 12 Main St."),
            "{keymap}\n{screen}"
        );
        assert!(!row("7 Cedar Ln").contains('⚠'), "{keymap}\n{screen}");
        assert_eq!(
            app.selected_call().map(|c| c.id.clone()),
            Some(later.clone()),
            "{keymap}\n{screen}"
        );
        assert!(
            screen.contains("CAUTION keeps a knife by the door (here,"),
            "{keymap}\n{screen}"
        );
        if keymap == "default" {
            insta::assert_snapshot!("banner_80x24", screen);
        }
        press(&mut app, if keymap == "vim" { "T" } else { "<C-t>" });
        let screen = text(&mut app, 80, 24);
        let banner = screen
            .lines()
            .position(|l| l.contains("CAUTION keeps a knife"))
            .unwrap_or_else(|| panic!("{keymap}: no caution in triage\n{screen}"));
        let first_question = screen
            .lines()
            .position(|l| l.contains("Violence or threats"))
            .unwrap_or_else(|| panic!("{keymap}: no question\n{screen}"));
        assert!(banner < first_question, "{keymap}\n{screen}");
        assert!(
            screen.contains("(caution: counts as yes)"),
            "{keymap}\n{screen}"
        );
        if keymap == "default" {
            insta::assert_snapshot!("triage_80x24", screen);
        }
    }
}
