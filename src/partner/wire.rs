//! NENA-STA-024 messages (the WebSocket subscribe/notify and push schema, v1.1) read from text
//! and written as JSON. Reading names the field that is wrong, so the answer can say it; the
//! schema's two misspellings (`requestAwarenes`, `cancelREequest`) are read beside the right
//! spellings, and written as the schema spells them.

use serde_json::{json, Map, Value};

/// What a partner sent.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    Subscribe(Subscribe),
    Unsubscribe {
        request_id: String,
        subscription_id: String,
    },
    SubscribeResponse {
        request_id: String,
        subscription_id: Option<String>,
        status: u16,
        text: String,
        expires: Option<u64>,
    },
    UnsubscribeResponse {
        request_id: String,
        status: u16,
    },
    Event {
        subscription_id: String,
        transaction_id: String,
        notification: Vec<Value>,
    },
    EventResponse {
        transaction_id: String,
        status: u16,
        text: String,
    },
    Terminate {
        request_id: String,
        subscription_id: String,
    },
    TerminateResponse {
        request_id: String,
        status: u16,
    },
    RequestForService {
        request_id: String,
        eido: Value,
    },
    RequestAwareness {
        request_id: String,
        eido: Value,
    },
    CancelRequest {
        request_id: String,
    },
    /// An answer to a push this desk sent (`responseCode`), or the schema's 501.
    Response {
        request_id: String,
        code: u16,
        text: String,
    },
    /// A message this desk does not implement (`resourceMessage`, `resourceDiscovery`, …).
    NotImplemented {
        name: String,
        request_id: String,
    },
}

/// A subscription request.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Subscribe {
    pub request_id: String,
    pub request_type: Option<String>,
    pub sub_type: Option<String>,
    pub accepts: Option<String>,
    pub qual_filter: Option<String>,
    pub min_rate: Option<u64>,
    pub max_rate: Option<u64>,
    pub subscription_id: Option<String>,
    pub incident_id: Option<String>,
    pub unit_id: Option<String>,
    pub expires: Option<u64>,
}

/// A message that could not be read, and how to answer it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Not JSON, or not an object with one message in it: the socket is closed with 1007.
    Garbage(String),
    /// A known message with a field missing or of the wrong type: answered with 400 in the
    /// message's own response, naming the field.
    Bad {
        name: &'static str,
        /// The request's id (or transaction id) when it could be read, else empty.
        id: String,
        why: String,
    },
}

type Obj = Map<String, Value>;

fn field_str(o: &Obj, msg: &str, key: &str) -> Result<Option<String>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{msg}.{key} is not a string")),
    }
}

fn required_str(o: &Obj, msg: &str, key: &str) -> Result<String, String> {
    field_str(o, msg, key)?.ok_or_else(|| format!("{msg}.{key} is missing"))
}

fn field_int(o: &Obj, msg: &str, key: &str) -> Result<Option<u64>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{msg}.{key} is not a whole number of seconds")),
        Some(_) => Err(format!("{msg}.{key} is not a number")),
    }
}

fn status(o: &Obj, msg: &str, key: &str) -> Result<u16, String> {
    field_int(o, msg, key)?
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| format!("{msg}.{key} is missing or not a status code"))
}

/// Reads one text message.
pub fn parse(text: &str) -> Result<Incoming, Unreadable> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| Unreadable::Garbage(format!("not JSON ({e})")))?;
    let Value::Object(root) = value else {
        return Err(Unreadable::Garbage("not a JSON object".into()));
    };
    if root.len() != 1 {
        return Err(Unreadable::Garbage(format!(
            "a message is an object with one member; this has {}",
            root.len()
        )));
    }
    let Some((name, body)) = root.into_iter().next() else {
        return Err(Unreadable::Garbage("an empty object".into()));
    };
    let canonical: &'static str = match name.as_str() {
        "subscribe" => "subscribe",
        "unsubscribe" => "unsubscribe",
        "subscribeResponse" => "subscribeResponse",
        "unsubscribeResponse" => "unsubscribeResponse",
        "event" => "event",
        "eventResponse" => "eventResponse",
        "terminate" => "terminate",
        "terminateResponse" => "terminateResponse",
        "requestForService" => "requestForService",
        "requestAwareness" | "requestAwarenes" => "requestAwarenes",
        "cancelRequest" | "cancelREequest" => "cancelREequest",
        "response" => "response",
        other => {
            let id = body
                .get("requestId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            return Ok(Incoming::NotImplemented {
                name: other.chars().take(64).collect(),
                request_id: id,
            });
        }
    };
    let Value::Object(o) = body else {
        return Err(Unreadable::Bad {
            name: canonical,
            id: String::new(),
            why: format!("{name} is not an object"),
        });
    };
    let id = ["requestId", "transactionId"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
    read(canonical, &o).map_err(|why| Unreadable::Bad {
        name: canonical,
        id,
        why,
    })
}

