//! Export: one EIDO document per call, built from the folded [`State`] and the call's events
//! (for who changed what, and when). Every code comes from [`codes`]; what has no registry code
//! travels as text in the `…Internal…` field beside it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::codes;
use super::text::{pct, time};
use crate::domain::event::CallField;
use crate::domain::{Body, Call, CallId, CallType, Event, Priority, State};
use crate::report::reader::{self, Reader};

mod components;
mod resource;

pub use resource::resource_document;

/// The APCO code exported for a call with no call type ("unknown trouble"); it imports as none.
pub const UNTYPED_APCO: &str = "TROUBLE";
pub(super) const EIDO_VERSION: &str = "1.0";
const CONTEXT: &str = "./JSON-LD_Contexts/EmergencyIncidentDataObjectType.jsonld";

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
    export_for(events, state, call, (since, until), Reader::Partner)
}

/// [`export`] for `reader` ([`Reader`]): the public-records form leaves out the person,
/// callback, nature, notes and coordinates and gives the hundred block; the audit form adds
/// the triage answers, the recommendation's rule and the override reason as notes.
pub fn export_for(
    events: &[Event],
    state: &State,
    call: Option<&CallId>,
    (since, until): (Option<i64>, Option<i64>),
    reader: Reader,
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
            let shown = reader::shown(c, reader);
            let mut doc = Doc::new(&shown, events, state);
            doc.audit = reader == Reader::Audit;
            doc.build()
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
    /// The audit form: the triage record goes in as notes too.
    audit: bool,
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
            audit: false,
        }
    }

    /// The incident's tracking id: a call handed in keeps the sender's, which is global, so
    /// both centres speak of one incident; others get one made of the call id and replica.
    fn incident_id(&self) -> String {
        if let Some(h) = self.call.handed_in().filter(|h| !h.incident.is_empty()) {
            return h.incident.clone();
        }
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
        let reopened = self
            .events
            .iter()
            .any(|e| matches!(e.body, Body::CallReopened { .. }));
        let mut internal_status = vec![call.status.word().to_owned()];
        internal_status.extend(call.handoffs.iter().map(|h| {
            format!(
                "hand-off {} {}: {}",
                h.direction.preposition(),
                h.partner,
                call.handoff_stage(h)
            )
        }));
        incident.insert("incidentStatusInternalText".into(), json!(internal_status));
        incident.insert(
            "incidentStatusCommonRegistryText".into(),
            json!(codes::incident_status(call, reopened)),
        );
        incident.insert("internalIncidentId".into(), call.id.to_string().into());
        incident.insert(
            "incidentPriorityInternalText".into(),
            format!("P{}", call.priority).into(),
        );
        incident.insert(
            "incidentCommonPriorityNumber".into(),
            codes::priority_number(call.priority).into(),
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
        call_c.insert(
            "callStartTimestamp".into(),
            time(call.started_ms.unwrap_or(call.received_ms)).into(),
        );
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
}

fn reference(id: &str) -> Value {
    json!({ "$ref": id })
}

fn priority_identifier(p: Priority) -> &'static str {
    match p.get() {
        1 => "highest",
        2 => "high",
        3 => "normal",
        _ => "low",
    }
}
