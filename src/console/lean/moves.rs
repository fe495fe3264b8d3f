//! Moving what the terminal already shows: when most of a frame is an old region moved by
//! whole cells (a map panned), the terminal moves it — whole lines with delete and insert line
//! (DL `ESC[nM`, IL `ESC[nL`), parts of lines with delete and insert character (DCH `ESC[nP`,
//! ICH `ESC[n@`) — and only the cells that still differ are written.
//!
//! None of these need a scroll region or margins: a region is moved by deleting at one edge
//! and inserting at the other, which puts back everything past it. What the terminal shows is
//! kept cell by cell ([`Screen`]), applying exactly what the terminal does, so the cells
//! written after a move are the true difference. Cells whose width is not surely one column
//! (wide, combined, or next to one) are never moved sideways, and a line holding one is never
//! moved.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{self, Write};

use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Rect, Size};
use ratatui::style::{Color, Modifier};

use super::pen::{paint, style, travel};
use super::screen::Screen;
use super::Known;

/// Below this many changed cells a frame is written as it is, without looking for a move.
pub(super) const MOVE_WORTH: usize = 48;

/// How many of the best-scored moves are written out to compare their bytes.
const TRIED: usize = 3;

/// A move of cells the terminal shows.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Move {
    /// Whole lines `top..=bottom` moved `n` up (`up`) or down; the lines uncovered are blank.
    Lines {
        top: u16,
        bottom: u16,
        n: u16,
        up: bool,
    },
    /// In each of `rows`, the cells `x0..x1` moved `n` left (`left`) or right; the cells
    /// uncovered are blank.
    Cells {
        rows: Vec<u16>,
        x0: u16,
        x1: u16,
        n: u16,
        left: bool,
    },
}

/// One terminal edit a move is made of: delete (DL, DCH) or insert (IL, ICH) `n` lines at
/// line `y`, or `n` characters at (`x`, `y`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Lines {
        y: u16,
        n: u16,
        delete: bool,
    },
    Chars {
        x: u16,
        y: u16,
        n: u16,
        delete: bool,
    },
}

impl Move {
    /// The edits, in order, on a `w`×`h` screen: what leaves at one edge of the region is
    /// deleted and blanks are inserted at the other, so nothing outside it moves. Both
    /// [`Move::apply`] and [`Move::write`] follow this one list, so the backend's copy and
    /// the terminal cannot drift apart.
    fn steps(&self, w: u16, h: u16) -> Vec<Step> {
        match *self {
            Move::Lines { top, bottom, n, up } => {
                let below = (bottom + 1 < h).then_some(bottom + 1 - n);
                let (first, second) = if up {
                    (Some(top), below)
                } else {
                    (below, Some(top))
                };
                let delete = first.map(|y| Step::Lines { y, n, delete: true });
                let insert = second.map(|y| Step::Lines {
                    y,
                    n,
                    delete: false,
                });
                delete.into_iter().chain(insert).collect()
            }
            Move::Cells {
                ref rows,
                x0,
                x1,
                n,
                left,
            } => {
                let inside = (x1 < w).then_some(x1 - n);
                let (first, second) = if left {
                    (Some(x0), inside)
                } else {
                    (inside, Some(x0))
                };
                rows.iter()
                    .flat_map(|&y| {
                        let delete = first.map(|x| Step::Chars {
                            x,
                            y,
                            n,
                            delete: true,
                        });
                        let insert = second.map(|x| Step::Chars {
                            x,
                            y,
                            n,
                            delete: false,
                        });
                        delete.into_iter().chain(insert)
                    })
                    .collect()
            }
        }
    }

    /// What it does to `screen`, exactly as the terminal does it.
    fn apply(&self, screen: &mut Screen) {
        for step in self.steps(screen.width(), screen.height()) {
            match step {
                Step::Lines { y, n, delete } => screen.lines(y, n, delete),
                Step::Chars { x, y, n, delete } => screen.chars(x, y, n, delete),
            }
        }
    }

