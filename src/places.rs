//! Places: the address list (gazetteer) that turns what a call-taker types into a place with a
//! confidence, and the map drawn from it.
//!
//! Everything here works on data it is given and touches no disk, so the desk can place calls
//! and a console can draw the map without I/O; `config::gazetteer` reads and saves the list.
//! - `normalize`: the normal form (street words, ordinals, intersections).
//! - `openaddresses`: reading both `OpenAddresses` forms (CSV, `GeoJSON` lines), writing CSV.
//! - `gazetteer`: the list, its index and fuzzy lookup.
//! - `place`: placing a call: exact, fuzzy (which words), ambiguous (the choices), not placed.
//! - `map`: the projection and Braille raster of the map pane.

mod address;
pub mod gazetteer;
pub mod map;

pub mod normalize;
pub mod openaddresses;
pub mod place;
pub mod towns;

pub use crate::domain::placement::distance_m;
pub use gazetteer::{Address, Gazetteer, Imported, DEMO_TOWN};
pub use openaddresses::{Form, RowProblem};

/// Kodiak, Alaska: the real town shipped for the demo, 4,473 addresses from `OpenAddresses`
/// output kept in pelias/openaddresses's test data (MIT); see `gazetteer/README.md`.
pub const KODIAK: &str = include_str!("../gazetteer/kodiak.csv");
