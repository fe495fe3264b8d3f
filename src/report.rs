//! Program figures and standard exports, all read from the event log: [`metrics`] computes the
//! figures for a period (incrementally, so the dashboard can feed it events as they come),
//! [`table`] prints them for a person (text) or a tool (JSON, CSV), [`export_csv`] writes one row
//! per call, and [`eido`] speaks NENA EIDO. `switchboard report` and `switchboard export` are
//! the shell around them.

pub mod eido;
pub mod export_csv;
pub mod handoffs;
pub mod metrics;
pub mod reader;
pub mod table;
pub mod tally;

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Local, NaiveDate, SecondsFormat, TimeZone, Utc};
use clap::{Args, ValueEnum};

use crate::desk::Desk;
use crate::domain::{CallId, Event};
use metrics::{GroupBy, Period};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;
/// A report without `--since` covers this long before `--until`.
pub const DEFAULT_DAYS: i64 = 7;

/// A time as RFC 3339 in UTC, to the second (`2026-03-01T08:00:00Z`).
pub fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// Reads a time as a person types it: RFC 3339 (`2026-03-01T08:00:00Z`), a date (`2026-03-01`,
/// local midnight), `now`, or a time ago (`90m`, `24h`, `7d`, `2w`).
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "cannot read {} as a time; use RFC 3339 (2026-03-01T08:00:00Z), a date (2026-03-01, \
             local midnight) or a time ago (90m, 24h, 7d, 2w)",
            crate::domain::ids::shown(text)
        )
    };
    if t.eq_ignore_ascii_case("now") {
        return Ok(now_ms);
    }
    if let Some(unit) = t.chars().last().filter(char::is_ascii_alphabetic) {
        let amount = &t[..t.len() - 1];
        if !amount.is_empty() && amount.chars().all(|c| c.is_ascii_digit()) {
            let n: i64 = amount.parse().map_err(|_| bad())?;
            let per = match unit.to_ascii_lowercase() {
                'm' => MINUTE_MS,
                'h' => 60 * MINUTE_MS,
                'd' => DAY_MS,
                'w' => 7 * DAY_MS,
                _ => return Err(bad()),
            };
            return n
                .checked_mul(per)
                .and_then(|ago| now_ms.checked_sub(ago))
                .ok_or_else(bad);
        }
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.timestamp_millis());
    }
    if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let midnight = day.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
        // A midnight skipped by a clock change takes the first valid local time after it.
        return Local
            .from_local_datetime(&midnight)
            .earliest()
            .or_else(|| {
                Local
                    .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|d| d.timestamp_millis())
            .ok_or_else(bad);
    }
    Err(bad())
}

/// `--since`/`--until` as clap reads them, relative to the system clock.
fn time_arg(text: &str) -> Result<i64, String> {
    parse_time(text, Utc::now().timestamp_millis())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned text for a person, at most 80 columns.
    Text,
    /// One JSON object with stable keys.
    Json,
    /// One row per group and figure: by,group,figure,value.
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One row per call (columns in docs/figures.md).
    Csv,
    /// One NENA EIDO JSON document per incident.
    Eido,
}

/// `switchboard report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Start of the period: RFC 3339, a date (local midnight), or a time ago like 7d, 24h
    /// (default: 7 days before --until).
    #[arg(long, value_name = "T", value_parser = time_arg, allow_hyphen_values = true)]
    pub since: Option<i64>,
    /// End of the period, not included (default: now).
    #[arg(long, value_name = "T", value_parser = time_arg, allow_hyphen_values = true)]
    pub until: Option<i64>,
    /// Split the figures by call type, response, zone or unit.
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: Option<GroupBy>,
    /// Output: text for a person, json or csv for tools.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Show times and count hours of the day in UTC rather than local time.
    #[arg(long)]
    pub utc: bool,
}

/// `switchboard export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// csv: one row per call; eido: one NENA EIDO document per incident.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Only calls received from this time: RFC 3339, a date (local midnight) or a time ago.
    #[arg(long, value_name = "T", value_parser = time_arg, allow_hyphen_values = true)]
    pub since: Option<i64>,
    /// Only calls received before this time.
    #[arg(long, value_name = "T", value_parser = time_arg, allow_hyphen_values = true)]
    pub until: Option<i64>,
    /// Only this call.
    #[arg(long, value_name = "ID")]
    pub call: Option<String>,
    /// Who reads it: public (the public-records form: no caller, no house, nothing clinical),
    /// partner (the hand-off form) or audit (everything; the data dir's owner only).
    #[arg(long = "for", value_enum, default_value_t = reader::Reader::Public, value_name = "READER")]
    pub reader: reader::Reader,
}

/// The period of `--since`/`--until`, with the defaults: the 7 days before now.
pub fn period(since: Option<i64>, until: Option<i64>, now_ms: i64) -> Result<Period, String> {
    let until = until.unwrap_or(now_ms);
    let since = since.unwrap_or(until - DEFAULT_DAYS * DAY_MS);
    if since >= until {
        return Err(format!(
            "--since {} is not before --until {}; give an earlier --since",
            rfc3339(since),
            rfc3339(until)
        ));
    }
    Ok(Period::new(since, until))
}

/// The whole log, in fold order.
fn events(desk: &Desk) -> Result<Vec<Event>, String> {
    let mut events = desk.events().map_err(|e| e.to_string())?;
    events.sort_by_key(Event::fold_key);
    Ok(events)
}

