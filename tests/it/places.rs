//! The gazetteer: reading both `OpenAddresses` forms (CSV through the `csv` crate, `GeoJSON`
//! lines) with precise row problems, on real files from `tests/fixtures/addresses/`; fuzzy
//! lookup, nearest addresses, persistence and the shipped towns.

use proptest::prelude::*;
use switchboard::config::gazetteer::{load, load_checked, save, FILE_NAME};
use switchboard::domain::place::Coords;
use switchboard::places::{distance_m, Address, Form, Gazetteer, RowProblem, DEMO_TOWN, KODIAK};

const HEADER: &str = "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH";

fn csv(rows: &[&str]) -> String {
    let mut text = format!("{HEADER}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

fn import(text: &str) -> (Gazetteer, Vec<RowProblem>) {
    let imported = Gazetteer::import(text, "t.csv").unwrap();
    (imported.gazetteer, imported.problems)
}

/// A fixture file from `tests/fixtures/addresses/`.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/addresses")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shown(problems: &[RowProblem]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

fn labels(g: &Gazetteer) -> Vec<String> {
    g.addresses().iter().map(Address::label).collect()
}

/// Colfax among look-alikes: other numbers on Colfax, 1400 on other streets, other Colfaxes.
fn colfax() -> Gazetteer {
    let (g, problems) = import(&csv(&[
        "-104.9860,39.7400,1400,Cole St,,Denver,d1,CO,80218,1,h1",
        "-104.9870,39.7401,1400,Colorado Blvd,,Denver,d1,CO,80218,2,h2",
        "-104.9880,39.7402,1440,Colfax Ave,,Denver,d1,CO,80218,3,h3",
        "-104.9890,39.7403,140,Colfax Ave,,Denver,d1,CO,80218,4,h4",
        "-104.9900,39.7404,1400,Colfax Ave,3,Denver,d1,CO,80218,5,h5",
        "-104.9910,39.7405,1400,Fox St,,Denver,d1,CO,80218,6,h6",
        "-104.9920,39.7406,400,Colfax Ave,,Denver,d1,CO,80218,7,h7",
        "-104.9930,39.7407,1400,Clayton St,,Denver,d1,CO,80218,8,h8",
        "-104.9940,39.7408,1400,Colfax Ct,,Aurora,d2,CO,80010,9,h9",
        "-104.9950,39.7409,14000,Colfax Ave,,Lakewood,d3,CO,80401,10,h10",
        "-104.9960,39.7410,2400,Colfax Ave,,Denver,d1,CO,80218,11,h11",
        "-104.9970,39.7411,1400,Corona St,,Denver,d1,CO,80218,12,h12",
    ]));
    assert!(problems.is_empty(), "{problems:?}");
    g
}

fn top(g: &Gazetteer, typed: &str) -> String {
    let found = g.lookup(typed, 5);
    assert!(!found.is_empty(), "nothing for {typed:?}");
    let scores: Vec<i64> = found.iter().map(|f| f.1).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "not best first: {scores:?}"
    );
    found[0].0.label()
}

// ---------------------------------------------------------------------------------------------
// Reading

#[test]
fn good_rows_become_addresses() {
    let (g, problems) = import(&csv(&[
        "-104.9900,39.7400,1400,Colfax Ave,3,Denver,d1,CO,80218,a-1,f00d",
        "-104.98,39.75,12,Main St,,Denver,d2,CO,80202,,",
    ]));
    assert!(problems.is_empty());
    assert_eq!(g.len(), 2);
    assert!(!g.is_empty());
    assert_eq!(
        g.addresses()[0],
        Address {
            number: "1400".into(),
            street: "Colfax Ave".into(),
            unit: "3".into(),
            city: "Denver".into(),
            district: "d1".into(),
            postcode: "80218".into(),
            coords: Coords {
                lat: 39.74,
                lon: -104.99
            },
        }
    );
    assert_eq!(
        labels(&g),
        ["1400 Colfax Ave, Unit 3, Denver", "12 Main St, Denver"]
    );
}

#[test]
fn labels_skip_empty_parts() {
    let (g, _) = import(&csv(&[
        "0,0,,Main St,,,d1,,,,",
        "0,0,5,Main St,Apt 2,,d1,,,,",
        "0,0,5,Main St,#4B,Millbrook,d1,,,,",
    ]));
    assert_eq!(
        labels(&g),
        [
            "Main St",
            "5 Main St, Apt 2",
            "5 Main St, Unit 4B, Millbrook"
        ]
    );
}

#[test]
fn quoted_fields_hold_commas_quotes_and_line_breaks() {
    let text = csv(&[
        r#"-104.99,39.74,12,"Main St","Apt 2, Rear","Denver ""Mile High""",d1,CO,80202,"x,1",h"#,
        "-104.99,39.74,14,\"Main\nSt\",,Denver,d1,CO,80202,,",
        "-104.99,oops,16,Main St,,Denver,d1,CO,80202,,",
    ]);
    let (g, problems) = import(&text);
    assert_eq!(g.addresses()[0].unit, "Apt 2, Rear");
    assert_eq!(g.addresses()[0].city, "Denver \"Mile High\"");
    // Runs of white space, a quoted line break among them, read as one space.
    assert_eq!(g.addresses()[1].street, "Main St");
    // The quoted line break moved the next row to line 5.
    assert_eq!(shown(&problems), ["t.csv:5: LAT \"oops\" is not a number"]);
    // As in every CSV tool, a quote after a space is part of the field, not a quote.
    let (g, problems) = import(&csv(&[
        r#"-104.99,39.74,12,Main St, "Apt 2, Rear",Denver,d1,CO,80202,x-1,h1"#,
    ]));
    assert!(g.is_empty());
    assert_eq!(shown(&problems), ["t.csv:2: expected 11 fields, found 12"]);
}

#[test]
fn crlf_and_lowercase_header_and_bom_are_accepted() {
    let text = format!(
        "\u{feff}{}\r\n-104.99,39.74,12,Main St,,Denver,d1,CO,80202,,\r\n\r\n-104.98,39.75,\"14\",Main St,,Denver,d1,CO,80202,,\r\n",
        HEADER.to_lowercase()
    );
    let (g, problems) = import(&text);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(labels(&g), ["12 Main St, Denver", "14 Main St, Denver"]);
}

#[test]
fn each_malformed_row_is_reported_on_its_line_and_the_rest_imported() {
    let text = csv(&[
        "-104.99,39.74,1,Good St,,Denver,d1,CO,80202,,", // 2
        "-104.99,39.74,2,Main St,,Denver,d1,CO,80202,",  // 3
        "-104.99,39.74,3,Main St,,Denver,d1,CO,80202,,,x", // 4
        "-104.99,north,4,Main St,,Denver,d1,CO,80202,,", // 5
        "-104.99,95.5,5,Main St,,Denver,d1,CO,80202,,",  // 6
        "-204.99,39.74,6,Main St,,Denver,d1,CO,80202,,", // 7
        ",39.74,7,Main St,,Denver,d1,CO,80202,,",        // 8
        "-104.99,39.74,8,  ,,Denver,d1,CO,80202,,",      // 9
        "-104.99,39.74,\"9,Main St,,Denver,d1,CO,80202,,", // 10, quote left open to line 11
        "-104.99,39.74,10,\"Main\" St,,Denver,d1,CO,80202,,", // 11
        "-104.99,39.74,11,Good St,,Denver,d1,CO,80202,,", // 12
        "-104.99,NaN,12,Main St,,Denver,d1,CO,80202,,",  // 13
        "-104.99,39.74,13,\"Good St\",,\"Denver, CO\",d1,CO,80202,,", // 14
        "-104.99,39.74,14,Good St,,Denver,d1,CO,80202,,,,", // 15: padding is not a field
        "-104.99,39.74,15 Good St,Good St,,Denver,d1,CO,80202,,", // 16
    ]);
    let (g, problems) = Gazetteer::parse(&text, "t.csv");
    assert_eq!(
        shown(&problems),
        [
            "t.csv:3: expected 11 fields, found 10",
            "t.csv:4: expected 11 fields, found 12",
            "t.csv:5: LAT \"north\" is not a number",
            "t.csv:6: LAT 95.5 is out of range (-90 to 90)",
            "t.csv:7: LON -204.99 is out of range (-180 to 180)",
            "t.csv:8: LON is empty",
            "t.csv:9: STREET is empty",
            "t.csv:10: expected 11 fields, found 10; a quoted field runs over several lines: is a \
             quote left open?",
            "t.csv:13: LAT \"NaN\" is not a number",
            "t.csv:16: NUMBER \"15 Good St\" is not a house number (it holds the word \"Good\"): \
             fix the row",
        ]
    );
    assert_eq!(problems[0].line, 3);
    assert_eq!(
        labels(&g),
        [
            "1 Good St, Denver",
            "11 Good St, Denver",
            "13 Good St, Denver, CO",
            "14 Good St, Denver",
        ]
    );
}

#[test]
fn header_problems_are_fatal_with_a_clear_message() {
    let cases = [
        (
            "",
            "t.csv:1: the file is empty; the first line must be a header such as LON,LAT,",
        ),
        (
            "-104.99,39.74,1,Main St,,Denver,d1,CO,80202,,\n",
            "t.csv:1: no header: the first line is data; add the line LON,LAT,NUMBER,",
        ),
        (
            "LON,LAT,NUM,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n",
            "t.csv:1: the header lacks NUMBER; it must name at least LON,LAT,NUMBER,STREET (found \
             LON,LAT,NUM,STREET,",
        ),
        ("\n\nLON,LAT,STREET\n", "t.csv:3: the header lacks NUMBER;"),
        (
            "LON,LAT,NUMBER,STREET,LAT\n",
            "t.csv:1: the header names LAT twice (columns 2 and 5)",
        ),
        (
            "{\"type\":\"FeatureCollection\",\"features\":[]}\n",
            "t.csv:1: a GeoJSON FeatureCollection; OpenAddresses writes one Feature per line",
        ),
        (
            "{ this is not json\n",
            "t.csv:1: neither OpenAddresses CSV (a header line) nor GeoJSON lines",
        ),
    ];
    for (text, want) in cases {
        let err = Gazetteer::import(text, "t.csv").err().unwrap_or_default();
        assert!(err.starts_with(want), "{text:?}\n got: {err}\nwant: {want}");
        // `parse` never fails: the same problem, and nothing imported.
        let (g, problems) = Gazetteer::parse(text, "t.csv");
        assert!(g.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].to_string(), err);
    }
}

