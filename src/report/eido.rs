//! NENA EIDO (Emergency Incident Data Object, NENA-STA-021) export and import: the standard JSON
//! form of an incident for handing it between a 911 centre, a crisis line and Switchboard.
//!
//! [`export`] writes one EIDO document per call, built from the folded [`State`] and the call's
//! events (for who changed what, and when). [`import`] reads a document handed over by another
//! centre and turns it into a [`NewCall`] plus its notes; the CLI (`switchboard import eido FILE`)
//! runs those through the desk. Import validates everything before anything is written.
//!
//! Identifiers: the agency is the replica (console store) that took the call, as
//! `urn:switchboard:<replica>`; agents are its operators (`…:agent:<name>`) and its units
//! (`…:unit:<callsign>`). The incident is `urn:emergency:uid:incidentid:<call id>:<replica>` and
//! every other component's `$id` is derived from it, so exporting the same call twice gives the
//! same ids.
//!
//! Registry values (incident status, unit status, resource type, disposition, agent role) follow
//! the names of the NENA registries as closely as the shipped schema allows; it does not list them,
//! so every registry value is accompanied by Switchboard's own word in the matching `…Internal…`
//! field.
//!
//! `tests/eido.rs` validates every exported document against the shipped `OpenAPI` schema
//! (`../shared/eido/openapi.yaml`). The schema has typos in some `required` lists (names that
//! are not among the properties it declares, such as `TimeStamp` for `Timestamp`; the field notes
//! mention `enforcmentUnitName` and `updatedCBNIdentifierURI`): the validator skips those names,
//! and says so, rather than demand a misspelt field. Exports use the declared spelling.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Read;

use chrono::{DateTime, SecondsFormat};
use serde_json::{json, Map, Value};

use crate::domain::event::{CallField, Coords};
use crate::domain::plan::MAX_TEXT_BYTES;
use crate::domain::{
    Assignment, Body, Call, CallId, CallStatus, CallType, Capability, Disposition, Event, NewCall,
    Priority, State, UnitStatus,
};

/// Largest document [`import`] reads; a real handover is a few kilobytes.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Most notes one handover may bring (each becomes an event).
pub const MAX_NOTES: usize = 200;
/// Longest identifier (agency, incident) recorded as the origin of an imported call.
const MAX_ID_BYTES: usize = 256;
/// The location, nature, caller and callback of one call travel in one event; together they must
/// leave room for the envelope under the store's 6 KiB event cap.
const MAX_CALL_TEXT_BYTES: usize = 4800;
/// The APCO code exported for a call with no call type ("unknown trouble"); it imports as none.
pub const UNTYPED_APCO: &str = "TROUBLE";
const EIDO_VERSION: &str = "1.0";
const CONTEXT: &str = "./JSON-LD_Contexts/EmergencyIncidentDataObjectType.jsonld";

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/// One EIDO document per call: the call `call` alone, or every call received in
/// `[since, until)` (milliseconds; either end open), oldest first.
///
/// `events` is the log (any order; only the calls' own events are used, picked with
/// [`Body::calls`]); each component's `lastUpdateTimeStamp` and `updatedByAgentReference` come
/// from the last event that changed it, the document's from the call's last event.
///
/// What is shared, and what is not. A handover to a 911 centre or a crisis line needs to know
/// what is happening, where, who called and how to call them back, who responded and how it
/// ended. So the person component carries the caller's name and callback number and nothing
/// else — no date of birth, no health details, no identity of the person in crisis (Switchboard
/// does not keep one). The triage answers (clinical screening questions), the recommendation and
/// its override reason, and the program's "unserved" reason code are not exported: the receiving
/// centre does its own triage, and those are the program's records. The nature and the notes are
/// exported as written, since they are the handover itself; dispatchers should write them
/// knowing they may leave the program.
pub fn export(
    events: &[Event],
    state: &State,
    call: Option<&CallId>,
    since: Option<i64>,
    until: Option<i64>,
) -> Result<Vec<Value>, String> {
    let mut ordered: Vec<&Event> = events.iter().collect();
    ordered.sort_by_key(|e| e.fold_key());
    let mut by_call: BTreeMap<&CallId, Vec<&Event>> = BTreeMap::new();
    for e in ordered {
        for id in e.body.calls() {
            by_call.entry(id).or_default().push(e);
        }
    }
    let mut calls: Vec<&Call> = match call {
        Some(id) => vec![state.calls.get(id).ok_or_else(|| format!("no call {id}"))?],
        None => state
            .calls
            .values()
            .filter(|c| since.is_none_or(|s| c.received_ms >= s))
            .filter(|c| until.is_none_or(|u| c.received_ms < u))
            .collect(),
    };
    calls.sort_by(|a, b| (a.received_ms, &a.id).cmp(&(b.received_ms, &b.id)));
    Ok(calls
        .into_iter()
        .map(|c| {
            let events = by_call.get(&c.id).map_or(&[][..], Vec::as_slice);
            Doc::new(c, events, state).build()
        })
        .collect())
}

/// When a component last changed, and who changed it.
#[derive(Clone, Debug)]
struct Stamp {
    ms: i64,
    operator: Option<String>,
}

struct Doc<'a> {
    call: &'a Call,
    events: &'a [&'a Event],
    state: &'a State,
    agency: String,
    base: String,
    /// Operators by agent id, with their roles.
    operators: BTreeMap<String, (Stamp, BTreeSet<&'static str>)>,
}

