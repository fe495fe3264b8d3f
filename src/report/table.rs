//! A [`Summary`] for a person (aligned text, at most 80 columns) or for tools: JSON with stable
//! keys, and CSV in long form — one row per group and figure, columns `by,group,figure,value`,
//! where the figure names are the JSON paths (`times.received_to_dispatched.median_s`), so the
//! two say exactly the same thing.

use std::fmt::Write as _;

use chrono::{DateTime, Local, TimeZone};
use serde_json::Value;

use super::export_csv::write_row;
use super::metrics::{Figures, Hours, Safety, Stat, Summary, QUEUE_INTERVAL_MINUTES};
use super::rfc3339;
use crate::domain::ResponseType;
use crate::domain::UnitStatus;

/// Text lines wrap before this column.
const WIDTH: usize = 80;

/// Pretty-printed JSON, ending in a newline.
pub fn json(summary: &Summary) -> String {
    let mut text = serde_json::to_string_pretty(summary).unwrap_or_default();
    text.push('\n');
    text
}

fn leaves(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                leaves(&join(k), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(&join(&i.to_string()), v, out);
            }
        }
        Value::Null => out.push((prefix.to_owned(), String::new())),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// Long-form CSV: `by,group,figure,value`. Totals have `by` = `group` = `all`; `--by` groups
/// have `by` = the grouping; per-unit utilisation and check-ins have `by` = `unit`. Hours of the
/// day are `calls_by_hour.00` … `.23`; the queue's interval peaks are
/// `pending_queue.peaks.<RFC 3339 time>`. An empty value is a figure with nothing to measure (a
/// median of no calls).
pub fn csv(summary: &Summary) -> String {
    let mut out = String::new();
    write_row(&mut out, &["by", "group", "figure", "value"]);
    let mut row = |by: &str, group: &str, prefix: &str, value: &Value| {
        let mut cells = Vec::new();
        leaves(prefix, value, &mut cells);
        for (figure, v) in cells {
            write_row(&mut out, &[by, group, &figure, &v]);
        }
    };
    row("all", "all", "period", &to_value(&summary.period));
    row("all", "all", "events", &Value::from(summary.events));
    row("all", "all", "", &to_value(&summary.total));
    row("all", "all", "safety", &to_value(&summary.safety));
    for (hour, n) in summary.calls_by_hour.iter().enumerate() {
        row(
            "all",
            "all",
            &format!("calls_by_hour.{hour:02}"),
            &Value::from(*n),
        );
    }
    let q = &summary.pending_queue;
    row(
        "all",
        "all",
        "pending_queue.every_minutes",
        &Value::from(q.every_minutes),
    );
    row("all", "all", "pending_queue.max", &Value::from(q.max));
    row("all", "all", "pending_queue.max_at", &to_value(&q.max_at));
    row("all", "all", "pending_queue.mean", &to_value(&q.mean));
    if let Some(start) = q.start_ms {
        for (i, n) in q.peaks.iter().enumerate() {
            let at = start + i as i64 * QUEUE_INTERVAL_MINUTES * 60_000;
            row(
                "all",
                "all",
                &format!("pending_queue.peaks.{}", rfc3339(at)),
                &Value::from(*n),
            );
        }
    }
    if let Some(by) = summary.by {
        for (group, figures) in &summary.groups {
            row(by.word(), group, "", &to_value(figures));
        }
    }
    for (unit, figures) in &summary.units {
        row("unit", unit, "", &to_value(figures));
    }
    out
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// `h:mm:ss`, or `m:ss` under an hour; `-` for nothing.
fn duration(seconds: Option<f64>) -> String {
    let Some(s) = seconds else {
        return "-".to_owned();
    };
    let s = s.round() as i64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |s| format!("{:.1}%", s * 100.0))
}