// ---------------------------------------------------------------------------------------------
// Files as they come (issue 16, item 6)

#[test]
fn kodiaks_ten_column_output_without_hash_is_read_whole() {
    let imported = Gazetteer::import(KODIAK, "kodiak.csv").unwrap();
    assert_eq!(imported.form, Form::Csv);
    assert!(imported.ignored.is_empty());
    // The real file's own faults: a parcel code for a number, and 21 points with no street.
    let problems = shown(&imported.problems);
    assert_eq!(problems.len(), 22);
    assert_eq!(
        problems[0],
        "kodiak.csv:2699: NUMBER \"R13800\" is not a house number (it must start with a digit)"
    );
    assert_eq!(problems[1], "kodiak.csv:4277: STREET is empty");
    let g = imported.gazetteer;
    assert_eq!(g.len(), 4_473 - 22);
    assert_eq!(g.addresses()[0].label(), "1400 Abercrombie Drive");
    // Saved in the full layout, with an empty HASH, and read back the same.
    let again = Gazetteer::import(&g.to_csv(), "saved.csv").unwrap();
    assert_eq!(again.gazetteer.addresses(), g.addresses());
    assert!(g.to_csv().starts_with(
        "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n-152.3612998,57.8315401,1400,Abercrombie Drive,,,,,,,\n"
    ));
}

