//! Placing a call: from what was typed to coordinates and a confidence, or to the choices a
//! dispatcher must pick from, or to a plain "not placed" with why. Nothing is guessed: a tie
//! between places more than a kilometre apart is ambiguous, a street without a number is not a
//! place, and a number the list does not have on that street is not placed at its neighbour.
//!
//! Intersections (`N Main St & E Alisal St`, `Main and Alisal`, `A at B`, the CAD form
//! `N 60TH ST / W CAPITOL DR`) are placed where the two streets meet. A street's address points,
//! taken in house-number order, trace it as a line; two streets meet where their lines cross,
//! or where one ends within a few metres of the other and runs into it (a T). Parallel streets,
//! whose back-to-back houses can be closer than the corner houses of a crossing, never cross and
//! never run into each other, so they never meet.

use super::gazetteer::{edit_distance, street_hits, Gazetteer, TokenMatch};
use super::normalize::{is_affix, leading_number, normal_words, split_intersection, street_words};
use crate::domain::place::Coords;
use crate::domain::placement::{distance_m, Choice, Located, Placement, SAME_PLACE_M};

/// Scores within this of the best tie with it (a corrected typo costs twice this).
const NEAR_TIE: i64 = 10;

/// The most choices an ambiguous location offers.
const MAX_CHOICES: usize = 5;

/// Streets one side of an intersection may name at most (`Main` in several towns).
const MAX_STREETS_PER_SIDE: usize = 8;

/// Consecutive house points farther apart than this are not one stretch of street.
const RUN_GAP_M: f64 = 400.0;

/// A street that ends this close to another and points at it runs into it.
const T_REACH_M: f64 = 60.0;

/// A side of a street with one house meets a street this close to it.
const LONE_REACH_M: f64 = 40.0;

/// A street points at another when the angle between them is more than this (degrees).
const T_ANGLE_DEG: f64 = 30.0;

impl Gazetteer {
    /// Where `typed` is, and how sure the list is of it.
    pub fn place(&self, typed: &str) -> Located {
        if self.is_empty() {
            return unplaced("the address list is empty".to_owned());
        }
        if let Some((a, b)) = split_intersection(typed) {
            if let Some(located) = self.intersection(&a, &b) {
                return located;
            }
        }
        self.address(typed)
    }

    fn address(&self, typed: &str) -> Located {
        let query = self.read_query(typed);
        let found = self.lookup_indexed(typed, 50);
        let Some(&(best, best_score)) = found.first() else {
            return unplaced(format!("no address in the list matches {typed:?}"));
        };
        let a = &self.addresses()[best as usize];
        let Some(number) = &query.number else {
            return unplaced(format!(
                "no house number: {} is a street, not a place (give a number or a cross \
                 street: A & B)",
                a.street
            ));
        };
        let number_of = |i: u32| normal_words(&self.addresses()[i as usize].number).concat();
        if number_of(best) != *number {
            return unplaced(format!(
                "the list has no {number} on {}; nearest: {}",
                a.street,
                a.label()
            ));
        }
        let ties: Vec<u32> = found
            .iter()
            .filter(|(i, s)| *s >= best_score - NEAR_TIE && number_of(*i) == *number)
            .map(|(i, _)| *i)
            .collect();
        let places = distinct_places(
            ties.iter()
                .map(|&i| {
                    let a = &self.addresses()[i as usize];
                    (a.label(), a.coords.clone())
                })
                .collect(),
        );
        if places.len() > 1 {
            return ambiguous(places);
        }
        let how = self.how_read(&query, best, typed);
        let matched = a.label();
        Located {
            coords: Some(a.coords.clone()),
            zone: Some(a.district.clone()).filter(|d| !d.is_empty()),
            placement: if how.is_empty() {
                Placement::Exact { matched }
            } else {
                Placement::Fuzzy {
                    matched,
                    how: how.join(", "),
                }
            },
        }
    }

    /// The typed words that are not the matched address's own, each with the word it was read
    /// as: empty for an exact match.
    fn how_read(&self, query: &super::gazetteer::Query, at: u32, typed: &str) -> Vec<String> {
        let key: Vec<&str> = self.index.keys[at as usize].split(' ').collect();
        let mut how = Vec::new();
        if query.run_on {
            let a = &self.addresses()[at as usize];
            let first = typed.split_whitespace().next().unwrap_or_default();
            how.push(format!("{first} as {} {}", a.number, a.street));
        }
        for word in &query.words {
            if key.contains(&word.as_str()) {
                continue;
            }
            let numbered = word.bytes().any(|b| b.is_ascii_digit());
            let reading = (!is_affix(word) && !numbered && word.len() >= 3)
                .then(|| read_as(word, &key))
                .flatten();
            how.push(match reading {
                Some(as_word) => format!("{word} as {as_word}"),
                None => format!("{word} left out"),
            });
        }
        how
    }

