//! Details of the selected call: caller, location, nature, units with their times, notes and the
//! call's chronology. The triage questions will take the top of this pane.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::console::app::App;
use crate::console::theme::Theme;

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
        let mut lines = vec![
            field("Loc", call.location.clone(), theme, value),
            field("Nat", call.nature.clone(), theme, value),
        ];
        let caller = match (&call.caller, &call.callback) {
            (None, None) => "-".to_owned(),
            (name, cb) => format!(
                "{}{}",
                name.as_deref().unwrap_or("unknown"),
                cb.as_ref()
                    .map_or_else(String::new, |c| format!("  cb {c}"))
            ),
        };
        lines.push(field("Clr", caller, theme, value));
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
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", hhmm(app, note.wall_ms)), theme.details_label),
                Span::styled(note.text.clone(), theme.details_note),
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
                let text = format!(
                    "{} {} {}",
                    hhmm(app, e.wall_ms),
                    e.operator,
                    e.body.describe()
                );
                lines.push(Line::styled(
                    trim(&text, width, ascii),
                    theme.details_chronology,
                ));
            }
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}