#[test]
fn pelias_sample_header_with_spaces_unknown_columns_and_padding() {
    let imported = Gazetteer::import(&fixture("sample.csv"), "sample.csv").unwrap();
    assert_eq!(imported.ignored, ["FOOOOBAR"]);
    assert_eq!(
        shown(&imported.problems),
        [
            "sample.csv:8: NUMBER \"number\" is not a house number (it must start with a digit)",
            "sample.csv:9: NUMBER \"trim\" is not a house number (it must start with a digit)"
        ]
    );
    // Rows padded with empty fields past the header's five are whole rows.
    let g = imported.gazetteer;
    assert_eq!(g.len(), 6);
    assert_eq!(g.addresses()[0].label(), "23042 Twp Road 755 A");
    assert_eq!(g.addresses()[5].label(), "712082 Rge Road 35");
}

#[test]
fn pelias_bad_data_is_listed_row_by_row() {
    let imported = Gazetteer::import(&fixture("bad-data.csv"), "bad-data.csv").unwrap();
    assert_eq!(imported.ignored, ["FOOBAR", "DEADBEEF"]);
    assert!(imported.gazetteer.is_empty());
    assert_eq!(
        shown(&imported.problems),
        [
            "bad-data.csv:2: LON is empty",
            "bad-data.csv:3: LAT is empty",
            "bad-data.csv:5: LON is empty",
            "bad-data.csv:6: STREET is empty",
            "bad-data.csv:7: LON is empty",
            "bad-data.csv:8: LON is empty",
            "bad-data.csv:9: STREET is empty",
            "bad-data.csv:10: STREET is empty",
        ]
    );
}

