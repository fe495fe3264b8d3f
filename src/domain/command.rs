//! Commands: what a dispatcher asks for, before the desk decides whether it can happen.

use super::event::CallField;
use super::triage::ResponseType;
use super::vocab::{
    Agency, CallType, Capability, Disposition, Priority, UnitStatus, UnservedReason,
};

/// A call as typed: an id, or the digits it ends with when only one open call does.
pub type CallRef = String;
/// A unit as typed, in any case.
pub type UnitRef = String;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewCall {
    pub location: String,
    pub nature: String,
    pub call_type: Option<CallType>,
    pub priority: Option<Priority>,
    pub caller: Option<String>,
    pub callback: Option<String>,
    pub zone: Option<String>,
    /// From `--at LAT,LON`, or filled in from the gazetteer by the desk.
    pub coords: Option<super::place::Coords>,
    /// The address in parts: filled in from the gazetteer by the desk, or given by a sender.
    pub civic: Option<Box<super::place::CivicAddress>>,
    /// Filled in by the desk from its address list: how `location` was placed.
    /// (Boxed: most commands carry no placement.)
    pub placed: Option<Box<super::placement::Placement>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    TakeCall(NewCall),
    Note {
        call: CallRef,
        text: String,
        caution: bool,
    },
    Set {
        call: CallRef,
        field: CallField,
        /// Filled in by the desk for a new location: where its address list placed it.
        located: Option<super::placement::Located>,
        /// Why; a priority change needs one.
        reason: Option<String>,
    },
    /// Place an ambiguous call at one of its choices, named by letter (`a`, `b` …).
    Place {
        call: CallRef,
        choice: String,
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
        /// For OOS: minutes until the unit is expected back (`--back 30m`).
        back_minutes: Option<u32>,
    },
    /// Sign on to the desk for a shift, or off it.
    SignOn,
    SignOff,
    /// What the next shift must know, over the last `hours`.
    Handover {
        hours: u32,
    },
    /// The agency a backup call went to says it has it.
    Confirm {
        call: CallRef,
        by: Option<String>,
    },
    /// Close `call` as a duplicate of `into`, its caller and notes carried across.
    Merge {
        call: CallRef,
        into: CallRef,
    },
    /// A unit on its way told to disregard: back to available, its times kept.
    Disregard {
        unit: UnitRef,
        reason: Option<String>,
    },
    /// A mistaken status taken back: the unit is put back at `status` on its call (a status
    /// pressed too early, a unit cleared by mistake), with the reason.
    Correct {
        unit: UnitRef,
        status: UnitStatus,
        reason: String,
    },
    Close {
        call: CallRef,
        disposition: Disposition,
        force: bool,
        unserved: Option<UnservedReason>,
    },
    Reopen {
        call: CallRef,
    },
    /// Put a pending call on hold for `minutes`, with the reason.
    Hold {
        call: CallRef,
        minutes: u32,
        reason: String,
    },
    /// Take a call off hold before its time.
    Unhold {
        call: CallRef,
    },
    /// Erase a closed call's personal fields (crypto-shredding: its key is destroyed).
    Erase {
        call: CallRef,
        reason: String,
    },
    /// Restrict a call's personal fields to these operators (and whoever restricts it).
    Restrict {
        call: CallRef,
        operators: Vec<String>,
    },
    /// Open a restricted call's personal fields, as one of its operators (recorded).
    View {
        call: CallRef,
    },
    /// Erase the personal fields of every closed call from one caller (by name or callback
    /// number): a person's request to be forgotten.
    EraseCaller {
        caller: String,
        reason: String,
    },
    /// Put a call under a legal hold (`held`), which blocks erasure, or release it.
    LegalHold {
        call: CallRef,
        held: bool,
        reason: String,
    },
    Link {
        call: CallRef,
        other: CallRef,
    },
    Backup {
        call: CallRef,
        agency: Agency,
    },
    /// A triage answer: `question` is an id or its one-key shortcut.
    Ask {
        call: CallRef,
        question: String,
        answer: String,
    },
    /// Accept the recommended response, or override it (which needs a reason).
    Respond {
        call: CallRef,
        response: ResponseType,
        reason: Option<String>,
    },
    /// The response plan for a call: which unit fills each slot, and why. With `dispatch`,
    /// send every unit it names in one step; a plan short of a unit sends nothing unless
    /// `partial` says to send the units there are.
    Recommend {
        call: CallRef,
        dispatch: bool,
        partial: bool,
    },
    /// A unit on scene checks in safe.
    CheckIn {
        unit: UnitRef,
    },
    /// Someone has seen a conflict alert and dealt with it; it stops blocking every console.
    /// Without an id, the only open alert.
    Ack {
        alert: Option<String>,
    },
    /// This centre takes a call a partner handed in.
    Accept {
        call: CallRef,
    },
    /// A call a partner handed in is not this centre's; the partner is told why.
    Reject {
        call: CallRef,
        reason: String,
    },
    /// Hand a call to a partner (by its name in the partner list).
    Transfer {
        call: CallRef,
        partner: String,
    },
}

/// The calls a command names, for the desk to read back any it let go from memory first.
#[derive(Debug, PartialEq)]
pub enum Names<'a> {
    Calls(Vec<&'a str>),
    /// Every call (`erase-caller` looks for a caller's calls among all of them).
    Every,
}

impl Command {
    /// The calls this command names as typed (ids or numbers).
    pub fn calls_named(&self) -> Names<'_> {
        use Command as C;
        match self {
            C::Note { call, .. }
            | C::Set { call, .. }
            | C::Place { call, .. }
            | C::Dispatch { call, .. }
            | C::Confirm { call, .. }
            | C::Close { call, .. }
            | C::Reopen { call, .. }
            | C::Hold { call, .. }
            | C::Unhold { call }
            | C::Erase { call, .. }
            | C::Restrict { call, .. }
            | C::View { call }
            | C::LegalHold { call, .. }
            | C::Backup { call, .. }
            | C::Ask { call, .. }
            | C::Respond { call, .. }
            | C::Recommend { call, .. }
            | C::Accept { call }
            | C::Reject { call, .. }
            | C::Transfer { call, .. } => Names::Calls(vec![call.as_str()]),
            C::Merge { call, into } => Names::Calls(vec![call.as_str(), into.as_str()]),
            C::Link { call, other, .. } => Names::Calls(vec![call.as_str(), other.as_str()]),
            C::EraseCaller { .. } => Names::Every,
            C::TakeCall(_)
            | C::AddUnit { .. }
            | C::Status { .. }
            | C::SignOn
            | C::SignOff
            | C::Handover { .. }
            | C::Disregard { .. }
            | C::Correct { .. }
            | C::CheckIn { .. }
            | C::Ack { .. } => Names::Calls(Vec::new()),
        }
    }

    /// Commands that only read: the desk answers them with lines, and writes nothing.
    pub fn is_query(&self) -> bool {
        matches!(
            self,
            Command::Recommend {
                dispatch: false,
                ..
            }
        )
    }
}
