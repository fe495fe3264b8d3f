//! A call (incident) as the fold sees it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::ids::{CallId, Callsign};
use super::ledger::{Handoff, Written};
use super::place::{CivicAddress, Coords};
use super::placement::Placement;
use super::triage::{Recommendation, ResponseType};
use super::vocab::{Agency, CallType, Disposition, Priority, UnitStatus, UnservedReason};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Pending,
    Dispatched,
    OnScene,
    Closed,
}

impl CallStatus {
    pub fn word(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Dispatched => "dispatched",
            Self::OnScene => "on scene",
            Self::Closed => "closed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub wall_ms: i64,
    pub operator: String,
    pub text: String,
    pub caution: bool,
    /// Its author and time at the centre that handed the call over.
    #[serde(default)]
    pub written: Option<Written>,
}

/// One unit's work on one call, with the time of each status it reached there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub unit: Callsign,
    pub status: UnitStatus,
    pub dispatched_ms: i64,
    pub en_route_ms: Option<i64>,
    pub on_scene_ms: Option<i64>,
    pub transporting_ms: Option<i64>,
    pub at_facility_ms: Option<i64>,
    pub cleared_ms: Option<i64>,
    /// Told to disregard on its way (`disregard`): cleared, never arrived, and not the call's
    /// response in the figures.
    #[serde(default)]
    pub disregarded: bool,
}

impl Assignment {
    pub fn is_active(&self) -> bool {
        self.cleared_ms.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub id: CallId,
    pub received_ms: i64,
    pub location: String,
    pub coords: Option<Coords>,
    /// What the address list made of the location; `None` when none was consulted.
    #[serde(default)]
    pub placement: Option<Placement>,
    pub nature: String,
    pub call_type: Option<CallType>,
    pub priority: Priority,
    pub caller: Option<String>,
    pub callback: Option<String>,
    pub zone: Option<String>,
    pub status: CallStatus,
    /// Every unit ever assigned, in dispatch order; a unit dispatched again gets a new entry.
    pub assignments: Vec<Assignment>,
    pub notes: Vec<Note>,
    pub disposition: Option<Disposition>,
    pub closed_ms: Option<i64>,
    pub unserved: Option<UnservedReason>,
    /// Triage answers by question id.
    pub answers: BTreeMap<String, String>,
    pub recommendation: Option<Recommendation>,
    /// The response chosen with `respond`, and the reason when it overrode the recommendation.
    pub response: Option<ResponseType>,
    pub override_reason: Option<String>,
    pub links: BTreeSet<CallId>,
    /// Set on a call created by `backup`: the call that asked, and for which agency.
    pub backup_for: Option<(CallId, Agency)>,
    /// When the call began at the centre that handed it over, if before it was taken here.
    pub started_ms: Option<i64>,
    /// The address in parts, when known.
    pub civic: Option<Box<CivicAddress>>,
    /// Hand-offs in from and out to partners.
    pub handoffs: Vec<Handoff>,
    /// On hold, while it is: a pending call someone will come back to.
    #[serde(default)]
    pub hold: Option<Hold>,
    /// A backup call the other agency has confirmed it has (`confirm`): when, and who said so.
    #[serde(default)]
    pub confirmed: Option<Confirmed>,
    /// Its personal fields were erased (`erase`): they read [`super::vocab::ERASED`].
    #[serde(default)]
    pub erased: bool,
    /// Under a legal hold (`hold-legal`), with why: it may not be erased until released.
    #[serde(default)]
    pub legal_hold: Option<String>,
    /// Restricted (`restrict`) to these operators: a staff member, a minor, a victim of
    /// domestic violence. Its personal fields are shown to them alone, once opened (`view`).
    #[serde(default)]
    pub restricted: Option<Vec<String>>,
}

/// The other agency's word that it has a backup request (`confirm <call> [who…]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confirmed {
    pub at_ms: i64,
    pub by: Option<String>,
}

/// Why a pending call waits, and until when (`hold`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hold {
    pub until_ms: i64,
    pub reason: String,
    /// When it was held, for the figures.
    pub since_ms: i64,
}

impl Call {
    /// Every personal text of the call reads [`super::vocab::ERASED`], as its events do once
    /// its key is gone (so a live fold and one from the log after the erasure agree).
    pub fn erase(&mut self) {
        self.erased = true;
        self.hide_personal(super::vocab::ERASED);
    }

    /// The call with its personal fields read as [`super::vocab::RESTRICTED`], for whoever
    /// may not see them.
    #[must_use]
    pub fn redacted(&self) -> Call {
        let mut c = self.clone();
        c.hide_personal(super::vocab::RESTRICTED);
        c
    }

    /// Every personal field (nature, caller, callback, notes, triage answers) reads `with`.
    fn hide_personal(&mut self, with: &str) {
        with.clone_into(&mut self.nature);
        for text in self
            .caller
            .iter_mut()
            .chain(self.callback.iter_mut())
            .chain(self.notes.iter_mut().map(|n| &mut n.text))
            .chain(self.answers.values_mut())
        {
            with.clone_into(text);
        }
    }

    /// Whether `erase` may take its personal fields now: closed, not yet erased, and not
    /// under a legal hold (by hand, by caller or by the retention schedule alike).
    pub fn may_be_erased(&self) -> bool {
        !self.is_open() && !self.erased && self.legal_hold.is_none()
    }

    pub fn is_open(&self) -> bool {
        self.status != CallStatus::Closed
    }

    pub fn active_units(&self) -> impl Iterator<Item = &Assignment> {
        self.assignments.iter().filter(|a| a.is_active())
    }

    pub fn active_assignment_mut(&mut self, unit: &Callsign) -> Option<&mut Assignment> {
        self.assignments
            .iter_mut()
            .rev()
            .find(|a| a.is_active() && &a.unit == unit)
    }

    /// The response the call is worked as: chosen, else — for a backup call — the agency it
    /// asked for, else recommended.
    pub fn response_type(&self) -> Option<ResponseType> {
        self.response
            .or(self
                .backup_for
                .as_ref()
                .map(|(_, agency)| ResponseType::of_agency(*agency)))
            .or(self.recommendation.as_ref().map(|r| r.response))
    }

    /// The protocol found it a call for a community team alone (a backup call asks another
    /// agency, whatever its triage says).
    pub fn eligible(&self) -> bool {
        self.backup_for.is_none()
            && self
                .recommendation
                .as_ref()
                .is_some_and(|r| r.response == ResponseType::Community)
    }

    pub fn first_dispatch_ms(&self) -> Option<i64> {
        self.assignments.iter().map(|a| a.dispatched_ms).min()
    }

    /// Open, worked by someone once, and no unit left on it: it waits for a disposition.
    pub fn awaits_disposition(&self) -> bool {
        // Units told to disregard never went: a call only they were sent to is pending.
        self.is_open()
            && self.assignments.iter().any(|a| !a.disregarded)
            && self.active_units().next().is_none()
    }

    /// Waiting for this centre to send someone: pending, not cleared, and not a backup request
    /// the other agency has confirmed (that one is theirs now).
    pub fn waits_here(&self) -> bool {
        self.status == CallStatus::Pending
            && !self.awaits_disposition()
            && !(self.backup_for.is_some() && self.confirmed.is_some())
    }

    /// Where the call stands in a word: its status, or `cleared` once every unit has left an
    /// open call (it waits for a disposition), so a call nobody is on never reads "on scene".
    pub fn state_word(&self) -> &'static str {
        if self.awaits_disposition() {
            "cleared"
        } else {
            self.status.word()
        }
    }
}
