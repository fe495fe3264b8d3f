//! Details of the selected call: caller, location, nature, units with their times, notes and the
//! call's chronology. The triage questions will take the top of this pane.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::console::app::App;
use crate::console::theme::Theme;
use crate::domain::Call;

use super::{age, hhmm, pane, trim};

pub struct DetailsView<'a> {
    app: &'a App,
    now_ms: i64,
}

impl<'a> DetailsView<'a> {
    pub fn new(app: &'a App, now_ms: i64) -> Self {
        DetailsView { app, now_ms }
    }
}

fn field<'a>(label: &'a str, value: String, theme: &Theme, style: Style) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<5}"), theme.details_label),
        Span::styled(value, style),
    ])
}

impl Widget for DetailsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        let Some(call) = app.shown_call() else {
            let block = pane(" Call ".into(), false, theme, ascii);
            let inner = block.inner(area);
            block.render(area, buf);
            Paragraph::new(Line::styled("No call selected.", theme.notice)).render(inner, buf);
            return;
        };
        let kind = call
            .call_type
            .map_or_else(|| "no type".to_owned(), |t| format!("{t} ({})", t.apco()));
        let block = pane(
            format!(" {} P{} {kind} ", call.id, call.priority),
            false,
            theme,
            ascii,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        if app.ui.triage.is_some() {
            // While triaging, the questions take the whole pane, each in full; the question in
            // focus stays in view.
            let focus = app.ui.triage.unwrap_or(0);
            // Cautions come before the first question.
            let mut rows: Vec<Line> = caution_banner(app, call)
                .iter()
                .flat_map(|l| super::wrap_line(l, width))
                .collect();
            let mut focus_end = 0;
            for (i, l) in triage_lines(app, call).into_iter().enumerate() {
                rows.extend(super::wrap_line(&l, width));
                // Line 0 is the response; questions follow.
                if i == focus + 1 {
                    focus_end = rows.len();
                }
            }
            let skip = focus_end.saturating_sub(inner.height as usize);
            Paragraph::new(rows.into_iter().skip(skip).collect::<Vec<_>>()).render(inner, buf);
            return;
        }
        let (lines, notes) = call_lines(app, call, self.now_ms, false);
        // The lines above take the rows they wrap to; the chronology fills what is left with
        // its newest entries, newest last, and says how many older ones are out of view.
        let mut rows: Vec<Line> = lines
            .into_iter()
            .flat_map(|l| super::wrap_line(&l, width))
            .collect();
        let height = inner.height as usize;
        let chronology = app.chronology();
        // The chronology keeps at least a heading and its newest entry's first rows.
        let reserve = if chronology.is_empty() { 0 } else { 3 };
        let note_rows: Vec<Vec<Line>> = notes
            .into_iter()
            .map(|l| super::wrap_line(&l, width))
            .collect();
        let mut note_room = height.saturating_sub(rows.len() + reserve);
        let mut kept: Vec<Vec<Line>> = Vec::new();
        for note in note_rows.into_iter().rev() {
            if note.len() > note_room {
                break;
            }
            note_room -= note.len();
            kept.push(note);
        }
        rows.extend(kept.into_iter().rev().flatten());
        let room = height.saturating_sub(rows.len());
        if room > 0 && !chronology.is_empty() {
            let mut newest: Vec<Vec<Line>> = Vec::new();
            let mut used = 0;
            for e in chronology.iter().rev() {
                let (text, style) = entry_text(app, e);
                let entry = super::wrap_line(&Line::styled(text, style), width);
                // One row goes to the heading while older entries stay hidden.
                let heading = usize::from(newest.len() + 1 < chronology.len());
                if used + entry.len() + heading > room {
                    if newest.is_empty() {
                        // Not even the newest fits whole: its first rows, cut visibly.
                        let keep = room.saturating_sub(heading).max(1);
                        let cut = entry.len() > keep;
                        let mut entry = entry;
                        entry.truncate(keep);
                        if let Some(last) = entry.last_mut().filter(|_| cut) {
                            let shown = trim(&format!("{last}…"), width, ascii);
                            *last = Line::styled(shown, style);
                        }
                        used += entry.len();
                        newest.push(entry);
                    }
                    break;
                }
                used += entry.len();
                newest.push(entry);
            }
            let hidden = chronology.len() - newest.len();
            if hidden > 0 && used < room {
                rows.push(Line::styled(
                    trim(
                        &format!("Chronology: {hidden} older{}", shows_all(app)),
                        width,
                        ascii,
                    ),
                    theme.details_label,
                ));
            } else if hidden == 0 && used < room {
                rows.push(Line::styled("Chronology", theme.details_label));
            }
            rows.extend(newest.into_iter().rev().flatten());
        } else if !chronology.is_empty() {
            // No room left for any of it: a row says so, and the one below counts it as more.
            rows.push(Line::styled(
                trim(
                    &format!(
                        "Chronology: {} not shown{}",
                        chronology.len(),
                        shows_all(app)
                    ),
                    width,
                    ascii,
                ),
                theme.details_label,
            ));
        }
        if rows.len() > height && height > 1 {
            // Never cut silently: the last row says how much more there is.
            let more = rows.len() - height + 1;
            rows.truncate(height - 1);
            rows.push(Line::styled(
                trim(
                    &format!(
                        "{} {more} more rows below{}",
                        if ascii { "v" } else { "↓" },
                        shows_all(app)
                    ),
                    width,
                    ascii,
                ),
                theme.details_label,
            ));
        }
        Paragraph::new(rows).render(inner, buf);
    }
}

