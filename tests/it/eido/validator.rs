//! A validator for the part of JSON Schema the NENA `OpenAPI` files use, over every file they
//! point to that is shipped in `tests/fixtures/eido/nena/`: the EIDO schema, the APCO codes,
//! the NIEM core components (`NIEMComponents/nc.yaml` and the `niem-xs.yaml` it builds on) and
//! the NENA-STA-024 conveyance messages.
//!
//! It is lenient exactly where the schemas are wrong, and says so: a `required` name that is not
//! among the schema's own properties is a typo and is skipped (the EIDO schema requires
//! `TimeStamp` and `Value` in `AlternateValuesType`, which declares `Timestamp` and
//! `OtherValue`; STA-024's `requestForServiceObject` requires `requestId` and `eido` beside the
//! object that holds them); a `minItems` written `1,` is read as 1; `$ref`s into NIEM files that
//! are not shipped (`j.yaml`, …) are not followed. It is stricter than JSON Schema in two ways
//! that match what the files mean: a schema with properties but no type describes an object,
//! and (for Switchboard's own documents) a property the schema does not declare is an error, so
//! a misspelt field name cannot pass unnoticed.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value};

use super::shared;

pub struct Schemas {
    files: HashMap<String, Value>,
}

/// What one validation found: errors, and the places where it chose to be lenient.
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<String>,
    pub lenient: BTreeSet<String>,
}

/// The shipped schema files, by their path under `tests/fixtures/eido/nena/`.
const FILES: &[&str] = &[
    "openapi.yaml",
    "apco.yaml",
    "NIEMComponents/nc.yaml",
    "NIEMComponents/niem-xs.yaml",
    "sta024-websocket.yaml",
];

/// `target` as named from `file`: relative to `file`'s folder, `//` and `./` taken out.
fn relative(file: &str, target: &str) -> String {
    let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = if dir.is_empty() {
        target.to_owned()
    } else {
        format!("{dir}/{target}")
    };
    joined
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

impl Schemas {
    /// The schemas, read once for all the tests.
    pub fn get() -> &'static Schemas {
        static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
        SCHEMAS.get_or_init(Schemas::load)
    }

    fn load() -> Self {
        let mut files = HashMap::new();
        for &name in FILES {
            let text = std::fs::read_to_string(shared().join(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let value: Value =
                serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            files.insert(name.to_owned(), value);
        }
        Schemas { files }
    }

    /// Checks `value` against `reference` (like `openapi.yaml#/components/schemas/X`).
    pub fn validate(&self, reference: &str, value: &Value, strict: bool) -> Findings {
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
        let target = if target.is_empty() {
            file.to_owned()
        } else {
            relative(file, target)
        };
        let doc = self.files.get(&target)?;
        Some((target, doc.pointer(pointer)?))
    }

    /// A reference into a NIEM file that is not shipped, as the leniency it needs.
    fn unshipped(file: &str, reference: &str) -> Option<String> {
        let (target, _) = reference.split_once('#').unwrap_or((reference, ""));
        let path = relative(file, target);
        (path.starts_with("NIEMComponents/") && !FILES.contains(&path.as_str()))
            .then(|| format!("{path} is not shipped; not checked"))
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
                None if Self::unshipped(file, r).is_some() => {
                    f.lenient.extend(Self::unshipped(file, r));
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
pub type Edit<'e> = &'e dyn Fn(&mut Value);

pub const EIDO: &str = "openapi.yaml#/components/schemas/EmergencyIncidentDataObjectType";
pub const APCO: &str = "apco.yaml#/components/schemas/apcoIncidentCategoryCodeSimpleType";

/// The leniency an exported document may need: the `minItems: 1,` of an agent's roles. (The
/// caller's name is checked against the NIEM person type.)
pub fn expected_leniency() -> BTreeSet<String> {
    ["minItems written '1,' is read as 1"]
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Every `{"$ref": …}` in the document names a `$id` in it, and no `$id` is used twice.
pub fn references_resolve(doc: &Value) -> Result<(), String> {
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
