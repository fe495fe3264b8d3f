//! The help overlay, generated from the active keymap and the command registries.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::command::COMMANDS;
use crate::console::app::App;
use crate::console::command::CONSOLE_COMMANDS;
use crate::console::keymap::Mode;

use super::overlay;

pub struct HelpView<'a> {
    app: &'a App,
}

impl<'a> HelpView<'a> {
    pub fn new(app: &'a App) -> Self {
        HelpView { app }
    }
}

impl Widget for HelpView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        Clear.render(area, buf);
        let block = overlay(
            format!(" Help — keymap {} ", app.options.keymap_name),
            theme,
            app.options.ascii,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let mut lines = Vec::new();
        let mode = app.ui.base_mode;
        for (title, m) in [
            ("Keys", mode),
            ("Intake form", Mode::Form),
            ("Trainer keys (training runs)", Mode::Trainer),
        ] {
            lines.push(Line::styled(title, theme.help_title));
            for b in app.keymap.bindings(m) {
                let keys: Vec<String> = b.on.iter().map(ToString::to_string).collect();
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<14}", keys.join(" ")), theme.help_key),
                    Span::styled(format!("{:<22}", b.run), theme.help_desc),
                    Span::styled(
                        if b.desc.is_empty() {
                            b.run.clone()
                        } else {
                            b.desc.clone()
                        },
                        theme.help_desc,
                    ),
                ]));
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
        for spec in COMMANDS {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {} {}", spec.name, spec.signature),
                    theme.help_key,
                ),
                Span::styled(format!("  {}", spec.doc), theme.help_desc),
            ]));
        }
        for spec in CONSOLE_COMMANDS {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {} {}", spec.name, spec.signature),
                    theme.help_key,
                ),
                Span::styled(format!("  {}", spec.doc), theme.help_desc),
            ]));
        }
        let max = lines.len().saturating_sub(inner.height as usize) as u16;
        Paragraph::new(lines)
            .scroll((app.ui.help_scroll.min(max), 0))
            .render(inner, buf);
    }
}
