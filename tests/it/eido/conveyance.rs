//! NENA-STA-024, driven as a 911 centre's CAD would: real TLS and real `WebSocket`s on
//! loopback against a serving desk. Every message the desk sends is checked against
//! `sta024-websocket.yaml`, every EIDO in it against the EIDO schema and the NIEM components.

use serde_json::{json, Value};
use switchboard::domain::{Direction, Stage};
use switchboard::sync::node::Serving;
use tokio::net::TcpListener;

use super::validator::{Schemas, EIDO};
use super::{fixture, read_json};
use crate::common::partner::{attach, serve, setup, Cad, Got, Setup, SUBPROTOCOL};

/// Any NENA-STA-024 message.
const MESSAGE: &str =
    "sta024-websocket.yaml#/paths/~1ent/get/responses/200/content/application~1json/schema";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Each message validates against the STA-024 schema, each EIDO it carries against the EIDO
/// schema (the NIEM person type included).
fn check_all(seen: &[Value]) {
    let schemas = Schemas::get();
    for v in seen {
        let found = schemas.validate(MESSAGE, v, true);
        assert!(found.errors.is_empty(), "{:?}\n{v}", found.errors);
        let eidos: Vec<&Value> = match (v.get("event"), v.get("requestForService")) {
            (Some(e), _) => e["notification"].as_array().into_iter().flatten().collect(),
            (_, Some(r)) => vec![&r["eido"]],
            _ => Vec::new(),
        };
        for doc in eidos {
            let found = schemas.validate(EIDO, doc, true);
            assert!(found.errors.is_empty(), "{:?}\n{doc}", found.errors);
        }
    }
}

fn rfs(request: &str, doc: &Value) -> Value {
    json!({ "requestForService": { "requestId": request, "eido": doc } })
}

/// The handover fixture as another incident of the same centre.
fn incident(n: u32) -> Value {
    let mut doc = read_json(&fixture("handover-from-911.json"));
    doc["$id"] = json!(format!(
        "urn:emergency:uid:incidentid:2026-00{n}:psap.millbrook.example"
    ));
    doc["incidentComponent"]["internalIncidentId"] = json!(format!("2026-00{n}"));
    doc
}

struct Running {
    setup: Setup,
    serving: Option<Serving>,
    _root: tempfile::TempDir,
}

fn running(subscribe: Option<&str>) -> Running {
    let root = tempfile::tempdir().unwrap();
    let setup = setup(root.path(), "metro", subscribe);
    let serving = Some(serve(&setup.dir));
    Running {
        setup,
        serving,
        _root: root,
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.serving.take() {
            let _ = s.stop();
        }
    }
}

fn handoff_stage(r: &Running, call: &str) -> (Stage, Option<String>) {
    let desk = attach(&r.setup.dir, "look");
    let c = &desk.state().calls[&call.parse().unwrap()];
    let h = c
        .handoffs
        .iter()
        .find(|h| h.direction == Direction::In)
        .unwrap();
    (c.handoff_stage(h), h.detail.clone())
}

fn call_of(text: &Value) -> String {
    // "Ringing: taken as 26-XX0001, waiting for a dispatcher"
    let t = text["responseText"].as_str().unwrap();
    t.split_whitespace()
        .find(|w| w.len() >= 9 && w.as_bytes()[2] == b'-')
        .unwrap()
        .trim_end_matches(',')
        .to_owned()
}

#[test]
fn a_request_for_service_becomes_a_pending_call_and_the_dispatchers_answer_goes_back() {
    let r = running(None);
    runtime().block_on(async {
        let mut cad = Cad::connect(&r.setup).await;
        cad.send(&rfs("r-1", &incident(11))).await;
        let answer = cad.expect("response").await;
        assert_eq!(answer["requestId"], "r-1");
        assert_eq!(answer["responseCode"], 180, "{answer}");
        let call = call_of(&answer);
        // On the dispatcher's screen: a pending call, handed in, received.
        let mut desk = attach(&r.setup.dir, "ana");
        let c = &desk.state().calls[&call.parse().unwrap()];
        assert_eq!(c.status.word(), "pending");
        assert_eq!(c.nature, "Man shouting at traffic, not violent");
        assert_eq!(handoff_stage(&r, &call).0, Stage::Received);
        desk.run_line(&format!("accept {call}")).unwrap();
        let answer = cad.expect("response").await;
        assert_eq!(
            (
                answer["requestId"].as_str(),
                answer["responseCode"].as_u64()
            ),
            (Some("r-1"), Some(200))
        );

        // The same incident again is the same call.
        cad.send(&rfs("r-1b", &incident(11))).await;
        let again = cad.expect("response").await;
        assert_eq!(again["responseCode"], 200, "{again}");
        assert!(again["responseText"].as_str().unwrap().contains(&call));

        // Rejected by the dispatcher, with the reason.
        cad.send(&rfs("r-2", &incident(12))).await;
        let second = call_of(&cad.expect("response").await);
        let mut desk = attach(&r.setup.dir, "ana");
        desk.run_line(&format!("reject {second} not our area, east of the river"))
            .unwrap();
        let answer = cad.expect("response").await;
        assert_eq!(answer["requestId"], "r-2");
        assert_eq!(answer["responseCode"], 488);
        assert_eq!(
            answer["responseText"],
            "Not acceptable here: not our area, east of the river"
        );
        assert_eq!(
            handoff_stage(&r, &second),
            (
                Stage::Rejected,
                Some("not our area, east of the river".into())
            )
        );

        // Cancelled by the sender: shown to the dispatcher.
        cad.send(&rfs("r-3", &incident(13))).await;
        let third = call_of(&cad.expect("response").await);
        cad.send(&json!({ "cancelRequest": { "requestId": "r-3" } }))
            .await;
        let answer = cad.expect("response").await;
        assert_eq!(answer["responseCode"], 200, "{answer}");
        assert_eq!(handoff_stage(&r, &third).0, Stage::Cancelled);
        let desk = attach(&r.setup.dir, "look");
        let notes = &desk.state().calls[&third.parse().unwrap()].notes;
        assert_eq!(
            notes.last().unwrap().text,
            "metro cancelled the request for service r-3"
        );
        cad.send(&json!({ "cancelREequest": { "requestId": "r-404" } }))
            .await;
        assert_eq!(cad.expect("response").await["responseCode"], 404);

        // For awareness: shown, not queued for an answer.
        cad.send(&json!({ "requestAwarenes": { "requestId": "a-1", "eido": incident(14) } }))
            .await;
        let answer = cad.expect("response").await;
        assert_eq!(answer["responseCode"], 200, "{answer}");
        let desk = attach(&r.setup.dir, "look");
        assert!(desk.state().calls.values().any(|c| c
            .notes
            .first()
            .is_some_and(|n| n.text.starts_with("for awareness only: metro"))));

        // A request without a usable address is refused, naming why; nothing is written.
        let before = attach(&r.setup.dir, "look").state().digest();
        let mut bad = incident(15);
        bad["locationComponent"] = json!([]);
        cad.send(&rfs("r-5", &bad)).await;
        let answer = cad.expect("response").await;
        assert_eq!(answer["responseCode"], 400);
        assert_eq!(
            answer["responseText"],
            "Bad request: it has no locationComponent; a call needs a location"
        );
        assert_eq!(attach(&r.setup.dir, "look").state().digest(), before);
        check_all(&cad.seen);
    });
}

