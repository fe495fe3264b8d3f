//! What the details pane says of the call itself: its fields, the cautions that bear on it, its
//! location and how sure that is, and the earlier calls at its address.

use ratatui::text::{Line, Span};

use super::field;
use super::triage::{heard_lines, recommendation_lines, triage_lines};
use crate::console::app::App;
use crate::console::theme::Theme;
use crate::console::view::{age, hhmm};
use crate::domain::Call;

/// Everything the pane says about `call` above its chronology, and its plain notes (which the
/// pane shows while they leave the chronology room): each line whole, to be wrapped. `whole`:
/// everything heard on the call in a training run, not the last few lines.
pub(super) fn call_lines<'a>(
    app: &'a App,
    call: &'a Call,
    now_ms: i64,
    whole: bool,
) -> (Vec<Line<'a>>, Vec<Line<'a>>) {
    let theme = &app.theme;
    let value = theme.details_value;
    let mut lines: Vec<Line<'a>> = caution_banner(app, call).into_iter().collect();
    lines.extend(location_lines(call, theme));
    lines.push(field("Nat", call.nature.clone(), theme, value));
    let caller = match (&call.caller, &call.callback) {
        (None, None) => "-".to_owned(),
        (name, cb) => format!(
            "{}{}",
            name.as_deref().unwrap_or("unknown"),
            cb.as_ref()
                .map_or_else(String::new, |c| format!("  cb {c}"))
        ),
    };
    if app.training.is_none() || caller != "-" {
        lines.push(field("Clr", caller, theme, value));
    }
    if let Some(names) = &call.restricted {
        let number = crate::domain::planning::short_name(app.state(), &call.id);
        let how = if app.desk.may_read(call) {
            "opened here (recorded)".to_owned()
        } else if crate::domain::restrict::names(call, app.desk.operator()) {
            format!("`view {number}` opens it (recorded)")
        } else {
            "not for this operator".to_owned()
        };
        lines.push(field(
            "Rstr",
            format!("{}; {how}", names.join(", ")),
            theme,
            theme.details_alert,
        ));
    }
    lines.push(field(
        "Rcvd",
        format!(
            "{} ({} ago) {}",
            hhmm(app, call.received_ms),
            age(now_ms - app.state().call_since(call)),
            call.state_word()
        ),
        theme,
        value,
    ));
    if let Some(hold) = &call.hold {
        // The next dispatcher reads why nobody went yet, and until when that holds.
        let over = now_ms >= hold.until_ms;
        lines.push(field(
            "Hold",
            format!(
                "{} {}: {}",
                if over { "was due back at" } else { "until" },
                hhmm(app, hold.until_ms),
                hold.reason
            ),
            theme,
            if over { theme.details_alert } else { value },
        ));
    }
    // Handed to another agency: the first thing to know about it.
    if let Some((parent, agency)) = &call.backup_for {
        lines.push(field(
            "For",
            format!("{agency} backup for {parent}"),
            theme,
            theme.details_alert,
        ));
        // Handed over: whether the other agency has said it has it.
        let (text, style) = match &call.confirmed {
            Some(c) => (
                format!(
                    "confirmed {}{}",
                    hhmm(app, c.at_ms),
                    c.by.as_ref()
                        .map_or_else(String::new, |b| format!(" by {b}"))
                ),
                value,
            ),
            None => (
                format!(
                    "handed to {agency} {}, not confirmed: confirm {} [who] when they answer",
                    hhmm(app, call.received_ms),
                    call.id
                ),
                theme.details_alert,
            ),
        };
        lines.push(field("Hndd", text, theme, style));
    }
    // Before anyone is sent: this may be a call already being worked.
    let dups = crate::domain::duplicates::possible_duplicates(app.state(), call);
    if let Some((earlier, why)) = dups.first() {
        let more = match dups.len() {
            1 => String::new(),
            n => format!(" (+{} more)", n - 1),
        };
        lines.push(field(
            "Dup?",
            format!("{earlier}{more} {why}"),
            theme,
            theme.details_alert,
        ));
    }
    lines.extend(heard_lines(app, call, whole));
    lines.extend(triage_lines(app, call));
    // Who would go comes before what happened here before: it decides the next key.
    if call.is_open() {
        lines.extend(recommendation_lines(app, call, now_ms));
    }
    lines.extend(history_lines(app, call));
    for a in &call.assignments {
        let mut times = format!("D{}", hhmm(app, a.dispatched_ms));
        for (mark, t) in [
            ("E", a.en_route_ms),
            ("O", a.on_scene_ms),
            ("T", a.transporting_ms),
            ("F", a.at_facility_ms),
            ("C", a.cleared_ms),
        ] {
            if let Some(t) = t {
                times = format!("{times} {mark}{}", hhmm(app, t));
            }
        }
        let status = if a.is_active() {
            a.status.word()
        } else {
            "clr"
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<5}", "Unit"), theme.details_label),
            Span::styled(format!("{:<8} ", a.unit), value),
            Span::styled(format!("{status:<4}"), theme.unit_status(a.status)),
            Span::styled(times, theme.details_chronology),
        ]));
    }
    // The hand-off ledger: where each transfer in or out stands.
    for h in &call.handoffs {
        let way = h.direction.preposition();
        let stage = call.handoff_stage(h);
        let why = h
            .detail
            .as_ref()
            .map_or_else(String::new, |d| format!(": {d}"));
        let style = if stage == crate::domain::Stage::Received {
            theme.details_alert
        } else {
            value
        };
        lines.push(field(
            "Xfer",
            format!(
                "{way} {} {stage}{why} (since {})",
                h.partner,
                hhmm(app, h.history.last().map_or(h.received_ms, |(_, t)| *t))
            ),
            theme,
            style,
        ));
    }
    if !call.links.is_empty() {
        let linked: Vec<String> = call.links.iter().map(ToString::to_string).collect();
        lines.push(field("Link", linked.join(" "), theme, value));
    }
    if let Some(d) = call.disposition {
        lines.push(field("Disp", format!("{d} — {}", d.doc()), theme, value));
    } else if call.awaits_disposition() {
        lines.push(field(
            "Disp",
            "units cleared; close with a disposition".into(),
            theme,
            theme.details_alert,
        ));
    }
    // Cautions always show; plain notes show while they leave the chronology room (they
    // are in it too, each as `note: …`).
    let mut notes: Vec<Line> = Vec::new();
    for note in &call.notes {
        let (text, style) = if note.caution {
            (format!("CAUTION {}", note.text), theme.details_alert)
        } else {
            (note.text.clone(), theme.details_note)
        };
        let line = Line::from(vec![
            Span::styled(format!("{} ", hhmm(app, note.wall_ms)), theme.details_label),
            Span::styled(text, style),
        ]);
        if note.caution {
            // The banner on top names it; the call shown whole has it with its time too.
            if whole {
                lines.push(line);
            }
        } else {
            notes.push(line);
        }
    }
    (lines, notes)
}

