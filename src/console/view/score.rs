//! The training run's score, over the panes at the end of a run: the totals, the NENA answer
//! figure, mistakes by kind, and per call its points and every point it lost with why, the
//! list scrolled with Up/Down and PageUp/PageDown.

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

impl ScoreView<'_> {
    /// The calls from the scrolled-to one, each with its points lost, in `room` lines.
    fn calls(&self, width: usize, room: usize) -> Vec<Line<'static>> {
        let theme = &self.app.theme;
        let s = self.score;
        let first = self.app.training.as_ref().map_or(0, |t| t.score_scroll);
        let first = first.min(s.calls.len().saturating_sub(1));
        let name_w = s
            .calls
            .iter()
            .map(|c| c.id.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(4, 14);
        let id_w = s
            .calls
            .iter()
            .filter_map(|c| c.call_id.as_ref().map(|i| i.chars().count()))
            .max()
            .unwrap_or(2)
            .max(2);
        let lead = name_w + 1 + id_w + 1 + 6 + 5 + 2;
        let why_w = width.saturating_sub(lead).max(10);
        let mut lines = vec![Line::styled(
            trim(
                &format!(
                    "{:<name_w$} {:<id_w$} {:>6}{:>5}  points lost",
                    "call", "id", "answer", "pts"
                ),
                width,
                self.app.options.ascii,
            ),
            theme.help_key,
        )];
        if first > 0 {
            lines.push(Line::styled(
                format!("^ {first} calls above (Up, PageUp)"),
                theme.cmdline_hint,
            ));
        }
        let mut shown = first;
        for c in &s.calls[first..] {
            let answer = c
                .answer_s
                .map_or_else(|| "-".to_owned(), |s| format!("{s} s"));
            let mut rows = Vec::new();
            let lost: Vec<_> = s
                .mistake_list
                .iter()
                .filter(|m| m.call.as_deref() == Some(c.id.as_str()) && m.points > 0)
                .collect();
            for m in &lost {
                rows.extend(wrap(&format!("-{} {}", m.points, m.detail), why_w));
            }
            if rows.is_empty() {
                rows.push(String::new());
            }
            // The last line is kept for "more below" while calls are left after this one.
            let left = s.calls.len() - shown - 1;
            let needs = rows.len() + usize::from(left > 0);
            if lines.len() + needs > room && shown > first {
                break;
            }
            let style = if c.points == 100 {
                theme.help_desc
            } else {
                theme.details_alert
            };
            for (k, why) in rows.into_iter().enumerate() {
                let text = if k == 0 {
                    format!(
                        "{:<name_w$} {:<id_w$} {answer:>6}{:>5}  {why}",
                        trim(&c.id, name_w, self.app.options.ascii),
                        c.call_id.as_deref().unwrap_or("-"),
                        c.points
                    )
                } else {
                    format!("{:lead$}{why}", "")
                };
                lines.push(Line::styled(text, style));
            }
            shown += 1;
        }
        if shown < s.calls.len() {
            lines.push(Line::styled(
                format!(
                    "v {} more calls below (Down, PageDown; the --report file has them all)",
                    s.calls.len() - shown
                ),
                theme.cmdline_hint,
            ));
        }
        lines
    }
}

/// Words into lines of at most `width` characters (a word longer than that is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out.into_iter()
        .map(|l| l.chars().take(width).collect())
        .collect()
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
        if let Some(note) = s.speed_note() {
            lines.extend(
                wrap(&note, width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.help_desc)),
            );
        }
        lines.extend(self.calls(
            width,
            (inner.height as usize).saturating_sub(lines.len() + 1),
        ));
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
