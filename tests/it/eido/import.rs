//! Import: the NENA samples (the 2020 draft's, 2021 and 2022), documents written by others, EIDOs inside
//! NENA-STA-024 messages, and everything a hand-over carries kept; hostile documents refused.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use switchboard::domain::{CallType, CivicAddress, Handover, IncomingNote, NewCall, Priority};
use switchboard::report::eido;

use super::{export_one, fixture, read_json, shared, shift, time, T0};

/// The texts of a hand-over's notes.
fn texts(h: &Handover) -> Vec<&str> {
    h.notes.iter().map(|n| n.text.as_str()).collect()
}

#[test]
fn a_round_trip_keeps_location_caller_nature_type_and_notes() {
    let (h, crisis, _) = shift();
    let doc = export_one(&h, &crisis);
    let call = &h.state().calls[&crisis];
    let imported = eido::import(&doc.to_string(), "crisis.json").unwrap();
    let new = &imported.call;
    assert_eq!(new.location, call.location);
    assert_eq!(new.coords, call.coords);
    assert_eq!(new.nature, call.nature);
    assert_eq!(new.call_type, call.call_type);
    assert_eq!(new.priority, Some(call.priority));
    assert_eq!(new.caller, call.caller);
    assert_eq!(new.callback, call.callback);
    assert_eq!(new.zone, call.zone);
    let typed: Vec<String> = call
        .notes
        .iter()
        .map(|n| {
            if n.caution {
                format!("CAUTION: {}", n.text)
            } else {
                n.text.clone()
            }
        })
        .collect();
    assert_eq!(texts(&imported), typed);
    // Each note keeps its time; the author is the agent the document names.
    for (n, have) in imported.notes.iter().zip(&call.notes) {
        assert_eq!(n.at_ms, Some(have.wall_ms));
        assert_eq!(
            n.by.as_deref(),
            Some(
                format!(
                    "urn:switchboard:0000000000000001:agent:{}",
                    have.operator.replace(' ', "%20")
                )
                .as_str()
            )
        );
    }
    assert_eq!(imported.started_ms, Some(call.received_ms));
    assert_eq!(imported.partner, "urn:switchboard:0000000000000001");
    assert_eq!(
        imported.origin_note,
        format!("handed over from urn:switchboard:0000000000000001 incident {crisis} (EIDO)")
    );
    assert_eq!(
        imported.incident,
        format!("urn:emergency:uid:incidentid:{crisis}:0000000000000001")
    );

    // Every local type survives, including the two that share CITASST.
    for t in CallType::ALL {
        let mut d = doc.clone();
        d["incidentComponent"]["incidentTypeCommonRegistryText"] = json!(t.apco());
        d["incidentComponent"]["incidentTypeInternalCode"] = json!(t.word());
        let back = eido::import(&d.to_string(), "t.json").unwrap();
        assert_eq!(back.call.call_type, Some(*t));
    }
}

#[test]
fn apco_codes_map_back_to_local_types() {
    let (h, crisis, _) = shift();
    let doc = export_one(&h, &crisis);
    let kind = |code: &str, internal: Option<&str>| {
        let mut d = doc.clone();
        d["incidentComponent"]["incidentTypeCommonRegistryText"] = json!(code);
        match internal {
            Some(w) => d["incidentComponent"]["incidentTypeInternalCode"] = json!(w),
            None => {
                d["incidentComponent"]
                    .as_object_mut()
                    .unwrap()
                    .remove("incidentTypeInternalCode");
            }
        }
        eido::import(&d.to_string(), "t.json")
            .unwrap()
            .call
            .call_type
    };
    assert_eq!(kind("EDP", None), Some(CallType::BhCrisis));
    assert_eq!(kind("OD", Some("10-56")), Some(CallType::Overdose));
    assert_eq!(kind("CITASST", None), Some(CallType::Assist));
    assert_eq!(
        kind("CITASST", Some("unsheltered")),
        Some(CallType::Unsheltered)
    );
    // A local word that contradicts the code does not win.
    assert_eq!(kind("WELFARE", Some("weapon")), Some(CallType::Welfare));
    assert_eq!(kind("FSTRU", None), None);
    assert_eq!(kind(eido::UNTYPED_APCO, None), None);
}

