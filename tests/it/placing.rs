//! Placing calls on real address files (issue 16, items 1–5 and 7): intersections, ordinals,
//! run-on numbers, ambiguity said and picked, typos that hide, and the confidence every call
//! carries, through the gazetteer and through a real desk on a real store.

use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::place::Coords;
use switchboard::domain::{Body, Event, Placement, ReplicaId};
use switchboard::places::{distance_m, Gazetteer, KODIAK};
use switchboard::store::{Store, StoreKind};
use tempfile::TempDir;

use super::places::fixture;

fn kodiak() -> Gazetteer {
    Gazetteer::parse(KODIAK, "kodiak.csv").0
}

/// Kodiak (Willow Street) and Hoboken (Willow Avenue), 5,300 km apart, in one list: both have
/// the numbers 1010 to 1019.
fn kodiak_and_hoboken() -> Gazetteer {
    let hoboken = Gazetteer::parse(&fixture("hoboken-willow.csv"), "hoboken.csv").0;
    let mut text = kodiak().to_csv();
    text.extend(hoboken.to_csv().lines().skip(1).map(|l| format!("{l}\n")));
    Gazetteer::parse(&text, "both.csv").0
}

fn placement(g: &Gazetteer, typed: &str) -> Placement {
    g.place(typed).placement
}

fn exact(g: &Gazetteer, typed: &str) -> String {
    match placement(g, typed) {
        Placement::Exact { matched } => matched,
        other => panic!("{typed:?}: {other:?}"),
    }
}

fn fuzzy(g: &Gazetteer, typed: &str) -> (String, String) {
    match placement(g, typed) {
        Placement::Fuzzy { matched, how } => (matched, how),
        other => panic!("{typed:?}: {other:?}"),
    }
}

fn coords_of(g: &Gazetteer, number: &str, street: &str) -> Coords {
    g.addresses()
        .iter()
        .find(|a| a.number == number && a.street == street)
        .unwrap_or_else(|| panic!("{number} {street}"))
        .coords
        .clone()
}

// ---------------------------------------------------------------------------------------------
// 1. Intersections

#[test]
fn intersections_are_placed_where_the_streets_meet() {
    let g = kodiak();
    // The corner houses of Willow Street and Birch Avenue are 17 m apart.
    let corner = g.place("Willow Street & Birch Avenue");
    assert_eq!(
        corner.placement,
        Placement::Exact {
            matched: "Willow Street & Birch Avenue".into()
        }
    );
    let at = corner.coords.unwrap();
    let willow = coords_of(&g, "1019", "Willow Street");
    let birch = coords_of(&g, "211", "Birch Avenue");
    assert!(distance_m(&at, &willow) < 40.0 && distance_m(&at, &birch) < 40.0);
    // The same corner however it is typed.
    for typed in [
        "Willow St & Birch Ave",
        "willow street and birch avenue",
        "Willow St at Birch Ave",
        "WILLOW ST / BIRCH AV",
        "Birch Ave @ Willow St",
    ] {
        let other = g.place(typed);
        assert!(
            other.placement.is_placed(),
            "{typed}: {:?}",
            other.placement
        );
        assert!(distance_m(&other.coords.unwrap(), &at) < 30.0, "{typed}");
    }
    assert_eq!(
        exact(&g, "Larch Street & Willow Street"),
        "Larch Street & Willow Street"
    );
}

#[test]
fn two_corners_of_the_same_two_streets_are_both_offered() {
    // Mill Bay Road leaves East Rezanof Drive downtown and runs into it again 3 km on.
    let g = kodiak();
    let Placement::Ambiguous { choices } = placement(&g, "Mill Bay Rd & E Rezanof Dr") else {
        panic!("{:?}", placement(&g, "Mill Bay Rd & E Rezanof Dr"));
    };
    let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Mill Bay Road & East Rezanof Drive, by 311 Mill Bay Road",
            "Mill Bay Road & East Rezanof Drive, by 3300 Mill Bay Road"
        ]
    );
    assert!(distance_m(&choices[0].coords, &choices[1].coords) > 2_500.0);
}

