//! The call queue: open calls, most urgent first, then oldest.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::console::app::App;
use crate::domain::{Call, CallStatus};

use super::{age, pane, trim};

pub struct QueueView<'a> {
    app: &'a App,
    now_ms: i64,
}

impl<'a> QueueView<'a> {
    pub fn new(app: &'a App, now_ms: i64) -> Self {
        QueueView { app, now_ms }
    }
}

fn status_word(c: &Call) -> &'static str {
    match c.status {
        _ if c.awaits_disposition() => "CLRD",
        CallStatus::Pending => "PEND",
        CallStatus::Dispatched => "DISP",
        CallStatus::OnScene => "ONSC",
        CallStatus::Closed => "CLSD",
    }
}

impl Widget for QueueView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        let queue = app.state().queue();
        let pending = queue
            .iter()
            .filter(|c| c.status == CallStatus::Pending)
            .count();
        let block = pane(
            format!(" Queue {} open, {pending} pending ", queue.len()),
            true,
            theme,
            ascii,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 {
            return;
        }
        let width = inner.width as usize;
        let mut lines = Vec::new();
        if let (true, Some(training)) = (app.state().calls.is_empty(), &app.training) {
            let first = training.sim.scenario().calls.iter().map(|c| c.at_ms).min();
            let text = first.map_or_else(
                || "No calls in this scenario.".to_owned(),
                |at| {
                    format!(
                        "No calls yet: the scenario's first call rings at {}.",
                        crate::sim::scenario::show_time(at)
                    )
                },
            );
            lines.push(Line::styled(
                trim(&text, width, app.options.ascii),
                theme.notice,
            ));
        } else if app.state().calls.is_empty() {
            lines.push(Line::styled(
                "No calls yet. Add a unit: unit add STAR-1 clinician,medic  Take a call: F2 or",
                theme.notice,
            ));
            lines.push(Line::styled(
                "call <location> / <nature>.  `switchboard demo` opens a filled demo store.",
                theme.notice,
            ));
        } else if queue.is_empty() {
            lines.push(Line::styled("No open calls.", theme.notice));
        } else {
            lines.push(Line::styled(
                trim(
                    " ID        P TYPE        STAT   AGE UNITS        LOCATION",
                    width,
                    ascii,
                ),
                theme.queue_header,
            ));
        }
        let rows = (inner.height as usize).saturating_sub(lines.len());
        let selected = app.selected_call().map(|c| c.id.clone());
        let at = selected
            .as_ref()
            .and_then(|s| queue.iter().position(|c| &c.id == s))
            .unwrap_or(0);
        // Keep the selection in view.
        let first = at.saturating_sub(rows.saturating_sub(1));
        for call in queue.iter().skip(first).take(rows) {
            let is_selected = selected.as_ref() == Some(&call.id);
            let row_style = if is_selected {
                theme.queue_row_selected
            } else {
                theme.queue_row
            };
            let overdue = app.overdue(call, self.now_ms);
            let units: Vec<&str> = call.active_units().map(|a| a.unit.as_str()).collect();
            let kind = call.call_type.map_or("-", |t| t.word());
            let fixed = 1 + 10 + 2 + 12 + 5 + 6 + 13;
            // A location not placed with confidence says so before it: `!` not placed, `?`
            // ambiguous, `~` fuzzy (docs/places.md).
            let mark = call.placement.as_ref().map_or("", |p| p.mark());
            let shown = if mark.is_empty() {
                call.location.clone()
            } else {
                format!("{mark} {}", call.location)
            };
            let location = trim(&shown, width.saturating_sub(fixed), ascii);
            let line = Line::from(vec![
                Span::styled(
                    if is_selected { ">" } else { " " },
                    theme.queue_row_selected,
                ),
                Span::styled(format!("{:<9}", call.id.as_str()), row_style),
                // Saved on a peer: losing this machine now would lose nothing of this call.
                Span::styled(
                    match app.saved_on_a_peer(&call.id) {
                        Some(true) => "✓",
                        _ => " ",
                    },
                    theme.status_peer,
                ),
                Span::styled(format!("{} ", call.priority), theme.priority(call.priority)),
                Span::styled(format!("{:<12}", trim(kind, 11, ascii)), row_style),
                Span::styled(format!("{:<5}", status_word(call)), theme.queue_status),
                Span::styled(
                    format!("{:>5} ", age(self.now_ms - call.received_ms)),
                    if overdue {
                        theme.queue_age_alarm
                    } else {
                        theme.queue_age
                    },
                ),
                Span::styled(
                    format!("{:<13}", trim(&units.join(","), 12, ascii)),
                    row_style,
                ),
                Span::styled(location, row_style),
            ]);
            lines.push(line);
        }
        Paragraph::new(lines).render(inner, buf);
    }
}
