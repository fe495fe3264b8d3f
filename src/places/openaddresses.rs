//! Reading address files as `OpenAddresses` publishes them, in either of its two forms:
//! - CSV with a header naming the columns (`LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,
//!   POSTCODE,ID,HASH`; older output has no `HASH`), read with the `csv` crate so that quoting,
//!   a byte-order mark and header spacing behave as in every other tool;
//! - `GeoJSON` lines: one `Feature` per line, with `properties` number, street, unit, city,
//!   district, region, postcode, id, hash and a `Point` geometry.
//!
//! A bad row never refuses the file: it is skipped and reported as `source:line: message`. Only
//! a missing or unusable header does. A NUMBER that is not a house number (`1016-18 WILLOW AVE`,
//! `WILLOW AVE`) is a bad row too: taken silently it would place calls on a guess.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use super::address::{Address, Extra};
use crate::domain::place::Coords;

/// The columns the saved list is written with, in order.
pub const COLUMNS: [&str; 11] = [
    "LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "DISTRICT", "REGION", "POSTCODE", "ID",
    "HASH",
];

/// Without these a CSV file cannot place anything.
const REQUIRED: [&str; 4] = ["LON", "LAT", "NUMBER", "STREET"];

/// A row that was skipped, with the line where it starts (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub source: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.source, self.line, self.message)
    }
}

/// Which of the two forms a file was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Csv,
    GeoJsonLines,
}

impl Form {
    pub fn word(self) -> &'static str {
        match self {
            Form::Csv => "OpenAddresses CSV",
            Form::GeoJsonLines => "OpenAddresses GeoJSON lines",
        }
    }
}

/// What reading a file gave.
#[derive(Clone, Debug)]
pub struct Read {
    pub form: Form,
    pub rows: Vec<(Address, Extra)>,
    pub problems: Vec<RowProblem>,
    /// Header columns that are not `OpenAddresses` columns, left out.
    pub ignored: Vec<String>,
}

/// A problem with the file as a whole: nothing can be read from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    pub line: usize,
    pub message: String,
}

/// Reads either form; which one is told by the first character that is not blank.
pub fn read(text: &str, source: &str) -> Result<Read, FileProblem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        read_geojson_lines(text, source)
    } else {
        read_csv(text, source)
    }
}

fn problem(source: &str, line: usize, message: String) -> RowProblem {
    RowProblem {
        source: source.to_owned(),
        line,
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

fn read_csv(text: &str, source: &str) -> Result<Read, FileProblem> {
    let expected = COLUMNS.join(",");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // Lines are counted from the bytes: the reader skips blank lines without counting them.
    let newlines: Vec<usize> = text.match_indices('\n').map(|(at, _)| at).collect();
    let line_of = |record: &csv::StringRecord| {
        let mut at = record.position().map_or(0, |p| p.byte() as usize);
        // A record's position is where the reader started looking, before blank lines.
        while matches!(text.as_bytes().get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        1 + newlines.partition_point(|&n| n < at)
    };
    let mut records = reader.records();
    let (line, header) = loop {
        match records.next() {
            None => {
                return Err(FileProblem {
                    line: 1,
                    message: format!(
                        "the file is empty; the first line must be a header such as {expected}"
                    ),
                })
            }
            Some(Err(e)) => {
                return Err(FileProblem {
                    line: e.position().map_or(1, |p| p.line() as usize),
                    message: format!("unreadable header: {e}"),
                })
            }
            Some(Ok(r)) if is_blank(&r) => {}
            Some(Ok(r)) => break (line_of(&r), r),
        }
    };
    if header.get(0).is_some_and(|f| f.parse::<f64>().is_ok()) {
        return Err(FileProblem {
            line,
            message: format!("no header: the first line is data; add the line {expected} above it"),
        });
    }
    let columns = Columns::from_header(&header).map_err(|message| FileProblem { line, message })?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(problem(source, line, format!("unreadable row: {e}")));
                continue;
            }
        };
        if is_blank(&record) {
            continue;
        }
        let line = line_of(&record);
        match columns.row(&record) {
            Ok(row) => rows.push(row),
            Err(message) => problems.push(problem(source, line, message)),
        }
    }
    Ok(Read {
        form: Form::Csv,
        rows,
        problems,
        ignored: columns.ignored,
    })
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(str::is_empty)
}

