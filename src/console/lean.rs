//! A crossterm backend that writes fewer bytes, for consoles used over SSH.
//!
//! ratatui's own crossterm backend assumes the terminal's style is reset at the start of every
//! frame and resets it at the end, and shows and moves the cursor after every frame: about
//! 32 bytes each time even when one timer digit changed. This backend remembers the style and
//! cursor the terminal has between frames and writes only what differs.

use std::io::{self, Write};

use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::queue;
use crossterm::style::{
    Attribute, Color as CColor, Print, SetAttribute, SetBackgroundColor, SetForegroundColor,
};
use crossterm::terminal::{self, Clear};
use ratatui::backend::{Backend, ClearType, IntoCrossterm, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};

/// What the terminal is known to show; `None` where it is not known.
#[derive(Clone, Copy, Debug, Default)]
struct Known {
    fg: Option<Color>,
    bg: Option<Color>,
    modifier: Option<Modifier>,
    cursor: Option<(u16, u16)>,
    visible: Option<bool>,
}

pub struct LeanBackend<W: Write> {
    out: W,
    known: Known,
}

impl<W: Write> LeanBackend<W> {
    pub fn new(out: W) -> Self {
        LeanBackend {
            out,
            known: Known::default(),
        }
    }

    pub fn writer(&self) -> &W {
        &self.out
    }

    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Forget what the terminal shows (after something else wrote to it, such as a suspend).
    pub fn forget(&mut self) {
        self.known = Known::default();
    }

    fn set_modifier(&mut self, to: Modifier) -> io::Result<()> {
        let Some(from) = self.known.modifier else {
            // Unknown: start from a clean slate, which also resets the colours.
            queue!(self.out, SetAttribute(Attribute::Reset))?;
            self.known.fg = Some(Color::Reset);
            self.known.bg = Some(Color::Reset);
            self.known.modifier = Some(Modifier::empty());
            return self.set_modifier(to);
        };
        let removed = from - to;
        let added = to - from;
        let intensity = removed.intersects(Modifier::BOLD | Modifier::DIM);
        for (gone, off) in [
            (Modifier::REVERSED, Attribute::NoReverse),
            (Modifier::ITALIC, Attribute::NoItalic),
            (Modifier::UNDERLINED, Attribute::NoUnderline),
            (Modifier::CROSSED_OUT, Attribute::NotCrossedOut),
            (Modifier::HIDDEN, Attribute::NoHidden),
            (
                Modifier::SLOW_BLINK | Modifier::RAPID_BLINK,
                Attribute::NoBlink,
            ),
        ] {
            if removed.intersects(gone) {
                queue!(self.out, SetAttribute(off))?;
            }
        }
        if intensity {
            queue!(self.out, SetAttribute(Attribute::NormalIntensity))?;
        }
        for (on, attribute) in [
            (Modifier::REVERSED, Attribute::Reverse),
            (Modifier::BOLD, Attribute::Bold),
            (Modifier::DIM, Attribute::Dim),
            (Modifier::ITALIC, Attribute::Italic),
            (Modifier::UNDERLINED, Attribute::Underlined),
            (Modifier::CROSSED_OUT, Attribute::CrossedOut),
            (Modifier::HIDDEN, Attribute::Hidden),
            (Modifier::SLOW_BLINK, Attribute::SlowBlink),
            (Modifier::RAPID_BLINK, Attribute::RapidBlink),
        ] {
            // After a normal-intensity reset, bold and dim that stay must be set again.
            let again = intensity && (on == Modifier::BOLD || on == Modifier::DIM);
            if to.contains(on) && (added.contains(on) || again) {
                queue!(self.out, SetAttribute(attribute))?;
            }
        }
        self.known.modifier = Some(to);
        Ok(())
    }
}

