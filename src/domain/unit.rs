//! A responder team on the roster.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::ids::{CallId, Callsign};
use super::place::Coords;
use super::vocab::{Capability, UnitStatus};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub callsign: Callsign,
    pub capabilities: BTreeSet<Capability>,
    pub zone: Option<String>,
    pub status: UnitStatus,
    /// When the unit entered its current status.
    pub status_ms: i64,
    pub call: Option<CallId>,
    /// Destination while transporting, reason while out of service.
    pub detail: Option<String>,
    /// Last safety check-in while on scene; cleared when the status changes.
    pub checkin_ms: Option<i64>,
    /// Where the unit was last seen working: the coordinates of its last call that had them.
    pub position: Option<Coords>,
    /// While out of service: when it is expected back (`oos … --back 30m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_ms: Option<i64>,
}

impl Unit {
    pub fn has(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}