#[test]
fn a_handover_from_a_911_centre_becomes_a_call() {
    let text = std::fs::read_to_string(fixture("handover-from-911.json")).unwrap();
    let imported = eido::import(&text, "handover-from-911.json").unwrap();
    let call = &imported.call;
    assert_eq!(
        call.location,
        "1400 Colfax Ave, Millbrook, CO (bus shelter, north side)"
    );
    let coords = call.coords.as_ref().unwrap();
    assert_eq!((coords.lat, coords.lon), (39.7402, -104.9871));
    assert_eq!(call.nature, "Man shouting at traffic, not violent");
    assert_eq!(call.call_type, Some(CallType::BhCrisis));
    // 7 on the 0–10 scale is our P2 (the call's "high" agrees).
    assert_eq!(call.priority, Some(Priority::new(2).unwrap()));
    assert_eq!(call.caller.as_deref(), Some("Ana Ortiz"));
    assert_eq!(call.callback.as_deref(), Some("+1-303-555-0142"));
    assert_eq!(call.zone, None);
    assert_eq!(
        call.civic.as_deref(),
        Some(&CivicAddress {
            number: "1400".into(),
            street: "Colfax Ave".into(),
            city: "Millbrook".into(),
            ..CivicAddress::default()
        })
    );
    assert_eq!(
        texts(&imported),
        vec![
            "Caller is a shop owner; man is not armed & has been there 20 min.",
            "Caller will wait at the shop door.",
        ]
    );
    // The notes name no agent: their author is the sending agency, their time its own.
    assert_eq!(
        imported.notes[0],
        IncomingNote {
            text: texts(&imported)[0].to_owned(),
            by: None,
            at_ms: Some(1_772_485_380_000),
        }
    );
    assert_eq!(imported.started_ms, Some(1_772_485_320_000));
    assert_eq!(imported.partner, "psap.millbrook.example");
    assert_eq!(
        imported.incident,
        "urn:emergency:uid:incidentid:2026-004411:psap.millbrook.example"
    );
    assert_eq!(
        imported.origin_note,
        "handed over from psap.millbrook.example incident 2026-004411 (EIDO)"
    );
}

/// What NENA's sample call transfer is, in every version since 2021.
fn sample_handover() -> Handover {
    Handover {
        call: NewCall {
            location: "42 W Cellular Street, Wilmington, DE".into(),
            nature: "call transferred by EIDO; no incident type given".into(),
            call_type: None,
            priority: None,
            caller: None,
            callback: Some("8195551212".into()),
            zone: None,
            coords: None,
            civic: Some(Box::new(CivicAddress {
                number: "42".into(),
                street: "W Cellular Street".into(),
                city: "Wilmington".into(),
                ..CivicAddress::default()
            })),
            placed: None,
        },
        // 2021-04-30T14:40:00-04:00
        started_ms: Some(1_619_808_000_000),
        notes: vec![IncomingNote {
            text: "additional data: This is an example text.".into(),
            by: None,
            at_ms: Some(1_619_808_000_000),
        }],
        partner: "state.pa.us".into(),
        incident: "urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us".into(),
        origin_note: "handed over from state.pa.us incident \
                      urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us (EIDO)"
            .into(),
        request: None,
    }
}

#[test]
fn the_nena_sample_call_transfer_imports_as_a_call_to_triage() {
    // The sample is a call transfer: a call with a caller's callback, a routing location and
    // additional data, but no incident component. It is taken, with a nature that says the type
    // is still unknown, its start time, and the comment of its additional data as a note.
    let text = std::fs::read_to_string(shared().join("sample-call-transfer.json")).unwrap();
    let imported = eido::import(&text, "sample-call-transfer.json").unwrap();
    assert_eq!(imported, sample_handover());
}

