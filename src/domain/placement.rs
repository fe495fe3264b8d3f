//! How sure we are of where a call is: what the address list made of its location, recorded on
//! the event that set the location so that every console, report and later reader sees the same
//! answer. A location that is not placed is said so, never put silently at a guess.

use serde::{Deserialize, Serialize};

use super::place::Coords;

/// Two matches farther apart than this are different places: a tie between them is not placed.
pub const SAME_PLACE_M: f64 = 1_000.0;

/// What the address list made of a typed location.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// The list has this address (or both streets of this intersection) as typed.
    Exact { matched: String },
    /// Matched after reading some words otherwise: `how` says which (`littel` as `little`).
    Fuzzy { matched: String, how: String },
    /// Several places more than [`SAME_PLACE_M`] apart match about equally well: not placed
    /// until the dispatcher picks one (`place <call> a`) or types it more fully.
    Ambiguous { choices: Vec<Choice> },
    /// Not placed, and why.
    Unplaced { why: String },
    /// The dispatcher picked this one of the choices.
    Picked { matched: String },
    /// Coordinates came with the call (`--at`, a 911 centre's EIDO, a scenario).
    Given,
}

/// A place an ambiguous location might be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub label: String,
    pub coords: Coords,
}

/// A location as the address list placed it: what the desk adds to a command before planning.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub coords: Option<Coords>,
    /// The address's district, when the list has one.
    pub zone: Option<String>,
    pub placement: Placement,
}

impl Placement {
    /// One word for the confidence: `exact`, `fuzzy`, `ambiguous`, `not placed`, `picked`,
    /// `given`.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Exact { .. } => "exact",
            Self::Fuzzy { .. } => "fuzzy",
            Self::Ambiguous { .. } => "ambiguous",
            Self::Unplaced { .. } => "not placed",
            Self::Picked { .. } => "picked",
            Self::Given => "given",
        }
    }

    /// The mark a queue row carries before the location: nothing when placed with confidence,
    /// `~` for a fuzzy match, `?` for ambiguous, `!` for not placed. ASCII, so it reads in any
    /// terminal, and distinct glyphs, so it reads without colour.
    pub fn mark(&self) -> &'static str {
        match self {
            Self::Exact { .. } | Self::Picked { .. } | Self::Given => "",
            Self::Fuzzy { .. } => "~",
            Self::Ambiguous { .. } => "?",
            Self::Unplaced { .. } => "!",
        }
    }

    pub fn is_placed(&self) -> bool {
        !matches!(self, Self::Ambiguous { .. } | Self::Unplaced { .. })
    }

    /// In a dispatcher's words: `exact: 1400 Colfax Ave, Denver`, `fuzzy (littel as little): …`,
    /// `ambiguous: 2 places — a) …  b) …`, `not placed: no address matches`.
    pub fn describe(&self) -> String {
        match self {
            Self::Exact { matched } => format!("exact: {matched}"),
            Self::Fuzzy { matched, how } => format!("fuzzy ({how}): {matched}"),
            Self::Ambiguous { choices } => {
                let listed: Vec<String> = choices
                    .iter()
                    .enumerate()
                    .map(|(n, c)| format!("{}) {}", choice_letter(n), c.label))
                    .collect();
                format!(
                    "ambiguous, not placed: {} places — {}",
                    choices.len(),
                    listed.join("  ")
                )
            }
            Self::Unplaced { why } => format!("not placed: {why}"),
            Self::Picked { matched } => format!("picked: {matched}"),
            Self::Given => "coordinates given with the call".to_owned(),
        }
    }

    /// The choice a dispatcher named by its letter (`a`, `b` …).
    pub fn choice(&self, letter: &str) -> Option<&Choice> {
        let Self::Ambiguous { choices } = self else {
            return None;
        };
        let mut chars = letter.trim().chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return None;
        };
        let n = (c.to_ascii_lowercase() as usize).checked_sub('a' as usize)?;
        choices.get(n)
    }
}

/// `a` for the first choice, `b` for the second …
pub fn choice_letter(n: usize) -> char {
    char::from(b'a' + (n.min(25) as u8))
}

/// Great-circle distance in metres (one haversine for the crate: [`super::place::distance_km`]).
pub fn distance_m(a: &Coords, b: &Coords) -> f64 {
    super::place::distance_km(a, b) * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_named_by_letter() {
        let at = Coords { lat: 1.0, lon: 2.0 };
        let p = Placement::Ambiguous {
            choices: vec![
                Choice {
                    label: "1010 Willow Street".into(),
                    coords: at.clone(),
                },
                Choice {
                    label: "1010 Willow Avenue".into(),
                    coords: at,
                },
            ],
        };
        assert_eq!(
            p.choice("b").map(|c| c.label.as_str()),
            Some("1010 Willow Avenue")
        );
        assert_eq!(
            p.choice("A").map(|c| c.label.as_str()),
            Some("1010 Willow Street")
        );
        assert!(p.choice("c").is_none());
        assert!(p.choice("ab").is_none());
        assert!(p.choice("").is_none());
        assert_eq!(
            p.describe(),
            "ambiguous, not placed: 2 places — a) 1010 Willow Street  b) 1010 Willow Avenue"
        );
        assert!(!p.is_placed());
        assert_eq!(p.mark(), "?");
    }
}
