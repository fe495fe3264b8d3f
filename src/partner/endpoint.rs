//! The endpoint partners connect to: TLS first (a certificate a partner is known by, or the
//! connection is refused and nothing is read), then the WebSocket handshake at [`PATH`] with the
//! [`SUBPROTOCOL`], then a link.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::link::{self, Role};
use super::{tls, Host, Shared, HARD_LIMIT, PATH, SUBPROTOCOL};

/// How long a TLS or WebSocket handshake may take.
const HANDSHAKE: Duration = Duration::from_secs(5);
/// Connections still in their handshakes at once; more wait (a flood of them cannot starve
/// the desk).
const HANDSHAKING: usize = 64;

/// The WebSocket limits of every link: a message larger than this closes the connection.
pub(super) fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(HARD_LIMIT))
        .max_frame_size(Some(HARD_LIMIT))
}

/// Does this header list the NENA-STA-024 subprotocol?
pub(super) fn offers_subprotocol(value: Option<&HeaderValue>) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim() == SUBPROTOCOL))
}

fn refuse(status: StatusCode, why: &str) -> ErrorResponse {
    let mut r = ErrorResponse::new(Some(why.to_owned()));
    *r.status_mut() = status;
    r
}

/// The WebSocket handshake: the path, and the subprotocol, which the answer repeats.
#[allow(clippy::result_large_err)] // the type tungstenite's handshake callback returns
fn check(req: &Request, mut resp: Response) -> Result<Response, ErrorResponse> {
    if req.uri().path() != PATH {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            &format!("the EIDO conveyance is at {PATH}"),
        ));
    }
    if !offers_subprotocol(req.headers().get("Sec-WebSocket-Protocol")) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            &format!("ask for the subprotocol {SUBPROTOCOL}"),
        ));
    }
    resp.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    Ok(resp)
}

/// Takes partners' connections until the desk stops.
pub(super) async fn accept<H: Host>(listener: TcpListener, shared: Arc<Shared<H>>) {
    let acceptor = match tls::acceptor(&shared.identity, shared.trusted.clone()) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "partner endpoint not started");
            return;
        }
    };
    let handshakes = Arc::new(tokio::sync::Semaphore::new(HANDSHAKING));
    loop {
        let Ok((tcp, from)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return;
        };
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let tls = match timeout(HANDSHAKE, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    return shared.refused(&from.to_string(), &crate::sync::tls::error_text(&e))
                }
                Err(_) => return shared.refused(&from.to_string(), "no TLS handshake in 5 s"),
            };
            let Some(cert) = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .cloned()
            else {
                return shared.refused(&from.to_string(), "no certificate");
            };
            let partners = shared.partners();
            let Some(partner) = tls::who(&partners, &cert).cloned() else {
                let fp = crate::sync::Fingerprint::of_cert(&cert);
                return shared.refused(
                    &from.to_string(),
                    &format!("a certificate no partner is known by ({fp})"),
                );
            };
            let ws = match timeout(
                HANDSHAKE,
                tokio_tungstenite::accept_hdr_async_with_config(tls, check, Some(ws_config())),
            )
            .await
            {
                Ok(Ok(ws)) => ws,
                Ok(Err(e)) => return shared.refused(&partner.name, &format!("WebSocket: {e}")),
                Err(_) => return shared.refused(&partner.name, "no WebSocket handshake in 5 s"),
            };
            drop(permit);
            tracing::info!(partner = %partner.name, %from, "partner connected");
            shared.link(&partner.name, true);
            let result = link::run(ws, shared.clone(), partner.clone(), Role::Accepted).await;
            if let Err(e) = result {
                tracing::info!(partner = %partner.name, error = %e, "partner link ended");
            }
            shared.link(&partner.name, false);
        });
    }
}
