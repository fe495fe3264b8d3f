//! A unit's own document: its status on the roster for a partner subscribed to it.

use serde_json::{json, Map, Value};

use crate::domain::{Capability, State, Unit};
use crate::report::eido::codes;
use crate::report::eido::text::{pct, time};

use super::{reference, CONTEXT, EIDO_VERSION};

/// An EIDO of one unit's status on the roster, for a partner subscribed to it (`resource`):
/// the agency, the unit as an agent and as an emergency resource, and the incident it is on.
pub fn resource_document(state: &State, replica: crate::domain::ReplicaId, unit: &Unit) -> Value {
    let agency = format!("urn:switchboard:{replica}");
    let agent = format!("{agency}:unit:{}", pct(unit.callsign.as_str()));
    let at = time(unit.status_ms);
    let capabilities: Vec<Capability> = unit.capabilities.iter().copied().collect();
    let words: Vec<&str> = capabilities.iter().map(|c| c.word()).collect();
    let (primary, secondary) = codes::roster_status(unit.status);
    let mut r = Map::new();
    r.insert("$id".into(), format!("{agent}:resource").into());
    r.insert("lastUpdateTimeStamp".into(), at.clone().into());
    r.insert("updatedByAgencyReference".into(), reference(&agency));
    r.insert(
        "emergencyResourceTypeCommonRegistryText".into(),
        codes::resource_type(&capabilities).into(),
    );
    r.insert(
        "emergencyResourceTypeInternalText".into(),
        words.join(",").into(),
    );
    r.insert(
        "resourceAttributeRegistryText".into(),
        json!(codes::attributes(&capabilities)),
    );
    r.insert("resourceAttributeInternalText".into(), json!(words));
    r.insert(
        "emergencyResourceName".into(),
        unit.callsign.as_str().into(),
    );
    r.insert("primaryUnitStatusRegistryText".into(), primary.into());
    r.insert("secondaryUnitStatusRegistryText".into(), json!(secondary));
    r.insert(
        "unitStatusInternal".into(),
        json!([format!("{} {at}", unit.status.word())]),
    );
    r.insert("agentReference".into(), json!([reference(&agent)]));
    if let Some(call) = unit.call.as_ref().and_then(|c| state.calls.get(c)) {
        r.insert(
            "activeOnIncidentId".into(),
            crate::domain::handoff::incident_id(state, call).into(),
        );
    }
    json!({
        "$id": format!("{agent}:status"),
        "lastUpdateTimeStamp": at,
        "updatedByAgencyReference": reference(&agency),
        "eidoVersion": EIDO_VERSION,
        "issuingElementIdentification": format!("{agency}:switchboard"),
        "emergencyResourceComponent": [r],
        "agencyComponent": [{
            "$id": agency,
            "lastUpdateTimeStamp": at,
            "updatedByAgencyReference": reference(&agency),
            "agencyRoleDescriptionRegistryText": ["Dispatching"],
            "agencyType": ["psap"],
        }],
        "agentComponent": [{
            "$id": agent,
            "lastUpdateTimeStamp": at,
            "updatedByAgencyReference": reference(&agency),
            "agentRoleRegistryText": ["Responder"],
            "agencyReference": reference(&agency),
        }],
        "@context": { "@vocab": CONTEXT },
    })
}
