//! NENA EIDO export and import.
//!
//! Every exported document is checked against the shipped schema (`../shared/eido/openapi.yaml`, copied to `tests/fixtures/eido/nena/`)
//! by a small validator written here for the subset of JSON Schema the `OpenAPI` file uses; a round
//! trip export → import keeps the call; hostile documents are refused with one line and the store
//! stays as it was.
//!
//! The validator is lenient exactly where the schema is wrong, and says so: a `required` name that
//! is not among the schema's own properties is a typo and is skipped (this copy requires
//! `TimeStamp` and `Value` in `AlternateValuesType`, which declares `Timestamp` and `OtherValue`;
//! the field notes name `enforcmentUnitName` and `updatedCBNIdentifierURI`, not in this copy,
//! which would be skipped the same way); a `minItems` written `1,` is read as 1; `$ref`s into
//! `NIEMComponents/`, which are not shipped, are not followed. It is stricter than JSON Schema in
//! two ways that match what the `OpenAPI` file means: a schema with properties but no type
//! describes an object, and (for Switchboard's own documents) a property the schema does not
//! declare is an error, so a misspelt field name cannot pass unnoticed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};
use switchboard::desk::{Desk, ManualClock, Outcome};
use switchboard::domain::{CallId, CallType, Event, Priority, ReplicaId, State};
use switchboard::report::eido::{self, Imported};
use switchboard::store::{Store, StoreKind};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
/// 2026-11-23T08:00:00Z.
const T0: i64 = 1_795_420_800_000;
const MIN: i64 = 60_000;

/// The NENA EIDO schema, the APCO codes and the sample, copied from `../shared/eido/` so the
/// tests run from a checkout on its own.
fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eido/nena")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eido")
        .join(name)
}

// ---------------------------------------------------------------------------------------------
// The validator
// ---------------------------------------------------------------------------------------------

struct Schemas {
    files: HashMap<String, Value>,
}

/// What one validation found: errors, and the places where it chose to be lenient.
#[derive(Debug, Default)]
struct Findings {
    errors: Vec<String>,
    lenient: BTreeSet<String>,
}