#[test]
fn a_subscribed_partner_hears_each_change_until_it_unsubscribes_or_it_expires() {
    let r = running(None);
    runtime().block_on(async {
        let mut cad = Cad::connect(&r.setup).await;
        // A call it handed in, and one of ours it may not see.
        cad.send(&rfs("r-1", &incident(21))).await;
        let call = call_of(&cad.expect("response").await);
        let mut desk = attach(&r.setup.dir, "ana");
        desk.run_line("call 9 Elm St / private welfare check").unwrap();

        cad.send(&json!({ "subscribe": {
            "requestId": "s-1", "requestType": "EIDO", "requestSubType": "new",
            "requestAccepts": "application/emergency.eido+json",
            "minRate": 1, "maxRate": 0, "expires": 999_999 } }))
            .await;
        let granted = cad.expect("subscribeResponse").await;
        assert_eq!(granted["statusCode"], 200, "{granted}");
        // Negotiated: a heartbeat no more often than 10 s, a day at most.
        assert_eq!(granted["minRate"], 10);
        assert_eq!(granted["expires"], 86_400);
        let sub = granted["subscriptionId"].as_str().unwrap().to_owned();
        // At once: the open calls it may see — its own, not ours.
        let first = cad.expect("event").await;
        assert_eq!(first["subscriptionId"], sub.as_str());
        let docs = first["notification"].as_array().unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(
            docs[0]["$id"],
            "urn:emergency:uid:incidentid:2026-0021:psap.millbrook.example"
        );
        let tx = first["transactionId"].as_str().unwrap();
        cad.send(&json!({ "eventResponse": { "transactionId": tx, "statusCode": 200, "statusText": "OK" } })).await;

        // A change: an event with the EIDO as it is now.
        desk.run_line(&format!("note {call} team on the way, 10 minutes"))
            .unwrap();
        let next = cad.expect("event").await;
        let doc = &next["notification"][0];
        assert!(doc.to_string().contains("team on the way, 10 minutes"), "{doc}");

        // Single: an incident it may not see is forbidden; an unknown one not found.
        let ours = desk
            .state()
            .calls
            .values()
            .find(|c| c.handoffs.is_empty())
            .unwrap()
            .id
            .to_string();
        for (incident, code) in [(ours.as_str(), 403), ("urn:emergency:uid:incidentid:nope:x", 404)] {
            cad.send(&json!({ "subscribe": { "requestId": "s-x", "requestType": "EIDO",
                "requestSubType": "single", "incidentId": incident } })).await;
            assert_eq!(cad.expect("subscribeResponse").await["statusCode"], code, "{incident}");
        }
        cad.send(&json!({ "subscribe": { "requestId": "s-r", "subscriptionId": "nope" } })).await;
        assert_eq!(cad.expect("subscribeResponse").await["statusCode"], 481);
        cad.send(&json!({ "subscribe": { "requestId": "s-q", "requestType": "EIDO",
            "requestSubType": "new", "qualFilter": "x" } })).await;
        assert_eq!(cad.expect("subscribeResponse").await["statusCode"], 406);

        // Unsubscribe, then again: 481.
        for code in [200, 481] {
            cad.send(&json!({ "unsubscribe": { "requestId": "u-1", "subscriptionId": sub } })).await;
            assert_eq!(cad.expect("unsubscribeResponse").await["statusCode"], code);
        }

        // Its request answered, a subscription of two seconds is ended with terminate, and the
        // socket with it.
        desk.run_line(&format!("accept {call}")).unwrap();
        assert_eq!(cad.expect("response").await["responseCode"], 200);
        cad.send(&json!({ "subscribe": { "requestId": "s-2", "requestType": "EIDO",
            "requestSubType": "single", "incidentId":
            "urn:emergency:uid:incidentid:2026-0021:psap.millbrook.example", "expires": 2 } }))
            .await;
        let short = cad.expect("subscribeResponse").await;
        assert_eq!((short["statusCode"].as_u64(), short["expires"].as_u64()), (Some(200), Some(2)));
        let ended = cad.expect("terminate").await;
        assert_eq!(ended["subscriptionId"], short["subscriptionId"]);
        cad.send(&json!({ "terminateResponse": { "requestId": ended["requestId"],
            "subscriptionId": ended["subscriptionId"], "statusCode": 200, "statusText": "OK" } }))
            .await;
        loop {
            match cad.next().await {
                Got::Closed(frame) => {
                    assert_eq!(frame.map(|f| u16::from(f.code)), Some(1000));
                    break;
                }
                Got::Json(_) => {}
            }
        }
        check_all(&cad.seen);
    });
}

