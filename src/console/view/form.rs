//! The intake form, over the queue: a call-taker types while on the phone.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::console::app::{App, IntakeForm};

use super::{overlay, trim};

/// Label column: the longest label and a space.
const LABEL: usize = 13;

pub struct FormView<'a> {
    app: &'a App,
}

impl<'a> FormView<'a> {
    pub fn new(app: &'a App) -> Self {
        FormView { app }
    }

    /// Where the cursor sits: end of the focused field.
    pub fn cursor(&self, area: Rect) -> (u16, u16) {
        let form = &self.app.ui.form;
        let inner = overlay(String::new(), &self.app.theme, true).inner(area);
        let x = inner.x + LABEL as u16 + form.fields[form.focus].chars().count() as u16;
        (
            x.min(inner.right().saturating_sub(1)),
            inner.y + form.focus as u16,
        )
    }
}

impl Widget for FormView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let form = &app.ui.form;
        Clear.render(area, buf);
        let block = overlay(" Take a call ".into(), theme, app.options.ascii);
        let inner = block.inner(area);
        block.render(area, buf);
        let hints = [
            "",
            "the street it meets, for a corner",
            "",
            "",
            "",
            "welfare, bh-crisis, intox… (Tab completes)",
            "1 most urgent … 4",
            "district, like d6",
        ];
        let width = inner.width as usize;
        let mut lines: Vec<Line> = IntakeForm::LABELS
            .iter()
            .zip(&form.fields)
            .enumerate()
            .map(|(i, (label, value))| {
                let style = if i == form.focus {
                    theme.form_field_focused
                } else {
                    theme.form_field
                };
                // The field the last Enter refused is marked until it is edited.
                let label_style = if form.bad == Some(i) {
                    theme.cmdline_refusal
                } else {
                    theme.form_label
                };
                let mut spans = vec![
                    Span::styled(format!("{label:<LABEL$}"), label_style),
                    Span::styled(value.clone(), style),
                ];
                if value.is_empty() && !hints[i].is_empty() {
                    spans.push(Span::styled(hints[i], theme.cmdline_hint));
                }
                if i == IntakeForm::TYPE {
                    // What Tab would put in, and what else matches, while a type is begun.
                    let candidates = form.type_candidates();
                    if !candidates.is_empty() {
                        let words: Vec<&str> = candidates.iter().map(|c| c.word.as_str()).collect();
                        let room = width.saturating_sub(LABEL + value.chars().count());
                        let text = format!("  Tab: {}", words.join(", "));
                        spans.push(Span::styled(
                            trim(&text, room, app.options.ascii),
                            theme.cmdline_hint,
                        ));
                    }
                }
                Line::from(spans)
            })
            .collect();
        // Under the fields: which one to fix, while Enter has refused one.
        lines.push(match form.bad {
            Some(bad) => Line::styled(
                format!(
                    "Fix {} and press Enter again; the rest is kept.",
                    IntakeForm::LABELS[bad]
                ),
                theme.cmdline_refusal,
            ),
            None => Line::default(),
        });
        lines.push(Line::styled(
            "Enter takes the call; Esc cancels.",
            theme.cmdline_hint,
        ));
        Paragraph::new(lines).render(inner, buf);
    }
}
