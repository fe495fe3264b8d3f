//! Where things are: coordinates and the distance between them. Calls, units, recommendations,
//! address history and events all need them, so they live below all of those.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coords {
    pub lat: f64,
    pub lon: f64,
}

/// An address in parts, as the address list (or a sending centre) gave it; empty parts are
/// unknown. Kept beside the typed location so a receiving system need not parse the text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CivicAddress {
    pub number: String,
    pub street: String,
    pub unit: String,
    pub city: String,
    pub postcode: String,
}

impl CivicAddress {
    pub fn is_empty(&self) -> bool {
        [
            &self.number,
            &self.street,
            &self.unit,
            &self.city,
            &self.postcode,
        ]
        .iter()
        .all(|p| p.is_empty())
    }
}

/// Great-circle distance in kilometres (haversine).
pub fn distance_km(a: &Coords, b: &Coords) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_degree_of_latitude_is_about_111_km() {
        let a = Coords {
            lat: 39.0,
            lon: -105.0,
        };
        let b = Coords {
            lat: 40.0,
            lon: -105.0,
        };
        assert!((distance_km(&a, &b) - 111.2).abs() < 0.1);
        assert!(distance_km(&a, &a).abs() < 1e-9);
    }
}
