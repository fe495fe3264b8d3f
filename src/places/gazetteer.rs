//! The gazetteer: the address list with its lookup index, which turns what a call-taker types
//! into known addresses and finds the addresses near a point.
//!
//! Lookup is fuzzy (skim) against each address's label, but it scores only candidates drawn from
//! an index of house numbers and street-name words, so that it answers within a few milliseconds
//! over 100k addresses. Both sides are in the normal form of [`super::normalize`]. A city named
//! at the end (`17461 Cachagua Rd, Carmel Valley`) narrows the answer to that city instead of
//! being read as street words.

use fuzzy_matcher::skim::SkimMatcherV2;

use super::address::unit_label;
pub use super::address::{Address, Extra};
use super::openaddresses::{self, Form, RowProblem};
use crate::domain::place::Coords;
use crate::domain::placement::distance_m;

mod index;
mod lookup;

use index::Index;
pub(super) use index::{edit_distance, Query, TokenMatch};
pub(super) use lookup::street_hits;

/// Millbrook, the fictional town of the demo: 572 addresses around 39.734, -104.992.
pub const DEMO_TOWN: &str = include_str!("../../gazetteer/demo-town.csv");

/// Addresses that one lookup scores at most. Skim costs about 1 µs per short label, so this
/// bounds a lookup to a few milliseconds however vague the typed text.
const MAX_SCORED: usize = 3_000;

/// Distinct streets that the last-resort scan scores at most.
const MAX_STREETS_SCANNED: usize = 20_000;

/// Taken off the score of a match that needed a typing error corrected.
pub(super) const CORRECTION_PENALTY: i64 = 20;

/// The fewest metres in one degree of latitude (at the equator), so a latitude band drawn with it
/// never misses an address.
pub(super) const MIN_METRES_PER_DEGREE_LAT: f64 = 110_574.0;

/// An imported file: the list, the rows skipped with why, the form it was in and any header
/// columns left out.
#[derive(Clone, Debug)]
pub struct Imported {
    pub gazetteer: Gazetteer,
    pub problems: Vec<RowProblem>,
    pub form: Form,
    pub ignored: Vec<String>,
}

/// The address list with its lookup indexes. Immutable once built.
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    addresses: Vec<Address>,
    extras: Vec<Extra>,
    pub(super) index: Index,
}

impl Gazetteer {
    /// Reads a list in either `OpenAddresses` form, skipping and reporting bad rows. A bad
    /// header yields an empty gazetteer and one problem on its line; use [`Gazetteer::import`]
    /// to refuse such a file instead.
    pub fn parse(text: &str, source: &str) -> (Gazetteer, Vec<RowProblem>) {
        match openaddresses::read(text, source) {
            Ok(read) => (Gazetteer::build(read.rows), read.problems),
            Err(p) => (
                Gazetteer::default(),
                vec![RowProblem {
                    source: source.to_owned(),
                    line: p.line,
                    message: p.message,
                }],
            ),
        }
    }

    /// Reads a list in either `OpenAddresses` form, skipping and reporting bad rows; a missing
    /// or unusable header is an error `source:line: message`.
    pub fn import(text: &str, source: &str) -> Result<Imported, String> {
        let read = openaddresses::read(text, source)
            .map_err(|p| format!("{source}:{}: {}", p.line, p.message))?;
        Ok(Imported {
            gazetteer: Gazetteer::build(read.rows),
            problems: read.problems,
            form: read.form,
            ignored: read.ignored,
        })
    }

    /// The shipped demo town.
    pub fn demo_town() -> Gazetteer {
        Gazetteer::parse(DEMO_TOWN, "demo-town.csv").0
    }

    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    /// In file order.
    pub fn addresses(&self) -> &[Address] {
        &self.addresses
    }

    fn build(rows: Vec<(Address, Extra)>) -> Gazetteer {
        let (addresses, extras): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
        let index = Index::build(&addresses);
        Gazetteer {
            addresses,
            extras,
            index,
        }
    }