    /// Both sides must name streets of the list, else `None` (the text may be one address).
    fn intersection(&self, a: &str, b: &str) -> Option<Located> {
        let first = self.streets_named(a);
        let second = self.streets_named(b);
        if first.is_empty() || second.is_empty() {
            return None;
        }
        let mut meets: Vec<(Coords, u32, u32, bool)> = Vec::new();
        for &(x, exact_x) in &first {
            for &(y, exact_y) in &second {
                if x == y {
                    continue;
                }
                for at in self.meeting_points(x, y) {
                    meets.push((at, x, y, exact_x && exact_y));
                }
            }
        }
        let name = |s: u32| self.street_name(s);
        if meets.is_empty() {
            let (x, y) = (first[0].0, second[0].0);
            let apart = self.closest_m(x, y).map_or_else(String::new, |m| {
                format!(" (their nearest addresses are {m:.0} m apart)")
            });
            return Some(unplaced(format!(
                "{} and {} do not meet in the address list{apart}",
                name(x),
                name(y)
            )));
        }
        // Exact pairs first, so a place a fuzzy reading also finds keeps the exact name.
        meets.sort_by_key(|m| !m.3);
        let labelled: Vec<(String, Coords, Option<String>)> = meets
            .iter()
            .map(|(at, x, y, _)| {
                let city = self.city_near(*x, at);
                let mut label = format!("{} & {}", name(*x), name(*y));
                if !city.is_empty() {
                    label = format!("{label}, {city}");
                }
                (label, at.clone(), self.landmark(*x, at))
            })
            .collect();
        let (labels, landmarks): (Vec<_>, Vec<_>) = labelled
            .into_iter()
            .map(|(label, at, landmark)| ((label, at), landmark))
            .unzip();
        let places = distinct_places(labels.clone());
        if places.len() > 1 {
            // Two corners of the same two streets (a loop, a road that rejoins): say which by
            // the nearest house.
            let told = places
                .into_iter()
                .map(|(label, at)| {
                    let by = labels
                        .iter()
                        .zip(&landmarks)
                        .filter(|((l, p), _)| *l == label && distance_m(p, &at) <= SAME_PLACE_M)
                        .find_map(|(_, landmark)| landmark.clone());
                    match by {
                        Some(by) => (format!("{label}, by {by}"), at),
                        None => (label, at),
                    }
                })
                .collect();
            return Some(ambiguous(told));
        }
        let (matched, at) = places.into_iter().next()?;
        let exact = meets[0].3;
        Some(Located {
            coords: Some(at.clone()),
            zone: self.district_near(meets[0].1, &at),
            placement: if exact {
                Placement::Exact { matched }
            } else {
                Placement::Fuzzy {
                    matched,
                    how: format!("read {a:?} & {b:?} as the nearest street names"),
                }
            },
        })
    }

