//! The gazetteer: reading `OpenAddresses` CSV with precise row problems, fuzzy lookup, nearest
//! addresses, persistence and the shipped demo town.

use proptest::prelude::*;
use switchboard::domain::Coords;
use switchboard::gazetteer::{distance_m, Address, Gazetteer, RowProblem, DEMO_TOWN, FILE_NAME};

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
    Gazetteer::import(text, "t.csv").unwrap()
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
        r#"-104.99,39.74,12,"Main St",  "Apt 2, Rear" ,"Denver ""Mile High""",d1,CO,80202,"x,1",h"#,
        "-104.99,39.74,14,\"Main\nSt\",,Denver,d1,CO,80202,,",
        "-104.99,oops,16,Main St,,Denver,d1,CO,80202,,",
    ]);
    let (g, problems) = import(&text);
    assert_eq!(g.addresses()[0].unit, "Apt 2, Rear");
    assert_eq!(g.addresses()[0].city, "Denver \"Mile High\"");
    assert_eq!(g.addresses()[1].street, "Main\nSt");
    // The quoted line break moved the next row to line 5.
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].to_string(),
        "t.csv:5: LAT \"oops\" is not a number"
    );
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
        "-104.99,39.74,1,Good St,,Denver,d1,CO,80202,,",  // 2
        "-104.99,39.74,2,Main St,,Denver,d1,CO,80202,",   // 3
        "-104.99,39.74,3,Main St,,Denver,d1,CO,80202,,,", // 4
        "-104.99,north,4,Main St,,Denver,d1,CO,80202,,",  // 5
        "-104.99,95.5,5,Main St,,Denver,d1,CO,80202,,",   // 6
        "-204.99,39.74,6,Main St,,Denver,d1,CO,80202,,",  // 7
        ",39.74,7,Main St,,Denver,d1,CO,80202,,",         // 8
        "-104.99,39.74,8,  ,,Denver,d1,CO,80202,,",       // 9
        "-104.99,39.74,\"9,Main St,,Denver,d1,CO,80202,,", // 10
        "-104.99,39.74,10,\"Main\" St,,Denver,d1,CO,80202,,", // 11
        "-104.99,39.74,11,Good St,,Denver,d1,CO,80202,,", // 12
        "-104.99,NaN,12,Main St,,Denver,d1,CO,80202,,",   // 13
        "-104.99,39.74,13,\"Good St\",,\"Denver, CO\",d1,CO,80202,,", // 14
    ]);
    let (g, problems) = Gazetteer::parse(&text, "t.csv");
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "t.csv:3: expected 11 fields, found 10",
            "t.csv:4: expected 11 fields, found 12",
            "t.csv:5: LAT \"north\" is not a number",
            "t.csv:6: LAT 95.5 is out of range (-90 to 90)",
            "t.csv:7: LON -204.99 is out of range (-180 to 180)",
            "t.csv:8: LON is empty",
            "t.csv:9: STREET is empty",
            "t.csv:10: unclosed quote in field 3 (NUMBER)",
            "t.csv:11: unexpected 'S' after the closing quote of field 4 (STREET)",
            "t.csv:13: LAT \"NaN\" is not a number",
        ]
    );
    assert_eq!(problems[0].line, 3);
    assert_eq!(
        labels(&g),
        [
            "1 Good St, Denver",
            "11 Good St, Denver",
            "13 Good St, Denver, CO"
        ]
    );
}

#[test]
fn an_unclosed_quote_costs_one_row_even_at_the_end() {
    let text = csv(&[
        "-104.99,39.74,1,\"Main St,,Denver,d1,CO,80202,,",
        "-104.99,39.74,2,Main St,,Denver,d1,CO,80202,,",
    ]);
    let (g, problems) = import(&text);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 2);
    assert!(problems[0].message.starts_with("unclosed quote"));
    assert_eq!(labels(&g), ["2 Main St, Denver"]);
}

#[test]
fn header_problems_are_fatal_with_a_clear_message() {
    let cases = [
        (
            "",
            "t.csv:1: the file is empty; the first line must be the header LON,LAT,",
        ),
        (
            "-104.99,39.74,1,Main St,,Denver,d1,CO,80202,,\n",
            "t.csv:1: no header: the first line is data; add the line LON,LAT,NUMBER,",
        ),
        (
            "LON,LAT,NUM,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n",
            "t.csv:1: header column 3 is \"NUM\", expected \"NUMBER\"; the header must be LON,",
        ),
        (
            "LAT,LON,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n",
            "t.csv:1: header column 1 is \"LAT\", expected \"LON\"",
        ),
        (
            "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE\n",
            "t.csv:1: the header has 9 columns, expected 11: \"ID\" is missing",
        ),
        (
            "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH,EXTRA\n",
            "t.csv:1: the header has 12 columns, expected 11: \"EXTRA\" is extra",
        ),
        (
            "\n\n\"LON,LAT\n",
            "t.csv:3: unreadable header (unclosed quote in field 1 (LON))",
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
        "-104.99,39.7406,far,Main St,,Denver,d1,CO,80202,,", // 67 m north
        "-104.99,39.7403,north,Main St,,Denver,d1,CO,80202,,", // 33 m north
        "-104.99,39.74,here,Main St,,Denver,d1,CO,80202,,",
        "-104.9895,39.74,east,Main St,,Denver,d1,CO,80202,,", // 43 m east
        "-104.9893,39.74,beyond,Main St,,Denver,d1,CO,80202,,", // 60 m east
        "-104.99,39.7396,south,Main St,,Denver,d1,CO,80202,,", // 44 m south
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
    assert_eq!(near, ["here", "north", "east", "south"]);
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
    assert!(Gazetteer::load(None).unwrap().is_none());
    assert!(Gazetteer::load(Some(&config)).unwrap().is_none());

    let text = csv(&[
        r#"-104.99,39.74,12,Main St,"Apt 2, Rear","Denver ""Mile High""",d1,CO,80202,x-1,abc"#,
        "-104.991,39.741,14,Main St,,Denver,d1,CO,80202,x-2,def",
        "-104.991,bad,16,Main St,,Denver,d1,CO,80202,x-3,ghi",
    ]);
    let (g, problems) = import(&text);
    assert_eq!(problems.len(), 1);
    let path = g.save(&config).unwrap();
    assert_eq!(path, config.join(FILE_NAME));

    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        saved,
        csv(&[
            r#"-104.99,39.74,12,Main St,"Apt 2, Rear","Denver ""Mile High""",d1,CO,80202,x-1,abc"#,
            "-104.991,39.741,14,Main St,,Denver,d1,CO,80202,x-2,def",
        ])
    );
    let loaded = Gazetteer::load(Some(&config)).unwrap().unwrap();
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
    let err = Gazetteer::load(Some(dir.path())).err().unwrap();
    assert!(err.contains(FILE_NAME), "{err}");
    assert!(err.contains(":1: the header has 2 columns"), "{err}");

    std::fs::write(
        dir.path().join(FILE_NAME),
        csv(&["1,2,3,Main St,,,,,,,", "1,x,3,Main St,,,,,,,"]),
    )
    .unwrap();
    let (g, problems) = Gazetteer::load_checked(Some(dir.path())).unwrap().unwrap();
    assert_eq!(g.len(), 1);
    assert!(problems[0]
        .to_string()
        .ends_with("gazetteer.csv:3: LAT \"x\" is not a number"));
}

fn field() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 ,\"#'\n-]{0,12}".prop_map(|s| s.trim().to_owned())
}

prop_compose! {
    fn address()(
        number in field(),
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
