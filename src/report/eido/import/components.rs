//! The parts of a call read from a document's components: its type from the APCO code, the
//! location to take, the caller and their name (NIEM's shape or the older one), the callback.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::schema::Schema;
use crate::domain::text::MAX_TEXT_BYTES;
use crate::domain::{CallType, CivicAddress, Coords};
use crate::report::eido::json::{opt_obj, opt_objs, opt_str, opt_strs, wrong, Obj};
use crate::report::eido::pidf::{self, Place};
use crate::report::eido::text::{callback_from, clean};

/// The local type for an APCO code: the one whose word the sender also gave, else the type the
/// code means on its own (`CITASST` is a citizen assist), else none.
pub(super) fn local_type(code: &str, internal: Option<&str>) -> Option<CallType> {
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
pub(super) fn pick_location(
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
pub(super) fn pick_caller<'v>(
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
pub(super) fn person_name(person: &Obj, path: &str) -> Result<Option<String>, String> {
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
pub(super) fn pick_callback(
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
