//! Writing a frame's changed cells in few bytes: the cursor's shortest way to each, one SGR
//! sequence per change of style, and erasing for runs of blank cells.
//!
//! - **The cursor** goes by whichever is shortest: an absolute move (CUP), a relative one (CUF,
//!   CUB, CUD, CUU, CHA, VPA), a carriage return and line feeds, or — over a few unchanged cells
//!   of the style already set — writing those cells again (`ab` is 2 bytes, `ESC[2C` 4).
//!   A line feed is only sent from the first column, so a terminal that turns it into CR LF
//!   does the same; past the last column (a wrap pending) only CR and CUP are trusted.
//! - **The style** is one SGR sequence with every change in it, the 16 named colours in their
//!   short form (`31`, `96`, not `38;5;1`), or a reset and the new style when that is shorter.
//! - **Blank runs**: changed blank cells with the default background that run to the end of
//!   the line (every cell after them blank too) are erased with EL (`ESC[K`, 3 bytes), and a
//!   run of them inside a line with ECH (`ESC[nX`) when that and the move past it cost less than
//!   the spaces. Erasing paints with the current background and, in some terminals, shows the
//!   current reverse or underline, so it is only sent when the background is the default and
//!   no such attribute is set; a coloured background is written as spaces (terminals without
//!   back-colour erase would paint it with the default). Nothing is erased next to a cell that
//!   may be wide (half a wide character would be left behind or erased).
//!
//! Both the gap writes and the erasing read [`Screen`], what the terminal shows; every cell
//! written is put there too.

use std::io::{self, Write};

use ratatui::buffer::Cell;
use ratatui::layout::Size;
use ratatui::style::{Color, Modifier};

use super::screen::{narrow, Screen};
use super::Known;

/// Attributes that show on a blank cell (ratatui's diff keeps the same list).
const VISIBLE_ON_BLANK: Modifier = Modifier::REVERSED
    .union(Modifier::UNDERLINED)
    .union(Modifier::SLOW_BLINK)
    .union(Modifier::RAPID_BLINK)
    .union(Modifier::CROSSED_OUT);

/// The most unchanged cells written again to carry the cursor over them; past this a move is
/// always shorter.
const GAP: u16 = 6;

/// Writes `cells` (in rows, left to right, as ratatui's diff gives them), keeping `known` and
/// `screen` (when known) as the terminal will be after them. `size` is the terminal's, when
/// known: without it the cursor only moves absolutely.
pub(super) fn paint(
    out: &mut Vec<u8>,
    known: &mut Known,
    mut screen: Option<&mut Screen>,
    size: Option<Size>,
    cells: &[(u16, u16, &Cell)],
) -> io::Result<()> {
    for cells in cells.chunk_by(|a, b| a.1 == b.1) {
        row(out, known, screen.as_deref_mut(), size, cells)?;
    }
    Ok(())
}

/// One row's changed cells.
fn row(
    out: &mut Vec<u8>,
    known: &mut Known,
    mut screen: Option<&mut Screen>,
    size: Option<Size>,
    cells: &[(u16, u16, &Cell)],
) -> io::Result<()> {
    let mut k = 0;
    while k < cells.len() {
        let (x, y, cell) = cells[k];
        // A blank that only changed what does not show on a blank (its foreground, bold …)
        // is left as the terminal shows it.
        if let Some(scr) = screen.as_deref_mut() {
            if blank(cell) && blank(scr.cell(x, y)) && !scr.unsure(x, y) {
                scr.set(x, y, cell);
                k += 1;
                continue;
            }
        }
        if let (Some(scr), true) = (screen.as_deref_mut(), blank(cell)) {
            if let Some(erased) = erase(known, scr, size, cells, k)? {
                out.extend_from_slice(&erased.bytes);
                *known = erased.known;
                for &(x, y, cell) in &cells[k..erased.upto] {
                    scr.set(x, y, cell);
                }
                k = erased.upto;
                continue;
            }
        }
        put(out, known, screen.as_deref(), size, x, y, cell)?;
        if let Some(scr) = screen.as_deref_mut() {
            scr.set(x, y, cell);
        }
        k += 1;
    }
    Ok(())
}