fn read(name: &'static str, o: &Obj) -> Result<Incoming, String> {
    let n = name;
    Ok(match name {
        "subscribe" => Incoming::Subscribe(Subscribe {
            request_id: required_str(o, n, "requestId")?,
            request_type: field_str(o, n, "requestType")?,
            sub_type: field_str(o, n, "requestSubType")?,
            accepts: field_str(o, n, "requestAccepts")?,
            qual_filter: field_str(o, n, "qualFilter")?,
            min_rate: field_int(o, n, "minRate")?,
            max_rate: field_int(o, n, "maxRate")?,
            subscription_id: field_str(o, n, "subscriptionId")?,
            incident_id: field_str(o, n, "incidentId")?,
            unit_id: field_str(o, n, "unitId")?,
            expires: field_int(o, n, "expires")?,
        }),
        "unsubscribe" => Incoming::Unsubscribe {
            request_id: required_str(o, n, "requestId")?,
            subscription_id: required_str(o, n, "subscriptionId")?,
        },
        "subscribeResponse" => Incoming::SubscribeResponse {
            request_id: required_str(o, n, "requestId")?,
            subscription_id: field_str(o, n, "subscriptionId")?,
            status: status(o, n, "statusCode")?,
            text: field_str(o, n, "statusText")?.unwrap_or_default(),
            expires: field_int(o, n, "expires")?,
        },
        "unsubscribeResponse" => Incoming::UnsubscribeResponse {
            request_id: required_str(o, n, "requestId")?,
            status: status(o, n, "statusCode")?,
        },
        "event" => Incoming::Event {
            subscription_id: required_str(o, n, "subscriptionId")?,
            transaction_id: required_str(o, n, "transactionId")?,
            notification: match o.get("notification") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.clone(),
                Some(_) => return Err("event.notification is not an array".into()),
            },
        },
        "eventResponse" => Incoming::EventResponse {
            transaction_id: required_str(o, n, "transactionId")?,
            status: status(o, n, "statusCode")?,
            text: field_str(o, n, "statusText")?.unwrap_or_default(),
        },
        "terminate" => Incoming::Terminate {
            request_id: required_str(o, n, "requestId")?,
            subscription_id: required_str(o, n, "subscriptionId")?,
        },
        "terminateResponse" => Incoming::TerminateResponse {
            request_id: required_str(o, n, "requestId")?,
            status: status(o, n, "statusCode")?,
        },
        "requestForService" | "requestAwarenes" => {
            let request_id = required_str(o, n, "requestId")?;
            let eido = match o.get("eido") {
                Some(v @ Value::Object(_)) => v.clone(),
                Some(_) => return Err(format!("{n}.eido is not an EIDO object")),
                None => return Err(format!("{n}.eido is missing")),
            };
            if name == "requestForService" {
                Incoming::RequestForService { request_id, eido }
            } else {
                Incoming::RequestAwareness { request_id, eido }
            }
        }
        "cancelREequest" => Incoming::CancelRequest {
            request_id: required_str(o, n, "requestId")?,
        },
        _ => {
            // `response`: an answer to a push (responseCode), or the 501 one (statusCode).
            let code = if o.contains_key("responseCode") {
                status(o, n, "responseCode")?
            } else {
                status(o, n, "statusCode")?
            };
            Incoming::Response {
                request_id: required_str(o, n, "requestId")?,
                code,
                text: field_str(o, n, "responseText")?
                    .or(field_str(o, n, "statusText")?)
                    .unwrap_or_default(),
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// What this desk sends. Each validates against sta024-websocket.yaml (tests check).

/// Negotiated terms of a subscription, as `subscribeResponse` states them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Terms {
    pub min_rate: Option<u64>,
    pub max_rate: Option<u64>,
    pub expires: u64,
}

pub fn subscribe_response(
    request_id: &str,
    subscription_id: Option<&str>,
    code: u16,
    text: &str,
    terms: Option<Terms>,
) -> Value {
    let mut m = Map::new();
    m.insert("requestId".into(), request_id.into());
    if let Some(id) = subscription_id {
        m.insert("subscriptionId".into(), id.into());
    }
    if let Some(t) = terms {
        if let Some(r) = t.min_rate {
            m.insert("minRate".into(), r.into());
        }
        if let Some(r) = t.max_rate {
            m.insert("maxRate".into(), r.into());
        }
        m.insert("expires".into(), t.expires.into());
    }
    m.insert("statusCode".into(), code.into());
    m.insert("statusText".into(), text.into());
    json!({ "subscribeResponse": m })
}

pub fn unsubscribe_response(
    request_id: &str,
    subscription_id: &str,
    code: u16,
    text: &str,
) -> Value {
    json!({ "unsubscribeResponse": {
        "requestId": request_id, "subscriptionId": subscription_id,
        "statusCode": code, "statusText": text,
    } })
}

pub fn event_response(transaction_id: &str, code: u16, text: &str) -> Value {
    json!({ "eventResponse": {
        "transactionId": transaction_id, "statusCode": code, "statusText": text,
    } })
}

pub fn terminate(request_id: &str, subscription_id: &str) -> Value {
    json!({ "terminate": { "requestId": request_id, "subscriptionId": subscription_id } })
}

pub fn terminate_response(request_id: &str, subscription_id: &str, code: u16, text: &str) -> Value {
    json!({ "terminateResponse": {
        "requestId": request_id, "subscriptionId": subscription_id,
        "statusCode": code, "statusText": text,
    } })
}

/// The answer to a push (`requestForService`, `requestAwarenes`, `cancelREequest`).
pub fn response(request_id: &str, code: u16, text: &str) -> Value {
    json!({ "response": {
        "requestId": request_id, "responseCode": code, "responseText": text,
    } })
}

/// The schema's answer to a message this desk does not implement.
pub fn not_implemented(request_id: &str) -> Value {
    json!({ "response": {
        "requestId": request_id, "statusCode": 501, "statusText": "Not implemented",
    } })
}

pub fn subscribe(request: &Subscribe) -> Value {
    let mut m = Map::new();
    m.insert("requestId".into(), request.request_id.clone().into());
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(k.into(), v.clone().into());
        }
    };
    put("requestType", &request.request_type);
    put("requestSubType", &request.sub_type);
    put("requestAccepts", &request.accepts);
    put("subscriptionId", &request.subscription_id);
    put("incidentId", &request.incident_id);
    put("unitId", &request.unit_id);
    if let Some(e) = request.expires {
        m.insert("expires".into(), e.into());
    }
    if let Some(r) = request.min_rate {
        m.insert("minRate".into(), r.into());
    }
    if let Some(r) = request.max_rate {
        m.insert("maxRate".into(), r.into());
    }
    json!({ "subscribe": m })
}

pub fn unsubscribe(request_id: &str, subscription_id: &str) -> Value {
    json!({ "unsubscribe": { "requestId": request_id, "subscriptionId": subscription_id } })
}

/// The answer to a message that could not be read: 400 in its own response, naming the field.
pub fn bad(name: &str, id: &str, why: &str) -> Value {
    let text = format!("Bad request: {why}");
    match name {
        "subscribe" => subscribe_response(id, None, 400, &text, None),
        "unsubscribe" => unsubscribe_response(id, "", 400, &text),
        "event" => event_response(id, 400, &text),
        "terminate" => terminate_response(id, "", 400, &text),
        "requestForService" | "requestAwarenes" | "cancelREequest" => response(id, 400, &text),
        // A response that cannot be read is not answered (an answer to an answer loops).
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_are_read() {
        let a = parse(r#"{"cancelRequest":{"requestId":"r1"}}"#).unwrap();
        let b = parse(r#"{"cancelREequest":{"requestId":"r1"}}"#).unwrap();
        assert_eq!(a, b);
        assert!(matches!(
            parse(r#"{"requestAwareness":{"requestId":"r","eido":{}}}"#),
            Ok(Incoming::RequestAwareness { .. })
        ));
    }

    #[test]
    fn a_bad_field_is_named_and_garbage_is_told_apart() {
        assert_eq!(
            parse(r#"{"subscribe":{"requestId":"r","expires":"soon"}}"#),
            Err(Unreadable::Bad {
                name: "subscribe",
                id: "r".into(),
                why: "subscribe.expires is not a number".into()
            })
        );
        assert!(matches!(parse("{"), Err(Unreadable::Garbage(_))));
        assert!(matches!(parse("[1]"), Err(Unreadable::Garbage(_))));
        assert_eq!(
            parse(r#"{"resourceDiscovery":{"requestId":"q"}}"#),
            Ok(Incoming::NotImplemented {
                name: "resourceDiscovery".into(),
                request_id: "q".into()
            })
        );
    }
}
