//! What a partner asks of this desk: `requestForService`, `requestAwarenes`,
//! `cancelREequest`, and the dispatcher's answers going back.

use serde_json::Value;

use super::Link;
use crate::desk::DeskError;
use crate::domain::handoff::plan_stage;
use crate::domain::{Body, CallId, Direction, Stage, Taken};
use crate::partner::wire;
use crate::partner::Host;

/// A `requestId` kept with the call it brought in is at most this long.
const MAX_REQUEST_ID_BYTES: usize = 256;

impl<H: Host> Link<H> {
    pub(super) fn request_for_service(
        &mut self,
        request_id: &str,
        eido: &Value,
        awareness: bool,
    ) -> (u16, String) {
        let mut h = match crate::report::eido::read_value(eido, "eido") {
            Ok(h) => h,
            Err(why) => return (400, format!("Bad request: {why}")),
        };
        let agency = std::mem::replace(&mut h.partner, self.partner.name.clone());
        if h.incident.is_empty() {
            return (
                400,
                "Bad request: the EIDO has no $id (its incident id)".into(),
            );
        }
        if !awareness {
            if request_id.len() > MAX_REQUEST_ID_BYTES || request_id.chars().any(char::is_control) {
                return (
                    400,
                    format!(
                        "Bad request: requestForService.requestId is over \
                         {MAX_REQUEST_ID_BYTES} bytes or holds control characters"
                    ),
                );
            }
            // Not this centre's town: refused before anything is written.
            let area = self.shared.partners();
            let town = self.with_desk(|d| d.town_of(&h.call));
            if let Some(why) = area.outside(town.as_deref()) {
                return (403, format!("Forbidden: {why}"));
            }
            h.request = Some(request_id.to_owned());
        }
        if awareness {
            h.origin_note = format!(
                "for awareness only: {} ({agency}) asks for no response: {}",
                self.partner.name, h.origin_note
            );
        }
        match self.take(&h) {
            Ok((Taken::New, events)) => {
                let id = events.iter().find_map(|e| match &e.body {
                    Body::CallCreated { call, .. } => Some(call.clone()),
                    _ => None,
                });
                if awareness {
                    return (200, "OK: shown to the dispatcher".into());
                }
                if let Some(id) = &id {
                    self.theirs.insert(request_id.to_owned(), id.clone());
                }
                let shown = id.map_or_else(String::new, |i| format!(" as {i}"));
                (
                    180,
                    format!("Ringing: taken{shown}, waiting for a dispatcher"),
                )
            }
            Ok((Taken::Known(id), _)) => {
                if awareness {
                    return (200, format!("OK: added to {id}"));
                }
                // Answered now when a dispatcher has decided; else when one does.
                match self.stage_in(&id) {
                    Some((Stage::Rejected, why)) => (
                        488,
                        format!("Not acceptable here: {}", why.unwrap_or_default()),
                    ),
                    Some((Stage::Received, _)) | None => {
                        self.theirs.insert(request_id.to_owned(), id.clone());
                        (180, format!("Ringing: already {id}"))
                    }
                    Some(_) => (200, format!("OK: {id}")),
                }
            }
            Err(DeskError::Store(e)) => (500, format!("Internal error: {e}")),
            Err(e) => (400, format!("Bad request: {e}")),
        }
    }

    /// The stage of the hand-off in from this partner on a call, and its reason.
    pub(super) fn stage_in(&self, call: &CallId) -> Option<(Stage, Option<String>)> {
        let name = self.partner.name.clone();
        self.with_desk(|d| {
            let c = d.state().calls.get(call)?;
            let h = c
                .handoffs
                .iter()
                .find(|h| h.partner == name && h.direction == Direction::In)?;
            Some((c.handoff_stage(h), h.detail.clone()))
        })
    }

    /// Answers the partner's pending requests whose call a dispatcher has decided on.
    pub(super) fn decisions(&mut self, touched: &[CallId]) {
        let waiting: Vec<(String, CallId)> = self
            .theirs
            .iter()
            .filter(|(_, c)| touched.contains(c))
            .map(|(r, c)| (r.clone(), c.clone()))
            .collect();
        for (request, call) in waiting {
            let answer = match self.stage_in(&call) {
                Some((Stage::Received, _)) | None => continue,
                Some((Stage::Rejected, why)) => (
                    488,
                    format!("Not acceptable here: {}", why.unwrap_or_default()),
                ),
                Some((Stage::Cancelled, _)) => {
                    self.theirs.remove(&request);
                    continue;
                }
                Some((stage, _)) => (200, format!("OK: {call} {stage}")),
            };
            self.theirs.remove(&request);
            let v = wire::response(&request, answer.0, &answer.1);
            self.send(&v);
        }
    }

    /// `cancelRequest`: the call the request brought in is marked cancelled and a note tells
    /// the dispatcher. The call is found by the request id kept with its hand-off, so a cancel
    /// on another link, or after the desk restarted, finds it too.
    pub(super) fn cancel(&mut self, request_id: &str) -> (u16, String) {
        let name = self.partner.name.clone();
        let waiting = self.theirs.remove(request_id);
        let call = waiting
            .or_else(|| self.with_desk(|d| d.state().call_for_request(&name, request_id).cloned()));
        let Some(call) = call else {
            return (
                404,
                format!("Not found: no request {request_id} waiting here"),
            );
        };
        self.theirs.retain(|_, c| *c != call);
        let planned = self.with_desk(|d| {
            let before = d.state().calls.get(&call).and_then(|c| {
                c.handoffs
                    .iter()
                    .find(|h| h.partner == name && h.direction == Direction::In)
                    .map(|h| c.handoff_stage(h))
            });
            if before == Some(Stage::Cancelled) {
                return None;
            }
            let stage = plan_stage(
                d.state(),
                &call,
                &name,
                Direction::In,
                Stage::Cancelled,
                Some(format!("{name} cancelled its request")),
            );
            let mut bodies: Vec<Body> = stage.into_iter().collect();
            let recorded = !bodies.is_empty();
            bodies.push(Body::NoteAdded {
                call: call.clone(),
                text: format!("{name} cancelled the request for service {request_id}"),
                caution: false,
                written: None,
            });
            Some((bodies, if recorded { None } else { before }))
        });
        let Some((bodies, already)) = planned else {
            return (200, format!("OK: {call} is already cancelled"));
        };
        match self.commit(bodies) {
            Ok(()) => match already {
                None => (
                    200,
                    format!("OK: {call} is marked cancelled; the dispatcher is told"),
                ),
                Some(stage) => (
                    200,
                    format!("OK: {call} is already {stage}; the dispatcher is told"),
                ),
            },
            Err(e) => (500, format!("Internal error: {e}")),
        }
    }
}