impl Schemas {
    fn load() -> Self {
        let mut files = HashMap::new();
        for name in ["openapi.yaml", "apco.yaml"] {
            let text = std::fs::read_to_string(shared().join(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let value: Value =
                serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            files.insert(name.to_owned(), value);
        }
        Schemas { files }
    }

    /// Checks `value` against `reference` (like `openapi.yaml#/components/schemas/X`).
    fn validate(&self, reference: &str, value: &Value, strict: bool) -> Findings {
        let mut f = Findings::default();
        let schema = json!({ "$ref": reference });
        self.check("openapi.yaml", &schema, value, "$", strict, true, &mut f);
        // The branches of an allOf each see a wrong type: say it once.
        let mut seen = BTreeSet::new();
        f.errors.retain(|e| seen.insert(e.clone()));
        f
    }

    fn resolve(&self, file: &str, reference: &str) -> Option<(String, &Value)> {
        let (target, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let target = if target.is_empty() { file } else { target };
        let doc = self.files.get(target)?;
        Some((target.to_owned(), doc.pointer(pointer)?))
    }

    /// The property names a schema declares, through `$ref` and `allOf`; `None` when a part of it
    /// is not shipped or not an object schema (then undeclared names are not judged).
    fn declared(&self, file: &str, schema: &Value, out: &mut BTreeSet<String>) -> bool {
        let Some(s) = schema.as_object() else {
            return false;
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            return match self.resolve(file, r) {
                Some((f, target)) => self.declared(&f, target, out),
                None => false,
            };
        }
        if s.contains_key("oneOf") || s.contains_key("anyOf") {
            return false;
        }
        let mut ok = true;
        for sub in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            ok &= self.declared(file, sub, out);
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            out.extend(props.keys().cloned());
        }
        ok
    }

    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        file: &str,
        schema: &Value,
        v: &Value,
        path: &str,
        strict: bool,
        whole: bool,
        f: &mut Findings,
    ) {
        let Some(s) = schema.as_object() else {
            return;
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            // OpenAPI 3.0: a $ref replaces its siblings (here only descriptions).
            match self.resolve(file, r) {
                Some((target_file, target)) => {
                    self.check(&target_file, target, v, path, strict, whole, f);
                }
                None if r.starts_with("NIEMComponents/") => {
                    f.lenient.insert(format!("{r} is not shipped; not checked"));
                }
                None => f.errors.push(format!("{path}: unresolvable $ref {r}")),
            }
            return;
        }
        for sub in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(file, sub, v, path, strict, false, f);
        }
        for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            if let Some(subs) = s.get(key).and_then(Value::as_array) {
                let passing = subs
                    .iter()
                    .filter(|sub| {
                        let mut g = Findings::default();
                        self.check(file, sub, v, path, strict, whole, &mut g);
                        g.errors.is_empty()
                    })
                    .count();
                if passing == 0 || (exactly_one && passing > 1) {
                    f.errors
                        .push(format!("{path}: {passing} of the {key} schemas match"));
                }
            }
        }
        let object_like = s.contains_key("properties") || s.contains_key("required");
        let ty = s
            .get("type")
            .and_then(Value::as_str)
            .or(object_like.then_some("object"));
        if let Some(ty) = ty {
            let ok = match ty {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                other => {
                    f.errors
                        .push(format!("{path}: unknown schema type {other}"));
                    true
                }
            };
            if !ok {
                f.errors.push(format!("{path}: expected {ty}, found {v}"));
                return;
            }
        }
        if let Some(options) = s.get("enum").and_then(Value::as_array) {
            if !options.contains(v) {
                f.errors
                    .push(format!("{path}: {v} is not one of the enum values"));
            }
        }
        if let Some(format) = s.get("format").and_then(Value::as_str) {
            let ok = match (format, v) {
                ("date-time", Value::String(t)) => chrono::DateTime::parse_from_rfc3339(t).is_ok(),
                ("uri", Value::String(u)) => u.split_once(':').is_some_and(|(scheme, _)| {
                    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                        && scheme
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
                }),
                ("int32", Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                _ => true,
            };
            if !ok {
                f.errors
                    .push(format!("{path}: {v} is not a valid {format}"));
            }
        }
        if let Value::Object(m) = v {
            let props = s.get("properties").and_then(Value::as_object);
            for name in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(name) = name.as_str() else { continue };
                if props.is_some_and(|p| !p.contains_key(name)) {
                    let title = s.get("title").and_then(Value::as_str).unwrap_or("a schema");
                    f.lenient.insert(format!(
                        "{title} requires '{name}', which is not among its properties; skipped"
                    ));
                    continue;
                }
                if !m.contains_key(name) {
                    f.errors.push(format!("{path}: missing required '{name}'"));
                }
            }
            for (key, sub) in props.into_iter().flatten() {
                if let Some(item) = m.get(key) {
                    self.check(file, sub, item, &format!("{path}.{key}"), strict, true, f);
                }
            }
            if strict && whole {
                let mut declared = BTreeSet::new();
                if self.declared(file, schema, &mut declared) && !declared.is_empty() {
                    for key in m.keys().filter(|k| !declared.contains(*k)) {
                        f.errors
                            .push(format!("{path}: '{key}' is not a property of the schema"));
                    }
                }
            }
        }
        if let Value::Array(items) = v {
            if let Some(min) = s.get("minItems") {
                let n = match min {
                    Value::Number(n) => n.as_u64().unwrap_or(0),
                    Value::String(t) => {
                        let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
                        f.lenient
                            .insert(format!("minItems written '{t}' is read as {digits}"));
                        digits.parse().unwrap_or(0)
                    }
                    _ => 0,
                };
                if (items.len() as u64) < n {
                    f.errors.push(format!(
                        "{path}: {} items, at least {n} needed",
                        items.len()
                    ));
                }
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.check(
                        file,
                        item_schema,
                        item,
                        &format!("{path}[{i}]"),
                        strict,
                        true,
                        f,
                    );
                }
            }
        }
    }
}

/// One change that breaks a document.
type Edit<'e> = &'e dyn Fn(&mut Value);

