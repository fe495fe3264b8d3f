//! The lookup index of the address list: every label in normal form, its house numbers, streets,
//! cities and words, and how a typed text is read against them (a house number, the words, a
//! city named at the end; each word met with the streets that have it), and the word matching
//! that reading rests on (a typo corrected by edit distance, letters in order).

use std::collections::{BTreeMap, HashMap};

use super::super::normalize::{
    is_affix, is_direction, is_ordinal, leading_number, normal_words, ordinal_numbers, street_words,
};
use super::{unit_label, Address};

#[derive(Clone, Debug, Default)]
pub(in crate::places) struct Index {
    /// Per address: its label in normal form, which the fuzzy matcher scores.
    pub(in crate::places) keys: Vec<String>,
    /// Per address: its street.
    pub(in crate::places) street_of: Vec<u32>,
    /// Per address: its city, as an index into `cities`.
    pub(in crate::places) city_of: Vec<u32>,
    /// Per address: the leading digits of its house number, if any.
    pub(super) house: Vec<Option<u32>>,
    /// House number in normal form (`12 B` → `12b`) → addresses.
    pub(super) numbers: BTreeMap<String, Vec<u32>>,
    pub(in crate::places) streets: Vec<Street>,
    /// Every city name in normal form (`carmel valley`); the first is the empty one.
    pub(in crate::places) cities: Vec<String>,
    /// Every word of every label except house numbers, each with the streets whose name has it.
    pub(in crate::places) words: Vec<Word>,
    /// Address indices by latitude.
    pub(in crate::places) by_lat: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(in crate::places) struct Street {
    /// The street name in normal form.
    pub(in crate::places) key: String,
    /// Its addresses, by house number.
    pub(in crate::places) members: Vec<u32>,
    /// Its addresses, by latitude (for where two streets meet).
    pub(in crate::places) by_lat: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(in crate::places) struct Word {
    pub(in crate::places) text: String,
    /// A suffix, direction or unit word (`st`, `ave`, `e`, `unit`): too common to find a street
    /// by.
    pub(super) affix: bool,
    /// Streets whose name has this word; empty for words of units and cities.
    streets: Vec<u32>,
}

pub(in crate::places) struct Query {
    /// The house number in normal form, when the typed text starts with one.
    pub(in crate::places) number: Option<String>,
    /// The other words in normal form, less a city named at the end.
    pub(in crate::places) words: Vec<String>,
    /// A city of the list named at the end of the typed text.
    pub(in crate::places) city: Option<u32>,
    /// The number ran into the street (`1531mckinnon`).
    pub(in crate::places) run_on: bool,
}

impl Query {
    pub(super) fn text(&self) -> String {
        self.number
            .iter()
            .chain(&self.words)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How one typed word met the vocabulary.
pub(in crate::places) struct TokenMatch {
    /// Streets whose name has a matching word, with the best quality (4 equal, 3 prefix, 2 a
    /// corrected typo, 1 letters in order).
    pub(in crate::places) streets: HashMap<u32, u32>,
    /// The nearest word by edit distance, when no word equals or starts with the typed one.
    pub(in crate::places) correction: Option<usize>,
}

impl Index {
    pub(super) fn build(addresses: &[Address]) -> Index {
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

    pub(in crate::places) fn query(&self, typed: &str) -> Query {
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

    pub(in crate::places) fn match_token(&self, token: &str) -> TokenMatch {
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
}

/// An address's label in normal form, street numbers read as ordinals.
fn label_key(a: &Address) -> String {
    let mut words = normal_words(&a.number);
    words.extend(street_words(&a.street));
    words.extend(normal_words(&unit_label(&a.unit)));
    words.extend(normal_words(&a.city));
    words.join(" ")
}

/// How `token` (typed) meets a vocabulary word: 4 equal, 3 a prefix, 1 its letters in order from
/// the same first letter. Suffix and direction words match only when typed in full.
pub(super) fn direct_match(token: &str, word: &Word) -> Option<u32> {
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
pub(in crate::places) fn edit_distance(a: &str, b: &str, most: usize) -> Option<usize> {
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
