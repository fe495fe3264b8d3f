//! What every planner shares: the context it plans in, the refusal it answers with, and finding
//! the call or unit a command names. Below the planners (`plan`, `intake`, `dispatch`,
//! `handoff`), so that none of them needs another for these.

use std::fmt;

use super::call::{Call, CallStatus};
use super::ids::{CallId, Callsign, ReplicaId};
use super::policy::Policy;
use super::state::State;
use super::unit::Unit;

pub use super::text::MAX_TEXT_BYTES;

/// Why a command was not carried out, in one line that says what to do instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

macro_rules! refuse {
    ($($arg:tt)*) => { return Err(Refusal(format!($($arg)*))) };
}

pub(super) use refuse;

/// Who is planning, when, and under which rules: a new call id depends on the first two, triage
/// and closing rules on the policy.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub origin: ReplicaId,
    pub now_ms: i64,
    pub policy: &'a Policy,
}

/// The shortest way to name a call that [`find_call`] reads back as it: its number when that
/// finds it, else its id. For suggestions a dispatcher types (`merge 5 2`).
pub fn short_name(state: &State, id: &CallId) -> String {
    let number = id.series().1.to_string();
    match find_call(state, &number) {
        Ok(c) if &c.id == id => number,
        _ => id.to_string(),
    }
}

/// Finds a call by id, or by the digits it ends with — the one rule for every command that
/// names a call: the one open call with that number, else (none open has it) the one call of
/// any status that has it, so `reopen 12` and `log --call 12` take the short number too.
pub fn find_call<'s>(state: &'s State, typed: &str) -> Result<&'s Call, Refusal> {
    if let Ok(id) = typed.parse::<CallId>() {
        if state.is_let_go(&id) {
            // The desk reads a call a command names back in before planning: this is a
            // caller that did not.
            refuse!("call {id} is in the store's history, not in memory");
        }
        return state
            .calls
            .get(&id)
            .ok_or_else(|| Refusal(format!("no call {id}")));
    }
    if let Some(wanted) = super::ids::typed_number(typed) {
        let numbered = |open_only: bool| -> Vec<&Call> {
            state
                .calls
                .values()
                .filter(|c| (c.is_open() || !open_only) && c.id.series().1 == wanted)
                .collect()
        };
        let mut found = numbered(true);
        if found.is_empty() {
            found = numbered(false);
        }
        let let_go: Vec<&CallId> = if found.iter().any(|c| c.is_open()) {
            Vec::new()
        } else {
            state
                .let_go_calls()
                .keys()
                .filter(|id| id.series().1 == wanted)
                .collect()
        };
        match (found.as_slice(), let_go.as_slice()) {
            ([one], []) => return Ok(one),
            ([], []) => refuse!("no call numbered {typed}; give the full call id"),
            ([], [id]) => refuse!("call {id} is in the store's history, not in memory"),
            (many, gone) => {
                let mut ids: Vec<&str> = many.iter().map(|c| c.id.as_str()).collect();
                ids.extend(gone.iter().map(|id| id.as_str()));
                ids.sort_unstable();
                refuse!("{typed} matches {}; give the full id", ids.join(", "));
            }
        }
    }
    refuse!(
        "{} is not a call id (like 26-KQ0007)",
        super::ids::shown(typed)
    )
}

/// The id of the call `typed` names ([`find_call`]'s rule), in memory or let go: for what
/// reads a call's events from the store rather than the call (`log --call`, `export --call`).
pub fn call_id_named(state: &State, typed: &str) -> Result<CallId, Refusal> {
    match state.let_go_named(typed) {
        Some(id) => Ok(id),
        None => find_call(state, typed).map(|c| c.id.clone()),
    }
}

pub(super) fn open_call<'s>(
    state: &'s State,
    typed: &str,
    verb: &str,
) -> Result<&'s Call, Refusal> {
    let call = find_call(state, typed)?;
    if call.status == CallStatus::Closed {
        refuse!(
            "{} is closed; cannot {verb} it (reopen {} first)",
            call.id,
            call.id
        );
    }
    Ok(call)
}

pub fn find_unit<'s>(state: &'s State, typed: &str) -> Result<&'s Unit, Refusal> {
    let callsign: Callsign = typed.parse().map_err(Refusal)?;
    state.units.get(&callsign).ok_or_else(|| {
        Refusal(format!(
            "no unit {callsign} on the roster; add it with: unit add {callsign} <capabilities>"
        ))
    })
}

/// Trims free text and holds it to [`MAX_TEXT_BYTES`], refusing what the free-text rule
/// refuses ([`super::text`]): control characters, direction overrides, invisible characters.
pub(super) fn text_field(what: &str, text: &str) -> Result<String, Refusal> {
    let text = text.trim();
    if text.len() > MAX_TEXT_BYTES {
        refuse!(
            "{what} is {} bytes; the limit is {MAX_TEXT_BYTES} (split it into several notes)",
            text.len()
        );
    }
    super::text::check(what, text, MAX_TEXT_BYTES).map_err(Refusal)?;
    Ok(text.to_owned())
}