#[test]
fn malformed_oversized_or_unauthenticated_messages_are_refused_and_nothing_is_written() {
    let r = running(None);
    let digest = || attach(&r.setup.dir, "look").state().digest();
    let before = digest();
    runtime().block_on(async {
        let mut cad = Cad::connect(&r.setup).await;
        // A field of the wrong type: 400 in the message's own answer, naming the field.
        cad.send(&json!({ "subscribe": { "requestId": "s", "expires": "soon" } })).await;
        let v = cad.expect("subscribeResponse").await;
        assert_eq!(v["statusCode"], 400);
        assert_eq!(v["statusText"], "Bad request: subscribe.expires is not a number");
        cad.send(&json!({ "requestForService": { "requestId": "r" } })).await;
        let v = cad.expect("response").await;
        assert_eq!((v["responseCode"].as_u64(), v["responseText"].as_str()),
            (Some(400), Some("Bad request: requestForService.eido is missing")));
        // Too large: 413 for a subscription over 64 KiB, 513 for a request over 1 MiB.
        cad.send(&json!({ "subscribe": { "requestId": "big", "requestType": "EIDO",
            "requestSubType": "new", "requestAccepts": "x".repeat(70_000) } })).await;
        assert_eq!(cad.expect("subscribeResponse").await["statusCode"], 413);
        let mut huge = incident(31);
        huge["incidentComponent"]["incidentTypeInternalText"] = json!("x".repeat(1_200_000));
        cad.send(&rfs("huge", &huge)).await;
        assert_eq!(cad.expect("response").await["responseCode"], 513);
        // A message this desk does not implement: the schema's 501.
        cad.send(&json!({ "resourceDiscovery": { "requestId": "d", "requestAccepts": "x" } })).await;
        let v = cad.expect("response").await;
        assert_eq!((v["statusCode"].as_u64(), v["statusText"].as_str()), (Some(501), Some("Not implemented")));
        // An event for a subscription it never made.
        cad.send(&json!({ "event": { "subscriptionId": "x", "transactionId": "t", "notification": [] } })).await;
        assert_eq!(cad.expect("eventResponse").await["statusCode"], 481);
        // Not JSON: the socket is closed with 1007.
        cad.send_text("{\"subscribe\":".into()).await;
        match cad.next().await {
            Got::Closed(Some(f)) => assert_eq!(u16::from(f.code), 1007),
            other => panic!("{other:?}"),
        }
        check_all(&cad.seen);

        // Binary: 1003.
        let mut cad = Cad::connect(&r.setup).await;
        cad.send_binary(vec![1, 2, 3]).await;
        match cad.next().await {
            Got::Closed(Some(f)) => assert_eq!(u16::from(f.code), 1003),
            other => panic!("{other:?}"),
        }
        // Over the WebSocket limit (4 MiB): closed with 1009.
        let mut cad = Cad::connect(&r.setup).await;
        // The desk may close while the message is still on its way: 1009, or a dropped
        // connection when the closing frame cannot be read back.
        let _ = cad
            .try_send_text(format!("{{\"requestForService\":\"{}\"}}", "x".repeat(5 * 1024 * 1024)))
            .await;
        match cad.next().await {
            Got::Closed(Some(f)) => assert_eq!(u16::from(f.code), 1009),
            Got::Closed(None) => {}
            other => panic!("{other:?}"),
        }

        // The wrong path, or no subprotocol: the WebSocket handshake is refused.
        let s = &r.setup;
        let wrong = Cad::connect_as(&s.cad, s.ours, s.port, "/ent", Some(SUBPROTOCOL)).await;
        assert!(wrong.err().unwrap().contains("404"));
        let bare = Cad::connect_as(&s.cad, s.ours, s.port, "/IncidentData/ent", None).await;
        assert!(bare.err().unwrap().contains("400"));
        // A node no partner is known by: TLS refuses it before any message.
        let stranger = tempfile::tempdir().unwrap();
        let refused = Cad::connect_as(stranger.path(), s.ours, s.port, "/IncidentData/ent", Some(SUBPROTOCOL)).await;
        assert!(refused.is_err());
    });
    assert_eq!(digest(), before, "a refused message wrote to the store");
    let board_refusals = {
        let (_, mut watch) = switchboard::desk::attach::attach(
            &r.setup.dir,
            Box::new(switchboard::desk::SystemClock),
            "look",
        )
        .unwrap()
        .unwrap();
        watch
            .set_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        loop {
            if let switchboard::desk::attach::Reply::Board(b) = watch.recv().unwrap() {
                break b.refused;
            }
        }
    };
    assert!(
        board_refusals
            .iter()
            .any(|x| x.why.contains("unknown peer certificate")),
        "{board_refusals:?}"
    );
}