    /// The bytes that make the terminal do it. Blanks take the current background, so the
    /// style is reset first.
    fn write(&self, out: &mut Vec<u8>, known: &mut Known, w: u16, h: u16) -> io::Result<()> {
        style(out, known, Color::Reset, Color::Reset, Modifier::empty())?;
        let size = Some(Size {
            width: w,
            height: h,
        });
        for step in self.steps(w, h) {
            match step {
                Step::Lines { y, n, delete } => {
                    // DL and IL send the cursor to the first column: where it is is not trusted.
                    travel(out, known, None, size, 0, y)?;
                    write!(out, "\x1b[{n}{}", if delete { 'M' } else { 'L' })?;
                    known.cursor = None;
                }
                Step::Chars { x, y, n, delete } => {
                    travel(out, known, None, size, x, y)?;
                    write!(out, "\x1b[{n}{}", if delete { 'P' } else { '@' })?;
                }
            }
        }
        Ok(())
    }

    fn touches(&self, y: u16) -> bool {
        match self {
            Move::Lines { top, bottom, .. } => (*top..=*bottom).contains(&y),
            Move::Cells { rows, .. } => rows.contains(&y),
        }
    }
}

/// A frame written with a move: its bytes, and the terminal after them.
pub(super) struct Moved {
    pub bytes: Vec<u8>,
    pub known: Known,
    pub screen: Screen,
}