impl<'a> Doc<'a> {
    fn new(call: &'a Call, events: &'a [&'a Event], state: &'a State) -> Self {
        let replica = events
            .iter()
            .find(|e| matches!(&e.body, Body::CallCreated { call: id, .. } if id == &call.id))
            .or(events.first())
            .map_or_else(|| "0".repeat(16), |e| e.origin.to_string());
        Doc {
            call,
            events,
            state,
            agency: format!("urn:switchboard:{replica}"),
            base: format!("urn:switchboard:{replica}:{}", call.id),
            operators: BTreeMap::new(),
        }
    }

    fn incident_id(&self) -> String {
        let replica = self.agency.trim_start_matches("urn:switchboard:");
        format!("urn:emergency:uid:incidentid:{}:{replica}", self.call.id)
    }

    fn call_id(&self) -> String {
        let replica = self.agency.trim_start_matches("urn:switchboard:");
        format!("urn:emergency:uid:callid:{}:{replica}", self.call.id)
    }

    fn agent_id(&self, operator: &str) -> String {
        format!("{}:agent:{}", self.agency, pct(operator))
    }

    fn unit_agent_id(&self, unit: &str) -> String {
        format!("{}:unit:{}", self.agency, pct(unit))
    }

    /// The last event matching `pred`, as a stamp; the call's receipt if none.
    fn stamp(&self, pred: impl Fn(&Body) -> bool) -> Stamp {
        self.events.iter().rev().find(|e| pred(&e.body)).map_or(
            Stamp {
                ms: self.call.received_ms,
                operator: None,
            },
            |e| Stamp {
                ms: e.wall_ms,
                operator: Some(e.operator.clone()),
            },
        )
    }

    /// The standard prologue; the agent is recorded as an agent component of the document.
    fn prologue(&mut self, id: &str, stamp: &Stamp, role: &'static str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("$id".into(), id.into());
        m.insert("lastUpdateTimeStamp".into(), time(stamp.ms).into());
        m.insert("updatedByAgencyReference".into(), reference(&self.agency));
        if let Some(op) = &stamp.operator {
            let agent = self.agent_id(op);
            self.note_operator(op, stamp, role);
            m.insert("updatedByAgentReference".into(), reference(&agent));
        }
        m
    }

    fn note_operator(&mut self, operator: &str, stamp: &Stamp, role: &'static str) {
        let id = self.agent_id(operator);
        let entry = self.operators.entry(id).or_insert_with(|| {
            (
                Stamp {
                    ms: stamp.ms,
                    operator: Some(operator.to_owned()),
                },
                BTreeSet::new(),
            )
        });
        entry.0.ms = entry.0.ms.max(stamp.ms);
        entry.1.insert(role);
    }

    fn build(mut self) -> Value {
        let call = self.call;
        let last = self.stamp(|_| true);
        let incident_id = self.incident_id();
        let call_id = self.call_id();
        let location_id = format!("{}:location:incident", self.base);
        let person_id = format!("{}:person:caller", self.base);
        let callback_id = format!("{}:callback:caller", self.base);

        // The call taker takes the call: record them first, with that role.
        let created = self.stamp(|b| matches!(b, Body::CallCreated { .. }));
        if let Some(op) = created.operator.clone() {
            self.note_operator(&op, &created, "Call Taking");
        }

        let notes = self.notes();
        let note_refs: Vec<Value> = notes
            .iter()
            .filter_map(|n| n.get("$id").and_then(Value::as_str))
            .map(reference)
            .collect();

        let location = self.location(&location_id);
        let (person, callback, person_notes) = self.caller(&person_id, &callback_id, &call_id);
        let (resources, dispatches, unit_agents) = self.resources();
        let links = self.links();

        // The incident.
        let mut incident = self.prologue(&format!("{}:incident", self.base), &last, "Dispatching");
        incident.insert(
            "incidentTypeCommonRegistryText".into(),
            call.call_type.map_or(UNTYPED_APCO, CallType::apco).into(),
        );
        if let Some(t) = call.call_type {
            incident.insert("incidentTypeInternalCode".into(), t.word().into());
        }
        incident.insert(
            "incidentTypeInternalText".into(),
            call.nature.clone().into(),
        );
        incident.insert(
            "incidentStatusInternalText".into(),
            json!([call.status.word()]),
        );
        incident.insert(
            "incidentStatusCommonRegistryText".into(),
            json!([incident_status(call.status)]),
        );
        incident.insert("internalIncidentId".into(), call.id.to_string().into());
        incident.insert(
            "incidentPriorityInternalText".into(),
            format!("P{}", call.priority).into(),
        );
        incident.insert(
            "incidentCommonPriorityNumber".into(),
            call.priority.get().into(),
        );
        if let Some(zone) = &call.zone {
            incident.insert("beatOrDispatchGroupText".into(), zone.clone().into());
        }
        incident.insert("locationReference".into(), json!([reference(&location_id)]));
        if person.is_some() {
            incident.insert("personReference".into(), json!([reference(&person_id)]));
        }
        if let Some(disposition) = self.disposition() {
            incident.insert("dispositionComponent".into(), json!([disposition]));
        }
        if !note_refs.is_empty() {
            incident.insert("notesReference".into(), Value::Array(note_refs));
        }

        // The call (the report that started it).
        let call_stamp = self.stamp(|b| {
            matches!(
                b,
                Body::CallCreated { .. }
                    | Body::CallEdited {
                        field: CallField::Caller(_) | CallField::Callback(_),
                        ..
                    }
            )
        });
        let mut call_c = self.prologue(&call_id, &call_stamp, "Call Taking");
        call_c.insert(
            "callStateRegistryText".into(),
            if call.is_open() {
                "callAnswered"
            } else {
                "callEnd"
            }
            .into(),
        );
        call_c.insert("standardPrimaryCallType".into(), "emergency".into());
        call_c.insert("direction".into(), "incoming".into());
        call_c.insert("callStartTimestamp".into(), time(call.received_ms).into());
        call_c.insert("answerDate".into(), time(call.received_ms).into());
        if let Some(t) = call.call_type {
            call_c.insert("localCallType".into(), t.word().into());
        }
        call_c.insert(
            "priorityIdentifier".into(),
            priority_identifier(call.priority).into(),
        );
        if let Some(op) = &created.operator {
            call_c.insert(
                "agentReference".into(),
                json!([reference(&self.agent_id(op))]),
            );
        }
        if callback.is_some() {
            call_c.insert("callBackReference".into(), reference(&callback_id));
        }
        call_c.insert("locationReference".into(), json!([reference(&location_id)]));
        if person.is_some() {
            call_c.insert("personReference".into(), json!([reference(&person_id)]));
        }

        // Agents: operators, then the units; incident agents are the operators.
        let operator_refs: Vec<Value> = self.operators.keys().map(|id| reference(id)).collect();
        if !operator_refs.is_empty() {
            incident.insert("agentReference".into(), Value::Array(operator_refs));
        }
        let mut agents = Vec::new();
        let operators = std::mem::take(&mut self.operators);
        for (id, (stamp, roles)) in &operators {
            let mut a = Map::new();
            a.insert("$id".into(), id.clone().into());
            a.insert("lastUpdateTimeStamp".into(), time(stamp.ms).into());
            a.insert("updatedByAgencyReference".into(), reference(&self.agency));
            a.insert("updatedByAgentReference".into(), reference(id));
            a.insert("agentRoleRegistryText".into(), json!(roles));
            a.insert("agencyReference".into(), reference(&self.agency));
            agents.push(Value::Object(a));
        }
        agents.extend(unit_agents);

        let mut agency = Map::new();
        agency.insert("$id".into(), self.agency.clone().into());
        agency.insert("lastUpdateTimeStamp".into(), time(last.ms).into());
        agency.insert("updatedByAgencyReference".into(), reference(&self.agency));
        agency.insert(
            "agencyRoleDescriptionRegistryText".into(),
            json!(["Dispatching"]),
        );
        agency.insert("agencyType".into(), json!(["psap"]));
        agency.insert("incidentOwningAgencyIndicator".into(), true.into());

        let mut doc = Map::new();
        doc.insert("$id".into(), incident_id.into());
        doc.insert("lastUpdateTimeStamp".into(), time(last.ms).into());
        doc.insert("updatedByAgencyReference".into(), reference(&self.agency));
        if let Some(op) = &last.operator {
            doc.insert(
                "updatedByAgentReference".into(),
                reference(&self.agent_id(op)),
            );
        }
        doc.insert("eidoVersion".into(), EIDO_VERSION.into());
        doc.insert(
            "issuingElementIdentification".into(),
            format!("{}:switchboard", self.agency).into(),
        );
        if !links.is_empty() {
            doc.insert("linkComponent".into(), Value::Array(links));
        }
        doc.insert("incidentComponent".into(), Value::Object(incident));
        doc.insert("callComponent".into(), json!([call_c]));
        if let Some(cb) = callback {
            doc.insert("callbackComponent".into(), json!([cb]));
        }
        if !dispatches.is_empty() {
            doc.insert("dispatchComponent".into(), Value::Array(dispatches));
        }
        let mut all_notes = notes;
        all_notes.extend(person_notes);
        if !all_notes.is_empty() {
            doc.insert("notesComponent".into(), Value::Array(all_notes));
        }
        if !resources.is_empty() {
            doc.insert("emergencyResourceComponent".into(), Value::Array(resources));
        }
        doc.insert("agencyComponent".into(), json!([agency]));
        doc.insert("agentComponent".into(), Value::Array(agents));
        doc.insert("locationComponent".into(), json!([location]));
        if let Some(p) = person {
            doc.insert("personComponent".into(), json!([p]));
        }
        doc.insert("@context".into(), json!({ "@vocab": CONTEXT }));
        Value::Object(doc)
    }

    /// The dispatcher's notes, oldest first, each with its author and time. A caution note
    /// (shown to whoever goes to the address next) is marked `CAUTION:`.
    fn notes(&mut self) -> Vec<Value> {
        let call = self.call;
        call.notes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let stamp = Stamp {
                    ms: n.wall_ms,
                    operator: Some(n.operator.clone()),
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
                m.insert(
                    "agentReference".into(),
                    reference(&self.agent_id(&n.operator)),
                );
                Value::Object(m)
            })
            .collect()
    }