#[test]
fn the_2021_versions_of_the_sample_import_the_same() {
    // 2021-05: the person's callBackReference is an array of one reference (the 2021 schema);
    // 2021-08 and 2021-12: editorial fixes. Their times are in UTC where 2022's are in -04:00.
    for version in ["2021-05-04", "2021-08-17", "2021-12-27"] {
        let name = format!("sample-call-transfer-{version}.json");
        let text = std::fs::read_to_string(shared().join(&name)).unwrap();
        let imported = eido::import(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(imported, sample_handover(), "{name}");
    }
    // Where a 2021 document's meaning is not clear, the field is named.
    let mut doc = read_json(&shared().join("sample-call-transfer-2021-05-04.json"));
    doc["personComponent"][0]["callBackReference"] =
        json!([{ "$ref": "cb-a" }, { "$ref": "cb-b" }]);
    assert_eq!(
        eido::import(&doc.to_string(), "x.json").unwrap_err(),
        "x.json was not imported: personComponent[0].callBackReference lists 2 different \
         references where one is expected; which is meant is not clear"
    );
    let mut doc = read_json(&shared().join("sample-call-transfer.json"));
    doc["callComponent"][0]["callStartTimestamp"] = json!("2021-04-30T18:40:00.0");
    assert_eq!(
        eido::import(&doc.to_string(), "x.json").unwrap_err(),
        "x.json was not imported: callComponent[0].callStartTimestamp '2021-04-30T18:40:00.0' \
         is not an RFC 3339 time with a zone; when the call began is not clear"
    );
}

/// NENA's first sample, written to the EIDO JSON draft of 2020-11.
const SAMPLE_2020: &str = "sample-eido-2020-11-17.json";

#[test]
fn the_2020_draft_sample_imports_as_a_pending_call_with_everything_kept() {
    // The 2020 draft spells the version EIDOVersion, gives the tracking id its own field,
    // names the owning agency in the prologue, and lists locations in
    // locationInformationComponent. Its sample is an incident of a known type and the highest
    // priority, at a point given as a 3D position in a PIDF-LO.
    let text = std::fs::read_to_string(shared().join(SAMPLE_2020)).unwrap();
    let imported = eido::import(&text, SAMPLE_2020).unwrap_or_else(|e| panic!("{e}"));
    let tracking = "urn:emergency:uid:incidentid:0:psap.allegheny.pa.us";
    assert_eq!(
        imported,
        Handover {
            call: NewCall {
                location: "40.441345,-80.000266".into(),
                nature: "CIVIL UNREST; REQUEST MUTUAL AID".into(),
                // CU1 is no type of ours: the call goes to triage untyped.
                call_type: None,
                // 10 on the 0–10 scale ("10: VERY HIGH PRIORITY").
                priority: Some(Priority::new(1).unwrap()),
                caller: None,
                callback: None,
                zone: None,
                coords: Some(switchboard::domain::Coords {
                    lat: 40.441_345,
                    lon: -80.000_266,
                }),
                civic: None,
                placed: None,
            },
            started_ms: None,
            notes: Vec::new(),
            partner: "psap.allegheny.pa.us".into(),
            incident: tracking.into(),
            origin_note: format!(
                "handed over from psap.allegheny.pa.us incident {tracking} (EIDO)"
            ),
            request: None,
        }
    );
    // Taken by the desk, it is a pending call that keeps it all.
    let mut h = super::History::new();
    h.desk().take_handover(&imported).unwrap();
    let call = h.state().calls.values().next().unwrap();
    assert_eq!(call.status, switchboard::domain::CallStatus::Pending);
    assert_eq!(call.priority, Priority::new(1).unwrap());
    assert_eq!(call.location, "40.441345,-80.000266");
    assert_eq!(call.nature, "CIVIL UNREST; REQUEST MUTUAL AID");
    assert_eq!(
        call.handed_in().map(|x| x.incident.as_str()),
        Some(tracking)
    );
}

/// The 2020 sample with what a call transfer adds, in the 2020 draft's shape: a call with its
/// start as a NIEM date range and the caller's callback, a caller in
/// personInformationComponent, notes whose prologue is capitalised as in the sample, and
/// additional data by value in additionalDataDetail.
fn sample_2020_with_a_call() -> Value {
    let mut doc = read_json(&shared().join(SAMPLE_2020));
    let agent = "incidentid:0:psap.allegheny.pa.us:agent:0";
    doc["incidentComponent"][0]["internalIncidentID"] = json!("2020-0042");
    doc["incidentComponent"][0]["beatOrDispatchGroupText"] = json!("Zone 3");
    doc["incidentComponent"][0]["personReference"] = json!([{ "$ref": "p1" }]);
    doc["callComponent"] = json!([{
        "$id": "incidentid:0:psap.allegheny.pa.us:call:0",
        "LastUpdateTimeStamp": "2020-10-29T18:40:04.338Z",
        "callIdentifier": "urn:emergency:uid:callid:0:psap.allegheny.pa.us",
        "callStatusRegistryText": "Connected",
        "callTypeDescriptionRegistryText": "Voice",
        "activityDateRange": { "startDate": [{ "time": [{ "value": "2020-10-29T18:38:12Z" }] }] },
        "deviceCallBackInformationURL": ["sip:device@carrier.example"],
        "callerCallBackInformationURL": "tel:+14125550175;verstat=TN-Validation-Passed",
        "deviceContactHeader": "<sip:device@carrier.example>"
    }]);
    doc["personInformationComponent"] = json!([
        {
            "$id": "p0",
            "LastUpdateTimeStamp": "2020-10-29T18:40:04.338Z",
            "personIncidentRoleRegistryText": ["Witness"],
            "ncPersonComponent": { "name": [{ "personFullName": [{ "value": "Not The Caller" }] }] }
        },
        {
            "$id": "p1",
            "LastUpdateTimeStamp": "2020-10-29T18:40:04.338Z",
            "personIncidentRoleRegistryText": ["Caller"],
            "ncPersonComponent": { "name": [{
                "personGivenName": [{ "value": "Ravi" }],
                "personSurName": [{ "value": "Patel" }]
            }] }
        }
    ]);
    doc["notesComponent"] = json!([
        {
            "$id": "n0",
            "LastUpdateTimeStamp": "2020-10-29T18:39:00Z",
            "notesActionComments": "Crowd of about 40 at the corner; caller is inside the shop.",
            "agentReference": { "$ref": agent }
        },
        {
            "$id": "n1",
            "lastUpdateTimeStamp": "2020-10-29T18:39:30Z",
            "UpdatedByAgentIdentifier": "tom.jones@psap.allegheny.pa.us",
            "notesActionComments": "Police staging two blocks north."
        }
    ]);
    doc["additionalDataComponent"] = json!([{
        "$id": "a0",
        "LastUpdateTimeStamp": "2020-10-29T18:38:30Z",
        "additionalDataDetail": "<EmergencyCallData.Comment><Comment>Caller uses a wheelchair.</Comment></EmergencyCallData.Comment>"
    }]);
    doc
}

#[test]
fn a_2020_draft_call_keeps_its_caller_callback_start_and_notes_with_authors_and_times() {
    let doc = sample_2020_with_a_call();
    let imported = eido::import(&doc.to_string(), "draft.json").unwrap_or_else(|e| panic!("{e}"));
    let call = &imported.call;
    assert_eq!(call.caller.as_deref(), Some("Ravi Patel"));
    assert_eq!(call.callback.as_deref(), Some("+14125550175"));
    assert_eq!(call.zone.as_deref(), Some("Zone 3"));
    assert_eq!(call.priority, Some(Priority::new(1).unwrap()));
    // 2020-10-29T18:38:12Z
    assert_eq!(imported.started_ms, Some(1_603_996_692_000));
    assert_eq!(
        imported.notes,
        vec![
            IncomingNote {
                text: "Crowd of about 40 at the corner; caller is inside the shop.".into(),
                // The reference names the agent component; the agent is its identification.
                by: Some("dern.handy@psap.allegheny.pa.us".into()),
                at_ms: Some(1_603_996_740_000),
            },
            IncomingNote {
                text: "Police staging two blocks north.".into(),
                by: Some("tom.jones@psap.allegheny.pa.us".into()),
                at_ms: Some(1_603_996_770_000),
            },
            IncomingNote {
                text: "additional data: Caller uses a wheelchair.".into(),
                by: None,
                at_ms: Some(1_603_996_710_000),
            },
        ]
    );
    assert_eq!(
        imported.origin_note,
        "handed over from psap.allegheny.pa.us incident 2020-0042 (EIDO)"
    );
    assert_eq!(
        imported.incident,
        "urn:emergency:uid:incidentid:0:psap.allegheny.pa.us"
    );
    // Without the caller's own number, the updated one, else the device's.
    let mut updated = doc.clone();
    let c = updated["callComponent"][0].as_object_mut().unwrap();
    c.remove("callerCallBackInformationURL");
    c.insert(
        "updatedCBN".into(),
        json!([{ "updatedCBNIdentifierURI": "tel:+14125550999" }]),
    );
    let imported = eido::import(&updated.to_string(), "draft.json").unwrap();
    assert_eq!(imported.call.callback.as_deref(), Some("+14125550999"));
    updated["callComponent"][0]
        .as_object_mut()
        .unwrap()
        .remove("updatedCBN");
    let imported = eido::import(&updated.to_string(), "draft.json").unwrap();
    assert_eq!(
        imported.call.callback.as_deref(),
        Some("sip:device@carrier.example")
    );
    // Taken by the desk: the call's start and each note's author and time are kept.
    let mut h = super::History::new();
    let handover = eido::import(&doc.to_string(), "draft.json").unwrap();
    h.desk().take_handover(&handover).unwrap();
    let call = h.state().calls.values().next().unwrap();
    assert_eq!(call.status, switchboard::domain::CallStatus::Pending);
    assert_eq!(call.caller.as_deref(), Some("Ravi Patel"));
    assert_eq!(call.started_ms, Some(1_603_996_692_000));
    let written: Vec<_> = call
        .notes
        .iter()
        .filter_map(|n| n.written.as_ref().map(|w| (w.by.as_str(), w.at_ms)))
        .collect();
    assert_eq!(
        written,
        vec![
            ("dern.handy@psap.allegheny.pa.us", 1_603_996_740_000),
            ("tom.jones@psap.allegheny.pa.us", 1_603_996_770_000),
            ("psap.allegheny.pa.us", 1_603_996_710_000),
        ]
    );
}

#[test]
fn a_2020_draft_field_whose_meaning_is_not_clear_is_refused_by_name() {
    let refused = |doc: &Value| eido::import(&doc.to_string(), "d.json").unwrap_err();
    let base = sample_2020_with_a_call();
    let mut doc = base.clone();
    doc["eidoVersion"] = json!("1.0");
    assert_eq!(
        refused(&doc),
        "d.json was not imported: it has both eidoVersion (2021 and later) and EIDOVersion \
         (the 2020 draft); which schema it follows is not clear"
    );
    let mut doc = base.clone();
    doc["EIDOVersion"] = json!("0.9");
    assert_eq!(
        refused(&doc),
        "d.json was not imported: EIDOVersion is '0.9'; only 1.0 (the 2020 draft) is understood"
    );
    let mut doc = base.clone();
    doc["callComponent"][0]["activityDateRange"] =
        json!({ "startDate": [{ "date": [{ "value": "2020-10-29" }] }] });
    assert_eq!(
        refused(&doc),
        "d.json was not imported: callComponent[0].activityDateRange.startDate[0] gives no time \
         (time or zuluTime); when the call began is not clear"
    );
    let mut doc = base.clone();
    doc["callComponent"][0]["activityDateRange"]["startDate"][0]["time"] =
        json!([{ "value": "2020-10-29T18:38:12Z" }, { "value": "2020-10-29T18:39:12Z" }]);
    assert_eq!(
        refused(&doc),
        "d.json was not imported: callComponent[0].activityDateRange.startDate gives two \
         different times, '2020-10-29T18:38:12Z' and '2020-10-29T18:39:12Z'; when the call \
         began is not clear"
    );
    let mut doc = base.clone();
    doc["callComponent"][0]["activityDateRange"]["startDate"][0]["time"][0]["value"] =
        json!("2020-10-29T18:38:12");
    assert_eq!(
        refused(&doc),
        "d.json was not imported: callComponent[0].activityDateRange.startDate[0].time[0].value \
         '2020-10-29T18:38:12' is not an RFC 3339 time with a zone; when the call began is not \
         clear"
    );
    let mut doc = base.clone();
    doc["notesComponent"][0]["lastUpdateTimeStamp"] = json!("2020-10-29T18:39:59Z");
    assert_eq!(
        refused(&doc),
        "d.json was not imported: notesComponent[0].lastUpdateTimeStamp '2020-10-29T18:39:59Z' \
         and LastUpdateTimeStamp '2020-10-29T18:39:00Z' differ; which is meant is not clear"
    );
    // A 2020 document's locations are in locationInformationComponent; the message says so.
    let mut doc = base.clone();
    doc.as_object_mut()
        .unwrap()
        .remove("locationInformationComponent");
    assert_eq!(
        refused(&doc),
        "d.json was not imported: it has no locationInformationComponent; a call needs a location"
    );
    let mut doc = base;
    doc["locationInformationComponent"][0] = json!({
        "$id": "l0",
        "locationTypeDescriptionRegistryText": "CurrentIncident",
        "locationByReferenceURL": "https://lis.example/l0"
    });
    assert_eq!(
        refused(&doc),
        "d.json was not imported: its location is only given by reference \
         (locationByReferenceURL), which Switchboard does not fetch"
    );
}

#[test]
fn a_location_given_as_an_object_is_read_where_its_meaning_is_plain() {
    // Some generators written to the 2021 schema put an object where the PIDF-LO goes.
    let doc = read_json(&fixture("location-as-object.json"));
    let imported = eido::import(&doc.to_string(), "o.json").unwrap();
    assert_eq!(imported.call.location, "1201 Main St, Independence, MO");
    let c = imported.call.coords.unwrap();
    assert_eq!((c.lat, c.lon), (39.0911, -94.4155));
    assert_eq!(imported.call.civic.unwrap().postcode, "64050");
    assert_eq!(imported.call.priority, Priority::new(1).ok());
    let mut odd = doc.clone();
    odd["locationComponent"][0]["locationByValue"] = json!({ "geometry": [1, 2] });
    assert_eq!(
        eido::import(&odd.to_string(), "o.json").unwrap_err(),
        "o.json was not imported: locationComponent[0].locationByValue is an object with \
         'geometry', which is not a location this reader knows; send a PIDF-LO document (a \
         string)"
    );
}

#[test]
fn a_name_in_the_niem_shape_imports_with_everything_kept() {
    let doc = read_json(&fixture("niem-name.json"));
    let imported = eido::import(&doc.to_string(), "niem.json").unwrap();
    assert_eq!(imported.call.caller.as_deref(), Some("Dana Q. Reyes"));
    assert_eq!(imported.call.zone.as_deref(), Some("D4"));
    assert_eq!(imported.call.callback.as_deref(), Some("+13035550199"));
    assert_eq!(imported.started_ms, Some(1_772_485_320_000));
    assert_eq!(
        imported.notes,
        vec![
            IncomingNote {
                text: "Caller's brother, says she has not slept in three days.".into(),
                by: Some("mlopez@psap.millbrook.example".into()),
                at_ms: Some(1_772_485_380_000),
            },
            IncomingNote {
                text: "No weapons in the home per caller.".into(),
                by: Some("mlopez@psap.millbrook.example".into()),
                at_ms: Some(1_772_485_440_000),
            },
            IncomingNote {
                text: "additional data: Caller prefers Spanish.".into(),
                by: None,
                at_ms: Some(1_772_485_350_000),
            },
        ]
    );
    // Given, middle and surnames when there is no full name.
    let mut parts = doc.clone();
    parts["personComponent"][0]["ncPersonComponent"] = json!({ "name": [{
        "personGivenName": [{ "value": "Dana" }],
        "personSurName": [{ "value": "Reyes" }],
    }] });
    let imported = eido::import(&parts.to_string(), "niem.json").unwrap();
    assert_eq!(imported.call.caller.as_deref(), Some("Dana Reyes"));
}

#[test]
fn an_eido_inside_a_sta024_message_is_unwrapped() {
    let eido_doc = read_json(&fixture("handover-from-911.json"));
    let direct = eido::import(&eido_doc.to_string(), "d.json").unwrap();
    let notify = read_json(&fixture("notify-event.json"));
    let all = eido::import_all(&notify.to_string(), "event.json").unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], direct);
    assert_eq!(all[1].call.location, "42 W Cellular Street, Wilmington, DE");
    for (name, message) in [
        (
            "requestForService",
            json!({ "requestForService": { "requestId": "r1", "eido": eido_doc } }),
        ),
        (
            "requestAwarenes",
            json!({ "requestAwarenes": { "requestId": "r2", "eido": eido_doc } }),
        ),
    ] {
        assert_eq!(
            eido::import(&message.to_string(), name).unwrap(),
            direct,
            "{name}"
        );
    }
    for (message, why) in [
        (
            json!({ "event": { "subscriptionId": "s", "transactionId": "t", "notification": [] } }),
            "the event message carries no EIDO (event.notification is empty)",
        ),
        (
            json!({ "subscribe": { "requestId": "x" } }),
            "it is a NENA-STA-024 subscribe message, which carries no EIDO",
        ),
        (
            json!({ "requestForService": { "requestId": "r", "eido": [1] } }),
            "requestForService.eido is an array; expected an EIDO object",
        ),
        (
            json!({ "event": { "notification": [{ "eidoVersion": "9" }] } }),
            "event.notification[0].eidoVersion is '9'; only 1.0 is understood",
        ),
    ] {
        assert_eq!(
            eido::import_all(&message.to_string(), "m.json").unwrap_err(),
            format!("m.json was not imported: {why}")
        );
    }
    // Two EIDOs where one is asked for.
    assert_eq!(
        eido::import(&notify.to_string(), "event.json").unwrap_err(),
        "event.json was not imported: it carries 2 EIDOs; give one"
    );
}

