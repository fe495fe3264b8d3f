//! How each event changes the fold's state: one arm per kind of event, and the corrections,
//! links and cleared assignments those arms share.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::call::{Assignment, Call, CallStatus, Confirmed, Hold, Note};
use crate::domain::event::{Body, CallField, Event};
use crate::domain::ids::{CallId, Callsign};
use crate::domain::unit::Unit;
use crate::domain::vocab::{Disposition, UnitStatus};

use super::State;

impl State {
    pub(super) fn fold_body(&mut self, e: &Event) {
        let at = e.wall_ms;
        match &e.body {
            Body::CallCreated {
                call,
                location,
                coords,
                nature,
                call_type,
                priority,
                caller,
                callback,
                zone,
                started_ms,
                civic,
                placed,
            } => {
                if self.calls.contains_key(call) {
                    self.alert(
                        e,
                        format!(
                            "call id {call} was minted twice (two consoles share a tag); the \
                             later call was not taken"
                        ),
                    );
                    return;
                }
                self.takers.insert(call.clone(), (e.origin, e.seq));
                let (series, number) = call.series();
                let top = self.call_numbers.entry(series.to_owned()).or_default();
                *top = (*top).max(number);
                self.calls.insert(
                    call.clone(),
                    Call {
                        id: call.clone(),
                        received_ms: at,
                        location: location.clone(),
                        coords: coords.clone(),
                        placement: placed.clone(),
                        nature: nature.clone(),
                        call_type: *call_type,
                        priority: *priority,
                        caller: caller.clone(),
                        callback: callback.clone(),
                        zone: zone.clone(),
                        status: CallStatus::Pending,
                        assignments: Vec::new(),
                        notes: Vec::new(),
                        disposition: None,
                        closed_ms: None,
                        unserved: None,
                        answers: BTreeMap::new(),
                        recommendation: None,
                        response: None,
                        override_reason: None,
                        links: BTreeSet::default(),
                        backup_for: None,
                        started_ms: *started_ms,
                        civic: civic.clone(),
                        handoffs: Vec::new(),
                        hold: None,
                        confirmed: None,
                        erased: false,
                        legal_hold: None,
                        restricted: None,
                    },
                );
            }
            Body::CallEdited {
                call,
                field,
                replaces,
                coords,
                placed,
                ..
            } => {
                if !self.calls.contains_key(call) {
                    return;
                }
                let name = field.name();
                let current = self.field_setter(call, name);
                if let (Some(saw), Some(current)) = (replaces, current) {
                    if *saw != current {
                        self.overruled.insert(
                            current,
                            format!(
                                "overwritten by {} from {} (a concurrent edit; the later wins)",
                                e.operator,
                                e.origin.tag()
                            ),
                        );
                    }
                }
                self.setters.insert((call.clone(), name), (e.origin, e.seq));
                if let Some(c) = self.calls.get_mut(call) {
                    match field.clone() {
                        CallField::Location(v) => {
                            // The parts described the old address, not this one.
                            c.civic = None;
                            c.location = v;
                            // An edit from a desk that placed it moves the call; one from a
                            // desk without an address list leaves where it was.
                            if placed.is_some() {
                                c.coords.clone_from(coords);
                                c.placement.clone_from(placed);
                            }
                        }
                        CallField::Nature(v) => c.nature = v,
                        CallField::Type(v) => c.call_type = Some(v),
                        CallField::Priority(v) => c.priority = v,
                        CallField::Caller(v) => c.caller = Some(v),
                        CallField::Callback(v) => c.callback = Some(v),
                        CallField::Zone(v) => c.zone = Some(v),
                    }
                }
            }
            Body::NoteAdded {
                call,
                text,
                caution,
                written,
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.notes.push(Note {
                        wall_ms: at,
                        operator: e.operator.clone(),
                        text: text.clone(),
                        caution: *caution,
                        written: written.clone(),
                    });
                }
            }
            Body::Handoff {
                call,
                partner,
                incident,
                direction,
                stage,
                detail,
                request,
            } => self.handoff(
                at,
                call,
                partner,
                incident,
                *direction,
                *stage,
                detail.as_ref(),
                request.as_ref(),
            ),
            Body::CallClosed {
                call,
                disposition,
                unserved,
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.status = CallStatus::Closed;
                    c.hold = None;
                    c.disposition = Some(*disposition);
                    c.closed_ms = Some(at);
                    c.unserved = *unserved;
                }
            }
            Body::TriageAnswered {
                call,
                question,
                answer,
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.answers.insert(question.clone(), answer.clone());
                }
            }
            Body::Recommended {
                call,
                recommendation,
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.recommendation = Some(recommendation.clone());
                }
            }
            Body::ResponseChosen {
                call,
                response,
                reason,
                ..
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.response = Some(*response);
                    c.override_reason.clone_from(reason);
                }
            }
            Body::UnitCheckedIn { unit, .. } => {
                if let Some(u) = self.units.get_mut(unit) {
                    u.checkin_ms = Some(at);
                    self.checkin_set.insert(unit.clone(), (e.origin, e.seq));
                }
            }
            Body::CallReopened { call } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.disposition = None;
                    c.closed_ms = None;
                    c.status = working_status(c);
                }
            }
            Body::CallHeld {
                call,
                until_ms,
                reason,
                ..
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.hold = Some(Hold {
                        until_ms: *until_ms,
                        reason: reason.clone(),
                        since_ms: at,
                    });
                }
            }
            Body::CallMerged { call, into } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.status = CallStatus::Closed;
                    c.disposition = Some(Disposition::Duplicate);
                    c.closed_ms = Some(at);
                    c.unserved = None;
                    c.hold = None;
                }
                self.link(call, into);
            }
            Body::UnitDisregarded { unit, call, .. } => {
                if self.units.get(unit).map(|u| u.call.as_ref()) != Some(Some(call)) {
                    self.alert(
                        e,
                        format!(
                            "{unit} was told to disregard {call} by {} while a peer moved it; \
                             ignored — check {unit}",
                            e.operator
                        ),
                    );
                    return;
                }
                if let Some(u) = self.units.get_mut(unit) {
                    self.status_set.insert(unit.clone(), (e.origin, e.seq));
                    u.status = UnitStatus::Available;
                    u.status_ms = at;
                    u.call = None;
                    u.detail = None;
                    u.checkin_ms = None;
                }
                if let Some(c) = self.calls.get_mut(call) {
                    if let Some(a) = c.active_assignment_mut(unit) {
                        a.cleared_ms = Some(at);
                        a.disregarded = true;
                    }
                    // Nobody went: the call waits for a unit again. If someone went and has
                    // cleared, it waits for its disposition, as after avl.
                    if c.is_open() && c.assignments.iter().all(|a| a.disregarded) {
                        c.status = CallStatus::Pending;
                    } else if c.is_open() && c.active_units().next().is_some() {
                        c.status = working_status(c);
                    }
                }
            }
            Body::StatusCorrected {
                unit, call, status, ..
            } => self.correct(e, unit, call, *status, at),
            Body::SignedOn => {
                self.on_desk.entry(e.operator.clone()).or_insert(at);
            }
            Body::SignedOff => {
                self.on_desk.remove(&e.operator);
            }
            Body::BackupConfirmed { call, by } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.confirmed = Some(Confirmed {
                        at_ms: at,
                        by: by.clone(),
                    });
                }
            }
            Body::HoldReleased { call } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.hold = None;
                }
            }
            Body::CallsLinked { call, other } => self.link(call, other),
            Body::BackupRequested {
                call,
                agency,
                child,
            } => {
                if let Some(c) = self.calls.get_mut(child) {
                    c.backup_for = Some((call.clone(), *agency));
                }
                self.link(call, child);
            }
            Body::UnitAdded {
                unit,
                capabilities,
                zone,
            } => {
                self.status_set
                    .entry(unit.clone())
                    .or_insert((e.origin, e.seq));
                let entry = self.units.entry(unit.clone()).or_insert_with(|| Unit {
                    callsign: unit.clone(),
                    capabilities: BTreeSet::default(),
                    zone: None,
                    status: UnitStatus::Available,
                    status_ms: at,
                    call: None,
                    detail: None,
                    checkin_ms: None,
                    back_ms: None,
                    position: None,
                });
                entry.capabilities = capabilities.iter().copied().collect();
                entry.zone.clone_from(zone);
            }
            Body::LimitsRecorded { limits } => {
                self.limits.insert(e.origin, limits.clone());
            }
            Body::CallErased { call, .. } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.erase();
                }
            }
            Body::LegalHold { call, held, reason } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.legal_hold = held.then(|| reason.clone());
                }
            }
            Body::CallRestricted { call, operators } => {
                if let Some(c) = self.calls.get_mut(call) {
                    // Whoever restricts a call stays able to see it.
                    let mut names = operators.clone();
                    if !names.contains(&e.operator) {
                        names.push(e.operator.clone());
                    }
                    names.sort();
                    c.restricted = Some(names);
                }
            }
            // A record of who opened it, kept in the log; the fold needs nothing of it.
            Body::RestrictedViewed { .. } => {}
            Body::AlertAcknowledged { origin, seq } => {
                if let Some(a) = self
                    .alerts
                    .iter_mut()
                    .find(|a| a.origin == *origin && a.seq == *seq && a.is_open())
                {
                    a.acknowledged_by = Some(e.operator.clone());
                }
            }
            Body::UnitDispatched {
                unit,
                call,
                en_route,
                from,
            } => {
                let Some(current) = self.units.get(unit).map(|u| u.call.clone()) else {
                    return;
                };
                if &current != from {
                    let kept = current.map_or_else(|| "its status".to_owned(), |c| c.to_string());
                    self.alert(
                        e,
                        format!(
                            "{unit} was dispatched to {call} by {} while a peer changed it; kept \
                             {kept} — check {unit}",
                            e.operator
                        ),
                    );
                    return;
                }
                if let Some(previous) = &current {
                    self.clear_assignment(previous, unit, at);
                }
                let status = if *en_route {
                    UnitStatus::EnRoute
                } else {
                    UnitStatus::Dispatched
                };
                if let Some(u) = self.units.get_mut(unit) {
                    self.status_set.insert(unit.clone(), (e.origin, e.seq));
                    u.status = status;
                    u.status_ms = at;
                    u.call = Some(call.clone());
                    u.detail = None;
                    u.checkin_ms = None;
                }
                if let Some(c) = self.calls.get_mut(call) {
                    c.assignments.push(Assignment {
                        unit: unit.clone(),
                        status,
                        dispatched_ms: at,
                        en_route_ms: en_route.then_some(at),
                        on_scene_ms: None,
                        transporting_ms: None,
                        at_facility_ms: None,
                        cleared_ms: None,
                        disregarded: false,
                    });
                    if c.status == CallStatus::Pending {
                        c.status = CallStatus::Dispatched;
                    }
                    // Someone went: the call is no longer waiting for anyone to come back to it.
                    c.hold = None;
                }
            }
            Body::UnitStatusChanged {
                unit,
                status,
                call,
                detail,
                back_ms,
            } => {
                let Some(current) = self.units.get(unit).map(|u| u.call.clone()) else {
                    return;
                };
                let clears = matches!(status, UnitStatus::Available | UnitStatus::OutOfService);
                if !clears && &current != call {
                    self.alert(
                        e,
                        format!(
                            "{unit} {status} for {} came after {unit} was reassigned; ignored — \
                             check {unit}",
                            call.as_ref().map_or("no call", CallId::as_str)
                        ),
                    );
                    return;
                }
                let seen_at = current
                    .as_ref()
                    .and_then(|c| self.calls.get(c))
                    .and_then(|c| c.coords.clone());
                if let Some(u) = self.units.get_mut(unit) {
                    self.status_set.insert(unit.clone(), (e.origin, e.seq));
                    u.status = *status;
                    u.status_ms = at;
                    u.detail.clone_from(detail);
                    u.checkin_ms = None;
                    u.back_ms = *back_ms;
                    if *status == UnitStatus::OnScene && seen_at.is_some() {
                        u.position = seen_at;
                    }
                    if clears {
                        u.call = None;
                    }
                }
                let Some(call) = current else { return };
                if clears {
                    self.clear_assignment(&call, unit, at);
                    return;
                }
                if let Some(c) = self.calls.get_mut(&call) {
                    if let Some(a) = c.active_assignment_mut(unit) {
                        a.status = *status;
                        let stamp = match status {
                            UnitStatus::EnRoute => &mut a.en_route_ms,
                            UnitStatus::OnScene => &mut a.on_scene_ms,
                            UnitStatus::Transporting => &mut a.transporting_ms,
                            UnitStatus::AtFacility => &mut a.at_facility_ms,
                            _ => &mut a.cleared_ms,
                        };
                        stamp.get_or_insert(at);
                    }
                    if *status == UnitStatus::OnScene && c.is_open() {
                        c.status = CallStatus::OnScene;
                    }
                }
            }
        }
    }

    fn link(&mut self, a: &CallId, b: &CallId) {
        if let Some(c) = self.calls.get_mut(a) {
            c.links.insert(b.clone());
        }
        if let Some(c) = self.calls.get_mut(b) {
            c.links.insert(a.clone());
        }
    }

    /// The call stays open when its last unit clears; a person closes it with a disposition.
    /// A status taken back: the unit at `status` on `call` again, the times after it dropped.
    fn correct(&mut self, e: &Event, unit: &Callsign, call: &CallId, status: UnitStatus, at: i64) {
        let on = self.units.get(unit).map(|u| u.call.clone());
        let fits = match &on {
            Some(Some(current)) => current == call,
            Some(None) => true,
            None => false,
        };
        if !fits {
            self.alert(
                e,
                format!(
                    "{unit}'s status at {call} was corrected by {} while a peer moved it; \
                     ignored — check {unit}",
                    e.operator
                ),
            );
            return;
        }
        let Some(c) = self.calls.get_mut(call) else {
            return;
        };
        let Some(a) = c.assignments.iter_mut().rev().find(|a| a.unit == *unit) else {
            return;
        };
        a.cleared_ms = None;
        a.status = status;
        let step = status.step().unwrap_or(0);
        if step < 2 {
            a.en_route_ms = None;
        }
        if step < 3 {
            a.on_scene_ms = None;
        }
        if step < 4 {
            a.transporting_ms = None;
        }
        if step < 5 {
            a.at_facility_ms = None;
        }
        // The unit's time in the status counts from when it first took it on this call.
        let since = match status {
            UnitStatus::EnRoute => a.en_route_ms,
            UnitStatus::OnScene => a.on_scene_ms,
            UnitStatus::Transporting => a.transporting_ms,
            UnitStatus::AtFacility => a.at_facility_ms,
            _ => Some(a.dispatched_ms),
        }
        .unwrap_or(at);
        if c.is_open() {
            c.status = working_status(c);
        }
        if let Some(u) = self.units.get_mut(unit) {
            self.status_set.insert(unit.clone(), (e.origin, e.seq));
            u.status = status;
            u.status_ms = since;
            u.call = Some(call.clone());
            u.checkin_ms = None;
        }
    }

    fn clear_assignment(&mut self, call: &CallId, unit: &Callsign, at: i64) {
        if let Some(c) = self.calls.get_mut(call) {
            if let Some(a) = c.active_assignment_mut(unit) {
                a.cleared_ms = Some(at);
            }
        }
    }
}

/// The status an open call has from its assignments.
fn working_status(c: &Call) -> CallStatus {
    if c.active_units().any(|a| a.on_scene_ms.is_some()) {
        CallStatus::OnScene
    } else if c.active_units().next().is_some() {
        CallStatus::Dispatched
    } else {
        CallStatus::Pending
    }
}