    /// The incident location: the address as typed, and a PIDF-LO with the same text as a civic
    /// address (`LOC`) and, when known, the coordinates as a point (WGS 84, latitude first).
    fn location(&mut self, id: &str) -> Value {
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
            "Incident".into(),
        );
        m.insert(
            "locationByValue".into(),
            pidf_lo(&call.id, &call.location, call.coords.as_ref()).into(),
        );
        m.insert(
            "locationDescriptionText".into(),
            call.location.clone().into(),
        );
        Value::Object(m)
    }

    /// The caller: a person component (name and role only) and a callback component (the number).
    /// A callback that is not a phone number travels as a note on the person.
    fn caller(
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
            person.insert(
                "ncPersonComponent".into(),
                json!({ "PersonName": { "PersonFullName": name } }),
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
    fn resources(&mut self) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
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
                resource_type(&capabilities).into(),
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
                json!(capabilities
                    .iter()
                    .map(|c| attribute(*c))
                    .collect::<Vec<_>>()),
            );
            r.insert("resourceAttributeInternalText".into(), json!(words));
            r.insert("emergencyResourceName".into(), unit.into());
            r.insert(
                "primaryUnitStatusRegistryText".into(),
                if a.is_active() {
                    unit_status(a.status)
                } else {
                    "Cleared"
                }
                .into(),
            );
            r.insert("secondaryUnitStatusRegistryText".into(), json!([]));
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
    fn disposition(&mut self) -> Option<Value> {
        let call = self.call;
        let disposition = call.disposition?;
        let stamp = self.stamp(|b| matches!(b, Body::CallClosed { .. }));
        let mut m = self.prologue(&format!("{}:disposition", self.base), &stamp, "Dispatching");
        m.insert(
            "dispositionCommonRegistryCode".into(),
            disposition_code(disposition).into(),
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
    fn links(&mut self) -> Vec<Value> {
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

fn reference(id: &str) -> Value {
    json!({ "$ref": id })
}

/// RFC 3339 in UTC with milliseconds.
fn time(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Percent-encodes everything but unreserved URI characters, for ids made of names.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `tel:` URI for a callback that is a phone number (digits, an optional leading `+`, and the
/// visual separators `-`, `.`, `(`, `)` and spaces, which are dropped if spaces).
fn tel_uri(callback: &str) -> Option<String> {
    let number: String = callback.chars().filter(|c| *c != ' ').collect();
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let body = number.strip_prefix('+').unwrap_or(&number);
    let ok = digits >= 3
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | '(' | ')'));
    ok.then(|| format!("tel:{number}"))
}

fn pidf_lo(call: &CallId, text: &str, coords: Option<&Coords>) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \
         xmlns:gp=\"urn:ietf:params:xml:ns:pidf:geopriv10\" \
         xmlns:ca=\"urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr\" \
         xmlns:gml=\"http://www.opengis.net/gml\" entity=\"pres:{call}@switchboard.invalid\">\
         <tuple id=\"civic\"><status><gp:geopriv><gp:location-info><ca:civicAddress>\
         <ca:LOC>{}</ca:LOC></ca:civicAddress></gp:location-info><gp:usage-rules/>\
         <gp:method>Manual</gp:method></gp:geopriv></status></tuple>",
        html_escape(text)
    );
    if let Some(c) = coords {
        let _ = write!(
            xml,
            "<tuple id=\"point\"><status><gp:geopriv><gp:location-info>\
             <gml:Point srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>{} {}</gml:pos></gml:Point>\
             </gp:location-info><gp:usage-rules/><gp:method>Manual</gp:method></gp:geopriv>\
             </status></tuple>",
            c.lat, c.lon
        );
    }
    xml.push_str("</presence>");
    xml
}

fn incident_status(status: CallStatus) -> &'static str {
    match status {
        CallStatus::Pending => "Queued",
        CallStatus::Dispatched => "Dispatched",
        CallStatus::OnScene => "OnScene",
        CallStatus::Closed => "Closed",
    }
}

fn unit_status(status: UnitStatus) -> &'static str {
    match status {
        UnitStatus::Available => "Available",
        UnitStatus::Dispatched => "Dispatched",
        UnitStatus::EnRoute => "Enroute",
        UnitStatus::OnScene => "OnScene",
        UnitStatus::Transporting => "Transporting",
        UnitStatus::AtFacility => "AtFacility",
        UnitStatus::OutOfService => "OutOfService",
    }
}

