//! Import: a document handed over by another centre, read into a [`Handover`] the desk takes
//! as a pending call (or as news about the call it already became). Everything is checked here,
//! before anything is written: what the desk would refuse later (text too long, control
//! characters, a call too large for one event) is refused now, with the field named.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use serde_json::Value;

use super::codes;
use super::export::EIDO_VERSION;
use super::json::{
    at, id_of, kind, opt_obj, opt_objs, opt_ref, opt_refs, opt_str, opt_strs, wrong, Obj,
};
use super::pidf::{self, Place};
use super::text::{clean, html_to_text, quoted, read_time};
use crate::domain::text::MAX_TEXT_BYTES;
use crate::domain::{CallType, Handover, IncomingNote, NewCall};
use crate::domain::{CivicAddress, Coords};

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

/// The names a document's schema gives the fields read here: NENA-STA-021.1 as published
/// (2021 and later), or the EIDO JSON draft of 2020-11 (`EIDOVersion`, `…InformationComponent`,
/// `…URL`), which NENA's own first sample follows.
struct Schema {
    draft_2020: bool,
    location: &'static str,
    person: &'static str,
    internal_id: &'static str,
    by_reference: &'static str,
    data_by_value: &'static str,
    /// Where the incident tracking id is.
    tracking: &'static str,
}

impl Schema {
    const CURRENT: Schema = Schema {
        draft_2020: false,
        location: "locationComponent",
        person: "personComponent",
        internal_id: "internalIncidentId",
        by_reference: "locationByReferenceUrl",
        data_by_value: "additionalDataByValue",
        tracking: "the document's $id",
    };
    const DRAFT_2020: Schema = Schema {
        draft_2020: true,
        location: "locationInformationComponent",
        person: "personInformationComponent",
        internal_id: "internalIncidentID",
        by_reference: "locationByReferenceURL",
        data_by_value: "additionalDataDetail",
        tracking: "incidentTrackingIdentifier",
    };

    /// The schema `root` follows, by how it spells its version.
    fn of(root: &Obj, top: &str) -> Result<&'static Schema, String> {
        let current = opt_str(root, "eidoVersion", top)?;
        let draft = opt_str(root, "EIDOVersion", top)?;
        let (key, version, schema, name) = match (current, draft) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{} has both eidoVersion (2021 and later) and EIDOVersion (the 2020 draft); \
                     which schema it follows is not clear",
                    if top.is_empty() { "it" } else { top }
                ))
            }
            (Some(v), None) => ("eidoVersion", v, &Self::CURRENT, ""),
            (None, Some(v)) => ("EIDOVersion", v, &Self::DRAFT_2020, " (the 2020 draft)"),
            (None, None) => {
                return Err(format!(
                    "{} has no eidoVersion; is it an EIDO?",
                    if top.is_empty() { "it" } else { top }
                ))
            }
        };
        if version != EIDO_VERSION {
            return Err(format!(
                "{} is {}; only {EIDO_VERSION}{name} is understood",
                at(top, key),
                quoted(version)
            ));
        }
        Ok(schema)
    }

    /// A string of a component's prologue (`lastUpdateTimeStamp`, `updatedByAgentIdentifier`,
    /// …). The 2020 schema spells these in camel case, its sample capitalised
    /// (`LastUpdateTimeStamp`): either is read, and both, when they differ, are refused.
    fn prologue<'v>(&self, o: &'v Obj, key: &str, path: &str) -> Result<Option<&'v str>, String> {
        let camel = opt_str(o, key, path)?;
        if !self.draft_2020 {
            return Ok(camel);
        }
        let mut chars = key.chars();
        let capital: String = chars
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(chars)
            .collect();
        match (camel, opt_str(o, &capital, path)?) {
            (Some(a), Some(b)) if a != b => Err(format!(
                "{} {} and {} {} differ; which is meant is not clear",
                at(path, key),
                quoted(a),
                capital,
                quoted(b)
            )),
            (a, b) => Ok(a.or(b)),
        }
    }
}

/// The agent a 2020 `agentReference` names: the `agentIdentification` of the agent component
/// with that `$id`, else the reference as given.
fn agent_named<'v>(agents: &[(String, &'v Obj)], reference: &'v str) -> Result<&'v str, String> {
    for (p, a) in agents {
        if a.get("$id").and_then(Value::as_str) == Some(reference) {
            if let Some(id) = opt_str(a, "agentIdentification", p)?.filter(|s| !s.trim().is_empty())
            {
                return Ok(id);
            }
        }
    }
    Ok(reference)
}