#[test]
fn the_desk_subscribes_to_a_cads_new_incidents_and_takes_each_once_across_reconnects() {
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path(), "metro", Some("new"));
    let rt = runtime();
    let listener = rt
        .block_on(TcpListener::bind(("127.0.0.1", s.cad_port)))
        .unwrap();
    let serving = serve(&s.dir);
    rt.block_on(async {
        for round in 0..2 {
            let mut cad = Cad::accept(&listener, &s.cad, s.ours).await;
            let ask = cad.expect("subscribe").await;
            assert_eq!(ask["requestSubType"], "new", "{ask}");
            cad.send(
                &json!({ "subscribeResponse": { "requestId": ask["requestId"],
                "subscriptionId": "cad-sub-1", "expires": 3600,
                "statusCode": 200, "statusText": "OK" } }),
            )
            .await;
            let mut doc = incident(41);
            if round == 1 {
                doc["notesComponent"].as_array_mut().unwrap().push(json!({
                    "$id": "note-3", "lastUpdateTimeStamp": "2026-03-02T14:09:00.000-07:00",
                    "updatedByAgencyReference": { "$ref": "psap.millbrook.example" },
                    "notesActionComments": "He walked north." }));
            }
            cad.send(&json!({ "event": { "subscriptionId": "cad-sub-1",
                "transactionId": format!("t-{round}"), "notification": [doc] } }))
                .await;
            let ack = cad.expect("eventResponse").await;
            assert_eq!(
                (ack["transactionId"].as_str(), ack["statusCode"].as_u64()),
                (Some(format!("t-{round}").as_str()), Some(200)),
                "{ack}"
            );
            // An EIDO that cannot be read is refused with the field named, nothing taken.
            let mut bad = incident(42);
            bad["eidoVersion"] = json!("3.0");
            cad.send(&json!({ "event": { "subscriptionId": "cad-sub-1",
                "transactionId": "t-bad", "notification": [bad] } }))
                .await;
            let ack = cad.expect("eventResponse").await;
            assert_eq!(ack["statusCode"], 400);
            assert_eq!(
                ack["statusText"],
                "Bad request: notification[0].eidoVersion is '3.0'; only 1.0 is understood"
            );
            check_all(&cad.seen);
            // The CAD goes away; the desk dials again and subscribes again.
        }
    });
    let desk = attach(&s.dir, "look");
    let calls: Vec<_> = desk.state().calls.values().collect();
    assert_eq!(calls.len(), 1, "the same incident became two calls");
    let c = calls[0];
    assert_eq!(c.status.word(), "pending");
    assert_eq!(c.handed_in().unwrap().partner, "metro");
    assert_eq!(c.notes.last().unwrap().text, "He walked north.");
    assert_eq!(
        c.notes
            .iter()
            .filter(|n| n.text == "He walked north.")
            .count(),
        1
    );
    drop(desk);
    serving.stop().unwrap();
}

#[test]
fn a_call_transferred_out_is_sent_answered_and_followed_to_its_close() {
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path(), "metro", None);
    let rt = runtime();
    let listener = rt
        .block_on(TcpListener::bind(("127.0.0.1", s.cad_port)))
        .unwrap();
    let serving = serve(&s.dir);
    let mut desk = attach(&s.dir, "ana");
    let id = crate::common::pair::take_call(
        &mut desk,
        "call 1 Main St / man with a knife, needs police --type weapon",
    );
    desk.run_line(&format!("transfer {id} metro")).unwrap();
    let stage = |s: &crate::common::partner::Setup| {
        let d = attach(&s.dir, "look");
        let c = &d.state().calls[&id];
        let h = c
            .handoffs
            .iter()
            .find(|h| h.direction == Direction::Out)
            .unwrap();
        (h.stage, h.detail.clone())
    };
    rt.block_on(async {
        let mut cad = Cad::accept(&listener, &s.cad, s.ours).await;
        let push = cad.expect("requestForService").await;
        let request = push["requestId"].as_str().unwrap().to_owned();
        let incident = push["eido"]["$id"].as_str().unwrap().to_owned();
        assert!(incident.contains(id.as_str()), "{incident}");
        cad.send(&json!({ "response": { "requestId": request, "responseCode": 180, "responseText": "Ringing" } })).await;
        cad.send(&json!({ "response": { "requestId": request, "responseCode": 200, "responseText": "OK" } })).await;
        // Accepted: the desk follows the incident.
        let follow = cad.expect("subscribe").await;
        assert_eq!((follow["requestSubType"].as_str(), follow["incidentId"].as_str()),
            (Some("single"), Some(incident.as_str())));
        cad.send(&json!({ "subscribeResponse": { "requestId": follow["requestId"],
            "subscriptionId": "cad-follow", "expires": 3600, "statusCode": 200, "statusText": "OK" } })).await;
        let mut theirs = push["eido"].clone();
        theirs["incidentComponent"]["incidentStatusCommonRegistryText"] = json!(["ResourcesOnscene"]);
        cad.send(&json!({ "event": { "subscriptionId": "cad-follow", "transactionId": "t1",
            "notification": [theirs.clone()] } })).await;
        assert_eq!(cad.expect("eventResponse").await["statusCode"], 200);
        assert_eq!(stage(&s).0, Stage::OnScene);
        theirs["incidentComponent"]["incidentStatusCommonRegistryText"] = json!(["Closed"]);
        theirs["incidentComponent"]["dispositionComponent"] = json!([{
            "$id": "d1", "lastUpdateTimeStamp": "2026-03-02T15:00:00Z",
            "updatedByAgencyReference": { "$ref": "metro" },
            "dispositionCommonRegistryCode": "03", "dispositionDescriptionText": "Arrest" }]);
        cad.send(&json!({ "event": { "subscriptionId": "cad-follow", "transactionId": "t2",
            "notification": [theirs] } })).await;
        assert_eq!(cad.expect("eventResponse").await["statusCode"], 200);
        check_all(&cad.seen);
    });
    assert_eq!(stage(&s), (Stage::Closed, Some("03 Arrest".into())));
    let d = attach(&s.dir, "look");
    let h = &d.state().calls[&id].handoffs[0];
    let stages: Vec<Stage> = h.history.iter().map(|(st, _)| *st).collect();
    assert_eq!(
        stages,
        vec![
            Stage::Sent,
            Stage::Received,
            Stage::Accepted,
            Stage::OnScene,
            Stage::Closed
        ]
    );
    drop((d, desk));
    serving.stop().unwrap();
}

/// A client that takes any server certificate: the test is about the desk checking the client.
#[derive(Debug)]
struct AnyServer(rustls::crypto::WebPkiSupportedAlgorithms);

impl rustls::client::danger::ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("TLS 1.3 only".into()))
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_schemes()
    }
}