/// One line in the alert style naming every caution that bears on the call — its own, and those
/// left on earlier calls at the address or from the caller's number, with where they came from:
/// `CAUTION knife by the door (here, 26-HE0003); dog`.
pub(super) fn caution_banner<'a>(app: &App, call: &Call) -> Option<Line<'a>> {
    use crate::domain::history::CautionFrom;
    let cautions = crate::domain::history::cautions(app.state(), call);
    if cautions.is_empty() {
        return None;
    }
    let parts: Vec<String> = cautions
        .iter()
        .map(|c| match &c.from {
            CautionFrom::ThisCall => c.text.clone(),
            CautionFrom::Address(id) => format!("{} (here, {id})", c.text),
            CautionFrom::Caller(id) => format!("{} (caller, {id})", c.text),
        })
        .collect();
    Some(Line::styled(
        format!("CAUTION {}", parts.join("; ")),
        app.theme.details_alert,
    ))
}

/// The location with how sure the address list is of it; what it was read as, the choices or
/// why not on a line of its own when it is not an exact match.
fn location_lines<'a>(call: &Call, theme: &Theme) -> Vec<Line<'a>> {
    use crate::domain::Placement;
    // The zone decides which teams are near: it follows the address whole.
    let zone = call
        .zone
        .as_deref()
        .map_or_else(String::new, |z| format!(", zone {z}"));
    let Some(placement) = &call.placement else {
        return vec![field(
            "Loc",
            format!("{}{zone}", call.location),
            theme,
            theme.details_value,
        )];
    };
    let mut lines = vec![field(
        "Loc",
        format!("{} [{}]{zone}", call.location, placement.word()),
        theme,
        theme.details_value,
    )];
    let more = match placement {
        Placement::Fuzzy { matched, how } => Some((format!("~ read {how}: {matched}"), false)),
        Placement::Ambiguous { choices } => {
            let letters: Vec<String> = (0..choices.len())
                .map(|n| crate::domain::placement::choice_letter(n).to_string())
                .collect();
            lines.push(field(
                "",
                format!(
                    "? {} places match; pick: place {}",
                    choices.len(),
                    letters.join("|")
                ),
                theme,
                theme.details_alert,
            ));
            for (letter, c) in letters.iter().zip(choices) {
                lines.push(field(
                    "",
                    format!("{letter}) {}", c.label),
                    theme,
                    theme.details_value,
                ));
            }
            None
        }
        Placement::Unplaced { why } => Some((format!("! {why}"), true)),
        _ => None,
    };
    if let Some((text, alert)) = more {
        let style = if alert {
            theme.details_alert
        } else {
            theme.details_note
        };
        lines.push(field("", text, theme, style));
    }
    lines
}

