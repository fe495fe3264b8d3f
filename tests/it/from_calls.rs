//! `scenario from-calls`: a real city's calls for service (Milwaukee, 1–2 May 2018) as a training
//! scenario (issue 16, item 11).

use std::path::{Path, PathBuf};

use switchboard::config::protocol::shipped;
use switchboard::sim::from_calls::{from_calls, parse_time, Made, Window};
use switchboard::sim::scenario::check_text;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

const MAPPING: &str = "scenarios/mappings/milwaukee-natures.toml";
const MORNING: &str = "tests/fixtures/calls/milwaukee-2018-05-01-morning.csv";

fn make(calls: &str, window: Window) -> Made {
    from_calls(
        &read(calls),
        calls,
        &read(MAPPING),
        MAPPING,
        window,
        &shipped(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn morning() -> Window {
    Window {
        from: parse_time("2018-05-01 08:00"),
        until: parse_time("2018-05-01 10:00"),
    }
}

#[test]
fn calls_ring_at_their_real_times_as_our_call_types() {
    let made = make(MORNING, morning());
    let s = check_text("made", &made.toml, &shipped()).unwrap();
    assert_eq!(made.kept, s.calls.len());
    // The fixture's first mapped call: 08:02:01, 4805 N SHERMAN BL, INJ PERSON/SICK, not found.
    let first = &s.calls[0];
    assert_eq!(first.at_ms, 2 * 60_000 + 1_000);
    assert_eq!(first.location, "4805 N SHERMAN BL");
    assert_eq!(first.zone.as_deref(), Some("d7"));
    assert_eq!(first.call_type.word(), "sick");
    assert_eq!(first.expect_response.word(), "ems");
    // "Unable to Locate Complainant" closes as gone.
    assert_eq!(first.expect_disposition.word(), "gone");
    // Calls come in time order, and each answer set is its nature's.
    assert!(s.calls.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    let welfare: Vec<_> = s
        .calls
        .iter()
        .filter(|c| c.nature == "welfare citizen")
        .collect();
    assert!(!welfare.is_empty());
    for c in &welfare {
        assert_eq!(c.call_type.word(), "welfare");
        assert_eq!(c.answers.get("consent").map(String::as_str), Some("yes"));
        assert_eq!(c.expect_response.word(), "community");
        assert_eq!(c.lines.len(), 2);
    }
    // Police work is left out and counted.
    assert!(made
        .left_out
        .iter()
        .any(|(n, k)| n == "ENTRY AUTOS" && *k >= 2));
    assert!(made.read > made.kept);
    // The scripted trainee asks, responds and dispatches for every call.
    assert!(s.actions.len() > s.calls.len() * 5);
}

#[test]
fn the_shipped_scenario_is_what_the_mapping_makes_of_the_shipped_file() {
    let made = make(
        "tests/fixtures/calls/milwaukee_cfs_2018-05-01_02.csv",
        Window {
            from: parse_time("2018-05-01 08:00"),
            until: parse_time("2018-05-01 16:00"),
        },
    );
    assert_eq!(made.kept, 100);
    assert_eq!(made.read, 648);
    assert_eq!(
        made.toml,
        read("scenarios/milwaukee-2018-05-01.toml"),
        "regenerate it with the command at the top of {MAPPING}"
    );
}

#[test]
fn intersections_stay_intersections() {
    let made = make(
        MORNING,
        Window {
            from: parse_time("2018-05-01 08:00"),
            until: None,
        },
    );
    let s = check_text("made", &made.toml, &shipped()).unwrap();
    assert!(
        s.calls
            .iter()
            .any(|c| c.location == "N 31ST ST & W ATKINSON AV" || c.location.contains(" & ")),
        "{:?}",
        s.calls.iter().map(|c| &c.location).collect::<Vec<_>>()
    );
    assert!(s.calls.iter().all(|c| !c.location.contains(",MKE")));
}

/// `from_calls` over texts, all the window.
fn made(calls: &str, mapping: &str) -> Result<Made, String> {
    from_calls(
        calls,
        "c.csv",
        mapping,
        "m.toml",
        Window::default(),
        &shipped(),
    )
}

#[test]
fn bad_files_say_what_and_where_in_one_line() {
    let mapping = read(MAPPING);
    let calls = "id,time,location,nature\n1,yesterday,1 Main St,WELFARE CITIZEN\n2,2018-05-01 08:00:00,2 Main St,WELFARE CITIZEN\n";
    let good = made(calls, &mapping).unwrap();
    assert_eq!(
        good.problems,
        ["c.csv:2: time \"yesterday\" is not YYYY-MM-DD HH:MM:SS"]
    );
    assert_eq!(good.kept, 1);

    let err = made("id,when,where\n", &mapping).unwrap_err();
    assert!(
        err.starts_with("c.csv:1: the header has no time column (found id,when,where)"),
        "{err}"
    );
    let bad = mapping.replace("type = \"noise\"", "type = \"noize\"");
    let err = made(calls, &bad).unwrap_err();
    assert!(
        err.starts_with("m.toml: nature \"NOISE NUISANCE\": "),
        "{err}"
    );
    let err = made(calls, "name = 3\n").unwrap_err();
    assert!(err.starts_with("m.toml:1: "), "{err}");
    let none = "id,time,location,nature\n1,2018-05-01 08:00:00,1 Main St,TRAFFIC STOP\n";
    assert_eq!(
        made(none, &mapping).unwrap_err(),
        "c.csv: no call in the window has a nature that m.toml maps"
    );
}