const EIDO: &str = "openapi.yaml#/components/schemas/EmergencyIncidentDataObjectType";
const APCO: &str = "apco.yaml#/components/schemas/apcoIncidentCategoryCodeSimpleType";

/// The leniencies an exported document may need: the unshipped NIEM person type (the caller's
/// name) and the `minItems: 1,` of an agent's roles.
fn expected_leniency() -> BTreeSet<String> {
    [
        "NIEMComponents/nc.yaml#/components/schemas/ncPersonType is not shipped; not checked",
        "minItems written '1,' is read as 1",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// Every `{"$ref": …}` in the document names a `$id` in it, and no `$id` is used twice.
fn references_resolve(doc: &Value) -> Result<(), String> {
    fn walk(v: &Value, path: &str, ids: &mut Vec<String>, refs: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(id)) = m.get("$id") {
                    ids.push(id.clone());
                }
                if let (Some(Value::String(r)), 1) = (m.get("$ref"), m.len()) {
                    refs.push((path.to_owned(), r.clone()));
                }
                for (k, item) in m {
                    walk(item, &format!("{path}.{k}"), ids, refs);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), ids, refs);
                }
            }
            _ => {}
        }
    }
    let (mut ids, mut refs) = (Vec::new(), Vec::new());
    walk(doc, "$", &mut ids, &mut refs);
    let unique: BTreeSet<&String> = ids.iter().collect();
    if unique.len() != ids.len() {
        return Err(format!("duplicate $id in {ids:?}"));
    }
    for (path, r) in refs {
        if !unique.contains(&r) {
            return Err(format!(
                "{path} refers to {r}, which is not in the document"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A call history
// ---------------------------------------------------------------------------------------------

struct History {
    /// Always `Some` between calls; taken out only while the operator changes.
    desk: Option<Desk>,
    clock: ManualClock,
    dir: TempDir,
}

impl History {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::at(T0);
        let mut h = History {
            desk: None,
            clock,
            dir,
        };
        h.sign_in("ana");
        h
    }

    /// Another operator takes the console (the store is the same, so is the replica).
    fn sign_in(&mut self, operator: &str) {
        if let Some(desk) = self.desk.take() {
            desk.close().unwrap();
        }
        let store = Store::open_as(self.dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
        self.desk = Some(Desk::open(store, Box::new(self.clock.clone()), operator).unwrap());
    }

    fn desk(&mut self) -> &mut Desk {
        self.desk.as_mut().unwrap()
    }

    fn run(&mut self, line: &str) -> Vec<Event> {
        match self.desk().run_line(line) {
            Ok(Outcome::Committed(events)) => events,
            Ok(Outcome::Answered(lines)) => panic!("{line} answered {lines:?}"),
            Err(e) => panic!("{line}: {e}"),
        }
    }

    fn at(&mut self, minutes: i64, line: &str) -> Vec<Event> {
        self.clock.set(T0 + minutes * MIN);
        self.run(line)
    }

    fn events(&self) -> Vec<Event> {
        self.desk.as_ref().unwrap().events().unwrap()
    }

    fn state(&self) -> &State {
        self.desk.as_ref().unwrap().state()
    }
}

fn new_call(events: &[Event]) -> CallId {
    events
        .iter()
        .find_map(|e| match &e.body {
            switchboard::domain::Body::CallCreated { call, .. } => Some(call.clone()),
            _ => None,
        })
        .expect("a call was taken")
}

/// A shift in small: a crisis call worked from intake to close by two operators (triage, a
/// dispatch, statuses, notes including one with HTML-looking text and a caution), a noise call
/// left pending, and a backup request linking two calls.
fn shift() -> (History, CallId, CallId) {
    let mut h = History::new();
    h.run("unit add STAR-1 clinician,medic --zone d6");
    h.run("unit add STAR-2 peer,emt --zone d3");
    let crisis = new_call(&h.at(
        0,
        "call 1450 Larimer St / man pacing in traffic, talking to himself --type bh-crisis \
         --caller Jo Smith --cb 555-0101 --at 39.74,-104.99",
    ));
    for (i, answer) in [
        "violence no",
        "weapon no",
        "crime no",
        "medical no",
        "hazard no",
        "harm no",
        "info yes",
    ]
    .iter()
    .enumerate()
    {
        h.at(1 + i as i64 / 3, &format!("ask {crisis} {answer}"));
    }
    h.at(3, &format!("dp STAR-1 {crisis}"));
    h.at(4, "enr STAR-1");
    h.at(
        5,
        &format!("note {crisis} caller says he is <b>not</b> armed & it's calm now"),
    );
    h.at(16, "ons STAR-1");
    h.sign_in("Bo Lee");
    h.at(20, &format!("note {crisis} dog in the yard --caution"));
    h.at(30, "ok STAR-1");
    let backup = new_call(&h.at(35, &format!("backup {crisis} ems")));
    h.at(
        50,
        &format!("note {crisis} agreed to go to the crisis centre"),
    );
    h.at(55, "avl STAR-1");
    h.at(56, &format!("close {crisis} community-transport"));
    h.at(
        60,
        "call 12 Main St / loud party, music since 10 --type noise --cb ask for the front desk",
    );
    (h, crisis, backup)
}

fn export_all(h: &History) -> Vec<Value> {
    eido::export(&h.events(), h.state(), None, None, None).unwrap()
}

fn export_one(h: &History, call: &CallId) -> Value {
    let mut docs = eido::export(&h.events(), h.state(), Some(call), None, None).unwrap();
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

#[test]
fn every_exported_document_validates_against_the_shipped_schema() {
    let schemas = Schemas::load();
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
    let schemas = Schemas::load();
    let mut codes: Vec<&str> = CallType::ALL.iter().map(|t| t.apco()).collect();
    codes.push(eido::UNTYPED_APCO);
    for code in codes {
        let found = schemas.validate(APCO, &json!(code), true);
        assert!(found.errors.is_empty(), "{code}: {:?}", found.errors);
    }
}

#[test]
fn the_shipped_sample_validates_so_the_validator_reads_the_schema_right() {
    let schemas = Schemas::load();
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
    let schemas = Schemas::load();
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
    assert_eq!(incident["incidentCommonPriorityNumber"], 2);
    assert_eq!(incident["incidentStatusInternalText"], json!(["closed"]));
    assert_eq!(incident["beatOrDispatchGroupText"], serde_json::Value::Null);
    let disposition = &incident["dispositionComponent"][0];
    assert_eq!(
        disposition["dispositionCategoryText"],
        "community-transport"
    );
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
        json!({ "PersonName": { "PersonFullName": "Jo Smith" } })
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
    assert_eq!(resource["primaryUnitStatusRegistryText"], "Cleared");
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
        json!(["Queued"])
    );
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

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

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
    assert_eq!(new.zone, None);
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
    assert_eq!(imported.notes, typed);
    assert_eq!(
        imported.origin,
        format!("urn:switchboard:0000000000000001 incident {crisis}")
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
    // "high" from the call; the centre's priority number 7 is not on our scale.
    assert_eq!(call.priority, Some(Priority::new(2).unwrap()));
    assert_eq!(call.caller.as_deref(), Some("Ana Ortiz"));
    assert_eq!(call.callback.as_deref(), Some("+1-303-555-0142"));
    assert_eq!(call.zone, None);
    assert_eq!(
        imported.notes,
        vec![
            "Caller is a shop owner; man is not armed & has been there 20 min.",
            "Caller will wait at the shop door.",
        ]
    );
    assert_eq!(
        imported.origin,
        "psap.millbrook.example incident 2026-004411"
    );
    assert_eq!(
        imported.origin_note(),
        "handed over from psap.millbrook.example incident 2026-004411 (EIDO)"
    );
}

#[test]
fn the_shared_sample_call_transfer_imports_as_a_call_to_triage() {
    // The sample is a call transfer: a call with a caller's callback and a routing location, but
    // no incident component. It is taken, with a nature that says the type is still unknown.
    let text = std::fs::read_to_string(shared().join("sample-call-transfer.json")).unwrap();
    let imported = eido::import(&text, "sample-call-transfer.json").unwrap();
    assert_eq!(
        imported,
        Imported {
            call: switchboard::domain::NewCall {
                location: "42 W Cellular Street, Wilmington, DE".into(),
                nature: "call transferred by EIDO; no incident type given".into(),
                call_type: None,
                priority: None,
                caller: None,
                callback: Some("8195551212".into()),
                zone: None,
                coords: None,
            },
            notes: vec![],
            origin: "state.pa.us incident urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us"
                .into(),
        }
    );
}

/// Each hostile or malformed fixture, and the one line that refuses it.
const REFUSED: &[(&str, &str)] = &[
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
fn generated(dir: &Path) -> Vec<(PathBuf, String)> {
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

// ---------------------------------------------------------------------------------------------
// Through the binary: `switchboard import eido FILE`
// ---------------------------------------------------------------------------------------------

struct Sandbox {
    tmp: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Sandbox {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("--data")
            .arg(self.tmp.path().join("store"))
            .args(args)
            .env("SWITCHBOARD_DATA", self.tmp.path().join("decoy"))
            .env("SWITCHBOARD_CONFIG", self.tmp.path().join("config"))
            .env("SWITCHBOARD_OPERATOR", "cy")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn digest(&self) -> String {
        self.ok(&["state", "--digest"])
    }
}

#[test]
fn the_cli_imports_a_handover_as_a_pending_call_with_its_notes() {
    let (h, crisis, _) = shift();
    let sandbox = Sandbox::new();
    let file = sandbox.tmp.path().join("crisis.json");
    std::fs::write(&file, export_one(&h, &crisis).to_string()).unwrap();
    let out = sandbox.ok(&["import", "eido", file.to_str().unwrap()]);
    let id = out.split_whitespace().next().unwrap().to_owned();
    assert!(id.parse::<CallId>().is_ok(), "{out}");
    assert!(
        out.ends_with(&format!(
            "; 3 note(s) from urn:switchboard:0000000000000001 incident {crisis}\n"
        )),
        "{out}"
    );
    let state: Value = serde_json::from_str(&sandbox.ok(&["state", "--json"])).unwrap();
    let call = &state["calls"][&id];
    let original = &h.state().calls[&crisis];
    assert_eq!(call["status"], "pending");
    assert_eq!(call["location"], json!(original.location));
    assert_eq!(call["nature"], json!(original.nature));
    assert_eq!(call["call_type"], "bh-crisis");
    assert_eq!(call["caller"], "Jo Smith");
    assert_eq!(call["callback"], "555-0101");
    assert_eq!(call["coords"], json!({ "lat": 39.74, "lon": -104.99 }));
    let notes: Vec<&str> = call["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    let origin =
        format!("handed over from urn:switchboard:0000000000000001 incident {crisis} (EIDO)");
    assert_eq!(
        notes,
        vec![
            origin.as_str(),
            "caller says he is <b>not</b> armed & it's calm now",
            "CAUTION: dog in the yard",
            "agreed to go to the crisis centre",
        ]
    );
    assert!(call["notes"][0]["operator"] == "cy");
}

#[test]
fn the_cli_refuses_hostile_documents_and_writes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "exec",
        "unit add STAR-1 clinician",
        "call 1 Main St / welfare check",
    ]);
    let before = sandbox.digest();
    let mut cases: Vec<(PathBuf, String)> = REFUSED
        .iter()
        .map(|(name, reason)| {
            let path = fixture(name);
            let shown = path.display().to_string();
            (path, format!("{shown} was not imported: {reason}"))
        })
        .collect();
    for (path, message) in generated(sandbox.tmp.path()) {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let shown = path.display().to_string();
        cases.push((path, message.replacen(&name, &shown, 1)));
    }
    for (path, expected) in cases {
        let out = sandbox.run(&["import", "eido", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", path.display());
        assert_eq!(out.stdout, b"");
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            format!("switchboard: {expected}\n")
        );
        assert_eq!(
            sandbox.digest(),
            before,
            "{} changed the store",
            path.display()
        );
    }
    // A refused document does not even create a store.
    let fresh = Sandbox::new();
    let out = fresh.run(&["import", "eido", fixture("array.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!fresh.tmp.path().join("store").exists());
}