#[test]
fn a_gazetteer_placed_call_exports_its_address_in_parts_and_imports_them() {
    let (mut h, _, _) = shift();
    let gazetteer = switchboard::places::Gazetteer::demo_town();
    let desk = h.desk.take().unwrap().with_gazetteer(Some(gazetteer));
    h.desk = Some(desk);
    let id = super::new_call(&h.at(80, "call 102 Juniper St / man shouting at traffic"));
    let call = &h.state().calls[&id];
    let civic = call
        .civic
        .clone()
        .expect("the address list placed the call");
    let doc = export_one(&h, &id);
    let pidf = doc["locationComponent"][0]["locationByValue"]
        .as_str()
        .unwrap();
    assert!(
        pidf.contains(&format!("<ca:HNO>{}</ca:HNO>", civic.number)),
        "{pidf}"
    );
    assert!(
        pidf.contains(&format!("<ca:RD>{}</ca:RD>", civic.street)),
        "{pidf}"
    );
    assert!(pidf.contains("<gml:pos>"), "{pidf}");
    assert_eq!(
        doc["locationComponent"][0]["locationDescriptionText"],
        "102 Juniper St"
    );
    assert_eq!(
        (
            civic.number.as_str(),
            civic.street.as_str(),
            civic.city.as_str(),
            civic.postcode.as_str()
        ),
        ("102", "Juniper St", "Millbrook", "80911")
    );
    assert_eq!(doc["incidentComponent"]["beatOrDispatchGroupText"], "d1");
    let back = eido::import(&doc.to_string(), "g.json").unwrap();
    assert_eq!(back.call.civic, Some(civic));
    assert_eq!(back.call.zone.as_deref(), Some("d1"));
    assert_eq!(back.started_ms, Some(T0 + 80 * 60_000));
    let _ = time(T0);
}

