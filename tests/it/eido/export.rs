//! Export: every document validates against the EIDO schema and the NIEM components, every
//! code is a registry's, and the document says what the call is.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use switchboard::domain::{CallId, CallType};
use switchboard::report::eido::{self, codes};

use super::validator::{expected_leniency, references_resolve, Edit, Schemas, APCO, EIDO};
use super::{export_all, export_one, read_json, shared, shift, time, History, MIN, T0};

#[test]
fn every_exported_document_validates_against_the_shipped_schema() {
    let schemas = Schemas::get();
    let (h, _, _) = shift();
    let docs = export_all(&h);
    assert_eq!(docs.len(), 3);
    for doc in &docs {
        let found = schemas.validate(EIDO, doc, true);
        assert!(
            found.errors.is_empty(),
            "{:#?}\n{}",
            found.errors,
            serde_json::to_string_pretty(doc).unwrap()
        );
        assert!(
            found.lenient.is_subset(&expected_leniency()),
            "unexpected leniency: {:?}",
            found.lenient
        );
        references_resolve(doc).unwrap();
        let code = &doc["incidentComponent"]["incidentTypeCommonRegistryText"];
        let apco = schemas.validate(APCO, code, true);
        assert!(apco.errors.is_empty(), "{code}: {:?}", apco.errors);
    }
    // The crisis call uses every kind of component the export writes.
    let crisis = &docs[0];
    for key in [
        "incidentComponent",
        "callComponent",
        "callbackComponent",
        "dispatchComponent",
        "notesComponent",
        "emergencyResourceComponent",
        "agencyComponent",
        "agentComponent",
        "locationComponent",
        "personComponent",
        "linkComponent",
    ] {
        assert!(crisis.get(key).is_some(), "no {key}");
    }
    assert_eq!(
        schemas.validate(EIDO, crisis, true).lenient,
        expected_leniency()
    );
}

#[test]
fn every_call_type_exports_a_code_in_the_apco_list() {
    let schemas = Schemas::get();
    let mut codes: Vec<&str> = CallType::ALL.iter().map(|t| t.apco()).collect();
    codes.push(eido::UNTYPED_APCO);
    for code in codes {
        let found = schemas.validate(APCO, &json!(code), true);
        assert!(found.errors.is_empty(), "{code}: {:?}", found.errors);
    }
}

#[test]
fn the_shipped_sample_validates_so_the_validator_reads_the_schema_right() {
    let schemas = Schemas::get();
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(shared().join("sample-call-transfer.json")).unwrap(),
    )
    .unwrap();
    let found = schemas.validate(EIDO, &sample, true);
    assert!(found.errors.is_empty(), "{:#?}", found.errors);
    assert!(
        found.lenient.is_subset(&expected_leniency()),
        "{:?}",
        found.lenient
    );
}