#[test]
fn hobokens_whole_addresses_in_number_are_listed_by_line_not_taken() {
    let imported = Gazetteer::import(&fixture("hoboken-willow.csv"), "hoboken-willow.csv").unwrap();
    let problems = shown(&imported.problems);
    assert!(
        problems.contains(
            &"hoboken-willow.csv:2: NUMBER \"1016-18 WILLOW AVE\" is not a house number (it holds \
          the word \"WILLOW\"): fix the row"
                .to_owned()
        ),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p
            .ends_with("NUMBER \"WILLOW AVE\" is not a house number (it must start with a digit)")),
        "{problems:#?}"
    );
    let g = &imported.gazetteer;
    assert!(g.addresses().iter().all(
        |a| a.number.starts_with(|c: char| c.is_ascii_digit()) && !a.number.contains("WILLOW")
    ));
    assert_eq!(g.len() + problems.len(), 105);
    assert!(g.addresses().iter().filter(|a| a.number == "1010").count() == 4);
}

#[test]
fn berlin_numbers_with_letters_are_house_numbers() {
    let (g, problems) = import(&fixture("berlin-updown.csv"));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(g.addresses()[0].label(), "1 A Rigaer Straße, Berlin");
    assert_eq!(top(&g, "1 A Rigaer Straße"), "1 A Rigaer Straße, Berlin");
}

#[test]
fn geojson_lines_are_read_like_csv() {
    let imported = Gazetteer::import(&fixture("batch.geojson"), "batch.geojson").unwrap();
    assert_eq!(imported.form, Form::GeoJsonLines);
    assert!(imported.problems.is_empty(), "{:?}", imported.problems);
    let g = &imported.gazetteer;
    assert_eq!(g.len(), 40);
    assert_eq!(g.addresses()[2].label(), "140 STATE RD, 02");
    assert!((g.addresses()[2].coords.lat - 40.055_265_3).abs() < 1e-9);
    // Street-only points (no number) stay: they trace the street.
    assert_eq!(g.addresses()[0].label(), "STATE RD, 02");

    let imported =
        Gazetteer::import(&fixture("batch-with-nulls.geojson"), "nulls.geojson").unwrap();
    assert_eq!(
        shown(&imported.problems),
        [
            "nulls.geojson:1: street is empty",
            "nulls.geojson:3: street is empty"
        ]
    );
    assert_eq!(labels(&imported.gazetteer), ["5 Main St, Town"]);
}