/// Each hostile or malformed fixture, and the one line that refuses it.
pub const REFUSED: &[(&str, &str)] = &[
    (
        "not-json.json",
        "not JSON (expected value at line 1 column 1)",
    ),
    (
        "truncated.json",
        "not JSON (EOF while parsing a value at line 1 column 179)",
    ),
    (
        "array.json",
        "the document is an array; an EIDO is a JSON object",
    ),
    (
        "deep-nesting.json",
        "not JSON (recursion limit exceeded at line 1 column 171)",
    ),
    (
        "unknown-version.json",
        "eidoVersion is '2.0'; only 1.0 is understood",
    ),
    (
        "no-incident.json",
        "it has neither an incidentComponent nor a callComponent, so there is no incident to \
         take",
    ),
    (
        "missing-location.json",
        "it has no locationComponent; a call needs a location",
    ),
    (
        "location-by-reference.json",
        "its location is only given by reference (locationByReferenceUrl), which Switchboard \
         does not fetch",
    ),
    (
        "bad-coordinates.json",
        "locationComponent[0].locationByValue has a position that is not a latitude and \
         longitude in range",
    ),
    (
        "wrong-type-incident.json",
        "incidentComponent is a string; expected an object",
    ),
    (
        "wrong-type-location.json",
        "locationComponent is an object; expected an array",
    ),
    (
        "wrong-type-note.json",
        "notesComponent[0].notesActionComments is an array; expected a string",
    ),
    (
        "control-characters.json",
        "notesComponent[0].notesActionComments contains control characters",
    ),
    (
        "bidi-override.json",
        "personComponent[0].ncPersonComponent.PersonName.PersonFullName contains control \
         characters",
    ),
    (
        "long-note.json",
        "notesComponent[0].notesActionComments is 2500 bytes; the limit is 2000",
    ),
];