/// What to press to see the whole call, for a pane that had to leave some of it out.
fn shows_all(app: &App) -> String {
    super::key_for(app, "details").map_or_else(
        || ", `details` shows all".to_owned(),
        |k| format!(", {k} shows all"),
    )
}

/// The selected call whole, over the panes (`details`): every line the pane has, every note and
/// the whole chronology, oldest first, at the full width; Up/Down and PageUp/PageDown scroll it.
pub struct WholeCallView<'a> {
    app: &'a App,
    now_ms: i64,
}

impl<'a> WholeCallView<'a> {
    pub fn new(app: &'a App, now_ms: i64) -> Self {
        WholeCallView { app, now_ms }
    }
}

impl Widget for WholeCallView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        ratatui::widgets::Clear.render(area, buf);
        let Some(call) = app.shown_call() else {
            let block = super::overlay(" Call — Esc closes ".into(), theme, ascii);
            let inner = block.inner(area);
            block.render(area, buf);
            Paragraph::new(Line::styled("No call selected.", theme.notice)).render(inner, buf);
            return;
        };
        let kind = call
            .call_type
            .map_or_else(|| "no type".to_owned(), |t| format!("{t} ({})", t.apco()));
        let block = super::overlay(
            format!(
                " {} P{} {kind}, whole — Up/Down scroll, Esc closes ",
                call.id, call.priority
            ),
            theme,
            ascii,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        // Plain notes are in the chronology, each as `note: …`; cautions stay on top.
        let (lines, _) = call_lines(app, call, self.now_ms, true);
        let mut rows: Vec<Line> = lines
            .iter()
            .flat_map(|l| super::wrap_line(l, width))
            .collect();
        let chronology = app.chronology();
        if !chronology.is_empty() {
            rows.push(Line::styled(
                format!("Chronology, {} entries, oldest first", chronology.len()),
                theme.details_label,
            ));
        }
        for e in chronology {
            let (text, style) = entry_text(app, e);
            rows.extend(super::wrap_line(&Line::styled(text, style), width));
        }
        let height = inner.height as usize;
        let total = rows.len();
        // Scrolled as far as the last row at the bottom, under a row saying what is above.
        let max = if total > height {
            total + 1 - height
        } else {
            0
        };
        app.ui
            .details_max
            .set(u16::try_from(max).unwrap_or(u16::MAX));
        let top = usize::from(app.ui.details_scroll).min(max);
        let mut shown: Vec<Line> = Vec::new();
        let mut avail = height;
        if top > 0 && height > 2 {
            shown.push(Line::styled(
                format!(" {} {top} more rows above", if ascii { "^" } else { "↑" }),
                theme.details_label,
            ));
            avail -= 1;
        }
        let below = total.saturating_sub(top + avail);
        if below > 0 && avail > 1 {
            avail -= 1;
        }
        shown.extend(rows.into_iter().skip(top).take(avail));
        let below = total.saturating_sub(top + avail);
        if below > 0 {
            shown.push(Line::styled(
                format!(" {} {below} more rows below", if ascii { "v" } else { "↓" }),
                theme.details_label,
            ));
        }
        Paragraph::new(shown).render(inner, buf);
    }
}