/// The agency a 2020 document marks as owning the incident (`incidentOwningAgencyIndicator`).
fn owning_agency<'v>(root: &'v Obj, top: &str) -> Result<Option<&'v str>, String> {
    for (p, a) in opt_objs(root, "agencyComponent", top)? {
        if a.get("incidentOwningAgencyIndicator") == Some(&Value::Bool(true)) {
            return Ok(
                opt_str(a, "organizationIdentification", &p)?.filter(|s| !s.trim().is_empty())
            );
        }
    }
    Ok(None)
}

/// The callback of a 2020 call: the caller's (`callerCallBackInformationURL`), else the first
/// updated number (`updatedCBN[].updatedCBNIdentifierURI`), else the device's
/// (`deviceCallBackInformationURL`, which the draft says lasts a limited time).
fn draft_2020_callback(call: &Obj, p: &str) -> Result<Option<String>, String> {
    if let Some(uri) = opt_str(call, "callerCallBackInformationURL", p)? {
        return callback_from(&[uri], &at(p, "callerCallBackInformationURL"));
    }
    for (up, u) in opt_objs(call, "updatedCBN", p)? {
        if let Some(uri) = opt_str(u, "updatedCBNIdentifierURI", &up)? {
            return callback_from(&[uri], &at(&up, "updatedCBNIdentifierURI"));
        }
    }
    let device = opt_strs(call, "deviceCallBackInformationURL", p)?;
    callback_from(&device, &at(p, "deviceCallBackInformationURL"))
}

