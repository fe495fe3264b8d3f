//! The gazetteer: an optional list of street addresses that turns what a call-taker types into a
//! known place with coordinates, and finds the addresses near a point.
//!
//! The list is a CSV in the `OpenAddresses` layout
//! (`LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH`, RFC 4180 quoting). A bad
//! row never refuses the file: it is skipped and reported as `source:line: message`. Only a
//! missing or wrong header does. The cleaned rows are kept as `<config>/gazetteer.csv`.
//!
//! Lookup is fuzzy (skim) against each address's label, but it scores only candidates drawn from
//! an index of house numbers and street-name words, so that it answers within a few milliseconds
//! over 100k addresses. Both sides are put in a normal form first: lower case, punctuation
//! dropped, and the usual suffixes and directions abbreviated (`Avenue` → `ave`, `East` → `e`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use crate::domain::Coords;

/// Millbrook, the fictional town of the demo: 572 addresses around 39.734, -104.992.
pub const DEMO_TOWN: &str = include_str!("../gazetteer/demo-town.csv");

/// The name of the cleaned list inside the configuration directory.
pub const FILE_NAME: &str = "gazetteer.csv";

/// The required header, in order.
pub const COLUMNS: [&str; 11] = [
    "LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "DISTRICT", "REGION", "POSTCODE", "ID",
    "HASH",
];

/// Addresses that one lookup scores at most. Skim costs about 1 µs per short label, so this
/// bounds a lookup to a few milliseconds however vague the typed text.
const MAX_SCORED: usize = 3_000;

/// Distinct streets that the last-resort scan scores at most.
const MAX_STREETS_SCANNED: usize = 20_000;

/// Taken off the score of a match that needed a typing error corrected.
const CORRECTION_PENALTY: i64 = 20;

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The fewest metres in one degree of latitude (at the equator), so a latitude band drawn with it
/// never misses an address.
const MIN_METRES_PER_DEGREE_LAT: f64 = 110_574.0;

/// One address of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Address {
    pub number: String,
    pub street: String,
    pub unit: String,
    pub city: String,
    pub district: String,
    pub postcode: String,
    pub coords: Coords,
}

