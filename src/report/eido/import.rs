//! Import: a document handed over by another centre, read into a [`Handover`] the desk takes
//! as a pending call (or as news about the call it already became). Everything is checked here,
//! before anything is written: what the desk would refuse later (text too long, control
//! characters, a call too large for one event) is refused now, with the field named.

use std::io::Read;

use serde_json::Value;

use super::codes;
use super::json::{at, id_of, kind, opt_obj, opt_objs, opt_ref, opt_refs, opt_str, wrong};
use super::pidf;
use super::text::{clean, html_to_text, quoted, read_time};
use crate::domain::text::MAX_TEXT_BYTES;
use crate::domain::{Handover, IncomingNote, NewCall};

mod components;
mod schema;

use components::{local_type, person_name, pick_callback, pick_caller, pick_location};
use schema::{agent_named, draft_2020_callback, draft_2020_start, owning_agency, Schema};

/// Largest document [`import`] reads; a real handover is a few kilobytes.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Most notes one handover may bring (each becomes an event, all in one commit).
pub const MAX_NOTES: usize = 200;
/// Longest identifier (agency, incident, author) kept from a sender.
const MAX_ID_BYTES: usize = 256;
/// The location, nature, caller and callback of one call travel in one event; together they must
/// leave room for the envelope under the store's 6 KiB event cap.
const MAX_CALL_TEXT_BYTES: usize = 4800;

/// Reads at most [`MAX_DOCUMENT_BYTES`] (and one more, to tell) from `reader` and imports it.
pub fn import_reader(reader: impl Read, source: &str) -> Result<Vec<Handover>, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {source}: {e}"))?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(refused(source, &too_big()));
    }
    let text = String::from_utf8(bytes).map_err(|_| refused(source, "it is not UTF-8 text"))?;
    import_all(&text, source)
}

/// Turns an EIDO document into a hand-over, or refuses it with a one-line reason naming `source`
/// (a file name). A NENA-STA-024 message carrying one EIDO (`event`, `requestForService`,
/// `requestAwareness`) is unwrapped; one carrying several is refused here (see [`import_all`]).
pub fn import(json: &str, source: &str) -> Result<Handover, String> {
    let mut all = import_all(json, source)?;
    if all.len() != 1 {
        return Err(refused(
            source,
            &format!("it carries {} EIDOs; give one", all.len()),
        ));
    }
    Ok(all.remove(0))
}

/// Every EIDO in a document: the document itself, or each EIDO a NENA-STA-024 message carries.
/// All are checked before any is returned.
///
/// What is read of each: the location (`locationDescriptionText`, the civic address of a
/// PIDF-LO `locationByValue` — in parts too — or the 2021-era object form; coordinates from a
/// `gml:pos`) of the incident, else of the call, else the first location given by value; the
/// caller's name (NIEM `name[].personFullName[].value`, or given, middle and surnames; the older
/// `PersonName` shape too) and callback (`tel:` URI, else `sip:`); the call type from the APCO
/// code (the local word in `incidentTypeInternalCode` decides between local types sharing a
/// code); the nature; the priority from `incidentCommonPriorityNumber` (0–10, 10 highest, see
/// [`codes`]), else the call's `priorityIdentifier`; the zone (`beatOrDispatchGroupText`); the
/// call's start time; each note with its author and time; and the comments of additional data
/// (RFC 7852 `EmergencyCallData.Comment`). A document with no incident component (a plain call
/// transfer) is taken when it has a call. Documents written to the EIDO JSON draft of 2020-11
/// (`EIDOVersion`) are read under that draft's names (see `Schema`).
pub fn import_all(json: &str, source: &str) -> Result<Vec<Handover>, String> {
    let fail = |reason: String| refused(source, &reason);
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(fail(too_big()));
    }
    let value: Value = serde_json::from_str(json).map_err(|e| fail(format!("not JSON ({e})")))?;
    let documents = super::envelope::eidos(&value).map_err(fail)?;
    documents
        .into_iter()
        .map(|(path, doc)| read_document(doc, &path).map_err(fail))
        .collect()
}

/// Reads one EIDO (already parsed); `path` is where it sits in its message (empty at the top).
pub fn read_value(doc: &Value, path: &str) -> Result<Handover, String> {
    read_document(doc, path)
}

fn refused(source: &str, reason: &str) -> String {
    format!("{source} was not imported: {reason}")
}

fn too_big() -> String {
    format!("it is over 1 MiB ({MAX_DOCUMENT_BYTES} bytes); an EIDO handover is far smaller")
}

