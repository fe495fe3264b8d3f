//! Safety timers for units on scene, and age alarms for pending calls: derived from event times
//! and the clock, never stored as counters, so they survive restarts and sync.

use super::call::{Call, CallStatus};
use super::policy::Policy;
use super::unit::Unit;
use super::vocab::UnitStatus;
use super::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Next check-in due at this time.
    Due(i64),
    /// Missed the check-in due at this time.
    Overdue(i64),
    /// Still no check-in a whole interval after it was due: escalate until handled.
    Escalated(i64),
}

/// The check-in state of a unit on scene; `None` for units not on scene.
pub fn check_in(state: &State, unit: &Unit, now_ms: i64, policy: &Policy) -> Option<Check> {
    if unit.status != UnitStatus::OnScene {
        return None;
    }
    let response = unit
        .call
        .as_ref()
        .and_then(|c| state.calls.get(c))
        .and_then(Call::response_type);
    let interval = policy.checkin_ms(response);
    let since = unit
        .checkin_ms
        .unwrap_or(unit.status_ms)
        .max(unit.status_ms);
    let due = since + interval;
    Some(if now_ms <= due {
        Check::Due(due)
    } else if now_ms <= due + interval {
        Check::Overdue(due)
    } else {
        Check::Escalated(due)
    })
}

/// A pending call waiting longer than its priority allows.
pub fn waiting_too_long(call: &Call, now_ms: i64, policy: &Policy) -> bool {
    call.status == CallStatus::Pending
        && now_ms - call.received_ms > policy.pending_limit_ms(call.priority)
}

/// Closing this call needs a reason code: the protocol found it eligible for a community team,
/// and it got another response or waited pending past its limit.
pub fn needs_unserved_reason(call: &Call, now_ms: i64, policy: &Policy) -> bool {
    if !call.eligible() {
        return false;
    }
    let other_response = call.response.is_some_and(|r| !r.is_community());
    let waited = call.first_dispatch_ms().unwrap_or(now_ms) - call.received_ms;
    other_response || waited > policy.pending_limit_ms(call.priority)
}