#[test]
fn broken_geojson_lines_are_listed_by_line() {
    let text = [
        r#"{"type":"Feature","properties":{"number":"5","street":"Main St"},"geometry":{"type":"Point","coordinates":[-74.98,40.05]}}"#,
        r#"{"type":"Feature","properties":{"number":"6","street":"Main St"},"geometry":{"type":"LineString","coordinates":[]}}"#,
        r#"{"type":"Feature","properties":{"number":"7","street":"Main St"}}"#,
        r#"{"type":"Feature","properties":{"number":"8","street":"Main St"},"geometry":{"type":"Point","coordinates":[-274.98,40.05]}}"#,
        r#"{"type":"Feature","properties":{"number":"9","street":"Main St""#,
        "",
        r#"{"type":"Feature","properties":{"number":9,"street":"Main St"},"geometry":{"type":"Point","coordinates":[-74.98,40.06]}}"#,
    ]
    .join("\n");
    let imported = Gazetteer::import(&text, "t.geojson").unwrap();
    let problems = shown(&imported.problems);
    assert_eq!(
        problems[..3],
        [
            "t.geojson:2: the geometry is a LineString, expected a Point",
            "t.geojson:3: the Feature has no geometry",
            "t.geojson:4: LON -274.98 is out of range (-180 to 180)",
        ]
    );
    assert!(
        problems[3].starts_with("t.geojson:5: not a GeoJSON Feature: EOF"),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 4);
    assert_eq!(labels(&imported.gazetteer), ["5 Main St", "9 Main St"]);
}

// ---------------------------------------------------------------------------------------------
// Lookup

#[test]
fn lookup_finds_the_house_among_distractors() {
    let g = colfax();
    assert_eq!(top(&g, "1400 colfax"), "1400 Colfax Ave, Unit 3, Denver");
    assert_eq!(
        top(&g, "1400 Colfax Ave"),
        "1400 Colfax Ave, Unit 3, Denver"
    );
    assert_eq!(top(&g, "1400 colfax ct"), "1400 Colfax Ct, Aurora");
    assert_eq!(top(&g, "140 colfax"), "140 Colfax Ave, Denver");
    assert_eq!(top(&g, "1400 cole"), "1400 Cole St, Denver");
    let found = g.lookup("1400 colfax", 10);
    assert!(
        found.iter().all(|f| f.0.street.starts_with("Col")),
        "{found:?}"
    );
}

#[test]
fn lookup_tolerates_typos() {
    let g = colfax();
    for typed in [
        "1400 colfx av",
        "1400 colfax avenu",
        "1400 cofax",
        "1400 colfsx ave",
        "1400 clofax",
        "1400 COLFAX AVE, unit 3",
        "1400colfax",
    ] {
        assert_eq!(
            top(&g, typed),
            "1400 Colfax Ave, Unit 3, Denver",
            "typed {typed:?}"
        );
    }
}

#[test]
fn lookup_normalizes_suffixes_and_directions() {
    let (g, _) = import(&csv(&[
        "-104.99,39.74,1400,E Colfax Ave,,Denver,d1,CO,80218,,",
        "-104.99,39.74,1400,W Colfax Ave,,Denver,d1,CO,80218,,",
        "-104.99,39.74,1400,Colfax Blvd,,Denver,d1,CO,80218,,",
        "-104.99,39.74,1400,Juniper Street,,Denver,d1,CO,80218,,",
    ]));
    assert_eq!(
        top(&g, "1400 East Colfax Avenue"),
        "1400 E Colfax Ave, Denver"
    );
    assert_eq!(top(&g, "1400 west colfax"), "1400 W Colfax Ave, Denver");
    assert_eq!(top(&g, "1400 Colfax Boulevard"), "1400 Colfax Blvd, Denver");
    assert_eq!(top(&g, "1400 juniper st"), "1400 Juniper Street, Denver");
}

