//! What happens to a call as a whole: held for a time, merged into the call it repeats, erased
//! (one call, or every closed call of a caller).

use crate::domain::call::{Call, CallStatus};
use crate::domain::event::Body;
use crate::domain::planning::{open_call, refuse, text_field};
use crate::domain::state::State;

use crate::domain::planning::{find_call, Context, Refusal};

/// The longest hold: past four hours a call is not waiting, it is a callback to book.
pub const MAX_HOLD_MINUTES: u32 = 240;

/// A pending call put on hold: only one nobody has been sent to yet, for a bounded time, with a
/// reason the next dispatcher can read.
pub(super) fn hold(
    state: &State,
    call: &str,
    minutes: u32,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "hold")?;
    if c.status != CallStatus::Pending {
        refuse!(
            "{} is {}: only a pending call can be held (units are already on it)",
            c.id,
            c.status.word()
        );
    }
    if !(1..=MAX_HOLD_MINUTES).contains(&minutes) {
        refuse!("a hold is 1 to {MAX_HOLD_MINUTES} minutes, not {minutes}");
    }
    let reason = text_field("reason", reason)?;
    if reason.trim().is_empty() {
        refuse!(
            "say why {} is held: hold {} {minutes} <reason…>",
            c.id,
            c.id
        );
    }
    Ok(vec![Body::CallHeld {
        call: c.id.clone(),
        minutes,
        until_ms: ctx.now_ms + i64::from(minutes) * 60_000,
        reason,
    }])
}

/// A duplicate closed into the call it repeats: what its caller said and its notes go to that
/// call first, so nothing the duplicate's caller gave is lost, then it closes as `duplicate`.
pub(super) fn merge(state: &State, call: &str, into: &str) -> Result<Vec<Body>, Refusal> {
    let dup = open_call(state, call, "merge")?;
    let keep = open_call(state, into, "merge into")?;
    if dup.id == keep.id {
        refuse!("{} cannot be merged into itself", dup.id);
    }
    let on: Vec<&str> = dup.active_units().map(|a| a.unit.as_str()).collect();
    if !on.is_empty() {
        refuse!(
            "{} still has {} on it; clear or disregard {} first: a duplicate has no units of its own",
            dup.id,
            on.join(", "),
            if on.len() == 1 { "it" } else { "them" }
        );
    }
    let mut bodies = Vec::new();
    let caller = match (&dup.caller, &dup.callback) {
        (None, None) => String::new(),
        (Some(name), None) => format!(" (caller {name})"),
        (None, Some(cb)) => format!(" (cb {cb})"),
        (Some(name), Some(cb)) => format!(" (caller {name}, cb {cb})"),
    };
    let said = format!("from a second caller: {}{caller}", dup.nature);
    bodies.push(Body::NoteAdded {
        call: keep.id.clone(),
        text: text_field("note", &said)?,
        caution: false,
        written: None,
    });
    for n in &dup.notes {
        bodies.push(Body::NoteAdded {
            call: keep.id.clone(),
            text: text_field(
                "note",
                &format!("from the second caller's call: {}", n.text),
            )?,
            caution: n.caution,
            // Who wrote it and when stay with it.
            written: Some(
                n.written
                    .clone()
                    .unwrap_or_else(|| crate::domain::ledger::Written {
                        by: n.operator.clone(),
                        at_ms: n.wall_ms,
                    }),
            ),
        });
    }
    bodies.push(Body::CallMerged {
        call: dup.id.clone(),
        into: keep.id.clone(),
    });
    Ok(bodies)
}

/// `erase --caller`: every closed call whose caller name (any case) or callback number (its
/// digits) is `who`, not erased and not under a legal hold; open or held calls stay, and the
/// refusal says so when nothing else is left.
pub(super) fn erase_caller(state: &State, who: &str, reason: &str) -> Result<Vec<Body>, Refusal> {
    let reason = text_field("reason", reason)?;
    if reason.is_empty() {
        refuse!("say why it is erased: erase --caller NAME --reason TEXT");
    }
    let who = who.trim();
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let wanted = digits(who);
    let from = |c: &Call| {
        c.caller
            .as_deref()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case(who))
            || (wanted.len() >= 7 && c.callback.as_deref().is_some_and(|cb| digits(cb) == wanted))
    };
    let calls: Vec<&Call> = state
        .calls
        .values()
        .filter(|c| !c.erased && from(c))
        .collect();
    let (due, kept): (Vec<&Call>, Vec<&Call>) = calls.into_iter().partition(|c| c.may_be_erased());
    if due.is_empty() {
        if kept.is_empty() {
            refuse!("no call from {who} to erase");
        }
        refuse!(
            "every call from {who} is open or under a legal hold ({}); close or release them first",
            kept.iter()
                .map(|c| c.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(due
        .into_iter()
        .map(|c| Body::CallErased {
            call: c.id.clone(),
            reason: reason.clone(),
        })
        .collect())
}

/// `erase`: a closed call not under a legal hold, not erased already, with a reason.
pub(super) fn erase(state: &State, call: &str, reason: &str) -> Result<Vec<Body>, Refusal> {
    let c = find_call(state, call)?;
    let reason = text_field("reason", reason)?;
    if reason.is_empty() {
        refuse!("say why it is erased: erase {} --reason TEXT", c.id);
    }
    if c.erased {
        refuse!("{} is already erased", c.id);
    }
    if c.is_open() {
        refuse!("{} is open; close it before erasing it", c.id);
    }
    if let Some(why) = &c.legal_hold {
        refuse!(
            "{} is under a legal hold ({why}); release it first (release-legal {} <reason>)",
            c.id,
            c.id
        );
    }
    Ok(vec![Body::CallErased {
        call: c.id.clone(),
        reason,
    }])
}