fn print(text: &str) {
    // A closed pipe (`| head`) is not worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// `switchboard report`: the figures of a period. Attached to a serving desk, the desk reads
/// them there ([`tally::Tally`], in steps) and sends them back.
pub fn report(desk: &Desk, args: &ReportArgs) -> Result<ExitCode, String> {
    print(&written(desk, args)?);
    Ok(ExitCode::SUCCESS)
}

/// The period `args` asks for, as of `now`.
pub fn asked_period(args: &ReportArgs, now_ms: i64) -> Result<Period, String> {
    let period = period(args.since, args.until, now_ms)?;
    Ok(if args.utc {
        period
    } else {
        period.in_local_hours()
    })
}

/// The report `args` asks for, read from this desk's store.
fn written(desk: &Desk, args: &ReportArgs) -> Result<String, String> {
    let now = desk.now_ms();
    let period = asked_period(args, now)?;
    let metrics = desk.figures(period, args.by).map_err(|e| e.to_string())?;
    Ok(write(&metrics, args.format, now))
}

/// The report of `metrics` as of `now_ms`, in `format`.
pub fn write(metrics: &metrics::Metrics, format: ReportFormat, now_ms: i64) -> String {
    let summary = metrics.summary(now_ms);
    let handed = metrics.handoffs();
    match format {
        // Text from the log never drives the terminal: control characters are shown escaped
        // (JSON escapes them itself).
        ReportFormat::Text => {
            crate::domain::text::escape(&(table::text(&summary) + &handoffs::text(&handed)))
                .into_owned()
        }
        ReportFormat::Json => {
            let figures = table::json(&summary);
            match serde_json::from_str::<serde_json::Value>(&figures) {
                Ok(mut v) if v.is_object() => {
                    v["handoffs"] = handoffs::json(&handed);
                    serde_json::to_string_pretty(&v).unwrap_or(figures) + "\n"
                }
                _ => figures,
            }
        }
        // CSV is one table of the figures; the hand-offs are in the text and JSON reports.
        ReportFormat::Csv => crate::domain::text::escape(&table::csv(&summary)).into_owned(),
    }
}

/// `switchboard export`: the period's calls (all calls without `--since`/`--until`).
pub fn export(desk: &Desk, args: &ExportArgs) -> Result<ExitCode, String> {
    // A full id, or the digits it ends with, as every command that names a call takes.
    let call: Option<CallId> = args
        .call
        .as_deref()
        .map(|typed| {
            crate::domain::planning::call_id_named(desk.state(), typed).map_err(|e| e.to_string())
        })
        .transpose()?;
    let since = args.since.unwrap_or(i64::MIN / 4);
    let until = args.until.unwrap_or(i64::MAX / 4);
    if since >= until {
        return Err(format!(
            "--since {} is not before --until {}; give an earlier --since",
            rfc3339(since),
            rfc3339(until)
        ));
    }
    // Backup calls are incidents of their own in EIDO, and columns of their asker's row in
    // the CSV: when there are any, the two exports' counts differ, so say why.
    let backups = desk
        .state()
        .calls
        .values()
        .filter(|c| c.backup_for.is_some())
        .filter(|c| match &call {
            Some(id) => &c.id == id,
            None => (since..until).contains(&c.received_ms),
        })
        .count();
    match args.format {
        ExportFormat::Csv => {
            let metrics = desk
                .figures(Period::new(since, until), None)
                .map_err(|e| e.to_string())?;
            let mut calls = metrics.calls();
            if let Some(id) = &call {
                calls.retain(|c| &c.id == id);
            }
            print(&export_csv::csv_for(&calls, desk.state(), args.reader));
            if backups > 0 {
                eprintln!(
                    "switchboard: {} calls; {backups} backup call{} counted in the \
                     backup_requested column of the call that asked (an EIDO export has a \
                     document for each)",
                    calls.len(),
                    if backups == 1 { " is" } else { "s are" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ExportFormat::Eido => {
            let documents = eido::export::export_for(
                &events(desk)?,
                desk.state(),
                call.as_ref(),
                (args.since, args.until),
                args.reader,
            )?;
            // JSON Lines: one whole document per line, so one call's export is also a file
            // `import eido` reads.
            let mut out = String::new();
            for d in &documents {
                out.push_str(&d.to_string());
                out.push('\n');
            }
            print(&out);
            if backups > 0 {
                eprintln!(
                    "switchboard: {} EIDO documents: {} calls and {backups} backup call{} \
                     (an incident of its own here; the CSV export and the report count {} in \
                     the call that asked)",
                    documents.len(),
                    documents.len().saturating_sub(backups),
                    if backups == 1 { "" } else { "s" },
                    if backups == 1 { "it" } else { "them" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_people_type_them() {
        let now = 1_795_773_600_000;
        assert_eq!(parse_time("now", now), Ok(now));
        assert_eq!(parse_time("7d", now), Ok(now - 7 * DAY_MS));
        assert_eq!(parse_time("24h", now), Ok(now - DAY_MS));
        assert_eq!(parse_time("90m", now), Ok(now - 90 * MINUTE_MS));
        assert_eq!(parse_time("2w", now), Ok(now - 14 * DAY_MS));
        assert_eq!(
            parse_time("2026-11-26T06:40:00Z", now),
            Ok(1_795_651_200_000 + 6 * 3_600_000 + 40 * MINUTE_MS)
        );
        assert_eq!(
            parse_time("2026-11-26T08:40:00+02:00", now),
            parse_time("2026-11-26T06:40:00Z", now)
        );
        assert!(parse_time("2026-11-26", now).is_ok());
        for bad in ["yesterday", "7x", "d", "-7d", "2026-13-01", "", "7 d"] {
            let e = parse_time(bad, now).unwrap_err();
            assert!(e.starts_with("cannot read"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_default_period_is_the_last_week() {
        let p = period(None, None, 10 * DAY_MS).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!((p.since_ms, p.until_ms), (3 * DAY_MS, 10 * DAY_MS));
        assert!(period(Some(5), Some(5), 0).is_err());
    }
}