impl<W: Write> Backend for LeanBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        for (x, y, cell) in content {
            if self.known.cursor != Some((x, y)) {
                queue!(self.out, MoveTo(x, y))?;
            }
            if self.known.modifier != Some(cell.modifier) {
                self.set_modifier(cell.modifier)?;
            }
            if self.known.fg != Some(cell.fg) {
                let fg: CColor = cell.fg.into_crossterm();
                queue!(self.out, SetForegroundColor(fg))?;
                self.known.fg = Some(cell.fg);
            }
            if self.known.bg != Some(cell.bg) {
                let bg: CColor = cell.bg.into_crossterm();
                queue!(self.out, SetBackgroundColor(bg))?;
                self.known.bg = Some(cell.bg);
            }
            let symbol = cell.symbol();
            queue!(self.out, Print(symbol))?;
            // Past an ASCII cell the cursor is one column on; wide or combined symbols are left
            // to an explicit move.
            self.known.cursor = (symbol.len() == 1).then_some((x + 1, y));
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.known.visible != Some(false) {
            queue!(self.out, Hide)?;
            self.known.visible = Some(false);
        }
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.known.visible != Some(true) {
            queue!(self.out, Show)?;
            self.known.visible = Some(true);
        }
        Ok(())
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        crossterm::cursor::position().map(|(x, y)| Position { x, y })
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let Position { x, y } = position.into();
        if self.known.cursor != Some((x, y)) {
            queue!(self.out, MoveTo(x, y))?;
            self.known.cursor = Some((x, y));
        }
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        let kind = match clear_type {
            ClearType::All => terminal::ClearType::All,
            ClearType::AfterCursor => terminal::ClearType::FromCursorDown,
            ClearType::BeforeCursor => terminal::ClearType::FromCursorUp,
            ClearType::CurrentLine => terminal::ClearType::CurrentLine,
            ClearType::UntilNewLine => terminal::ClearType::UntilNewLine,
        };
        // Clearing paints with the current background: make it the default first.
        queue!(self.out, SetAttribute(Attribute::Reset), Clear(kind))?;
        self.known.fg = Some(Color::Reset);
        self.known.bg = Some(Color::Reset);
        self.known.modifier = Some(Modifier::empty());
        Ok(())
    }

    fn size(&self) -> io::Result<Size> {
        let (width, height) = terminal::size()?;
        Ok(Size { width, height })
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        let w = terminal::window_size()?;
        Ok(WindowSize {
            columns_rows: Size {
                width: w.columns,
                height: w.rows,
            },
            pixels: Size {
                width: w.width,
                height: w.height,
            },
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;
    use ratatui::style::{Style, Stylize};
    use ratatui::text::{Line, Span};
    use ratatui::widgets::Paragraph;
    use ratatui::{Terminal, TerminalOptions, Viewport};

    use super::LeanBackend;

    type Lines = Vec<Line<'static>>;

    /// Draws each frame through the lean backend into a vt100 screen and checks that every
    /// cell shows the buffer's symbol with its bold, underline and reverse, and a colour exactly
    /// where the buffer has one.
    fn check(frames: &[Lines]) -> usize {
        let area = Rect::new(0, 0, 30, 4);
        let options = TerminalOptions {
            viewport: Viewport::Fixed(area),
        };
        let mut terminal = Terminal::with_options(LeanBackend::new(Vec::new()), options).unwrap();
        let mut screen = vt100::Parser::new(4, 30, 0);
        let mut written = 0;
        for lines in frames {
            let frame = terminal
                .draw(|f| f.render_widget(Paragraph::new(lines.clone()), f.area()))
                .unwrap();
            let buffer = frame.buffer.clone();
            let bytes = std::mem::take(terminal.backend_mut().writer_mut());
            written = bytes.len();
            screen.process(&bytes);
            for y in 0..4 {
                for x in 0..30 {
                    let want = &buffer[(x, y)];
                    let got = screen.screen().cell(y, x).unwrap();
                    let at = format!("({x},{y}) in {lines:?}");
                    assert_eq!(got.contents().trim(), want.symbol().trim(), "{at}");
                    assert_eq!(
                        got.bold(),
                        want.modifier.contains(ratatui::style::Modifier::BOLD),
                        "{at}"
                    );
                    assert_eq!(
                        got.underline(),
                        want.modifier.contains(ratatui::style::Modifier::UNDERLINED),
                        "{at}"
                    );
                    assert_eq!(
                        got.inverse(),
                        want.modifier.contains(ratatui::style::Modifier::REVERSED),
                        "{at}"
                    );
                    let coloured = got.fgcolor() != vt100::Color::Default;
                    assert_eq!(coloured, want.fg != ratatui::style::Color::Reset, "{at}");
                }
            }
        }
        written
    }

    #[test]
    fn the_screen_matches_the_buffer_frame_after_frame() {
        let frames: Vec<Lines> = vec![
            vec![Line::from(vec![
                Span::raw("26-BA0001 "),
                "P1".red().bold(),
                Span::raw(" 4:05"),
            ])],
            vec![Line::from(vec![
                Span::raw("26-BA0001 "),
                "P1".red().bold(),
                Span::raw(" 4:06"),
            ])],
            vec![
                Line::from(vec![
                    "26-BA0001".underlined(),
                    " P2 ".into(),
                    "4:07".yellow(),
                ]),
                Line::from(vec![
                    "STAR-1".reversed(),
                    " ONS ".dim(),
                    "LATE 1:00".red().bold(),
                ]),
            ],
            vec![
                Line::from(vec!["26-BA0001".into(), " P2 ".bold(), "4:08".into()]),
                Line::styled("STAR-1 ONS chk 19m", Style::new().italic()),
            ],
            vec![Line::from("é wide 漢字 then ascii")],
            vec![Line::from("plain")],
        ];
        check(&frames);
    }

    #[test]
    fn a_one_digit_change_costs_a_move_and_the_digit() {
        let a = vec![Line::from(vec![Span::raw("age "), "4:05".red()])];
        let b = vec![Line::from(vec![Span::raw("age "), "4:06".red()])];
        // After the first frame the style is known: the second writes a move, the digit, and
        // nothing else (ratatui's own backend adds resets and a colour, about 30 bytes).
        let bytes = check(&[a, b]);
        assert!(bytes <= 12, "{bytes} bytes");
    }
}