fn pem(der: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// A certificate authority and a client certificate it issued for `host`.
fn authority_and_client(host: &str) -> (String, tokio_rustls::TlsConnector) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(vec![host.to_owned()]).unwrap();
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(AnyServer(
            provider.signature_verification_algorithms,
        )))
        .with_client_auth_cert(
            vec![leaf.der().clone(), ca.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    (
        pem(ca.der()),
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config)),
    )
}

#[test]
fn a_certificate_chain_from_the_configured_authority_is_accepted_for_its_host() {
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path(), "metro", None);
    let (ca_pem, client) = authority_and_client("cad.metro.example");
    let ca_file = root.path().join("pca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let mut partners = switchboard::partner::Partners::load(&s.dir).unwrap();
    partners.authority = Some(ca_file);
    partners
        .add(
            "county",
            "wss://cad.metro.example:9/IncidentData/ent",
            "authority",
            None,
            None,
        )
        .unwrap();
    partners.save().unwrap();
    let serving = serve(&s.dir);
    // Another authority's certificate, for the same host: refused.
    let (_, stranger) = authority_and_client("cad.metro.example");
    let rt = runtime();
    rt.block_on(async {
        let mut cad = Cad::connect_with(client, s.port, "/IncidentData/ent", Some(SUBPROTOCOL))
            .await
            .unwrap();
        cad.send(&rfs("r-ca", &incident(51))).await;
        assert_eq!(cad.expect("response").await["responseCode"], 180);
        check_all(&cad.seen);
        let refused =
            Cad::connect_with(stranger, s.port, "/IncidentData/ent", Some(SUBPROTOCOL)).await;
        if let Ok(mut c) = refused {
            // TLS 1.3: the client may finish first; the desk then drops it unread.
            assert!(matches!(c.next().await, Got::Closed(_)));
        }
    });
    // The call was handed in by the partner the certificate names.
    let desk = attach(&s.dir, "look");
    let c = desk.state().calls.values().next().unwrap();
    assert_eq!(c.handed_in().unwrap().partner, "county");
    assert_eq!(desk.state().calls.len(), 1);
    drop(desk);
    serving.stop().unwrap();
}

/// Serves the desk in `dir` placing calls with the shipped Millbrook address list.
fn serve_in_millbrook(dir: &std::path::Path) -> Serving {
    use switchboard::desk::{Desk, SystemClock};
    use switchboard::store::{Store, StoreKind};
    let store = Store::open(dir, StoreKind::Live).unwrap();
    let town = switchboard::places::towns::town("millbrook").unwrap();
    let desk = Desk::open(store, Box::new(SystemClock), "desk")
        .unwrap()
        .with_gazetteer(Some(town));
    switchboard::sync::node::serve_in_background(
        desk,
        switchboard::sync::node::Options {
            dir: dir.to_owned(),
            listen: None,
        },
    )
    .unwrap()
}

