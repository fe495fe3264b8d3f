//! Commands: what a dispatcher asks for, before the desk decides whether it can happen.

use super::event::CallField;
use super::vocab::{Agency, CallType, Capability, Disposition, Priority, UnitStatus};

/// A call as typed: an id, or the digits it ends with when only one open call does.
pub type CallRef = String;
/// A unit as typed, in any case.
pub type UnitRef = String;

#[derive(Clone, Debug, PartialEq)]
pub struct NewCall {
    pub location: String,
    pub nature: String,
    pub call_type: Option<CallType>,
    pub priority: Option<Priority>,
    pub caller: Option<String>,
    pub callback: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    TakeCall(NewCall),
    Note {
        call: CallRef,
        text: String,
    },
    Set {
        call: CallRef,
        field: CallField,
    },
    AddUnit {
        callsign: UnitRef,
        capabilities: Vec<Capability>,
        zone: Option<String>,
    },
    Dispatch {
        unit: UnitRef,
        call: CallRef,
        en_route: bool,
        force: bool,
    },
    /// ENR, ONS, TRN, ATF, AVL or OOS; `detail` is a destination (TRN) or a reason (OOS).
    Status {
        unit: UnitRef,
        status: UnitStatus,
        detail: Option<String>,
    },
    Close {
        call: CallRef,
        disposition: Disposition,
        force: bool,
    },
    Reopen {
        call: CallRef,
    },
    Link {
        call: CallRef,
        other: CallRef,
    },
    Backup {
        call: CallRef,
        agency: Agency,
    },
}