#[test]
fn the_validator_catches_broken_documents_and_is_lenient_only_where_the_schema_is_wrong() {
    let schemas = Schemas::get();
    let (h, crisis, _) = shift();
    let good = export_one(&h, &crisis);
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut doc = good.clone();
        edit(&mut doc);
        schemas.validate(EIDO, &doc, true).errors
    };
    let cases: Vec<(Edit, &str)> = vec![
        (
            &|d| {
                d["notesComponent"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("$id");
            },
            "$.notesComponent[0]: missing required '$id'",
        ),
        (
            &|d| d["eidoVersion"] = json!("2.0"),
            "$.eidoVersion: \"2.0\" is not one of the enum values",
        ),
        (
            &|d| d["lastUpdateTimeStamp"] = json!("yesterday"),
            "$.lastUpdateTimeStamp: \"yesterday\" is not a valid date-time",
        ),
        (
            &|d| d["incidentComponent"] = json!("EDP"),
            "$.incidentComponent: expected object, found \"EDP\"",
        ),
        (
            &|d| d["callComponent"][0]["direction"] = json!("sideways"),
            "$.callComponent[0].direction: \"sideways\" is not one of the enum values",
        ),
        (
            &|d| d["updatedByAgencyReference"] = json!("urn:switchboard:x"),
            "$.updatedByAgencyReference: expected object, found \"urn:switchboard:x\"",
        ),
        (
            &|d| d["incidentComponent"]["incidentTypeInternalTxt"] = json!("typo"),
            "$.incidentComponent: 'incidentTypeInternalTxt' is not a property of the schema",
        ),
        (
            &|d| d["agentComponent"][0]["agentRoleRegistryText"] = json!([]),
            "$.agentComponent[0].agentRoleRegistryText: 0 items, at least 1 needed",
        ),
        // The NIEM components are checked too: the shape Switchboard used to write is caught,
        // and so is a name part that is not an array of values.
        (
            &|d| {
                d["personComponent"][0]["ncPersonComponent"] =
                    json!({ "PersonName": { "PersonFullName": "Jo Smith" } });
            },
            "$.personComponent[0].ncPersonComponent: 'PersonName' is not a property of the schema",
        ),
        (
            &|d| {
                d["personComponent"][0]["ncPersonComponent"]["name"][0]["personFullName"] =
                    json!("Jo Smith");
            },
            "$.personComponent[0].ncPersonComponent.name[0].personFullName: expected array, \
             found \"Jo Smith\"",
        ),
        (
            &|d| {
                d["personComponent"][0]["ncPersonComponent"]["name"][0]["personFullName"][0] =
                    json!({ "text": "Jo Smith" });
            },
            "$.personComponent[0].ncPersonComponent.name[0].personFullName[0]: 'text' is not a \
             property of the schema",
        ),
    ];
    for (edit, expected) in cases {
        assert_eq!(broken(edit), vec![expected.to_owned()]);
    }

    // AlternateValuesType requires `TimeStamp` and `Value` but declares `Timestamp` and
    // `OtherValue`: a document using the declared names passes, and the typos are reported.
    let alternate = json!({
        "DataComponentReference": { "$ref": "x" },
        "Element": "incidentTypeInternalText",
        "Alternate": [{ "Constituent": "psap.example", "Timestamp": "2026-03-02T14:05:00Z",
                        "OtherValue": "man shouting" }],
    });
    let found = schemas.validate(
        "openapi.yaml#/components/schemas/AlternateValuesType",
        &alternate,
        true,
    );
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    assert_eq!(
        found.lenient.into_iter().collect::<Vec<_>>(),
        vec![
            "a schema requires 'TimeStamp', which is not among its properties; skipped",
            "a schema requires 'Value', which is not among its properties; skipped",
        ]
    );
}