/// `switchboard partner ARGS` on the desk's data dir: (success, stdout, stderr).
fn partner_cli(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--data")
        .arg(dir)
        .arg("partner")
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The handover fixture with its PIDF-LO civic address's town (`A3`) replaced, or removed with
/// its coordinates (so the address list places it) when `town` is `None`.
fn incident_in(n: u32, town: Option<&str>) -> Value {
    let mut doc = incident(n);
    // The incident's location is the second component; the first is the caller's, by reference.
    let pidf = doc["locationComponent"][1]["locationByValue"]
        .as_str()
        .unwrap()
        .to_owned();
    let pidf = if let Some(t) = town {
        pidf.replace("<A3>Millbrook</A3>", &format!("<A3>{t}</A3>"))
    } else {
        let civic_only = pidf.split("<tuple id=\"b\">").next().unwrap().to_owned() + "</presence>";
        civic_only.replace("<A3>Millbrook</A3>", "").replace(
            "<HNO>1400</HNO><RD>Colfax</RD><STS>Ave</STS>",
            "<HNO>102</HNO><RD>Juniper</RD><STS>St</STS>",
        )
    };
    doc["locationComponent"][1]["locationByValue"] = json!(pidf);
    doc["locationComponent"][1]
        .as_object_mut()
        .unwrap()
        .remove("locationDescriptionText");
    doc
}

#[test]
fn a_request_for_service_outside_our_area_or_with_an_unreadable_address_is_refused_and_nothing_is_written(
) {
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path(), "metro", None);
    // The area is set with the CLI; a bad one is refused in one line and changes nothing.
    let (ok, said, _) = partner_cli(&s.dir, &["area", "KODIAK", "St  Paul"]);
    assert!(ok);
    assert_eq!(
        said,
        "this centre serves KODIAK, St Paul; a request for service elsewhere is refused (403)\n"
    );
    let file = std::fs::read_to_string(switchboard::partner::Partners::path(&s.dir)).unwrap();
    assert!(
        file.contains("area = [\"KODIAK\", \"St Paul\"]\n"),
        "{file}"
    );
    for (args, why) in [
        (
            vec!["area", "Kodiak", "off"],
            "area: 'off' clears the area and stands alone",
        ),
        (
            vec!["area", "Kodiak", "kodiak"],
            "area: 'kodiak' is listed twice",
        ),
        (vec!["area", " "], "area: a town's name is empty"),
    ] {
        let (ok, _, err) = partner_cli(&s.dir, &args);
        assert!(!ok, "{args:?}");
        assert!(err.trim_end().ends_with(why), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        let now = std::fs::read_to_string(switchboard::partner::Partners::path(&s.dir)).unwrap();
        assert_eq!(now, file, "{args:?} changed partners.toml");
    }
    let (_, listed, _) = partner_cli(&s.dir, &["list"]);
    assert!(listed.contains("area KODIAK, St Paul\n"), "{listed}");

    let serving = serve_in_millbrook(&s.dir);
    let digest = || attach(&s.dir, "look").state().digest();
    runtime().block_on(async {
        let mut cad = Cad::connect(&s).await;
        let before = digest();
        // The town the sender names (A3), in another town: 403, nothing written.
        cad.send(&rfs("far", &incident_in(61, Some("Springfield")))).await;
        let v = cad.expect("response").await;
        assert_eq!(
            (v["responseCode"].as_u64(), v["responseText"].as_str()),
            (
                Some(403),
                Some("Forbidden: not our area: Springfield is outside KODIAK, St Paul")
            )
        );
        // No town named: the one the address list places it in.
        cad.send(&rfs("placed", &incident_in(62, None))).await;
        let v = cad.expect("response").await;
        assert_eq!(
            (v["responseCode"].as_u64(), v["responseText"].as_str()),
            (
                Some(403),
                Some("Forbidden: not our area: Millbrook is outside KODIAK, St Paul")
            )
        );
        // An address that cannot be read: 400 naming it.
        let mut bad = incident(63);
        bad["locationComponent"][1]["locationByValue"] =
            json!("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"><tuple id=\"a\"><status>");
        cad.send(&rfs("garbled", &bad)).await;
        let v = cad.expect("response").await;
        assert_eq!(v["responseCode"], 400, "{v}");
        assert_eq!(
            v["responseText"],
            "Bad request: eido.locationComponent[1].locationByValue holds no civic address or \
             position that can be read; is it a PIDF-LO document?"
        );
        // An address only by reference: 400 saying so.
        let mut by_ref = incident(64);
        by_ref["locationComponent"] = json!([{ "$id": "l", "lastUpdateTimeStamp": "2026-03-02T14:00:00Z",
            "updatedByAgencyReference": { "$ref": "psap.millbrook.example" },
            "locationByReferenceUrl": "https://lis.example/loc/1" }]);
        cad.send(&rfs("by-ref", &by_ref)).await;
        let v = cad.expect("response").await;
        assert_eq!(v["responseCode"], 400, "{v}");
        assert!(v["responseText"].as_str().unwrap().contains("locationByReferenceUrl"), "{v}");
        assert_eq!(digest(), before, "a refused request wrote to the store");

        // In the area, whatever the case and spacing: taken.
        cad.send(&rfs("near", &incident_in(65, Some("st   paul")))).await;
        assert_eq!(cad.expect("response").await["responseCode"], 180);
        // Placed only by a fuzzy match: no ground to turn it away.
        let mut fuzzy = incident_in(68, None);
        let pidf = fuzzy["locationComponent"][1]["locationByValue"]
            .as_str()
            .unwrap()
            .replace("<RD>Juniper</RD>", "<RD>Junipr</RD>");
        fuzzy["locationComponent"][1]["locationByValue"] = json!(pidf);
        cad.send(&rfs("fuzzy", &fuzzy)).await;
        assert_eq!(cad.expect("response").await["responseCode"], 180);
        // For awareness only: not checked, it asks for nothing.
        cad.send(&json!({ "requestAwareness": { "requestId": "a-far",
            "eido": incident_in(66, Some("Springfield")) } })).await;
        assert_eq!(cad.expect("response").await["responseCode"], 200);

        // The area off, while the desk runs: the next request from anywhere is taken.
        assert!(partner_cli(&s.dir, &["area", "off"]).0);
        let mut code = 0;
        for attempt in 0..50 {
            cad.send(&rfs(&format!("far-{attempt}"), &incident_in(67, Some("Springfield")))).await;
            code = cad.expect("response").await["responseCode"].as_u64().unwrap();
            if code != 403 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert_eq!(code, 180);
        check_all(&cad.seen);
    });
    let desk = attach(&s.dir, "look");
    // The far request taken once the area was off, the near one, the fuzzy one, the one for
    // awareness.
    assert_eq!(desk.state().calls.len(), 4);
    let fuzzy = desk
        .state()
        .calls
        .values()
        .find(|c| c.location.contains("Junipr"))
        .unwrap();
    assert!(
        matches!(
            fuzzy.placement.as_ref(),
            Some(switchboard::domain::Placement::Fuzzy { .. })
        ),
        "{:?}",
        fuzzy.placement
    );
    drop(desk);
    serving.stop().unwrap();
}

#[test]
fn a_cancel_request_reaches_the_dispatcher_after_the_link_and_the_desk_restart() {
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path(), "metro", None);
    let rt = runtime();
    let mut serving = serve(&s.dir);
    let (first, second) = rt.block_on(async {
        let mut cad = Cad::connect(&s).await;
        cad.send(&rfs("r-1", &incident(71))).await;
        let first = call_of(&cad.expect("response").await);
        cad.send(&rfs("r-2", &incident(72))).await;
        let second = call_of(&cad.expect("response").await);
        // Asked again under another id: the same call, the id kept too.
        cad.send(&rfs("r-2b", &incident(72))).await;
        let again = cad.expect("response").await;
        assert!(
            again["responseText"].as_str().unwrap().contains(&second),
            "{again}"
        );
        check_all(&cad.seen);
        (first, second)
        // The CAD's connection closes: the link that took the requests is gone.
    });
    let cancelled = |call: &str, request: &str| {
        let desk = attach(&s.dir, "look");
        let id = call.parse().unwrap();
        let c = &desk.state().calls[&id];
        let h = c.handed_in().unwrap();
        assert_eq!(c.handoff_stage(h), Stage::Cancelled, "{call}");
        // The dispatcher sees it: the call's chronology has the stage and the note.
        let lines: Vec<String> = desk
            .chronology(&id)
            .unwrap()
            .iter()
            .map(|e| e.body.describe())
            .collect();
        let note = format!("metro cancelled the request for service {request}");
        assert!(lines.iter().any(|l| l.contains(&note)), "{lines:#?}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("hand-off from metro") && l.contains("cancelled")),
            "{lines:#?}"
        );
    };
    rt.block_on(async {
        // A new link.
        let mut cad = Cad::connect(&s).await;
        cad.send(&json!({ "cancelRequest": { "requestId": "r-1" } }))
            .await;
        let v = cad.expect("response").await;
        assert_eq!(v["responseCode"], 200, "{v}");
        check_all(&cad.seen);
    });
    cancelled(&first, "r-1");
    // The desk restarts: nothing of the links is left but what the store has.
    serving.stop().unwrap();
    serving = serve(&s.dir);
    rt.block_on(async {
        let mut cad = Cad::connect(&s).await;
        cad.send(&json!({ "cancelREequest": { "requestId": "r-2b" } }))
            .await;
        let v = cad.expect("response").await;
        assert_eq!(v["responseCode"], 200, "{v}");
        // Again, or by its first id: already cancelled; an id no call came with: 404.
        cad.send(&json!({ "cancelRequest": { "requestId": "r-2" } }))
            .await;
        let v = cad.expect("response").await;
        assert_eq!(
            (v["responseCode"].as_u64(), v["responseText"].as_str()),
            (
                Some(200),
                Some(format!("OK: {second} is already cancelled").as_str())
            )
        );
        cad.send(&json!({ "cancelRequest": { "requestId": "r-9" } }))
            .await;
        assert_eq!(cad.expect("response").await["responseCode"], 404);
        check_all(&cad.seen);
    });
    cancelled(&second, "r-2b");
    let desk = attach(&s.dir, "look");
    let h = desk.state().calls[&second.parse().unwrap()]
        .handed_in()
        .unwrap()
        .clone();
    assert_eq!(h.requests, vec!["r-2".to_owned(), "r-2b".to_owned()]);
    // Asking again added no stage to the ledger.
    let stages: Vec<Stage> = h.history.iter().map(|(st, _)| *st).collect();
    assert_eq!(stages, vec![Stage::Received, Stage::Cancelled]);
    drop(desk);
    serving.stop().unwrap();
}

#[test]
fn new_incidents_of_a_subscribed_cad_outside_our_area_are_not_taken() {
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path(), "metro", Some("new"));
    assert!(partner_cli(&s.dir, &["area", "Millbrook"]).0);
    let rt = runtime();
    let listener = rt
        .block_on(TcpListener::bind(("127.0.0.1", s.cad_port)))
        .unwrap();
    let serving = serve(&s.dir);
    rt.block_on(async {
        let mut cad = Cad::accept(&listener, &s.cad, s.ours).await;
        let ask = cad.expect("subscribe").await;
        cad.send(
            &json!({ "subscribeResponse": { "requestId": ask["requestId"],
            "subscriptionId": "cad-sub-1", "expires": 3600,
            "statusCode": 200, "statusText": "OK" } }),
        )
        .await;
        let near = incident_in(91, Some("Millbrook"));
        let far = incident_in(92, Some("Springfield"));
        cad.send(&json!({ "event": { "subscriptionId": "cad-sub-1",
            "transactionId": "t-1", "notification": [near, far] } }))
            .await;
        let ack = cad.expect("eventResponse").await;
        assert_eq!(
            (ack["statusCode"].as_u64(), ack["statusText"].as_str()),
            (
                Some(200),
                Some("OK; 1 not taken, not our area: Springfield is outside Millbrook")
            )
        );
        check_all(&cad.seen);
    });
    let desk = attach(&s.dir, "look");
    let incidents: Vec<&str> = desk
        .state()
        .calls
        .values()
        .map(|c| c.handed_in().unwrap().incident.as_str())
        .collect();
    assert_eq!(
        incidents,
        ["urn:emergency:uid:incidentid:2026-0091:psap.millbrook.example"]
    );
    drop(desk);
    serving.stop().unwrap();
}