impl Address {
    /// What the call-taker sees and what lookup matches: `1400 Colfax Ave, Unit 3, Denver`.
    /// Empty parts are left out; a bare unit designator (`3`, `B`, `#12A`) reads `Unit 3`, a
    /// worded one (`Apt 2`) stays as written.
    pub fn label(&self) -> String {
        let head = [self.number.as_str(), self.street.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let unit = unit_label(&self.unit);
        [head.as_str(), unit.as_str(), self.city.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn unit_label(unit: &str) -> String {
    let unit = unit.trim();
    let bare = unit.strip_prefix('#').map_or(unit, str::trim_start);
    if bare.is_empty() {
        return String::new();
    }
    let designator = !bare.contains(char::is_whitespace)
        && (bare.starts_with(|c: char| c.is_ascii_digit()) || bare.chars().count() <= 2);
    if designator {
        format!("Unit {bare}")
    } else {
        unit.to_owned()
    }
}

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

/// The columns that `Address` does not carry, kept so that `save` writes the rows back whole.
#[derive(Clone, Debug, Default, PartialEq)]
struct Extra {
    region: String,
    id: String,
    hash: String,
}

/// The address list with its lookup indexes. Immutable once built.
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    addresses: Vec<Address>,
    extras: Vec<Extra>,
    index: Index,
}

#[derive(Clone, Debug, Default)]
struct Index {
    /// Per address: its label in normal form, which the fuzzy matcher scores.
    keys: Vec<String>,
    /// Per address: its street.
    street_of: Vec<u32>,
    /// Per address: the leading digits of its house number, if any.
    house: Vec<Option<u32>>,
    /// House number in normal form (`12 B` → `12b`) → addresses.
    numbers: BTreeMap<String, Vec<u32>>,
    streets: Vec<Street>,
    /// Every word of every label except house numbers, each with the streets whose name has it.
    words: Vec<Word>,
    /// Address indices by latitude.
    by_lat: Vec<u32>,
}

#[derive(Clone, Debug)]
struct Street {
    /// The street name in normal form.
    key: String,
    /// Its addresses, by house number.
    members: Vec<u32>,
}

#[derive(Clone, Debug)]
struct Word {
    text: String,
    /// A suffix, direction or unit word (`st`, `ave`, `e`, `unit`): too common to find a street
    /// by.
    affix: bool,
    /// Streets whose name has this word; empty for words of units and cities.
    streets: Vec<u32>,
}

/// A fatal problem with the file as a whole.
struct FileProblem {
    line: usize,
    message: String,
}

impl Gazetteer {
    /// Reads a list, skipping and reporting bad rows. A bad header yields an empty gazetteer and
    /// one problem on its line; use [`Gazetteer::import`] to refuse such a file instead.
    pub fn parse(text: &str, source: &str) -> (Gazetteer, Vec<RowProblem>) {
        match read(text, source) {
            Ok(done) => done,
            Err(problem) => (
                Gazetteer::default(),
                vec![RowProblem {
                    source: source.to_owned(),
                    line: problem.line,
                    message: problem.message,
                }],
            ),
        }
    }

    /// Reads a list, skipping and reporting bad rows; a missing or wrong header is an error
    /// `source:line: message`.
    pub fn import(text: &str, source: &str) -> Result<(Gazetteer, Vec<RowProblem>), String> {
        read(text, source).map_err(|p| format!("{source}:{}: {}", p.line, p.message))
    }

    /// The shipped demo town.
    pub fn demo_town() -> Gazetteer {
        Gazetteer::parse(DEMO_TOWN, "demo-town.csv").0
    }

    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    /// In file order.
    pub fn addresses(&self) -> &[Address] {
        &self.addresses
    }

    fn build(rows: Vec<(Address, Extra)>) -> Gazetteer {
        let (addresses, extras): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
        let index = Index::build(&addresses);
        Gazetteer {
            addresses,
            extras,
            index,
        }
    }

    /// The addresses that best match what was typed, best first, with their scores (higher is
    /// better; comparable within one answer only). A leading number is taken as the house
    /// number; missing letters (`colfx`), one or two wrong ones (`cofax`) and spelled-out
    /// suffixes (`Avenue`) are tolerated. When the street is known but the number is not, the
    /// addresses on that street with the nearest numbers come back.
    pub fn lookup(&self, typed: &str, limit: usize) -> Vec<(&Address, i64)> {
        if limit == 0 || self.is_empty() {
            return Vec::new();
        }
        let query = self.index.query(typed);
        if query.number.is_none() && query.words.is_empty() {
            return Vec::new();
        }
        let matcher = SkimMatcherV2::default().ignore_case();
        let mut scored = self.index.lookup(&matcher, &query);
        scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        scored
            .into_iter()
            .map(|(i, score)| (&self.addresses[i as usize], score))
            .collect()
    }

    /// The addresses within `within_m` metres of `at`, nearest first.
    pub fn nearest(&self, at: &Coords, within_m: f64) -> Vec<&Address> {
        if within_m.is_nan() || within_m < 0.0 || !at.lat.is_finite() || !at.lon.is_finite() {
            return Vec::new();
        }
        let band = within_m / MIN_METRES_PER_DEGREE_LAT;
        let by_lat = &self.index.by_lat;
        let lat_of = |i: u32| self.addresses[i as usize].coords.lat;
        let first = by_lat.partition_point(|&i| lat_of(i) < at.lat - band);
        let mut found: Vec<(f64, u32)> = by_lat[first..]
            .iter()
            .take_while(|&&i| lat_of(i) <= at.lat + band)
            .filter_map(|&i| {
                let d = distance_m(at, &self.addresses[i as usize].coords);
                (d <= within_m).then_some((d, i))
            })
            .collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        found
            .into_iter()
            .map(|(_, i)| &self.addresses[i as usize])
            .collect()
    }

    /// The cleaned rows in the import layout, header first.
    pub fn to_csv(&self) -> String {
        let mut out = COLUMNS.join(",");
        out.push('\n');
        for (a, x) in self.addresses.iter().zip(&self.extras) {
            let lon = a.coords.lon.to_string();
            let lat = a.coords.lat.to_string();
            let fields = [
                &lon,
                &lat,
                &a.number,
                &a.street,
                &a.unit,
                &a.city,
                &a.district,
                &x.region,
                &a.postcode,
                &x.id,
                &x.hash,
            ];
            for (n, field) in fields.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                push_csv_field(&mut out, field);
            }
            out.push('\n');
        }
        out
    }

    /// Writes `<config_dir>/gazetteer.csv` (creating the directory), replacing any earlier list
    /// only once the new one is written whole.
    pub fn save(&self, config_dir: &Path) -> io::Result<PathBuf> {
        fs::create_dir_all(config_dir)?;
        let path = config_dir.join(FILE_NAME);
        let partial = config_dir.join(format!("{FILE_NAME}.partial"));
        fs::write(&partial, self.to_csv())?;
        fs::rename(&partial, &path)?;
        Ok(path)
    }

    /// Reads `<config_dir>/gazetteer.csv`: `None` without a directory or without the file.
    /// Rows that no longer parse are left out; [`Gazetteer::load_checked`] reports them.
    pub fn load(config_dir: Option<&Path>) -> Result<Option<Gazetteer>, String> {
        Ok(Self::load_checked(config_dir)?.map(|(g, _)| g))
    }

    /// As [`Gazetteer::load`], with the rows that were skipped.
    pub fn load_checked(
        config_dir: Option<&Path>,
    ) -> Result<Option<(Gazetteer, Vec<RowProblem>)>, String> {
        let Some(dir) = config_dir else {
            return Ok(None);
        };
        let path = dir.join(FILE_NAME);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Self::import(&text, &path.display().to_string()).map(Some)
    }
}

/// Great-circle distance in metres (haversine on a spherical Earth; within 0.5 % of the
/// ellipsoid).
pub fn distance_m(a: &Coords, b: &Coords) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

fn push_csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) || field.trim() != field {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

fn read(text: &str, source: &str) -> Result<(Gazetteer, Vec<RowProblem>), FileProblem> {
    let mut records = Records::new(text.strip_prefix('\u{feff}').unwrap_or(text));
    let header = loop {
        match records.next_record() {
            Some((_, Record::Blank)) => {}
            other => break other,
        }
    };
    check_header(header)?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut problem = |line: usize, message: String| {
        problems.push(RowProblem {
            source: source.to_owned(),
            line,
            message,
        });
    };
    while let Some((line, record)) = records.next_record() {
        match record {
            Record::Blank => {}
            Record::Broken(message) => problem(line, message),
            Record::Fields(fields) => match row(fields) {
                Ok(row) => rows.push(row),
                Err(message) => problem(line, message),
            },
        }
    }
    Ok((Gazetteer::build(rows), problems))
}

fn check_header(header: Option<(usize, Record)>) -> Result<(), FileProblem> {
    let expected = COLUMNS.join(",");
    let (line, fields) = match header {
        None => {
            return Err(FileProblem {
                line: 1,
                message: format!("the file is empty; the first line must be the header {expected}"),
            })
        }
        Some((line, Record::Broken(why))) => {
            return Err(FileProblem {
                line,
                message: format!("unreadable header ({why}); it must be {expected}"),
            })
        }
        Some((line, Record::Blank)) => (line, Vec::new()),
        Some((line, Record::Fields(fields))) => (line, fields),
    };
    if fields.first().is_some_and(|f| f.parse::<f64>().is_ok()) {
        return Err(FileProblem {
            line,
            message: format!("no header: the first line is data; add the line {expected} above it"),
        });
    }
    let wrong =
        (0..fields.len().max(COLUMNS.len())).find_map(|n| match (fields.get(n), COLUMNS.get(n)) {
            (Some(found), Some(want)) if found.eq_ignore_ascii_case(want) => None,
            (Some(found), Some(want)) => Some(format!(
                "header column {} is {found:?}, expected {want:?}",
                n + 1
            )),
            (None, Some(want)) => Some(format!(
                "the header has {} columns, expected 11: {want:?} is missing",
                fields.len()
            )),
            (Some(found), None) => Some(format!(
                "the header has {} columns, expected 11: {found:?} is extra",
                fields.len()
            )),
            (None, None) => None,
        });
    match wrong {
        None => Ok(()),
        Some(what) => Err(FileProblem {
            line,
            message: format!("{what}; the header must be {expected}"),
        }),
    }
}

fn row(fields: Vec<String>) -> Result<(Address, Extra), String> {
    let found = fields.len();
    let fields: [String; 11] = fields
        .try_into()
        .map_err(|_| format!("expected 11 fields, found {found}"))?;
    let [lon, lat, number, street, unit, city, district, region, postcode, id, hash] = fields;
    let lon = coordinate(&lon, "LON", 180.0)?;
    let lat = coordinate(&lat, "LAT", 90.0)?;
    if street.is_empty() {
        return Err("STREET is empty".to_owned());
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

fn coordinate(raw: &str, column: &str, limit: f64) -> Result<f64, String> {
    if raw.is_empty() {
        return Err(format!("{column} is empty"));
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Ok(v),
        Ok(v) if v.is_finite() => Err(format!(
            "{column} {raw} is out of range (-{limit} to {limit})"
        )),
        _ => Err(format!("{column} {raw:?} is not a number")),
    }
}

enum Record {
    Fields(Vec<String>),
    /// An empty line.
    Blank,
    /// A syntax error; reading goes on at the next line.
    Broken(String),
}

/// RFC 4180 records with their first line numbers. Fields are trimmed; a quoted field may hold
/// commas, `""` and line breaks; lines end in LF or CRLF.
struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Records<'a> {
    fn new(text: &'a str) -> Self {
        Records {
            text,
            pos: 0,
            line: 1,
        }
    }

    fn next_record(&mut self) -> Option<(usize, Record)> {
        if self.pos >= self.text.len() {
            return None;
        }
        let (start, line) = (self.pos, self.line);
        match self.record() {
            Ok(fields) if fields.len() == 1 && fields[0].is_empty() => Some((line, Record::Blank)),
            Ok(fields) => Some((line, Record::Fields(fields))),
            Err(message) => {
                // Resume on the line after the one the broken record started on, so that an
                // unclosed quote costs one row, not the rest of the file.
                self.pos = self.text[start..]
                    .find('\n')
                    .map_or(self.text.len(), |i| start + i + 1);
                self.line = line + 1;
                Some((line, Record::Broken(message)))
            }
        }
    }

    fn record(&mut self) -> Result<Vec<String>, String> {
        let text = self.text;
        let bytes = text.as_bytes();
        let blank = |i: usize| matches!(bytes.get(i), Some(b' ' | b'\t'));
        let mut fields = Vec::new();
        loop {
            let n = fields.len();
            let mut i = self.pos;
            while blank(i) {
                i += 1;
            }
            if bytes.get(i) == Some(&b'"') {
                let opened_on = self.line;
                let unclosed = || format!("unclosed quote in field {} ({})", n + 1, column(n));
                let mut value = String::new();
                i += 1;
                loop {
                    let Some(k) = text[i..].find('"') else {
                        return Err(unclosed());
                    };
                    let part = &text[i..i + k];
                    self.line += part.matches('\n').count();
                    value.push_str(part);
                    i += k + 1;
                    if bytes.get(i) == Some(&b'"') {
                        value.push('"');
                        i += 1;
                    } else {
                        break;
                    }
                }
                while blank(i) {
                    i += 1;
                }
                let end = match (bytes.get(i), bytes.get(i + 1)) {
                    (None, _) => None,
                    (Some(b','), _) => Some(false),
                    (Some(b'\n'), _) | (Some(b'\r'), Some(b'\n')) => Some(true),
                    (Some(_), _) if self.line > opened_on => return Err(unclosed()),
                    (Some(_), _) => {
                        let c = text[i..].chars().next().unwrap_or_default();
                        return Err(format!(
                            "unexpected {c:?} after the closing quote of field {} ({})",
                            n + 1,
                            column(n)
                        ));
                    }
                };
                fields.push(value.trim().to_owned());
                match end {
                    None => {
                        self.pos = i;
                        return Ok(fields);
                    }
                    Some(false) => self.pos = i + 1,
                    Some(true) => {
                        self.pos = text[i..].find('\n').map_or(text.len(), |k| i + k + 1);
                        self.line += 1;
                        return Ok(fields);
                    }
                }
            } else {
                let end = text[self.pos..]
                    .find([',', '\n'])
                    .map_or(text.len(), |k| self.pos + k);
                let raw = &text[self.pos..end];
                fields.push(raw.trim().to_owned());
                match bytes.get(end) {
                    Some(b',') => self.pos = end + 1,
                    Some(_) => {
                        self.pos = end + 1;
                        self.line += 1;
                        return Ok(fields);
                    }
                    None => {
                        self.pos = end;
                        return Ok(fields);
                    }
                }
            }
        }
    }
}

fn column(n: usize) -> &'static str {
    COLUMNS.get(n).copied().unwrap_or("extra")
}

// ---------------------------------------------------------------------------------------------
// Normal form

/// Lower-case words with punctuation dropped and suffixes, directions and unit words abbreviated,
/// so that `E. Colfax Avenue, Apt 3` and `e colfax ave unit 3` read the same.
fn normal_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // O'Brien → obrien
        } else if !word.is_empty() {
            words.push(canonical(std::mem::take(&mut word)));
        }
    }
    if !word.is_empty() {
        words.push(canonical(word));
    }
    words
}