#[test]
fn streets_that_never_meet_are_not_placed() {
    let g = kodiak();
    // Larch Street and Hemlock Street run side by side a block apart.
    assert_eq!(
        placement(&g, "Larch Street & Hemlock Street"),
        Placement::Unplaced {
            why: "Larch Street and Hemlock Street do not meet in the address list (their nearest \
                  addresses are 120 m apart)"
                .into()
        }
    );
    assert!(!placement(&g, "Mission Road & Selief Lane").is_placed());
}

#[test]
fn the_cad_form_keeps_the_whole_intersection_as_the_location() {
    let (mut desk, _dir) = open_desk(None);
    let events = desk
        .execute_line("call N 60TH ST / W CAPITOL DR / RECK USE OF WEAP")
        .unwrap();
    let call = &desk.state().calls[&first_call(&events)];
    assert_eq!(call.location, "N 60TH ST / W CAPITOL DR");
    assert_eq!(call.nature, "RECK USE OF WEAP");
    // The confirmation shows what went where, so a mis-split shows.
    assert!(
        created(&events)
            .body
            .describe()
            .contains("taken: loc [N 60TH ST / W CAPITOL DR] nature [RECK USE OF WEAP] (P3)"),
        "{}",
        created(&events).body.describe()
    );
    // An address, then a nature holding a slash of its own.
    let events = desk
        .execute_line("call 5237 N 35TH ST / TRBL W/SUBJ / neighbour says he is shouting")
        .unwrap();
    let call = &desk.state().calls[&first_call(&events)];
    assert_eq!(call.location, "5237 N 35TH ST");
    assert_eq!(call.nature, "TRBL W/SUBJ / neighbour says he is shouting");
    assert!(created(&events).body.describe().contains(
        "taken: loc [5237 N 35TH ST] nature [TRBL W/SUBJ / neighbour says he is shouting]"
    ));
    // Without a slash in either, the usual form says it plainly.
    let events = desk.execute_line("call 12 Main St / man shouting").unwrap();
    assert!(created(&events)
        .body
        .describe()
        .ends_with("taken: 12 Main St / man shouting (P3)"));
}

/// Every location of the Milwaukee fixture, typed as `call LOCATION / NATURE`, is stored as the
/// location and nature the city's CAD recorded: addresses and intersections alike.
#[test]
fn every_milwaukee_location_and_nature_is_stored_as_recorded() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/calls/milwaukee-2018-05-01-morning.csv");
    let mut rows = csv_rows(&std::fs::read_to_string(path).unwrap());
    rows.remove(0);
    let (mut desk, _dir) = open_desk(None);
    let mut intersections = 0;
    for row in &rows {
        let location = row[2].trim_end_matches(",MKE");
        let nature = &row[6];
        intersections += usize::from(location.contains(" / "));
        let events = desk
            .execute_line(&format!("call {location} / {nature}"))
            .unwrap_or_else(|e| panic!("{location} / {nature}: {e}"));
        let call = &desk.state().calls[&first_call(&events)];
        assert_eq!(
            (call.location.as_str(), call.nature.as_str()),
            (location, nature.as_str())
        );
    }
    assert_eq!(rows.len(), 126);
    assert!(intersections >= 10, "{intersections}");
}

// ---------------------------------------------------------------------------------------------
// 2. Ordinals; 3. run-on numbers

#[test]
fn ordinals_match_however_written() {
    let g = kodiak();
    // Kodiak's file writes the same street both ways: 3106 and 3110 on "3rd Street", the rest
    // on "Third Street".
    assert_eq!(exact(&g, "3106 Third Street"), "3106 3rd Street");
    assert_eq!(exact(&g, "3116 3rd St"), "3116 Third Street");
    assert_eq!(exact(&g, "1616 Seventeenth Avenue"), "1616 17th Avenue");
    let (matched, how) = fuzzy(&g, "3116 North Third Street");
    assert_eq!(
        (matched.as_str(), how.as_str()),
        ("3116 Third Street", "n left out")
    );

    let (ny, problems) = Gazetteer::parse(&fixture("west26th.csv"), "west26th.csv");
    assert!(problems.is_empty());
    assert_eq!(exact(&ny, "459 W 26th St"), "459 West 26 Street");
    assert_eq!(
        exact(&ny, "459 West Twenty-Sixth Street"),
        "459 West 26 Street"
    );
}