/// A partner that may see the roster subscribes to one unit (`resource`): its current status at
/// once, then an `event` each time it changes. Renewing the subscription (`subscribe` with its
/// `subscriptionId`) takes the new terms: renewed to two seconds, it is ended with `terminate`
/// when they are up.
#[test]
fn a_partner_follows_a_unit_and_a_renewal_takes_the_new_terms() {
    let root = tempfile::tempdir().unwrap();
    let setup = setup(root.path(), "metro", None);
    // The roster is shared with metro.
    let mut partners = switchboard::partner::Partners::load(&setup.dir).unwrap();
    let cad_fp = switchboard::sync::Identity::load_or_create(&setup.cad)
        .unwrap()
        .fingerprint();
    partners
        .add(
            "metro",
            &format!("wss://127.0.0.1:{}/IncidentData/ent", setup.cad_port),
            &cad_fp.to_string(),
            None,
            Some("all"),
        )
        .unwrap();
    partners.save().unwrap();
    let serving = Some(serve(&setup.dir));
    let r = Running {
        setup,
        serving,
        _root: root,
    };
    let mut desk = attach(&r.setup.dir, "ana");
    desk.run_line("unit add STAR-1 clinician").unwrap();
    runtime().block_on(async {
        let mut cad = Cad::connect(&r.setup).await;
        // A unit not on the roster is not found.
        cad.send(&json!({ "subscribe": { "requestId": "s-0", "requestType": "EIDO",
            "requestSubType": "resource", "unitId": "STAR-9" } })).await;
        assert_eq!(cad.expect("subscribeResponse").await["statusCode"], 404);
        cad.send(&json!({ "subscribe": { "requestId": "s-1", "requestType": "EIDO",
            "requestSubType": "resource", "unitId": "STAR-1" } })).await;
        let granted = cad.expect("subscribeResponse").await;
        assert_eq!(granted["statusCode"], 200, "{granted}");
        let sub = granted["subscriptionId"].as_str().unwrap().to_owned();
        let status = |event: &Value| {
            let unit = &event["notification"][0]["emergencyResourceComponent"][0];
            assert_eq!(unit["emergencyResourceName"], "STAR-1", "{event}");
            unit["primaryUnitStatusRegistryText"].clone()
        };
        let first = cad.expect("event").await;
        assert_eq!(first["subscriptionId"], sub.as_str());
        assert_eq!(status(&first), "Available");
        let tx = first["transactionId"].as_str().unwrap();
        cad.send(&json!({ "eventResponse": { "transactionId": tx, "statusCode": 200, "statusText": "OK" } })).await;

        // The unit goes out of service: the partner hears it.
        desk.run_line("oos STAR-1 vehicle check").unwrap();
        let next = cad.expect("event").await;
        assert_eq!(next["subscriptionId"], sub.as_str());
        assert_eq!(status(&next), "NotAvailable");
        let tx = next["transactionId"].as_str().unwrap();
        cad.send(&json!({ "eventResponse": { "transactionId": tx, "statusCode": 200, "statusText": "OK" } })).await;

        // Renewed for two seconds (the default was an hour): ended when they are up.
        cad.send(&json!({ "subscribe": { "requestId": "s-2", "subscriptionId": sub,
            "expires": 2 } })).await;
        let renewed = cad.expect("subscribeResponse").await;
        assert_eq!(renewed["statusCode"], 200, "{renewed}");
        assert_eq!(renewed["subscriptionId"], sub.as_str());
        assert_eq!(renewed["expires"], 2);
        let started = std::time::Instant::now();
        let ended = cad.expect("terminate").await;
        assert_eq!(ended["subscriptionId"], sub.as_str());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "terminated only after {:?}",
            started.elapsed()
        );
        check_all(&cad.seen);
    });
}

