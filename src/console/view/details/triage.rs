//! What the details pane says to help decide: the triage recommendation and answers, the
//! response plan still to fill, and in a training run what was heard on the call.

use ratatui::text::{Line, Span};

use crate::console::app::App;
use crate::domain::Call;

/// The recommendation with the rule that decided, and the answers so far: one line per
/// question only while triaging, a compact line otherwise (rows are scarce at 80×24).
pub(super) fn triage_lines<'a>(app: &'a App, call: &'a Call) -> Vec<Line<'a>> {
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

/// The response plan, one line per slot still to fill (the unit that goes, or that none is
/// free), while the call waits or is worked short of its plan; a response that sends nobody
/// says so while the call waits.
pub(super) fn recommendation_lines<'a>(app: &'a App, call: &'a Call, now_ms: i64) -> Vec<Line<'a>> {
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
pub(super) fn heard_lines<'a>(app: &'a App, call: &'a Call, whole: bool) -> Vec<Line<'a>> {
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
