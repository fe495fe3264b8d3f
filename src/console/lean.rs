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

    /// The same backend that never moves cells, to compare with one that does (the tests).
    #[must_use]
    pub fn without_moves(mut self) -> Self {
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