fn canonical(word: String) -> String {
    let short = match word.as_str() {
        "street" | "str" | "stre" | "stree" => "st",
        "avenue" | "av" | "avn" | "aven" | "avenu" => "ave",
        "boulevard" | "boul" | "boulv" | "blv" => "blvd",
        "drive" | "driv" => "dr",
        "road" => "rd",
        "lane" => "ln",
        "court" => "ct",
        "place" => "pl",
        "circle" | "circ" => "cir",
        "terrace" => "ter",
        "parkway" | "pky" => "pkwy",
        "highway" => "hwy",
        "trail" => "trl",
        "square" => "sq",
        "north" => "n",
        "south" => "s",
        "east" => "e",
        "west" => "w",
        "northeast" => "ne",
        "northwest" => "nw",
        "southeast" => "se",
        "southwest" => "sw",
        "apartment" | "apt" | "suite" => "unit",
        _ => return word,
    };
    short.to_owned()
}

fn is_affix(word: &str) -> bool {
    matches!(
        word,
        "st" | "ave"
            | "blvd"
            | "dr"
            | "rd"
            | "ln"
            | "ct"
            | "pl"
            | "cir"
            | "ter"
            | "pkwy"
            | "hwy"
            | "trl"
            | "sq"
            | "way"
            | "n"
            | "s"
            | "e"
            | "w"
            | "ne"
            | "nw"
            | "se"
            | "sw"
            | "unit"
    )
}

