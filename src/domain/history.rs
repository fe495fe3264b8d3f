//! Address history: what happened at this address before, so the call-taker knows before the
//! team arrives.

use super::call::Call;
use super::ids::CallId;
use super::place::distance_km;
use super::state::State;
use super::vocab::Disposition;

/// A callback number this short (digits) says too little to match on.
pub const MIN_CALLBACK_DIGITS: usize = 7;

/// Calls this close count as the same address.
pub const SAME_PLACE_M: f64 = 50.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AddressHistory {
    /// Earlier calls at this address, newest first.
    pub calls: Vec<String>,
    /// Dispositions of the latest few.
    pub dispositions: Vec<Disposition>,
    /// Notes flagged `--caution` at this address, newest first.
    pub cautions: Vec<String>,
}

/// Whether a caution left on one call bears on the other: same address or same caller.
pub fn bears_on(a: &Call, b: &Call) -> bool {
    same_place(a, b) || same_caller(a, b)
}

fn same_place(a: &Call, b: &Call) -> bool {
    match (&a.coords, &b.coords) {
        (Some(x), Some(y)) => distance_km(x, y) * 1000.0 <= SAME_PLACE_M,
        _ => address_key(&a.location) == address_key(&b.location),
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

/// Earlier calls at the same address (or within 50 m when both have coordinates).
pub fn address_history(state: &State, call: &Call) -> AddressHistory {
    let mut earlier: Vec<&Call> = state
        .calls
        .values()
        .filter(|c| c.id != call.id && c.received_ms <= call.received_ms && same_place(c, call))
        .collect();
    earlier.sort_by_key(|c| std::cmp::Reverse(c.received_ms));
    AddressHistory {
        calls: earlier.iter().map(|c| c.id.to_string()).collect(),
        dispositions: earlier
            .iter()
            .filter_map(|c| c.disposition)
            .take(3)
            .collect(),
        cautions: earlier
            .iter()
            .flat_map(|c| c.notes.iter().filter(|n| n.caution).map(|n| n.text.clone()))
            .collect(),
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
    let mut earlier: Vec<&Call> = state
        .calls
        .values()
        .filter(|c| c.id != call.id && (c.received_ms <= call.received_ms || c.is_open()))
        .filter(|c| c.notes.iter().any(|n| n.caution))
        .collect();
    earlier.sort_by_key(|c| std::cmp::Reverse(c.received_ms));
    for c in earlier {
        let from = if same_place(c, call) {
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
