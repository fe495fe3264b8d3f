//! How simulated teams move once someone dispatches them, shared by training's scenario world
//! and the demo's centre: the steps they report by radio, how long each takes, and the trips
//! that let a person at the console take over a team by setting its status by hand.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::RngExt;
use rand_distr::{Distribution, LogNormal};

use crate::domain::CallId;

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;

/// A lognormal duration: median and spread, clamped, in minutes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lognormal {
    pub median_min: f64,
    pub sigma: f64,
    pub min_min: f64,
    pub max_min: f64,
}

impl Lognormal {
    pub const fn new(median_min: f64, sigma: f64, min_min: f64, max_min: f64) -> Self {
        Lognormal {
            median_min,
            sigma,
            min_min,
            max_min,
        }
    }

    /// One draw, in milliseconds.
    pub fn sample_ms(&self, rng: &mut StdRng) -> i64 {
        let minutes = LogNormal::new(self.median_min.ln(), self.sigma)
            .map_or(self.median_min, |l| l.sample(rng));
        (minutes.clamp(self.min_min, self.max_min) * MINUTE as f64) as i64
    }
}

/// How teams move: turnout (seconds, uniform) and lognormal travel, on-scene, ride and
/// hand-over times.
#[derive(Clone, Debug, PartialEq)]
pub struct Behaviour {
    pub turnout: (f64, f64),
    pub travel: Lognormal,
    pub on_scene: Lognormal,
    /// Driving a person to a shelter or a hospital.
    pub ride: Lognormal,
    /// Handing the person over at the facility.
    pub handover: Lognormal,
}

impl Default for Behaviour {
    /// field-data.md: travel lognormal around 12 min with a long tail; on scene ~35 min median
    /// (10–90). A ride across town and a hand-over (estimate): 10 and 15 min medians.
    fn default() -> Self {
        Behaviour {
            turnout: (30.0, 90.0),
            travel: Lognormal::new(12.0, 0.45, 3.0, 40.0),
            on_scene: Lognormal::new(35.0, 0.5, 10.0, 90.0),
            ride: Lognormal::new(10.0, 0.5, 4.0, 35.0),
            handover: Lognormal::new(15.0, 0.5, 5.0, 45.0),
        }
    }
}

impl Behaviour {
    /// From dispatch to rolling, in milliseconds.
    pub fn turnout_ms(&self, rng: &mut StdRng) -> i64 {
        let (lo, hi) = self.turnout;
        let s = if hi > lo {
            rng.random_range(lo..=hi)
        } else {
            lo
        };
        (s * SECOND as f64) as i64
    }
}

/// What a team reports next, as the status command a dispatcher would type for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    EnRoute,
    OnScene,
    /// Transporting the person to this destination.
    Transport(String),
    AtFacility,
    Clear,
}

impl Step {
    /// The line that reports this step for `unit`.
    pub fn line(&self, unit: &str) -> String {
        match self {
            Step::EnRoute => format!("enr {unit}"),
            Step::OnScene => format!("ons {unit}"),
            Step::Transport(to) => format!("trn {unit} {to}"),
            Step::AtFacility => format!("atf {unit}"),
            Step::Clear => format!("avl {unit}"),
        }
    }

    pub fn word(&self) -> &'static str {
        match self {
            Step::EnRoute => "enr",
            Step::OnScene => "ons",
            Step::Transport(_) => "trn",
            Step::AtFacility => "atf",
            Step::Clear => "avl",
        }
    }
}

/// Per unit (by upper-case callsign): the trip it is on and its call. Every change to a unit
/// that its world did not book (a dispatch, a status set by hand) starts a new trip, and what
/// was booked for the old trip no longer happens: a person at the console takes a team over
/// just by setting its status.
#[derive(Clone, Debug, Default)]
pub struct Trips(BTreeMap<String, (u64, Option<CallId>)>);

impl Trips {
    /// A new trip for `unit`, to `call` (or to none); returns its number.
    pub fn start(&mut self, unit: &str, call: Option<CallId>) -> u64 {
        let entry = self.0.entry(unit.to_ascii_uppercase()).or_insert((0, None));
        entry.0 += 1;
        entry.1 = call;
        entry.0
    }

    pub fn is_current(&self, unit: &str, trip: u64) -> bool {
        self.0
            .get(&unit.to_ascii_uppercase())
            .is_some_and(|(t, _)| *t == trip)
    }

    /// The trip `unit` is on now (0 before its first).
    pub fn current(&self, unit: &str) -> u64 {
        self.0
            .get(&unit.to_ascii_uppercase())
            .map_or(0, |(t, _)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_new_trip_cancels_the_old_one() {
        let mut trips = Trips::default();
        let first = trips.start("star-1", None);
        assert!(trips.is_current("STAR-1", first));
        let second = trips.start("STAR-1", None);
        assert!(!trips.is_current("STAR-1", first));
        assert!(trips.is_current("star-1", second));
        assert_eq!(trips.current("STAR-2"), 0);
    }

    #[test]
    fn durations_stay_in_their_bounds() {
        let mut rng = StdRng::seed_from_u64(1);
        let d = Lognormal::new(12.0, 2.0, 3.0, 40.0);
        for _ in 0..200 {
            let ms = d.sample_ms(&mut rng);
            assert!((3 * MINUTE..=40 * MINUTE).contains(&ms), "{ms}");
        }
        assert_eq!(
            Step::Transport("shelter".into()).line("STAR-1"),
            "trn STAR-1 shelter"
        );
    }
}
