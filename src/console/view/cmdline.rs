//! The bottom two lines: what happened or what could come next, and the command line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::command::registry::lookup;
use crate::console::app::{App, Tone};
use crate::console::keymap::{Lookup, Mode};

use super::trim;

/// The line above the command line: a result or refusal, which-key hints, or completions.
pub struct MessageLine<'a> {
    app: &'a App,
}

impl<'a> MessageLine<'a> {
    pub fn new(app: &'a App) -> Self {
        MessageLine { app }
    }
}

impl Widget for MessageLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let width = area.width as usize;
        let ascii = app.options.ascii;
        let ui = &app.ui;
        let line = if !ui.pending.is_empty() {
            // Which-key: what the keys pressed so far can lead to.
            let mut spans = Vec::new();
            if let Lookup::Pending(next) = app.keymap.lookup(ui.mode, &ui.pending, &|_| true) {
                for b in next {
                    let rest: Vec<String> = b.on[ui.pending.len()..]
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    spans.push(Span::styled(rest.join(" "), theme.help_key));
                    spans.push(Span::styled(format!(" {}  ", b.desc), theme.help_desc));
                }
            }
            // Past the edge the hints are cut with a mark; help (F1) lists every chord whole.
            Line::from(super::fit_spans(spans, width, ascii))
        } else if let Some(m) = &ui.message {
            let style = match m.tone {
                Tone::Done => theme.cmdline_done,
                Tone::Refusal | Tone::Problem => theme.cmdline_refusal,
                Tone::Hint => theme.cmdline_hint,
            };
            // A message longer than the line ends by saying which key shows it whole.
            let text = if m.text.chars().count() > width {
                let hint = super::key_for(app, "messages")
                    .map_or_else(|| " (messages)".to_owned(), |k| format!(" ({k} shows all)"));
                let keep = width.saturating_sub(hint.chars().count());
                format!("{}{hint}", trim(&m.text, keep, ascii))
            } else {
                m.text.clone()
            };
            Line::styled(text, style)
        } else if ui.mode == Mode::Command && !ui.line.candidates.is_empty() {
            let mut spans = Vec::new();
            let mut used = 0;
            // A few candidates are enough to choose from, and every cell costs bytes over SSH.
            for (i, c) in ui.line.candidates.iter().enumerate().take(6) {
                // The best candidate says what it is once the choice is down to a few.
                let cell = if i == 0 && ui.line.candidates.len() <= 3 {
                    format!("{} {}  ", c.word, c.hint)
                } else {
                    format!("{}  ", c.word)
                };
                used += cell.chars().count();
                if used > width {
                    break;
                }
                let style = if ui.line.picked == Some(i) {
                    theme.cmdline_completion_selected
                } else {
                    theme.cmdline_completion
                };
                spans.push(Span::styled(cell, style));
            }
            Line::from(spans)
        } else if let Some(usage) = usage_hint(&ui.line.text) {
            Line::styled(trim(&usage, width, ascii), theme.cmdline_hint)
        } else {
            Line::default()
        };
        Paragraph::new(line).render(area, buf);
    }
}

/// The signature of the command being typed, once its verb is complete.
fn usage_hint(text: &str) -> Option<String> {
    let words: Vec<&str> = text.trim_start_matches(':').split_whitespace().collect();
    if !text.ends_with(' ') && words.len() < 2 {
        return None;
    }
    lookup(&words).map(|(spec, _)| format!("{} — {}", spec.usage(), spec.doc))
}

/// The command line itself; returns where the cursor goes.
pub struct CommandLine<'a> {
    app: &'a App,
}

impl<'a> CommandLine<'a> {
    pub fn new(app: &'a App) -> Self {
        CommandLine { app }
    }

    /// Column of the cursor inside `area`, when the line has focus.
    pub fn cursor(&self, area: Rect) -> Option<(u16, u16)> {
        let ui = &self.app.ui;
        if ui.mode != Mode::Command {
            return None;
        }
        let before = ui.line.text[..ui.line.cursor].chars().count() as u16;
        let x = (area.x + 2 + before).min(area.right().saturating_sub(1));
        Some((x, area.y))
    }
}

impl Widget for CommandLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ui = &app.ui;
        let line = match ui.mode {
            Mode::Command => {
                // Long lines scroll so the cursor stays visible.
                let width = area.width.saturating_sub(3) as usize;
                let before = ui.line.text[..ui.line.cursor].chars().count();
                let skip = before.saturating_sub(width);
                let shown: String = ui.line.text.chars().skip(skip).collect();
                Line::from(vec![
                    Span::styled("> ", theme.cmdline_prompt),
                    Span::styled(shown, theme.cmdline_text),
                ])
            }
            Mode::Normal => Line::styled(": command  ? help", theme.cmdline_hint),
            Mode::Form => Line::styled(
                "Tab next field  Enter take the call  Esc cancel",
                theme.cmdline_hint,
            ),
            Mode::Help => Line::styled("Up/Down scroll  Esc close", theme.cmdline_hint),
            Mode::Trainer => Line::styled(trainer_keys(app), theme.cmdline_hint),
        };
        Paragraph::new(line).render(area, buf);
    }
}

/// The trainer's keys from the keymap, one per command: `p pause  + faster … Esc back`.
fn trainer_keys(app: &App) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut parts = vec!["TRAINER".to_owned()];
    for b in app.keymap.bindings(Mode::Trainer) {
        let word = match b.run.trim() {
            "sim-pause" => "pause/resume",
            "sim-faster" => "faster",
            "sim-slower" => "slower",
            "sim-inject" => "inject",
            "sim-end" => "end",
            "cancel" => "back",
            _ => continue,
        };
        if seen.contains(&word) {
            continue;
        }
        seen.push(word);
        let keys: Vec<String> = b.on.iter().map(ToString::to_string).collect();
        parts.push(format!("{} {word}", keys.join(" ")));
    }
    parts.join("  ")
}
