//! This desk as subscriber and requester: what the partner sends for this desk's
//! subscriptions, and the calls handed out to it (sent, answered, followed).

use serde_json::Value;

use super::{Link, Ours};
use crate::desk::DeskError;
use crate::domain::handoff::plan_stage;
use crate::domain::{CallId, Direction, Stage};
use crate::partner::notifier;
use crate::partner::wire::{self, Subscribe};
use crate::partner::{call_eido, Host};

impl<H: Host> Link<H> {
    pub(super) fn event(&mut self, sub_id: &str, notification: &[Value]) -> (u16, String) {
        let Some((what, _)) = self.granted.get(sub_id).cloned() else {
            return (481, format!("Subscription does not exist: {sub_id}"));
        };
        // Every EIDO is read before any is taken: one that cannot be read refuses the event.
        let mut read = Vec::with_capacity(notification.len());
        for (i, doc) in notification.iter().enumerate() {
            match crate::report::eido::read_value(doc, &format!("notification[{i}]")) {
                Ok(mut h) => {
                    h.partner.clone_from(&self.partner.name);
                    read.push((h, doc));
                }
                Err(why) => return (400, format!("Bad request: {why}")),
            }
        }
        // A new incident in a town this centre does not serve is not taken (one it already
        // has is still followed).
        let partners = self.shared.partners();
        let mut elsewhere = Vec::new();
        for (h, doc) in read {
            if what == Ours::New {
                let outside = self.with_desk(|d| {
                    if d.state().call_for_incident(&h.incident).is_some() {
                        return None;
                    }
                    partners.outside(d.town_of(&h.call).as_deref())
                });
                if let Some(why) = outside {
                    elsewhere.push(why);
                    continue;
                }
            }
            let result = match &what {
                Ours::New => self.take(&h).map(|_| ()),
                Ours::Single(call) => self.progress(call, doc),
            };
            if let Err(e) = result {
                return match e {
                    DeskError::Store(e) => (500, format!("Internal error: {e}")),
                    e => (400, format!("Bad request: {e}")),
                };
            }
        }
        if elsewhere.is_empty() {
            (200, "OK".into())
        } else {
            (
                200,
                format!(
                    "OK; {} not taken, {}",
                    elsewhere.len(),
                    elsewhere.join("; ")
                ),
            )
        }
    }

    /// The partner's word on a call handed out to it: its incident's status and disposition.
    pub(super) fn progress(&self, call: &CallId, doc: &Value) -> Result<(), DeskError> {
        let statuses: Vec<&str> = doc["incidentComponent"]["incidentStatusCommonRegistryText"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let disposition = doc["incidentComponent"]["dispositionComponent"]
            .as_array()
            .and_then(|d| d.first())
            .map(|d| {
                let code = d["dispositionCommonRegistryCode"]
                    .as_str()
                    .unwrap_or_default();
                let text = d["dispositionDescriptionText"]
                    .as_str()
                    .or(d["dispositionCategoryText"].as_str())
                    .unwrap_or_default();
                format!("{code} {text}")
                    .trim()
                    .chars()
                    .take(200)
                    .collect::<String>()
            });
        let stage = if statuses.iter().any(|s| *s == "Closed" || *s == "Cancelled") {
            Stage::Closed
        } else if statuses.contains(&"ResourcesOnscene") {
            Stage::OnScene
        } else if statuses
            .iter()
            .any(|s| *s == "ResourcesAssigned" || *s == "ResourcesEnroute")
        {
            Stage::Dispatched
        } else {
            return Ok(());
        };
        let detail = if stage == Stage::Closed {
            disposition
        } else {
            None
        };
        let name = self.partner.name.clone();
        let body =
            self.with_desk(|d| plan_stage(d.state(), call, &name, Direction::Out, stage, detail));
        self.commit(body.into_iter().collect())
    }

    /// Pushes calls a dispatcher transferred to this partner and not yet sent on this link.
    pub(super) fn push_out(&mut self, touched: &[CallId]) {
        let name = self.partner.name.clone();
        let pushed = self.pushed.clone();
        let sends: Vec<(CallId, String)> = self.with_desk(|d| {
            touched
                .iter()
                .filter(|c| !pushed.contains(*c))
                .filter_map(|id| {
                    let c = d.state().calls.get(id)?;
                    c.handoffs.iter().find(|h| {
                        h.partner == name && h.direction == Direction::Out && h.stage == Stage::Sent
                    })?;
                    call_eido(d, id).map(|(_, e)| (id.clone(), e))
                })
                .collect()
        });
        for (call, eido) in sends {
            let request = self.id("rfs");
            let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
            self.out.push(format!(
                "{{\"requestForService\":{{\"requestId\":{},\"eido\":{eido}}}}}",
                quote(&request)
            ));
            self.pushes.insert(request, call.clone());
            self.pushed.insert(call);
        }
    }

    pub(super) fn pushed_answer(&mut self, request_id: &str, code: u16, text: &str) {
        let Some(call) = self.pushes.get(request_id).cloned() else {
            return;
        };
        let (stage, detail) = match code {
            180 | 182 => (Stage::Received, None),
            200 => (Stage::Accepted, None),
            _ => (
                Stage::Rejected,
                Some(format!("{code} {text}").trim().to_owned()),
            ),
        };
        if code >= 200 {
            self.pushes.remove(request_id);
        }
        let name = self.partner.name.clone();
        let body =
            self.with_desk(|d| plan_stage(d.state(), &call, &name, Direction::Out, stage, detail));
        if let Err(e) = self.commit(body.into_iter().collect()) {
            tracing::warn!(error = %e, "hand-off answer not recorded");
        }
        if stage == Stage::Accepted {
            self.follow(&call);
        }
    }

    /// Subscribes to the incident a call handed out became, to see what the partner does.
    pub(super) fn follow(&mut self, call: &CallId) {
        let what = Ours::Single(call.clone());
        if self.asked.values().any(|w| *w == what) || self.granted.values().any(|(w, _)| *w == what)
        {
            return;
        }
        let Some(incident) = self.with_desk(|d| call_eido(d, call).map(|(i, _)| i)) else {
            return;
        };
        let request = self.id("sub");
        let v = wire::subscribe(&Subscribe {
            request_id: request.clone(),
            request_type: Some("EIDO".into()),
            sub_type: Some("single".into()),
            accepts: Some("application/emergency.eido+json".into()),
            incident_id: Some(incident),
            expires: Some(notifier::MAX_EXPIRES),
            ..Subscribe::default()
        });
        self.send(&v);
        self.asked.insert(request, what);
    }

    pub(super) fn ask_new(&mut self, renew: Option<String>) {
        let request = self.id("sub");
        let v = wire::subscribe(&Subscribe {
            request_id: request.clone(),
            request_type: renew.is_none().then(|| "EIDO".to_owned()),
            sub_type: renew.is_none().then(|| "new".to_owned()),
            accepts: Some("application/emergency.eido+json".into()),
            subscription_id: renew,
            expires: Some(notifier::DEFAULT_EXPIRES),
            ..Subscribe::default()
        });
        self.send(&v);
        self.asked.insert(request, Ours::New);
    }
}