#[test]
fn the_export_carries_the_call_its_units_notes_and_disposition() {
    let (h, crisis, backup) = shift();
    let doc = export_one(&h, &crisis);
    let incident = &doc["incidentComponent"];
    let agency = "urn:switchboard:0000000000000001";
    assert_eq!(
        doc["$id"],
        json!(format!(
            "urn:emergency:uid:incidentid:{crisis}:0000000000000001"
        ))
    );
    assert_eq!(doc["updatedByAgencyReference"], json!({ "$ref": agency }));
    // The call's last event is the close, by the second operator.
    assert_eq!(doc["lastUpdateTimeStamp"], json!(time(T0 + 56 * MIN)));
    assert_eq!(
        doc["updatedByAgentReference"],
        json!({ "$ref": format!("{agency}:agent:Bo%20Lee") })
    );
    assert_eq!(incident["incidentTypeCommonRegistryText"], "EDP");
    assert_eq!(incident["incidentTypeInternalCode"], "bh-crisis");
    assert_eq!(
        incident["incidentTypeInternalText"],
        "man pacing in traffic, talking to himself"
    );
    // P2 on the 0–10 scale where 10 is the highest.
    assert_eq!(incident["incidentCommonPriorityNumber"], 7);
    assert_eq!(incident["incidentStatusInternalText"], json!(["closed"]));
    assert_eq!(
        incident["incidentStatusCommonRegistryText"],
        json!(["Closed"])
    );
    assert_eq!(incident["beatOrDispatchGroupText"], serde_json::Value::Null);
    let disposition = &incident["dispositionComponent"][0];
    assert_eq!(
        disposition["dispositionCategoryText"],
        "community-transport"
    );
    assert_eq!(disposition["dispositionCommonRegistryCode"], "16");
    assert_eq!(
        disposition["lastUpdateTimeStamp"],
        json!(time(T0 + 56 * MIN))
    );

    let call = &doc["callComponent"][0];
    assert_eq!(call["callStartTimestamp"], json!(time(T0)));
    assert_eq!(call["priorityIdentifier"], "high");
    assert_eq!(call["callStateRegistryText"], "callEnd");
    assert_eq!(
        call["agentReference"],
        json!([{ "$ref": format!("{agency}:agent:ana") }])
    );

    let location = &doc["locationComponent"][0];
    assert_eq!(
        location["locationTypeDescriptionRegistryText"],
        "CurrentIncident"
    );
    assert_eq!(location["locationDescriptionText"], "1450 Larimer St");
    let pidf = location["locationByValue"].as_str().unwrap();
    assert!(pidf.contains("<ca:LOC>1450 Larimer St</ca:LOC>"), "{pidf}");
    assert!(pidf.contains("<gml:pos>39.74 -104.99</gml:pos>"), "{pidf}");

    // The caller: a name and a number, nothing else.
    let person = &doc["personComponent"][0];
    let keys: BTreeSet<&str> = person
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "$id",
            "lastUpdateTimeStamp",
            "updatedByAgencyReference",
            "updatedByAgentReference",
            "ncPersonComponent",
            "personIncidentRoleRegistryText",
            "callIdentifier",
            "callBackReference",
        ])
    );
    assert_eq!(
        person["ncPersonComponent"],
        json!({ "name": [{ "personFullName": [{ "value": "Jo Smith" }] }] })
    );
    assert_eq!(
        doc["callbackComponent"][0]["callBackInformationUri"],
        json!(["tel:555-0101"])
    );
    // No triage answers, recommendation rule or program codes leave the program.
    let text = doc.to_string();
    for private in ["community-crisis", "violence", "answers", "unserved"] {
        assert!(!text.contains(private), "{private} in {text}");
    }

    // Notes: author, time, HTML-escaped text, the caution marked.
    let notes = doc["notesComponent"].as_array().unwrap();
    let summary: Vec<(String, String, String)> = notes
        .iter()
        .map(|n| {
            (
                n["lastUpdateTimeStamp"].as_str().unwrap().to_owned(),
                n["agentReference"]["$ref"].as_str().unwrap().to_owned(),
                n["notesActionComments"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                time(T0 + 5 * MIN),
                format!("{agency}:agent:ana"),
                "caller says he is &lt;b&gt;not&lt;/b&gt; armed &amp; it&#39;s calm now".to_owned()
            ),
            (
                time(T0 + 20 * MIN),
                format!("{agency}:agent:Bo%20Lee"),
                "CAUTION: dog in the yard".to_owned()
            ),
            (
                time(T0 + 50 * MIN),
                format!("{agency}:agent:Bo%20Lee"),
                "agreed to go to the crisis centre".to_owned()
            ),
        ]
    );

    // The unit: its statuses with their times, and who dispatched it.
    let resource = &doc["emergencyResourceComponent"][0];
    assert_eq!(resource["emergencyResourceName"], "STAR-1");
    assert_eq!(resource["primaryUnitStatusRegistryText"], "Available");
    assert_eq!(
        resource["secondaryUnitStatusRegistryText"],
        json!(["Cleared"])
    );
    assert_eq!(
        resource["emergencyResourceTypeCommonRegistryText"],
        "CrisisInterventionUnit"
    );
    assert_eq!(
        resource["resourceAttributeRegistryText"],
        json!(["CrisisInterventionSpecialist", "Paramedic"])
    );
    assert_eq!(
        resource["resourceAttributeInternalText"],
        json!(["clinician", "medic"])
    );
    assert_eq!(
        resource["unitStatusInternal"],
        json!([
            format!("DSP {}", time(T0 + 3 * MIN)),
            format!("ENR {}", time(T0 + 4 * MIN)),
            format!("ONS {}", time(T0 + 16 * MIN)),
            format!("CLR {}", time(T0 + 55 * MIN)),
        ])
    );
    assert_eq!(resource["lastUpdateTimeStamp"], json!(time(T0 + 55 * MIN)));
    assert_eq!(
        resource["agentReference"],
        json!([{ "$ref": format!("{agency}:unit:STAR-1") }])
    );
    let dispatch = &doc["dispatchComponent"][0];
    assert_eq!(dispatch["lastUpdateTimeStamp"], json!(time(T0 + 3 * MIN)));
    assert_eq!(
        dispatch["agentReference"],
        json!({ "$ref": format!("{agency}:agent:ana") })
    );
    let roles: BTreeMap<&str, &Value> = doc["agentComponent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["$id"].as_str().unwrap(), &a["agentRoleRegistryText"]))
        .collect();
    assert_eq!(
        roles[format!("{agency}:agent:ana").as_str()],
        &json!(["Call Taking", "Dispatching"])
    );
    assert_eq!(
        roles[format!("{agency}:unit:STAR-1").as_str()],
        &json!(["Responder"])
    );

    // The backup call is linked as a child incident.
    let link = &doc["linkComponent"][0];
    assert_eq!(link["linkDirectionCode"], "CHILD");
    assert_eq!(
        link["incidentTrackingIdentifier"],
        json!(format!(
            "urn:emergency:uid:incidentid:{backup}:0000000000000001"
        ))
    );
    let child = export_one(&h, &backup);
    assert_eq!(child["linkComponent"][0]["linkDirectionCode"], "PARENT");
    // An EMS backup call is a medical call.
    assert_eq!(
        child["incidentComponent"]["incidentTypeCommonRegistryText"],
        "SICK"
    );
}

#[test]
fn a_pending_call_without_caller_or_coordinates_exports_what_it_has() {
    let (h, _, _) = shift();
    let noise = h
        .state()
        .calls
        .values()
        .find(|c| c.location == "12 Main St")
        .unwrap();
    let doc = export_one(&h, &noise.id);
    assert_eq!(
        doc["incidentComponent"]["incidentStatusInternalText"],
        json!(["pending"])
    );
    assert_eq!(
        doc["incidentComponent"]["incidentStatusCommonRegistryText"],
        json!(["Active"])
    );
    // P4 (a noise call) is low on the 0–10 scale.
    assert_eq!(doc["incidentComponent"]["incidentCommonPriorityNumber"], 1);
    assert!(doc.get("emergencyResourceComponent").is_none());
    assert!(!doc["locationComponent"][0]["locationByValue"]
        .as_str()
        .unwrap()
        .contains("gml:Point"));
    // A callback that is not a number travels as a note on the caller.
    assert!(doc.get("callbackComponent").is_none());
    assert_eq!(
        doc["notesComponent"][0]["notesActionComments"],
        "callback: ask for the front desk"
    );
    assert_eq!(
        doc["personComponent"][0]["notesReference"][0]["$ref"],
        doc["notesComponent"][0]["$id"]
    );
    assert!(doc["personComponent"][0].get("ncPersonComponent").is_none());
}

#[test]
fn export_picks_one_call_or_a_period() {
    let (h, crisis, _) = shift();
    let events = h.events();
    let ids = |docs: Vec<Value>| -> Vec<String> {
        docs.iter()
            .map(|d| {
                d["incidentComponent"]["internalIncidentId"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let all = ids(eido::export(&events, h.state(), None, None, None).unwrap());
    assert_eq!(all.len(), 3);
    assert_eq!(all[0], crisis.to_string());
    // The backup call was received at minute 35, the noise call at minute 60.
    let period = ids(eido::export(
        &events,
        h.state(),
        None,
        Some(T0 + MIN),
        Some(T0 + 60 * MIN),
    )
    .unwrap());
    assert_eq!(period, vec![all[1].clone()]);
    assert_eq!(
        ids(eido::export(&events, h.state(), None, Some(T0 + 60 * MIN), None).unwrap()),
        vec![all[2].clone()]
    );
    let missing: CallId = "26-ZZ9999".parse().unwrap();
    assert_eq!(
        eido::export(&events, h.state(), Some(&missing), None, None).unwrap_err(),
        "no call 26-ZZ9999"
    );
    // The same history exports the same bytes.
    assert_eq!(
        eido::export(&events, h.state(), None, None, None).unwrap(),
        eido::export(&events, h.state(), None, None, None).unwrap()
    );
}

/// Every registry code a document holds, with where.
fn registry_codes(doc: &Value) -> Vec<(codes::Field, String, String)> {
    use codes::Field;
    let mut out = Vec::new();
    let mut push = |field: Field, path: String, v: &Value| {
        let items: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        };
        for item in items {
            out.push((field, path.clone(), item.as_str().unwrap_or("?").to_owned()));
        }
    };
    let incident = &doc["incidentComponent"];
    push(
        Field::IncidentStatus,
        "incidentStatusCommonRegistryText".into(),
        &incident["incidentStatusCommonRegistryText"],
    );
    for d in incident["dispositionComponent"]
        .as_array()
        .into_iter()
        .flatten()
    {
        push(
            Field::Disposition,
            "dispositionCommonRegistryCode".into(),
            &d["dispositionCommonRegistryCode"],
        );
    }
    for (i, r) in doc["emergencyResourceComponent"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (field, key) in [
            (Field::PrimaryUnitStatus, "primaryUnitStatusRegistryText"),
            (
                Field::SecondaryUnitStatus,
                "secondaryUnitStatusRegistryText",
            ),
            (
                Field::ResourceType,
                "emergencyResourceTypeCommonRegistryText",
            ),
            (Field::ResourceAttribute, "resourceAttributeRegistryText"),
        ] {
            push(
                field,
                format!("emergencyResourceComponent[{i}].{key}"),
                &r[key],
            );
        }
    }
    out
}

fn registries() -> Value {
    read_json(&shared().join("registries.json"))
}

fn in_registry(registries: &Value, key: &str, code: &str) -> bool {
    match &registries[key] {
        Value::Array(list) => list.iter().any(|c| c == code),
        Value::Object(map) => map.contains_key(code),
        _ => false,
    }
}

#[test]
fn every_code_in_the_table_is_in_its_registry() {
    let registries = registries();
    for row in codes::TABLE {
        let (Some(code), Some(key)) = (row.code, row.field.registry()) else {
            continue;
        };
        assert!(
            in_registry(&registries, key, code),
            "{} {} -> {code} is not in the {key} registry",
            row.field.name(),
            row.ours
        );
    }
}

#[test]
fn every_code_an_export_writes_is_from_the_registries() {
    let registries = registries();
    let (mut h, crisis, _) = shift();
    // Units in every status and of every kind, so each row of the table is written once.
    h.run("unit add EMS-1 ems,medic");
    h.run("unit add PD-1 police");
    h.run("unit add FD-1 fire");
    h.run("unit add STAR-9 peer,emt");
    let open = super::new_call(&h.at(70, "call 9 Elm St / man down, breathing --type sick"));
    for (unit, status) in [
        ("EMS-1", "ons"),
        ("PD-1", "enr"),
        ("FD-1", "ons"),
        ("STAR-9", "ons"),
    ] {
        h.at(71, &format!("dp {unit} {open}"));
        h.at(72, &format!("{status} {unit}"));
    }
    h.at(73, "trn EMS-1 St Luke's");
    h.at(74, "atf EMS-1");
    let mut seen = BTreeSet::new();
    for doc in export_all(&h) {
        for (field, path, code) in registry_codes(&doc) {
            let key = field.registry().unwrap();
            assert!(
                in_registry(&registries, key, &code),
                "{path} = {code} is not in the {key} registry"
            );
            seen.insert(code);
        }
    }
    for code in [
        "ResourcesOnscene",
        "GroundALSAmbulance",
        "PatrolUnit",
        "AlternateLocation",
    ] {
        assert!(seen.contains(code), "{code} not exercised: {seen:?}");
    }
    assert!(export_one(&h, &crisis).to_string().contains("\"16\""));
}

#[test]
fn priorities_run_zero_to_ten_with_ten_highest_both_ways() {
    let mut h = History::new();
    for (p, number) in [(1, 10), (2, 7), (3, 4), (4, 1)] {
        let id = super::new_call(&h.run(&format!("call {p} Oak St / test --pri {p}")));
        let doc = export_one(&h, &id);
        assert_eq!(
            doc["incidentComponent"]["incidentCommonPriorityNumber"],
            number
        );
        let back = eido::import(&doc.to_string(), "p.json").unwrap();
        assert_eq!(
            back.call.priority.map(switchboard::domain::Priority::get),
            Some(p)
        );
    }
    // A sender's 9 or 10 is our P1, not the type's default.
    let (h, crisis, _) = shift();
    let doc = export_one(&h, &crisis);
    for (number, ours) in [
        (10, 1),
        (9, 1),
        (8, 2),
        (6, 2),
        (5, 3),
        (3, 3),
        (2, 4),
        (0, 4),
    ] {
        let mut d = doc.clone();
        d["incidentComponent"]["incidentCommonPriorityNumber"] = json!(number);
        let back = eido::import(&d.to_string(), "p.json").unwrap();
        assert_eq!(
            back.call.priority.map(switchboard::domain::Priority::get),
            Some(ours),
            "{number}"
        );
    }
}

#[test]
fn docs_show_the_code_table_the_code_uses() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/eido.md")).unwrap();
    let (start, end) = ("<!-- codes:start -->\n", "<!-- codes:end -->");
    let from = page.find(start).expect("docs/eido.md lacks codes:start") + start.len();
    let to = page.find(end).expect("docs/eido.md lacks codes:end");
    let fresh = codes::markdown();
    if std::env::var_os("SWITCHBOARD_BLESS").is_some() {
        let updated = format!("{}{fresh}{}", &page[..from], &page[to..]);
        std::fs::write(root.join("docs/eido.md"), updated).unwrap();
        return;
    }
    assert_eq!(
        &page[from..to],
        fresh,
        "docs/eido.md's code table is stale; run SWITCHBOARD_BLESS=1 cargo test --test it eido"
    );
}
