//! Details of the selected call: caller, location, nature, units with their times, notes and the
//! call's chronology. The triage questions will take the top of this pane.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

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
        let Some(call) = app.selected_call() else {
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
        let value = theme.details_value;
        if app.ui.triage.is_some() {
            // While triaging, the questions take the whole pane; the queue row keeps the place.
            Paragraph::new(triage_lines(app, call, width)).render(inner, buf);
            return;
        }
        let mut lines = location_lines(call, theme);
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
        lines.push(field(
            "Rcvd",
            format!(
                "{} ({} ago) {}",
                hhmm(app, call.received_ms),
                age(self.now_ms - call.received_ms),
                call.status.word()
            ),
            theme,
            value,
        ));
        lines.extend(heard_lines(app, call));
        lines.extend(triage_lines(app, call, width));
        lines.extend(history_lines(app, call, width));
        if call.is_open() {
            lines.extend(recommendation_lines(app, call, self.now_ms, width));
        }
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
        if let Some((parent, agency)) = &call.backup_for {
            lines.push(field(
                "For",
                format!("{agency} backup for {parent}"),
                theme,
                theme.details_alert,
            ));
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
        for note in &call.notes {
            let (text, style) = if note.caution {
                (format!("CAUTION {}", note.text), theme.details_alert)
            } else {
                (note.text.clone(), theme.details_note)
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", hhmm(app, note.wall_ms)), theme.details_label),
                Span::styled(text, style),
            ]));
        }
        // The chronology fills whatever room is left, newest last.
        let room = (inner.height as usize).saturating_sub(lines.len() + 1);
        let chronology = app.chronology();
        if room > 0 && !chronology.is_empty() {
            lines.push(Line::styled("Chronology", theme.details_label));
            for e in chronology
                .iter()
                .skip(chronology.len().saturating_sub(room))
            {
                // What did not stand (a concurrent edit or dispatch lost) stays, marked.
                let lost = app.state().lost(e.origin, e.seq).is_some();
                let text = format!(
                    "{}{} {} {}",
                    if lost { "✗ " } else { "" },
                    hhmm(app, e.wall_ms),
                    e.operator,
                    e.body.describe()
                );
                lines.push(Line::styled(
                    trim(&text, width, ascii),
                    if lost {
                        theme.details_alert
                    } else {
                        theme.details_chronology
                    },
                ));
            }
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}

/// The location with how sure the address list is of it; what it was read as, the choices or
/// why not on a line of its own when it is not an exact match.
fn location_lines<'a>(call: &Call, theme: &Theme) -> Vec<Line<'a>> {
    use crate::domain::Placement;
    let Some(placement) = &call.placement else {
        return vec![field(
            "Loc",
            call.location.clone(),
            theme,
            theme.details_value,
        )];
    };
    let mut lines = vec![field(
        "Loc",
        format!("{} [{}]", call.location, placement.word()),
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
fn triage_lines<'a>(app: &'a App, call: &'a Call, width: usize) -> Vec<Line<'a>> {
    let theme = &app.theme;
    let ascii = app.options.ascii;
    let protocol = &app.desk.policy().protocol;
    let mut lines = Vec::new();
    let recommended = call
        .recommendation
        .clone()
        .unwrap_or_else(|| protocol.evaluate(&call.answers, call.call_type));
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
        Span::styled(
            trim(&response, width.saturating_sub(5), ascii),
            theme.details_alert,
        ),
    ]));
    let focus = app
        .ui
        .triage
        .filter(|_| app.selected_call().is_some_and(|c| c.id == call.id));
    if let Some(at) = focus {
        for (i, q) in protocol.questions.iter().enumerate() {
            let answer = call.answers.get(&q.id).map_or("-", String::as_str);
            let marker = if i == at { ">" } else { " " };
            let text = format!("{marker}[{}] {:<8} {}", q.key, answer, q.text);
            let style = if i == at {
                theme.form_field_focused
            } else {
                theme.form_field
            };
            lines.push(Line::styled(trim(&text, width, ascii), style));
        }
        lines.push(Line::styled(
            trim(&format!("  why: {}", recommended.reason), width, ascii),
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
                    Some(_) => "*",
                    None => ".",
                };
                format!("{}{mark}", q.key)
            })
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<5}", "Tri"), theme.details_label),
            Span::styled(
                trim(&answers.join(" "), width.saturating_sub(5), ascii),
                theme.details_value,
            ),
        ]));
    }
    lines
}

/// Earlier calls at this address, and any cautions left there.
fn history_lines<'a>(app: &'a App, call: &'a Call, width: usize) -> Vec<Line<'a>> {
    let theme = &app.theme;
    let history = crate::domain::history::address_history(app.state(), call);
    let mut lines = Vec::new();
    if !history.calls.is_empty() {
        let dispositions: Vec<&str> = history.dispositions.iter().map(|d| d.word()).collect();
        let text = format!(
            "{} earlier call(s) here; last: {}",
            history.calls.len(),
            dispositions.join(", ")
        );
        lines.push(Line::from(vec![
            Span::styled(format!("{:<5}", "Hist"), theme.details_label),
            Span::styled(
                trim(&text, width.saturating_sub(5), app.options.ascii),
                theme.details_value,
            ),
        ]));
    }
    for caution in history.cautions.iter().take(2) {
        lines.push(Line::styled(
            trim(&format!("CAUTION {caution}"), width, app.options.ascii),
            theme.details_alert,
        ));
    }
    lines
}

/// The response plan, one line per slot still to fill (the unit that goes, or that none is
/// free), while the call waits or is worked short of its plan; a response that sends nobody
/// says so while the call waits.
fn recommendation_lines<'a>(
    app: &'a App,
    call: &'a Call,
    now_ms: i64,
    width: usize,
) -> Vec<Line<'a>> {
    let theme = &app.theme;
    let protocol = &app.desk.policy().protocol;
    let response = call
        .response_type()
        .unwrap_or_else(|| protocol.evaluate(&call.answers, call.call_type).response);
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
                Span::styled(
                    trim(&text, width.saturating_sub(5), app.options.ascii),
                    theme.details_value,
                ),
            ])
        })
        .collect()
}

/// In a training run: the last few things said on the call (the caller's own words quoted), and
/// the scenario's hint for it.
fn heard_lines<'a>(app: &'a App, call: &'a Call) -> Vec<Line<'a>> {
    /// The rest of the pane is the call's own; older lines are in the scenario.
    const SHOWN: usize = 3;
    let theme = &app.theme;
    let Some(training) = &app.training else {
        return Vec::new();
    };
    let heard = training.sim.heard(&call.id);
    let mut lines: Vec<Line<'a>> = heard
        .iter()
        .skip(heard.len().saturating_sub(SHOWN))
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