    /// The streets a side of an intersection names, best first, each with whether every typed
    /// word is the street's own.
    fn streets_named(&self, text: &str) -> Vec<(u32, bool)> {
        let mut words = street_words(text);
        // `1400 Colfax & Main`: a house number means nothing at a corner.
        if words
            .first()
            .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()))
        {
            words.remove(0);
        }
        if !words.iter().any(|w| !is_affix(w)) {
            return Vec::new();
        }
        let tokens: Vec<TokenMatch> = words.iter().map(|w| self.index.match_token(w)).collect();
        let hits = street_hits(&words, &tokens);
        // Among the streets the words find, those that also have the typed direction and type
        // (`N Main St` is not `S Main St`).
        let agree = |s: u32| {
            let key: Vec<&str> = self.index.streets[s as usize].key.split(' ').collect();
            words.iter().filter(|w| key.contains(&w.as_str())).count()
        };
        let most = hits.iter().map(|&s| agree(s)).max().unwrap_or(0);
        hits.into_iter()
            .filter(|&s| agree(s) == most)
            .take(MAX_STREETS_PER_SIDE)
            .map(|s| (s, most == words.len()))
            .collect()
    }

    /// The street's name as the list writes it.
    fn street_name(&self, street: u32) -> String {
        self.index.streets[street as usize]
            .members
            .first()
            .map(|&i| self.addresses()[i as usize].street.clone())
            .unwrap_or_default()
    }

    fn nearest_member(&self, street: u32, at: &Coords) -> Option<u32> {
        self.index.streets[street as usize]
            .members
            .iter()
            .copied()
            .min_by(|&p, &q| {
                let d = |i: u32| distance_m(at, &self.addresses()[i as usize].coords);
                d(p).total_cmp(&d(q))
            })
    }

    /// How close the two streets' addresses come, when they are few enough to compare all.
    fn closest_m(&self, x: u32, y: u32) -> Option<f64> {
        const MOST_PAIRS: usize = 250_000;
        let (a, b) = (
            &self.index.streets[x as usize].members,
            &self.index.streets[y as usize].members,
        );
        if a.len() * b.len() > MOST_PAIRS {
            return None;
        }
        let at = |i: &u32| &self.addresses()[*i as usize].coords;
        a.iter()
            .flat_map(|p| b.iter().map(move |q| distance_m(at(p), at(q))))
            .min_by(f64::total_cmp)
    }

    /// The street's numbered address nearest `at`, as a landmark.
    fn landmark(&self, street: u32, at: &Coords) -> Option<String> {
        self.index.streets[street as usize]
            .members
            .iter()
            .map(|&i| &self.addresses()[i as usize])
            .filter(|a| !a.number.is_empty())
            .min_by(|p, q| distance_m(at, &p.coords).total_cmp(&distance_m(at, &q.coords)))
            .map(|a| format!("{} {}", a.number, a.street))
    }

    fn city_near(&self, street: u32, at: &Coords) -> String {
        self.nearest_member(street, at)
            .map(|i| self.addresses()[i as usize].city.clone())
            .unwrap_or_default()
    }

    fn district_near(&self, street: u32, at: &Coords) -> Option<String> {
        self.nearest_member(street, at)
            .map(|i| self.addresses()[i as usize].district.clone())
            .filter(|d| !d.is_empty())
    }

    /// Where streets `x` and `y` meet: every crossing of their lines, and every end of one that
    /// runs into the other.
    fn meeting_points(&self, x: u32, y: u32) -> Vec<Coords> {
        let runs_x = self.runs(x);
        let runs_y = self.runs(y);
        let mut out = Vec::new();
        for rx in &runs_x {
            for ry in &runs_y {
                if !rx.bounds.overlaps(&ry.bounds, T_REACH_M) {
                    continue;
                }
                let origin = rx.points[0].clone();
                let px = plane(&rx.points, &origin);
                let py = plane(&ry.points, &origin);
                let mut found = crossings(&px, &py);
                found.extend(runs_into(&px, &py));
                found.extend(runs_into(&py, &px));
                out.extend(found.into_iter().map(|p| unplane(p, &origin)));
            }
        }
        out
    }

    /// A street's numbered points in house-number order, one side at a time (odd, even: the
    /// two sides together zig-zag across the street), cut where they jump more than
    /// [`RUN_GAP_M`] (another stretch, another town).
    fn runs(&self, street: u32) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for side in [1, 0] {
            let mut last: Option<&Coords> = None;
            for &i in &self.index.streets[street as usize].members {
                let a = &self.addresses()[i as usize];
                if leading_number(&a.number).is_none_or(|n| n % 2 != side) {
                    continue;
                }
                let at = &a.coords;
                let joined = last.is_some_and(|l| distance_m(l, at) <= RUN_GAP_M);
                match runs.last_mut() {
                    Some(run) if joined => {
                        run.bounds.add(at);
                        run.points.push(at.clone());
                    }
                    _ => runs.push(Run {
                        points: vec![at.clone()],
                        bounds: Bounds::of(at),
                    }),
                }
                last = Some(at);
            }
        }
        runs
    }
}

/// The word of `key` that a typed word stands for: one it starts, one a typo or two away, or
/// one that holds its letters in order.
fn read_as<'k>(word: &str, key: &[&'k str]) -> Option<&'k str> {
    key.iter()
        .copied()
        .find(|k| k.starts_with(word))
        .or_else(|| {
            key.iter()
                .copied()
                .filter_map(|k| edit_distance(word, k, 2).map(|d| (d, k)))
                .min()
                .map(|(_, k)| k)
        })
}

