//! The connections this desk keeps to each partner: dialled with backoff, re-dialled when the
//! list changes, each a link in the subscriber and requester role.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::endpoint::{offers_subprotocol, ws_config};
use super::link::{self, Role};
use super::list::{parse_url, Partner};
use super::{tls, Host, Shared, SUBPROTOCOL};

const HANDSHAKE: Duration = Duration::from_secs(5);

/// Keeps one dialler per partner, restarting those whose entry changed.
pub(super) async fn keep_dialling<H: Host>(shared: Arc<Shared<H>>) {
    let mut seen = std::fs::metadata(super::Partners::path(&shared.host.dir()))
        .and_then(|m| m.modified())
        .ok();
    let mut dialers: BTreeMap<String, (Partner, tokio::task::JoinHandle<()>)> = BTreeMap::new();
    loop {
        let partners = shared.partners();
        dialers.retain(|name, (was, task)| {
            let keep = partners.get(name) == Some(was) && !task.is_finished();
            if !keep {
                task.abort();
            }
            keep
        });
        for p in partners.list() {
            if !dialers.contains_key(&p.name) {
                let task = tokio::spawn(dial(shared.clone(), p.clone()));
                dialers.insert(p.name.clone(), (p.clone(), task));
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        super::reload(&shared, &mut seen);
    }
}

/// Connects to one partner and runs the link, again and again.
async fn dial<H: Host>(shared: Arc<Shared<H>>, partner: Partner) {
    let mut backoff = Duration::from_millis(250);
    loop {
        let started = Instant::now();
        match connect(&shared, &partner).await {
            Ok(ws) => {
                shared.link(&partner.name, true);
                if let Err(e) = link::run(ws, shared.clone(), partner.clone(), Role::Dialled).await
                {
                    tracing::info!(partner = %partner.name, error = %e, "partner link ended");
                }
                shared.link(&partner.name, false);
            }
            Err(why) => {
                tracing::debug!(partner = %partner.name, %why, "partner not reached");
                if why.starts_with("refused") {
                    shared.refused(&partner.name, &why);
                }
            }
        }
        if started.elapsed() > Duration::from_secs(10) {
            backoff = Duration::from_millis(250);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>;

async fn connect<H: Host>(shared: &Shared<H>, partner: &Partner) -> Result<Ws, String> {
    let url = parse_url(&partner.url)?;
    let tcp = timeout(HANDSHAKE, TcpStream::connect((url.host.as_str(), url.port)))
        .await
        .map_err(|_| "no connection in 5 s".to_owned())?
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let connector = tls::connector(&shared.identity, shared.trusted.clone(), partner)
        .map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from(url.host.clone())
        .map_err(|e| format!("bad host {}: {e}", url.host))?;
    let tls = timeout(HANDSHAKE, connector.connect(name, tcp))
        .await
        .map_err(|_| "no TLS handshake in 5 s".to_owned())?
        .map_err(|e| format!("refused: {}", crate::sync::tls::error_text(&e)))?;
    let mut request = partner
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let (ws, response) = timeout(
        HANDSHAKE,
        tokio_tungstenite::client_async_with_config(request, tls, Some(ws_config())),
    )
    .await
    .map_err(|_| "no WebSocket handshake in 5 s".to_owned())?
    .map_err(|e| format!("refused: WebSocket: {e}"))?;
    if !offers_subprotocol(response.headers().get("Sec-WebSocket-Protocol")) {
        return Err(format!(
            "refused: {} did not agree to {SUBPROTOCOL}",
            partner.url
        ));
    }
    Ok(ws)
}
