//! The map pane's data: a flat projection around a centre, and a raster of Braille cells in which
//! each of a terminal cell's 2×4 dots is one pixel, so that at 80×24 the pane holds about 156×80
//! dots and at 20 m a dot the address points of a 3 km square trace its streets.
//!
//! Pure: what to draw, not how; the console's view turns it into cells and styles.

use super::gazetteer::Gazetteer;
use crate::domain::place::Coords;
use crate::domain::placement::distance_m;

/// Metres per dot at each zoom level, closest first. Level 2 (20 m) is where a map opens.
pub const SCALES_M: [f64; 8] = [2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0];

/// The zoom level a map opens at: 20 m a dot.
pub const OPENING_ZOOM: usize = 3;

const METRES_PER_DEGREE_LAT: f64 = 110_574.0;
const METRES_PER_DEGREE_LON_AT_EQUATOR: f64 = 111_320.0;

/// A window of `width` × `height` dots centred on `centre`, `metres` to a dot (equirectangular:
/// flat within a town), moved `offset` whole dots from there (x right, y down).
///
/// A pan moves the window by whole dots on the one grid laid from `centre`, never by moving
/// the centre, so every point falls on the same dot less the offset: a pan by whole cells
/// shows the old picture shifted by whole cells, which the terminal can move instead of
/// redrawing.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    pub centre: Coords,
    pub metres: f64,
    pub width: u32,
    pub height: u32,
    pub offset: (i32, i32),
}

impl Projection {
    /// The dot `at` falls on, if inside the window: (x right, y down).
    pub fn dot(&self, at: &Coords) -> Option<(u32, u32)> {
        let cos = self.centre.lat.to_radians().cos();
        let east = (at.lon - self.centre.lon) * cos * METRES_PER_DEGREE_LON_AT_EQUATOR;
        let north = (at.lat - self.centre.lat) * METRES_PER_DEGREE_LAT;
        // The dot on the grid laid from the centre, then the offset in whole dots: exact.
        let x =
            (east / self.metres + f64::from(self.width) / 2.0).floor() - f64::from(self.offset.0);
        let y = (-north / self.metres + f64::from(self.height) / 2.0).floor()
            - f64::from(self.offset.1);
        (x >= 0.0 && y >= 0.0 && x < f64::from(self.width) && y < f64::from(self.height))
            .then_some((x as u32, y as u32))
    }

    /// The latitudes the window spans (south, north), for [`Gazetteer::in_band`], a dot wider
    /// each way than the window.
    pub fn band(&self) -> (f64, f64) {
        let dot = self.metres / METRES_PER_DEGREE_LAT;
        let middle = self.centre.lat - f64::from(self.offset.1) * dot;
        let half = (f64::from(self.height) / 2.0 + 1.0) * dot;
        (middle - half, middle + half)
    }

    /// The window moved by whole dots more (x right, y down).
    #[must_use]
    pub fn panned(&self, dx: i32, dy: i32) -> Projection {
        Projection {
            offset: (self.offset.0 + dx, self.offset.1 + dy),
            ..self.clone()
        }
    }

    /// How far the window reaches across, in metres.
    pub fn across_m(&self) -> f64 {
        f64::from(self.width) * self.metres
    }
}

/// Cells of 2×4 dots; a cell's bits are the Braille pattern's (U+2800 + bits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raster {
    pub columns: u16,
    pub rows: u16,
    bits: Vec<u8>,
}

/// The bit of each dot in a Braille cell, by (x, y) within the cell.
const DOT_BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];

impl Raster {
    pub fn new(columns: u16, rows: u16) -> Raster {
        Raster {
            columns,
            rows,
            bits: vec![0; usize::from(columns) * usize::from(rows)],
        }
    }

    /// The projection that fills this raster.
    pub fn projection(&self, centre: Coords, metres: f64) -> Projection {
        Projection {
            centre,
            metres,
            width: u32::from(self.columns) * 2,
            height: u32::from(self.rows) * 4,
            offset: (0, 0),
        }
    }

    pub fn set(&mut self, (x, y): (u32, u32)) {
        let (column, row) = ((x / 2) as usize, (y / 4) as usize);
        if column < usize::from(self.columns) && row < usize::from(self.rows) {
            self.bits[row * usize::from(self.columns) + column] |=
                DOT_BITS[(x % 2) as usize][(y % 4) as usize];
        }
    }

    /// The Braille character of a cell, `None` when it has no dot.
    pub fn braille(&self, column: u16, row: u16) -> Option<char> {
        let bits = self.bits(column, row);
        (bits != 0).then(|| char::from_u32(0x2800 + u32::from(bits)).unwrap_or('.'))
    }

    /// The character of a cell where the terminal has no Braille: `.` for one or two dots,
    /// `:` for more.
    pub fn ascii(&self, column: u16, row: u16) -> Option<char> {
        match self.bits(column, row).count_ones() {
            0 => None,
            1 | 2 => Some('.'),
            _ => Some(':'),
        }
    }

    fn bits(&self, column: u16, row: u16) -> u8 {
        if column < self.columns && row < self.rows {
            self.bits[usize::from(row) * usize::from(self.columns) + usize::from(column)]
        } else {
            0
        }
    }

