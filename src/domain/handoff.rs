//! The hand-off ledger: calls handed in from a partner (a 911 centre's CAD) or out to one, each
//! with a transfer stage people can see and partners are told about.
//!
//! A stage is recorded as a [`Body::Handoff`] event when a person or a partner decides it:
//! received, accepted, rejected (with the reason), cancelled by the sender, and — for a call
//! handed out — what the partner reports (dispatched, on scene, closed with its disposition).
//! For a call handed in, dispatched, on scene and closed are this desk's own call events, so the
//! stage is read from the call rather than recorded twice ([`Call::handoff_stage`]).
//!
//! Recognising an incident: the partner's incident id is globally unique (NENA's
//! `urn:emergency:uid:incidentid:…`), so a second hand-over of the same incident updates the
//! call it became instead of making another ([`plan_handover`]).

use serde::{Deserialize, Serialize};

use super::call::{Call, CallStatus};
use super::command::NewCall;
use super::event::{Body, CallField};
use super::ids::CallId;
use super::ledger::{Direction, Handoff, Stage, Written};
use super::planning::{find_call, Context, Refusal, MAX_TEXT_BYTES};
use super::state::State;
use super::vocab::Disposition;

impl Call {
    /// Where a hand-off stands now. A call handed in moves on with this desk's own work: once
    /// accepted, a dispatch, an arrival or the close is its stage.
    pub fn handoff_stage(&self, h: &Handoff) -> Stage {
        if h.direction == Direction::Out || h.stage.is_final() {
            return h.stage;
        }
        match self.status {
            CallStatus::Closed => Stage::Closed,
            CallStatus::OnScene => Stage::OnScene,
            CallStatus::Dispatched => Stage::Dispatched,
            CallStatus::Pending => h.stage,
        }
    }

    /// The hand-off that brought this call in, if one did.
    pub fn handed_in(&self) -> Option<&Handoff> {
        self.handoffs.iter().find(|h| h.direction == Direction::In)
    }
}

/// A note as the sending centre wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingNote {
    pub text: String,
    /// Its author there; `None` when the document does not say.
    pub by: Option<String>,
    pub at_ms: Option<i64>,
}

/// An incident a partner hands over (or sends again, updated): what the desk takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    pub call: NewCall,
    /// When the call began at the sender.
    pub started_ms: Option<i64>,
    pub notes: Vec<IncomingNote>,
    /// The sending partner or agency, as people will read it.
    pub partner: String,
    /// The sender's incident id, globally unique; empty when the document had none.
    pub incident: String,
    /// The first note of a new call, recording where it came from.
    pub origin_note: String,
    /// The `requestId` of the `requestForService` that carried it, kept with the hand-off.
    #[serde(default)]
    pub request: Option<String>,
}

/// What taking a hand-over will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Taken {
    /// A new pending call.
    New,
    /// The incident is already this call: only what is new is added.
    Known(CallId),
}

/// What a hand-over means against the state: a new pending call with its hand-off, first note
/// and notes — all in one batch, so it is taken whole or not at all — or, for an incident this
/// desk already has, the notes it has not seen and the fields nobody here has changed since.
pub fn plan_handover(
    state: &State,
    h: &Handover,
    ctx: &Context,
) -> Result<(Taken, Vec<Body>), Refusal> {
    if let Some(id) = state.call_for_incident(&h.incident) {
        let call = &state.calls[id];
        let mut bodies = update(state, call, h);
        bodies.extend(asked_again(call, h));
        return Ok((Taken::Known(id.clone()), bodies));
    }
    let mut bodies = super::intake::take_call(state, &h.call, ctx)?;
    let Some(Body::CallCreated {
        call, started_ms, ..
    }) = bodies.first_mut()
    else {
        return Err(Refusal("the desk took no call".into()));
    };
    let id = call.clone();
    *started_ms = h.started_ms.filter(|&t| t <= ctx.now_ms);
    if !h.incident.is_empty() {
        bodies.push(Body::Handoff {
            call: id.clone(),
            partner: h.partner.clone(),
            incident: h.incident.clone(),
            direction: Direction::In,
            stage: Stage::Received,
            detail: None,
            request: h.request.clone(),
        });
    }
    bodies.push(note(&id, &h.origin_note, None)?);
    for n in &h.notes {
        bodies.push(note(&id, &n.text, written(n, h))?);
    }
    Ok((Taken::New, bodies))
}

/// Request ids kept per hand-off at most: a partner asking again and again under new ids does
/// not grow the call without end.
const MAX_REQUESTS: usize = 32;