/// A blank run erased: its bytes, the terminal's state after them, and the first of the row's
/// cells not yet written.
struct Erased {
    bytes: Vec<u8>,
    known: Known,
    upto: usize,
}

/// Erases from the blank cell `cells[k]` on, over the cells blank in the new frame (changed or
/// not), when that is shorter than writing the changed ones: with EL when the rest of the line
/// is blank, else with ECH.
fn erase(
    known: &Known,
    screen: &Screen,
    size: Option<Size>,
    cells: &[(u16, u16, &Cell)],
    k: usize,
) -> io::Result<Option<Erased>> {
    let (x, y, first) = cells[k];
    let width = screen.buffer.area.width;
    // Nothing is erased that may be half of a wide character, or beside one.
    let sure = |c: u16| c >= width || !screen.unsure(c, y);
    // The new frame's cell at column `c`: the changed one, or what the terminal shows.
    let new = |c: u16| {
        cells[k..]
            .iter()
            .find(|cell| cell.0 == c)
            .map_or_else(|| screen.cell(c, y), |cell| cell.2)
    };
    // The run: up to the last changed cell before something not blank.
    let (mut c, mut upto, mut past) = (x, k, x);
    while c < width && sure(c) && blank(new(c)) {
        if cells.get(upto).is_some_and(|cell| cell.0 == c) {
            upto += 1;
            past = c + 1;
        }
        c += 1;
    }
    let to_the_end = c == width;
    if upto == k || !sure(past) {
        return Ok(None);
    }

    // As written cell by cell, then on to the next changed cell of the row.
    let mut written = Vec::new();
    let mut kw = *known;
    for &(x, y, cell) in &cells[k..upto] {
        put(&mut written, &mut kw, Some(screen), size, x, y, cell)?;
    }
    let next = cells.get(upto).map(|c| c.0);
    if let Some(nx) = next {
        travel(&mut written, &mut kw, Some(screen), size, nx, y)?;
    }

    let mut erased = Vec::new();
    let mut ke = *known;
    travel(&mut erased, &mut ke, Some(screen), size, x, y)?;
    if !plain_for_blanks(&ke) {
        let modifier = ke.modifier.unwrap_or(first.modifier) - VISIBLE_ON_BLANK;
        let fg = ke.fg.unwrap_or(first.fg);
        style(&mut erased, &mut ke, fg, Color::Reset, modifier)?;
    }
    if to_the_end {
        erased.extend_from_slice(b"\x1b[K");
    } else {
        csi(&mut erased, past - x, 'X')?;
    }
    // EL and ECH leave the cursor where it is.
    let (bytes, after_erase) = (erased.len(), ke);
    if let Some(nx) = next {
        // On to the next changed cell (by a move: writing the erased cells again would undo
        // the erase).
        travel(&mut erased, &mut ke, None, size, nx, y)?;
    }
    if erased.len() < written.len() {
        erased.truncate(bytes);
        return Ok(Some(Erased {
            bytes: erased,
            known: after_erase,
            upto,
        }));
    }
    Ok(None)
}

/// Whether a blank written or erased in the known style looks as [`blank`] cells do.
fn plain_for_blanks(known: &Known) -> bool {
    known.bg == Some(Color::Reset)
        && known.fg.is_some()
        && known
            .modifier
            .is_some_and(|m| !m.intersects(VISIBLE_ON_BLANK))
}

/// Looks blank whatever the current style's foreground and intensity: a space on the default
/// background with nothing that shows on a blank.
fn blank(cell: &Cell) -> bool {
    cell.symbol() == " " && cell.bg == Color::Reset && !cell.modifier.intersects(VISIBLE_ON_BLANK)
}

/// Writes one cell: the cursor's way there, the style that differs, the symbol.
pub(super) fn put(
    out: &mut Vec<u8>,
    known: &mut Known,
    screen: Option<&Screen>,
    size: Option<Size>,
    x: u16,
    y: u16,
    cell: &Cell,
) -> io::Result<()> {
    travel(out, known, screen, size, x, y)?;
    // A blank shows the same in any style with the default background and nothing that shows
    // on a blank: the current one will do.
    if !(blank(cell) && plain_for_blanks(known)) {
        style(out, known, cell.fg, cell.bg, cell.modifier)?;
    }
    out.extend_from_slice(cell.symbol().as_bytes());
    // Past a symbol surely one column wide (ASCII, Braille, box drawing …) the cursor is one
    // column on; wide or combined symbols are left to an explicit move.
    known.cursor = narrow(cell).then_some((x + 1, y));
    Ok(())
}