/// `16th`, `2nd`: a numbered street, not a house number.
fn is_ordinal(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&word[digits..], "st" | "nd" | "rd" | "th")
}

fn leading_number(text: &str) -> Option<u32> {
    let digits: String = text
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Index and lookup

struct Query {
    /// The house number in normal form, when the typed text starts with one.
    number: Option<String>,
    /// The other words in normal form.
    words: Vec<String>,
}

impl Query {
    fn text(&self) -> String {
        self.number
            .iter()
            .chain(&self.words)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How one typed word met the vocabulary.
struct TokenMatch {
    /// Streets whose name has a matching word, with the best quality (3 equal, 2 prefix, 1 letters
    /// in order or a corrected typo).
    streets: HashMap<u32, u32>,
    /// The nearest word, when no word holds the typed letters in order.
    correction: Option<usize>,
}

impl Index {
    fn build(addresses: &[Address]) -> Index {
        let mut index = Index::default();
        let mut street_ids: HashMap<String, u32> = HashMap::new();
        let mut word_ids: HashMap<String, usize> = HashMap::new();
        let mut word_id = |words: &mut Vec<Word>, text: &str| -> usize {
            *word_ids.entry(text.to_owned()).or_insert_with(|| {
                words.push(Word {
                    text: text.to_owned(),
                    affix: is_affix(text),
                    streets: Vec::new(),
                });
                words.len() - 1
            })
        };
        for (i, a) in addresses.iter().enumerate() {
            let i = i as u32;
            let street_words = normal_words(&a.street);
            let key = street_words.join(" ");
            let street = if let Some(&id) = street_ids.get(&key) {
                id
            } else {
                let id = index.streets.len() as u32;
                for w in &street_words {
                    let w = word_id(&mut index.words, w);
                    if index.words[w].streets.last() != Some(&id) {
                        index.words[w].streets.push(id);
                    }
                }
                street_ids.insert(key.clone(), id);
                index.streets.push(Street {
                    key,
                    members: Vec::new(),
                });
                id
            };
            index.streets[street as usize].members.push(i);
            index.street_of.push(street);
            let number = normal_words(&a.number).concat();
            if !number.is_empty() {
                index.numbers.entry(number).or_default().push(i);
            }
            index.house.push(leading_number(&a.number));
            for w in normal_words(&a.unit)
                .iter()
                .chain(&normal_words(&a.city))
                .filter(|w| !w.bytes().all(|b| b.is_ascii_digit()))
            {
                word_id(&mut index.words, w);
            }
            index.keys.push(normal_words(&a.label()).join(" "));
        }
        for street in &mut index.streets {
            street
                .members
                .sort_by_key(|&i| (index.house[i as usize], i));
        }
        index.by_lat = (0..addresses.len() as u32).collect();
        index.by_lat.sort_by(|&a, &b| {
            addresses[a as usize]
                .coords
                .lat
                .total_cmp(&addresses[b as usize].coords.lat)
        });
        index
    }

    fn query(&self, typed: &str) -> Query {
        let mut words = normal_words(typed);
        let starts_with_digit = typed.trim_start().starts_with(|c: char| c.is_ascii_digit());
        let Some(first) = words.first().filter(|_| starts_with_digit) else {
            return Query {
                number: None,
                words,
            };
        };
        let number = if first.bytes().all(|b| b.is_ascii_digit())
            || (!is_ordinal(first) && self.numbers.contains_key(first))
        {
            Some(words.remove(0))
        } else if is_ordinal(first) {
            None
        } else {
            // `1400colfax`: the number ran into the street.
            let digits = first.bytes().take_while(u8::is_ascii_digit).count();
            let number = first[..digits].to_owned();
            words[0] = canonical(first[digits..].to_owned());
            Some(number)
        };
        Query { number, words }
    }

    fn match_token(&self, token: &str) -> TokenMatch {
        let mut streets: HashMap<u32, u32> = HashMap::new();
        let mut any = false;
        for word in &self.words {
            if let Some(quality) = direct_match(token, word) {
                any = true;
                for &s in &word.streets {
                    let best = streets.entry(s).or_default();
                    *best = (*best).max(quality);
                }
            }
        }
        let mut correction = None;
        let length = token.chars().count();
        if !any && length >= 3 && !is_affix(token) {
            let most = if length >= 7 { 2 } else { 1 };
            correction = self
                .words
                .iter()
                .enumerate()
                .filter(|(_, w)| !w.affix)
                .filter_map(|(n, w)| edit_distance(token, &w.text, most).map(|d| (d, n)))
                .min()
                .map(|(_, n)| n);
            if let Some(n) = correction {
                for &s in &self.words[n].streets {
                    streets.entry(s).or_insert(1);
                }
            }
        }
        TokenMatch {
            streets,
            correction,
        }
    }

    fn lookup(&self, matcher: &SkimMatcherV2, query: &Query) -> Vec<(u32, i64)> {
        let tokens: Vec<TokenMatch> = query.words.iter().map(|w| self.match_token(w)).collect();
        let text = query.text();
        // The typed words with each typo replaced by its nearest vocabulary word.
        let fixed_words = query
            .words
            .iter()
            .zip(&tokens)
            .map(|(w, t)| {
                t.correction
                    .map_or(w.as_str(), |n| self.words[n].text.as_str())
            })
            .collect::<Vec<_>>()
            .join(" ");
        let corrected = tokens.iter().any(|t| t.correction.is_some()).then(|| {
            query
                .number
                .as_ref()
                .map_or_else(|| fixed_words.clone(), |n| format!("{n} {fixed_words}"))
        });
        let score = |candidates: &[u32]| -> Vec<(u32, i64)> {
            candidates
                .iter()
                .filter_map(|&i| {
                    let key = &self.keys[i as usize];
                    matcher
                        .fuzzy_match(key, &text)
                        .or_else(|| {
                            let c = corrected.as_deref()?;
                            Some(matcher.fuzzy_match(key, c)? - CORRECTION_PENALTY)
                        })
                        .map(|s| (i, s))
                })
                .collect()
        };

        let mut streets = street_hits(&query.words, &tokens);
        let mut scored = score(&self.candidates(query, &streets));
        if scored.is_empty() && !query.words.is_empty() {
            if streets.is_empty() {
                streets = self.scan_streets(matcher, &query.words.join(" "));
                scored = score(&self.candidates(query, &streets));
            }
            if scored.is_empty() {
                if let Some(number) = &query.number {
                    scored = self.nearby_numbers(matcher, number, &streets, &fixed_words);
                }
            }
        }
        scored
    }

    /// The addresses worth scoring, at most `MAX_SCORED`: with a house number, those with that
    /// number (then numbers that start with it) on the matching streets; without, the matching
    /// streets' addresses.
    fn candidates(&self, query: &Query, streets: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        if let Some(number) = &query.number {
            let allowed = (!streets.is_empty()).then(|| {
                let mut mask = vec![false; self.streets.len()];
                for &s in streets {
                    mask[s as usize] = true;
                }
                mask
            });
            let fits = |i: u32| {
                allowed
                    .as_ref()
                    .is_none_or(|m| m[self.street_of[i as usize] as usize])
            };
            let range = self
                .numbers
                .range::<str, _>((Bound::Included(number.as_str()), Bound::Unbounded))
                .take_while(|(n, _)| n.starts_with(number.as_str()));
            for (_, members) in range {
                out.extend(members.iter().copied().filter(|&i| fits(i)));
                if out.len() >= MAX_SCORED {
                    break;
                }
            }
        } else {
            for &s in streets {
                out.extend(&self.streets[s as usize].members);
                if out.len() >= MAX_SCORED {
                    break;
                }
            }
        }
        out.truncate(MAX_SCORED);
        out
    }

    /// The last resort when no word matched any street word: fuzzy-match the typed words against
    /// each distinct street name (`colfaxave` finds `colfax ave`).
    fn scan_streets(&self, matcher: &SkimMatcherV2, words: &str) -> Vec<u32> {
        let mut hits: Vec<(i64, u32)> = self
            .streets
            .iter()
            .take(MAX_STREETS_SCANNED)
            .enumerate()
            .filter_map(|(s, street)| Some((matcher.fuzzy_match(&street.key, words)?, s as u32)))
            .collect();
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let best = hits.first().map_or(0, |h| h.0);
        hits.into_iter()
            .take_while(|h| h.0 == best)
            .map(|(_, s)| s)
            .collect()
    }

    /// The street is known but no address has that number: its addresses with the nearest
    /// numbers, scored on the street words less 1 per 10 numbers away.
    fn nearby_numbers(
        &self,
        matcher: &SkimMatcherV2,
        number: &str,
        streets: &[u32],
        words: &str,
    ) -> Vec<(u32, i64)> {
        let Some(target) = leading_number(number) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for &s in streets {
            for &i in &self.streets[s as usize].members {
                let Some(house) = self.house[i as usize] else {
                    continue;
                };
                let Some(score) = matcher.fuzzy_match(&self.keys[i as usize], words) else {
                    continue;
                };
                let away = i64::from(house.abs_diff(target).min(100_000));
                out.push((i, score - CORRECTION_PENALTY - away / 10));
            }
            if out.len() >= MAX_SCORED {
                break;
            }
        }
        out
    }
}

/// The streets that match the most typed words, best matches first. Suffixes and directions
/// count only when nothing else was typed.
fn street_hits(words: &[String], tokens: &[TokenMatch]) -> Vec<u32> {
    let primary = words.iter().any(|w| !is_affix(w));
    let mut tally: HashMap<u32, (u32, u32)> = HashMap::new();
    for (word, token) in words.iter().zip(tokens) {
        if primary && is_affix(word) {
            continue;
        }
        for (&street, &quality) in &token.streets {
            let t = tally.entry(street).or_default();
            t.0 += 1;
            t.1 += quality;
        }
    }
    let most = tally.values().map(|t| t.0).max().unwrap_or(0);
    let mut hits: Vec<(u32, u32)> = tally
        .into_iter()
        .filter(|(_, t)| t.0 == most)
        .map(|(s, t)| (s, t.1))
        .collect();
    hits.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    hits.into_iter().map(|(s, _)| s).collect()
}

/// How `token` (typed) meets a vocabulary word: 3 equal, 2 a prefix, 1 its letters in order from
/// the same first letter. Suffix and direction words match only when typed in full.
fn direct_match(token: &str, word: &Word) -> Option<u32> {
    let text = word.text.as_str();
    if token == text {
        Some(3)
    } else if word.affix {
        None
    } else if text.starts_with(token) {
        Some(2)
    } else if token.chars().next() == text.chars().next() && is_subsequence(token, text) {
        Some(1)
    } else {
        None
    }
}

fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut hay = hay.chars();
    needle.chars().all(|c| hay.any(|h| h == c))
}

/// Optimal-string-alignment distance (a swap of neighbours counts 1), or `None` above `most`.
fn edit_distance(a: &str, b: &str, most: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > most {
        return None;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * width] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > most {
            return None;
        }
    }
    let distance = d[a.len() * width + b.len()];
    (distance <= most).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form_abbreviates_suffixes_and_directions() {
        assert_eq!(
            normal_words("E. Colfax Avenue, Apt #3"),
            ["e", "colfax", "ave", "unit", "3"]
        );
        assert_eq!(normal_words("O'Brien Street"), ["obrien", "st"]);
    }

    #[test]
    fn edit_distance_counts_swaps_once() {
        assert_eq!(edit_distance("cofax", "colfax", 1), Some(1));
        assert_eq!(edit_distance("clofax", "colfax", 1), Some(1));
        assert_eq!(edit_distance("colfsx", "colfax", 1), Some(1));
        assert_eq!(edit_distance("cedar", "colfax", 2), None);
    }

    #[test]
    fn units_read_as_units() {
        assert_eq!(unit_label("3"), "Unit 3");
        assert_eq!(unit_label("#12A"), "Unit 12A");
        assert_eq!(unit_label("B"), "Unit B");
        assert_eq!(unit_label("Apt 2, Rear"), "Apt 2, Rear");
        assert_eq!(unit_label(""), "");
    }
}
