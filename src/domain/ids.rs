//! Identifiers: replicas (one per store), calls and units.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Quotes what someone typed in a message, cut short so a pasted page stays one short line.
pub fn shown(typed: &str) -> String {
    const MAX: usize = 32;
    if typed.chars().count() <= MAX {
        format!("'{typed}'")
    } else {
        format!(
            "'{}…' ({} characters)",
            typed.chars().take(MAX).collect::<String>(),
            typed.chars().count()
        )
    }
}

/// One store's identity, random at creation. Events carry it as their origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReplicaId(pub u64);

/// Letters that cannot be misread as digits (no I, O).
const TAG_LETTERS: &[u8; 24] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

impl ReplicaId {
    /// Two letters derived from the replica id, used in the call ids this replica mints, so that
    /// consoles mint distinct ids without talking to each other. Peers check tags differ.
    pub fn tag(self) -> String {
        let a = TAG_LETTERS[(self.0 % 24) as usize];
        let b = TAG_LETTERS[((self.0 / 24) % 24) as usize];
        String::from_utf8_lossy(&[a, b]).into_owned()
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// `KQ-41`: an alert is named by the event that raised it, the same on every console.
pub fn alert_id(origin: ReplicaId, seq: u64) -> String {
    format!("{}-{seq}", origin.tag())
}

/// The number a call typed by its digits names (`12` for `26-KQ0012`): one to five digits.
pub fn typed_number(typed: &str) -> Option<u32> {
    let digits = !typed.is_empty() && typed.len() <= 5 && typed.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| typed.parse().unwrap_or(0))
}

/// A call (incident) id such as `26-KQ0007`: two-digit year, the minting replica's tag, and that
/// replica's running number for the year (at least four digits). At most 10 characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallId(String);

impl CallId {
    pub fn mint(year: i32, tag: &str, number: u32) -> Self {
        Self(format!("{:02}-{tag}{number:04}", year.rem_euclid(100)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `("26-KQ", 7)` for `26-KQ0007`.
    pub fn series(&self) -> (&str, u32) {
        let (series, number) = self.0.split_at(5);
        (series, number.parse().unwrap_or(0))
    }
}

impl FromStr for CallId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let up = s.to_ascii_uppercase();
        let b = up.as_bytes();
        let ok = (8..=10).contains(&b.len())
            && b[..2].iter().all(u8::is_ascii_digit)
            && b[2] == b'-'
            && b[3..5].iter().all(|c| TAG_LETTERS.contains(c))
            && b[5..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Self(up))
        } else {
            Err(format!("{} is not a call id (like 26-KQ0007)", shown(s)))
        }
    }
}

impl TryFrom<String> for CallId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<CallId> for String {
    fn from(id: CallId) -> String {
        id.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// A unit's callsign such as `STAR-1`, kept upper case.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Callsign(String);

impl Callsign {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Callsign {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 12
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok {
            Ok(Self(s.to_ascii_uppercase()))
        } else {
            Err(format!(
                "{} is not a callsign: use up to 12 letters, digits and '-', starting with a \
                 letter (like STAR-1)",
                shown(s)
            ))
        }
    }
}

impl TryFrom<String> for Callsign {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Callsign> for String {
    fn from(c: Callsign) -> String {
        c.0
    }
}

impl fmt::Display for Callsign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_are_short_and_case_insensitive() {
        let id = CallId::mint(2026, "KQ", 7);
        assert_eq!(id.as_str(), "26-KQ0007");
        assert_eq!("26-kq0007".parse::<CallId>(), Ok(id.clone()));
        assert_eq!(id.series(), ("26-KQ", 7));
        assert_eq!(CallId::mint(2026, "KQ", 12345).as_str().len(), 10);
        assert!("26-KQ123456".parse::<CallId>().is_err());
        assert!("26-KI0007".parse::<CallId>().is_err());
    }

    #[test]
    fn tags_use_unambiguous_letters() {
        for n in 0..2000u64 {
            let tag = ReplicaId(n * 7919).tag();
            assert_eq!(tag.len(), 2);
            assert!(!tag.contains(['I', 'O']));
        }
    }

    #[test]
    fn long_input_is_cut_in_messages() {
        let err = "x".repeat(100_000).parse::<CallId>().unwrap_err();
        assert!(err.len() < 120, "{err}");
        assert!(err.contains("(100000 characters)"), "{err}");
    }

    #[test]
    fn callsigns_are_upper_case() {
        assert_eq!(
            "star-1".parse::<Callsign>().map(|c| c.0),
            Ok("STAR-1".into())
        );
        assert!("1STAR".parse::<Callsign>().is_err());
        assert!("STAR 1".parse::<Callsign>().is_err());
    }
}
