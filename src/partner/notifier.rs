//! Subscriptions a partner holds here (NENA-STA-024 §2.1): what each covers, the negotiated
//! rates and expiry, and when it is due. Pure bookkeeping; the link does the sending.
//!
//! - `single`: one incident (by its incident id, or our call id); a closed one is accepted for
//!   five minutes after it closed, gets its last state once, and nothing more.
//! - `new`: every call the partner may see, open ones at once (an empty notification when there
//!   are none), then each as it changes.
//! - `resource`: one unit, each time its status changes.
//!
//! `maxRate` is the least time between two notifications of a subscription (changes in between
//! are sent together at the end of it); `minRate`, the most: the current state is sent again
//! when nothing changed for that long. `expires` is capped; renewal (`subscribe` with the
//! `subscriptionId`) restarts it.

use std::collections::BTreeSet;

use super::list::{Partner, Share};
use super::wire::{Subscribe, Terms};
use crate::domain::{Call, CallId, Callsign, State};

/// Longest subscription granted, and the one given when none is asked (seconds).
pub const MAX_EXPIRES: u64 = 24 * 3600;
pub const DEFAULT_EXPIRES: u64 = 3600;
/// Shortest subscription granted.
pub const MIN_EXPIRES: u64 = 2;
/// A heartbeat more often than this is not granted (seconds).
pub const MIN_MIN_RATE: u64 = 10;
/// Longest wait between notifications granted (seconds).
pub const MAX_MAX_RATE: u64 = 3600;
/// How long after closing a call may still be subscribed to, once.
pub const CLOSED_GRACE_MS: i64 = 5 * 60_000;
/// Subscriptions one socket may hold.
pub const MAX_SUBSCRIPTIONS: usize = 64;
/// Notifications left unanswered (or answered with an error) before the subscription ends.
pub const MAX_UNANSWERED: u32 = 3;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One call; `once` when it was closed at subscription: one EIDO, then nothing more.
    Single {
        call: CallId,
        once: bool,
    },
    New,
    Resource(Callsign),
}

#[derive(Clone, Debug)]
pub struct Subscription {
    pub id: String,
    pub scope: Scope,
    pub terms: Terms,
    pub expires_at_ms: i64,
    pub last_sent_ms: i64,
    /// Changes held back by `maxRate`.
    pub pending: BTreeSet<CallId>,
    pub unit_pending: bool,
    pub unanswered: u32,
}

/// May this partner see this call?
pub fn visible(partner: &Partner, call: &Call) -> bool {
    partner.share == Share::All || call.handoffs.iter().any(|h| h.partner == partner.name)
}

/// The call a `single` subscription names: by a partner's incident id, by the incident id we
/// export, or by our call id.
pub fn find_incident<'s>(state: &'s State, incident: &str) -> Option<&'s Call> {
    if let Some(id) = state.call_for_incident(incident) {
        return state.calls.get(id);
    }
    our_call_id(incident).and_then(|id| state.calls.get(&id))
}

/// The call id in an incident id we export (`urn:emergency:uid:incidentid:<call>:<agency>`),
/// or the call id itself.
fn our_call_id(incident: &str) -> Option<CallId> {
    incident
        .strip_prefix("urn:emergency:uid:incidentid:")
        .map_or(incident, |rest| rest.split(':').next().unwrap_or(rest))
        .parse()
        .ok()
}

/// What a subscribe request comes to: a status code and text, and the subscription (new or
/// renewed) when it is 200.
pub struct Outcome {
    pub code: u16,
    pub text: String,
    pub subscription: Option<Subscription>,
    /// A renewal of the subscription with this id.
    pub renews: bool,
}

fn refuse(code: u16, text: impl Into<String>) -> Outcome {
    Outcome {
        code,
        text: text.into(),
        subscription: None,
        renews: false,
    }
}

fn terms(req: &Subscribe) -> Terms {
    Terms {
        min_rate: req.min_rate.filter(|r| *r > 0).map(|r| r.max(MIN_MIN_RATE)),
        max_rate: req.max_rate.map(|r| r.min(MAX_MAX_RATE)),
        expires: req
            .expires
            .unwrap_or(DEFAULT_EXPIRES)
            .clamp(MIN_EXPIRES, MAX_EXPIRES),
    }
}

