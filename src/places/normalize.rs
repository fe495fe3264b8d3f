//! The normal form both sides of a lookup are put in, so that what a call-taker types and what an
//! address file holds read the same: lower case, punctuation dropped, suffixes and directions
//! abbreviated (`Avenue` → `ave`, `East` → `e`), ordinals written one way (`Seventh`, `7th` and,
//! inside a street name, `7` → `7th`), and the separators that make a location an intersection.

/// Lower-case words with punctuation dropped and suffixes, directions, unit words and ordinal
/// words abbreviated, so that `E. Colfax Avenue, Apt 3` and `e colfax ave unit 3` read the same.
/// Bare numbers stay as they are: see [`street_words`].
pub fn normal_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // O'Brien → obrien
        } else if !word.is_empty() {
            words.push(canonical(std::mem::take(&mut word)));
        }
    }
    if !word.is_empty() {
        words.push(canonical(word));
    }
    join_compound_ordinals(words)
}

/// The words of a street name: as [`normal_words`], with a bare number read as the ordinal it
/// names (`West 26 Street` → `w 26th st`), as address files write it both ways.
pub fn street_words(text: &str) -> Vec<String> {
    let mut words = normal_words(text);
    ordinal_numbers(&mut words, 0);
    words
}

/// Bare numbers from `from` on become ordinals, except a unit's number (`unit 3`).
pub(crate) fn ordinal_numbers(words: &mut [String], from: usize) {
    for i in from..words.len() {
        let after_unit = i > 0 && words[i - 1] == "unit";
        if !after_unit && !words[i].is_empty() && words[i].bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = words[i].parse::<u32>() {
                words[i] = ordinal(n);
            }
        }
    }
}

/// `1` → `1st`, `12` → `12th`, `23` → `23rd`.
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

const UNIT_ORDINALS: [&str; 19] = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];

const TENS: [(&str, &str, u32); 8] = [
    ("twenty", "twentieth", 20),
    ("thirty", "thirtieth", 30),
    ("forty", "fortieth", 40),
    ("fifty", "fiftieth", 50),
    ("sixty", "sixtieth", 60),
    ("seventy", "seventieth", 70),
    ("eighty", "eightieth", 80),
    ("ninety", "ninetieth", 90),
];

fn ordinal_word(word: &str) -> Option<u32> {
    if let Some(n) = UNIT_ORDINALS.iter().position(|w| *w == word) {
        return Some(n as u32 + 1);
    }
    TENS.iter().find(|t| t.1 == word).map(|t| t.2)
}

/// `twenty first` (from `Twenty-First`, whose `first` is already `1st`) → `21st`.
fn join_compound_ordinals(words: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let tens = out
            .last()
            .and_then(|prev| TENS.iter().find(|t| t.0 == prev.as_str()))
            .map(|t| t.2);
        let unit = leading_number(&word).filter(|n| (1..10).contains(n) && is_ordinal(&word));
        if let (Some(tens), Some(unit)) = (tens, unit) {
            out.pop();
            out.push(ordinal(tens + unit));
        } else {
            out.push(word);
        }
    }
    out
}

fn canonical(word: String) -> String {
    if let Some(n) = ordinal_word(&word) {
        return ordinal(n);
    }
    let short = match word.as_str() {
        "street" | "str" | "stre" | "stree" => "st",
        "avenue" | "av" | "avn" | "aven" | "avenu" => "ave",
        "boulevard" | "boul" | "boulv" | "blv" => "blvd",
        "drive" | "driv" => "dr",
        "road" => "rd",
        "lane" => "ln",
        "court" => "ct",
        "place" => "pl",
        "circle" | "circ" => "cir",
        "terrace" => "ter",
        "parkway" | "pky" => "pkwy",
        "highway" => "hwy",
        "trail" => "trl",
        "square" => "sq",
        "north" => "n",
        "south" => "s",
        "east" => "e",
        "west" => "w",
        "northeast" => "ne",
        "northwest" => "nw",
        "southeast" => "se",
        "southwest" => "sw",
        "apartment" | "apt" | "suite" => "unit",
        _ => return word,
    };
    short.to_owned()
}

/// A suffix, direction or unit word (`st`, `ave`, `e`, `unit`): too common to find a street by.
pub fn is_affix(word: &str) -> bool {
    is_suffix(word) || is_direction(word) || word == "unit"
}