fn priority_identifier(p: Priority) -> &'static str {
    match p.get() {
        1 => "highest",
        2 => "high",
        3 => "normal",
        _ => "low",
    }
}

fn resource_type(capabilities: &[Capability]) -> &'static str {
    if capabilities.contains(&Capability::Police) {
        "Law Enforcement"
    } else if capabilities.contains(&Capability::Fire) {
        "Fire"
    } else if capabilities.contains(&Capability::Ems) {
        "EMS"
    } else {
        "Mobile Crisis Team"
    }
}

fn attribute(c: Capability) -> &'static str {
    match c {
        Capability::Clinician => "Clinician",
        Capability::Medic => "Paramedic",
        Capability::Emt => "EMT",
        Capability::Peer => "Peer Support",
        Capability::Police => "Law Enforcement Officer",
        Capability::Fire => "Firefighter",
        Capability::Ems => "Transport",
    }
}

fn disposition_code(d: Disposition) -> &'static str {
    match d {
        Disposition::Resolved => "Resolved",
        Disposition::CommunityTransport => "TransportedOther",
        Disposition::Hospital => "TransportedHospital",
        Disposition::Declined => "ServicesRefused",
        Disposition::Gone => "GoneOnArrival",
        Disposition::PoliceNeeded => "ReferredLawEnforcement",
        Disposition::EmsNeeded => "ReferredEMS",
        Disposition::Referred988 => "ReferredCrisisLine",
        Disposition::FollowUp => "FollowUp",
        Disposition::Cancelled => "Cancelled",
    }
}

/// Each status the unit reached on this call, with its time (`CLR` when it cleared).
fn assignment_times(a: &Assignment) -> Vec<(&'static str, i64)> {
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

fn concerns_unit(body: &Body, unit: &str) -> bool {
    match body {
        Body::UnitDispatched { unit: u, .. }
        | Body::UnitStatusChanged { unit: u, .. }
        | Body::UnitCheckedIn { unit: u, .. } => u.as_str() == unit,
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// An incident handed over by another centre, ready to be taken as a pending call.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    pub call: NewCall,
    /// The document's notes, oldest first, as plain text.
    pub notes: Vec<String>,
    /// Who sent it: the sending agency and its incident id (`<agency> incident <id>`).
    pub origin: String,
}

impl Imported {
    /// The first note of the imported call, recording where it came from.
    pub fn origin_note(&self) -> String {
        format!("handed over from {} (EIDO)", self.origin)
    }
}

/// Reads at most [`MAX_DOCUMENT_BYTES`] (and one more, to tell) from `reader` and imports it.
pub fn import_reader(reader: impl Read, source: &str) -> Result<Imported, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {source}: {e}"))?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(refused(source, &too_big()));
    }
    let text = String::from_utf8(bytes).map_err(|_| refused(source, "it is not UTF-8 text"))?;
    import(&text, source)
}

