//! The messages overlay: what the message line said lately, newest last, each in full, so a
//! refusal overwritten by the next event can still be read.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::console::app::{App, Tone};

use super::{hhmm, overlay, wrap_line};

pub struct MessagesView<'a> {
    app: &'a App,
}

impl<'a> MessagesView<'a> {
    pub fn new(app: &'a App) -> Self {
        MessagesView { app }
    }
}

impl Widget for MessagesView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        Clear.render(area, buf);
        let kept = &app.ui.messages;
        let block = overlay(
            format!(
                " Messages: the last {}, newest last — Esc closes ",
                kept.len()
            ),
            theme,
            app.options.ascii,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        let mut rows: Vec<Line> = Vec::new();
        if kept.is_empty() {
            rows.push(Line::styled("Nothing said yet.", theme.notice));
        }
        for (at, m) in kept {
            let style = match m.tone {
                Tone::Done => theme.cmdline_done,
                Tone::Refusal | Tone::Problem => theme.cmdline_refusal,
                Tone::Hint => theme.cmdline_hint,
            };
            let mark = match m.tone {
                Tone::Refusal => "refused ",
                Tone::Problem => "problem: ",
                Tone::Done | Tone::Hint => "",
            };
            // An answer of several lines (`rec`, `peers`) was put on the message line joined
            // by `  |  `: here each is a row of its own again, under the first.
            let mut parts = m.text.split("  |  ");
            let line = Line::from(vec![
                Span::styled(format!("{} ", hhmm(app, *at)), theme.details_label),
                Span::styled(format!("{mark}{}", parts.next().unwrap_or_default()), style),
            ]);
            rows.extend(wrap_line(&line, width));
            for part in parts {
                // Each keeps its own indent (the slots of a plan under the plan).
                let indent = 6 + part.len() - part.trim_start().len();
                let room = width.saturating_sub(indent).max(1);
                for row in crate::console::text::wrap(part, room) {
                    rows.push(Line::styled(format!("{}{row}", " ".repeat(indent)), style));
                }
            }
        }
        // The newest at the bottom; older ones scroll off the top.
        let skip = rows.len().saturating_sub(inner.height as usize);
        Paragraph::new(rows.into_iter().skip(skip).collect::<Vec<_>>()).render(inner, buf);
    }
}
