//! The training run's score, over the panes at the end of a run: the totals, the NENA answer
//! figure, mistakes by kind and one line per call.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::console::app::App;
use crate::sim::scenario::show_time;
use crate::sim::Score;

use super::{overlay, trim};

pub struct ScoreView<'a> {
    app: &'a App,
    score: &'a Score,
}

impl<'a> ScoreView<'a> {
    pub fn new(app: &'a App, score: &'a Score) -> Self {
        ScoreView { app, score }
    }
}

impl Widget for ScoreView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        let s = self.score;
        Clear.render(area, buf);
        let block = overlay(format!(" Training score: {} ", s.scenario), theme, ascii);
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        let fit = |text: String| trim(&text, width, ascii);
        let mut lines = Vec::new();
        let ended = app.training.as_ref().map_or_else(String::new, |t| {
            format!(
                "   ended at {} of {}",
                show_time(t.sim.elapsed_ms()),
                show_time(t.sim.scenario().duration_ms)
            )
        });
        lines.push(Line::from(vec![
            Span::styled(
                format!("Score {} / {}", s.points, s.max_points),
                theme.help_title,
            ),
            Span::styled(
                fit(format!(
                    "   calls handled {} of {}{ended}",
                    s.calls_handled, s.calls_total
                )),
                theme.help_desc,
            ),
        ]));
        let (verdict, style) = if s.answer.meets_nena {
            ("meets the NENA standard", theme.help_desc)
        } else {
            ("below the NENA standard", theme.details_alert)
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "Answered in 15 s {:.1}% (90%), in 20 s {:.1}% (95%): ",
                    s.answer.within_15s_pct, s.answer.within_20s_pct
                ),
                theme.help_desc,
            ),
            Span::styled(verdict, style),
        ]));
        // Mistakes by kind, as many lines as they need.
        let mut mistakes = vec!["Mistakes:".to_owned()];
        if s.mistakes.is_empty() {
            mistakes[0].push_str(" none");
        }
        for (kind, n) in &s.mistakes {
            let item = format!(" {kind} {n}");
            let last = mistakes.len() - 1;
            if mistakes[last].chars().count() + item.chars().count() + 1 > width {
                mistakes[last].push(',');
                mistakes.push(format!("         {item}"));
            } else {
                if mistakes[last].len() > "Mistakes:".len() {
                    mistakes[last].push(',');
                }
                mistakes[last].push_str(&item);
            }
        }
        let mistake_style = if s.mistakes.is_empty() {
            theme.help_desc
        } else {
            theme.details_alert
        };
        lines.extend(
            mistakes
                .into_iter()
                .map(|m| Line::styled(fit(m), mistake_style)),
        );
        lines.push(Line::styled(
            fit(format!(
                "{:<6}{:>7}  {:<26}{:<26}{:>4}",
                "call", "answer", "response", "disposition", "pts"
            )),
            theme.help_key,
        ));
        // Rows left for calls, keeping one for "and N more" and one for the footer.
        let room = (inner.height as usize).saturating_sub(lines.len() + 2);
        let shown = if s.calls.len() > room + 1 {
            room
        } else {
            s.calls.len()
        };
        for c in s.calls.iter().take(shown) {
            let answer = c
                .answer_s
                .map_or_else(|| "-".to_owned(), |s| format!("{s} s"));
            let response = c.response.as_deref().unwrap_or("none");
            let response = if c.response_right {
                response.to_owned()
            } else {
                format!("{response} (want {})", c.expected_response)
            };
            let disposition = c.disposition.as_deref().unwrap_or("open");
            let disposition = if c.disposition_right {
                disposition.to_owned()
            } else {
                format!("{disposition} (want {})", c.expected_disposition)
            };
            let style = if c.points == 100 {
                theme.help_desc
            } else {
                theme.details_alert
            };
            lines.push(Line::styled(
                fit(format!(
                    "{:<6}{answer:>7}  {:<26}{:<26}{:>4}",
                    c.id,
                    trim(&response, 25, ascii),
                    trim(&disposition, 25, ascii),
                    c.points
                )),
                style,
            ));
        }
        if shown < s.calls.len() {
            lines.push(Line::styled(
                format!(
                    "… and {} more calls (the --report file has them all)",
                    s.calls.len() - shown
                ),
                theme.help_desc,
            ));
        }
        let footer = match app.training.as_ref().and_then(|t| t.report.as_ref()) {
            Some(path) => format!("Report: {}.   Esc closes.", path.display()),
            None => "No --report file was given.   Esc closes.".to_owned(),
        };
        let at = (inner.height as usize).saturating_sub(1);
        while lines.len() < at {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(fit(footer), theme.cmdline_hint));
        Paragraph::new(lines).render(inner, buf);
    }
}