#[test]
fn lookup_without_a_number_lists_the_street() {
    let g = colfax();
    let found = g.lookup("colfax ave", 20);
    assert_eq!(found.len(), 6);
    assert!(found.iter().all(|f| f.0.street == "Colfax Ave"));
}

#[test]
fn an_unknown_number_on_a_known_street_offers_the_nearest_numbers() {
    let g = colfax();
    let found = g.lookup("1450 colfax ave", 2);
    let found: Vec<String> = found.iter().map(|f| f.0.label()).collect();
    assert_eq!(
        found,
        ["1440 Colfax Ave, Denver", "1400 Colfax Ave, Unit 3, Denver"]
    );
}

#[test]
fn lookup_of_nothing_finds_nothing() {
    let g = colfax();
    assert!(g.lookup("", 5).is_empty());
    assert!(g.lookup("  ,. ", 5).is_empty());
    assert!(g.lookup("1400 colfax", 0).is_empty());
    assert!(g.lookup("zzqx", 5).is_empty());
    assert!(Gazetteer::default().lookup("1400 colfax", 5).is_empty());
    assert_eq!(g.lookup("1400", 3).len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Distance

#[test]
fn distance_is_haversine() {
    let a = Coords {
        lat: 39.74,
        lon: -104.99,
    };
    assert!(distance_m(&a, &a).abs() < 1e-9);
    let north = Coords {
        lat: 40.74,
        lon: -104.99,
    };
    assert!((distance_m(&a, &north) - 111_195.0).abs() < 10.0);
    // Denver to Boulder, about 39 km.
    let boulder = Coords {
        lat: 40.015,
        lon: -105.2705,
    };
    let d = distance_m(&a, &boulder);
    assert!((38_000.0..40_000.0).contains(&d), "{d}");
    assert!((distance_m(&a, &boulder) - distance_m(&boulder, &a)).abs() < 1e-6);
}

#[test]
fn nearest_within_50_m() {
    let (g, _) = import(&csv(&[
        "-104.99,39.7406,1,Main St,,Denver,d1,CO,80202,,", // 67 m north
        "-104.99,39.7403,2,Main St,,Denver,d1,CO,80202,,", // 33 m north
        "-104.99,39.74,3,Main St,,Denver,d1,CO,80202,,",   // here
        "-104.9895,39.74,4,Main St,,Denver,d1,CO,80202,,", // 43 m east
        "-104.9893,39.74,5,Main St,,Denver,d1,CO,80202,,", // 60 m east
        "-104.99,39.7396,6,Main St,,Denver,d1,CO,80202,,", // 44 m south
    ]));
    let at = Coords {
        lat: 39.74,
        lon: -104.99,
    };
    let near: Vec<&str> = g
        .nearest(&at, 50.0)
        .iter()
        .map(|a| a.number.as_str())
        .collect();
    assert_eq!(near, ["3", "2", "4", "6"]);
    assert_eq!(g.nearest(&at, 0.0).len(), 1);
    assert_eq!(g.nearest(&at, 1_000.0).len(), 6);
    assert!(g.nearest(&at, -1.0).is_empty());
    assert!(g.nearest(&at, f64::NAN).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Persistence

#[test]
fn save_and_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config").join("switchboard");
    assert!(load(None).unwrap().is_none());
    assert!(load(Some(&config)).unwrap().is_none());

    let text = csv(&[
        r#"-104.99,39.74,12,Main St,"Apt 2, Rear","Denver ""Mile High""",d1,CO,80202,x-1,abc"#,
        "-104.991,39.741,14,Main St,,Denver,d1,CO,80202,x-2,def",
        "-104.991,bad,16,Main St,,Denver,d1,CO,80202,x-3,ghi",
    ]);
    let (g, problems) = import(&text);
    assert_eq!(problems.len(), 1);
    let path = save(&g, &config).unwrap();
    assert_eq!(path, config.join(FILE_NAME));

    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        saved,
        csv(&[
            r#"-104.99,39.74,12,Main St,"Apt 2, Rear","Denver ""Mile High""",d1,CO,80202,x-1,abc"#,
            "-104.991,39.741,14,Main St,,Denver,d1,CO,80202,x-2,def",
        ])
    );
    let loaded = load(Some(&config)).unwrap().unwrap();
    assert_eq!(loaded.addresses(), g.addresses());
    assert_eq!(loaded.to_csv(), g.to_csv());
    assert_eq!(
        top(&loaded, "12 main"),
        "12 Main St, Apt 2, Rear, Denver \"Mile High\""
    );
}

#[test]
fn a_broken_saved_list_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), "LON,LAT\n").unwrap();
    let err = load(Some(dir.path())).err().unwrap();
    assert!(err.contains(FILE_NAME), "{err}");
    assert!(err.contains(":1: the header lacks NUMBER, STREET"), "{err}");

    std::fs::write(
        dir.path().join(FILE_NAME),
        csv(&["1,2,3,Main St,,,,,,,", "1,x,3,Main St,,,,,,,"]),
    )
    .unwrap();
    let (g, problems) = load_checked(Some(dir.path())).unwrap().unwrap();
    assert_eq!(g.len(), 1);
    assert!(problems[0]
        .to_string()
        .ends_with("gazetteer.csv:3: LAT \"x\" is not a number"));
}

