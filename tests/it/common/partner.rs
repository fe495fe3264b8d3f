//! A 911 centre's CAD as a partner drives Switchboard over NENA-STA-024: its own certificate,
//! real TLS (tokio-rustls) and a real WebSocket (tokio-tungstenite) on 127.0.0.1, as a client of
//! the desk's endpoint or as a server the desk dials. For the conveyance tests and the EIDO
//! bench.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use switchboard::desk::{Desk, SystemClock};
use switchboard::partner::Partners;
use switchboard::store::{Store, StoreKind};
use switchboard::sync::node::{serve_in_background, Options, Serving};
use switchboard::sync::{Fingerprint, Identity, TrustedSet};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub const SUBPROTOCOL: &str = "emergency-ent1.0";

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A desk's data dir with one partner, `name`, whose CAD keeps its identity in `cad` and
/// listens (if a test serves it) on `cad_port`; the desk takes partners on `port`.
pub struct Setup {
    pub dir: PathBuf,
    pub cad: PathBuf,
    pub port: u16,
    pub cad_port: u16,
    pub ours: Fingerprint,
}

pub fn setup(root: &Path, name: &str, subscribe: Option<&str>) -> Setup {
    let dir = root.join("desk");
    let cad = root.join("cad");
    let ours = Identity::load_or_create(&dir).unwrap().fingerprint();
    let cad_fp = Identity::load_or_create(&cad).unwrap().fingerprint();
    let (port, cad_port) = (free_port(), free_port());
    let mut partners = Partners::load(&dir).unwrap();
    partners.listen = Some(format!("127.0.0.1:{port}"));
    partners
        .add(
            name,
            &format!("wss://127.0.0.1:{cad_port}/IncidentData/ent"),
            &cad_fp.to_string(),
            subscribe,
            None,
        )
        .unwrap();
    partners.save().unwrap();
    Setup {
        dir,
        cad,
        port,
        cad_port,
        ours,
    }
}

/// Serves the desk in `dir` (its endpoint and partner links start with it).
pub fn serve(dir: &Path) -> Serving {
    let store = Store::open(dir, StoreKind::Live).unwrap();
    let desk = Desk::open(store, Box::new(SystemClock), "desk").unwrap();
    serve_in_background(
        desk,
        Options {
            dir: dir.to_owned(),
            listen: None,
        },
    )
    .unwrap()
}

/// A console attached to the serving desk, fresh (its state is the desk's now).
pub fn attach(dir: &Path, operator: &str) -> Desk {
    switchboard::desk::attach::attach(dir, Box::new(SystemClock), operator)
        .unwrap()
        .expect("a desk serves this dir")
        .0
}

type ClientWs = WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>;
type ServerWs = WebSocketStream<tokio_rustls::server::TlsStream<TcpStream>>;

/// One side of a WebSocket, as the CAD holds it.
pub enum Socket {
    Client(ClientWs),
    Server(ServerWs),
}

/// What the CAD read.
#[derive(Debug)]
pub enum Got {
    Json(Value),
    Closed(Option<CloseFrame>),
}

pub struct Cad {
    pub ws: Socket,
    /// Every message read, for the tests to check against the schema.
    pub seen: Vec<Value>,
}

impl Cad {
    /// Connects to the desk's endpoint with the CAD's certificate (from `cad`), pinning the
    /// desk's; `path` and `protocol` as given, to try wrong ones.
    pub async fn connect_as(
        cad: &Path,
        desk: Fingerprint,
        port: u16,
        path: &str,
        protocol: Option<&str>,
    ) -> Result<Cad, String> {
        let identity = Identity::load_or_create(cad).unwrap();
        let connector =
            switchboard::sync::tls::connector(&identity, TrustedSet::new([desk])).unwrap();
        Self::connect_with(connector, port, path, protocol).await
    }

