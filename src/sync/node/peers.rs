//! Peers over TCP and TLS: accepting the ones that connect, dialling the ones in the list, and
//! what goes on the board when either fails.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::time::{timeout, Instant};

use super::link::Opened;
use super::{link, Backoff, Shared, HANDSHAKE, HANDSHAKES};
use crate::sync::{tls, Fingerprint, Peer, Peers, TrustedSet};

pub(super) async fn accept_peers(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
    trusted: TrustedSet,
) {
    let handshakes = Arc::new(tokio::sync::Semaphore::new(HANDSHAKES));
    let mut backoff = Backoff::new();
    loop {
        let (tcp, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                backoff.wait("peer port", &e).await;
                continue;
            }
        };
        backoff.reset();
        // Too many handshakes under way: this one is closed unheard (and not put on the board,
        // which a flood would otherwise churn).
        let Ok(slot) = handshakes.clone().try_acquire_owned() else {
            tracing::debug!(%from, "too many handshakes under way; connection closed");
            drop(tcp);
            continue;
        };
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        let trusted = trusted.clone();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let handshake = timeout(HANDSHAKE, acceptor.accept(tcp)).await;
            drop(slot);
            let tls = match handshake {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => return shared.refused(&from.to_string(), &tls::error_text(&e)),
                // A port probe, a stalled relay or a cut-short hello: logged like a refusal, for
                // whoever reads the log, but not put on the board, where it would read as a peer
                // refused for ten minutes.
                Err(_) => {
                    let who = from.to_string();
                    return tracing::warn!(%who, why = "no TLS handshake in 5 s", "peer refused");
                }
            };
            let Some(fp) = tls::peer_fingerprint(tls.get_ref().1) else {
                return shared.refused(&from.to_string(), "no certificate");
            };
            if !trusted.contains(&fp) {
                return shared.refused(&from.to_string(), &format!("unknown peer {fp}"));
            }
            let name = shared
                .lock()
                .peers
                .get(&fp)
                .map_or_else(|| fp.short(), |p| p.name.clone());
            link(tls, &shared, &name, fp, from, Opened::ByPeer).await;
        });
    }
}

/// Dials every trusted peer that is not connected, with backoff; re-reads `peers.toml` when it
/// changes, so `peer add` and `peer rm` take effect without a restart.
pub(super) async fn keep_dialling(
    connector: tokio_rustls::TlsConnector,
    shared: Arc<Shared>,
    trusted: TrustedSet,
) {
    let path = Peers::path(&shared.dir);
    let mut seen = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let mut dialers: BTreeMap<Fingerprint, tokio::task::JoinHandle<()>> = BTreeMap::new();
    loop {
        let wanted: Vec<Peer> = shared.lock().peers.list().to_vec();
        dialers.retain(|fp, task| {
            let keep = wanted.iter().any(|p| &p.fingerprint == fp) && !task.is_finished();
            if !keep {
                task.abort();
            }
            keep
        });
        for peer in wanted {
            dialers
                .entry(peer.fingerprint)
                .or_insert_with(|| tokio::spawn(dial(connector.clone(), shared.clone(), peer)));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if now != seen {
            seen = now;
            match Peers::load(&shared.dir) {
                Ok(p) => {
                    trusted.replace(p.fingerprints());
                    shared.lock().set_peers(p);
                    shared.bump();
                    // Dialers of changed addresses restart with the new one.
                    for task in dialers.values() {
                        task.abort();
                    }
                    dialers.clear();
                }
                Err(e) => tracing::warn!(error = %e, "peers.toml not reloaded"),
            }
        }
    }
}

async fn dial(connector: tokio_rustls::TlsConnector, shared: Arc<Shared>, peer: Peer) {
    let mut backoff = Duration::from_millis(250);
    loop {
        let connected = shared.lock().links.contains_key(&peer.name);
        if connected {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let started = Instant::now();
        match timeout(HANDSHAKE, TcpStream::connect(&peer.addr)).await {
            Ok(Ok(tcp)) => {
                let _ = tcp.set_nodelay(true);
                let from = tcp.peer_addr().ok();
                match timeout(HANDSHAKE, connector.connect(tls::server_name(), tcp)).await {
                    Ok(Ok(tls)) => {
                        let fp = tls::peer_fingerprint(tls.get_ref().1);
                        if fp == Some(peer.fingerprint) {
                            let from = from.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
                            link(
                                tls,
                                &shared,
                                &peer.name,
                                peer.fingerprint,
                                from,
                                Opened::ByUs,
                            )
                            .await;
                        } else {
                            let shown = fp.map_or_else(|| "none".to_owned(), |f| f.to_string());
                            shared.refused(
                                &peer.name,
                                &format!("{} answered with certificate {shown}", peer.addr),
                            );
                        }
                    }
                    Ok(Err(e)) => shared.refused(&peer.name, &tls::error_text(&e)),
                    Err(_) => shared.unreachable(
                        &peer.name,
                        &format!("{} answered but no TLS handshake came in 5 s", peer.addr),
                    ),
                }
            }
            Ok(Err(e)) => tracing::debug!(peer = %peer.name, error = %e, "dial failed"),
            Err(_) => tracing::debug!(peer = %peer.name, "dial timed out"),
        }
        if started.elapsed() > Duration::from_secs(10) {
            backoff = Duration::from_millis(250);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