/// `ESC[` `n` `final`, with `n` left out when it is 1 (the default).
fn csi(out: &mut Vec<u8>, n: u16, last: char) -> io::Result<()> {
    if n == 1 {
        write!(out, "\x1b[{last}")
    } else {
        write!(out, "\x1b[{n}{last}")
    }
}

/// Moves the cursor to (`x`, `y`) the shortest way, unless it is known to be there.
pub(super) fn travel(
    out: &mut Vec<u8>,
    known: &mut Known,
    screen: Option<&Screen>,
    size: Option<Size>,
    x: u16,
    y: u16,
) -> io::Result<()> {
    if known.cursor == Some((x, y)) {
        return Ok(());
    }
    let mut best = Vec::new();
    match (x, y) {
        (0, 0) => best.extend_from_slice(b"\x1b[H"),
        (0, _) => write!(best, "\x1b[{}H", y + 1)?,
        _ => write!(best, "\x1b[{};{}H", y + 1, x + 1)?,
    }
    if let (Some((cx, cy)), Some(size)) = (known.cursor, size) {
        // From the cursor's column, or from the first after a CR. Just past the last column a
        // wrap is pending, and terminals differ on what a relative move does then.
        let from: &[(&[u8], u16)] = if cx < size.width {
            &[(b"", cx), (b"\r", 0)]
        } else {
            &[(b"\r", 0)]
        };
        for &(prefix, col) in from {
            let mut verticals: Vec<Vec<u8>> = Vec::new();
            if cy == y {
                verticals.push(Vec::new());
            } else {
                let mut v = Vec::new();
                if y > cy {
                    csi(&mut v, y - cy, 'B')?;
                } else {
                    csi(&mut v, cy - y, 'A')?;
                }
                verticals.push(v);
                let mut v = Vec::new();
                write!(v, "\x1b[{}d", y + 1)?;
                verticals.push(v);
                // Line feeds only from the first column (a terminal may add a CR), and never
                // from the last line (they would scroll).
                if col == 0 && y > cy && y - cy <= 4 {
                    verticals.push(vec![b'\n'; usize::from(y - cy)]);
                }
            }
            for v in verticals {
                let mut horizontals: Vec<Vec<u8>> = Vec::new();
                if col == x {
                    horizontals.push(Vec::new());
                } else {
                    let mut h = Vec::new();
                    if x == 0 {
                        h.push(b'\r');
                    } else if x > col {
                        csi(&mut h, x - col, 'C')?;
                    } else {
                        csi(&mut h, col - x, 'D')?;
                    }
                    horizontals.push(h);
                    let mut h = Vec::new();
                    if x == 0 {
                        h.extend_from_slice(b"\x1b[G");
                    } else {
                        write!(h, "\x1b[{}G", x + 1)?;
                    }
                    horizontals.push(h);
                    if v.is_empty() && x > col {
                        horizontals.extend(again(known, screen, col, x, y));
                    }
                }
                for h in horizontals {
                    let len = prefix.len() + v.len() + h.len();
                    if len < best.len() {
                        best.clear();
                        best.extend_from_slice(prefix);
                        best.extend_from_slice(&v);
                        best.extend_from_slice(&h);
                    }
                }
            }
        }
    }
    out.extend_from_slice(&best);
    known.cursor = Some((x, y));
    Ok(())
}

/// The cells `from..to` of line `y` as the terminal shows them, when writing them again is a
/// way to carry the cursor over them: each surely one column wide and of the current style.
fn again(known: &Known, screen: Option<&Screen>, from: u16, to: u16, y: u16) -> Option<Vec<u8>> {
    let screen = screen?;
    if to - from > GAP || to > screen.buffer.area.width || y >= screen.buffer.area.height {
        return None;
    }
    let mut bytes = Vec::new();
    for c in from..to {
        let cell = screen.cell(c, y);
        let same = known.fg == Some(cell.fg)
            && known.bg == Some(cell.bg)
            && known.modifier == Some(cell.modifier);
        if !same || screen.unsure(c, y) || !narrow(cell) {
            return None;
        }
        bytes.extend_from_slice(cell.symbol().as_bytes());
    }
    Some(bytes)
}

