//! Address history: what happened at this address before, so the call-taker knows before the
//! team arrives.

use super::call::Call;
use super::ids::CallId;
use super::place::distance_km;
use super::state::{State, Trace};
use super::vocab::Disposition;

/// A callback number this short (digits) says too little to match on.
pub const MIN_CALLBACK_DIGITS: usize = 7;

/// Calls this close count as the same address.
pub const SAME_PLACE_M: f64 = 50.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AddressHistory {
    /// Earlier calls at this address, newest first.
    pub calls: Vec<String>,
    /// The same calls, with when and how each ended.
    pub earlier: Vec<Earlier>,
    /// Dispositions of the latest few.
    pub dispositions: Vec<Disposition>,
    /// Notes flagged `--caution` at this address, newest first.
    pub cautions: Vec<String>,
}

/// An earlier call at an address, in memory or let go ([`super::state::Trace`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Earlier {
    pub id: CallId,
    pub received_ms: i64,
    pub disposition: Option<Disposition>,
    /// Its status in a word while it is open; `None` once closed.
    pub open: Option<&'static str>,
}

/// Whether a caution left on one call bears on the other: same address or same caller.
pub fn bears_on(a: &Call, b: &Call) -> bool {
    same_place(a, b) || same_caller(a, b)
}

fn same_place(a: &Call, b: &Call) -> bool {
    match (&a.coords, &b.coords) {
        (Some(x), Some(y)) => distance_km(x, y) * 1000.0 <= SAME_PLACE_M,
        _ => has_key(&a.location, &address_key(&b.location)),
    }
}

/// `call`'s place, made once to compare every call in the state with (the console draws the
/// address history and the cautions every second: building two keys per call in the state
/// was most of an idle console's work on a year's store).
struct Here<'a> {
    call: &'a Call,
    key: String,
}

impl<'a> Here<'a> {
    fn of(call: &'a Call) -> Here<'a> {
        Here {
            call,
            key: address_key(&call.location),
        }
    }

    /// [`same_place`], without building `other`'s key.
    fn holds(&self, other: &Call) -> bool {
        match (&other.coords, &self.call.coords) {
            (Some(x), Some(y)) => distance_km(x, y) * 1000.0 <= SAME_PLACE_M,
            _ => has_key(&other.location, &self.key),
        }
    }

    /// [`Here::holds`] for a let-go call, by its place key.
    fn holds_trace(&self, other: &Trace, key: u64) -> bool {
        match (&other.coords, &self.call.coords) {
            (Some(x), Some(y)) => distance_km(x, y) * 1000.0 <= SAME_PLACE_M,
            _ => other.place == key,
        }
    }
}

/// Whether `address_key(location) == key`, without building the location's key.
fn has_key(location: &str, key: &str) -> bool {
    // `str::to_lowercase` lowers a capital sigma by what follows it, which a character at a
    // time cannot: such a location takes the long way.
    if !location.is_ascii() && location.contains('Σ') {
        return address_key(location) == key;
    }
    // A key's words are never empty, and lowering a character makes no space.
    let mut theirs = key.split(' ').filter(|w| !w.is_empty());
    let mut ours = location
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty());
    loop {
        match (ours.next(), theirs.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.chars().flat_map(char::to_lowercase).eq(b.chars()) => {}
            _ => return false,
        }
    }
}