/// Where each known column is in this file's header.
struct Columns {
    /// Per entry of [`COLUMNS`], its index in the file.
    at: [Option<usize>; 11],
    width: usize,
    ignored: Vec<String>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Columns, String> {
        let mut at = [None; 11];
        let mut ignored = Vec::new();
        for (n, name) in header.iter().enumerate() {
            let name = name.trim().to_ascii_uppercase();
            match COLUMNS.iter().position(|c| *c == name) {
                Some(k) if at[k].is_some() => {
                    return Err(format!(
                        "the header names {name} twice (columns {} and {})",
                        at[k].unwrap_or(0) + 1,
                        n + 1
                    ));
                }
                Some(k) => at[k] = Some(n),
                None if name.is_empty() => {}
                None => ignored.push(name),
            }
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .zip(at)
            .filter(|(_, at)| at.is_none())
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            let found: Vec<&str> = header.iter().collect();
            return Err(format!(
                "the header lacks {}; it must name at least LON,LAT,NUMBER,STREET (found {})",
                missing.join(", "),
                found.join(",")
            ));
        }
        Ok(Columns {
            at,
            width: header.len(),
            ignored,
        })
    }

    fn row(&self, record: &csv::StringRecord) -> Result<(Address, Extra), String> {
        // Trailing empty fields (`…,,,`) are how many tools pad a row; anything else off the
        // header's width is a broken row.
        let used = (0..record.len())
            .rev()
            .find(|&i| record.get(i).is_some_and(|f| !f.is_empty()))
            .map_or(0, |i| i + 1);
        if record.len() < self.width || used > self.width {
            let spans = record.iter().any(|f| f.contains('\n'));
            let hint = if spans {
                "; a quoted field runs over several lines: is a quote left open?"
            } else {
                ""
            };
            return Err(format!(
                "expected {} fields, found {}{hint}",
                self.width,
                if used > self.width {
                    used
                } else {
                    record.len()
                }
            ));
        }
        let field = |k: usize| self.at[k].and_then(|n| record.get(n)).unwrap_or_default();
        let lon = coordinate_text(field(0), "LON", 180.0)?;
        let lat = coordinate_text(field(1), "LAT", 90.0)?;
        let values: [&str; 9] = std::array::from_fn(|k| field(k + 2));
        check_row(lon, lat, values)
    }
}

fn coordinate_text(raw: &str, column: &str, limit: f64) -> Result<f64, String> {
    if raw.is_empty() {
        return Err(format!("{column} is empty"));
    }
    match raw.parse::<f64>() {
        Ok(v) => coordinate(v, raw, column, limit),
        Err(_) => Err(format!("{column} {raw:?} is not a number")),
    }
}

fn coordinate(v: f64, raw: &str, column: &str, limit: f64) -> Result<f64, String> {
    if !v.is_finite() {
        Err(format!("{column} {raw:?} is not a number"))
    } else if v.abs() > limit {
        Err(format!(
            "{column} {raw} is out of range (-{limit} to {limit})"
        ))
    } else {
        Ok(v)
    }
}

/// Runs of spaces (`too     many   spaces`) read as one.
fn tidy(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `NUMBER, STREET, UNIT, CITY, DISTRICT, REGION, POSTCODE, ID, HASH`, checked.
fn check_row(lon: f64, lat: f64, values: [&str; 9]) -> Result<(Address, Extra), String> {
    let [number, street, unit, city, district, region, postcode, id, hash] = values.map(tidy);
    if street.is_empty() {
        return Err("STREET is empty".to_owned());
    }
    if let Some(why) = house_number_problem(&number) {
        return Err(why);
    }
    Ok((
        Address {
            number,
            street,
            unit,
            city,
            district,
            postcode,
            coords: Coords { lat, lon },
        },
        Extra { region, id, hash },
    ))
}

/// Why `number` is not a house number: an address has digits, maybe a letter, a fraction or a
/// hyphenated part (`12`, `12B`, `1 A`, `12 1/2`, `31-12`, `3017-A`), never words. Empty is
/// allowed: a point on a street with no number still traces the street.
pub fn house_number_problem(number: &str) -> Option<String> {
    if number.is_empty() {
        return None;
    }
    let word = number
        .split(|c: char| c.is_whitespace() || c == '-')
        .find(|part| part.chars().filter(|c| c.is_alphabetic()).count() >= 2);
    if !number.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(format!(
            "NUMBER {number:?} is not a house number (it must start with a digit)"
        ));
    }
    word.map(|w| {
        format!("NUMBER {number:?} is not a house number (it holds the word {w:?}): fix the row")
    })
}