#[test]
fn a_number_run_into_the_street_places_the_call() {
    let g = kodiak();
    let placed = g.place("1400Abercrombie Drive");
    assert_eq!(
        placed.placement,
        Placement::Fuzzy {
            matched: "1400 Abercrombie Drive".into(),
            how: "1400Abercrombie as 1400 Abercrombie Drive".into()
        }
    );
    assert_eq!(
        placed.coords,
        Some(coords_of(&g, "1400", "Abercrombie Drive"))
    );
    // And through the desk, which used to drop it for not starting with a bare number.
    let (mut desk, _dir) = open_desk(Some(g));
    let events = desk
        .execute_line("call 1400Abercrombie Drive / welfare check")
        .unwrap();
    let call = &desk.state().calls[&first_call(&events)];
    assert!(call.coords.is_some());
}

// ---------------------------------------------------------------------------------------------
// 4. Ambiguity is said, never guessed

#[test]
fn a_tie_between_towns_is_not_placed_and_offers_the_choices() {
    let g = kodiak_and_hoboken();
    let Placement::Ambiguous { choices } = placement(&g, "1010 Willow") else {
        panic!("{:?}", placement(&g, "1010 Willow"));
    };
    let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels.len(), 2, "{labels:?}");
    assert!(labels.contains(&"1010 Willow Street"), "{labels:?}");
    assert!(labels.contains(&"1010 Willow Avenue"), "{labels:?}");
    assert!(distance_m(&choices[0].coords, &choices[1].coords) > 5_000_000.0);
    assert!(g.place("1010 Willow").coords.is_none());
    // Typed fully, each is one place; Hoboken's four points of 1010 are one place.
    assert_eq!(exact(&g, "1010 Willow St"), "1010 Willow Street");
    assert_eq!(exact(&g, "1010 Willow Avenue"), "1010 Willow Avenue");
}

#[test]
fn the_dispatcher_picks_a_choice_or_types_the_address() {
    let (mut desk, _dir) = open_desk(Some(kodiak_and_hoboken()));
    let events = desk
        .execute_line("call 1010 Willow / welfare check")
        .unwrap();
    let id = first_call(&events);
    let said = created(&events).body.describe();
    assert!(
        said.contains("ambiguous, not placed: 2 places — a) ") && said.contains("b) "),
        "{said}"
    );
    let call = &desk.state().calls[&id];
    assert!(call.coords.is_none());
    let Some(Placement::Ambiguous { choices }) = call.placement.clone() else {
        panic!("{:?}", call.placement);
    };
    // `rec` says why its distances are unknown.
    desk.execute_line("unit add STAR-1 clinician,medic")
        .unwrap();
    let lines = desk
        .query(&switchboard::command::parse(&format!("rec {id}")).unwrap())
        .unwrap()
        .unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("distances unknown: {id} is not placed (ambiguous"))),
        "{lines:?}"
    );
    // A letter that is not a choice is refused and names the choices.
    let err = desk.execute_line(&format!("place {id} c")).unwrap_err();
    assert!(err.to_string().starts_with("'c' is not one of"), "{err}");
    // Picking b places the call there, and the location becomes that address.
    desk.execute_line(&format!("place {id} b")).unwrap();
    let call = &desk.state().calls[&id];
    assert_eq!(call.location, choices[1].label);
    assert_eq!(call.coords, Some(choices[1].coords.clone()));
    assert_eq!(
        call.placement,
        Some(Placement::Picked {
            matched: choices[1].label.clone()
        })
    );
    // Nothing left to pick from.
    let err = desk.execute_line(&format!("place {id} a")).unwrap_err();
    assert!(
        err.to_string().contains("has no choices to pick from"),
        "{err}"
    );
    // Or the dispatcher types the address: `set loc` places it again.
    desk.execute_line(&format!("set {id} loc 1010 Willow Street"))
        .unwrap();
    let call = &desk.state().calls[&id];
    assert_eq!(
        call.placement,
        Some(Placement::Exact {
            matched: "1010 Willow Street".into()
        })
    );
    let kodiak = coords_of(&kodiak(), "1010", "Willow Street");
    assert_eq!(call.coords, Some(kodiak));
}

