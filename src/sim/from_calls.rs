//! `switchboard scenario from-calls FILE --map MAPPING`: a city's published calls for service
//! turned into a training scenario, so a trainer can run a real day at its real pace.
//!
//! The calls file is CSV with a header naming at least `time`, `location` and `nature`
//! (`district` and `status` are used when present), like the Milwaukee Police Department's
//! (`id,time,location,latitude,longitude,district,nature,status`). The mapping file (TOML,
//! described in docs/training.md and shipped as `scenarios/milwaukee-natures.toml`) names the
//! program's teams and, per nature, our call type, what the caller says and the true answers to
//! the triage questions; natures it does not name are police work and are left out. Each kept
//! call rings at its real time from the start of the window; the response it expects is what
//! the protocol recommends for its answers, so the scenario always agrees with the protocol.
//!
//! The scenario is written as TOML and then read back through [`super::scenario::check_text`],
//! so what is written is exactly what `sim` will load.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::scenario::{check_text, show_time};
use crate::domain::triage::Protocol;
use crate::domain::CallType;
use crate::spelling::toml_message;

/// The mapping file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mapping {
    name: String,
    #[serde(default)]
    description: String,
    /// Taken off the end of every location (`,MKE`).
    #[serde(default)]
    location_suffix: String,
    /// Put before a district number to make our zone (`d` + `4` → `d4`).
    #[serde(default)]
    zone_prefix: String,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    unit: Vec<Unit>,
    nature: BTreeMap<String, Nature>,
    /// CAD closing status → our disposition, where it says more than the nature's.
    #[serde(default)]
    status: BTreeMap<String, String>,
}

/// A team of the program, as in a scenario's `[[unit]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Unit {
    callsign: String,
    capabilities: Vec<String>,
    #[serde(default)]
    zone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Nature {
    #[serde(rename = "type")]
    call_type: String,
    #[serde(default)]
    priority: Option<u8>,
    /// What the caller says, a line every 30 seconds from the answer.
    #[serde(default)]
    says: Vec<String>,
    #[serde(default)]
    answers: BTreeMap<String, String>,
    disposition: String,
    #[serde(default)]
    hint: Option<String>,
}

/// Which calls of the file to keep: those received in `[from, until)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

/// The scenario text and what went into it.
#[derive(Clone, Debug)]
pub struct Made {
    pub toml: String,
    pub kept: usize,
    pub read: usize,
    /// Natures left out (not in the mapping), with how many calls each.
    pub left_out: Vec<(String, usize)>,
    /// Rows that could not be read, as `file:line: message`.
    pub problems: Vec<String>,
}

/// Reads `<time>` as the calls file writes it (`2018-05-01 08:00:00`, or without seconds).
pub fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

struct Row {
    line: usize,
    at: NaiveDateTime,
    location: String,
    district: String,
    nature: String,
    status: String,
}

/// Makes the scenario. Every problem with the mapping or the file as a whole is one line
/// naming the file (and line); a row that cannot be read is listed and left out.
pub fn from_calls(
    calls: &str,
    calls_label: &str,
    mapping: &str,
    mapping_label: &str,
    window: Window,
    protocol: &Protocol,
) -> Result<Made, String> {
    let map: Mapping = toml::from_str(mapping).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            mapping[..s.start.min(mapping.len())].matches('\n').count() + 1
        });
        format!("{mapping_label}:{line}: {}", toml_message(e.message()))
    })?;
    for (nature, n) in &map.nature {
        CallType::parse_word_or_apco(&n.call_type)
            .map_err(|e| format!("{mapping_label}: nature {nature:?}: {e}"))?;
    }
    let (rows, read, problems) = read_rows(calls, calls_label, window)?;
    let mut left_out: BTreeMap<String, usize> = BTreeMap::new();
    let kept: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            let known = map.nature.contains_key(&r.nature);
            if !known {
                *left_out.entry(r.nature.clone()).or_default() += 1;
            }
            known
        })
        .collect();
    let Some(first) = kept.first() else {
        return Err(format!(
            "{calls_label}: no call in the window has a nature that {mapping_label} maps"
        ));
    };
    let start = window.from.unwrap_or(first.at);
    let last = kept.iter().map(|r| r.at).max().unwrap_or(start);
    // An hour after the last call rings, for the teams to finish.
    let duration_ms = (last - start).num_milliseconds() + 3_600_000;

    let mut out = String::new();
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let _ = writeln!(
        out,
        "# Made by `switchboard scenario from-calls {calls_label} --map {mapping_label}`:\n\
         # {} of the {read} calls read, those whose nature the mapping names, at their real times.\n",
        kept.len()
    );
    let _ = writeln!(out, "name = {}", q(&map.name));
    let _ = writeln!(out, "description = {}", q(&map.description));
    let _ = writeln!(out, "duration = {}", q(&show_time(duration_ms)));
    let _ = writeln!(out, "speed = 1.0\nseed = {}\n", map.seed);
    // The scripted trainee checks teams on scene in, as in the shipped scenarios.
    let _ = writeln!(out, "[trainee]\ncheckin_every = \"15:00\"\n");
    for unit in &map.unit {
        let capabilities: Vec<String> = unit.capabilities.iter().map(|c| q(c)).collect();
        let _ = writeln!(
            out,
            "[[unit]]\ncallsign = {}\ncapabilities = [{}]",
            q(&unit.callsign),
            capabilities.join(", ")
        );
        if let Some(zone) = &unit.zone {
            let _ = writeln!(out, "zone = {}", q(zone));
        }
        out.push('\n');
    }
    for (n, r) in kept.iter().enumerate() {
        let nature = &map.nature[&r.nature];
        let answers: BTreeMap<String, String> = nature.answers.clone();
        let call_type = CallType::parse_word_or_apco(&nature.call_type).ok();
        let expected = protocol.evaluate(&answers, call_type).response;
        let disposition = map.status.get(&r.status).unwrap_or(&nature.disposition);
        let at_ms = (r.at - start).num_milliseconds();
        let location = r
            .location
            .strip_suffix(map.location_suffix.as_str())
            .unwrap_or(&r.location)
            .trim()
            // The CAD form `A / B` is an intersection; `&` keeps it one through `call … / …`.
            .replace(" / ", " & ");
        let _ = writeln!(out, "[[call]]\nid = \"c{:03}\"", n + 1);
        let _ = writeln!(out, "at = {}", q(&show_time(at_ms)));
        let _ = writeln!(out, "location = {}", q(&location));
        if !r.district.is_empty() {
            let _ = writeln!(
                out,
                "zone = {}",
                q(&format!("{}{}", map.zone_prefix, r.district))
            );
        }
        let _ = writeln!(out, "nature = {}", q(&r.nature.to_lowercase()));
        let _ = writeln!(out, "type = {}", q(&nature.call_type));
        if let Some(p) = nature.priority {
            let _ = writeln!(out, "priority = {p}");
        }
        let answers: Vec<String> = answers
            .iter()
            .map(|(k, v)| format!("{k} = {}", q(v)))
            .collect();
        let _ = writeln!(out, "answers = {{ {} }}", answers.join(", "));
        let _ = writeln!(out, "expect_response = {}", q(expected.word()));
        let _ = writeln!(out, "expect_disposition = {}", q(disposition));
        if let Some(hint) = &nature.hint {
            let _ = writeln!(out, "hint = {}", q(hint));
        }
        for (k, line) in nature.says.iter().enumerate() {
            let _ = writeln!(
                out,
                "[[call.lines]]\nafter = {}\ntext = {}",
                q(&show_time(30_000 * (k as i64 + 1))),
                q(line)
            );
        }
        let _ = writeln!(out, "# {calls_label}:{}", r.line);
        out.push('\n');
        script(
            &mut out,
            &format!("c{:03}", n + 1),
            at_ms,
            expected,
            disposition,
            protocol,
        );
    }
    check_text(&format!("{} (made)", map.name), &out, protocol)
        .map_err(|e| format!("{mapping_label}: the scenario made from it does not load: {e}"))?;
    let mut left_out: Vec<(String, usize)> = left_out.into_iter().collect();
    left_out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Made {
        toml: out,
        kept: kept.len(),
        read,
        left_out,
        problems,
    })
}

