//! Reading a sender's JSON field by field, with the path of each in every message: "a string
//! where an object was expected" names the field, so the sender can find it.

use serde_json::{Map, Value};

pub(super) type Obj = Map<String, Value>;

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn wrong(path: &str, v: &Value, expected: &str) -> String {
    format!("{path} is {}; expected {expected}", kind(v))
}

/// `path.key`, or `key` at the top of the document.
pub(super) fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub(super) fn opt_str<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Option<&'v str>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(wrong(&at(path, key), v, "a string")),
    }
}

pub(super) fn opt_obj<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Option<&'v Obj>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(v) => Err(wrong(&at(path, key), v, "an object")),
    }
}

/// An array of objects, with each item's path.
pub(super) fn opt_objs<'v>(
    o: &'v Obj,
    key: &str,
    path: &str,
) -> Result<Vec<(String, &'v Obj)>, String> {
    let p = at(path, key);
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(m) => Ok((format!("{p}[{i}]"), m)),
                v => Err(wrong(&format!("{p}[{i}]"), v, "an object")),
            })
            .collect(),
        Some(v) => Err(wrong(&p, v, "an array")),
    }
}

pub(super) fn opt_strs<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Vec<&'v str>, String> {
    let p = at(path, key);
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.as_str()),
                v => Err(wrong(&format!("{p}[{i}]"), v, "a string")),
            })
            .collect(),
        Some(v) => Err(wrong(&p, v, "an array")),
    }
}

/// The `$ref` of a reference object. Documents written to the 2021 schema give some single
/// references as an array of them: one (or several naming the same component) is read as that
/// reference; several different ones are refused, since which is meant is not clear.
pub(super) fn opt_ref<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Option<&'v str>, String> {
    let p = at(path, key);
    if let Some(Value::Array(_)) = o.get(key) {
        let refs = opt_refs(o, key, path)?;
        return match refs.first() {
            None => Ok(None),
            Some(first) if refs.iter().all(|r| r == first) => Ok(Some(first)),
            Some(_) => Err(format!(
                "{p} lists {} different references where one is expected; which is meant is \
                 not clear",
                refs.len()
            )),
        };
    }
    let Some(r) = opt_obj(o, key, path)? else {
        return Ok(None);
    };
    opt_str(r, "$ref", &p)
}

pub(super) fn opt_refs<'v>(o: &'v Obj, key: &str, path: &str) -> Result<Vec<&'v str>, String> {
    opt_objs(o, key, path)?
        .into_iter()
        .filter_map(|(p, r)| opt_str(r, "$ref", &p).transpose())
        .collect()
}

pub(super) fn id_of<'v>(o: &'v Obj, path: &str) -> Result<Option<&'v str>, String> {
    opt_str(o, "$id", path)
}
