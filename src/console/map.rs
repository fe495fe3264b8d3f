//! What the map pane shows: open or not, how close, how far panned from the selected call.
//! Console state only; the view (`view/map.rs`) draws it from the gazetteer and the fold.

use crate::places::map::{OPENING_ZOOM, SCALES_M};

/// A map key's effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapMove {
    Toggle,
    In,
    Out,
    Left,
    Right,
    Up,
    Down,
    /// Back on the selected call.
    Centre,
}

impl MapMove {
    pub const WORDS: [&'static str; 8] = [
        "toggle", "in", "out", "left", "right", "up", "down", "centre",
    ];

    pub fn parse(word: Option<&str>) -> Result<MapMove, String> {
        Ok(match word.map(str::to_ascii_lowercase).as_deref() {
            None | Some("toggle") => MapMove::Toggle,
            Some("in") => MapMove::In,
            Some("out") => MapMove::Out,
            Some("left") => MapMove::Left,
            Some("right") => MapMove::Right,
            Some("up") => MapMove::Up,
            Some("down") => MapMove::Down,
            Some("centre" | "center") => MapMove::Centre,
            Some(other) => return Err(format!("map {other}? map [{}]", MapMove::WORDS.join("|"))),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapState {
    pub open: bool,
    /// An index into [`SCALES_M`].
    pub zoom: usize,
    /// How far the view is panned from the call, in tenths of the pane's width and height, so
    /// that a pan moves the same share of the screen at every zoom.
    pub pan: (i32, i32),
}

impl Default for MapState {
    fn default() -> Self {
        MapState {
            open: false,
            zoom: OPENING_ZOOM,
            pan: (0, 0),
        }
    }
}

impl MapState {
    pub fn apply(&mut self, step: MapMove) {
        match step {
            MapMove::Toggle => {
                self.open = !self.open;
                if self.open {
                    self.pan = (0, 0);
                }
            }
            MapMove::In => self.zoom = self.zoom.saturating_sub(1),
            MapMove::Out => self.zoom = (self.zoom + 1).min(SCALES_M.len() - 1),
            MapMove::Left => self.pan.0 -= 1,
            MapMove::Right => self.pan.0 += 1,
            MapMove::Up => self.pan.1 -= 1,
            MapMove::Down => self.pan.1 += 1,
            MapMove::Centre => self.pan = (0, 0),
        }
        if step != MapMove::Toggle {
            self.open = true;
        }
    }

    /// Metres per dot.
    pub fn metres(&self) -> f64 {
        SCALES_M[self.zoom.min(SCALES_M.len() - 1)]
    }
}
