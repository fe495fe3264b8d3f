//! A console drawn as the terminal gets it: through the lean backend, its bytes counted and fed
//! to a vt100 emulator, and the emulated screen checked against ratatui's buffer after every
//! frame.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::{Terminal, TerminalOptions, Viewport};
use switchboard::console::app::App;
use switchboard::console::lean::LeanBackend;
use switchboard::console::view::screen;

pub struct Wire {
    terminal: Terminal<LeanBackend<Vec<u8>>>,
    vt: vt100::Parser,
    last: Option<Buffer>,
    /// The UTF-8 bytes of the symbols, not blanks, in the cells the last frame changed: what
    /// any terminal program must send for it.
    pub ink: usize,
}

impl Wire {
    /// A blank terminal of `width` × `height`.
    pub fn new(width: u16, height: u16) -> Wire {
        let options = TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
        };
        let backend = LeanBackend::blank(Vec::new(), width, height);
        Wire {
            terminal: Terminal::with_options(backend, options).unwrap(),
            vt: vt100::Parser::new(height, width, 0),
            last: None,
            ink: 0,
        }
    }

    /// Draws `app`, checks the emulated screen looks as the frame (`what` names it in a
    /// failure), and returns the bytes written.
    pub fn draw(&mut self, app: &mut App, what: &str) -> Vec<u8> {
        app.refresh_chronology();
        let buffer = self
            .terminal
            .draw(|f| screen::draw(f, app))
            .unwrap()
            .buffer
            .clone();
        let bytes = std::mem::take(self.terminal.backend_mut().writer_mut());
        self.vt.process(&bytes);
        assert_looks(&self.vt, &buffer, what);
        self.ink = buffer
            .content
            .iter()
            .enumerate()
            .filter(|(i, cell)| {
                self.last
                    .as_ref()
                    .is_none_or(|last| last.content[*i] != **cell)
            })
            .map(|(_, cell)| cell.symbol().trim().len())
            .sum();
        self.last = Some(buffer);
        bytes
    }
}

/// The colour vt100 reads from what the backend wrote for `color`.
fn vt_colour(color: Color) -> vt100::Color {
    let named = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match color {
        Color::Reset => vt100::Color::Default,
        Color::Indexed(i) => vt100::Color::Idx(i),
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        named_colour => {
            vt100::Color::Idx(named.iter().position(|&c| c == named_colour).unwrap() as u8)
        }
    }
}

/// Asserts that every cell of the emulated screen looks as the buffer's: the same symbol and
/// background, reverse and underline; the foreground where it shows (on a symbol, or on a
/// reversed or underlined blank); bold, dim and italic on a symbol. (A blank's foreground or
/// boldness does not show, and the backend leaves whatever is current there.)
pub fn assert_looks(vt: &vt100::Parser, buffer: &Buffer, what: &str) {
    let area = buffer.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let want = &buffer[(x, y)];
            let got = vt.screen().cell(y, x).unwrap();
            let at = format!("({x},{y}) {:?} after {what}", want.symbol());
            assert_eq!(got.contents().trim(), want.symbol().trim(), "{at}");
            if got.is_wide_continuation() {
                continue;
            }
            assert_eq!(got.bgcolor(), vt_colour(want.bg), "background {at}");
            let m = want.modifier;
            assert_eq!(
                got.inverse(),
                m.contains(Modifier::REVERSED),
                "reverse {at}"
            );
            assert_eq!(
                got.underline(),
                m.contains(Modifier::UNDERLINED),
                "underline {at}"
            );
            let ink = !want.symbol().trim().is_empty();
            if ink || m.intersects(Modifier::REVERSED | Modifier::UNDERLINED) {
                assert_eq!(got.fgcolor(), vt_colour(want.fg), "foreground {at}");
            }
            if ink {
                // Bold and dim together are one intensity in some terminals (and in
                // vt100): the last set wins.
                if !m.contains(Modifier::BOLD | Modifier::DIM) {
                    assert_eq!(got.bold(), m.contains(Modifier::BOLD), "bold {at}");
                    assert_eq!(got.dim(), m.contains(Modifier::DIM), "dim {at}");
                }
                assert_eq!(got.italic(), m.contains(Modifier::ITALIC), "italic {at}");
            }
        }
    }
}
