//! Benchmarks for the peer-sync goals (issue #5), on loopback with real TLS and real stores:
//! - replication latency, commit on A → durable on B: p99 ≤ 50 ms;
//! - a 10,000-event backlog caught up ≤ 2 s after the peer comes back;
//! - a peer that falls silent is shown down ≤ 3 s.
//!
//! Latency is measured from just before A's commit (so it includes it) to the moment B's own
//! watch, which B feeds only after its flush, delivers the event. Catch-up is measured from
//! restarting B's desk to B holding A's last event. Loss is a proxy between the two that stops
//! forwarding without closing anything, as a pulled cable does.
//! `cargo bench --bench sync` runs the full sizes; `cargo test --benches` a small smoke run.

// A benchmark has no one to report an error to: any failure aborts it, with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "../tests/it/common/pair.rs"]
mod pair;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pair::{connected, pair, take_call, trust, watch_until, Node};
use switchboard::desk::attach::LinkState;

const LIMIT: Duration = Duration::from_secs(120);

fn main() {
    let full = is_full_run();
    let (latency_n, backlog_n, losses, apart) = if full {
        (1000, 10_000, 3, 5_000)
    } else {
        (30, 300, 1, 100)
    };
    latency_and_catch_up(latency_n, backlog_n);
    both_sides_wrote(apart);
    loss(losses);
}

/// `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion's own rule).
fn is_full_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn latency_and_catch_up(n: usize, backlog: usize) {
    let root = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = pair(root.path());
    alpha.start();
    bravo.start();
    let (mut a, _a_watch) = alpha.attach("bench");
    let (mut b, mut b_watch) = bravo.attach("bench");
    watch_until(&mut b_watch, &mut b, LIMIT, |_, board| {
        connected(board, "alpha")
    });
    let call = take_call(&mut a, "call 12 Main St / welfare check --type welfare");
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        let e = a
            .execute_line(&format!("note {call} n{i}"))
            .unwrap()
            .remove(0);
        watch_until(&mut b_watch, &mut b, LIMIT, |d, _| {
            d.heads().get(&e.origin).is_some_and(|h| h.seq >= e.seq)
        });
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "sync/latency commit on A → durable on B, {n} notes: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal p99 ≤ 50 ms)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
    );

    drop((b, b_watch));
    bravo.stop();
    for i in 0..backlog {
        a.execute_line(&format!("note {call} backlog {i}")).unwrap();
    }
    let target = a.heads().clone();
    let start = Instant::now();
    bravo.start();
    let (mut b, mut b_watch) = bravo.attach("bench");
    watch_until(&mut b_watch, &mut b, LIMIT, |d, _| d.heads() == &target);
    let took = start.elapsed();
    println!(
        "sync/catch-up of a {backlog}-event backlog: converged {:.0} ms after the peer's desk started (goal ≤ 2 s)",
        took.as_secs_f64() * 1e3
    );
    drop((a, b, b_watch));
    alpha.stop();
    bravo.stop();
}

/// Both desks take `n` notes each while apart, interleaved in time; then they meet. Every batch
/// from the other side sorts before what is folded already, so this is the worst case for the
/// re-fold a late event costs.
fn both_sides_wrote(n: usize) {
    let root = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = pair(root.path());
    alpha.start();
    bravo.start();
    let (mut a, _a_watch) = alpha.attach("bench");
    let call = take_call(&mut a, "call 12 Main St / welfare check --type welfare");
    let (mut b, mut b_watch) = bravo.attach("bench");
    watch_until(&mut b_watch, &mut b, LIMIT, |d, _| {
        d.state().calls.len() == 1
    });
    drop((b, b_watch));
    bravo.stop();
    // Bravo's desk runs alone for a while (its own store), taking notes as alpha does.
    let store =
        switchboard::store::Store::open(&bravo.dir, switchboard::store::StoreKind::Live).unwrap();
    let mut alone =
        switchboard::desk::Desk::open(store, Box::new(switchboard::desk::SystemClock), "bench")
            .unwrap();
    for i in 0..n {
        a.execute_line(&format!("note {call} a{i}")).unwrap();
        alone.execute_line(&format!("note {call} b{i}")).unwrap();
    }
    // Met: each holds every origin's newest event (each desk also logged its limits first,
    // so counting events would miss those).
    let mut target = a.heads().clone();
    for (origin, head) in alone.heads() {
        let seen = target.entry(*origin).or_insert(*head);
        if seen.seq < head.seq {
            *seen = *head;
        }
    }
    alone.close().unwrap();
    let start = Instant::now();
    bravo.start();
    let (mut b, mut b_watch) = bravo.attach("bench");
    let (mut a2, mut a_watch) = alpha.attach("bench");
    watch_until(&mut b_watch, &mut b, LIMIT, |d, _| d.heads() == &target);
    watch_until(&mut a_watch, &mut a2, LIMIT, |d, _| d.heads() == &target);
    let took = start.elapsed();
    assert_eq!(a2.state().digest(), b.state().digest());
    println!(
        "sync/both sides wrote {n} events while apart: converged {:.0} ms after they met",
        took.as_secs_f64() * 1e3
    );
    drop((a, a2, a_watch, b, b_watch));
    alpha.stop();
    bravo.stop();
}

/// Forwards 127.0.0.1:`port` until `cut`, then swallows every byte, closing nothing.
fn proxy(target: u16, cut: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for inbound in listener.incoming().flatten() {
            let Ok(outbound) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            for (mut from, mut to) in [
                (inbound.try_clone().unwrap(), outbound.try_clone().unwrap()),
                (outbound, inbound),
            ] {
                let cut = cut.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(k) = from.read(&mut buf) {
                        if k == 0 {
                            break;
                        }
                        if !cut.load(Ordering::SeqCst) && to.write_all(&buf[..k]).is_err() {
                            break;
                        }
                    }
                });
            }
        }
    });
    port
}

fn loss(rounds: usize) {
    let root = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (root.path().join("alpha"), root.path().join("bravo"));
    let (a_port, b_port) = (pair::free_port(), pair::free_port());
    let cut = Arc::new(AtomicBool::new(false));
    let via = proxy(b_port, cut.clone());
    // Alpha reaches bravo only through the proxy; bravo cannot dial alpha at all.
    trust(&a_dir, &b_dir, &format!("127.0.0.1:{via}"), "bravo");
    trust(&b_dir, &a_dir, "127.0.0.1:9", "alpha");
    let mut alpha = Node {
        dir: a_dir,
        port: a_port,
        serving: None,
    };
    let mut bravo = Node {
        dir: b_dir,
        port: b_port,
        serving: None,
    };
    alpha.start();
    bravo.start();
    let (mut a, mut a_watch) = alpha.attach("bench");
    let mut times = Vec::new();
    for _ in 0..rounds {
        cut.store(false, Ordering::SeqCst);
        watch_until(&mut a_watch, &mut a, LIMIT, |_, board| {
            connected(board, "bravo")
        });
        // Let a ping or two pass, as on a quiet link.
        std::thread::sleep(Duration::from_millis(1500));
        cut.store(true, Ordering::SeqCst);
        let start = Instant::now();
        watch_until(&mut a_watch, &mut a, LIMIT, |_, board| {
            board
                .peers
                .iter()
                .any(|p| p.name == "bravo" && p.state == LinkState::Down)
        });
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "sync/peer loss: a silent link shown down after {} (goal ≤ 3 s)",
        times
            .iter()
            .map(|t| format!("{:.2} s", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    drop((a, a_watch));
    alpha.stop();
    bravo.stop();
}