/// Turns an EIDO document into a call to take, or refuses it with a one-line reason naming
/// `source` (a file name). Nothing is written here; everything the desk would refuse later (text
/// too long, control characters, a call too large for one event) is refused now, so a caller
/// that checks this first writes all or nothing.
///
/// What is read: the location (`locationDescriptionText`, else the civic address in the
/// PIDF-LO `locationByValue`; coordinates from a `gml:Point`/`gml:Circle` position) of the
/// incident, else of the call, else the first location given by value; the caller's name
/// (`ncPersonComponent.PersonName`) and callback (`tel:` URI, else `sip:`); the call type from
/// the APCO code in `incidentTypeCommonRegistryText` (the local word in
/// `incidentTypeInternalCode` decides between local types sharing a code; unknown codes give no
/// type); the nature from `incidentTypeInternalText`; the priority from the call's
/// `priorityIdentifier` or a `incidentCommonPriorityNumber` of 1 to 4; and the notes
/// (`notesActionComments`, HTML reduced to text). The sender's beat is not taken as a zone.
/// A document with no incident component (a plain call transfer) is taken when it has a call.
pub fn import(json: &str, source: &str) -> Result<Imported, String> {
    read_document(json).map_err(|reason| refused(source, &reason))
}

fn refused(source: &str, reason: &str) -> String {
    format!("{source} was not imported: {reason}")
}

fn too_big() -> String {
    format!("it is over 1 MiB ({MAX_DOCUMENT_BYTES} bytes); an EIDO handover is far smaller")
}

type Obj = Map<String, Value>;

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong(path: &str, v: &Value, expected: &str) -> String {
    format!("{path} is {}; expected {expected}", kind(v))
}

/// `path.key`, or `key` at the top of the document.
fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn opt_str<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Option<&'v str>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(wrong(&at(path, key), v, "a string")),
    }
}

fn opt_obj<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Option<&'v Obj>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(v) => Err(wrong(&at(path, key), v, "an object")),
    }
}

/// An array of objects, with each item's path.
fn opt_objs<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Vec<(String, &'v Obj)>, String> {
    let p = at(path, key);
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(m) => Ok((format!("{p}[{i}]"), m)),
                v => Err(wrong(&format!("{p}[{i}]"), v, "an object")),
            })
            .collect(),
        Some(v) => Err(wrong(&p, v, "an array")),
    }
}

fn opt_strs<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Vec<&'v str>, String> {
    let p = at(path, key);
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.as_str()),
                v => Err(wrong(&format!("{p}[{i}]"), v, "a string")),
            })
            .collect(),
        Some(v) => Err(wrong(&p, v, "an array")),
    }
}

/// The `$ref` of a reference object.
fn opt_ref<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Option<&'v str>, String> {
    let p = at(path, key);
    let Some(r) = opt_obj(o, key, path)? else {
        return Ok(None);
    };
    opt_str(r, "$ref", &p)
}

fn opt_refs<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Vec<&'v str>, String> {
    opt_objs(o, key, path)?
        .into_iter()
        .filter_map(|(p, r)| opt_str(r, "$ref", &p).transpose())
        .collect()
}

fn id_of<'v>(o: &'v Obj, path: &str) -> Result<Option<&'v str>, String> {
    opt_str(o, "$id", path)
}

