//! The centre's rules the desk plans with: the triage protocol and its time limits. Data, not
//! code: loaded from files by the shell and handed to `plan` in its context.

use std::collections::BTreeMap;

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
}

impl Policy {
    pub fn new(protocol: Protocol) -> Self {
        Policy {
            protocol,
            pending_alarm_minutes: [2, 5, 15, 30],
            checkin_minutes: BTreeMap::new(),
            default_checkin_minutes: 20,
        }
    }

    pub fn pending_limit_ms(&self, priority: Priority) -> i64 {
        i64::from(self.pending_alarm_minutes[usize::from(priority.get().clamp(1, 4) - 1)]) * 60_000
    }

    pub fn checkin_ms(&self, response: Option<ResponseType>) -> i64 {
        let minutes = response
            .and_then(|r| self.checkin_minutes.get(&r).copied())
            .unwrap_or(self.default_checkin_minutes);
        i64::from(minutes.max(1)) * 60_000
    }
}