/// Documents too large to keep as files: a 5 MB string, and more notes than a handover holds.
pub fn generated(dir: &Path) -> Vec<(PathBuf, String)> {
    let base: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("missing-location.json")).unwrap())
            .unwrap();
    let mut huge = base.clone();
    huge["incidentComponent"]["incidentTypeInternalText"] = json!("x".repeat(5_000_000));
    let mut many = std::fs::read_to_string(fixture("handover-from-911.json"))
        .unwrap()
        .parse::<Value>()
        .unwrap();
    let note = many["notesComponent"][1].clone();
    many["notesComponent"] = Value::Array(vec![note; 201]);
    let mut out = Vec::new();
    for (name, doc, reason) in [
        (
            "five-megabytes.json",
            huge,
            "it is over 1 MiB (1048576 bytes); an EIDO handover is far smaller",
        ),
        (
            "many-notes.json",
            many,
            "it has 201 notes; at most 200 are taken",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, doc.to_string()).unwrap();
        out.push((path, format!("{name} was not imported: {reason}")));
    }
    out
}

#[test]
fn hostile_or_malformed_documents_are_refused_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cases: Vec<(PathBuf, String)> = REFUSED
        .iter()
        .map(|(name, reason)| (fixture(name), format!("{name} was not imported: {reason}")))
        .collect();
    cases.extend(generated(tmp.path()));
    for (path, expected) in &cases {
        let name = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let by_str = eido::import(&String::from_utf8_lossy(&bytes), name).unwrap_err();
        let by_reader = eido::import_reader(bytes.as_slice(), name).unwrap_err();
        assert_eq!(&by_str, expected);
        assert_eq!(&by_reader, expected);
        assert!(
            !expected.contains('\n') && expected.len() < 200,
            "{expected}"
        );
    }
    let invalid_utf8 = eido::import_reader(&b"{\"eidoVersion\": \"1.0\xff\"}"[..], "x.json");
    assert_eq!(
        invalid_utf8.unwrap_err(),
        "x.json was not imported: it is not UTF-8 text"
    );
}

