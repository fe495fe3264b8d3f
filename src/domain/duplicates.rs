//! Possible duplicates of a call at intake: an open call at the same address, one within
//! [`NEAR_M`] taken in the [`RECENT_MS`] before, or one from the same callback number. Shown
//! beside the call so the dispatcher can `merge` it rather than send a second team.

use super::call::Call;
use super::history::{address_key, MIN_CALLBACK_DIGITS};
use super::ids::CallId;
use super::place::distance_km;
use super::state::State;

/// Calls this close may be one incident.
pub const NEAR_M: f64 = 100.0;
/// … when the other was taken this little before.
pub const RECENT_MS: i64 = 30 * 60_000;

fn digits(callback: &str) -> String {
    callback.chars().filter(char::is_ascii_digit).collect()
}

/// Open calls taken before `call` that may be the same incident, each with why, oldest first.
pub fn possible_duplicates(state: &State, call: &Call) -> Vec<(CallId, String)> {
    if !call.is_open() {
        return Vec::new();
    }
    let key = address_key(&call.location);
    let callback = call.callback.as_deref().map(digits).unwrap_or_default();
    let mut found: Vec<(&Call, String)> = state
        .calls
        .values()
        .filter(|c| c.id != call.id && c.is_open() && c.received_ms <= call.received_ms)
        .filter(|c| !c.links.contains(&call.id))
        .filter_map(|c| {
            let mut why = Vec::new();
            if !key.is_empty() && address_key(&c.location) == key {
                why.push("same address".to_owned());
            } else if let (Some(a), Some(b)) = (&c.coords, &call.coords) {
                let m = distance_km(a, b) * 1000.0;
                let earlier = call.received_ms - c.received_ms;
                if m <= NEAR_M && earlier <= RECENT_MS {
                    why.push(format!("{m:.0} m away, {} min earlier", earlier / 60_000));
                }
            }
            if callback.len() >= MIN_CALLBACK_DIGITS
                && c.callback.as_deref().map(digits).as_deref() == Some(callback.as_str())
            {
                why.push("same callback number".to_owned());
            }
            (!why.is_empty()).then(|| (c, why.join(", ")))
        })
        .collect();
    found.sort_by_key(|(c, _)| c.received_ms);
    found
        .into_iter()
        .map(|(c, why)| (c.id.clone(), why))
        .collect()
}
