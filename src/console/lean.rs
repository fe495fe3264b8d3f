//! A crossterm backend that writes fewer bytes, for consoles used over SSH.
//!
//! ratatui's own crossterm backend assumes the terminal's style is reset at the start of every
//! frame and resets it at the end, and shows and moves the cursor after every frame: about
//! 32 bytes each time even when one timer digit changed. This backend remembers the style and
//! cursor the terminal has between frames and writes only what differs.
//!
//! It also keeps what the terminal shows cell by cell, so that when a frame is mostly an old
//! region moved (a map panned by whole cells), it moves those cells on the terminal — whole
//! lines with delete/insert line (DL/IL), parts of lines with delete/insert character
//! (DCH/ICH) — and then writes only the cells that still differ, whenever that is fewer bytes
//! than writing the changed cells.

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

mod moves;

use moves::{moved, Screen, MOVE_WORTH};

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
    /// What the terminal shows, the whole screen from its top left, when known.
    screen: Option<Screen>,
    /// The size the terminal last said it has, or the size this backend was made for.
    size: std::cell::Cell<Option<Size>>,
    /// Set for a terminal of known size (tests, benches): `size` answers it without asking.
    fixed: bool,
}

impl<W: Write> LeanBackend<W> {
    /// For the real terminal: what it shows is known from the first clear on.
    pub fn new(out: W) -> Self {
        LeanBackend {
            out,
            known: Known::default(),
            screen: None,
            size: std::cell::Cell::new(None),
            fixed: false,
        }
    }

    /// For a terminal of `width` × `height` that is blank now (tests and benches).
    pub fn blank(out: W, width: u16, height: u16) -> Self {
        let size = Size { width, height };
        LeanBackend {
            out,
            known: Known::default(),
            screen: Some(Screen::blank(size)),
            size: std::cell::Cell::new(Some(size)),
            fixed: true,
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
        self.screen = None;
    }
}

/// Writes a modifier change, from what the terminal is known to have.
fn set_modifier(out: &mut impl Write, known: &mut Known, to: Modifier) -> io::Result<()> {
    {
        let Some(from) = known.modifier else {
            // Unknown: start from a clean slate, which also resets the colours.
            queue!(out, SetAttribute(Attribute::Reset))?;
            known.fg = Some(Color::Reset);
            known.bg = Some(Color::Reset);
            known.modifier = Some(Modifier::empty());
            return set_modifier(out, known, to);
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
                queue!(out, SetAttribute(off))?;
            }
        }
        if intensity {
            queue!(out, SetAttribute(Attribute::NormalIntensity))?;
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
                queue!(out, SetAttribute(attribute))?;
            }
        }
        known.modifier = Some(to);
        Ok(())
    }
}

/// Writes one cell: a move when the cursor is elsewhere, the style that differs, the symbol.
fn put(out: &mut impl Write, known: &mut Known, x: u16, y: u16, cell: &Cell) -> io::Result<()> {
    if known.cursor != Some((x, y)) {
        queue!(out, MoveTo(x, y))?;
    }
    if known.modifier != Some(cell.modifier) {
        set_modifier(out, known, cell.modifier)?;
    }
    if known.fg != Some(cell.fg) {
        let fg: CColor = cell.fg.into_crossterm();
        queue!(out, SetForegroundColor(fg))?;
        known.fg = Some(cell.fg);
    }
    if known.bg != Some(cell.bg) {
        let bg: CColor = cell.bg.into_crossterm();
        queue!(out, SetBackgroundColor(bg))?;
        known.bg = Some(cell.bg);
    }
    let symbol = cell.symbol();
    queue!(out, Print(symbol))?;
    // Past a symbol surely one column wide (ASCII, Braille, box drawing …) the cursor is one
    // column on; wide or combined symbols are left to an explicit move.
    known.cursor = moves::narrow(cell).then_some((x + 1, y));
    Ok(())
}

