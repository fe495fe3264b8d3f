//! The live EIDO link (NENA-STA-024) on loopback, with real TLS and real `WebSocket`s:
//!
//! - `request_for_service_to_screen`: a CAD's `requestForService` until the pending call is on
//!   an attached console (the events it draws from have arrived). Goal: ≤ 50 ms.
//! - `change_to_100_partners`: a new call taken on a console until 100 subscribed partners all
//!   have the `event` carrying its EIDO. Goal: ≤ 100 ms.
//!
//! Run: `cargo bench --bench eido`. The figures go into docs/benchmarks.md with the machine.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "../tests/it/common/partner.rs"]
#[allow(dead_code)] // the kit serves the tests too; the bench uses part of it
mod partner;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use switchboard::desk::attach::Reply;
use switchboard::desk::SystemClock;
use switchboard::domain::{Body, Event};
use switchboard::partner::Partners;
use switchboard::sync::Identity;

use partner::{attach, serve, setup, Cad, SUBPROTOCOL};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn incident(n: u64) -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/eido/handover-from-911.json"
    ))
    .unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["$id"] = json!(format!(
        "urn:emergency:uid:incidentid:bench-{n}:psap.example"
    ));
    doc
}

fn request_for_service(c: &mut Criterion) {
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path(), "metro", None);
    let serving = serve(&s.dir);
    let rt = runtime();
    let mut cad = rt.block_on(Cad::connect(&s));
    let (_, mut watch) = switchboard::desk::attach::attach(&s.dir, Box::new(SystemClock), "screen")
        .unwrap()
        .unwrap();
    watch.set_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut n = 0;
    c.bench_function("request_for_service_to_screen", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let message = json!({ "requestForService": {
                    "requestId": format!("r{n}"), "eido": incident(n) } });
                let started = Instant::now();
                rt.block_on(cad.send(&message));
                'screen: loop {
                    if let Reply::Events(batch) = watch.recv().unwrap() {
                        for bytes in batch {
                            let e = Event::decode(&bytes).unwrap();
                            if matches!(e.body, Body::CallCreated { .. }) {
                                break 'screen;
                            }
                        }
                    }
                }
                total += started.elapsed();
                let answer = rt.block_on(cad.expect("response"));
                assert_eq!(answer["responseCode"], 180);
            }
            total
        });
    });
    drop(watch);
    serving.stop().unwrap();
}

fn hundred_partners(c: &mut Criterion) {
    const PARTNERS: usize = 100;
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path(), "p0", None);
    // 99 more, each with its own certificate, each allowed to see every call.
    let mut partners = Partners::load(&s.dir).unwrap();
    let mut cads = vec![s.cad.clone()];
    for i in 1..PARTNERS {
        let dir = root.path().join(format!("cad{i}"));
        let fp = Identity::load_or_create(&dir).unwrap().fingerprint();
        partners
            .add(
                &format!("p{i}"),
                "wss://127.0.0.1:9/IncidentData/ent",
                &fp.to_string(),
                None,
                Some("all"),
            )
            .unwrap();
        cads.push(dir);
    }
    let first_url = partners.list()[0].url.clone();
    let first_fp = partners.list()[0].clone();
    let fp0 = match first_fp.trust {
        switchboard::partner::list::Trust::Pinned(fp) => fp.to_string(),
        switchboard::partner::list::Trust::Authority => unreachable!(),
    };
    partners
        .add("p0", &first_url, &fp0, None, Some("all"))
        .unwrap();
    partners.save().unwrap();
    let serving = serve(&s.dir);
    let rt = runtime();
    let mut sockets: Vec<Cad> = rt.block_on(async {
        let mut out = Vec::new();
        for dir in &cads {
            let mut cad =
                Cad::connect_as(dir, s.ours, s.port, "/IncidentData/ent", Some(SUBPROTOCOL))
                    .await
                    .unwrap();
            cad.send(
                &json!({ "subscribe": { "requestId": "s", "requestType": "EIDO",
                "requestSubType": "new", "expires": 86_400 } }),
            )
            .await;
            assert_eq!(cad.expect("subscribeResponse").await["statusCode"], 200);
            let first = cad.expect("event").await;
            let tx = first["transactionId"].clone();
            cad.send(
                &json!({ "eventResponse": { "transactionId": tx, "statusCode": 200,
                "statusText": "OK" } }),
            )
            .await;
            out.push(cad);
        }
        out
    });
    let mut desk = attach(&s.dir, "ana");
    let mut n = 0;
    let mut group = c.benchmark_group("partners");
    group.sample_size(20);
    group.bench_function("change_to_100_partners", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let started = Instant::now();
                desk.run_line(&format!("call {n} Main St / bench call {n}"))
                    .unwrap();
                rt.block_on(async {
                    let waits = sockets.iter_mut().map(|cad| async move {
                        let event = cad.expect("event").await;
                        let text = event.to_string();
                        assert!(text.contains("bench call"), "{text}");
                        let tx = event["transactionId"].clone();
                        (cad, tx)
                    });
                    let got = futures_util::future::join_all(waits).await;
                    let elapsed = started.elapsed();
                    for (cad, tx) in got {
                        cad.send(&json!({ "eventResponse": { "transactionId": tx,
                            "statusCode": 200, "statusText": "OK" } }))
                            .await;
                    }
                    total += elapsed;
                });
            }
            total
        });
    });
    group.finish();
    drop(sockets);
    serving.stop().unwrap();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = request_for_service, hundred_partners
}
criterion_main!(benches);
