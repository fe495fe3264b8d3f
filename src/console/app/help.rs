//! The help overlay's lines, generated from the active keymap and the command registries.
//! Built here, outside the view, so the app can clamp help's scroll without importing the view
//! that draws it.

use ratatui::text::{Line, Span};

use crate::command::COMMANDS;
use crate::console::command::CONSOLE_COMMANDS;
use crate::console::keymap::Mode;

use super::App;

/// How far help scrolls: its last line at the bottom of the overlay as last drawn.
pub fn max_scroll(app: &App) -> u16 {
    let n = u16::try_from(lines(app).len()).unwrap_or(u16::MAX);
    n.saturating_sub(app.ui.help_size.get().1)
}

/// Every line of help: the keys of the mode help was opened from, the form's and the
/// trainer's, then every command.
/// A description longer than the row goes on under itself, never cut.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let width = usize::from(app.ui.help_size.get().0);
    let mut lines = Vec::new();
    let entry = |lines: &mut Vec<Line<'static>>, head: Vec<Span<'static>>, desc: String| {
        let used: usize = head.iter().map(|s| s.content.chars().count()).sum();
        if width > 8
            && head
                .iter()
                .map(|s| s.content.trim_end())
                .collect::<String>()
                .chars()
                .count()
                > width
        {
            // A head wider than the row (a long signature) wraps too, its description under it.
            let text: String = head.iter().map(|s| s.content.as_ref()).collect();
            for (i, part) in crate::console::text::wrap(text.trim(), width - 4)
                .into_iter()
                .enumerate()
            {
                let indent = if i == 0 { "  " } else { "    " };
                lines.push(Line::styled(format!("{indent}{part}"), theme.help_key));
            }
            for part in crate::console::text::wrap(&desc, width - 6) {
                lines.push(Line::styled(format!("      {part}"), theme.help_desc));
            }
            return;
        }
        let room = width.saturating_sub(used);
        if width == 0 || desc.chars().count() <= room || room < 20 && width < 30 {
            let mut spans = head;
            spans.push(Span::styled(desc, theme.help_desc));
            lines.push(Line::from(spans));
            return;
        }
        // Under the head when the head leaves too little room; else beside it.
        let (indent, room) = if room >= 20 {
            (used, room)
        } else {
            (6, width - 6)
        };
        let mut parts = crate::console::text::wrap(&desc, room).into_iter();
        let mut spans = head;
        if indent == used {
            spans.push(Span::styled(
                parts.next().unwrap_or_default(),
                theme.help_desc,
            ));
        }
        lines.push(Line::from(spans));
        for part in parts {
            lines.push(Line::styled(
                format!("{}{part}", " ".repeat(indent)),
                theme.help_desc,
            ));
        }
    };
    let mode = app.ui.base_mode;
    for (title, m) in [
        ("Keys", mode),
        ("Intake form", Mode::Form),
        ("Trainer keys (training runs)", Mode::Trainer),
    ] {
        lines.push(Line::styled(title, theme.help_title));
        for b in app.keymap.bindings(m) {
            let keys: Vec<String> = b.on.iter().map(ToString::to_string).collect();
            entry(
                &mut lines,
                vec![
                    Span::styled(format!("  {:<14}", keys.join(" ")), theme.help_key),
                    Span::styled(format!("{:<22}", b.run), theme.help_desc),
                ],
                if b.desc.is_empty() {
                    b.run.clone()
                } else {
                    b.desc.clone()
                },
            );
        }
    }
    if mode == Mode::Command {
        lines.push(Line::styled(
            "  Tab completes; Up/Down recall; Enter runs; a leading : is fine",
            theme.help_desc,
        ));
    }
    lines.push(Line::styled(
        "Commands (a missing call or unit is the selected one)",
        theme.help_title,
    ));
    let commands = COMMANDS.iter().map(|s| (s.name, s.signature, s.doc)).chain(
        CONSOLE_COMMANDS
            .iter()
            .map(|s| (s.name, s.signature, s.doc)),
    );
    for (name, signature, doc) in commands {
        entry(
            &mut lines,
            vec![Span::styled(
                format!("  {name} {signature}  "),
                theme.help_key,
            )],
            doc.to_owned(),
        );
    }
    lines
}