/// Sets the style to `fg`, `bg` and `modifier` with one SGR sequence: the changes from the
/// known style, or a reset and the style, whichever is shorter.
pub(super) fn style(
    out: &mut Vec<u8>,
    known: &mut Known,
    fg: Color,
    bg: Color,
    modifier: Modifier,
) -> io::Result<()> {
    let now = (known.fg, known.bg, known.modifier);
    if now == (Some(fg), Some(bg), Some(modifier)) {
        return Ok(());
    }
    let mut reset = vec!["0".to_owned()];
    reset.extend(modifier_params(Modifier::empty(), modifier));
    if fg != Color::Reset {
        reset.push(colour(fg, 30));
    }
    if bg != Color::Reset {
        reset.push(colour(bg, 40));
    }
    let mut params = reset;
    if let (Some(f), Some(b), Some(m)) = now {
        let mut changes = modifier_params(m, modifier);
        if f != fg {
            changes.push(colour(fg, 30));
        }
        if b != bg {
            changes.push(colour(bg, 40));
        }
        let len = |p: &[String]| p.iter().map(|s| s.len() + 1).sum::<usize>();
        let reset_len = if params.len() == 1 { 0 } else { len(&params) };
        if len(&changes) <= reset_len {
            params = changes;
        }
    }
    if params == ["0"] {
        out.extend_from_slice(b"\x1b[m");
    } else {
        write!(out, "\x1b[{}m", params.join(";"))?;
    }
    known.fg = Some(fg);
    known.bg = Some(bg);
    known.modifier = Some(modifier);
    Ok(())
}

/// The SGR parameters that take attributes `from` to `to`: those that go first (some switch
/// off two at once), then those that come or must be set again.
fn modifier_params(from: Modifier, to: Modifier) -> Vec<String> {
    // Each off code and the attributes it switches off.
    const OFF: [(Modifier, u8); 6] = [
        (Modifier::BOLD.union(Modifier::DIM), 22),
        (Modifier::ITALIC, 23),
        (Modifier::UNDERLINED, 24),
        (Modifier::SLOW_BLINK.union(Modifier::RAPID_BLINK), 25),
        (Modifier::REVERSED, 27),
        (Modifier::HIDDEN, 28),
    ];
    const ON: [(Modifier, u8); 9] = [
        (Modifier::BOLD, 1),
        (Modifier::DIM, 2),
        (Modifier::ITALIC, 3),
        (Modifier::UNDERLINED, 4),
        (Modifier::SLOW_BLINK, 5),
        (Modifier::RAPID_BLINK, 6),
        (Modifier::REVERSED, 7),
        (Modifier::HIDDEN, 8),
        (Modifier::CROSSED_OUT, 9),
    ];
    let mut params = Vec::new();
    let mut have = from;
    for (group, code) in OFF {
        if (from - to).intersects(group) {
            params.push(code.to_string());
            have -= group;
        }
    }
    if (from - to).contains(Modifier::CROSSED_OUT) {
        params.push("29".to_owned());
        have -= Modifier::CROSSED_OUT;
    }
    for (attribute, code) in ON {
        if to.contains(attribute) && !have.contains(attribute) {
            params.push(code.to_string());
        }
    }
    params
}

/// A colour's SGR parameter: `base` is 30 for the foreground, 40 for the background. The 16
/// named colours take their short codes (30–37, 90–97), the rest the 256-colour or RGB forms.
fn colour(color: Color, base: u8) -> String {
    let named = |n: u8| {
        if n < 8 {
            (base + n).to_string()
        } else {
            (base + 60 + n - 8).to_string()
        }
    };
    match color {
        Color::Reset => (base + 9).to_string(),
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => named(8),
        Color::LightRed => named(9),
        Color::LightGreen => named(10),
        Color::LightYellow => named(11),
        Color::LightBlue => named(12),
        Color::LightMagenta => named(13),
        Color::LightCyan => named(14),
        Color::White => named(15),
        Color::Indexed(i) => format!("{};5;{i}", base + 8),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
    }
}