/// An address as compared for history and repeat-address figures: lower case, punctuation and
/// spacing ignored.
pub fn address_key(location: &str) -> String {
    location
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Earlier calls at the same address (or within 50 m when both have coordinates), those let
/// go from memory included.
pub fn address_history(state: &State, call: &Call) -> AddressHistory {
    let here = Here::of(call);
    let mut kept: Vec<&Call> = state
        .calls
        .values()
        .filter(|c| c.received_ms <= call.received_ms && here.holds(c) && c.id != call.id)
        .collect();
    kept.sort_by_key(|c| std::cmp::Reverse(c.received_ms));
    let mut earlier: Vec<Earlier> = kept
        .iter()
        .map(|c| Earlier {
            id: c.id.clone(),
            received_ms: c.received_ms,
            disposition: c.disposition,
            open: c.is_open().then(|| c.state_word()),
        })
        .collect();
    let key = super::state::place_key(&call.location);
    earlier.extend(
        state
            .let_go_calls()
            .iter()
            .filter(|(id, t)| t.received_ms <= call.received_ms && *id != &call.id)
            .filter(|(_, t)| here.holds_trace(t, key))
            .map(|(id, t)| Earlier {
                id: id.clone(),
                received_ms: t.received_ms,
                disposition: t.disposition,
                open: None,
            }),
    );
    earlier.sort_by(|a, b| {
        b.received_ms
            .cmp(&a.received_ms)
            .then_with(|| a.id.cmp(&b.id))
    });
    AddressHistory {
        calls: earlier.iter().map(|c| c.id.to_string()).collect(),
        dispositions: earlier
            .iter()
            .filter_map(|c| c.disposition)
            .take(3)
            .collect(),
        // A call with a caution is never let go: its notes are in memory.
        cautions: kept
            .iter()
            .flat_map(|c| c.notes.iter().filter(|n| n.caution).map(|n| n.text.clone()))
            .collect(),
        earlier,
    }
}

/// Where a caution that bears on a call was left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CautionFrom {
    /// On the call itself.
    ThisCall,
    /// On an earlier call at the same address.
    Address(CallId),
    /// On an earlier call from the same callback number (the caller).
    Caller(CallId),
}

/// A caution that bears on a call, with where it was left and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caution {
    pub text: String,
    pub from: CautionFrom,
    pub wall_ms: i64,
}

fn same_caller(a: &Call, b: &Call) -> bool {
    let digits = |c: &Call| -> String {
        c.callback
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect()
    };
    let x = digits(a);
    x.len() >= MIN_CALLBACK_DIGITS && x == digits(b)
}

/// Every caution that bears on `call`: its own (oldest first), then those left on other calls
/// at the same address or from the same callback number (newest first), each once. The other
/// calls are the earlier ones and any still open: a knife noted on a second call to an address
/// bears on the first call there while units may still be on their way to it.
pub fn cautions(state: &State, call: &Call) -> Vec<Caution> {
    let mut out: Vec<Caution> = call
        .notes
        .iter()
        .filter(|n| n.caution)
        .map(|n| Caution {
            text: n.text.clone(),
            from: CautionFrom::ThisCall,
            wall_ms: n.wall_ms,
        })
        .collect();
    // Few calls carry a caution: that is asked first.
    let mut earlier: Vec<&Call> = state
        .calls
        .values()
        .filter(|c| c.notes.iter().any(|n| n.caution))
        .filter(|c| (c.received_ms <= call.received_ms || c.is_open()) && c.id != call.id)
        .collect();
    earlier.sort_by_key(|c| std::cmp::Reverse(c.received_ms));
    let here = Here::of(call);
    for c in earlier {
        let from = if here.holds(c) {
            CautionFrom::Address(c.id.clone())
        } else if same_caller(c, call) {
            CautionFrom::Caller(c.id.clone())
        } else {
            continue;
        };
        for n in c.notes.iter().filter(|n| n.caution) {
            if out.iter().all(|o| o.text != n.text) {
                out.push(Caution {
                    text: n.text.clone(),
                    from: from.clone(),
                    wall_ms: n.wall_ms,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{address_key, has_key};

    /// `has_key` is exactly the comparison of keys it saves building.
    #[test]
    fn has_key_agrees_with_comparing_keys() {
        let places = [
            "",
            "  ",
            "---",
            "1400 Market St, bus shelter",
            "1400 market st bus shelter",
            "1400  MARKET st. (bus shelter)",
            "1400 Market St",
            "1400 Market Street, bus shelter",
            "İstanbul Cd 4",
            "i̇stanbul cd 4",
            "istanbul cd 4",
            "ΟΔΟΣ ΑΘΗΝΑΣ 5",
            "οδος αθηνας 5",
            "οδοσ αθηνασ 5",
            "Straße 9",
            "STRASSE 9",
            "straße 9",
            "ǅemal 3",
            "ǆemal 3",
            "a-b",
            "a b",
            "ab",
        ];
        for a in places {
            for b in places {
                assert_eq!(
                    has_key(a, &address_key(b)),
                    address_key(a) == address_key(b),
                    "{a:?} against {b:?}"
                );
            }
        }
    }
}