    pub async fn connect_with(
        connector: tokio_rustls::TlsConnector,
        port: u16,
        path: &str,
        protocol: Option<&str>,
    ) -> Result<Cad, String> {
        let tcp = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let tls = connector
            .connect(switchboard::sync::tls::server_name(), tcp)
            .await
            .map_err(|e| format!("tls: {e}"))?;
        let mut request = format!("wss://127.0.0.1:{port}{path}")
            .into_client_request()
            .unwrap();
        if let Some(p) = protocol {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_str(p).unwrap());
        }
        let (ws, _) = tokio_tungstenite::client_async(request, tls)
            .await
            .map_err(|e| format!("websocket: {e}"))?;
        Ok(Cad {
            ws: Socket::Client(ws),
            seen: Vec::new(),
        })
    }

    pub async fn connect(setup: &Setup) -> Cad {
        Self::connect_as(
            &setup.cad,
            setup.ours,
            setup.port,
            "/IncidentData/ent",
            Some(SUBPROTOCOL),
        )
        .await
        .unwrap()
    }

    /// Serves as the CAD on `cad_port` and takes the desk's next connection.
    pub async fn accept(listener: &TcpListener, cad: &Path, desk: Fingerprint) -> Cad {
        let identity = Identity::load_or_create(cad).unwrap();
        let acceptor =
            switchboard::sync::tls::acceptor(&identity, TrustedSet::new([desk])).unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        #[allow(clippy::result_large_err)] // tungstenite's callback type
        let answer = |req: &Request, mut resp: Response| {
            assert_eq!(req.uri().path(), "/IncidentData/ent");
            assert_eq!(
                req.headers().get("Sec-WebSocket-Protocol").unwrap(),
                SUBPROTOCOL
            );
            resp.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_static(SUBPROTOCOL),
            );
            Ok(resp)
        };
        let ws = tokio_tungstenite::accept_hdr_async(tls, answer)
            .await
            .unwrap();
        Cad {
            ws: Socket::Server(ws),
            seen: Vec::new(),
        }
    }

    pub async fn send_text(&mut self, text: String) {
        self.try_send_text(text).await.unwrap();
    }

    /// Sends, and says whether the socket took it (the desk may close it mid-message).
    pub async fn try_send_text(&mut self, text: String) -> Result<(), String> {
        let m = Message::Text(text.into());
        match &mut self.ws {
            Socket::Client(ws) => ws.send(m).await.map_err(|e| e.to_string()),
            Socket::Server(ws) => ws.send(m).await.map_err(|e| e.to_string()),
        }
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        let m = Message::Binary(bytes.into());
        match &mut self.ws {
            Socket::Client(ws) => ws.send(m).await.unwrap(),
            Socket::Server(ws) => ws.send(m).await.unwrap(),
        }
    }

    pub async fn send(&mut self, v: &Value) {
        self.send_text(v.to_string()).await;
    }

    /// The next message (or the close), within ten seconds.
    pub async fn next(&mut self) -> Got {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), async {
                match &mut self.ws {
                    Socket::Client(ws) => ws.next().await,
                    Socket::Server(ws) => ws.next().await,
                }
            })
            .await
            .expect("nothing from the desk within 10 s");
            match msg {
                // Gone, or dropped without a closing handshake.
                None | Some(Err(_)) => return Got::Closed(None),
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    self.seen.push(v.clone());
                    return Got::Json(v);
                }
                Some(Ok(Message::Close(frame))) => return Got::Closed(frame),
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next JSON message.
    pub async fn recv(&mut self) -> Value {
        match self.next().await {
            Got::Json(v) => v,
            Got::Closed(f) => panic!("closed: {f:?}"),
        }
    }

    /// The next message whose one member is `name` (others, such as events, are skipped and
    /// answered when they are events).
    pub async fn expect(&mut self, name: &str) -> Value {
        loop {
            let v = self.recv().await;
            if v.get(name).is_some() {
                return v[name].clone();
            }
            if let Some(tx) = v["event"]["transactionId"].as_str() {
                let ok = serde_json::json!({ "eventResponse": {
                    "transactionId": tx, "statusCode": 200, "statusText": "OK" } });
                self.send(&ok).await;
            }
        }
    }
}
