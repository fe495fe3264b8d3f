//! What the terminal shows, cell by cell, as the lean backend last left it: what a move of
//! cells starts from and what the pen reads to write unchanged cells again or erase.

use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Rect, Size};

/// What the terminal shows, and which cells may not be one column wide.
#[derive(Clone, Debug)]
pub(super) struct Screen {
    pub buffer: Buffer,
    pub unsure: Vec<bool>,
}

impl Screen {
    pub fn blank(size: Size) -> Screen {
        let buffer = Buffer::empty(Rect::new(0, 0, size.width, size.height));
        let unsure = vec![false; buffer.content.len()];
        Screen { buffer, unsure }
    }

    pub fn width(&self) -> u16 {
        self.buffer.area.width
    }

    pub fn height(&self) -> u16 {
        self.buffer.area.height
    }

    pub fn holds(&self, x: u16, y: u16) -> bool {
        x < self.width() && y < self.height()
    }

    pub fn index(&self, x: u16, y: u16) -> usize {
        usize::from(y) * usize::from(self.width()) + usize::from(x)
    }

    /// A cell written. A symbol that may be wider than a column makes it and the next cell
    /// unsure until each is written again.
    pub fn set(&mut self, x: u16, y: u16, cell: &Cell) {
        let i = self.index(x, y);
        self.buffer.content[i] = cell.clone();
        let narrow = narrow(cell);
        self.unsure[i] = !narrow;
        if !narrow && x + 1 < self.width() {
            self.unsure[i + 1] = true;
        }
    }

    /// What the terminal shows at (`x`, `y`).
    pub fn cell(&self, x: u16, y: u16) -> &Cell {
        &self.buffer.content[self.index(x, y)]
    }

    /// Whether the cell at (`x`, `y`) may be wide, or the column right of a wide one.
    pub fn unsure(&self, x: u16, y: u16) -> bool {
        self.unsure[self.index(x, y)]
    }

    pub fn plain(&self, y: u16) -> bool {
        self.sure_from(y) == 0
    }

    /// The first column of line `y` from which every cell to the end is surely one column.
    pub fn sure_from(&self, y: u16) -> u16 {
        let start = self.index(0, y);
        let line = &self.unsure[start..start + usize::from(self.width())];
        line.iter()
            .rposition(|&u| u)
            .map_or(0, |i| u16::try_from(i + 1).unwrap_or(u16::MAX))
    }

    /// The terminal's DL (`up`) or IL at line `at`: lines below move up (or down) `n`, blank
    /// lines come in at the bottom (or at `at`), lines pushed past the bottom are gone.
    pub fn lines(&mut self, at: u16, n: u16, up: bool) {
        let w = usize::from(self.width());
        let start = usize::from(at) * w;
        let n = usize::from(n) * w;
        shift(&mut self.buffer.content[start..], n, up, Cell::default());
        shift(&mut self.unsure[start..], n, up, false);
    }

    /// The terminal's DCH (`left`) or ICH at (`at`, `y`): the rest of the line moves left (or
    /// right) `n`, blanks come in at its end (or at `at`).
    pub fn chars(&mut self, at: u16, y: u16, n: u16, left: bool) {
        let start = self.index(at, y);
        let end = self.index(0, y) + usize::from(self.width());
        let n = usize::from(n);
        shift(
            &mut self.buffer.content[start..end],
            n,
            left,
            Cell::default(),
        );
        shift(&mut self.unsure[start..end], n, left, false);
    }
}

/// Moves `v`'s items `n` places toward its start (`toward_start`) or its end, filling with
/// `fill` where they left.
fn shift<T: Clone>(v: &mut [T], n: usize, toward_start: bool, fill: T) {
    let n = n.min(v.len());
    let len = v.len();
    if toward_start {
        v.rotate_left(n);
        v[len - n..].fill(fill);
    } else {
        v.rotate_right(n);
        v[..n].fill(fill);
    }
}

/// Surely one column wide: printable ASCII and Latin-1, punctuation, arrows, box drawing,
/// blocks, shapes and Braille. Anything else may be wide or combine.
pub(super) fn narrow(cell: &Cell) -> bool {
    let mut chars = cell.symbol().chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return false;
    };
    matches!(u32::from(c),
        0x20..=0x7e | 0xa0..=0xac | 0xae..=0xff | 0x2010..=0x205e | 0x2190..=0x21ff
        | 0x2500..=0x25ff | 0x2800..=0x28ff)
}
