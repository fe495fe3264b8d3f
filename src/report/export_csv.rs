//! `switchboard export --format csv`: one row per call, for spreadsheets and pandas.
//!
//! RFC 4180, written by the `csv` crate: a header row, fields separated by commas, a field quoted
//! (with `"` doubled) when it holds a comma, a quote or a line break; UTF-8 and `\n` line ends. Free-text cells that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) get a leading `'`, so a location typed as `=HYPERLINK(…)` stays text.
//!
//! What it carries depends on its reader (`export --for`, [`Reader`]): the default public form
//! gives [`PUBLIC_COLUMNS`] with the location as its hundred block; the partner form gives
//! [`COLUMNS`] less the program's triage reasoning; only the audit form adds the personal
//! fields ([`AUDIT_COLUMNS`]: caller, callback, nature, notes, triage answers, override reason),
//! which a figures file does not need and spreadsheets spread. See docs/privacy.md.

use super::metrics::CallFacts;
use super::reader::{self, Reader};
use super::rfc3339;
use crate::domain::{Callsign, State};

/// The columns, in order.
pub const COLUMNS: &[&str] = &[
    "id",
    "received",
    "location",
    "lat",
    "lon",
    "zone",
    "call_type",
    "apco_code",
    "priority",
    "response",
    "recommended_rule",
    "overridden",
    "eligible",
    "community_team",
    "units",
    "first_dispatch",
    "first_on_scene",
    "cleared",
    "closed",
    "received_to_triaged_s",
    "received_to_dispatched_s",
    "dispatched_to_on_scene_s",
    "on_scene_to_clear_s",
    "received_to_closed_s",
    "disposition",
    "unserved_reason",
    "backup_requested",
    "plan_sent",
    "short_of",
];

/// The public-records form: times, type, general location, units and disposition.
pub const PUBLIC_COLUMNS: &[&str] = &[
    "id",
    "received",
    "location",
    "zone",
    "call_type",
    "apco_code",
    "priority",
    "response",
    "community_team",
    "units",
    "first_dispatch",
    "first_on_scene",
    "cleared",
    "closed",
    "received_to_triaged_s",
    "received_to_dispatched_s",
    "dispatched_to_on_scene_s",
    "on_scene_to_clear_s",
    "received_to_closed_s",
    "disposition",
    "backup_requested",
];

/// What the partner form leaves out of [`COLUMNS`]: the program's triage reasoning.
const CLINICAL_COLUMNS: &[&str] = &[
    "recommended_rule",
    "overridden",
    "eligible",
    "unserved_reason",
];

/// What only the audit form adds, after [`COLUMNS`].
pub const AUDIT_COLUMNS: &[&str] = &[
    "caller",
    "callback",
    "nature",
    "notes",
    "triage_answers",
    "override_reason",
];

/// The columns `reader` gets, in order.
pub fn columns(reader: Reader) -> Vec<&'static str> {
    match reader {
        Reader::Public => PUBLIC_COLUMNS.to_vec(),
        Reader::Partner => COLUMNS
            .iter()
            .copied()
            .filter(|c| !CLINICAL_COLUMNS.contains(c))
            .collect(),
        Reader::Audit => COLUMNS.iter().chain(AUDIT_COLUMNS).copied().collect(),
    }
}

/// Appends one record and its `\n`.
pub fn write_row<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing UTF-8 text into a Vec cannot fail.
    // A control character in a cell (but a line break, which the quoting keeps) is shown
    // escaped, never written raw into the file.
    let _ = writer.write_record(
        fields
            .iter()
            .map(|f| crate::domain::text::escape(f.as_ref()).into_owned()),
    );
    let bytes = writer.into_inner().unwrap_or_default();
    out.push_str(&String::from_utf8_lossy(&bytes));
}

/// Free text that a spreadsheet would take for a formula gets a leading `'`.
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn time(ms: Option<i64>) -> String {
    ms.map(rfc3339).unwrap_or_default()
}

/// Whole seconds, rounded down.
fn seconds(ms: Option<i64>) -> String {
    ms.map(|ms| (ms / 1000).to_string()).unwrap_or_default()
}

/// The calls as CSV for the partner form's superset of figures ([`COLUMNS`]), header first.
pub fn csv(calls: &[CallFacts], state: &State) -> String {
    csv_with(calls, state, Reader::Partner, COLUMNS)
}

/// The calls as CSV for `reader`, header first. Location, coordinates and priority come from
/// the projected state (as last edited); everything else from the figures, so the file and
/// `report` agree.
pub fn csv_for(calls: &[CallFacts], state: &State, reader: Reader) -> String {
    csv_with(calls, state, reader, &columns(reader))
}