/// A field as the reader keeps it: trimmed, runs of white space one space.
fn field() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 ,\"#'\n-]{0,12}".prop_map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
}

prop_compose! {
    fn address()(
        number in "([1-9][0-9]{0,4}( ?[A-Z])?)?",
        street in field().prop_filter("a street", |s| !s.is_empty()),
        unit in field(),
        city in field(),
        district in field(),
        postcode in field(),
        lat in -90.0..=90.0f64,
        lon in -180.0..=180.0f64,
    ) -> Address {
        Address { number, street, unit, city, district, postcode, coords: Coords { lat, lon } }
    }
}

proptest! {
    #[test]
    fn printed_rows_read_back_the_same(addresses in prop::collection::vec(address(), 0..20)) {
        let mut text = format!("{HEADER}\n");
        for a in &addresses {
            let mut fields = vec![a.coords.lon.to_string(), a.coords.lat.to_string()];
            for f in [&a.number, &a.street, &a.unit, &a.city, &a.district, &"CO".to_owned(),
                      &a.postcode, &String::new(), &String::new()] {
                fields.push(format!("\"{}\"", f.replace('"', "\"\"")));
            }
            text.push_str(&fields.join(","));
            text.push_str("\r\n");
        }
        let (g, problems) = import(&text);
        prop_assert!(problems.is_empty(), "{:?}", problems);
        prop_assert_eq!(g.addresses(), addresses.as_slice());
        let (again, problems) = import(&g.to_csv());
        prop_assert!(problems.is_empty());
        prop_assert_eq!(again.to_csv(), g.to_csv());
    }

    #[test]
    fn lookup_and_parse_never_panic(typed in "\\PC{0,30}", text in "\\PC{0,200}") {
        let g = colfax();
        let found = g.lookup(&typed, 5);
        prop_assert!(found.len() <= 5);
        let _ = Gazetteer::parse(&format!("{HEADER}\n{text}"), "t.csv");
    }
}

// ---------------------------------------------------------------------------------------------
// The demo town