/// The frame `cells` (ratatui's difference from what the terminal shows) written with the move
/// that costs fewest bytes, or `None` when no move looks worth it.
pub(super) fn moved(
    screen: &Screen,
    cells: &[(u16, u16, &Cell)],
    known: Known,
) -> io::Result<Option<Moved>> {
    let mut next = screen.buffer.clone();
    for &(x, y, cell) in cells {
        next[(x, y)] = cell.clone();
    }
    let (w, h) = (screen.width(), screen.height());
    let old = hashes(&screen.buffer);
    let new = hashes(&next);
    let index = |x: u16, y: u16| usize::from(y) * usize::from(w) + usize::from(x);
    let plain: Vec<bool> = (0..h).map(|y| screen.plain(y)).collect();
    let mut candidates: Vec<(i64, Move)> = Vec::new();

    // Whole lines: row y receives row y + d (d = n up, -n down).
    for n in 1..=h / 2 {
        for up in [true, false] {
            let gain = |y: u16| -> Option<i64> {
                let from = if up {
                    y.checked_add(n)?
                } else {
                    y.checked_sub(n)?
                };
                if from >= h || !plain[usize::from(from)] {
                    return None;
                }
                Some(
                    (0..w)
                        .map(|x| {
                            let here = new[index(x, y)];
                            i64::from(here == old[index(x, from)])
                                - i64::from(here == old[index(x, y)])
                        })
                        .sum(),
                )
            };
            if let Some((score, first, last)) = best_run((0..h).map(gain)) {
                let (top, bottom) = if up {
                    (first, (last + n).min(h - 1))
                } else {
                    (first - n, last)
                };
                candidates.push((score, Move::Lines { top, bottom, n, up }));
            }
        }
    }

    // Parts of lines: column x receives column x + d, where the line is of one-column cells
    // from the move on (what is left of it does not move).
    let sure: Vec<u16> = (0..h).map(|y| screen.sure_from(y)).collect();
    let rows: Vec<u16> = (0..h).filter(|&y| sure[usize::from(y)] < w).collect();
    for n in 1..=w / 2 {
        for left in [true, false] {
            let from = |x: u16| -> Option<u16> {
                let f = if left {
                    x.checked_add(n)?
                } else {
                    x.checked_sub(n)?
                };
                (f < w).then_some(f)
            };
            let cell_gain = |x: u16, y: u16, f: u16| {
                let here = new[index(x, y)];
                i64::from(here == old[index(f, y)]) - i64::from(here == old[index(x, y)])
            };
            let column = |x: u16| -> Option<i64> {
                let f = from(x)?;
                let start = x.min(f);
                Some(
                    rows.iter()
                        .filter(|&&y| sure[usize::from(y)] <= start)
                        .map(|&y| cell_gain(x, y, f))
                        .sum(),
                )
            };
            let Some((_, first, last)) = best_run((0..w).map(column)) else {
                continue;
            };
            let x0 = if left { first } else { first - n };
            let mut score = 0;
            let mut moving = Vec::new();
            for &y in rows.iter().filter(|&&y| sure[usize::from(y)] <= x0) {
                let g: i64 = (first..=last)
                    .filter_map(|x| from(x).map(|f| cell_gain(x, y, f)))
                    .sum();
                // A line's move costs about a dozen bytes: worth it past a few cells.
                if g > 4 {
                    score += g;
                    moving.push(y);
                }
            }
            if moving.is_empty() {
                continue;
            }
            let x1 = if left { last + n + 1 } else { last + 1 };
            let mv = Move::Cells {
                rows: moving,
                x0,
                x1: x1.min(w),
                n,
                left,
            };
            candidates.push((score, mv));
        }
    }

    candidates.retain(|(score, _)| *score > 8);
    candidates.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    candidates.truncate(TRIED);
    let mut best: Option<Moved> = None;
    for (_, mv) in candidates {
        let mut shifted = screen.clone();
        mv.apply(&mut shifted);
        let mut bytes = Vec::new();
        let mut k = known;
        mv.write(&mut bytes, &mut k, w, h)?;
        // ratatui's cells where the move did not reach; the true difference where it did.
        let mut list: Vec<(u16, u16, Cell)> = Vec::new();
        for y in 0..h {
            if mv.touches(y) {
                let row = |b: &Buffer| {
                    let mut r = Buffer::empty(Rect::new(0, 0, w, 1));
                    let start = index(0, y);
                    r.content
                        .clone_from_slice(&b.content[start..start + usize::from(w)]);
                    r
                };
                let (was, will) = (row(&shifted.buffer), row(&next));
                list.extend(
                    was.diff(&will)
                        .into_iter()
                        .map(|(x, _, c)| (x, y, c.clone())),
                );
            } else {
                list.extend(
                    cells
                        .iter()
                        .filter(|c| c.1 == y)
                        .map(|&(x, y, c)| (x, y, c.clone())),
                );
            }
        }
        let list: Vec<(u16, u16, &Cell)> = list.iter().map(|(x, y, c)| (*x, *y, c)).collect();
        let size = Some(Size {
            width: w,
            height: h,
        });
        paint(&mut bytes, &mut k, Some(&mut shifted), size, &list)?;
        if best.as_ref().is_none_or(|b| bytes.len() < b.bytes.len()) {
            best = Some(Moved {
                bytes,
                known: k,
                screen: shifted,
            });
        }
    }
    Ok(best)
}

/// A hash of each cell, to compare cells cheaply while looking for a move.
fn hashes(buffer: &Buffer) -> Vec<u64> {
    buffer
        .content
        .iter()
        .map(|c| {
            let mut h = DefaultHasher::new();
            c.hash(&mut h);
            h.finish()
        })
        .collect()
}

/// The run of consecutive known gains with the greatest sum: (sum, first, last) by position.
fn best_run(gains: impl Iterator<Item = Option<i64>>) -> Option<(i64, u16, u16)> {
    let mut best: Option<(i64, u16, u16)> = None;
    let mut run: Option<(i64, u16)> = None;
    for (i, g) in gains.enumerate() {
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        let Some(g) = g else {
            run = None;
            continue;
        };
        run = match run {
            Some((sum, start)) if sum > 0 => Some((sum + g, start)),
            _ => Some((g, i)),
        };
        if let Some((sum, start)) = run {
            if best.is_none_or(|b| sum > b.0) {
                best = Some((sum, start, i));
            }
        }
    }
    best.filter(|b| b.0 > 0)
}