fn unplaced(why: String) -> Located {
    Located {
        coords: None,
        zone: None,
        placement: Placement::Unplaced { why },
    }
}

fn ambiguous(places: Vec<(String, Coords)>) -> Located {
    Located {
        coords: None,
        zone: None,
        placement: Placement::Ambiguous {
            choices: places
                .into_iter()
                .take(MAX_CHOICES)
                .map(|(label, coords)| Choice { label, coords })
                .collect(),
        },
    }
}

/// One entry per group of matches within [`SAME_PLACE_M`] of its first: that first's label (the
/// best, as given best first) at the group's mean position.
fn distinct_places(matches: Vec<(String, Coords)>) -> Vec<(String, Coords)> {
    let mut groups: Vec<(String, Coords, Vec<Coords>)> = Vec::new();
    for (label, at) in matches {
        match groups
            .iter_mut()
            .find(|(_, first, _)| distance_m(first, &at) <= SAME_PLACE_M)
        {
            Some(group) => group.2.push(at),
            None => groups.push((label, at.clone(), vec![at])),
        }
    }
    groups
        .into_iter()
        .map(|(label, _, points)| {
            let n = points.len() as f64;
            let lat = points.iter().map(|p| p.lat).sum::<f64>() / n;
            let lon = points.iter().map(|p| p.lon).sum::<f64>() / n;
            (label, Coords { lat, lon })
        })
        .collect()
}

struct Run {
    points: Vec<Coords>,
    bounds: Bounds,
}

#[derive(Clone, Copy)]
struct Bounds {
    south: f64,
    north: f64,
    west: f64,
    east: f64,
}

impl Bounds {
    fn of(at: &Coords) -> Bounds {
        Bounds {
            south: at.lat,
            north: at.lat,
            west: at.lon,
            east: at.lon,
        }
    }

    fn add(&mut self, at: &Coords) {
        self.south = self.south.min(at.lat);
        self.north = self.north.max(at.lat);
        self.west = self.west.min(at.lon);
        self.east = self.east.max(at.lon);
    }

    /// Whether the boxes come within `margin_m` of each other.
    fn overlaps(&self, other: &Bounds, margin_m: f64) -> bool {
        let dlat = margin_m / super::gazetteer::MIN_METRES_PER_DEGREE_LAT;
        let cos = self.south.to_radians().cos().abs().max(0.01);
        let dlon = dlat / cos;
        self.south - dlat <= other.north
            && other.south - dlat <= self.north
            && self.west - dlon <= other.east
            && other.west - dlon <= self.east
    }
}

type Point = (f64, f64);

/// Metres east and north of `origin` (flat within a town).
fn plane(points: &[Coords], origin: &Coords) -> Vec<Point> {
    let cos = origin.lat.to_radians().cos();
    points
        .iter()
        .map(|p| {
            (
                (p.lon - origin.lon) * cos * 111_320.0,
                (p.lat - origin.lat) * 110_574.0,
            )
        })
        .collect()
}

fn unplane(p: Point, origin: &Coords) -> Coords {
    let cos = origin.lat.to_radians().cos().max(1e-9);
    Coords {
        lat: origin.lat + p.1 / 110_574.0,
        lon: origin.lon + p.0 / (cos * 111_320.0),
    }
}

/// Where the polylines `a` and `b` cross.
fn crossings(a: &[Point], b: &[Point]) -> Vec<Point> {
    let mut out = Vec::new();
    for s in a.windows(2) {
        let (lo_x, hi_x) = (s[0].0.min(s[1].0), s[0].0.max(s[1].0));
        let (lo_y, hi_y) = (s[0].1.min(s[1].1), s[0].1.max(s[1].1));
        for t in b.windows(2) {
            if t[0].0.max(t[1].0) < lo_x
                || t[0].0.min(t[1].0) > hi_x
                || t[0].1.max(t[1].1) < lo_y
                || t[0].1.min(t[1].1) > hi_y
            {
                continue;
            }
            if let Some(p) = segment_crossing(s[0], s[1], t[0], t[1]) {
                out.push(p);
            }
        }
    }
    out
}