/// A `requestForService` for an incident the call already is, under a request id not yet kept:
/// the id is recorded with the hand-off (its stage unchanged), so a `cancelRequest` naming it
/// finds the call.
fn asked_again(call: &Call, h: &Handover) -> Option<Body> {
    let request = h.request.as_ref()?;
    let handoff = call
        .handoffs
        .iter()
        .find(|x| x.partner == h.partner && x.direction == Direction::In)?;
    if handoff.stage.is_final()
        || handoff.requests.contains(request)
        || handoff.requests.len() >= MAX_REQUESTS
    {
        return None;
    }
    Some(Body::Handoff {
        call: call.id.clone(),
        partner: handoff.partner.clone(),
        incident: handoff.incident.clone(),
        direction: Direction::In,
        stage: handoff.stage,
        detail: handoff.detail.clone(),
        request: Some(request.clone()),
    })
}

fn written(n: &IncomingNote, h: &Handover) -> Option<Written> {
    Some(Written {
        by: n.by.clone().unwrap_or_else(|| h.partner.clone()),
        at_ms: n.at_ms?,
    })
}

fn note(call: &CallId, text: &str, written: Option<Written>) -> Result<Body, Refusal> {
    if text.len() > MAX_TEXT_BYTES || text.chars().any(char::is_control) {
        return Err(Refusal(format!(
            "a note of the hand-over is over {MAX_TEXT_BYTES} bytes or holds control characters"
        )));
    }
    Ok(Body::NoteAdded {
        call: call.clone(),
        text: text.to_owned(),
        caution: false,
        written,
    })
}

/// The notes of a hand-over not already on the call (same text, author and time), and the
/// fields the sender changed that nobody here has set since the call was taken.
fn update(state: &State, call: &Call, h: &Handover) -> Vec<Body> {
    let mut bodies = Vec::new();
    let untouched =
        |name: &'static str| state.field_setter(&call.id, name) == state.taker(&call.id);
    let edit = |field: CallField| Body::CallEdited {
        call: call.id.clone(),
        field,
        replaces: None,
        coords: None,
        placed: None,
        reason: Some("updated by the centre that handed it over".into()),
    };
    if call.is_open() {
        let new = &h.call;
        if new.location != call.location && untouched("loc") {
            bodies.push(edit(CallField::Location(new.location.clone())));
        }
        if new.nature != call.nature && untouched("nature") {
            bodies.push(edit(CallField::Nature(new.nature.clone())));
        }
        if let Some(c) = new
            .caller
            .as_ref()
            .filter(|c| call.caller.as_ref() != Some(c))
        {
            if untouched("caller") {
                bodies.push(edit(CallField::Caller(c.clone())));
            }
        }
        if let Some(c) = new
            .callback
            .as_ref()
            .filter(|c| call.callback.as_ref() != Some(c))
        {
            if untouched("cb") {
                bodies.push(edit(CallField::Callback(c.clone())));
            }
        }
    }
    for n in &h.notes {
        let w = written(n, h);
        let seen = call
            .notes
            .iter()
            .any(|have| have.text == n.text && (w.is_none() || have.written == w));
        if !seen && n.text.len() <= MAX_TEXT_BYTES && !n.text.chars().any(char::is_control) {
            bodies.push(Body::NoteAdded {
                call: call.id.clone(),
                text: n.text.clone(),
                caution: false,
                written: w,
            });
        }
    }
    bodies
}

/// A partner's word on a hand-off (an answer to a request, a cancellation, a later report of
/// the incident it took): the stage to record, or nothing when it is already there.
pub fn plan_stage(
    state: &State,
    call: &CallId,
    partner: &str,
    direction: Direction,
    reached: Stage,
    detail: Option<String>,
) -> Option<Body> {
    let c = state.calls.get(call)?;
    let h = c
        .handoffs
        .iter()
        .find(|h| h.partner == partner && h.direction == direction)?;
    if (h.stage == reached && h.detail == detail) || h.stage.is_final() {
        return None;
    }
    Some(Body::Handoff {
        call: call.clone(),
        partner: partner.to_owned(),
        incident: h.incident.clone(),
        direction,
        stage: reached,
        detail,
        request: None,
    })
}

/// The incident id a call goes out as: the one it came in with, else ours (the call id and the
/// replica that took it), as the export writes it.
pub fn incident_id(state: &State, call: &Call) -> String {
    if let Some(h) = call.handed_in().filter(|h| !h.incident.is_empty()) {
        return h.incident.clone();
    }
    let replica = state.taker(&call.id).map_or(0, |(origin, _)| origin.0);
    format!("urn:emergency:uid:incidentid:{}:{replica:016x}", call.id)
}

/// `transfer CALL PARTNER`: hand the call to a partner (a 911 centre, another agency); the
/// partner links send it and follow what the partner does with it.
pub fn transfer(state: &State, typed: &str, partner: &str) -> Result<Vec<Body>, Refusal> {
    let c = find_call(state, typed)?;
    if !c.is_open() {
        return Err(Refusal(format!(
            "{} is closed; reopen it to transfer it",
            c.id
        )));
    }
    let partner = partner.trim();
    if partner.is_empty() || partner.len() > 40 || partner.chars().any(char::is_control) {
        return Err(Refusal(
            "name the partner as in `switchboard partner list`".into(),
        ));
    }
    if let Some(h) = c
        .handoffs
        .iter()
        .find(|h| h.partner == partner && h.direction == Direction::Out && !h.stage.is_final())
    {
        return Err(Refusal(format!(
            "{} is already handed to {partner} ({})",
            c.id, h.stage
        )));
    }
    Ok(vec![Body::Handoff {
        call: c.id.clone(),
        partner: partner.to_owned(),
        incident: incident_id(state, c),
        direction: Direction::Out,
        stage: Stage::Sent,
        detail: None,
        request: None,
    }])
}

