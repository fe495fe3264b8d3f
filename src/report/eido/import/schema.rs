//! Which EIDO a document is: the field names of NENA-STA-021.1 as published or of the EIDO JSON
//! draft of 2020-11, and what only the draft needs read its own way (the owning agency, a
//! note's author, the callback, the start time).

use serde_json::Value;

use crate::report::eido::export::EIDO_VERSION;
use crate::report::eido::json::{at, opt_obj, opt_objs, opt_str, opt_strs, Obj};
use crate::report::eido::text::{callback_from, quoted, read_time};

/// The names a document's schema gives the fields read here: NENA-STA-021.1 as published
/// (2021 and later), or the EIDO JSON draft of 2020-11 (`EIDOVersion`, `…InformationComponent`,
/// `…URL`), which NENA's own first sample follows.
pub(super) struct Schema {
    pub(super) draft_2020: bool,
    pub(super) location: &'static str,
    pub(super) person: &'static str,
    pub(super) internal_id: &'static str,
    pub(super) by_reference: &'static str,
    pub(super) data_by_value: &'static str,
    /// Where the incident tracking id is.
    pub(super) tracking: &'static str,
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
    pub(super) fn of(root: &Obj, top: &str) -> Result<&'static Schema, String> {
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
    pub(super) fn prologue<'v>(
        &self,
        o: &'v Obj,
        key: &str,
        path: &str,
    ) -> Result<Option<&'v str>, String> {
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
pub(super) fn agent_named<'v>(
    agents: &[(String, &'v Obj)],
    reference: &'v str,
) -> Result<&'v str, String> {
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
pub(super) fn owning_agency<'v>(root: &'v Obj, top: &str) -> Result<Option<&'v str>, String> {
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
pub(super) fn draft_2020_callback(call: &Obj, p: &str) -> Result<Option<String>, String> {
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
pub(super) fn draft_2020_start(call: &Obj, p: &str) -> Result<Option<i64>, String> {
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