/// Where segment `from`–`to` crosses segment `other_from`–`other_to`.
fn segment_crossing(from: Point, to: Point, other_from: Point, other_to: Point) -> Option<Point> {
    let along = (to.0 - from.0, to.1 - from.1);
    let other = (other_to.0 - other_from.0, other_to.1 - other_from.1);
    let denominator = along.0 * other.1 - along.1 * other.0;
    if denominator.abs() < 1e-9 {
        return None;
    }
    let gap = (other_from.0 - from.0, other_from.1 - from.1);
    let here = (gap.0 * other.1 - gap.1 * other.0) / denominator;
    let there = (gap.0 * along.1 - gap.1 * along.0) / denominator;
    ((0.0..=1.0).contains(&here) && (0.0..=1.0).contains(&there))
        .then_some((from.0 + here * along.0, from.1 + here * along.1))
}

/// Where an end of `a` runs into `b`: within [`T_REACH_M`] of it and heading across it. A
/// side with one house has no heading: it runs into `b` when it is within [`LONE_REACH_M`].
fn runs_into(a: &[Point], b: &[Point]) -> Vec<Point> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let nearest = |p: Point| -> Option<(Point, Point)> {
        if b.len() == 1 {
            return Some((b[0], (0.0, 0.0)));
        }
        b.windows(2)
            .map(|t| {
                (
                    nearest_on_segment(p, t[0], t[1]),
                    (t[1].0 - t[0].0, t[1].1 - t[0].1),
                )
            })
            .min_by(|x, y| dist(p, x.0).total_cmp(&dist(p, y.0)))
    };
    if a.len() == 1 {
        return nearest(a[0])
            .filter(|(at, _)| dist(a[0], *at) <= LONE_REACH_M)
            .map(|(at, _)| vec![at])
            .unwrap_or_default();
    }
    // The heading over a few houses, not the last gap alone.
    let k = (a.len() - 1).min(3);
    let ends = [(a[0], a[k]), (a[a.len() - 1], a[a.len() - 1 - k])];
    let mut out = Vec::new();
    for (end, inner) in ends {
        let Some((at, along)) = nearest(end) else {
            continue;
        };
        if dist(end, at) > T_REACH_M {
            continue;
        }
        let heading = (end.0 - inner.0, end.1 - inner.1);
        // Against a lone house there is no direction to cross: heading at it will do.
        let across = if b.len() == 1 {
            angle_deg(heading, (at.0 - inner.0, at.1 - inner.1)) < 90.0 - T_ANGLE_DEG
        } else {
            angle_deg(heading, along) > T_ANGLE_DEG
        };
        if across {
            out.push(at);
        }
    }
    out
}

fn nearest_on_segment(p: Point, a: Point, b: Point) -> Point {
    let ab = (b.0 - a.0, b.1 - a.1);
    let length2 = ab.0 * ab.0 + ab.1 * ab.1;
    if length2 < 1e-9 {
        return a;
    }
    let t = (((p.0 - a.0) * ab.0 + (p.1 - a.1) * ab.1) / length2).clamp(0.0, 1.0);
    (a.0 + t * ab.0, a.1 + t * ab.1)
}

fn dist(a: Point, b: Point) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// The angle between two directions, 0 to 90 degrees (a line has no sense).
fn angle_deg(u: Point, v: Point) -> f64 {
    let norm = (u.0.hypot(u.1) * v.0.hypot(v.1)).max(1e-9);
    let cos = ((u.0 * v.0 + u.1 * v.1) / norm).abs().min(1.0);
    cos.acos().to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_lines_meet_and_parallel_ones_do_not() {
        let a = [(0.0, -100.0), (0.0, 100.0)];
        let b = [(-100.0, 0.0), (100.0, 0.0)];
        let c = [(40.0, -100.0), (40.0, 100.0)];
        assert_eq!(crossings(&a, &b), [(0.0, 0.0)]);
        assert!(crossings(&a, &c).is_empty());
        assert!(runs_into(&c, &a).is_empty(), "parallel is not a T");
        // A street ending 20 m short of another and heading at it.
        let t = [(-20.0, 100.0), (-20.0, 20.0)];
        let stem = [(-200.0, 0.0), (200.0, 0.0)];
        let hit = runs_into(&t, &stem);
        assert_eq!(hit.len(), 1);
        assert!(dist(hit[0], (-20.0, 0.0)) < 1e-6);
        // One house 30 m from the other street meets it; one 50 m away does not.
        assert_eq!(runs_into(&[(5.0, 30.0)], &stem).len(), 1);
        assert!(runs_into(&[(5.0, 50.0)], &stem).is_empty());
    }
}