    /// The cell a dot falls in.
    pub fn cell((x, y): (u32, u32)) -> (u16, u16) {
        ((x / 2) as u16, (y / 4) as u16)
    }
}

/// Draws every address of the list that falls in the window.
pub fn draw_addresses(gazetteer: &Gazetteer, projection: &Projection, raster: &mut Raster) {
    let (south, north) = projection.band();
    for a in gazetteer.in_band(south, north) {
        if let Some(dot) = projection.dot(&a.coords) {
            raster.set(dot);
        }
    }
}

/// The names of the streets nearest `at`, at most `most`, each with the point of it nearest
/// `at` that lies in the window (where its label goes).
pub fn nearest_streets(
    gazetteer: &Gazetteer,
    projection: &Projection,
    at: &Coords,
    most: usize,
) -> Vec<(String, Coords)> {
    let (south, north) = projection.band();
    let mut best: Vec<(f64, String, Coords)> = Vec::new();
    for a in gazetteer.in_band(south, north) {
        if projection.dot(&a.coords).is_none() {
            continue;
        }
        let d = distance_m(at, &a.coords);
        match best.iter_mut().find(|b| b.1 == a.street) {
            Some(b) if d < b.0 => *b = (d, a.street.clone(), a.coords.clone()),
            Some(_) => {}
            None => best.push((d, a.street.clone(), a.coords.clone())),
        }
    }
    best.sort_by(|a, b| a.0.total_cmp(&b.0));
    best.into_iter()
        .take(most)
        .map(|(_, name, at)| (name, at))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_fall_in_braille_cells() {
        let mut r = Raster::new(2, 1);
        r.set((0, 0));
        r.set((1, 3));
        r.set((2, 1));
        assert_eq!(r.braille(0, 0), Some('\u{2881}'));
        assert_eq!(r.braille(1, 0), Some('\u{2802}'));
        assert_eq!(r.ascii(0, 0), Some('.'));
        r.set((0, 1));
        r.set((0, 2));
        assert_eq!(r.ascii(0, 0), Some(':'));
        r.set((9, 9));
        assert_eq!(r.braille(5, 5), None);
    }

    #[test]
    fn the_projection_puts_the_centre_in_the_middle_and_north_up() {
        let centre = Coords {
            lat: 57.79,
            lon: -152.40,
        };
        let p = Raster::new(78, 20).projection(centre.clone(), 20.0);
        assert_eq!((p.width, p.height), (156, 80));
        assert_eq!(p.dot(&centre), Some((78, 40)));
        let north = Coords {
            lat: 57.79 + 190.0 / METRES_PER_DEGREE_LAT,
            lon: -152.40,
        };
        assert_eq!(p.dot(&north), Some((78, 30)));
        let far = Coords {
            lat: 57.9,
            lon: -152.40,
        };
        assert_eq!(p.dot(&far), None);
        assert!((p.across_m() - 3_120.0).abs() < 1e-9);
        // Ten dots east: the centre lands ten dots left of the middle, exactly.
        let east = p.panned(10, 0);
        assert_eq!(east.dot(&centre), Some((68, 40)));
        assert_eq!(east.panned(-10, 3).dot(&centre), Some((78, 37)));
    }

    /// Cells of `raster` as Braille bits, row by row.
    fn cells(raster: &Raster) -> Vec<Vec<u8>> {
        (0..raster.rows)
            .map(|r| (0..raster.columns).map(|c| raster.bits(c, r)).collect())
            .collect()
    }

    #[test]
    fn a_pan_by_whole_cells_shifts_the_picture_by_whole_cells() {
        use std::fmt::Write as _;
        // Points strewn over the window and past its edges, none on a round coordinate.
        let mut csv = String::from("LON,LAT,NUMBER,STREET\n");
        for k in 0..900_u32 {
            let lon = -152.42 + f64::from(k * 37 % 900) * 0.000_047;
            let lat = 57.77 + f64::from(k * 53 % 900) * 0.000_043;
            writeln!(csv, "{lon:.6},{lat:.6},{k},Test St").unwrap();
        }
        let (gazetteer, problems) = Gazetteer::parse(&csv, "strewn.csv");
        assert!(problems.is_empty());
        let centre = Coords {
            lat: 57.79,
            lon: -152.40,
        };
        let (columns, rows) = (30_u16, 10_u16);
        let home = Raster::new(columns, rows).projection(centre, 20.0);
        let draw = |p: &Projection| {
            let mut r = Raster::new(columns, rows);
            draw_addresses(&gazetteer, p, &mut r);
            cells(&r)
        };
        let base = draw(&home);
        assert!(base.iter().flatten().filter(|&&b| b != 0).count() > 50);
        // (cells right, cells down) the window moves.
        for (dc, dr) in [(3_i32, 0_i32), (-3, 0), (0, 2), (0, -2), (5, -1)] {
            let moved = draw(&home.panned(dc * 2, dr * 4));
            for r in 0..i32::from(rows) {
                for c in 0..i32::from(columns) {
                    let (oc, or) = (c + dc, r + dr);
                    if (0..i32::from(columns)).contains(&oc) && (0..i32::from(rows)).contains(&or) {
                        assert_eq!(
                            moved[r as usize][c as usize], base[or as usize][oc as usize],
                            "cell ({c},{r}) after a pan of ({dc},{dr}) cells"
                        );
                    }
                }
            }
        }
    }
}