/// One chronology entry as the pane shows it: what did not stand (a concurrent edit or dispatch
/// lost) stays, marked; an event stamped by a clock that was off says so, and from when it counts.
fn entry_text(app: &App, e: &crate::domain::Event) -> (String, Style) {
    let theme = &app.theme;
    let lost = app.state().lost(e.origin, e.seq).is_some();
    let skewed = app
        .state()
        .known()
        .get(e.origin, e.seq)
        .map_or_else(String::new, |k| {
            let mark = crate::domain::known::mark(e.origin, k, |ms| hhmm(app, ms));
            format!(" ({mark})")
        });
    let text = format!(
        "{}{} {} {}{skewed}",
        if lost { "✗ " } else { "" },
        hhmm(app, e.wall_ms),
        e.author(),
        e.body.describe()
    );
    let style = if lost {
        theme.details_alert
    } else {
        theme.details_chronology
    };
    (text, style)
}

/// Everything the pane says about `call` above its chronology, and its plain notes (which the
/// pane shows while they leave the chronology room): each line whole, to be wrapped. `whole`:
/// everything heard on the call in a training run, not the last few lines.
fn call_lines<'a>(
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
fn caution_banner<'a>(app: &App, call: &Call) -> Option<Line<'a>> {
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

/// The recommendation with the rule that decided, and the answers so far: one line per
/// question only while triaging, a compact line otherwise (rows are scarce at 80×24).
fn triage_lines<'a>(app: &'a App, call: &'a Call) -> Vec<Line<'a>> {
    let theme = &app.theme;
    let protocol = &app.desk.policy().protocol;
    let mut lines = Vec::new();
    let recommended = call
        .recommendation
        .clone()
        .unwrap_or_else(|| crate::domain::recommend::recommendation(app.state(), call, protocol));
    let response = match call.response {
        Some(r) if r != recommended.response => {
            format!(
                "{r} (overrides {}: {})",
                recommended.response,
                call.override_reason.as_deref().unwrap_or("")
            )
        }
        Some(r) => format!("{r} (accepted)"),
        None => format!("{} ({})", recommended.response, recommended.rule),
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<5}", "Resp"), theme.details_label),
        Span::styled(response, theme.details_alert),
    ]));
    let focus = app
        .ui
        .triage
        .filter(|_| app.selected_call().is_some_and(|c| c.id == call.id));
    if let Some(at) = focus {
        // A weapon caution stands for the weapon answer until one is given.
        let cautioned =
            crate::domain::recommend::weapon_caution_counts(app.state(), call, protocol).is_some();
        for (i, q) in protocol.questions.iter().enumerate() {
            let answer = call.answers.get(&q.id).map_or("-", String::as_str);
            let marker = if i == at { ">" } else { " " };
            let mut text = format!("{marker}[{}] {:<8} {}", q.key, answer, q.text);
            if cautioned && q.id == crate::domain::triage::WEAPON_QUESTION {
                text.push_str(" (caution: counts as yes)");
            }
            // A choice question lists its answers by the digit that picks each.
            if let crate::domain::triage::AnswerKind::Choice(choices) = &q.kind {
                let keys: Vec<String> = choices
                    .iter()
                    .enumerate()
                    .map(|(n, c)| format!("{} {c}", n + 1))
                    .collect();
                text = format!("{text} ({})", keys.join(", "));
            }
            let style = if i == at {
                theme.form_field_focused
            } else {
                theme.form_field
            };
            lines.push(Line::styled(text, style));
        }
        lines.push(Line::styled(
            format!("  why: {}", recommended.reason),
            theme.details_chronology,
        ));
    } else if !protocol.questions.is_empty() {
        let answers: Vec<String> = protocol
            .questions
            .iter()
            .map(|q| {
                let mark = match call.answers.get(&q.id).map(String::as_str) {
                    Some("yes") => "+",
                    Some("no") => "-",
                    Some("unknown") => "?",
                    // A choice shows what was chosen: `l=vehicle`.
                    Some(choice) => return format!("{}={choice}", q.key),
                    None => ".",
                };
                format!("{}{mark}", q.key)
            })
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<5}", "Tri"), theme.details_label),
            Span::styled(answers.join(" "), theme.details_value),
        ]));
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
    let earlier: Vec<&Call> = history
        .calls
        .iter()
        .filter_map(|id| id.parse().ok().and_then(|id| state.calls.get(&id)))
        .collect();
    let mut lines = Vec::new();
    if earlier.is_empty() {
        return lines;
    }
    let mut parts: Vec<String> = earlier
        .iter()
        .take(NAMED)
        .map(|c| {
            let ended = c.disposition.map_or_else(
                || format!("open, {}", c.state_word()),
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
    for c in &earlier {
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

/// The response plan, one line per slot still to fill (the unit that goes, or that none is
/// free), while the call waits or is worked short of its plan; a response that sends nobody
/// says so while the call waits.
fn recommendation_lines<'a>(app: &'a App, call: &'a Call, now_ms: i64) -> Vec<Line<'a>> {
    let theme = &app.theme;
    let protocol = &app.desk.policy().protocol;
    let response = call.response_type().unwrap_or_else(|| {
        crate::domain::recommend::recommendation(app.state(), call, protocol).response
    });
    let plan = crate::domain::recommend::response_plan(app.state(), call, response, now_ms);
    let pending = call.status == crate::domain::CallStatus::Pending;
    let texts: Vec<String> = if plan.sends_nobody() {
        if pending {
            vec![format!("no unit goes ({response})")]
        } else {
            Vec::new()
        }
    } else if pending || (call.active_units().next().is_some() && !plan.is_filled()) {
        plan.slots
            .iter()
            .filter(|s| !matches!(s.fill, crate::domain::recommend::Fill::OnCall(_)))
            .map(crate::domain::recommend::SlotPlan::explain)
            .collect()
    } else {
        Vec::new()
    };
    texts
        .into_iter()
        .map(|text| {
            Line::from(vec![
                Span::styled(format!("{:<5}", "Rec"), theme.details_label),
                Span::styled(text, theme.details_value),
            ])
        })
        .collect()
}

/// In a training run: the last few things said on the call (the caller's own words quoted), and
/// the scenario's hint for it.
fn heard_lines<'a>(app: &'a App, call: &'a Call, whole: bool) -> Vec<Line<'a>> {
    /// The rest of the pane is the call's own; the call shown whole has every line.
    const SHOWN: usize = 3;
    let shown = if whole { usize::MAX } else { SHOWN };
    let theme = &app.theme;
    let Some(training) = &app.training else {
        return Vec::new();
    };
    let heard = training.sim.heard(&call.id);
    let mut lines: Vec<Line<'a>> = heard
        .iter()
        .skip(heard.len().saturating_sub(shown))
        .map(|h| {
            let text = if h.voice == crate::sim::Voice::Caller {
                format!("\"{}\"", h.text)
            } else {
                h.text.clone()
            };
            let who = match &h.asked {
                Some(q) => format!("{} ({q}): ", h.voice.word()),
                None => format!("{}: ", h.voice.word()),
            };
            Line::from(vec![
                Span::styled(who, theme.details_label),
                Span::styled(text, theme.details_value),
            ])
        })
        .collect();
    if let Some(hint) = training.sim.hint(&call.id) {
        lines.push(Line::from(vec![
            Span::styled("Hint: ", theme.details_label),
            Span::styled(hint.to_owned(), theme.details_note),
        ]));
    }
    lines
}