/// The scripted trainee, as in the shipped scenarios: answers within 7 s, asks every question a
/// few seconds apart, accepts the recommendation, sends the top recommended team (or hands the
/// call to EMS or police), and closes the call a minute after its team clears.
fn script(
    out: &mut String,
    id: &str,
    at_ms: i64,
    expected: crate::domain::ResponseType,
    disposition: &str,
    protocol: &Protocol,
) {
    use crate::domain::ResponseType;
    let mut t = at_ms + 7_000;
    let action = |out: &mut String, t: i64, run: String| {
        let _ = writeln!(
            out,
            "[[action]]\nat = \"{}\"\nrun = \"{run}\"\n",
            show_time(t)
        );
    };
    for q in &protocol.questions {
        action(out, t, format!("ask {{{id}}} {}", q.key));
        t += 5_000;
    }
    action(out, t, format!("respond {{{id}}} {}", expected.word()));
    t += 5_000;
    match expected {
        ResponseType::Community | ResponseType::CoResponse => {
            action(out, t, format!("rec {{{id}}} --dispatch"));
            let _ = writeln!(
                out,
                "[[action]]\nat = \"0:01:00\"\nafter = \"avl * {{{id}}}\"\nrun = \"close {{{id}}} {disposition}\"\n"
            );
        }
        _ => action(out, t, format!("close {{{id}}} {disposition}")),
    }
}

type Rows = (Vec<Row>, usize, Vec<String>);

fn read_rows(text: &str, label: &str, window: Window) -> Result<Rows, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| format!("{label}:1: unreadable header: {e}"))?
        .clone();
    let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let need = |name: &str| {
        column(name).ok_or_else(|| {
            let found: Vec<&str> = header.iter().collect();
            format!(
                "{label}:1: the header has no {name} column (found {}); a calls file needs time, \
                 location and nature",
                found.join(",")
            )
        })
    };
    let (time, location, nature) = (need("time")?, need("location")?, need("nature")?);
    let (district, status) = (column("district"), column("status"));
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut read = 0;
    for (n, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(csv::StringRecord::position)
            .map_or(n + 2, |p| p.line() as usize);
        let Ok(record) = record else {
            problems.push(format!("{label}:{line}: unreadable row"));
            continue;
        };
        let field = |k: Option<usize>| k.and_then(|k| record.get(k)).unwrap_or("").to_owned();
        let Some(at) = parse_time(&field(Some(time))) else {
            problems.push(format!(
                "{label}:{line}: time {:?} is not YYYY-MM-DD HH:MM:SS",
                field(Some(time))
            ));
            continue;
        };
        if window.from.is_some_and(|f| at < f) || window.until.is_some_and(|u| at >= u) {
            continue;
        }
        read += 1;
        let location_text = field(Some(location));
        if location_text.is_empty() {
            problems.push(format!("{label}:{line}: the location is empty"));
            continue;
        }
        rows.push(Row {
            line,
            at,
            location: location_text,
            district: field(district),
            nature: field(Some(nature)),
            status: field(status),
        });
    }
    rows.sort_by_key(|r| (r.at, r.line));
    Ok((rows, read, problems))
}