/// Decides a subscribe request against the state and the subscriptions the socket holds.
pub fn decide(
    partner: &Partner,
    req: &Subscribe,
    held: &[Subscription],
    state: &State,
    now_ms: i64,
    new_id: impl FnOnce() -> String,
) -> Outcome {
    let t = terms(req);
    if let Some(id) = &req.subscription_id {
        let Some(old) = held.iter().find(|s| &s.id == id) else {
            return refuse(481, format!("no subscription {id} on this connection"));
        };
        let mut renewed = old.clone();
        renewed.terms = t;
        renewed.expires_at_ms = now_ms + t.expires as i64 * 1000;
        return Outcome {
            code: 200,
            text: "OK, renewed".into(),
            subscription: Some(renewed),
            renews: true,
        };
    }
    match req.request_type.as_deref() {
        None => return refuse(400, "Bad request: subscribe.requestType is missing"),
        Some(t) if t.eq_ignore_ascii_case("EIDO") => {}
        Some(other) => {
            return refuse(
                406,
                format!("Not acceptable: requestType '{other}'; this desk offers EIDO"),
            )
        }
    }
    if let Some(accepts) = &req.accepts {
        let a = accepts.to_ascii_lowercase();
        if !(a.contains("eido") || a.contains("json") || a.contains("*/*")) {
            return refuse(
                406,
                format!("Not acceptable: requestAccepts '{accepts}'; EIDOs are JSON"),
            );
        }
    }
    if req.qual_filter.is_some() {
        return refuse(406, "Not acceptable: qualFilter is not supported here");
    }
    if held.len() >= MAX_SUBSCRIPTIONS {
        return refuse(
            503,
            format!("Service unavailable: {MAX_SUBSCRIPTIONS} subscriptions on one connection"),
        );
    }
    let scope = match req.sub_type.as_deref() {
        Some("single") => {
            let Some(incident) = &req.incident_id else {
                return refuse(400, "Bad request: a single subscription needs incidentId");
            };
            let Some(call) = find_incident(state, incident) else {
                // A call let go from memory closed more than a day ago and has no hand-off: it
                // is answered as it was when it was in memory.
                if our_call_id(incident).is_some_and(|id| state.is_let_go(&id)) {
                    if partner.share != Share::All {
                        return refuse(
                            403,
                            format!("Forbidden: {incident} is not shared with you"),
                        );
                    }
                    return refuse(
                        404,
                        format!("Not found: {incident} closed more than five minutes ago"),
                    );
                }
                return refuse(404, format!("Not found: no incident {incident}"));
            };
            if !visible(partner, call) {
                return refuse(403, format!("Forbidden: {incident} is not shared with you"));
            }
            let once = match (call.is_open(), call.closed_ms) {
                (false, Some(closed)) if now_ms - closed > CLOSED_GRACE_MS => {
                    return refuse(
                        404,
                        format!("Not found: {incident} closed more than five minutes ago"),
                    );
                }
                (open, _) => !open,
            };
            Scope::Single {
                call: call.id.clone(),
                once,
            }
        }
        Some("new") => Scope::New,
        Some("resource") => {
            let Some(unit) = &req.unit_id else {
                return refuse(400, "Bad request: a resource subscription needs unitId");
            };
            let Some(u) = unit
                .parse::<Callsign>()
                .ok()
                .filter(|u| state.units.contains_key(u))
            else {
                return refuse(404, format!("Not found: no unit {unit}"));
            };
            if partner.share != Share::All {
                return refuse(403, "Forbidden: the roster is not shared with you");
            }
            Scope::Resource(u)
        }
        Some(other) => {
            return refuse(
                400,
                format!("Bad request: requestSubType '{other}'; use single, new or resource"),
            )
        }
        None => return refuse(400, "Bad request: subscribe.requestSubType is missing"),
    };
    Outcome {
        code: 200,
        text: "OK".into(),
        subscription: Some(Subscription {
            id: new_id(),
            scope,
            terms: t,
            expires_at_ms: now_ms + t.expires as i64 * 1000,
            last_sent_ms: now_ms,
            pending: BTreeSet::new(),
            unit_pending: false,
            unanswered: 0,
        }),
        renews: false,
    }
}

impl Subscription {
    /// Does this subscription cover a change to this call?
    pub fn covers(&self, partner: &Partner, call: &CallId, partners_of_call: &[String]) -> bool {
        match &self.scope {
            Scope::Single { call: c, once } => c == call && !once,
            Scope::New => partner.share == Share::All || partners_of_call.contains(&partner.name),
            Scope::Resource(_) => false,
        }
    }

    /// When it may next send, under `maxRate`.
    pub fn allowed_at_ms(&self) -> i64 {
        self.last_sent_ms + self.terms.max_rate.unwrap_or(0) as i64 * 1000
    }

    /// When `minRate` asks for a notification even without a change.
    pub fn heartbeat_at_ms(&self) -> Option<i64> {
        match self.scope {
            Scope::Single { once: true, .. } => None,
            _ => self
                .terms
                .min_rate
                .map(|r| self.last_sent_ms + r as i64 * 1000),
        }
    }
}