fn csv_with(calls: &[CallFacts], state: &State, reader: Reader, columns: &[&str]) -> String {
    let mut out = String::new();
    write_row(&mut out, columns);
    for c in calls {
        let call = state.calls.get(&c.id);
        let shown = call.map(|k| reader::shown(k, reader));
        let call = shown.as_deref();
        let coords = call.and_then(|k| k.coords.as_ref());
        let join = |items: Vec<&str>| items.join(";");
        let value_of = |column: &str| -> String {
            match column {
                "id" => c.id.to_string(),
                "received" => rfc3339(c.received_ms),
                "location" => text_cell(call.map_or("", |k| k.location.as_str())),
                "lat" => coords.map(|p| p.lat.to_string()).unwrap_or_default(),
                "lon" => coords.map(|p| p.lon.to_string()).unwrap_or_default(),
                "zone" => text_cell(c.zone.as_deref().unwrap_or("")),
                "call_type" => c.call_type.map(|t| t.word().to_owned()).unwrap_or_default(),
                "apco_code" => c.call_type.map(|t| t.apco().to_owned()).unwrap_or_default(),
                "priority" => call.map(|k| k.priority.to_string()).unwrap_or_default(),
                "response" => c.response.map(|r| r.word().to_owned()).unwrap_or_default(),
                "recommended_rule" => c.rule.clone().unwrap_or_default(),
                "overridden" => c.overridden.to_string(),
                "eligible" => c.eligible.to_string(),
                "community_team" => c.community_team.to_string(),
                "units" => join(c.units.iter().map(Callsign::as_str).collect()),
                "first_dispatch" => time(c.dispatched_ms),
                "first_on_scene" => time(c.first_on_scene_ms),
                "cleared" => time(c.cleared_ms),
                "closed" => time(c.closed_ms),
                "received_to_triaged_s" => seconds(c.received_to_triaged_ms()),
                "received_to_dispatched_s" => seconds(c.received_to_dispatched_ms()),
                "dispatched_to_on_scene_s" => seconds(c.dispatched_to_on_scene_ms()),
                "on_scene_to_clear_s" => seconds(c.on_scene_to_clear_ms()),
                "received_to_closed_s" => seconds(c.received_to_closed_ms()),
                "disposition" => c
                    .disposition
                    .map(|d| d.word().to_owned())
                    .unwrap_or_default(),
                "unserved_reason" => c.unserved.map(|r| r.word().to_owned()).unwrap_or_default(),
                "backup_requested" => join(c.backups.iter().map(|a| a.word()).collect()),
                "plan_sent" => c.plan_sent.map(|p| p.word().to_owned()).unwrap_or_default(),
                "short_of" => join(c.short_of.clone()),
                "caller" => text_cell(call.and_then(|k| k.caller.as_deref()).unwrap_or("")),
                "callback" => text_cell(call.and_then(|k| k.callback.as_deref()).unwrap_or("")),
                "nature" => text_cell(call.map_or("", |k| k.nature.as_str())),
                "notes" => text_cell(
                    &call
                        .map(|k| {
                            k.notes
                                .iter()
                                .map(|n| {
                                    format!("{} {}: {}", rfc3339(n.wall_ms), n.operator, n.text)
                                })
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .unwrap_or_default(),
                ),
                "triage_answers" => text_cell(
                    &call
                        .map(|k| {
                            k.answers
                                .iter()
                                .map(|(q, a)| format!("{q}={a}"))
                                .collect::<Vec<_>>()
                                .join(";")
                        })
                        .unwrap_or_default(),
                ),
                "override_reason" => text_cell(
                    call.and_then(|k| k.override_reason.as_deref())
                        .unwrap_or(""),
                ),
                _ => String::new(),
            }
        };
        let row: Vec<String> = columns.iter().map(|col| value_of(col)).collect();
        write_row(&mut out, &row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let row = |fields: &[&str]| {
            let mut out = String::new();
            write_row(&mut out, fields);
            out
        };
        assert_eq!(row(&["plain"]), "plain\n");
        assert_eq!(row(&["a, b"]), "\"a, b\"\n");
        assert_eq!(row(&["say \"hi\""]), "\"say \"\"hi\"\"\"\n");
        // A line break stays a line break, quoted; other control characters are shown escaped.
        assert_eq!(row(&["two\nlines"]), "\"two\nlines\"\n");
        assert_eq!(row(&["a", "", "b,c"]), "a,,\"b,c\"\n");
    }

    #[test]
    fn formulas_stay_text() {
        assert_eq!(text_cell("=1+1"), "'=1+1");
        assert_eq!(text_cell("-5th Ave"), "'-5th Ave");
        assert_eq!(text_cell("5th Ave"), "5th Ave");
    }
}