/// Earlier calls at this address, newest first: each with its id, when, and how it ended (or
/// that it is still open); and every caution left there, with its call and date.
fn history_lines<'a>(app: &'a App, call: &'a Call) -> Vec<Line<'a>> {
    /// The calls named; the count says how many more.
    const NAMED: usize = 3;
    let theme = &app.theme;
    let state = app.state();
    let history = crate::domain::history::address_history(state, call);
    let earlier = &history.earlier;
    let mut lines = Vec::new();
    if earlier.is_empty() {
        return lines;
    }
    let mut parts: Vec<String> = earlier
        .iter()
        .take(NAMED)
        .map(|c| {
            let ended = c.disposition.map_or_else(
                || format!("open, {}", c.open.unwrap_or("closed")),
                |d| d.word().to_owned(),
            );
            format!(
                "{} {} {ended}",
                c.id,
                when(app, c.received_ms, call.received_ms)
            )
        })
        .collect();
    if earlier.len() > NAMED {
        parts.push(format!("+{} older", earlier.len() - NAMED));
    }
    let count = if earlier.len() == 1 {
        "1 earlier call here".to_owned()
    } else {
        format!("{} earlier calls here", earlier.len())
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<5}", "Hist"), theme.details_label),
        Span::styled(
            format!("{count}: {}", parts.join("; ")),
            theme.details_value,
        ),
    ]));
    // A call with a caution note is never let go from memory.
    for c in earlier.iter().filter_map(|e| state.calls.get(&e.id)) {
        for note in c.notes.iter().filter(|n| n.caution) {
            lines.push(Line::styled(
                format!(
                    "CAUTION {} ({} {})",
                    note.text,
                    c.id,
                    when(app, note.wall_ms, call.received_ms)
                ),
                theme.details_alert,
            ));
        }
    }
    lines
}

/// A time on the same day as `today_ms` as `14:02`, else its date as `Nov 25 14:02`.
fn when(app: &App, ms: i64, today_ms: i64) -> String {
    use chrono::{TimeZone, Utc};
    let day = |ms: i64| -> Option<chrono::NaiveDate> {
        if app.options.utc {
            Utc.timestamp_millis_opt(ms)
                .single()
                .map(|t| t.date_naive())
        } else {
            chrono::Local
                .timestamp_millis_opt(ms)
                .single()
                .map(|t| t.date_naive())
        }
    };
    match (day(ms), day(today_ms)) {
        (Some(d), Some(t)) if d == t => hhmm(app, ms),
        (Some(d), _) => format!("{} {}", d.format("%b %-d"), hhmm(app, ms)),
        _ => hhmm(app, ms),
    }
}