/// `accept CALL`: this centre takes the call handed in.
pub fn accept(state: &State, typed: &str) -> Result<Vec<Body>, Refusal> {
    let (c, h) = received(state, typed, "accept")?;
    Ok(vec![Body::Handoff {
        call: c.id.clone(),
        partner: h.partner.clone(),
        incident: h.incident.clone(),
        direction: Direction::In,
        stage: Stage::Accepted,
        detail: None,
        request: None,
    }])
}

/// `reject CALL REASON`: the call is not this centre's; the sender is told why, and the call
/// leaves the queue (closed as cancelled, the reason in a note).
pub fn reject(state: &State, typed: &str, reason: &str) -> Result<Vec<Body>, Refusal> {
    let (c, h) = received(state, typed, "reject")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Refusal(format!(
            "say why, so {} can act on it: reject {} <reason>",
            h.partner, c.id
        )));
    }
    if reason.len() > MAX_TEXT_BYTES || reason.chars().any(char::is_control) {
        return Err(Refusal(format!(
            "the reason is over {MAX_TEXT_BYTES} bytes or holds control characters"
        )));
    }
    if c.active_units().next().is_some() {
        return Err(Refusal(format!(
            "{} has units on it; clear them before rejecting the hand-off",
            c.id
        )));
    }
    Ok(vec![
        Body::Handoff {
            call: c.id.clone(),
            partner: h.partner.clone(),
            incident: h.incident.clone(),
            direction: Direction::In,
            stage: Stage::Rejected,
            detail: Some(reason.to_owned()),
            request: None,
        },
        Body::NoteAdded {
            call: c.id.clone(),
            text: format!("hand-off rejected: {reason}"),
            caution: false,
            written: None,
        },
        Body::CallClosed {
            call: c.id.clone(),
            disposition: Disposition::Cancelled,
            unserved: None,
        },
    ])
}

fn received<'s>(
    state: &'s State,
    typed: &str,
    verb: &str,
) -> Result<(&'s Call, &'s Handoff), Refusal> {
    let c = find_call(state, typed)?;
    let Some(h) = c.handed_in() else {
        return Err(Refusal(format!(
            "{} was not handed in by a partner; only a hand-off can be {verb}ed",
            c.id
        )));
    };
    if h.stage != Stage::Received {
        return Err(Refusal(format!(
            "the hand-off of {} from {} is already {}",
            c.id, h.partner, h.stage
        )));
    }
    Ok((c, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;
    use crate::domain::ids::ReplicaId;

    /// A hand-off event as stores wrote it before the request id was kept.
    #[derive(Serialize)]
    struct OldEvent {
        origin: ReplicaId,
        seq: u64,
        hlc: u64,
        wall_ms: i64,
        prev: [u8; 32],
        operator: String,
        body: OldBody,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum OldBody {
        Handoff {
            call: CallId,
            partner: String,
            incident: String,
            direction: Direction,
            stage: Stage,
            detail: Option<String>,
        },
    }

    fn event(request: Option<&str>) -> Event {
        Event {
            origin: ReplicaId(1),
            seq: 1,
            hlc: 1 << 16,
            wall_ms: 0,
            prev: [0; 32],
            operator: "desk".into(),
            body: Body::Handoff {
                call: "26-BA0001".parse().unwrap(),
                partner: "metro".into(),
                incident: "urn:emergency:uid:incidentid:1:psap.example".into(),
                direction: Direction::In,
                stage: Stage::Received,
                detail: None,
                request: request.map(str::to_owned),
            },
            request: None,
            os_user: None,
        }
    }

    #[test]
    fn hand_off_events_from_before_the_request_id_read_and_are_written_the_same() {
        let old = OldEvent {
            origin: ReplicaId(1),
            seq: 1,
            hlc: 1 << 16,
            wall_ms: 0,
            prev: [0; 32],
            operator: "desk".into(),
            body: OldBody::Handoff {
                call: "26-BA0001".parse().unwrap(),
                partner: "metro".into(),
                incident: "urn:emergency:uid:incidentid:1:psap.example".into(),
                direction: Direction::In,
                stage: Stage::Received,
                detail: None,
            },
        };
        let bytes = rmp_serde::to_vec_named(&old).unwrap();
        assert_eq!(Event::decode(&bytes).unwrap(), event(None));
        // Without a request id the bytes are what they were: their hashes still chain.
        assert_eq!(event(None).encode(), bytes);
        let with = event(Some("r-1"));
        assert_eq!(Event::decode(&with.encode()).unwrap(), with);
    }
}