impl<W: Write> Backend for LeanBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let cells: Vec<(u16, u16, &Cell)> = content.collect();
        if let Some(screen) = &self.screen {
            if cells.iter().any(|&(x, y, _)| !screen.holds(x, y)) {
                self.screen = None;
            }
        }
        let mut plain = Vec::new();
        let mut known = self.known;
        for &(x, y, cell) in &cells {
            put(&mut plain, &mut known, x, y, cell)?;
        }
        let moved = match &self.screen {
            Some(screen) if cells.len() >= MOVE_WORTH => moved(screen, &cells, self.known)?,
            _ => None,
        };
        match moved {
            Some(better) if better.bytes.len() < plain.len() => {
                self.out.write_all(&better.bytes)?;
                self.known = better.known;
                self.screen = Some(better.screen);
            }
            _ => {
                self.out.write_all(&plain)?;
                self.known = known;
                if let Some(screen) = &mut self.screen {
                    for &(x, y, cell) in &cells {
                        screen.set(x, y, cell);
                    }
                }
            }
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
        // What the terminal shows after: blank where it cleared.
        let size = self.size.get();
        let cursor = self.known.cursor;
        match (clear_type, &mut self.screen, cursor) {
            (ClearType::All, _, _) => self.screen = size.map(Screen::blank),
            (_, None, _) => {}
            (_, Some(_), None) => self.screen = None,
            (kind, Some(screen), Some((x, y))) => {
                let width = screen.buffer.area.width;
                let at = usize::from(y) * usize::from(width) + usize::from(x);
                let row = usize::from(y) * usize::from(width);
                let range = match kind {
                    ClearType::AfterCursor => at..screen.buffer.content.len(),
                    ClearType::BeforeCursor => 0..at + 1,
                    ClearType::CurrentLine => row..row + usize::from(width),
                    _ => at..row + usize::from(width),
                };
                let end = range.end.min(screen.buffer.content.len());
                for i in range.start.min(end)..end {
                    screen.buffer.content[i] = Cell::default();
                    screen.unsure[i] = false;
                }
            }
        }
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
        if let (true, Some(size)) = (self.fixed, self.size.get()) {
            return Ok(size);
        }
        let (width, height) = terminal::size()?;
        let size = Size { width, height };
        self.size.set(Some(size));
        Ok(size)
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
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier, Style, Stylize};
    use ratatui::text::{Line, Span};
    use ratatui::widgets::Paragraph;
    use ratatui::widgets::Widget;
    use ratatui::{Terminal, TerminalOptions, Viewport};

    use super::LeanBackend;

    type Lines = Vec<Line<'static>>;
    type Frame = Box<dyn Fn(&mut Buffer)>;

    /// Draws each frame through the lean backend into a vt100 screen and checks that every
    /// cell shows the buffer's symbol with its bold, underline and reverse, and a colour exactly
    /// where the buffer has one.
    fn check(frames: &[Lines]) -> usize {
        let area = Rect::new(0, 0, 30, 4);
        let options = TerminalOptions {
            viewport: Viewport::Fixed(area),
        };
        let mut terminal =
            Terminal::with_options(LeanBackend::blank(Vec::new(), 30, 4), options).unwrap();
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

    /// Draws each frame through a lean backend over a blank `width` × `height` screen into a
    /// vt100 parser, checks every cell as [`check`] does, and returns each frame's bytes. With
    /// `moves` false the backend does not know the screen, so it never moves cells.
    fn through_vt100(width: u16, height: u16, moves: bool, frames: &[Frame]) -> Vec<usize> {
        let area = Rect::new(0, 0, width, height);
        let options = TerminalOptions {
            viewport: Viewport::Fixed(area),
        };
        let backend = if moves {
            LeanBackend::blank(Vec::new(), width, height)
        } else {
            LeanBackend::new(Vec::new())
        };
        let mut terminal = Terminal::with_options(backend, options).unwrap();
        let mut screen = vt100::Parser::new(height, width, 0);
        let mut written = Vec::new();
        for (n, frame) in frames.iter().enumerate() {
            let buffer = terminal
                .draw(|f| frame(f.buffer_mut()))
                .unwrap()
                .buffer
                .clone();
            let bytes = std::mem::take(terminal.backend_mut().writer_mut());
            written.push(bytes.len());
            screen.process(&bytes);
            for y in 0..height {
                for x in 0..width {
                    let want = &buffer[(x, y)];
                    let got = screen.screen().cell(y, x).unwrap();
                    let at = format!("({x},{y}) in frame {n}");
                    assert_eq!(got.contents().trim(), want.symbol().trim(), "{at}");
                    assert_eq!(got.bold(), want.modifier.contains(Modifier::BOLD), "{at}");
                    assert_eq!(got.inverse(), want.modifier.contains(Modifier::REVERSED));
                    let coloured = got.fgcolor() != vt100::Color::Default;
                    assert_eq!(coloured, want.fg != Color::Reset, "{at}");
                    let shaded = got.bgcolor() != vt100::Color::Default;
                    assert_eq!(shaded, want.bg != Color::Reset, "{at}");
                }
            }
        }
        written
    }

    /// A map-like field: Braille dots everywhere in a world of cells, some blank, some coloured,
    /// and a bold red `@`, seen through the window `pane` whose top left shows world cell
    /// `(ox, oy)`; a border around it, and text in the cells beside and under it.
    fn field(pane: Rect, ox: i32, oy: i32, seed: u32) -> Frame {
        Box::new(move |buf: &mut Buffer| {
            let area = buf.area;
            for y in area.top()..area.bottom() {
                // Wide symbols left of the pane, and on one line right of it too.
                let wide = if y % 3 == 0 { "漢" } else { "" };
                let end = if y == 4 { "字" } else { "" };
                let text =
                    format!("{y:02}{wide} side text, the same in every frame, at the end {end}");
                buf.set_string(0, y, &text, Style::new().yellow());
            }
            let block = ratatui::widgets::Block::bordered().title(" Map ");
            let inner = block.inner(pane);
            ratatui::widgets::Clear.render(pane, buf);
            block.render(pane, buf);
            for y in inner.top()..inner.bottom() {
                for x in inner.left()..inner.right() {
                    let wx = i32::from(x - inner.x) + ox;
                    let wy = i32::from(y - inner.y) + oy;
                    let h = (wx.wrapping_mul(7919) ^ wy.wrapping_mul(104_729))
                        .wrapping_add(seed as i32)
                        .wrapping_mul(2_654_435_761_u32 as i32);
                    let bits = (h >> 13) & 0xff;
                    let cell = &mut buf[(x, y)];
                    if (wx, wy) == (20, 5) {
                        cell.set_symbol("@").set_style(Style::new().red().bold());
                    } else if bits % 5 != 0 {
                        let c = char::from_u32(0x2800 + bits as u32).unwrap();
                        let style = if bits % 7 == 0 {
                            Style::new().cyan()
                        } else {
                            Style::new()
                        };
                        cell.set_char(c).set_style(style);
                    }
                }
            }
            buf.set_string(
                pane.x + 1,
                pane.bottom() - 2,
                "info under the map",
                Style::new(),
            );
        })
    }

    /// Pans in all four directions, by one cell and by several, a zoom (a new picture), and
    /// back.
    fn pans(pane: Rect) -> Vec<Frame> {
        [
            (0, 0, 1),
            (7, 0, 1),
            (0, 0, 1),
            (0, 2, 1),
            (0, 0, 1),
            (-1, 0, 1),
            (-1, -1, 1),
            (5, 3, 1),
            (5, 3, 2),
            (5, 3, 1),
            (5, 4, 1),
        ]
        .into_iter()
        .map(|(ox, oy, seed)| field(pane, ox, oy, seed))
        .collect()
    }

    #[test]
    fn a_pan_moves_the_cells_and_the_screen_still_matches_the_buffer() {
        // The map the full width (lines move), then a map with panes either side (parts of
        // lines move).
        for pane in [Rect::new(0, 1, 60, 16), Rect::new(9, 2, 36, 14)] {
            let moving = through_vt100(60, 20, true, &pans(pane));
            let plain = through_vt100(60, 20, false, &pans(pane));
            assert_eq!(moving[0], plain[0], "the first frame is drawn whole");
            // Never much more (the two backends' cursor and style differ a little by then).
            for (n, (m, p)) in moving.iter().zip(&plain).enumerate() {
                assert!(*m <= p + 32, "frame {n}: {m} B with moves, {p} B without");
            }
            // Each pan costs under two thirds of writing the changed cells; a vertical pan in
            // a pane narrower than the screen moves whole lines only where that is cheaper.
            let full = pane.width == 60;
            let single = if full {
                &[1, 2, 3, 4, 5, 10][..]
            } else {
                &[1, 2, 5][..]
            };
            for &n in single {
                assert!(
                    moving[n] * 3 < plain[n] * 2,
                    "{pane:?} frame {n}: {} B with moves, {} B without",
                    moving[n],
                    plain[n]
                );
            }
        }
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