fn clock(ms: i64, hours: Hours) -> String {
    match hours {
        Hours::Utc => DateTime::from_timestamp_millis(ms).map_or_else(
            || ms.to_string(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
        Hours::Local => Local.timestamp_millis_opt(ms).single().map_or_else(
            || ms.to_string(),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        ),
    }
}

/// `label` then the items, comma-separated, wrapped under the first item.
fn list(out: &mut String, label: &str, items: &[String]) {
    let indent = label.chars().count();
    let mut line = label.to_owned();
    let mut width = indent;
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item}, ")
        } else {
            item.clone()
        };
        let n = piece.chars().count();
        if width + n > WIDTH && width > indent {
            let _ = writeln!(out, "{}", line.trim_end());
            line = " ".repeat(indent);
            width = indent;
        }
        line.push_str(&piece);
        width += n;
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

fn stat_line(out: &mut String, name: &str, s: &Stat) {
    let _ = writeln!(
        out,
        "  {name:<24}{:>9}{:>9}{:>8}{:>10}",
        duration(s.median_s),
        duration(s.p90_s),
        s.count,
        s.excluded
    );
}

fn figures_text(out: &mut String, fig: &Figures) {
    let calls = &fig.calls;
    let _ = writeln!(
        out,
        "Calls received {}: {} closed, {} still open",
        calls.received, calls.closed, calls.open
    );
    let resp = &fig.response;
    let _ = writeln!(out, "  with a response or unit {:>7}", resp.with_response);
    let _ = writeln!(out, "  a unit dispatched       {:>7}", resp.handled);
    let _ = writeln!(
        out,
        "  community team sent     {:>7}  diversion rate {}",
        resp.community_team,
        percent(resp.diversion_rate)
    );
    let _ = writeln!(
        out,
        "    alone / with police   {:>7} / {}",
        resp.community_alone, resp.co_response
    );
    let by_response: Vec<String> = resp
        .by_response
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    list(out, "  by response: ", &by_response);
    plans_text(out, fig);
    let backup = &fig.backup;
    let _ = writeln!(
        out,
        "  backup requests         {:>7}  {} of calls handled",
        backup.requests,
        percent(backup.rate_per_handled_call)
    );
    let _ = writeln!(
        out,
        "    police / ems / fire   {:>7} / {} / {}",
        backup.police, backup.ems, backup.fire
    );
    let unserved = &fig.unserved;
    let _ = writeln!(
        out,
        "Eligible for a community team {}: {} not served, {} served late",
        unserved.eligible, unserved.not_served, unserved.served_late
    );
    let mut reasons: Vec<String> = unserved
        .by_reason
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    reasons.push(format!("no reason recorded {}", unserved.unrecorded));
    list(out, "  not served: ", &reasons);
    let times = &fig.times;
    let _ = writeln!(
        out,
        "Times                       median      p90   calls  excluded"
    );
    stat_line(out, "received -> triaged", &times.received_to_triaged);
    stat_line(out, "received -> dispatched", &times.received_to_dispatched);
    stat_line(out, "dispatched -> en route", &times.dispatched_to_en_route);
    stat_line(out, "dispatched -> on scene", &times.dispatched_to_on_scene);
    stat_line(out, "on scene -> clear", &times.on_scene_to_clear);
    stat_line(out, "whole call", &times.received_to_closed);
    let _ = writeln!(
        out,
        "  first unit cleared without arriving: {}",
        times.cleared_without_arrival
    );
    let closed = calls.closed.max(1) as f64;
    let dispositions: Vec<String> = fig
        .dispositions
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n} ({:.0}%)", *n as f64 * 100.0 / closed))
        .collect();
    if dispositions.is_empty() {
        let _ = writeln!(out, "Dispositions: none yet");
    } else {
        list(out, "Dispositions: ", &dispositions);
    }
    let repeats = &fig.repeats;
    let _ = writeln!(
        out,
        "Repeats: {} addresses with 2+ calls ({} calls), {} callers ({} calls)",
        repeats.addresses, repeats.address_calls, repeats.callers, repeats.caller_calls
    );
    let _ = writeln!(
        out,
        "Holds: {} calls put on hold ({} holds)",
        fig.holds.calls_held, fig.holds.holds
    );
    let _ = writeln!(
        out,
        "Corrections: {} units disregarded, {} statuses taken back, {} duplicates merged",
        fig.corrections.units_disregarded,
        fig.corrections.statuses_corrected,
        fig.corrections.duplicates_merged
    );
}

/// Units sent per response plan: one row per response the calls were worked as.
fn plans_text(out: &mut String, fig: &Figures) {
    let _ = writeln!(
        out,
        "  Units sent per plan                calls  in full    short  none sent  units"
    );
    for (response, p) in &fig.plans {
        // A response that sends nobody, and untriaged calls, have no plan to fill.
        let has_plan = response
            .parse::<ResponseType>()
            .is_ok_and(|r| !r.slots().is_empty());
        let counts = |n: u64| {
            if has_plan {
                n.to_string()
            } else {
                "-".to_owned()
            }
        };
        let _ = writeln!(
            out,
            "    {:<31}{:>6}{:>9}{:>9}{:>11}{:>7}",
            short_name(response, 30),
            p.calls,
            counts(p.in_full),
            counts(p.short),
            counts(p.none_sent),
            p.units_sent
        );
        if !p.short_of.is_empty() {
            let short: Vec<String> = p.short_of.iter().map(|(k, n)| format!("{k} {n}")).collect();
            list(out, "      short of: ", &short);
        }
    }
}

fn short_name(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        name.to_owned()
    } else {
        let mut s: String = name.chars().take(width - 1).collect();
        s.push('~');
        s
    }
}

fn safety_text(s: &Safety) -> String {
    format!(
        "{} on time, {} late ({} on time)\n  {:.0} min overdue, {} escalated, {} late now",
        s.on_time,
        s.late,
        percent(s.on_time_share),
        s.overdue_minutes,
        s.escalations,
        s.overdue_now
    )
}

