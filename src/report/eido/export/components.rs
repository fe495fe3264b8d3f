//! The parts of a call's document: the notes, the location, the caller, the resources sent (units
//! as agents and emergency resources, with their times), the disposition and the linked calls.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::domain::event::CallField;
use crate::domain::{Assignment, Body, Capability};
use crate::report::eido::codes;
use crate::report::eido::text::{html_escape, tel_uri, time};

use super::{reference, Doc, Stamp};

impl Doc<'_> {
    /// The dispatcher's notes, oldest first, each with its author and time. A caution note
    /// (shown to whoever goes to the address next) is marked `CAUTION:`.
    pub(super) fn notes(&mut self) -> Vec<Value> {
        let call = self.call;
        let mut notes: Vec<Value> = call
            .notes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                // A note handed over from another centre: its time there, and no agent of
                // this agency claims it.
                let stamp = match &n.written {
                    Some(w) => Stamp {
                        ms: w.at_ms,
                        operator: None,
                    },
                    None => Stamp {
                        ms: n.wall_ms,
                        operator: Some(n.operator.clone()),
                    },
                };
                let mut m = self.prologue(
                    &format!("{}:note:{}", self.base, i + 1),
                    &stamp,
                    "Dispatching",
                );
                let text = if n.caution {
                    format!("CAUTION: {}", n.text)
                } else {
                    n.text.clone()
                };
                m.insert("notesActionComments".into(), html_escape(&text).into());
                if n.written.is_none() {
                    m.insert(
                        "agentReference".into(),
                        reference(&self.agent_id(&n.operator)),
                    );
                }
                Value::Object(m)
            })
            .collect();
        if self.audit {
            let triaged = self
                .stamp(|b| matches!(b, Body::TriageAnswered { .. } | Body::ResponseChosen { .. }));
            let mut record: Vec<String> = call
                .answers
                .iter()
                .map(|(q, a)| format!("triage: {q} = {a}"))
                .collect();
            if let Some(r) = &call.recommendation {
                record.push(format!("recommended by rule {}: {}", r.rule, r.reason));
            }
            if let Some(why) = &call.override_reason {
                record.push(format!("overridden: {why}"));
            }
            for (i, text) in record.iter().enumerate() {
                let mut m = self.prologue(
                    &format!("{}:note:triage:{}", self.base, i + 1),
                    &triaged,
                    "Dispatching",
                );
                m.insert("notesActionComments".into(), html_escape(text).into());
                notes.push(Value::Object(m));
            }
        }
        notes
    }

    /// The incident location: the address as typed, and a PIDF-LO with the same text as a civic
    /// address (`LOC`) and, when known, the coordinates as a point (WGS 84, latitude first).
    pub(super) fn location(&mut self, id: &str) -> Value {
        let call = self.call;
        let stamp = self.stamp(|b| {
            matches!(
                b,
                Body::CallCreated { .. }
                    | Body::CallEdited {
                        field: CallField::Location(_),
                        ..
                    }
            )
        });
        let mut m = self.prologue(id, &stamp, "Call Taking");
        m.insert(
            "locationTypeDescriptionRegistryText".into(),
            codes::INCIDENT_LOCATION.into(),
        );
        m.insert(
            "locationByValue".into(),
            crate::report::eido::pidf::write(
                &call.id,
                &call.location,
                call.civic.as_deref(),
                call.coords.as_ref(),
            )
            .into(),
        );
        m.insert(
            "locationDescriptionText".into(),
            call.location.clone().into(),
        );
        Value::Object(m)
    }

    /// The caller: a person component (name and role only) and a callback component (the number).
    /// A callback that is not a phone number travels as a note on the person.
    pub(super) fn caller(
        &mut self,
        person_id: &str,
        callback_id: &str,
        call_id: &str,
    ) -> (Option<Value>, Option<Value>, Vec<Value>) {
        let call = self.call;
        if call.caller.is_none() && call.callback.is_none() {
            return (None, None, Vec::new());
        }
        let stamp = self.stamp(|b| {
            matches!(
                b,
                Body::CallCreated { .. }
                    | Body::CallEdited {
                        field: CallField::Caller(_) | CallField::Callback(_),
                        ..
                    }
            )
        });
        let uri = call.callback.as_deref().and_then(tel_uri);
        let mut extra_notes = Vec::new();
        let mut person = self.prologue(person_id, &stamp, "Call Taking");
        if let Some(name) = &call.caller {
            // NIEM's shape (`nc:PersonType`): names are arrays of objects with a value.
            person.insert(
                "ncPersonComponent".into(),
                json!({ "name": [{ "personFullName": [{ "value": name }] }] }),
            );
        }
        person.insert("personIncidentRoleRegistryText".into(), json!(["Caller"]));
        person.insert("callIdentifier".into(), json!([call_id]));
        let callback = uri.map(|uri| {
            person.insert("callBackReference".into(), reference(callback_id));
            let mut cb = self.prologue(callback_id, &stamp, "Call Taking");
            cb.insert("callBackInformationUri".into(), json!([uri]));
            Value::Object(cb)
        });
        if let (None, Some(text)) = (&callback, &call.callback) {
            let note_id = format!("{}:note:callback", self.base);
            let mut n = self.prologue(&note_id, &stamp, "Call Taking");
            n.insert(
                "notesActionComments".into(),
                html_escape(&format!("callback: {text}")).into(),
            );
            person.insert("notesReference".into(), json!([reference(&note_id)]));
            extra_notes.push(Value::Object(n));
        }
        (Some(Value::Object(person)), callback, extra_notes)
    }

    /// One emergency resource per assignment (a unit sent twice appears twice), one dispatch
    /// component per assignment, and one agent per unit.
    pub(super) fn resources(&mut self) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
        let call = self.call;
        let mut resources = Vec::new();
        let mut dispatches = Vec::new();
        // Each unit's agent, with the last time it changed on this call.
        let mut unit_agents: BTreeMap<String, i64> = BTreeMap::new();
        for (i, a) in call.assignments.iter().enumerate() {
            let unit = a.unit.as_str();
            let unit_agent = self.unit_agent_id(unit);
            let resource_id = format!("{}:resource:{}", self.base, i + 1);
            let last_ms = assignment_times(a).iter().map(|(_, ms)| *ms).max();
            let last_ms = last_ms.unwrap_or(a.dispatched_ms);
            let operator = self
                .events
                .iter()
                .rev()
                .find(|e| e.wall_ms <= last_ms && concerns_unit(&e.body, unit))
                .map(|e| e.operator.clone());
            let stamp = Stamp {
                ms: last_ms,
                operator,
            };
            let capabilities: Vec<Capability> = self
                .state
                .units
                .get(&a.unit)
                .map(|u| u.capabilities.iter().copied().collect())
                .unwrap_or_default();

            let mut r = self.prologue(&resource_id, &stamp, "Dispatching");
            r.insert(
                "emergencyResourceTypeCommonRegistryText".into(),
                codes::resource_type(&capabilities).into(),
            );
            let words: Vec<&str> = capabilities.iter().map(|c| c.word()).collect();
            r.insert(
                "emergencyResourceTypeInternalText".into(),
                if words.is_empty() {
                    "team".to_owned()
                } else {
                    words.join(",")
                }
                .into(),
            );
            r.insert(
                "resourceAttributeRegistryText".into(),
                json!(codes::attributes(&capabilities)),
            );
            r.insert("resourceAttributeInternalText".into(), json!(words));
            r.insert("emergencyResourceName".into(), unit.into());
            let (primary, secondary) = codes::unit_status(a);
            r.insert("primaryUnitStatusRegistryText".into(), primary.into());
            r.insert("secondaryUnitStatusRegistryText".into(), json!(secondary));
            r.insert(
                "unitStatusInternal".into(),
                json!(assignment_times(a)
                    .iter()
                    .map(|(what, ms)| format!("{what} {}", time(*ms)))
                    .collect::<Vec<_>>()),
            );
            r.insert("agentReference".into(), json!([reference(&unit_agent)]));
            resources.push(Value::Object(r));

            // Who dispatched it, and when.
            let sender = self
                .events
                .iter()
                .find(|e| {
                    e.wall_ms == a.dispatched_ms
                        && matches!(&e.body, Body::UnitDispatched { unit: u, .. } if u == &a.unit)
                })
                .map(|e| e.operator.clone());
            let d_stamp = Stamp {
                ms: a.dispatched_ms,
                operator: sender.clone(),
            };
            let mut d = self.prologue(
                &format!("{}:dispatch:{}", self.base, i + 1),
                &d_stamp,
                "Dispatching",
            );
            d.insert("agencyReference".into(), reference(&self.agency));
            if let Some(op) = &sender {
                d.insert("agentReference".into(), reference(&self.agent_id(op)));
            }
            d.insert(
                "emergencyResourceReference".into(),
                json!([reference(&resource_id)]),
            );
            dispatches.push(Value::Object(d));

            let seen = unit_agents.entry(unit_agent).or_insert(last_ms);
            *seen = (*seen).max(last_ms);
        }
        let agents = unit_agents
            .into_iter()
            .map(|(id, ms)| {
                json!({
                    "$id": id,
                    "lastUpdateTimeStamp": time(ms),
                    "updatedByAgencyReference": reference(&self.agency),
                    "agentRoleRegistryText": ["Responder"],
                    "agencyReference": reference(&self.agency),
                })
            })
            .collect();
        (resources, dispatches, agents)
    }

    /// How the call ended, when it did.
    pub(super) fn disposition(&mut self) -> Option<Value> {
        let call = self.call;
        let disposition = call.disposition?;
        let stamp = self.stamp(|b| matches!(b, Body::CallClosed { .. }));
        let mut m = self.prologue(&format!("{}:disposition", self.base), &stamp, "Dispatching");
        m.insert(
            "dispositionCommonRegistryCode".into(),
            codes::disposition(disposition).into(),
        );
        m.insert("dispositionPrimaryIndicator".into(), true.into());
        m.insert("dispositionCategoryText".into(), disposition.word().into());
        m.insert(
            "dispositionDescriptionText".into(),
            disposition.doc().into(),
        );
        Some(Value::Object(m))
    }

    /// Linked calls and backup requests, as links to the other incidents.
    pub(super) fn links(&mut self) -> Vec<Value> {
        let call = self.call;
        let events = self.events;
        let mut out = Vec::new();
        for other in &call.links {
            let event = events.iter().rev().find(|e| match &e.body {
                Body::CallsLinked { call: a, other: b }
                | Body::BackupRequested {
                    call: a, child: b, ..
                } => (a == &call.id && b == other) || (b == &call.id && a == other),
                _ => false,
            });
            let Some(event) = event else { continue };
            let direction = match &event.body {
                Body::BackupRequested { call: parent, .. } if parent == &call.id => "CHILD",
                Body::BackupRequested { .. } => "PARENT",
                _ => "RELATED",
            };
            let stamp = Stamp {
                ms: event.wall_ms,
                operator: Some(event.operator.clone()),
            };
            let mut m = self.prologue(
                &format!("{}:link:{other}", self.base),
                &stamp,
                "Dispatching",
            );
            let replica = self.agency.trim_start_matches("urn:switchboard:");
            m.insert(
                "incidentTrackingIdentifier".into(),
                format!("urn:emergency:uid:incidentid:{other}:{replica}").into(),
            );
            if let Body::BackupRequested { agency, .. } = &event.body {
                m.insert(
                    "transactionReasonText".into(),
                    format!("{} requested", agency.doc()).into(),
                );
            }
            m.insert("linkDirectionCode".into(), direction.into());
            out.push(Value::Object(m));
        }
        out
    }
}

/// Each status the unit reached on this call, with its time (`CLR` when it cleared).
pub(super) fn assignment_times(a: &Assignment) -> Vec<(&'static str, i64)> {
    let mut out = vec![("DSP", a.dispatched_ms)];
    for (what, ms) in [
        ("ENR", a.en_route_ms),
        ("ONS", a.on_scene_ms),
        ("TRN", a.transporting_ms),
        ("ATF", a.at_facility_ms),
        ("CLR", a.cleared_ms),
    ] {
        if let Some(ms) = ms {
            out.push((what, ms));
        }
    }
    out
}

pub(super) fn concerns_unit(body: &Body, unit: &str) -> bool {
    match body {
        Body::UnitDispatched { unit: u, .. }
        | Body::UnitStatusChanged { unit: u, .. }
        | Body::UnitCheckedIn { unit: u, .. } => u.as_str() == unit,
        _ => false,
    }
}
