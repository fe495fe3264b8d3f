//! The help overlay: draws the lines `app::help` builds from the keymap and the registries.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::console::app::help::{lines, max_scroll};
use crate::console::app::App;

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
        app.ui.help_size.set((inner.width, inner.height));
        let lines = lines(app);
        let max = max_scroll(app);
        Paragraph::new(lines)
            .scroll((app.ui.help_scroll.min(max), 0))
            .render(inner, buf);
    }
}