#[test]
fn a_document_packed_with_unusable_components_is_refused_whole() {
    // Nearly 1 MiB of bare locations, every one referenced by the incident: none usable.
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("missing-location.json")).unwrap())
            .unwrap();
    let n = 12_000;
    doc["locationComponent"] = (0..n)
        .map(|i| json!({ "$id": format!("l{i}"), "locationTypeDescriptionRegistryText": "x" }))
        .collect();
    doc["incidentComponent"]["locationReference"] =
        (0..n).map(|i| json!({ "$ref": format!("l{i}") })).collect();
    let text = doc.to_string();
    assert!(text.len() > 800_000 && text.len() < eido::MAX_DOCUMENT_BYTES);
    // Tests assert no wall-clock times; the reading cost of such a document is in the report
    // bench's EIDO lines.
    assert_eq!(
        eido::import(&text, "packed.json").unwrap_err(),
        "packed.json was not imported: no locationComponent gives an address or coordinates"
    );
}

#[test]
fn a_handover_is_taken_whole_or_not_at_all() {
    // The desk checks every note as it plans: one it cannot take refuses the whole hand-over,
    // so no call is left with part of its notes (before, each note was its own commit).
    let mut h = super::History::new();
    let mut handover = eido::import(
        &std::fs::read_to_string(fixture("handover-from-911.json")).unwrap(),
        "h.json",
    )
    .unwrap();
    handover.notes.push(IncomingNote {
        text: "bad\u{7}note".into(),
        by: None,
        at_ms: None,
    });
    let before = h.state().digest();
    assert!(h.desk().take_handover(&handover).is_err());
    assert_eq!(h.state().digest(), before);
    assert!(h.state().calls.is_empty());
    handover.notes.pop();
    let (taken, events) = h.desk().take_handover(&handover).unwrap();
    assert_eq!(taken, switchboard::domain::Taken::New);
    // The call, its hand-off, the origin note and the two notes, in one commit (after the
    // limits in force, which a fresh desk records with its first change).
    let made = events.iter().filter(|e| !e.body.is_bookkeeping()).count();
    assert_eq!(made, 5);
    let call = h.state().calls.values().next().unwrap();
    assert_eq!(call.started_ms, Some(1_772_485_320_000));
    let written: Vec<_> = call.notes.iter().map(|n| n.written.clone()).collect();
    assert_eq!(written[0], None);
    assert_eq!(
        written[1].as_ref().map(|w| (w.by.as_str(), w.at_ms)),
        Some(("psap.millbrook.example", 1_772_485_380_000))
    );
    assert_eq!(
        call.handed_in().map(|x| x.incident.as_str()),
        Some("urn:emergency:uid:incidentid:2026-004411:psap.millbrook.example")
    );
}
