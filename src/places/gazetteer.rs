//! The gazetteer: the address list with its lookup index, which turns what a call-taker types
//! into known addresses and finds the addresses near a point.
//!
//! Lookup is fuzzy (skim) against each address's label, but it scores only candidates drawn from
//! an index of house numbers and street-name words, so that it answers within a few milliseconds
//! over 100k addresses. Both sides are in the normal form of [`super::normalize`]. A city named
//! at the end (`17461 Cachagua Rd, Carmel Valley`) narrows the answer to that city instead of
//! being read as street words.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use super::normalize::{
    is_affix, is_direction, is_ordinal, is_suffix, leading_number, normal_words, ordinal_numbers,
    street_words,
};
use super::openaddresses::{self, Form, RowProblem};
use crate::domain::place::Coords;
use crate::domain::placement::distance_m;

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

/// One address of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Address {
    pub number: String,
    pub street: String,
    pub unit: String,
    pub city: String,
    pub district: String,
    pub postcode: String,
    pub coords: Coords,
}

impl Address {
    /// What the call-taker sees and what lookup matches: `1400 Colfax Ave, Unit 3, Denver`.
    /// Empty parts are left out; a bare unit designator (`3`, `B`, `#12A`) reads `Unit 3`, a
    /// worded one (`Apt 2`) stays as written.
    pub fn label(&self) -> String {
        let head = [self.number.as_str(), self.street.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let unit = unit_label(&self.unit);
        [head.as_str(), unit.as_str(), self.city.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn unit_label(unit: &str) -> String {
    let unit = unit.trim();
    let bare = unit.strip_prefix('#').map_or(unit, str::trim_start);
    if bare.is_empty() {
        return String::new();
    }
    let designator = !bare.contains(char::is_whitespace)
        && (bare.starts_with(|c: char| c.is_ascii_digit()) || bare.chars().count() <= 2);
    if designator {
        format!("Unit {bare}")
    } else {
        unit.to_owned()
    }
}

/// The columns that `Address` does not carry, kept so that the list is saved back whole.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extra {
    pub region: String,
    pub id: String,
    pub hash: String,
}

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

#[derive(Clone, Debug, Default)]
pub(super) struct Index {
    /// Per address: its label in normal form, which the fuzzy matcher scores.
    pub(super) keys: Vec<String>,
    /// Per address: its street.
    pub(super) street_of: Vec<u32>,
    /// Per address: its city, as an index into `cities`.
    pub(super) city_of: Vec<u32>,
    /// Per address: the leading digits of its house number, if any.
    house: Vec<Option<u32>>,
    /// House number in normal form (`12 B` → `12b`) → addresses.
    numbers: BTreeMap<String, Vec<u32>>,
    pub(super) streets: Vec<Street>,
    /// Every city name in normal form (`carmel valley`); the first is the empty one.
    pub(super) cities: Vec<String>,
    /// Every word of every label except house numbers, each with the streets whose name has it.
    pub(super) words: Vec<Word>,
    /// Address indices by latitude.
    pub(super) by_lat: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(super) struct Street {
    /// The street name in normal form.
    pub(super) key: String,
    /// Its addresses, by house number.
    pub(super) members: Vec<u32>,
    /// Its addresses, by latitude (for where two streets meet).
    pub(super) by_lat: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(super) struct Word {
    pub(super) text: String,
    /// A suffix, direction or unit word (`st`, `ave`, `e`, `unit`): too common to find a street
    /// by.
    affix: bool,
    /// Streets whose name has this word; empty for words of units and cities.
    streets: Vec<u32>,
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

// ---------------------------------------------------------------------------------------------
// Index and lookup

pub(super) struct Query {
    /// The house number in normal form, when the typed text starts with one.
    pub(super) number: Option<String>,
    /// The other words in normal form, less a city named at the end.
    pub(super) words: Vec<String>,
    /// A city of the list named at the end of the typed text.
    pub(super) city: Option<u32>,
    /// The number ran into the street (`1531mckinnon`).
    pub(super) run_on: bool,
}

impl Query {
    fn text(&self) -> String {
        self.number
            .iter()
            .chain(&self.words)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How one typed word met the vocabulary.
pub(super) struct TokenMatch {
    /// Streets whose name has a matching word, with the best quality (4 equal, 3 prefix, 2 a
    /// corrected typo, 1 letters in order).
    pub(super) streets: HashMap<u32, u32>,
    /// The nearest word by edit distance, when no word equals or starts with the typed one.
    pub(super) correction: Option<usize>,
}

impl Index {
    fn build(addresses: &[Address]) -> Index {
        let mut index = Index {
            cities: vec![String::new()],
            ..Index::default()
        };
        let mut street_ids: HashMap<String, u32> = HashMap::new();
        let mut city_ids: HashMap<String, u32> = HashMap::from([(String::new(), 0)]);
        let mut word_ids: HashMap<String, usize> = HashMap::new();
        let mut word_id = |words: &mut Vec<Word>, text: &str| -> usize {
            *word_ids.entry(text.to_owned()).or_insert_with(|| {
                words.push(Word {
                    text: text.to_owned(),
                    affix: is_affix(text),
                    streets: Vec::new(),
                });
                words.len() - 1
            })
        };
        for (i, a) in addresses.iter().enumerate() {
            let i = i as u32;
            let street_words = street_words(&a.street);
            let key = street_words.join(" ");
            let street = if let Some(&id) = street_ids.get(&key) {
                id
            } else {
                let id = index.streets.len() as u32;
                for w in &street_words {
                    let w = word_id(&mut index.words, w);
                    if index.words[w].streets.last() != Some(&id) {
                        index.words[w].streets.push(id);
                    }
                }
                street_ids.insert(key.clone(), id);
                index.streets.push(Street {
                    key,
                    members: Vec::new(),
                    by_lat: Vec::new(),
                });
                id
            };
            index.streets[street as usize].members.push(i);
            index.street_of.push(street);
            let city_key = normal_words(&a.city).join(" ");
            let city = *city_ids.entry(city_key.clone()).or_insert_with(|| {
                index.cities.push(city_key);
                (index.cities.len() - 1) as u32
            });
            index.city_of.push(city);
            let number = normal_words(&a.number).concat();
            if !number.is_empty() {
                index.numbers.entry(number).or_default().push(i);
            }
            index.house.push(leading_number(&a.number));
            for w in normal_words(&a.unit)
                .iter()
                .chain(&normal_words(&a.city))
                .filter(|w| !w.bytes().all(|b| b.is_ascii_digit()))
            {
                word_id(&mut index.words, w);
            }
            index.keys.push(label_key(a));
        }
        let lat = |i: u32| addresses[i as usize].coords.lat;
        for street in &mut index.streets {
            street
                .members
                .sort_by_key(|&i| (index.house[i as usize], i));
            street.by_lat.clone_from(&street.members);
            street.by_lat.sort_by(|&a, &b| lat(a).total_cmp(&lat(b)));
        }
        index.by_lat = (0..addresses.len() as u32).collect();
        index.by_lat.sort_by(|&a, &b| lat(a).total_cmp(&lat(b)));
        index
    }

    pub(super) fn query(&self, typed: &str) -> Query {
        let mut words = normal_words(typed);
        let city = self.city_at_end(&mut words);
        let starts_with_digit = typed.trim_start().starts_with(|c: char| c.is_ascii_digit());
        let Some(first) = words.first().filter(|_| starts_with_digit).cloned() else {
            ordinal_numbers(&mut words, 0);
            return Query {
                number: None,
                words,
                city,
                run_on: false,
            };
        };
        let mut run_on = false;
        let mut number = if first.bytes().all(|b| b.is_ascii_digit())
            || (!is_ordinal(&first) && self.numbers.contains_key(&first))
        {
            Some(words.remove(0))
        } else if is_ordinal(&first) {
            None
        } else {
            // `1400colfax`: the number ran into the street.
            let digits = first.bytes().take_while(u8::is_ascii_digit).count();
            let number = first[..digits].to_owned();
            words[0] = normal_words(&first[digits..]).concat();
            run_on = true;
            Some(number)
        };
        // `3017-A N 28th St`, `12 B Main St`: a lone letter after the number is part of it
        // when the list has such a number; otherwise it is a street (`646 F Street`).
        if let (Some(n), Some(letter)) = (&number, words.first()) {
            let lone = letter.len() == 1 && letter.bytes().all(|b| b.is_ascii_alphabetic());
            let merged = format!("{n}{letter}");
            if lone
                && !is_direction(letter)
                && words.len() > 1
                && self.numbers.contains_key(&merged)
            {
                number = Some(merged);
                words.remove(0);
            }
        }
        ordinal_numbers(&mut words, 0);
        Query {
            number,
            words,
            city,
            run_on,
        }
    }

    /// Takes a city name of the list off the end of the words, when some street words are left.
    fn city_at_end(&self, words: &mut Vec<String>) -> Option<u32> {
        if self.cities.len() < 2 {
            return None;
        }
        for take in (1..=3.min(words.len().saturating_sub(1))).rev() {
            let tail = words[words.len() - take..].join(" ");
            let Some(city) = self.cities.iter().position(|c| *c == tail) else {
                continue;
            };
            let rest = &words[..words.len() - take];
            let street_left = rest
                .iter()
                .any(|w| !is_affix(w) && !w.bytes().all(|b| b.is_ascii_digit()));
            if city > 0 && street_left {
                words.truncate(words.len() - take);
                return Some(city as u32);
            }
        }
        None
    }

    pub(super) fn match_token(&self, token: &str) -> TokenMatch {
        let mut streets: HashMap<u32, u32> = HashMap::new();
        let mut best = 0;
        // A numbered street is that number or none: `12th` is not a typo for `10th`.
        let numbered = token.bytes().any(|b| b.is_ascii_digit());
        for word in &self.words {
            if numbered && word.text != token {
                continue;
            }
            if let Some(quality) = direct_match(token, word) {
                best = best.max(quality);
                for &s in &word.streets {
                    let q = streets.entry(s).or_default();
                    *q = (*q).max(quality);
                }
            }
        }
        let mut correction = None;
        let length = token.chars().count();
        // A typo can hide behind a word that merely holds the typed letters in order
        // (`littel` is in `littlefield`): look for the nearest word unless one equals or
        // starts with what was typed.
        if best < 3 && length >= 3 && !is_affix(token) && !numbered {
            let most = if length >= 7 { 2 } else { 1 };
            correction = self
                .words
                .iter()
                .enumerate()
                .filter(|(_, w)| !w.affix && w.text != token)
                .filter_map(|(n, w)| edit_distance(token, &w.text, most).map(|d| (d, n)))
                .min()
                .map(|(_, n)| n);
            if let Some(n) = correction {
                for &s in &self.words[n].streets {
                    let q = streets.entry(s).or_default();
                    *q = (*q).max(2);
                }
            }
        }
        TokenMatch {
            streets,
            correction,
        }
    }

    fn lookup(&self, matcher: &SkimMatcherV2, query: &Query) -> Vec<(u32, i64)> {
        let tokens: Vec<TokenMatch> = query.words.iter().map(|w| self.match_token(w)).collect();
        let text = query.text();
        // The typed words with each typo replaced by its nearest vocabulary word.
        let fixed_words = query
            .words
            .iter()
            .zip(&tokens)
            .map(|(w, t)| {
                t.correction
                    .map_or(w.as_str(), |n| self.words[n].text.as_str())
            })
            .collect::<Vec<_>>()
            .join(" ");
        let corrected = tokens.iter().any(|t| t.correction.is_some()).then(|| {
            query
                .number
                .as_ref()
                .map_or_else(|| fixed_words.clone(), |n| format!("{n} {fixed_words}"))
        });
        let fixed_list: Vec<&str> = fixed_words.split(' ').filter(|w| !w.is_empty()).collect();
        // Typed numbered streets must be the address's own: skim alone would let `7th` match
        // `17th`.
        let numbered: Vec<&str> = query
            .words
            .iter()
            .map(String::as_str)
            .filter(|w| w.bytes().any(|b| b.is_ascii_digit()))
            .collect();
        let numbers_fit = |i: u32| {
            numbered.is_empty() || {
                let own: Vec<&str> = self.keys[i as usize].split(' ').collect();
                numbered.iter().all(|w| own.contains(w))
            }
        };
        let score = |candidates: &[u32]| -> Vec<(u32, i64)> {
            candidates
                .iter()
                .filter(|&&i| numbers_fit(i))
                .filter_map(|&i| {
                    let key = &self.keys[i as usize];
                    let plain = matcher.fuzzy_match(key, &text);
                    let fixed = corrected
                        .as_deref()
                        .and_then(|c| matcher.fuzzy_match(key, c))
                        .map(|s| s - CORRECTION_PENALTY);
                    plain
                        .max(fixed)
                        .or_else(|| self.score_without_strays(matcher, query, &fixed_list, i))
                        .map(|s| (i, s))
                })
                .collect()
        };

        let mut streets = street_hits(&query.words, &tokens);
        let mut scored = score(&self.candidates(query, &streets));
        if scored.is_empty() && !query.words.is_empty() {
            if streets.is_empty() {
                streets = self.scan_streets(matcher, &query.words.join(" "));
                scored = score(&self.candidates(query, &streets));
            }
            if scored.is_empty() {
                if let Some(number) = &query.number {
                    scored = self.nearby_numbers(matcher, number, &streets, &fixed_words);
                    scored.retain(|(i, _)| numbers_fit(*i));
                }
            }
        }
        scored
    }

    /// A typed word the address does not have (`North` before a street with no direction, a
    /// mangled `Cirlce`) keeps skim from matching at all: score the address on the words it has,
    /// less a correction per word left out, as long as a street word is among them.
    fn score_without_strays(
        &self,
        matcher: &SkimMatcherV2,
        query: &Query,
        words: &[&str],
        at: u32,
    ) -> Option<i64> {
        let key = &self.keys[at as usize];
        let own: Vec<&str> = key.split(' ').collect();
        let kept: Vec<&str> = words.iter().copied().filter(|w| own.contains(w)).collect();
        // A street type typed is a street type meant: `Colfax Ave` is not `Colfax Ct`.
        if words.iter().any(|w| is_suffix(w) && !own.contains(w)) {
            return None;
        }
        let left_out = (words.len() - kept.len()) as i64;
        if left_out == 0 || !kept.iter().any(|w| !is_affix(w)) {
            return None;
        }
        let text = query
            .number
            .iter()
            .map(String::as_str)
            .chain(kept)
            .collect::<Vec<_>>()
            .join(" ");
        Some(matcher.fuzzy_match(key, &text)? - CORRECTION_PENALTY * left_out)
    }

    /// The addresses worth scoring, at most `MAX_SCORED`: with a house number, those with that
    /// number (then numbers that start with it) on the matching streets; without, the matching
    /// streets' addresses.
    fn candidates(&self, query: &Query, streets: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        if let Some(number) = &query.number {
            let allowed = (!streets.is_empty()).then(|| {
                let mut mask = vec![false; self.streets.len()];
                for &s in streets {
                    mask[s as usize] = true;
                }
                mask
            });
            let fits = |i: u32| {
                allowed
                    .as_ref()
                    .is_none_or(|m| m[self.street_of[i as usize] as usize])
            };
            let range = self
                .numbers
                .range::<str, _>((Bound::Included(number.as_str()), Bound::Unbounded))
                .take_while(|(n, _)| n.starts_with(number.as_str()));
            for (_, members) in range {
                out.extend(members.iter().copied().filter(|&i| fits(i)));
                if out.len() >= MAX_SCORED {
                    break;
                }
            }
        } else {
            for &s in streets {
                out.extend(&self.streets[s as usize].members);
                if out.len() >= MAX_SCORED {
                    break;
                }
            }
        }
        out.truncate(MAX_SCORED);
        out
    }

    /// The last resort when no word matched any street word: fuzzy-match the typed words against
    /// each distinct street name (`colfaxave` finds `colfax ave`).
    fn scan_streets(&self, matcher: &SkimMatcherV2, words: &str) -> Vec<u32> {
        let mut hits: Vec<(i64, u32)> = self
            .streets
            .iter()
            .take(MAX_STREETS_SCANNED)
            .enumerate()
            .filter_map(|(s, street)| Some((matcher.fuzzy_match(&street.key, words)?, s as u32)))
            .collect();
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let best = hits.first().map_or(0, |h| h.0);
        hits.into_iter()
            .take_while(|h| h.0 == best)
            .map(|(_, s)| s)
            .collect()
    }

    /// The street is known but no address has that number: its addresses with the nearest
    /// numbers, scored on the street words less 1 per 10 numbers away.
    fn nearby_numbers(
        &self,
        matcher: &SkimMatcherV2,
        number: &str,
        streets: &[u32],
        words: &str,
    ) -> Vec<(u32, i64)> {
        let Some(target) = leading_number(number) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for &s in streets {
            for &i in &self.streets[s as usize].members {
                let Some(house) = self.house[i as usize] else {
                    continue;
                };
                let Some(score) = matcher.fuzzy_match(&self.keys[i as usize], words) else {
                    continue;
                };
                let away = i64::from(house.abs_diff(target).min(100_000));
                out.push((i, score - CORRECTION_PENALTY - away / 10));
            }
            if out.len() >= MAX_SCORED {
                break;
            }
        }
        out
    }
}

/// An address's label in normal form, street numbers read as ordinals.
fn label_key(a: &Address) -> String {
    let mut words = normal_words(&a.number);
    words.extend(street_words(&a.street));
    words.extend(normal_words(&unit_label(&a.unit)));
    words.extend(normal_words(&a.city));
    words.join(" ")
}

/// The streets that match the most typed words, best matches first. Suffixes and directions
/// count only when nothing else was typed.
pub(super) fn street_hits(words: &[String], tokens: &[TokenMatch]) -> Vec<u32> {
    let primary = words.iter().any(|w| !is_affix(w));
    let mut tally: HashMap<u32, (u32, u32)> = HashMap::new();
    for (word, token) in words.iter().zip(tokens) {
        if primary && is_affix(word) {
            continue;
        }
        for (&street, &quality) in &token.streets {
            let t = tally.entry(street).or_default();
            t.0 += 1;
            t.1 += quality;
        }
    }
    let most = tally.values().map(|t| t.0).max().unwrap_or(0);
    let mut hits: Vec<(u32, u32)> = tally
        .into_iter()
        .filter(|(_, t)| t.0 == most)
        .map(|(s, t)| (s, t.1))
        .collect();
    hits.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    hits.into_iter().map(|(s, _)| s).collect()
}

/// How `token` (typed) meets a vocabulary word: 4 equal, 3 a prefix, 1 its letters in order from
/// the same first letter. Suffix and direction words match only when typed in full.
fn direct_match(token: &str, word: &Word) -> Option<u32> {
    let text = word.text.as_str();
    if token == text {
        Some(4)
    } else if word.affix {
        None
    } else if text.starts_with(token) {
        Some(3)
    } else if token.chars().next() == text.chars().next() && is_subsequence(token, text) {
        Some(1)
    } else {
        None
    }
}

fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut hay = hay.chars();
    needle.chars().all(|c| hay.any(|h| h == c))
}

/// Optimal-string-alignment distance (a swap of neighbours counts 1), or `None` above `most`.
pub(super) fn edit_distance(a: &str, b: &str, most: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > most {
        return None;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * width] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > most {
            return None;
        }
    }
    let distance = d[a.len() * width + b.len()];
    (distance <= most).then_some(distance)
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