/// A street type in normal form (`st`, `ave`, `dr` …).
pub fn is_suffix(word: &str) -> bool {
    matches!(
        word,
        "st" | "ave"
            | "blvd"
            | "dr"
            | "rd"
            | "ln"
            | "ct"
            | "pl"
            | "cir"
            | "ter"
            | "pkwy"
            | "hwy"
            | "trl"
            | "sq"
            | "way"
    )
}

pub fn is_direction(word: &str) -> bool {
    matches!(word, "n" | "s" | "e" | "w" | "ne" | "nw" | "se" | "sw")
}

/// `16th`, `2nd`: a numbered street, not a house number.
pub fn is_ordinal(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&word[digits..], "st" | "nd" | "rd" | "th")
}

pub fn leading_number(text: &str) -> Option<u32> {
    let digits: String = text
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Reads like a street name rather than a nature: ends in a street type (`W CAPITOL DR`) or is
/// a numbered street (`N 60TH`). Used to tell the CAD form `A / B / nature` from `A / nature`.
pub fn looks_like_street(text: &str) -> bool {
    let words = normal_words(text);
    if words.len() > 6 {
        return false;
    }
    words.iter().any(|w| is_ordinal(w))
        || words
            .last()
            .is_some_and(|w| is_suffix(w) && words.len() >= 2)
}

/// The two streets of an intersection as typed: `A & B`, `A and B`, `A at B`, `A @ B`,
/// `A / B`; `None` when the text names no second street. A `/` between digits (`12 1/2`) is a
/// fraction, not a separator.
pub fn split_intersection(text: &str) -> Option<(String, String)> {
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let fraction = c == '/'
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if matches!(c, '&' | '@' | '/') && !fraction {
            let a: String = chars[..i].iter().collect();
            let b: String = chars[i + 1..].iter().collect();
            return both(&a, &b);
        }
    }
    let lower = text.to_lowercase();
    for word in [" and ", " at "] {
        if let Some(at) = lower.find(word) {
            return both(&text[..at], &text[at + word.len()..]);
        }
    }
    None
}

fn both(a: &str, b: &str) -> Option<(String, String)> {
    let (a, b) = (a.trim(), b.trim());
    let has_word = |s: &str| s.chars().any(char::is_alphanumeric);
    (has_word(a) && has_word(b)).then(|| (a.to_owned(), b.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form_abbreviates_suffixes_and_directions() {
        assert_eq!(
            normal_words("E. Colfax Avenue, Apt #3"),
            ["e", "colfax", "ave", "unit", "3"]
        );
        assert_eq!(normal_words("O'Brien Street"), ["obrien", "st"]);
    }

    #[test]
    fn ordinals_read_one_way() {
        assert_eq!(normal_words("North Third Street"), ["n", "3rd", "st"]);
        assert_eq!(normal_words("Seventh Ave"), ["7th", "ave"]);
        assert_eq!(normal_words("Twenty-First St"), ["21st", "st"]);
        assert_eq!(normal_words("twenty 1st"), ["21st"]);
        assert_eq!(normal_words("Fortieth"), ["40th"]);
        assert_eq!(street_words("West 26 Street"), ["w", "26th", "st"]);
        assert_eq!(street_words("Main St, Unit 3"), ["main", "st", "unit", "3"]);
        assert_eq!(
            [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal),
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                "111th"
            ]
        );
    }

    #[test]
    fn intersections_split_on_the_usual_separators() {
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(
            split_intersection("N Main St & E Alisal St"),
            pair("N Main St", "E Alisal St")
        );
        assert_eq!(
            split_intersection("Main and Alisal"),
            pair("Main", "Alisal")
        );
        assert_eq!(split_intersection("Main AT Alisal"), pair("Main", "Alisal"));
        assert_eq!(
            split_intersection("N 60TH ST / W CAPITOL DR"),
            pair("N 60TH ST", "W CAPITOL DR")
        );
        assert_eq!(split_intersection("5th&Pine"), pair("5th", "Pine"));
        assert_eq!(split_intersection("12 1/2 Main St"), None);
        assert_eq!(split_intersection("Main St &"), None);
        assert_eq!(split_intersection("1400 Colfax Ave"), None);
    }

    #[test]
    fn streets_are_told_from_natures() {
        assert!(looks_like_street("W CAPITOL DR"));
        assert!(looks_like_street("N 60TH"));
        assert!(!looks_like_street("RECK USE OF WEAP"));
        assert!(!looks_like_street("man shouting"));
        assert!(!looks_like_street("ST"));
    }
}