#[test]
fn the_demo_town_parses_cleanly() {
    let (g, problems) = Gazetteer::parse(DEMO_TOWN, "demo-town.csv");
    assert!(problems.is_empty(), "{problems:?}");
    assert!((300..=600).contains(&g.len()), "{}", g.len());
    assert_eq!(Gazetteer::demo_town().len(), g.len());
    let mut districts: Vec<&str> = g.addresses().iter().map(|a| a.district.as_str()).collect();
    districts.sort_unstable();
    districts.dedup();
    assert_eq!(districts, ["d1", "d2", "d3", "d4", "d5", "d6"]);
    assert!(g.addresses().iter().all(|a| a.city == "Millbrook"
        && distance_m(
            &a.coords,
            &Coords {
                lat: 39.74,
                lon: -104.99
            }
        ) < 3_000.0));
    for street in [
        "Juniper St",
        "Cedar Ave",
        "Main St",
        "Riverside Dr",
        "E Mill Ave",
    ] {
        assert!(g.addresses().iter().any(|a| a.street == street), "{street}");
    }
    assert_eq!(top(&g, "102 main"), "102 Main St, Unit 1, Millbrook");
    assert_eq!(
        top(&g, "141 riverside drive"),
        "141 Riverside Dr, Millbrook"
    );
    assert_eq!(top(&g, "3 depot"), "3 Depot Ct, Apt 2, Rear, Millbrook");
    assert_eq!(top(&g, "104 east mill"), "104 E Mill Ave, Millbrook");
    // Numbers rise along a street: northward on Juniper St.
    let juniper: Vec<&Address> = g
        .addresses()
        .iter()
        .filter(|a| a.street == "Juniper St" && a.number.parse::<u32>().unwrap() % 2 == 0)
        .collect();
    assert!(juniper.windows(2).all(|w| w[0].coords.lat < w[1].coords.lat
        && w[0].number.parse::<u32>().unwrap() < w[1].number.parse::<u32>().unwrap()));
    // Every address has neighbours within 50 m.
    let first = &g.addresses()[0];
    assert!(g.nearest(&first.coords, 50.0).len() >= 2);
}

// ---------------------------------------------------------------------------------------------
// `switchboard gazetteer import` on the real files (issue 16, item 10)

#[test]
fn the_command_imports_each_form_and_lists_bad_rows_by_line() {
    let config = tempfile::tempdir().unwrap();
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/addresses");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(args)
            .env("SWITCHBOARD_CONFIG", config.path())
            .output()
            .unwrap()
    };
    let file = |name: &str| fixtures.join(name).display().to_string();
    let out = run(&["gazetteer", "import", &file("batch.geojson")]);
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("imported 40 addresses from OpenAddresses GeoJSON lines (0 rows skipped)"),
        "{said}"
    );
    let out = run(&["gazetteer", "import", &file("hoboken-willow.csv")]);
    assert!(out.status.success());
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(
        errors.lines().next().unwrap().ends_with(
            "hoboken-willow.csv:2: NUMBER \"1016-18 WILLOW AVE\" is not a house number (it holds \
             the word \"WILLOW\"): fix the row"
        ),
        "{errors}"
    );
    let out = run(&["gazetteer", "demo", "kodiak"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("imported 4451 addresses"));
    let out = run(&["gazetteer", "lookup", "1010", "Willow", "St"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().next(),
        Some("exact: 1010 Willow Street")
    );
    // A file in neither form changes nothing and says why in one line.
    let bad = config.path().join("bad.txt");
    std::fs::write(&bad, "{ not json\n").unwrap();
    let out = run(&["gazetteer", "import", &bad.display().to_string()]);
    assert!(!out.status.success());
    let errors = String::from_utf8_lossy(&out.stderr);
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert!(
        errors.contains("bad.txt:1: neither OpenAddresses CSV"),
        "{errors}"
    );
    let out = run(&["gazetteer", "lookup", "1010", "Willow", "St"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().next(),
        Some("exact: 1010 Willow Street")
    );
}
