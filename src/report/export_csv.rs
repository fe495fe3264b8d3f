//! `switchboard export --format csv`: one row per call, for spreadsheets and pandas.
//!
//! RFC 4180, written by the `csv` crate: a header row, fields separated by commas, a field quoted
//! (with `"` doubled) when it holds a comma, a quote or a line break; UTF-8 and `\n` line ends. Free-text cells that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) get a leading `'`, so a location typed as `=HYPERLINK(…)` stays text.
//!
//! Left out on purpose, because they are health or personal information that a figures file
//! does not need and that spreadsheets spread: the caller's name and callback number, the nature
//! (free text that routinely describes a person's crisis), notes, triage answers and override
//! reasons. See docs/figures.md.

use super::metrics::CallFacts;
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

/// The calls as CSV, header first. Location, coordinates and priority come from the projected
/// state (as last edited); everything else from the figures, so the file and `report` agree.
pub fn csv(calls: &[CallFacts], state: &State) -> String {
    let mut out = String::new();
    write_row(&mut out, COLUMNS);
    for c in calls {
        let call = state.calls.get(&c.id);
        let coords = call.and_then(|k| k.coords.as_ref());
        let join = |items: Vec<&str>| items.join(";");
        let row: [String; 29] = [
            c.id.to_string(),
            rfc3339(c.received_ms),
            text_cell(call.map_or("", |k| k.location.as_str())),
            coords.map(|p| p.lat.to_string()).unwrap_or_default(),
            coords.map(|p| p.lon.to_string()).unwrap_or_default(),
            text_cell(c.zone.as_deref().unwrap_or("")),
            c.call_type.map(|t| t.word().to_owned()).unwrap_or_default(),
            c.call_type.map(|t| t.apco().to_owned()).unwrap_or_default(),
            call.map(|k| k.priority.to_string()).unwrap_or_default(),
            c.response.map(|r| r.word().to_owned()).unwrap_or_default(),
            c.rule.clone().unwrap_or_default(),
            c.overridden.to_string(),
            c.eligible.to_string(),
            c.community_team.to_string(),
            join(c.units.iter().map(Callsign::as_str).collect()),
            time(c.dispatched_ms),
            time(c.first_on_scene_ms),
            time(c.cleared_ms),
            time(c.closed_ms),
            seconds(c.received_to_triaged_ms()),
            seconds(c.received_to_dispatched_ms()),
            seconds(c.dispatched_to_on_scene_ms()),
            seconds(c.on_scene_to_clear_ms()),
            seconds(c.received_to_closed_ms()),
            c.disposition
                .map(|d| d.word().to_owned())
                .unwrap_or_default(),
            c.unserved.map(|r| r.word().to_owned()).unwrap_or_default(),
            join(c.backups.iter().map(|a| a.word()).collect()),
            c.plan_sent.map(|p| p.word().to_owned()).unwrap_or_default(),
            join(c.short_of.clone()),
        ];
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