/// When a 2020 call began: the NIEM date range `activityDateRange.startDate[]`, each a
/// `time[].value` or `zuluTime[].simpleType`. A start given only as a day, or as two
/// different times, or as a time without a zone, is refused: when the call began is not clear.
fn draft_2020_start(call: &Obj, p: &str) -> Result<Option<i64>, String> {
    let rp = at(p, "activityDateRange");
    let Some(range) = opt_obj(call, "activityDateRange", p)? else {
        return Ok(None);
    };
    let starts = opt_objs(range, "startDate", &rp)?;
    let mut found: Option<(String, &str)> = None;
    for (sp, start) in &starts {
        let mut times = Vec::new();
        for (tp, t) in opt_objs(start, "time", sp)? {
            times.extend(opt_str(t, "value", &tp)?.map(|v| (at(&tp, "value"), v)));
        }
        for (zp, z) in opt_objs(start, "zuluTime", sp)? {
            times.extend(opt_str(z, "simpleType", &zp)?.map(|v| (at(&zp, "simpleType"), v)));
        }
        if times.is_empty() {
            return Err(format!(
                "{sp} gives no time (time or zuluTime); when the call began is not clear"
            ));
        }
        for (tp, t) in times {
            match &found {
                Some((_, f)) if *f != t => {
                    return Err(format!(
                        "{rp}.startDate gives two different times, {} and {}; when the call \
                         began is not clear",
                        quoted(f),
                        quoted(t)
                    ))
                }
                Some(_) => {}
                None => found = Some((tp, t)),
            }
        }
    }
    match found {
        None => Ok(None),
        Some((tp, t)) => read_time(t).map(Some).ok_or_else(|| {
            format!(
                "{tp} {} is not an RFC 3339 time with a zone; when the call began is not clear",
                quoted(t)
            )
        }),
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

type Picked = (String, Option<CivicAddress>, Option<Coords>);

/// The location to take: one the incident or call points to, else the first given by value.
fn pick_location(
    locations: &[(String, &Obj)],
    wanted: &[&str],
    schema: &Schema,
) -> Result<Picked, String> {
    if locations.is_empty() {
        return Err(format!(
            "it has no {}; a call needs a location",
            schema.location
        ));
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
        let what = format!("{p}.locationByValue");
        let place = match l.get("locationByValue") {
            None | Some(Value::Null) => Place::default(),
            Some(Value::String(xml)) if xml.trim().is_empty() => Place::default(),
            Some(Value::String(xml)) => {
                let place = pidf::read(xml, &what)?;
                // Given, but nothing in it can be read: a team must not go by a guess.
                if place.text.is_none() && place.civic.is_none() && place.coords.is_none() {
                    return Err(format!(
                        "{what} holds no civic address or position that can be read; is it a \
                         PIDF-LO document?"
                    ));
                }
                place
            }
            Some(Value::Object(o)) => pidf::read_object(o, &what)?,
            Some(v) => return Err(wrong(&what, v, "a string (a PIDF-LO document)")),
        };
        if opt_str(l, schema.by_reference, p)?.is_some() {
            by_reference = true;
        }
        let text = match (place.text, description) {
            (Some(c), Some(d)) if c == d || c.contains(&d) => Some(c),
            (Some(c), Some(d)) => Some(format!("{c} ({d})")),
            (Some(t), None) | (None, Some(t)) => Some(t),
            (None, None) => None,
        };
        let text = match (text, &place.coords) {
            (Some(t), _) => t,
            (None, Some(c)) => format!("{},{}", c.lat, c.lon),
            (None, None) => continue,
        };
        let text = clean(&format!("{p} (the address)"), &text, MAX_TEXT_BYTES)?;
        return Ok((text, place.civic, place.coords));
    }
    if by_reference {
        Err(format!(
            "its location is only given by reference ({}), which Switchboard does not fetch",
            schema.by_reference
        ))
    } else {
        Err(format!(
            "no {} gives an address or coordinates",
            schema.location
        ))
    }
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

/// The caller's name. NIEM's shape first: `name[]` of `nc:PersonNameType`, each part an array
/// of `{"value": …}` — the full name, else the given, middle and surnames. The shape Switchboard
/// wrote before (`PersonName.PersonFullName`, with or without `nc:` prefixes) is still read.
fn person_name(person: &Obj, path: &str) -> Result<Option<String>, String> {
    let p = format!("{path}.ncPersonComponent");
    let Some(nc) = opt_obj(person, "ncPersonComponent", path)? else {
        return Ok(None);
    };
    if nc.contains_key("name") {
        return niem_name(nc, &p);
    }
    legacy_name(nc, &p)
}

fn niem_name(nc: &Obj, p: &str) -> Result<Option<String>, String> {
    // The values of one part (`personFullName`: [{"value": "Ana Ortiz"}]), joined.
    let part = |name: &Obj, key: &str, np: &str| -> Result<Option<String>, String> {
        let mut values = Vec::new();
        for (vp, v) in opt_objs(name, key, np)? {
            if let Some(s) = opt_str(v, "value", &vp)? {
                let s = clean(&format!("{vp}.value"), s, MAX_TEXT_BYTES)?;
                if !s.is_empty() {
                    values.push(s);
                }
            }
        }
        Ok((!values.is_empty()).then(|| values.join(" ")))
    };
    for (np, name) in opt_objs(nc, "name", p)? {
        if let Some(full) = part(name, "personFullName", &np)? {
            return Ok(Some(full));
        }
        let parts: Vec<String> = [
            part(name, "personGivenName", &np)?,
            part(name, "personMiddleName", &np)?,
            part(name, "personSurName", &np)?,
        ]
        .into_iter()
        .flatten()
        .collect();
        if !parts.is_empty() {
            return clean(&np, &parts.join(" "), MAX_TEXT_BYTES).map(Some);
        }
    }
    Ok(None)
}

fn legacy_name(nc: &Obj, p: &str) -> Result<Option<String>, String> {
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
    let Some((np, name)) = get_obj(nc, "PersonName", p)? else {
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
    callback_from(&uris, &format!("{p}.callBackInformationUri"))
}

/// The number to call back among `uris`: a `tel:` URI's number (without parameters), else a
/// `sip:` URI as given.
fn callback_from(uris: &[&str], what: &str) -> Result<Option<String>, String> {
    if let Some(tel) = uris.iter().find_map(|u| {
        u.trim()
            .strip_prefix("tel:")
            .or(u.trim().strip_prefix("TEL:"))
    }) {
        let number = tel.split(';').next().unwrap_or(tel);
        return clean(what, number, MAX_TEXT_BYTES).map(|n| Some(n).filter(|n| !n.is_empty()));
    }
    if let Some(sip) = uris.iter().find(|u| {
        let u = u.trim().to_ascii_lowercase();
        u.starts_with("sip:") || u.starts_with("sips:")
    }) {
        return clean(what, sip, MAX_TEXT_BYTES).map(|n| Some(n).filter(|n| !n.is_empty()));
    }
    Ok(None)
}
