//! Who an export is for (`export --for`), and so what it carries. The default is the least.
//!
//! - **public**: the public-records form. Public-records laws require releasing the time,
//!   type and location of a request for help while withholding who asked (California PRA;
//!   Kentucky 94-ORD-133): times, call type, priority, the general location (the hundred
//!   block, never the house), units and disposition. No caller, callback, nature, notes,
//!   triage answers, coordinates or triage reasoning.
//! - **partner**: the hand-off form, what a receiving agency needs: the address as typed, the
//!   caller and how to call back, the nature and notes (they are the hand-over), units and
//!   disposition. Nothing clinical: no triage answers, recommendation rule or override reason.
//! - **audit**: everything the call holds, for the program's own records or a court order; only
//!   for the data dir's owner (the only user a store opens for, `store::private`).

use std::borrow::Cow;

use crate::domain::Call;

/// Who reads an export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Reader {
    /// The public-records form: no one who called, no house, nothing clinical.
    #[default]
    Public,
    /// The hand-off form for a receiving agency: who, where, what; nothing clinical.
    Partner,
    /// Everything, for the data dir's owner.
    Audit,
}

/// What a public record says where the location cannot be told without telling too much (free
/// text with no house number or street corner in it, which may name a person or a home).
pub const WITHHELD: &str = "[location withheld]";

/// `call` as `reader` may see it.
pub fn shown(call: &Call, reader: Reader) -> Cow<'_, Call> {
    // A restricted call's personal fields leave in no export, whoever it is for.
    let call: Cow<'_, Call> = if call.restricted.is_some() {
        Cow::Owned(call.redacted())
    } else {
        Cow::Borrowed(call)
    };
    if reader == Reader::Audit {
        return call;
    }
    // Nothing clinical leaves for a partner or the public.
    let mut c = call.into_owned();
    c.answers.clear();
    c.override_reason = None;
    c.recommendation = None;
    if reader == Reader::Public {
        c.location = general_location(&c);
        c.coords = None;
        c.civic = None;
        c.placement = None;
        c.nature = c.call_type.map(|t| t.word().to_owned()).unwrap_or_default();
        c.caller = None;
        c.callback = None;
        c.notes.clear();
        c.unserved = None;
        if let Some(h) = &mut c.hold {
            h.reason.clear();
        }
    }
    Cow::Owned(c)
}

/// The location as a public record gives it: the hundred block of a street address (`1010
/// Third St` → `1000 block of Third St`), a street corner as typed, else the call's zone, else
/// [`WITHHELD`].
pub fn general_location(call: &Call) -> String {
    if let Some(civic) = call.civic.as_deref().filter(|c| !c.street.is_empty()) {
        if let Some(block) = hundred_block(&civic.number) {
            return format!("{block} block of {}", civic.street);
        }
    }
    let text = call.location.trim();
    if let Some((number, street)) = text.split_once(char::is_whitespace) {
        if let Some(block) = hundred_block(number) {
            // Only the street: an apartment after a comma names a home.
            let street = street.split([',', '#']).next().unwrap_or("").trim();
            if !street.is_empty() {
                return format!("{block} block of {street}");
            }
        }
    }
    if is_corner(text) {
        return text.to_owned();
    }
    call.zone
        .clone()
        .filter(|z| !z.trim().is_empty())
        .unwrap_or_else(|| WITHHELD.to_owned())
}

/// `1010` → `1000`; `7` → `0`; a house number with a letter (`12B`) by its digits.
fn hundred_block(number: &str) -> Option<u64> {
    let digits: String = number.chars().take_while(char::is_ascii_digit).collect();
    let rest = &number[digits.len()..];
    if digits.is_empty() || rest.chars().any(|c| !c.is_ascii_alphabetic()) || rest.len() > 1 {
        return None;
    }
    digits.parse::<u64>().ok().map(|n| n / 100 * 100)
}

/// Two streets: `3rd St & Colfax Ave`, `third and colfax`, `Main/5th`.
fn is_corner(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let parts: Vec<&str> = if lower.contains('&') {
        lower.split('&').collect()
    } else if lower.contains(" and ") {
        lower.split(" and ").collect()
    } else if lower.contains('/') {
        lower.split('/').collect()
    } else {
        return false;
    };
    parts.len() == 2
        && parts.iter().all(|p| {
            let p = p.trim();
            !p.is_empty() && p.split_whitespace().count() <= 4
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hundred_blocks() {
        assert_eq!(hundred_block("1010"), Some(1000));
        assert_eq!(hundred_block("7"), Some(0));
        assert_eq!(hundred_block("12B"), Some(0));
        assert_eq!(hundred_block("Apt"), None);
        assert_eq!(hundred_block("10-12"), None);
    }

    #[test]
    fn corners() {
        assert!(is_corner("3rd St & Colfax Ave"));
        assert!(is_corner("third and colfax"));
        assert!(!is_corner("behind the library"));
        assert!(!is_corner(
            "the house of the woman who sings and dances at night"
        ));
    }
}