// ---------------------------------------------------------------------------------------------
// GeoJSON lines

#[derive(Deserialize)]
struct Feature {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    properties: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    geometry: Option<Geometry>,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    coordinates: Vec<Value>,
}

fn read_geojson_lines(text: &str, source: &str) -> Result<Read, FileProblem> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut first = true;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed: Result<Feature, String> =
            serde_json::from_str(line).map_err(|e| json_message(&e));
        if first {
            first = false;
            if let Ok(Feature {
                kind: Some(kind), ..
            }) = &parsed
            {
                if kind == "FeatureCollection" {
                    return Err(FileProblem {
                        line: line_no,
                        message: "a GeoJSON FeatureCollection; OpenAddresses writes one Feature \
                                  per line (GeoJSON lines), which is what this reads"
                            .to_owned(),
                    });
                }
            }
            if parsed.is_err() && !line.ends_with('}') {
                return Err(FileProblem {
                    line: line_no,
                    message: "neither OpenAddresses CSV (a header line) nor GeoJSON lines (one \
                              Feature per line)"
                        .to_owned(),
                });
            }
        }
        match parsed.and_then(|f| feature_row(&f)) {
            Ok(row) => rows.push(row),
            Err(message) => problems.push(problem(source, line_no, message)),
        }
    }
    Ok(Read {
        form: Form::GeoJsonLines,
        rows,
        problems,
        ignored: Vec::new(),
    })
}

/// serde's message without its own position (the line is ours; a Feature is one line).
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    format!("not a GeoJSON Feature: {text}")
}

fn feature_row(f: &Feature) -> Result<(Address, Extra), String> {
    match f.kind.as_deref() {
        Some("Feature") => {}
        Some(other) => return Err(format!("a GeoJSON {other}, expected a Feature")),
        None => return Err("not a GeoJSON Feature: it has no \"type\"".to_owned()),
    }
    let Some(geometry) = &f.geometry else {
        return Err("the Feature has no geometry".to_owned());
    };
    if geometry.kind != "Point" {
        return Err(format!(
            "the geometry is a {}, expected a Point",
            geometry.kind
        ));
    }
    let axis = |k: usize, column: &str, limit: f64| match geometry.coordinates.get(k) {
        Some(Value::Number(v)) => {
            let raw = v.to_string();
            coordinate(v.as_f64().unwrap_or(f64::NAN), &raw, column, limit)
        }
        Some(other) => Err(format!("{column} {other} is not a number")),
        None => Err(format!("{column} is missing from the Point's coordinates")),
    };
    let lon = axis(0, "LON", 180.0)?;
    let lat = axis(1, "LAT", 90.0)?;
    let property = |name: &str| -> String {
        match f.properties.as_ref().and_then(|p| p.get(name)) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    };
    let values = [
        "number", "street", "unit", "city", "district", "region", "postcode", "id", "hash",
    ]
    .map(property);
    check_row(lon, lat, values.each_ref().map(String::as_str)).map_err(|why| {
        why.replacen("STREET", "street", 1)
            .replacen("NUMBER", "number", 1)
    })
}

// ---------------------------------------------------------------------------------------------
// Writing

/// The rows in the CSV layout of [`COLUMNS`], header first.
pub fn write_csv<'a>(rows: impl Iterator<Item = (&'a Address, &'a Extra)>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(COLUMNS);
    for (a, x) in rows {
        let lon = a.coords.lon.to_string();
        let lat = a.coords.lat.to_string();
        let _ = writer.write_record([
            lon.as_str(),
            lat.as_str(),
            &a.number,
            &a.street,
            &a.unit,
            &a.city,
            &a.district,
            &x.region,
            &a.postcode,
            &x.id,
            &x.hash,
        ]);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn house_numbers_have_no_words() {
        for ok in [
            "", "12", "12B", "1 A", "12 1/2", "31-12", "3017-A", "1016-18",
        ] {
            assert_eq!(house_number_problem(ok), None, "{ok}");
        }
        for bad in ["1016-18 WILLOW AVE", "WILLOW AVE", "a", "number"] {
            assert!(house_number_problem(bad).is_some(), "{bad}");
        }
    }
}
