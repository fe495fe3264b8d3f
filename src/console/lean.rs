//! A crossterm backend that writes fewer bytes, for consoles used over SSH.
//!
//! ratatui's own crossterm backend assumes the terminal's style is reset at the start of every
//! frame and resets it at the end, and shows and moves the cursor after every frame: about
//! 32 bytes each time even when one timer digit changed. This backend remembers the style and
//! cursor the terminal has between frames and writes only what differs.
//!
//! How each cell is written is the pen's business (`pen.rs`): the cursor's shortest way, one
//! SGR sequence per change of style, erasing blank runs, and leaving blanks that look the same.
//!
//! It also keeps what the terminal shows cell by cell (`screen.rs`), so that when a frame is
//! mostly an old region moved (a map panned by whole cells), it moves those cells on the
//! terminal — whole lines with delete/insert line (DL/IL), parts of lines with delete/insert
//! character (DCH/ICH) — and then writes only the cells that still differ, whenever that is
//! fewer bytes than writing the changed cells.

use std::io::{self, Write};

use crossterm::cursor::{Hide, Show};
use crossterm::queue;
use crossterm::style::{Attribute, SetAttribute};
use crossterm::terminal::{self, Clear};
use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};

mod moves;
mod pen;
mod screen;

use moves::{moved, MOVE_WORTH};
use pen::paint;
use screen::Screen;

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
    /// Whether a frame may move cells (off only in tests, to compare).
    moves: bool,
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
            moves: true,
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
            moves: true,
        }
    }

    /// The same backend that never moves cells, to compare with one that does.
    #[cfg(test)]
    fn without_moves(mut self) -> Self {
        self.moves = false;
        self
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
        let size = self.screen.as_ref().map_or(self.size.get(), |s| {
            Some(Size {
                width: s.buffer.area.width,
                height: s.buffer.area.height,
            })
        });
        let mut plain = Vec::new();
        let mut known = self.known;
        let screen = match &mut self.screen {
            Some(screen) if self.moves && cells.len() >= MOVE_WORTH => screen,
            screen => {
                paint(&mut plain, &mut known, screen.as_mut(), size, &cells)?;
                self.out.write_all(&plain)?;
                self.known = known;
                return Ok(());
            }
        };
        let mut painted = screen.clone();
        paint(&mut plain, &mut known, Some(&mut painted), size, &cells)?;
        match moved(screen, &cells, self.known)? {
            Some(better) if better.bytes.len() < plain.len() => {
                self.out.write_all(&better.bytes)?;
                self.known = better.known;
                self.screen = Some(better.screen);
            }
            _ => {
                self.out.write_all(&plain)?;
                self.known = known;
                self.screen = Some(painted);
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
        let size = self.screen.as_ref().map_or(self.size.get(), |s| {
            Some(Size {
                width: s.buffer.area.width,
                height: s.buffer.area.height,
            })
        });
        let mut bytes = Vec::new();
        pen::travel(
            &mut bytes,
            &mut self.known,
            self.screen.as_ref(),
            size,
            x,
            y,
        )?;
        self.out.write_all(&bytes)
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

    /// Asserts that every cell of the vt100 screen looks as the buffer's: the same symbol and
    /// background, reverse and underline; the foreground where it shows (on a symbol, or on a
    /// blank reversed or underlined); bold, dim and italic on a symbol. (What a blank's
    /// foreground or boldness is does not show; an erase leaves the current ones there.)
    fn assert_looks(screen: &vt100::Parser, buffer: &Buffer, what: &str) {
        let area = buffer.area;
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                let want = &buffer[(x, y)];
                let got = screen.screen().cell(y, x).unwrap();
                let at = format!("({x},{y}) in {what}: {:?}", want.symbol());
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

    /// Draws each frame through the lean backend into a vt100 screen, checks it looks as the
    /// buffer after each ([`assert_looks`]), and returns the last frame's bytes.
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
            assert_looks(&screen, &buffer, &format!("{lines:?}"));
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
    /// `moves` false the backend never moves cells.
    fn through_vt100(width: u16, height: u16, moves: bool, frames: &[Frame]) -> Vec<usize> {
        let area = Rect::new(0, 0, width, height);
        let options = TerminalOptions {
            viewport: Viewport::Fixed(area),
        };
        let backend = LeanBackend::blank(Vec::new(), width, height);
        let backend = if moves {
            backend
        } else {
            backend.without_moves()
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
            assert_looks(&screen, &buffer, &format!("frame {n}"));
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

    /// Frames that each change a few places of the last: texts (runs of spaces among them) in
    /// every colour form and attribute, on default and coloured backgrounds, and blanked
    /// stretches, lines and boxes. Deterministic: the same every run.
    fn random_frames(width: u16, height: u16, count: usize, seed: u64) -> Vec<Frame> {
        const TEXTS: [&str; 10] = [
            "26-BA0001",
            "STAR-1 ENR",
            "é",
            "      ",
            " ",
            "─────",
            "⠿⠶",
            "LONG 2:43 …",
            "ab  cd    ef",
            "z",
        ];
        let styles = [
            Style::new(),
            Style::new().red(),
            Style::new().cyan().bold(),
            Style::new().light_green().italic(),
            Style::new().reversed(),
            Style::new().underlined().yellow(),
            Style::new().dim(),
            Style::new().on_blue(),
            Style::new().on_blue().white(),
            Style::new().fg(Color::Indexed(208)),
            Style::new().fg(Color::Rgb(10, 200, 30)).on_dark_gray(),
            Style::new().bold().reversed().magenta(),
            Style::new().bg(Color::Indexed(17)),
        ];
        let mut state = seed;
        let mut next = move |n: usize| {
            // A 64-bit LCG (Knuth's MMIX constants); the high bits are the good ones.
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        let mut edits: Vec<(u16, u16, u16, u16, usize, usize)> = Vec::new();
        let mut frames: Vec<Frame> = Vec::new();
        for _ in 0..count {
            for _ in 0..=next(4) {
                let x = next(usize::from(width)) as u16;
                let y = next(usize::from(height)) as u16;
                // Kind 0–5: a text; 6: a blanked stretch or box; 7: a whole line blank.
                let kind = next(8);
                let (w, h) = (next(usize::from(width)) as u16 + 1, next(3) as u16 + 1);
                edits.push((
                    x,
                    y,
                    w,
                    h,
                    kind,
                    next(TEXTS.len()) * 100 + next(styles.len()),
                ));
            }
            let edits = edits.clone();
            let styles = styles.to_vec();
            frames.push(Box::new(move |buf: &mut Buffer| {
                let area = buf.area;
                for &(x, y, w, h, kind, pick) in &edits {
                    let (text, style) = (TEXTS[pick / 100], styles[pick % 100]);
                    match kind {
                        0..=5 => {
                            buf.set_string(x, y, text, style);
                        }
                        6 => {
                            let r = Rect::new(x, y, w, h).intersection(area);
                            ratatui::widgets::Clear.render(r, buf);
                            if pick % 2 == 0 {
                                buf.set_style(r, style);
                            }
                        }
                        _ => {
                            ratatui::widgets::Clear.render(Rect::new(0, y, area.width, 1), buf);
                        }
                    }
                }
            }));
        }
        frames
    }

    #[test]
    fn random_frames_leave_the_screen_showing_each_frame() {
        for seed in 1..=12 {
            let frames = random_frames(24, 6, 40, seed);
            through_vt100(24, 6, true, &frames);
            through_vt100(24, 6, false, &frames);
        }
        // Wide enough that erasing to the end of a line and moves of cells happen.
        for seed in 13..=16 {
            through_vt100(70, 12, true, &random_frames(70, 12, 60, seed));
        }
    }

    /// A blank run erases (EL to the end of the line, ECH inside it) only on the default
    /// background: a coloured background is written as spaces, and the emulated screen shows
    /// it either way.
    #[test]
    fn blank_runs_are_erased_only_on_the_default_background() {
        let text: Frame = Box::new(|buf: &mut Buffer| {
            buf.set_string(0, 0, "a long line of text for a run", Style::new().bold());
            buf.set_string(0, 1, "another line, then more text", Style::new().on_blue());
        });
        let blanks: Frame = Box::new(|buf: &mut Buffer| {
            buf.set_string(0, 0, "a", Style::new().bold());
            buf.set_string(0, 1, "a", Style::new().on_blue());
            buf.set_style(Rect::new(1, 1, 29, 1), Style::new().on_blue());
            buf.set_string(28, 1, "xt", Style::new().on_blue());
        });
        let mut terminal = Terminal::with_options(
            LeanBackend::blank(Vec::new(), 30, 2),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 30, 2)),
            },
        )
        .unwrap();
        let mut vt = vt100::Parser::new(2, 30, 0);
        let mut last = Vec::new();
        for frame in [&text, &blanks] {
            let buffer = terminal
                .draw(|f| frame(f.buffer_mut()))
                .unwrap()
                .buffer
                .clone();
            last = std::mem::take(terminal.backend_mut().writer_mut());
            vt.process(&last);
            assert_looks(&vt, &buffer, "blank runs");
        }
        let written = String::from_utf8_lossy(&last);
        // Line 0 ends blank on the default background: one EL. Line 1's blue blanks are
        // spaces, never erased.
        assert_eq!(written.matches("\x1b[K").count(), 1, "{written:?}");
        assert!(!written.contains('X'), "{written:?}");
        assert!(written.contains(&" ".repeat(26)), "{written:?}");
    }

    /// Wide characters (CJK, emoji) beside blank runs that erase and text that changes: they
    /// are replaced by blanks, blanks by them, and text written beside them, and the screen
    /// shows each frame.
    #[test]
    fn wide_characters_beside_erased_runs_stay_whole() {
        let lines = |a: &'static str, b: &'static str, c: &'static str| -> Lines {
            vec![
                Line::from(a),
                Line::from(vec![Span::raw(b), "!".red()]),
                Line::from(c.bold()),
                Line::from("漢字 stays here"),
            ]
        };
        let frames = vec![
            lines("漢字 and 🙂 then text", "a🙂b          end", "x"),
            lines("漢字", "a🙂b", "字 then a long tail"),
            lines("   字 moved        x", "ab🙂          end", ""),
            lines("plain text over it all", "🙂🙂🙂", "漢"),
            lines("漢", "", "漢字漢字 then"),
            lines("", "a b c d e f g h", "  字"),
        ];
        check(&frames);
    }
}