fn read_document(value: &Value, top: &str) -> Result<Handover, String> {
    let Value::Object(root) = value else {
        return Err(format!(
            "{} is {}; an EIDO is a JSON object",
            if top.is_empty() { "the document" } else { top },
            kind(value)
        ));
    };
    let schema = Schema::of(root, top)?;

    let ip = at(top, "incidentComponent");
    let incident = match root.get("incidentComponent") {
        // The 2020 drafts wrote the incident as an array of one.
        Some(Value::Array(items)) if items.len() == 1 => match &items[0] {
            Value::Object(m) => Some(m),
            v => return Err(wrong(&format!("{ip}[0]"), v, "an object")),
        },
        Some(Value::Array(items)) if items.len() > 1 => {
            return Err(format!(
                "{ip} lists {} incidents; an EIDO describes one",
                items.len()
            ))
        }
        _ => opt_obj(root, "incidentComponent", top)?,
    };
    let calls = opt_objs(root, "callComponent", top)?;
    if incident.is_none() && calls.is_empty() {
        return Err(
            "it has neither an incidentComponent nor a callComponent, so there is no incident \
             to take"
                .into(),
        );
    }
    let locations = opt_objs(root, schema.location, top)?;
    let persons = opt_objs(root, schema.person, top)?;
    let callbacks = opt_objs(root, "callbackComponent", top)?;
    let notes = opt_objs(root, "notesComponent", top)?;
    let agents = if schema.draft_2020 {
        opt_objs(root, "agentComponent", top)?
    } else {
        Vec::new()
    };
    let extra = opt_objs(root, "additionalDataComponent", top)?;

    // What happened.
    let (code, internal_code, internal_text, priority_number, incident_id, internal_id, beat) =
        match incident {
            Some(i) => (
                opt_str(i, "incidentTypeCommonRegistryText", &ip)?,
                opt_str(i, "incidentTypeInternalCode", &ip)?,
                opt_str(i, "incidentTypeInternalText", &ip)?,
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
                id_of(i, &ip)?,
                opt_str(i, schema.internal_id, &ip)?,
                opt_str(i, "beatOrDispatchGroupText", &ip)?,
            ),
            None => (None, None, None, None, None, None, None),
        };
    let call_type = code.and_then(|c| local_type(c, internal_code));
    let priority_word = match calls.first() {
        Some((p, c)) => opt_str(c, "priorityIdentifier", p)?,
        None => None,
    };
    let priority = priority_number
        .and_then(codes::priority_from_number)
        .or(match priority_word {
            Some("highest") => crate::domain::Priority::new(1).ok(),
            Some("high") => crate::domain::Priority::new(2).ok(),
            Some("normal") => crate::domain::Priority::new(3).ok(),
            Some("low" | "lowest") => crate::domain::Priority::new(4).ok(),
            _ => None,
        });
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
    let zone = beat
        .map(|b| clean(&format!("{ip}.beatOrDispatchGroupText"), b, MAX_TEXT_BYTES))
        .transpose()?
        .filter(|b| !b.is_empty());

    // Where.
    let mut wanted: Vec<&str> = Vec::new();
    if let Some(i) = incident {
        wanted.extend(opt_refs(i, "locationReference", &ip)?);
    }
    for (p, c) in &calls {
        wanted.extend(opt_refs(c, "locationReference", p)?);
    }
    let (location, civic, coords) = pick_location(&locations, &wanted, schema)?;

    // Who called, and how to call them back.
    let mut person_refs: Vec<&str> = Vec::new();
    if let Some(i) = incident {
        person_refs.extend(opt_refs(i, "personReference", &ip)?);
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
    let callback = match calls.first() {
        Some((p, c)) if schema.draft_2020 => draft_2020_callback(c, p)?,
        _ => pick_callback(&callbacks, person_callback.or(call_callback))?,
    };

    // When it began.
    let started_ms = match calls.first() {
        Some((p, c)) if schema.draft_2020 => draft_2020_start(c, p)?,
        Some((p, c)) => match opt_str(c, "callStartTimestamp", p)? {
            Some(t) => Some(read_time(t).ok_or_else(|| {
                format!(
                    "{p}.callStartTimestamp {} is not an RFC 3339 time with a zone; when the call \
                     began is not clear",
                    quoted(t)
                )
            })?),
            None => None,
        },
        None => None,
    };

    // The notes, in the order given, with their authors and times; then the comments of the
    // additional data.
    let mut texts = Vec::with_capacity(notes.len());
    for (p, n) in &notes {
        let Some(html) = opt_str(n, "notesActionComments", p)? else {
            continue;
        };
        let what = format!("{p}.notesActionComments");
        let text = clean(&what, &html_to_text(html), MAX_TEXT_BYTES)?;
        if text.is_empty() {
            continue;
        }
        let by = match opt_ref(n, "agentReference", p)? {
            // The 2020 draft names agents by their component's $id; the agent is its
            // agentIdentification. Its prologue names the agent who wrote the note directly.
            Some(r) if schema.draft_2020 => Some(agent_named(&agents, r)?),
            Some(r) => Some(r),
            None if schema.draft_2020 => schema.prologue(n, "updatedByAgentIdentifier", p)?,
            None => opt_ref(n, "updatedByAgentReference", p)?,
        }
        .map(|a| clean(&format!("{p}.agentReference"), a, MAX_ID_BYTES))
        .transpose()?
        .filter(|a| !a.is_empty());
        let at_ms = schema
            .prologue(n, "lastUpdateTimeStamp", p)?
            .and_then(read_time);
        texts.push(IncomingNote { text, by, at_ms });
    }
    for (p, d) in &extra {
        let Some(xml) = opt_str(d, schema.data_by_value, p)? else {
            continue;
        };
        if let Some(comment) = pidf::element_text(xml, "Comment") {
            let what = format!("{p}.{} <Comment>", schema.data_by_value);
            let text = clean(
                &what,
                &super::text::decode_entities(comment),
                MAX_TEXT_BYTES,
            )?;
            if !text.is_empty() {
                texts.push(IncomingNote {
                    text: format!("additional data: {text}"),
                    by: None,
                    at_ms: schema
                        .prologue(d, "lastUpdateTimeStamp", p)?
                        .and_then(read_time),
                });
            }
        }
    }
    if texts.len() > MAX_NOTES {
        return Err(format!(
            "it has {} notes; at most {MAX_NOTES} are taken",
            texts.len()
        ));
    }

    // Who sent it, and under which id.
    let given = |s: &&str| !s.trim().is_empty();
    let sender = if schema.draft_2020 {
        // The 2020 draft names the owning agency in the prologue, and marks it among the
        // agencies; `issuingElementIdentification` names a functional element, not an agency.
        match schema
            .prologue(root, "owningAgencyIdentifier", top)?
            .filter(given)
        {
            Some(a) => Some(a),
            None => owning_agency(root, top)?,
        }
    } else {
        opt_ref(root, "updatedByAgencyReference", top)?.filter(given)
    };
    let agency = sender
        .or(opt_str(root, "issuingElementIdentification", top)?.filter(given))
        .unwrap_or("an unnamed agency");
    let agency = clean("the sending agency's id", agency, MAX_ID_BYTES)?;
    // The 2021 schema made the document's $id the incident tracking id; the 2020 draft gave it
    // its own field (and a $id of the header component).
    let tracking = if schema.draft_2020 {
        opt_str(root, "incidentTrackingIdentifier", top)?
    } else {
        id_of(root, top)?
    }
    .filter(given);
    let (first_id, second_id) = if schema.draft_2020 {
        (tracking, incident_id.filter(given))
    } else {
        (incident_id.filter(given), tracking)
    };
    let shown_id = internal_id
        .filter(given)
        .or(first_id)
        .or(second_id)
        .or(calls
            .first()
            .map(|(p, c)| id_of(c, p))
            .transpose()?
            .flatten()
            .filter(given))
        .unwrap_or("without an id");
    let shown_id = clean("the incident id", shown_id, MAX_ID_BYTES)?;
    let incident = tracking
        .map(|t| clean(schema.tracking, t, MAX_ID_BYTES))
        .transpose()?
        .unwrap_or_default();

    let call = NewCall {
        location,
        nature,
        call_type,
        priority,
        caller: caller_name,
        callback,
        zone,
        coords,
        civic: civic.map(Box::new),
        placed: None,
    };
    let size = call.location.len()
        + call.nature.len()
        + call.caller.as_ref().map_or(0, String::len)
        + call.callback.as_ref().map_or(0, String::len)
        + call.civic.as_ref().map_or(0, |c| {
            c.number.len() + c.street.len() + c.unit.len() + c.city.len() + c.postcode.len()
        });
    if size > MAX_CALL_TEXT_BYTES {
        return Err(format!(
            "its location, nature, caller and callback come to {size} bytes; one call holds at \
             most {MAX_CALL_TEXT_BYTES}"
        ));
    }
    Ok(Handover {
        call,
        started_ms,
        notes: texts,
        origin_note: format!("handed over from {agency} incident {shown_id} (EIDO)"),
        partner: agency,
        incident,
        request: None,
    })
}