/// Free text as the desk takes it: line breaks and tabs become spaces (runs of white space
/// shrink to one), other control characters — and the invisible bidirectional overrides that
/// can make text read differently from what it is — are refused, and the result must fit the
/// desk's limit.
fn clean(what: &str, raw: &str, limit: usize) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len().min(limit + 1));
    let mut space = false;
    for c in raw.chars() {
        if matches!(c, '\t' | '\n' | '\r') || c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if c.is_control() || is_bidi_control(c) {
            return Err(format!("{what} contains control characters"));
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    if out.len() > limit {
        return Err(format!(
            "{what} is {} bytes; the limit is {limit}",
            out.len()
        ));
    }
    Ok(out)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn read_document(json: &str) -> Result<Imported, String> {
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(too_big());
    }
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(root) = &value else {
        return Err(format!(
            "the document is {}; an EIDO is a JSON object",
            kind(&value)
        ));
    };
    match opt_str(root, "eidoVersion", "")? {
        Some(EIDO_VERSION) => {}
        Some(other) => {
            return Err(format!(
                "eidoVersion is {}; only {EIDO_VERSION} is understood",
                quoted(other)
            ))
        }
        None => return Err("it has no eidoVersion; is it an EIDO?".into()),
    }

    let incident = opt_obj(root, "incidentComponent", "")?;
    let calls = opt_objs(root, "callComponent", "")?;
    if incident.is_none() && calls.is_empty() {
        return Err(
            "it has neither an incidentComponent nor a callComponent, so there is no incident \
             to take"
                .into(),
        );
    }
    let locations = opt_objs(root, "locationComponent", "")?;
    let persons = opt_objs(root, "personComponent", "")?;
    let callbacks = opt_objs(root, "callbackComponent", "")?;
    let notes = opt_objs(root, "notesComponent", "")?;

    // What happened.
    let ip = "incidentComponent";
    let (code, internal_code, internal_text, priority_number, incident_id, internal_id) =
        match incident {
            Some(i) => (
                opt_str(i, "incidentTypeCommonRegistryText", ip)?,
                opt_str(i, "incidentTypeInternalCode", ip)?,
                opt_str(i, "incidentTypeInternalText", ip)?,
                match i.get("incidentCommonPriorityNumber") {
                    None | Some(Value::Null) => None,
                    Some(Value::Number(n)) => n.as_u64(),
                    Some(v) => {
                        return Err(wrong(
                            &format!("{ip}.incidentCommonPriorityNumber"),
                            v,
                            "a number",
                        ))
                    }
                },
                id_of(i, ip)?,
                opt_str(i, "internalIncidentId", ip)?,
            ),
            None => (None, None, None, None, None, None),
        };
    let call_type = code.and_then(|c| local_type(c, internal_code));
    let priority_word = match calls.first() {
        Some((p, c)) => opt_str(c, "priorityIdentifier", p)?,
        None => None,
    };
    let priority = match (priority_word, priority_number) {
        (Some("highest"), _) => Some(1),
        (Some("high"), _) => Some(2),
        (Some("normal"), _) => Some(3),
        (Some("low" | "lowest"), _) => Some(4),
        (_, Some(n @ 1..=4)) => Some(n as u8),
        _ => None,
    }
    .and_then(|p| Priority::new(p).ok());
    let nature = match (internal_text, call_type, code) {
        (Some(text), _, _) if !text.trim().is_empty() => clean(
            &format!("{ip}.incidentTypeInternalText"),
            text,
            MAX_TEXT_BYTES,
        )?,
        (_, Some(t), Some(code)) => format!("{} ({code}), handed over", t.doc()),
        (_, None, Some(code)) => clean(
            &format!("{ip}.incidentTypeCommonRegistryText"),
            &format!("incident type {code}, handed over"),
            MAX_TEXT_BYTES,
        )?,
        _ => "call transferred by EIDO; no incident type given".to_owned(),
    };

    // Where.
    let mut wanted: Vec<&str> = Vec::new();
    if let Some(i) = incident {
        wanted.extend(opt_refs(i, "locationReference", ip)?);
    }
    for (p, c) in &calls {
        wanted.extend(opt_refs(c, "locationReference", p)?);
    }
    let (location, coords) = pick_location(&locations, &wanted)?;

    // Who called, and how to call them back.
    let mut person_refs: Vec<&str> = Vec::new();
    if let Some(i) = incident {
        person_refs.extend(opt_refs(i, "personReference", ip)?);
    }
    for (p, c) in &calls {
        person_refs.extend(opt_refs(c, "personReference", p)?);
    }
    let caller = pick_caller(&persons, &person_refs)?;
    let (caller_name, person_callback) = match caller {
        Some((p, person)) => (
            person_name(person, &p)?,
            opt_ref(person, "callBackReference", &p)?,
        ),
        None => (None, None),
    };
    let call_callback = match calls.first() {
        Some((p, c)) => opt_ref(c, "callBackReference", p)?,
        None => None,
    };
    let callback = pick_callback(&callbacks, person_callback.or(call_callback))?;

    // The notes, in the order given.
    if notes.len() > MAX_NOTES {
        return Err(format!(
            "it has {} notes; at most {MAX_NOTES} are taken",
            notes.len()
        ));
    }
    let mut texts = Vec::with_capacity(notes.len());
    for (p, n) in &notes {
        let Some(html) = opt_str(n, "notesActionComments", p)? else {
            continue;
        };
        let what = format!("{p}.notesActionComments");
        let text = clean(&what, &html_to_text(html), MAX_TEXT_BYTES)?;
        if !text.is_empty() {
            texts.push(text);
        }
    }

    // Who sent it.
    let given = |s: &&str| !s.trim().is_empty();
    let agency = opt_ref(root, "updatedByAgencyReference", "")?
        .filter(given)
        .or(opt_str(root, "issuingElementIdentification", "")?.filter(given))
        .unwrap_or("an unnamed agency");
    let id = internal_id
        .filter(given)
        .or(incident_id.filter(given))
        .or(id_of(root, "")?.filter(given))
        .or(calls
            .first()
            .map(|(p, c)| id_of(c, p))
            .transpose()?
            .flatten()
            .filter(given))
        .unwrap_or("without an id");
    let origin = format!(
        "{} incident {}",
        clean("the sending agency's id", agency, MAX_ID_BYTES)?,
        clean("the incident id", id, MAX_ID_BYTES)?
    );

    let call = NewCall {
        location,
        nature,
        call_type,
        priority,
        caller: caller_name,
        callback,
        zone: None,
        coords,
    };
    let size = call.location.len()
        + call.nature.len()
        + call.caller.as_ref().map_or(0, String::len)
        + call.callback.as_ref().map_or(0, String::len);
    if size > MAX_CALL_TEXT_BYTES {
        return Err(format!(
            "its location, nature, caller and callback come to {size} bytes; one call holds at \
             most {MAX_CALL_TEXT_BYTES}"
        ));
    }
    Ok(Imported {
        call,
        notes: texts,
        origin,
    })
}

fn quoted(s: &str) -> String {
    let shown: String = s.chars().take(32).filter(|c| !c.is_control()).collect();
    if s.chars().count() > 32 {
        format!("'{shown}…'")
    } else {
        format!("'{shown}'")
    }
}

/// The local type for an APCO code: the one whose word the sender also gave, else the type the
/// code means on its own (`CITASST` is a citizen assist), else none.
fn local_type(code: &str, internal: Option<&str>) -> Option<CallType> {
    let code = code.trim();
    let candidates: Vec<CallType> = CallType::ALL
        .iter()
        .copied()
        .filter(|t| t.apco().eq_ignore_ascii_case(code))
        .collect();
    if let Some(t) = internal
        .and_then(|w| w.parse::<CallType>().ok())
        .filter(|t| candidates.contains(t))
    {
        return Some(t);
    }
    if candidates.contains(&CallType::Assist) {
        return Some(CallType::Assist);
    }
    candidates.first().copied()
}

/// The location to take: one the incident or call points to, else the first given by value.
fn pick_location(
    locations: &[(String, &Obj)],
    wanted: &[&str],
) -> Result<(String, Option<Coords>), String> {
    if locations.is_empty() {
        return Err("it has no locationComponent; a call needs a location".into());
    }
    // Linear in the number of locations and references, whatever a sender puts in.
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (_, l)) in locations.iter().enumerate() {
        if let Some(id) = l.get("$id").and_then(Value::as_str) {
            by_id.entry(id).or_default().push(i);
        }
    }
    let mut taken = vec![false; locations.len()];
    let mut order = Vec::with_capacity(locations.len());
    let wanted_first = wanted
        .iter()
        .filter_map(|w| by_id.get(w))
        .flatten()
        .copied();
    for i in wanted_first.chain(0..locations.len()) {
        if !std::mem::replace(&mut taken[i], true) {
            order.push(i);
        }
    }
    let ordered = order.into_iter().map(|i| &locations[i]);
    let mut by_reference = false;
    for (p, l) in ordered {
        let description = opt_str(l, "locationDescriptionText", p)?
            .map(|d| clean(&format!("{p}.locationDescriptionText"), d, MAX_TEXT_BYTES))
            .transpose()?
            .filter(|d| !d.is_empty());
        let pidf = opt_str(l, "locationByValue", p)?;
        let (civic, coords) = match pidf {
            Some(xml) => read_pidf(xml, &format!("{p}.locationByValue"))?,
            None => (None, None),
        };
        if opt_str(l, "locationByReferenceUrl", p)?.is_some() {
            by_reference = true;
        }
        let text = match (civic, description) {
            (Some(c), Some(d)) if c == d || c.contains(&d) => Some(c),
            (Some(c), Some(d)) => Some(format!("{c} ({d})")),
            (Some(t), None) | (None, Some(t)) => Some(t),
            (None, None) => None,
        };
        let text = match (text, &coords) {
            (Some(t), _) => t,
            (None, Some(c)) => format!("{},{}", c.lat, c.lon),
            (None, None) => continue,
        };
        let text = clean(&format!("{p} (the address)"), &text, MAX_TEXT_BYTES)?;
        return Ok((text, coords));
    }
    if by_reference {
        Err(
            "its location is only given by reference (locationByReferenceUrl), which \
             Switchboard does not fetch"
                .into(),
        )
    } else {
        Err("no locationComponent gives an address or coordinates".into())
    }
}