#[test]
fn a_street_alone_or_a_missing_number_is_not_placed() {
    let g = kodiak();
    let Placement::Unplaced { why } = placement(&g, "Abercrombie Drive") else {
        panic!()
    };
    assert!(
        why.starts_with("no house number: Abercrombie Drive is a street"),
        "{why}"
    );
    let Placement::Unplaced { why } = placement(&g, "99999 Abercrombie Drive") else {
        panic!()
    };
    assert!(
        why.starts_with("the list has no 99999 on Abercrombie Drive; nearest: "),
        "{why}"
    );
    assert!(!placement(&g, "zzqx").is_placed());
}

// ---------------------------------------------------------------------------------------------
// 5. Typos that hide

#[test]
fn a_typo_that_hides_in_another_streets_name_is_corrected() {
    let g = kodiak();
    // `saen` holds its letters in order in `sargent` (Sargent Creek Road), which used to take
    // the match; it is one swap from `sean`.
    let (matched, how) = fuzzy(&g, "3585 Saen Circle");
    assert_eq!(
        (matched.as_str(), how.as_str()),
        ("3585 Sean Circle", "saen as sean")
    );
    let (matched, how) = fuzzy(&g, "3585 Sean Cirlce");
    assert_eq!(
        (matched.as_str(), how.as_str()),
        ("3585 Sean Circle", "cirlce left out")
    );
}

#[test]
fn a_city_named_like_a_street_narrows_instead_of_blocking() {
    let (g, problems) = Gazetteer::parse(&fixture("kodiak-bells-flats.csv"), "bells.csv");
    assert!(problems.is_empty());
    let kalsin = g
        .addresses()
        .iter()
        .find(|a| a.street == "Kalsin Drive")
        .unwrap()
        .clone();
    let typed = format!("{} Kalsin Dr, Bells Flats", kalsin.number);
    assert_eq!(exact(&g, &typed), kalsin.label());
    assert_eq!(g.place(&typed).coords, Some(kalsin.coords));
}

// ---------------------------------------------------------------------------------------------
// 7. Confidence, recorded on the events

#[test]
fn every_call_records_how_it_was_placed() {
    let (mut desk, _dir) = open_desk(Some(kodiak()));
    let mut take = |line: &str| {
        let events = desk.execute_line(line).unwrap();
        let Body::CallCreated { placed, .. } = &created(&events).body else {
            panic!()
        };
        placed.clone().unwrap()
    };
    assert_eq!(
        take("call 1400 Abercrombie Drive / welfare").word(),
        "exact"
    );
    assert_eq!(take("call 1400 Abercrombe Drive / welfare").word(), "fuzzy");
    assert_eq!(take("call Nowhere Lane 12 / welfare").word(), "not placed");
    assert_eq!(
        take("call somewhere / welfare --at 57.8,-152.4"),
        Placement::Given
    );
}

#[test]
fn events_without_a_placement_decode_and_keep_their_bytes() {
    let (mut desk, _dir) = open_desk(None);
    let events = desk
        .execute_line("call 12 Main St / welfare check")
        .unwrap();
    let Body::CallCreated { placed, .. } = &created(&events).body else {
        panic!()
    };
    // No list, nothing tried: the field is left out of the bytes, as in older events.
    assert!(placed.is_none());
    let bytes = created(&events).encode();
    assert!(!bytes.windows(6).any(|w| w == b"placed"));
    assert_eq!(Event::decode(&bytes).unwrap(), *created(&events));
    // An edit carrying coordinates and a placement round-trips.
    let (mut placing, _dir2) = open_desk(Some(kodiak()));
    let events = placing.execute_line("call 12 Main St / welfare").unwrap();
    let id = first_call(&events);
    let edit = placing
        .execute_line(&format!("set {id} loc 1400 Abercrombie Drive"))
        .unwrap();
    assert_eq!(Event::decode(&edit[0].encode()).unwrap(), edit[0]);
    assert!(edit[0]
        .body
        .describe()
        .ends_with("; exact: 1400 Abercrombie Drive"));
}

// ---------------------------------------------------------------------------------------------

fn open_desk(gazetteer: Option<Gazetteer>) -> (Desk, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let clock = ManualClock::at(1_795_773_600_000);
    let desk = Desk::open(store, Box::new(clock), "ct-rivera")
        .unwrap()
        .with_gazetteer(gazetteer);
    (desk, dir)
}

