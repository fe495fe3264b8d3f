//! Driving a console as a person would, without a terminal: an `App` as the CLI builds one,
//! keys pressed as keymaps write them, and the screen it draws.

use crossterm::event::KeyEvent;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use switchboard::console::app::{App, Options};
use switchboard::console::keymap::{Key, Keymap};
use switchboard::console::theme::{ColorDepth, Theme};
use switchboard::console::view::screen;
use switchboard::desk::Desk;

/// A console on `desk` with a shipped keymap, the 16-colour theme and clock times in UTC.
pub fn console(desk: Desk, keymap: &str) -> App {
    App::new(
        desk,
        Keymap::preset(keymap).unwrap(),
        Theme::load("ansi16", None, ColorDepth::Ansi16).unwrap(),
        options(keymap),
        &[],
    )
}

pub fn options(keymap: &str) -> Options {
    Options {
        ascii: false,
        utc: true,
        keymap_name: keymap.into(),
    }
}

/// Presses keys written as in keymaps: `<F2>` and friends, other characters as typed.
pub fn press(app: &mut App, keys: &str) {
    let mut rest = keys;
    while let Some(c) = rest.chars().next() {
        let (key, len) = if c == '<' && rest.contains('>') {
            let end = rest.find('>').unwrap() + 1;
            (Key::parse(&rest[..end]).unwrap(), end)
        } else {
            (Key::char(c), c.len_utf8())
        };
        rest = &rest[len..];
        app.key(KeyEvent::new(key.code, key.modifiers));
    }
}

/// What the console shows at `width`×`height`.
pub fn text(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    app.refresh_chronology();
    terminal.draw(|f| screen::draw(f, app)).unwrap();
    terminal.backend().to_string()
}