/// The civic address as one line, and the point, from a PIDF-LO document.
fn read_pidf(xml: &str, what: &str) -> Result<(Option<String>, Option<Coords>), String> {
    let field = |name: &str| -> Result<Option<String>, String> {
        element_text(xml, name)
            .map(|t| {
                clean(
                    &format!("{what} <{name}>"),
                    &xml_unescape(t),
                    MAX_TEXT_BYTES,
                )
            })
            .transpose()
            .map(|t| t.filter(|t| !t.is_empty()))
    };
    let join = |parts: Vec<Option<String>>, sep: &str| {
        let parts: Vec<String> = parts.into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(sep))
    };
    let number = join(vec![field("HNO")?, field("HNS")?], "");
    let street = join(
        vec![
            number,
            field("PRD")?,
            field("RD")?.or(field("A6")?),
            field("STS")?,
            field("POD")?,
        ],
        " ",
    );
    let unit = field("UNIT")?.map(|u| format!("unit {u}"));
    let civic = join(
        vec![
            street,
            unit,
            field("LOC")?,
            field("NAM")?,
            field("A3")?,
            field("A1")?,
        ],
        ", ",
    );
    let coords = match element_text(xml, "pos") {
        None => None,
        Some(pos) => {
            let mut it = pos.split_whitespace().map(str::parse::<f64>);
            match (it.next(), it.next()) {
                (Some(Ok(lat)), Some(Ok(lon)))
                    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
                {
                    Some(Coords { lat, lon })
                }
                _ => {
                    return Err(format!(
                        "{what} has a position that is not a latitude and longitude in range"
                    ))
                }
            }
        }
    };
    Ok((civic, coords))
}

/// The text of the first element with this local name (any namespace prefix), up to the next
/// tag. Enough for the flat elements of a civic address and a `gml:pos`; not a general parser.
fn element_text<'x>(xml: &'x str, local: &str) -> Option<&'x str> {
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let tag = &rest[start + 1..];
        let name_end = tag.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        let name = &tag[..name_end];
        let bare = name.rsplit(':').next().unwrap_or(name);
        let close = tag.find('>')?;
        if bare == local && !tag[..close].ends_with('/') {
            let body = &tag[close + 1..];
            let end = body.find('<').unwrap_or(body.len());
            return Some(&body[..end]);
        }
        rest = &tag[close.min(tag.len())..];
    }
    None
}

fn xml_unescape(s: &str) -> String {
    decode_entities(s)
}

