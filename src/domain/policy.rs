//! The centre's rules the desk plans with: the triage protocol and its time limits. Data, not
//! code: loaded from files by the shell and handed to `plan` in its context.
//!
//! The time limits also judge the figures (was a check-in late? did an eligible call wait too
//! long?), so they belong in the log, not only in whichever `config.toml` a reader has: a desk
//! records the [`Limits`] it plans with (`Body::LimitsRecorded`) with its first change under
//! them, and reports judge each stretch by the limits its desk had recorded then.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::triage::{Protocol, ResponseType};
use super::vocab::Priority;

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub protocol: Protocol,
    /// How long a pending call may wait, per priority 1..=4, before its age alarms; an eligible
    /// call that waited longer needs an unserved reason when it closes.
    pub pending_alarm_minutes: [u32; 4],
    /// Safety check-in interval for a unit on scene, per response type of its call.
    pub checkin_minutes: BTreeMap<ResponseType, u32>,
    /// Interval when the call has no response type (or it is not listed above).
    pub default_checkin_minutes: u32,
    /// How long a unit may stay dispatched, en route or at a facility before its status timer
    /// alarms (`[unit_timers]`); 0 turns one off.
    pub status_minutes: StatusMinutes,
    /// How long personal fields are kept after a call closes (`[retention]`).
    pub retention: super::retention::Retention,
}

/// Minutes a unit may stay in a status before its timer alarms; 0 is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusMinutes {
    /// Dispatched and not yet en route.
    pub dispatched: u32,
    pub en_route: u32,
    pub at_facility: u32,
}

impl Default for StatusMinutes {
    fn default() -> Self {
        StatusMinutes {
            dispatched: 3,
            en_route: 20,
            at_facility: 30,
        }
    }
}

impl StatusMinutes {
    /// The limit for a unit in `status`, in ms; `None` for a status without one (or off).
    pub fn limit_ms(&self, status: super::vocab::UnitStatus) -> Option<i64> {
        use super::vocab::UnitStatus;
        let minutes = match status {
            UnitStatus::Dispatched => self.dispatched,
            UnitStatus::EnRoute => self.en_route,
            UnitStatus::AtFacility => self.at_facility,
            _ => 0,
        };
        (minutes > 0).then(|| i64::from(minutes) * 60_000)
    }
}

/// The policy's time limits as the log records them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub pending_alarm_minutes: [u32; 4],
    pub checkin_minutes: BTreeMap<ResponseType, u32>,
    pub default_checkin_minutes: u32,
}

impl Limits {
    pub fn checkin_ms(&self, response: Option<ResponseType>) -> i64 {
        checkin_ms(
            &self.checkin_minutes,
            self.default_checkin_minutes,
            response,
        )
    }

    /// "pending alarms P1 2, P2 5, P3 15, P4 30 min; check-in every 20 min (co-response 15)"
    pub fn describe(&self) -> String {
        let [p1, p2, p3, p4] = self.pending_alarm_minutes;
        let mut text = format!(
            "pending alarms P1 {p1}, P2 {p2}, P3 {p3}, P4 {p4} min; check-in every {} min",
            self.default_checkin_minutes
        );
        if !self.checkin_minutes.is_empty() {
            let by: Vec<String> = self
                .checkin_minutes
                .iter()
                .map(|(r, m)| format!("{r} {m}"))
                .collect();
            let _ = write!(text, " ({})", by.join(", "));
        }
        text
    }
}

impl Policy {
    pub fn new(protocol: Protocol) -> Self {
        Policy {
            protocol,
            pending_alarm_minutes: [2, 5, 15, 30],
            checkin_minutes: BTreeMap::new(),
            default_checkin_minutes: 20,
            status_minutes: StatusMinutes::default(),
            retention: super::retention::Retention::default(),
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            pending_alarm_minutes: self.pending_alarm_minutes,
            checkin_minutes: self.checkin_minutes.clone(),
            default_checkin_minutes: self.default_checkin_minutes,
        }
    }

    pub fn pending_limit_ms(&self, priority: Priority) -> i64 {
        i64::from(self.pending_alarm_minutes[usize::from(priority.get().clamp(1, 4) - 1)]) * 60_000
    }

    pub fn checkin_ms(&self, response: Option<ResponseType>) -> i64 {
        checkin_ms(
            &self.checkin_minutes,
            self.default_checkin_minutes,
            response,
        )
    }
}

/// The check-in interval for a call worked as `response`, in ms (at least a minute).
fn checkin_ms(
    by_response: &BTreeMap<ResponseType, u32>,
    default_minutes: u32,
    response: Option<ResponseType>,
) -> i64 {
    let minutes = response
        .and_then(|r| by_response.get(&r).copied())
        .unwrap_or(default_minutes);
    i64::from(minutes.max(1)) * 60_000
}
