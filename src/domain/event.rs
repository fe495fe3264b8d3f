//! The event envelope and bodies (design §3). Events are encoded once as `MessagePack` with named
//! fields and then kept and forwarded byte for byte.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ids::{alert_id, CallId, Callsign, ReplicaId};
use super::ledger::{Direction, Stage, Written};
use super::place::{CivicAddress, Coords};
use super::placement::Placement;
use super::policy::Limits;
use super::triage::{Recommendation, ResponseType};
use super::vocab::{
    Agency, CallType, Capability, Disposition, Priority, UnitStatus, UnservedReason,
};

/// Largest encoded event the store accepts; sled writes larger values to unsynced blob files.
pub const MAX_EVENT_BYTES: usize = 6 * 1024;

pub type Hash = [u8; 32];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub origin: ReplicaId,
    /// Dense per origin, from 1.
    pub seq: u64,
    /// Hybrid logical clock: physical milliseconds in the high 48 bits, a counter in the low 16.
    pub hlc: u64,
    /// The origin's wall clock, for display and audit only.
    pub wall_ms: i64,
    /// Hash of the previous event of the same origin; zero for seq 1.
    pub prev: Hash,
    pub operator: String,
    pub body: Body,
    /// The id of the request that made it, when a client sent the command to a serving desk:
    /// a client that lost its answer asks again with the same id, and is told from the log.
    /// Absent (and not encoded) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The operating-system user the desk saw make the change (its own process's, or a
    /// client's peer credentials on the desk socket), beside the self-declared `operator`.
    /// Absent (and not encoded) on events from before it was recorded, so their bytes and
    /// hashes are what they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<String>,
}

/// The fold order: `(hlc, origin, seq)`.
pub type FoldKey = (u64, ReplicaId, u64);

impl Event {
    pub fn fold_key(&self) -> FoldKey {
        (self.hlc, self.origin, self.seq)
    }

    pub fn encode(&self) -> Vec<u8> {
        // Encoding plain structs of strings and integers into a Vec cannot fail.
        rmp_serde::to_vec_named(self).unwrap_or_default()
    }

    /// Who made the change, as the chronology and `log` show it: the operator, and the
    /// operating-system user the desk saw when it was recorded.
    pub fn author(&self) -> String {
        match &self.os_user {
            Some(user) => format!("{} (os {user})", self.operator),
            None => self.operator.clone(),
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        rmp_serde::from_slice(bytes).map_err(|e| format!("undecodable event: {e}"))
    }
}

/// The hash that the next event of the same origin carries as `prev`.
pub fn hash_bytes(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// Hybrid logical clock values are `physical_ms << 16 | counter`.
pub mod hlc {
    pub fn next(last: u64, now_ms: i64) -> u64 {
        let physical = (now_ms.max(0) as u64) << 16;
        physical.max(last + 1)
    }

    pub fn physical_ms(hlc: u64) -> i64 {
        (hlc >> 16) as i64
    }
}

/// One field of a call that `set` can change. Last writer wins per field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallField {
    Location(String),
    Nature(String),
    Type(CallType),
    Priority(Priority),
    Caller(String),
    Callback(String),
    Zone(String),
}

impl CallField {
    /// Every field's [`CallField::name`].
    pub const NAMES: [&'static str; 7] = ["loc", "nature", "type", "pri", "caller", "cb", "zone"];

    /// The field name `name` is, as kept: a checkpoint's or a let-go call's record names the
    /// fields with the event that last set each.
    pub fn known_name(name: &str) -> Option<&'static str> {
        Self::NAMES.iter().find(|n| **n == name).copied()
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Location(_) => "loc",
            Self::Nature(_) => "nature",
            Self::Type(_) => "type",
            Self::Priority(_) => "pri",
            Self::Caller(_) => "caller",
            Self::Callback(_) => "cb",
            Self::Zone(_) => "zone",
        }
    }

