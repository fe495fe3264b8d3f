//! Lookup in the index: the candidates a query draws (by house number, street words, a scan of
//! the streets as a last resort), scored by the fuzzy matcher.

use std::collections::HashMap;
use std::ops::Bound;

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use super::super::normalize::{is_affix, is_suffix, leading_number};
use super::index::{Index, Query, TokenMatch};
use super::{CORRECTION_PENALTY, MAX_SCORED, MAX_STREETS_SCANNED};

impl Index {
    pub(super) fn lookup(&self, matcher: &SkimMatcherV2, query: &Query) -> Vec<(u32, i64)> {
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

/// The streets that match the most typed words, best matches first. Suffixes and directions
/// count only when nothing else was typed.
pub(in crate::places) fn street_hits(words: &[String], tokens: &[TokenMatch]) -> Vec<u32> {
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
