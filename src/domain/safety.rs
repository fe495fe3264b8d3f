//! Safety timers for units on scene, and age alarms for pending calls: derived from event times
//! and the clock, never stored as counters, so they survive restarts and sync.

use super::call::{Call, CallStatus};
use super::policy::Policy;
use super::state::State;
use super::triage::is_community_team;
use super::unit::Unit;
use super::vocab::{Priority, UnitStatus};

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
    // From when this node knew of them, if a desk whose clock was off stamped them.
    let status_since = state.status_since(unit);
    let since = state
        .checkin_since(unit)
        .unwrap_or(status_since)
        .max(status_since);
    let due = since + interval;
    Some(if now_ms <= due {
        Check::Due(due)
    } else if now_ms <= due + interval {
        Check::Overdue(due)
    } else {
        Check::Escalated(due)
    })
}

/// A unit's status timer: dispatched and not en route, en route, at a facility (limits per
/// status in the policy), or out of service with an expected return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusTimer {
    pub status: UnitStatus,
    /// When it runs out: the status's limit after the unit entered it, or the expected return.
    pub due_ms: i64,
}

impl StatusTimer {
    pub fn is_over(&self, now_ms: i64) -> bool {
        now_ms > self.due_ms
    }

    /// What the alarm says of a unit whose timer ran out: "not en route", "en route long", …
    pub fn words(&self) -> &'static str {
        match self.status {
            UnitStatus::Dispatched => "not en route",
            UnitStatus::EnRoute => "en route long",
            UnitStatus::AtFacility => "at facility long",
            UnitStatus::OutOfService => "not back",
            _ => "status long",
        }
    }
}

/// The status timer of a unit, if its status has one: counted from when this node knew of the
/// status ([`State::status_since`]), so a desk with a clock that was off cannot start it late.
pub fn status_timer(state: &State, unit: &Unit, policy: &Policy) -> Option<StatusTimer> {
    let due_ms = if unit.status == UnitStatus::OutOfService {
        unit.back_ms?
    } else {
        state.status_since(unit) + policy.status_minutes.limit_ms(unit.status)?
    };
    Some(StatusTimer {
        status: unit.status,
        due_ms,
    })
}

/// A pending call waiting longer than its priority allows; its wait counts from when it was
/// taken, or from when this node first knew it if the desk that took it had a clock that was off
/// ([`State::call_since`]).
///
/// A call on hold does not wait too long until its time to come back, and then it does at once:
/// the hold was the dispatcher's word that someone would be back by then.
pub fn waiting_too_long(state: &State, call: &Call, now_ms: i64, policy: &Policy) -> bool {
    if call.status != CallStatus::Pending {
        return false;
    }
    // Backup handed to another agency is theirs to send: it alarms here only while they have
    // not said they have it, counted as a P1's wait.
    if call.backup_for.is_some() {
        return call.confirmed.is_none()
            && now_ms - state.call_since(call) > policy.pending_limit_ms(Priority::MOST_URGENT);
    }
    match &call.hold {
        Some(hold) => now_ms >= hold.until_ms,
        None => now_ms - state.call_since(call) > policy.pending_limit_ms(call.priority),
    }
}

/// Closing this call needs a reason code: the protocol found it eligible for a community team,
/// and no community team was sent to it, or the first one went only after the call had waited
/// pending past its limit. What counts is who went, not what was recommended: a police unit
/// sent to a community call leaves it unserved.
pub fn needs_unserved_reason(state: &State, call: &Call, now_ms: i64, policy: &Policy) -> bool {
    if !call.eligible() {
        return false;
    }
    let Some(first) = first_community_dispatch_ms(state, call) else {
        return true;
    };
    let waited = first.min(now_ms) - call.received_ms;
    waited > policy.pending_limit_ms(call.priority)
}

/// When the first community team was dispatched to the call, if one ever was.
pub fn first_community_dispatch_ms(state: &State, call: &Call) -> Option<i64> {
    call.assignments
        .iter()
        .filter(|a| {
            state
                .units
                .get(&a.unit)
                .is_some_and(|u| is_community_team(&u.capabilities))
        })
        .map(|a| a.dispatched_ms)
        .min()
}

/// A community team was sent to the call.
pub fn community_sent(state: &State, call: &Call) -> bool {
    first_community_dispatch_ms(state, call).is_some()
}
