//! The towns shipped for the demo, and the places in one that calls come from.

use super::gazetteer::Gazetteer;
use super::{DEMO_TOWN, KODIAK};
use crate::domain::placement::distance_m;

/// The shipped towns by name: `millbrook` (fictional) and `kodiak` (Kodiak, Alaska).
pub const NAMES: [&str; 2] = ["millbrook", "kodiak"];

/// A shipped town's address list.
pub fn town(name: &str) -> Result<Gazetteer, String> {
    match name.to_ascii_lowercase().as_str() {
        "millbrook" => Ok(Gazetteer::parse(DEMO_TOWN, "demo-town.csv").0),
        "kodiak" => Ok(Gazetteer::parse(KODIAK, "kodiak.csv").0),
        other => Err(format!(
            "no shipped town {other:?}; the shipped ones are {}",
            NAMES.join(" and ")
        )),
    }
}

/// Corners looked for at most, so a big city's list is read in a moment.
const MOST_CORNERS_TRIED: usize = 400;

/// Where a town's calls come from, as a caller would say them: every numbered address, and
/// for some of them (every fifth, at most [`MOST_CORNERS_TRIED`] tried) the corner of its
/// street with another street whose address is within 60 m (`Willow Street & Birch Avenue`)
/// when the list places that corner. In the list's order, so the same town gives the same
/// places.
pub fn call_places(g: &Gazetteer) -> Vec<String> {
    let mut out = Vec::new();
    let stride = (g.len() / MOST_CORNERS_TRIED).max(5);
    for (n, a) in g.addresses().iter().enumerate() {
        if a.number.is_empty() {
            continue;
        }
        out.push(format!("{} {}", a.number, a.street));
        if n % stride == 0 {
            let corner = g
                .nearest(&a.coords, 60.0)
                .into_iter()
                .find(|b| b.street != a.street && distance_m(&a.coords, &b.coords) > 0.0);
            if let Some(b) = corner {
                let name = format!("{} & {}", a.street, b.street);
                if g.place(&name).placement.is_placed() {
                    out.push(name);
                }
            }
        }
    }
    out
}
