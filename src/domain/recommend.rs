//! Unit recommendation: available units ranked by the capabilities the response needs, then
//! distance, then time available — each with the reason in words.

use super::call::Call;
use super::event::Coords;
use super::ids::Callsign;
use super::state::State;
use super::triage::ResponseType;
use super::vocab::{Capability, UnitStatus};

/// Without coordinates, a unit in the call's zone counts as this near, one elsewhere this far.
const SAME_ZONE_KM: f64 = 1.0;
const UNKNOWN_KM: f64 = 5.0;
const OTHER_ZONE_KM: f64 = 10.0;

#[derive(Clone, Debug, PartialEq)]
pub enum Distance {
    Km(f64),
    SameZone,
    OtherZone,
    Unknown,
}

impl Distance {
    fn sort_km(&self) -> f64 {
        match self {
            Distance::Km(km) => *km,
            Distance::SameZone => SAME_ZONE_KM,
            Distance::OtherZone => OTHER_ZONE_KM,
            Distance::Unknown => UNKNOWN_KM,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub unit: Callsign,
    pub capabilities: Vec<Capability>,
    /// Capabilities the response needs that this unit lacks; units short of one rank last.
    pub missing: Vec<Capability>,
    pub distance: Distance,
    /// How long the unit has been available.
    pub idle_ms: i64,
}

impl Ranked {
    /// "STAR-3: clinician+medic, 1.2 km, available 14 min"
    pub fn explain(&self) -> String {
        let caps: Vec<&str> = self.capabilities.iter().map(|c| c.word()).collect();
        let distance = match &self.distance {
            Distance::Km(km) => format!("{km:.1} km"),
            Distance::SameZone => "same zone".to_owned(),
            Distance::OtherZone => "other zone".to_owned(),
            Distance::Unknown => "distance unknown".to_owned(),
        };
        let mut line = format!(
            "{}: {}, {distance}, available {} min",
            self.unit,
            caps.join("+"),
            self.idle_ms / 60_000
        );
        if !self.missing.is_empty() {
            let lacks: Vec<&str> = self.missing.iter().map(|c| c.word()).collect();
            line = format!("{line} — lacks {}", lacks.join("+"));
        }
        line
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

/// Available units for `call`, best first. Busy and out-of-service units are never listed.
pub fn rank(state: &State, call: &Call, response: ResponseType, now_ms: i64) -> Vec<Ranked> {
    let needs = response.needs();
    let mut ranked: Vec<Ranked> = state
        .units
        .values()
        .filter(|u| u.status == UnitStatus::Available && u.call.is_none())
        .map(|u| {
            let distance = match (&call.coords, &u.position, &call.zone, &u.zone) {
                (Some(c), Some(p), _, _) => Distance::Km(distance_km(c, p)),
                (_, _, Some(cz), Some(uz)) if cz.eq_ignore_ascii_case(uz) => Distance::SameZone,
                (_, _, Some(_), Some(_)) => Distance::OtherZone,
                _ => Distance::Unknown,
            };
            Ranked {
                unit: u.callsign.clone(),
                capabilities: u.capabilities.iter().copied().collect(),
                missing: needs.iter().copied().filter(|n| !u.has(*n)).collect(),
                distance,
                idle_ms: now_ms - u.status_ms,
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        a.missing
            .len()
            .cmp(&b.missing.len())
            .then(a.distance.sort_km().total_cmp(&b.distance.sort_km()))
            .then(b.idle_ms.cmp(&a.idle_ms))
            .then(a.unit.cmp(&b.unit))
    });
    ranked
}
