//! EIDOs inside NENA-STA-024 messages: an `event` carries an array of them in `notification`;
//! `requestForService`, `requestAwareness` (the schema spells it `requestAwarenes`; both are
//! read) and `resourceMessage` carry one in `eido`. A document handed over as such a message is
//! unwrapped; other messages carry no EIDO and are named as what they are.

use serde_json::Value;

use super::json::kind;

/// The messages that carry EIDOs, and the field that holds them.
const CARRIERS: &[(&str, &str)] = &[
    ("event", "notification"),
    ("requestForService", "eido"),
    ("requestAwareness", "eido"),
    ("requestAwarenes", "eido"),
    ("resourceMessage", "eido"),
];

/// The other NENA-STA-024 messages: none carries an EIDO.
const OTHERS: &[&str] = &[
    "subscribe",
    "subscribeResponse",
    "unsubscribe",
    "unsubscribeResponse",
    "eventResponse",
    "terminate",
    "terminateResponse",
    "response",
    "cancelRequest",
    "cancelREequest",
    "resourceDiscovery",
    "resourceDiscoveryResponse",
];

/// Each EIDO in `value`, with where it sits: the value itself when it is not a message.
pub(super) fn eidos(value: &Value) -> Result<Vec<(String, &Value)>, String> {
    let Value::Object(root) = value else {
        return Ok(vec![(String::new(), value)]);
    };
    if root.contains_key("eidoVersion") || root.len() != 1 {
        return Ok(vec![(String::new(), value)]);
    }
    let Some((name, body)) = root.iter().next() else {
        return Ok(vec![(String::new(), value)]);
    };
    if OTHERS.contains(&name.as_str()) {
        return Err(format!(
            "it is a NENA-STA-024 {name} message, which carries no EIDO"
        ));
    }
    let Some(&(_, field)) = CARRIERS.iter().find(|(m, _)| m == name) else {
        return Ok(vec![(String::new(), value)]);
    };
    let Value::Object(body) = body else {
        return Err(format!("{name} is {}; expected an object", kind(body)));
    };
    let path = format!("{name}.{field}");
    match body.get(field) {
        None | Some(Value::Null) => Err(format!("the {name} message carries no EIDO ({path})")),
        Some(Value::Array(items)) if field == "notification" => {
            if items.is_empty() {
                return Err(format!(
                    "the {name} message carries no EIDO ({path} is empty)"
                ));
            }
            Ok(items
                .iter()
                .enumerate()
                .map(|(i, d)| (format!("{path}[{i}]"), d))
                .collect())
        }
        Some(doc @ Value::Object(_)) if field == "eido" => Ok(vec![(path, doc)]),
        Some(v) => Err(format!(
            "{path} is {}; expected {}",
            kind(v),
            if field == "notification" {
                "an array of EIDOs"
            } else {
                "an EIDO object"
            }
        )),
    }
}