/// Decodes the named entities HTML and XML share, and numeric ones.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or(name.strip_prefix("#X"))
                    .map(|h| u32::from_str_radix(h, 16))
                    .or(name.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        if let Some((c, e)) = decoded {
            out.push(c);
            rest = &after[e + 1..];
        } else {
            out.push('&');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A note's HTML as plain text: tags dropped (those that break a line — `<br>`, `<p>`, `<div>`,
/// `<li>`… — become spaces), entities decoded; the result is checked like any other text.
fn html_to_text(html: &str) -> String {
    const BREAKS: &[&str] = &[
        "br",
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "tr",
        "td",
        "th",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
    ];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let looks_like_tag =
            after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        if let Some(gt) = after.find('>').filter(|_| looks_like_tag) {
            let name: String = after[..gt]
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            if BREAKS.contains(&name.as_str()) {
                out.push(' ');
            }
            rest = &after[gt + 1..];
        } else {
            out.push('<');
            rest = after;
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

/// The caller: a person with the role Caller, preferring one the incident or call points to.
fn pick_caller<'v>(
    persons: &[(String, &'v Obj)],
    wanted: &[&str],
) -> Result<Option<(String, &'v Obj)>, String> {
    let wanted: HashSet<&str> = wanted.iter().copied().collect();
    let mut callers = Vec::new();
    for (p, person) in persons {
        let roles = opt_strs(person, "personIncidentRoleRegistryText", p)?;
        if roles
            .iter()
            .any(|r| r.trim().eq_ignore_ascii_case("caller"))
        {
            callers.push((p.clone(), *person));
        }
    }
    let referenced = callers
        .iter()
        .find(|(_, person)| {
            person
                .get("$id")
                .and_then(Value::as_str)
                .is_some_and(|id| wanted.contains(id))
        })
        .cloned();
    Ok(referenced.or(callers.into_iter().next()))
}

/// `PersonName.PersonFullName`, else the given, middle and surnames; NIEM prefixes (`nc:`) are
/// accepted.
fn person_name(person: &Obj, path: &str) -> Result<Option<String>, String> {
    let p = format!("{path}.ncPersonComponent");
    let Some(nc) = opt_obj(person, "ncPersonComponent", path)? else {
        return Ok(None);
    };
    let get_obj = |o: &Obj, key: &str, path: &str| -> Result<Option<(String, Obj)>, String> {
        for k in [key.to_owned(), format!("nc:{key}")] {
            if let Some(m) = opt_obj(o, &k, path)? {
                return Ok(Some((format!("{path}.{k}"), m.clone())));
            }
        }
        Ok(None)
    };
    let get_str = |o: &Obj, key: &str, path: &str| -> Result<Option<String>, String> {
        for k in [key.to_owned(), format!("nc:{key}")] {
            if let Some(s) = opt_str(o, &k, path)? {
                return clean(&format!("{path}.{k}"), s, MAX_TEXT_BYTES)
                    .map(|s| Some(s).filter(|s| !s.is_empty()));
            }
        }
        Ok(None)
    };
    let Some((np, name)) = get_obj(nc, "PersonName", &p)? else {
        return Ok(None);
    };
    if let Some(full) = get_str(&name, "PersonFullName", &np)? {
        return Ok(Some(full));
    }
    let parts: Vec<String> = [
        get_str(&name, "PersonGivenName", &np)?,
        get_str(&name, "PersonMiddleName", &np)?,
        get_str(&name, "PersonSurName", &np)?,
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        return Ok(None);
    }
    clean(&np, &parts.join(" "), MAX_TEXT_BYTES).map(Some)
}

/// The callback number: from the component referenced, else the first; a `tel:` URI (its number,
/// without parameters), else a `sip:` URI as given.
fn pick_callback(
    callbacks: &[(String, &Obj)],
    wanted: Option<&str>,
) -> Result<Option<String>, String> {
    let chosen = callbacks
        .iter()
        .find(|(_, c)| wanted.is_some() && c.get("$id").and_then(Value::as_str) == wanted)
        .or(callbacks.first());
    let Some((p, cb)) = chosen else {
        return Ok(None);
    };
    let uris = opt_strs(cb, "callBackInformationUri", p)?;
    let what = format!("{p}.callBackInformationUri");
    if let Some(tel) = uris.iter().find_map(|u| {
        u.trim()
            .strip_prefix("tel:")
            .or(u.trim().strip_prefix("TEL:"))
    }) {
        let number = tel.split(';').next().unwrap_or(tel);
        return clean(&what, number, MAX_TEXT_BYTES).map(|n| Some(n).filter(|n| !n.is_empty()));
    }
    if let Some(sip) = uris.iter().find(|u| {
        let u = u.trim().to_ascii_lowercase();
        u.starts_with("sip:") || u.starts_with("sips:")
    }) {
        return clean(&what, sip, MAX_TEXT_BYTES).map(|n| Some(n).filter(|n| !n.is_empty()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_that_are_numbers_become_tel_uris() {
        assert_eq!(tel_uri("555-0101").as_deref(), Some("tel:555-0101"));
        assert_eq!(
            tel_uri("+1 (303) 555-0142").as_deref(),
            Some("tel:+1(303)555-0142")
        );
        assert_eq!(tel_uri("ask for the front desk"), None);
        assert_eq!(tel_uri("12"), None);
        assert_eq!(tel_uri("555+0101"), None);
    }

    #[test]
    fn elements_are_found_by_local_name_in_any_namespace() {
        let xml = "<a:civicAddress><a:HNO>42</a:HNO><RD/><A3 x=\"1\">Wilmington</A3>\
                   </a:civicAddress><gml:pos>1 2</gml:pos>";
        assert_eq!(element_text(xml, "HNO"), Some("42"));
        assert_eq!(element_text(xml, "RD"), None);
        assert_eq!(element_text(xml, "A3"), Some("Wilmington"));
        assert_eq!(element_text(xml, "pos"), Some("1 2"));
        assert_eq!(element_text("<", "pos"), None);
        assert_eq!(element_text("<pos", "pos"), None);
    }

    #[test]
    fn html_notes_become_plain_text() {
        assert_eq!(
            decode_entities("&amp;&lt;&#65;&#x42;&bogus;&#xD800;&"),
            "&<AB&bogus;&#xD800;&"
        );
        let text = html_to_text("<p>one</p><p>two</p>un<b>us</b>ual &lt;b&gt; 3 < 4");
        assert_eq!(
            clean("note", &text, MAX_TEXT_BYTES).as_deref(),
            Ok("one two unusual <b> 3 < 4")
        );
    }

    #[test]
    fn text_is_held_to_the_desks_rules() {
        assert_eq!(clean("x", "  a\tb\r\n c  ", 10).as_deref(), Ok("a b c"));
        assert_eq!(
            clean("x", "a\u{7}b", 10),
            Err("x contains control characters".to_owned())
        );
        assert_eq!(
            clean("x", "a\u{202E}b", 10),
            Err("x contains control characters".to_owned())
        );
        assert_eq!(
            clean("x", &"é".repeat(6), 10),
            Err("x is 12 bytes; the limit is 10".to_owned())
        );
        // An entity that decodes to a control character is still refused.
        assert!(clean("x", &html_to_text("a&#27;[2J"), 10).is_err());
    }
}