/// The console's status bar shows a partner like a peer: `metro ok` while its CAD is linked,
/// `metro down` once it has gone (issue 15 item 9).
#[test]
fn the_status_bar_shows_a_partner_up_while_linked_and_down_once_gone() {
    use switchboard::console::app::App;
    use switchboard::desk::attach::LinkState;
    let r = running(None);
    let (desk, watch) = switchboard::desk::attach::attach(
        &r.setup.dir,
        Box::new(switchboard::desk::SystemClock),
        "ana",
    )
    .unwrap()
    .expect("serving");
    let mut app = crate::common::keys::console(desk, "default").attached(watch);
    let mut watch = app.watch.take().unwrap();
    watch
        .set_timeout(Some(std::time::Duration::from_millis(200)))
        .unwrap();
    let status = |app: &App| {
        let area = ratatui::layout::Rect::new(0, 0, 120, 24);
        let mut buf = ratatui::buffer::Buffer::empty(area);
        switchboard::console::view::screen::render(app, area, &mut buf);
        (0..area.width)
            .map(|x| buf[(x, 0)].symbol().to_owned())
            .collect::<String>()
    };
    let partner = |app: &App| {
        app.board
            .as_ref()
            .and_then(|b| b.partners.iter().find(|p| p.name == "metro"))
            .map(|p| p.state)
    };
    let mut follow = |app: &mut App, want: LinkState| {
        let started = std::time::Instant::now();
        while partner(app) != Some(want) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "metro never {want:?}: {}",
                status(app)
            );
            if let Ok(news) = watch.recv() {
                app.desk_news(news);
            }
        }
    };
    let rt = runtime();
    let cad = rt.block_on(Cad::connect(&r.setup));
    follow(&mut app, LinkState::Connected);
    assert!(status(&app).contains(" metro ok "), "{}", status(&app));
    drop(cad);
    drop(rt);
    follow(&mut app, LinkState::Down);
    assert!(
        status(&app).contains(" metro down 00:0"),
        "{}",
        status(&app)
    );
}

/// `switchboard partner add NAME URL FINGERPRINT [--subscribe new] [--share all]`, `list` and
/// `rm` (issue 15 item 9): a partner is configured like a peer; a bad URL, fingerprint or
/// subscription is refused in one line and partners.toml is left as it was.
#[test]
fn partners_are_added_listed_and_removed_and_bad_ones_refused_in_one_line() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("desk");
    let cad = switchboard::sync::Identity::load_or_create(&root.path().join("cad"))
        .unwrap()
        .fingerprint()
        .to_string();
    let url = "wss://cad.metro.example:7443/IncidentData/ent";
    let (ok, said, err) = partner_cli(&dir, &["add", "metro-911", url, &cad, "--subscribe", "new"]);
    assert!(ok, "{err}");
    assert!(said.contains("metro-911"), "{said}");
    let path = switchboard::partner::Partners::path(&dir);
    let file = std::fs::read_to_string(&path).unwrap();
    let (ok, listed, _) = partner_cli(&dir, &["list"]);
    assert!(ok);
    let line = listed
        .lines()
        .find(|l| l.contains("metro-911"))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(line.contains(url) && line.contains("new"), "{listed}");
    let loaded = switchboard::partner::Partners::load(&dir).unwrap();
    let p = loaded.get("metro-911").unwrap();
    assert_eq!(p.url, url);

    for args in [
        vec![
            "add",
            "north",
            "https://cad.example/IncidentData/ent",
            cad.as_str(),
        ],
        vec!["add", "north", url, "ABCD-EFGH"],
        vec![
            "add",
            "north",
            url,
            cad.as_str(),
            "--subscribe",
            "everything",
        ],
        vec!["add", "north", url, cad.as_str(), "--share", "some"],
        vec!["rm", "nobody"],
    ] {
        let (ok, _, err) = partner_cli(&dir, &args);
        assert!(!ok, "{args:?} was taken");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("switchboard: "), "{args:?}: {err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            file,
            "{args:?} changed partners.toml"
        );
    }

    let (ok, _, err) = partner_cli(&dir, &["rm", "metro-911"]);
    assert!(ok, "{err}");
    let (_, listed, _) = partner_cli(&dir, &["list"]);
    assert!(!listed.contains("metro-911"), "{listed}");
}