/// The call's creation among a command's events (a fresh desk records the limits in force first).
fn created(events: &[Event]) -> &Event {
    events
        .iter()
        .find(|e| matches!(e.body, Body::CallCreated { .. }))
        .unwrap()
}

fn first_call(events: &[Event]) -> switchboard::domain::CallId {
    events
        .iter()
        .find_map(|e| match &e.body {
            Body::CallCreated { call, .. } => Some(call.clone()),
            _ => None,
        })
        .unwrap()
}

/// The fixture's rows as fields, header first.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 7. Confidence on screen

#[test]
fn the_screen_marks_unplaced_locations_and_a_key_picks_a_choice() {
    use super::common::keys::{console, press, text};

    for (keymap, keys) in [("default", "<A-b>"), ("vim", "pb")] {
        let (mut desk, _dir) = open_desk(Some(kodiak_and_hoboken()));
        for line in [
            "call 1400 Abercrombie Drive / man shouting at traffic",
            "call 3585 Saen Circle / neighbour worried, no answer at door",
            "call Nowhere Lane 12 / welfare check",
            "call 1010 Willow / woman crying on the steps",
        ] {
            desk.execute_line(line).unwrap();
        }
        let mut app = console(desk, keymap);
        app.options.ascii = true;
        let id: switchboard::domain::CallId = "26-BA0004".parse().unwrap();
        app.ui.call = Some(id.clone());
        let screen = text(&mut app, 80, 24);
        // Queue rows: exact has no mark; fuzzy `~`, not placed `!`, ambiguous `?`.
        assert!(screen.contains(" 1400 Abercrombie Drive"), "{screen}");
        assert!(screen.contains("~ 3585 Saen Circle"), "{screen}");
        assert!(screen.contains("! Nowhere Lane 12"), "{screen}");
        assert!(screen.contains("? 1010 Willow"), "{screen}");
        // The selected (newest) call's details say it is ambiguous, with the choices.
        assert!(screen.contains("Loc  1010 Willow [ambiguous]"), "{screen}");
        assert!(
            screen.contains("? 2 places match; pick: place a|b"),
            "{screen}"
        );
        assert!(screen.contains("b) 1010 Willow Avenue"), "{screen}");
        if keymap == "vim" {
            press(&mut app, "<Esc>");
        }
        press(&mut app, keys);
        let call = &app.state().calls[&id];
        assert!(
            matches!(call.placement, Some(Placement::Picked { .. })),
            "{keymap}: {:?} {:?}",
            call.placement,
            app.ui.message
        );
        let screen = text(&mut app, 80, 24);
        assert!(screen.contains("[picked]"), "{screen}");
    }
}

#[test]
fn a_numbered_street_is_never_read_as_another_number() {
    let g = kodiak();
    // Kodiak has 17th Avenue; 1616 17th Avenue exists, but there is no 18th or 7th Avenue.
    assert_eq!(exact(&g, "1616 17th Ave"), "1616 17th Avenue");
    assert!(!placement(&g, "1616 18th Ave").is_placed());
    assert!(!placement(&g, "1616 7th Ave").is_placed());
}

#[test]
fn a_lettered_street_is_a_street() {
    let g = kodiak();
    // F Street is a street, not the F of a house number.
    assert_eq!(exact(&g, "646 F Street"), "646 F Street");
}

#[test]
fn the_demo_on_kodiak_places_its_calls_there() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreKind::Demo).unwrap();
    switchboard::demo::fill_in(store, 1, 7, 1_795_773_600_000, Some(&kodiak())).unwrap();
    let store = Store::open(dir.path(), StoreKind::Demo).unwrap();
    let desk = Desk::open(store, Box::new(ManualClock::at(1_795_773_600_000)), "t").unwrap();
    let calls: Vec<_> = desk.state().calls.values().collect();
    assert!(calls.len() >= 20, "{}", calls.len());
    let placed = calls
        .iter()
        .filter(|c| c.placement.as_ref().is_some_and(Placement::is_placed))
        .count();
    // Every call the generator makes is at a real Kodiak address or corner the list places.
    assert_eq!(placed, calls.len());
    let g = kodiak();
    assert!(calls
        .iter()
        .all(|c| !g.nearest(c.coords.as_ref().unwrap(), 100.0).is_empty()));
}