    /// The addresses that best match what was typed, best first, with their scores (higher is
    /// better; comparable within one answer only). A leading number is taken as the house
    /// number, also when the street runs on from it (`1531McKinnon St`); missing letters
    /// (`colfx`), one or two wrong ones (`cofax`, `littel`), spelled-out suffixes (`Avenue`) and
    /// ordinals (`Third`, `3rd`) are tolerated. When the street is known but the number is not,
    /// the addresses on that street with the nearest numbers come back.
    pub fn lookup(&self, typed: &str, limit: usize) -> Vec<(&Address, i64)> {
        self.lookup_indexed(typed, limit)
            .into_iter()
            .map(|(i, score)| (&self.addresses[i as usize], score))
            .collect()
    }

    pub(super) fn lookup_indexed(&self, typed: &str, limit: usize) -> Vec<(u32, i64)> {
        if limit == 0 || self.is_empty() {
            return Vec::new();
        }
        let query = self.index.query(typed);
        if query.number.is_none() && query.words.is_empty() {
            return Vec::new();
        }
        let matcher = SkimMatcherV2::default().ignore_case();
        let mut scored = self.index.lookup(&matcher, &query);
        if let Some(city) = query.city {
            // The city narrows the answer when any candidate is in it.
            if scored
                .iter()
                .any(|(i, _)| self.index.city_of[*i as usize] == city)
            {
                scored.retain(|(i, _)| self.index.city_of[*i as usize] == city);
            }
        }
        scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        scored
    }

    /// The query as the index reads it: house number, street words, city.
    pub(super) fn read_query(&self, typed: &str) -> Query {
        self.index.query(typed)
    }

    /// The addresses within `within_m` metres of `at`, nearest first.
    pub fn nearest(&self, at: &Coords, within_m: f64) -> Vec<&Address> {
        if within_m.is_nan() || within_m < 0.0 || !at.lat.is_finite() || !at.lon.is_finite() {
            return Vec::new();
        }
        let band = within_m / MIN_METRES_PER_DEGREE_LAT;
        let by_lat = &self.index.by_lat;
        let lat_of = |i: u32| self.addresses[i as usize].coords.lat;
        let first = by_lat.partition_point(|&i| lat_of(i) < at.lat - band);
        let mut found: Vec<(f64, u32)> = by_lat[first..]
            .iter()
            .take_while(|&&i| lat_of(i) <= at.lat + band)
            .filter_map(|&i| {
                let d = distance_m(at, &self.addresses[i as usize].coords);
                (d <= within_m).then_some((d, i))
            })
            .collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        found
            .into_iter()
            .map(|(_, i)| &self.addresses[i as usize])
            .collect()
    }

    /// The addresses whose latitude lies in `lat` (south, north), in latitude order: what a
    /// map of that band draws.
    pub fn in_band(&self, south: f64, north: f64) -> impl Iterator<Item = &Address> {
        let by_lat = &self.index.by_lat;
        let lat_of = |i: u32| self.addresses[i as usize].coords.lat;
        let first = by_lat.partition_point(|&i| lat_of(i) < south);
        by_lat[first..]
            .iter()
            .take_while(move |&&i| lat_of(i) <= north)
            .map(|&i| &self.addresses[i as usize])
    }

    /// The cleaned rows in the import layout, header first.
    pub fn to_csv(&self) -> String {
        openaddresses::write_csv(self.addresses.iter().zip(&self.extras))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_swaps_once() {
        assert_eq!(edit_distance("cofax", "colfax", 1), Some(1));
        assert_eq!(edit_distance("clofax", "colfax", 1), Some(1));
        assert_eq!(edit_distance("colfsx", "colfax", 1), Some(1));
        assert_eq!(edit_distance("littel", "little", 1), Some(1));
        assert_eq!(edit_distance("cedar", "colfax", 2), None);
    }

    #[test]
    fn units_read_as_units() {
        assert_eq!(unit_label("3"), "Unit 3");
        assert_eq!(unit_label("#12A"), "Unit 12A");
        assert_eq!(unit_label("B"), "Unit B");
        assert_eq!(unit_label("Apt 2, Rear"), "Apt 2, Rear");
        assert_eq!(unit_label(""), "");
    }
}