    pub fn value(&self) -> String {
        match self {
            Self::Location(s)
            | Self::Nature(s)
            | Self::Caller(s)
            | Self::Callback(s)
            | Self::Zone(s) => s.clone(),
            Self::Type(t) => t.to_string(),
            Self::Priority(p) => p.to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    CallCreated {
        call: CallId,
        location: String,
        coords: Option<Coords>,
        nature: String,
        call_type: Option<CallType>,
        priority: Priority,
        caller: Option<String>,
        callback: Option<String>,
        #[serde(default)]
        zone: Option<String>,
        /// When the call began where it was first answered (a 911 centre that handed it over),
        /// if that was before this desk took it.
        #[serde(default)]
        started_ms: Option<i64>,
        /// The address in parts, when the address list placed the call or a sender gave them.
        #[serde(default)]
        civic: Option<Box<CivicAddress>>,
        /// What the address list made of the location; `None` when no list was loaded (and in
        /// events from before placements were recorded). Left out of the bytes when `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        placed: Option<Placement>,
    },
    CallEdited {
        call: CallId,
        field: CallField,
        /// The event that set the value the dispatcher saw and replaced: when a peer's edit
        /// came in between, that edit is overruled (last writer wins) and marked so.
        #[serde(default)]
        replaces: Option<(ReplicaId, u64)>,
        /// A new location's coordinates, from the address list (with `placed`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        coords: Option<Coords>,
        /// What the address list made of a new location; `None` for other fields, or when no
        /// list was loaded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        placed: Option<Placement>,
        /// Why it was changed: required for a priority, so the chronology says why a call
        /// jumped the queue or fell back in it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    NoteAdded {
        call: CallId,
        text: String,
        /// A caution for whoever goes to this address next (shown in address history).
        #[serde(default)]
        caution: bool,
        /// Set on a note handed over from another centre: its author and time there.
        #[serde(default)]
        written: Option<Written>,
    },
    CallClosed {
        call: CallId,
        disposition: Disposition,
        #[serde(default)]
        unserved: Option<UnservedReason>,
    },
    /// One triage answer; `answer` is canonical ("yes", "no", "unknown" or a choice).
    TriageAnswered {
        call: CallId,
        question: String,
        answer: String,
    },
    /// The protocol's recommendation after the answers so far, with the rule that decided.
    Recommended {
        call: CallId,
        recommendation: Recommendation,
    },
    /// The response the dispatcher chose: the recommendation accepted, or overridden (with a
    /// reason).
    ResponseChosen {
        call: CallId,
        response: ResponseType,
        /// The recommended response this one overrides, if it differs.
        overrides: Option<ResponseType>,
        reason: Option<String>,
    },
    /// A unit on scene reported that it is safe; restarts its check-in timer.
    UnitCheckedIn {
        unit: Callsign,
        call: Option<CallId>,
    },
    /// A conflict alert, named by the event that raised it, was seen and dealt with.
    AlertAcknowledged {
        origin: ReplicaId,
        seq: u64,
    },
    CallReopened {
        call: CallId,
    },
    /// The operator who made the event signed on to the desk for a shift.
    SignedOn,
    /// … and off it.
    SignedOff,
    /// The agency a backup call was handed to said it has it (`confirm`), `by` whom if given.
    BackupConfirmed {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// `call` closed as a duplicate of `into` (disposition `duplicate`, the calls linked); its
    /// caller and notes were added to `into` just before, in the same batch.
    CallMerged {
        call: CallId,
        into: CallId,
    },
    /// A unit on its way to `call` told to disregard it: back to available.
    UnitDisregarded {
        unit: Callsign,
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A mistaken status taken back: `unit` is at `status` on `call` again, and the times of
    /// what was taken back are dropped (the chronology keeps both entries).
    StatusCorrected {
        unit: Callsign,
        call: CallId,
        status: UnitStatus,
        reason: String,
    },
    /// A pending call put on hold until a time to come back to it, with the reason (the caller
    /// asked to be called back, the person is safe for now …). Until then it does not alarm as
    /// waiting; at that time it does.
    CallHeld {
        call: CallId,
        /// How long, as typed; `until_ms` is when, by the clock of the desk that held it.
        minutes: u32,
        until_ms: i64,
        reason: String,
    },
    /// A hold taken off before its time (`unhold`); dispatching a unit or closing the call ends
    /// it too, without this event.
    HoldReleased {
        call: CallId,
    },
    /// Two calls about the same person or place.
    CallsLinked {
        call: CallId,
        other: CallId,
    },
    /// A team asked for another agency; `child` is the call created for it (and linked).
    BackupRequested {
        call: CallId,
        agency: Agency,
        child: CallId,
    },
    UnitAdded {
        unit: Callsign,
        capabilities: Vec<Capability>,
        zone: Option<String>,
    },
    UnitDispatched {
        unit: Callsign,
        call: CallId,
        en_route: bool,
        /// The call the unit was on when the dispatcher decided; a concurrent dispatch from a
        /// peer is detected when this no longer matches.
        from: Option<CallId>,
    },
    UnitStatusChanged {
        unit: Callsign,
        status: UnitStatus,
        /// The call the change is about (the unit's call when it was planned).
        call: Option<CallId>,
        /// Destination for TRN, reason for OOS.
        detail: Option<String>,
        /// For OOS: when the unit is expected back (`oos … --back 30m`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        back_ms: Option<i64>,
    },
    /// A step in a hand-off between this centre and a partner (a 911 centre, another agency):
    /// the call came in or went out as the partner's `incident`, and reached `stage`.
    Handoff {
        call: CallId,
        partner: String,
        incident: String,
        direction: Direction,
        stage: Stage,
        /// Why (a rejection's reason, a cancellation's), or how it ended (a disposition).
        detail: Option<String>,
        /// The partner's `requestId` when a `requestForService` brought the call in (or asked
        /// for it again), so a later `cancelRequest` finds the call whatever link it comes on.
        /// Absent (and not encoded) otherwise, and in events from before it was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// The time limits this event's desk plans with from now on, recorded with its first
    /// change under them, so figures judge check-ins by the limits in force rather than by the
    /// reader's config.
    LimitsRecorded {
        limits: Limits,
    },
    /// A call's personal fields erased (`erase`): every node that folds this destroys the
    /// call's key, so the sealed text in its events can no longer be read anywhere. The reason
    /// is the erasure's, for the audit; it holds no personal text.
    CallErased {
        call: CallId,
        reason: String,
    },
    /// A legal hold on a call (`hold-legal`): it may not be erased until the hold is released.
    LegalHold {
        call: CallId,
        /// True to hold, false to release.
        held: bool,
        reason: String,
    },
    /// A call restricted to these operators (`restrict`), and to whoever restricted it.
    CallRestricted {
        call: CallId,
        operators: Vec<String>,
    },
    /// A restricted call's personal fields opened by one of its operators (`view`): the log
    /// keeps who read it and when.
    RestrictedViewed {
        call: CallId,
    },
}

pub use super::vocab::ERASED;

impl Body {
    /// The calls this event belongs to in a call's chronology.
    pub fn calls(&self) -> Vec<&CallId> {
        match self {
            Self::CallCreated { call, .. }
            | Self::CallEdited { call, .. }
            | Self::NoteAdded { call, .. }
            | Self::CallClosed { call, .. }
            | Self::TriageAnswered { call, .. }
            | Self::Recommended { call, .. }
            | Self::ResponseChosen { call, .. }
            | Self::CallReopened { call }
            | Self::CallHeld { call, .. }
            | Self::UnitDisregarded { call, .. }
            | Self::BackupConfirmed { call, .. }
            | Self::StatusCorrected { call, .. }
            | Self::HoldReleased { call }
            | Self::Handoff { call, .. }
            | Self::CallErased { call, .. }
            | Self::LegalHold { call, .. }
            | Self::CallRestricted { call, .. }
            | Self::RestrictedViewed { call }
            | Self::UnitDispatched { call, .. } => vec![call],
            Self::CallsLinked { call, other, .. } => vec![call, other],
            Self::CallMerged { call, into } => vec![call, into],
            Self::BackupRequested { call, child, .. } => vec![call, child],
            Self::UnitStatusChanged { call, .. } | Self::UnitCheckedIn { call, .. } => {
                call.iter().collect()
            }
            Self::SignedOn
            | Self::SignedOff
            | Self::UnitAdded { .. }
            | Self::AlertAcknowledged { .. }
            | Self::LimitsRecorded { .. } => vec![],
        }
    }

    /// The call whose key seals this event's personal text, and that text, field by field in
    /// a fixed order (the store seals and opens them; the domain only ever sees them open, or
    /// [`ERASED`]): caller, callback and nature, notes, triage answers.
    pub fn personal_mut(&mut self) -> Option<(&CallId, Vec<&mut String>)> {
        match self {
            Self::CallCreated {
                call,
                nature,
                caller,
                callback,
                ..
            } => {
                let mut texts = vec![nature];
                texts.extend(caller.as_mut());
                texts.extend(callback.as_mut());
                Some((call, texts))
            }
            Self::CallEdited {
                call,
                field: CallField::Caller(s) | CallField::Callback(s) | CallField::Nature(s),
                ..
            }
            | Self::NoteAdded { call, text: s, .. }
            | Self::TriageAnswered {
                call, answer: s, ..
            } => Some((call, vec![s])),
            _ => None,
        }
    }

    /// Recorded for the log's own sake (the limits a desk plans with), not something a person
    /// did: the chronology keeps it, the line that answers a command leaves it out.
    pub fn is_bookkeeping(&self) -> bool {
        matches!(self, Self::LimitsRecorded { .. })
    }

    /// What changed, in a dispatcher's words.
    pub fn describe(&self) -> String {
        match self {
            Self::CallCreated {
                call,
                location,
                nature,
                call_type,
                priority,
                placed,
                ..
            } => {
                let kind = call_type.map_or_else(String::new, |t| format!(" {t}"));
                let placed = placed
                    .as_ref()
                    .map_or_else(String::new, |p| format!("; {}", p.describe()));
                // When either holds a `/` (`N 60TH ST / W CAPITOL DR`, `TRBL W/SUBJ`), brackets
                // show where the line was split, so a mis-split shows.
                if location.contains('/') || nature.contains('/') {
                    format!(
                        "{call} taken: loc [{location}] nature [{nature}] \
                         (P{priority}{kind}){placed}"
                    )
                } else {
                    format!("{call} taken: {location} / {nature} (P{priority}{kind}){placed}")
                }
            }
            Self::CallEdited {
                call,
                field,
                placed,
                reason,
                ..
            } => {
                let placed = placed
                    .as_ref()
                    .map_or_else(String::new, |p| format!("; {}", p.describe()));
                let why = reason
                    .as_ref()
                    .map_or_else(String::new, |r| format!(" because: {r}"));
                format!(
                    "{call} {} set to {}{placed}{why}",
                    field.name(),
                    field.value()
                )
            }
            Self::NoteAdded {
                call,
                text,
                caution,
                written,
            } => {
                let kind = if *caution { "CAUTION" } else { "note" };
                match written {
                    Some(w) => format!("{call} {kind} by {}: {text}", w.by),
                    None => format!("{call} {kind}: {text}"),
                }
            }
            Self::CallClosed {
                call,
                disposition,
                unserved,
            } => match unserved {
                Some(why) => {
                    format!("{call} closed: {disposition} (not served by a community team: {why})")
                }
                None => format!("{call} closed: {disposition}"),
            },
            Self::TriageAnswered {
                call,
                question,
                answer,
            } => {
                format!("{call} triage: {question} = {answer}")
            }
            Self::Recommended {
                call,
                recommendation: r,
            } => {
                format!(
                    "{call} recommended {} (rule {}): {}",
                    r.response, r.rule, r.reason
                )
            }
            Self::ResponseChosen {
                call,
                response,
                overrides,
                reason,
            } => {
                let why = reason
                    .as_ref()
                    .map_or_else(String::new, |r| format!(": {r}"));
                match overrides {
                    Some(o) => format!("{call} response {response}, overriding {o}{why}"),
                    None => format!("{call} response {response} accepted{why}"),
                }
            }
            Self::UnitCheckedIn { unit, call } => {
                let at = call
                    .as_ref()
                    .map_or_else(String::new, |c| format!(" at {c}"));
                format!("{unit} checked in safe{at}")
            }
            Self::CallReopened { call } => format!("{call} reopened"),
            Self::CallHeld {
                call,
                minutes,
                reason,
                ..
            } => format!("{call} on hold for {minutes} min because: {reason}"),
            Self::HoldReleased { call } => format!("{call} taken off hold"),
            Self::SignedOn => "signed on to the desk".to_owned(),
            Self::SignedOff => "signed off the desk".to_owned(),
            Self::BackupConfirmed { call, by } => match by {
                Some(who) => format!("{call} confirmed by {who}"),
                None => format!("{call} confirmed by the agency it went to"),
            },
            Self::CallMerged { call, into } => {
                format!("{call} closed as a duplicate of {into}, merged into it")
            }
            Self::UnitDisregarded { unit, call, reason } => match reason {
                Some(r) => format!("{unit} disregarded {call} because: {r}"),
                None => format!("{unit} disregarded {call}"),
            },
            Self::StatusCorrected {
                unit,
                call,
                status,
                reason,
            } => format!("{unit} corrected to {status} at {call} because: {reason}"),
            Self::AlertAcknowledged { origin, seq } => {
                format!("alert {} acknowledged", alert_id(*origin, *seq))
            }
            Self::CallsLinked { call, other } => format!("{call} linked to {other}"),
            Self::BackupRequested {
                call,
                agency,
                child,
            } => {
                format!("{child} {agency} backup requested for {call}")
            }
            Self::UnitAdded {
                unit,
                capabilities,
                zone,
            } => {
                let caps: Vec<&str> = capabilities.iter().map(|c| c.word()).collect();
                let zone = zone
                    .as_ref()
                    .map_or_else(String::new, |z| format!(", zone {z}"));
                format!("{unit} added to roster: {}{zone}", caps.join(","))
            }
            Self::UnitDispatched {
                unit,
                call,
                en_route,
                ..
            } => {
                let how = if *en_route {
                    "dispatched en route"
                } else {
                    "dispatched"
                };
                format!("{unit} {how} to {call}")
            }
            Self::Handoff {
                call,
                partner,
                incident,
                direction,
                stage,
                detail,
                ..
            } => {
                let way = direction.preposition();
                let why = detail
                    .as_ref()
                    .map_or_else(String::new, |d| format!(": {d}"));
                format!("{call} hand-off {way} {partner} (incident {incident}) {stage}{why}")
            }
            Self::UnitStatusChanged {
                unit,
                status,
                call,
                detail,
                back_ms,
            } => {
                let at = call
                    .as_ref()
                    .map_or_else(String::new, |c| format!(" ({c})"));
                let detail = detail
                    .as_ref()
                    .map_or_else(String::new, |d| format!(": {d}"));
                let back = back_ms.map_or_else(String::new, |ms| {
                    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| {
                        format!(", expected back {}", t.format("%H:%M UTC"))
                    })
                });
                format!("{unit} {status}{at}{detail}{back}")
            }
            Self::LimitsRecorded { limits } => {
                format!("limits in force at this desk: {}", limits.describe())
            }
            Self::CallErased { call, reason } => {
                format!("{call} personal fields erased because: {reason}")
            }
            Self::LegalHold { call, held, reason } => {
                let what = if *held { "put under" } else { "released from" };
                format!("{call} {what} legal hold because: {reason}")
            }
            Self::CallRestricted { call, operators } => {
                format!("{call} restricted to {}", operators.join(", "))
            }
            Self::RestrictedViewed { call } => format!("{call} restricted record opened"),
        }
    }
}