/// The summary for a person: every figure of the period, then groups, units and the queue.
pub fn text(summary: &Summary) -> String {
    let mut out = String::new();
    let p = &summary.period;
    let zone = match p.hours {
        Hours::Utc => "UTC",
        Hours::Local => "local time",
    };
    let _ = writeln!(
        out,
        "Program figures {} to {}{}",
        clock(p.since_ms, p.hours),
        clock(p.until_ms, p.hours),
        if p.hours == Hours::Local {
            " (local time)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "as of {}; calls count by the time they were received",
        clock(p.as_of_ms, p.hours)
    );
    let _ = writeln!(out);
    figures_text(&mut out, &summary.total);

    if let Some(by) = summary.by {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<16}{:>6}{:>6}{:>8}{:>7}{:>10}{:>10}{:>11}",
            format!("By {by}"),
            "calls",
            "open",
            "divert",
            "backup",
            "dispatch",
            "arrive",
            "whole call"
        );
        let _ = writeln!(
            out,
            "{:<16}{:>6}{:>6}{:>8}{:>7}{:>10}{:>10}{:>11}",
            "", "", "", "", "", "median", "median", "median"
        );
        for (group, f) in &summary.groups {
            let t = &f.times;
            let _ = writeln!(
                out,
                "{:<16}{:>6}{:>6}{:>8}{:>7}{:>10}{:>10}{:>11}",
                short_name(group, 15),
                f.calls.received,
                f.calls.open,
                percent(f.response.diversion_rate),
                f.backup.requests,
                duration(t.received_to_dispatched.median_s),
                duration(t.dispatched_to_on_scene.median_s),
                duration(t.received_to_closed.median_s)
            );
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "Safety check-ins: {}", safety_text(&summary.safety));
    if summary.safety.judged_by_config > 0 {
        let _ = writeln!(
            out,
            "  {} judged by this machine's config.toml: the log records no limits for them",
            summary.safety.judged_by_config
        );
    }
    if !summary.units.is_empty() {
        let _ = writeln!(out);
        let mut head = format!("{:<12}{:>7}", "Unit time", "hours");
        for s in UnitStatus::ALL {
            let _ = write!(head, "{:>7}", s.word());
        }
        let _ = writeln!(out, "{head}");
        for (unit, u) in &summary.units {
            let mut line = format!(
                "{:<12}{:>7.1}",
                short_name(unit, 11),
                u.on_roster_s / 3600.0
            );
            for s in UnitStatus::ALL {
                let share = u.status_share.get(s.word()).copied().flatten();
                let _ = write!(line, "{:>7}", percent(share));
            }
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<12}{:>8}{:>6}{:>9}{:>13}{:>11}{:>10}",
            "Check-ins", "on time", "late", "on time", "overdue min", "escalated", "late now"
        );
        for (unit, u) in &summary.units {
            let s = &u.safety;
            let _ = writeln!(
                out,
                "{:<12}{:>8}{:>6}{:>9}{:>13.0}{:>11}{:>10}",
                short_name(unit, 11),
                s.on_time,
                s.late,
                percent(s.on_time_share),
                s.overdue_minutes,
                s.escalations,
                s.overdue_now
            );
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "Calls by hour of day ({zone})");
    for (row, counts) in summary.calls_by_hour.chunks(12).enumerate() {
        let mut hours = "  hour ".to_owned();
        let mut calls = "  calls".to_owned();
        for (i, n) in counts.iter().enumerate() {
            let _ = write!(hours, "{:>5}", format!("{:02}", row * 12 + i));
            let _ = write!(calls, "{n:>5}");
        }
        let _ = writeln!(out, "{hours}\n{calls}");
    }
    let q = &summary.pending_queue;
    match (q.start_ms, q.mean) {
        (Some(start), Some(mean)) => {
            let peak = q.max_at_ms.map_or_else(String::new, |t| {
                format!(" (first at {})", clock(t, p.hours))
            });
            let _ = writeln!(
                out,
                "Pending queue from {}\n  at most {} at once{peak}, {mean:.2} on average",
                clock(start, p.hours),
                q.max,
            );
        }
        _ => {
            let _ = writeln!(out, "Pending queue: nothing in the period yet");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_clock_times() {
        assert_eq!(duration(None), "-");
        assert_eq!(duration(Some(59.4)), "0:59");
        assert_eq!(duration(Some(600.0)), "10:00");
        assert_eq!(duration(Some(3725.0)), "1:02:05");
    }

    #[test]
    fn lists_wrap_before_eighty_columns() {
        let items: Vec<String> = (0..40).map(|i| format!("item-{i} {i}")).collect();
        let mut out = String::new();
        list(&mut out, "  label: ", &items);
        assert!(out.lines().count() > 1);
        assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
    }
}
