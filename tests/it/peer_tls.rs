//! Pinned mutual TLS 1.3 between peers, over real loopback sockets: trusted peers talk, and
//! everything else — an unknown certificate, a replayed certificate without its key, a client
//! with no certificate, TLS 1.2, garbage — is refused with a telling error, without a crash,
//! and the server goes on accepting good peers afterwards.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use switchboard::sync::tls::{self, refused_peer};
use switchboard::sync::{Fingerprint, Identity, TrustedSet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const PATIENCE: Duration = Duration::from_secs(10);

/// A peer server on 127.0.0.1: every connection's handshake result is reported on `results`;
/// after a good handshake it answers 4 bytes with the same bytes reversed.
struct Server {
    addr: SocketAddr,
    fingerprint: Fingerprint,
    results: mpsc::UnboundedReceiver<Result<Fingerprint, std::io::Error>>,
}

async fn serve(identity: &Identity, trusted: TrustedSet) -> Server {
    let acceptor = tls::acceptor(identity, trusted).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, results) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let result = match tokio::time::timeout(PATIENCE, acceptor.accept(tcp)).await {
                    Err(_) => Err(std::io::Error::other("handshake timed out")),
                    Ok(Err(e)) => Err(e),
                    Ok(Ok(mut stream)) => {
                        let peer = tls::peer_fingerprint(stream.get_ref().1).unwrap();
                        let mut buf = [0u8; 4];
                        stream.read_exact(&mut buf).await.unwrap();
                        buf.reverse();
                        stream.write_all(&buf).await.unwrap();
                        stream.shutdown().await.unwrap();
                        Ok(peer)
                    }
                };
                let _ = tx.send(result);
            });
        }
    });
    Server {
        addr,
        fingerprint: identity.fingerprint(),
        results,
    }
}

impl Server {
    /// The outcome of the next handshake the server finished.
    async fn next(&mut self) -> Result<Fingerprint, std::io::Error> {
        tokio::time::timeout(PATIENCE, self.results.recv())
            .await
            .expect("the server reports every handshake")
            .expect("the server is still running")
    }

    /// The server's handshake error for the next connection, which must have been refused.
    async fn refused(&mut self) -> std::io::Error {
        match self.next().await {
            Ok(fp) => panic!("the server accepted {fp}"),
            Err(e) => e,
        }
    }

    /// `client` (trusted by the server) completes a handshake, sees the server's fingerprint,
    /// exchanges bytes, and the server sees the client's fingerprint.
    async fn assert_accepts(&mut self, client: &Identity) {
        let connector = tls::connector(client, TrustedSet::new([self.fingerprint])).unwrap();
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let mut stream = tokio::time::timeout(PATIENCE, connector.connect(tls::server_name(), tcp))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            tls::peer_fingerprint(stream.get_ref().1),
            Some(self.fingerprint)
        );
        stream.write_all(b"ping").await.unwrap();
        let mut answer = [0u8; 4];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"gnip");
        assert_eq!(self.next().await.unwrap(), client.fingerprint());
    }
}

/// Two identities in their own data dirs, each trusting the other, and a server for the first.
async fn pair() -> (tempfile::TempDir, Identity, Identity, Server) {
    let tmp = tempfile::tempdir().unwrap();
    let a = Identity::load_or_create(&tmp.path().join("a")).unwrap();
    let b = Identity::load_or_create(&tmp.path().join("b")).unwrap();
    assert_ne!(a.fingerprint(), b.fingerprint());
    let server = serve(&a, TrustedSet::new([b.fingerprint()])).await;
    (tmp, a, b, server)
}

/// A client's view of a refusal made by the server: in TLS 1.3 the client may finish its half
/// of the handshake before the server has judged its certificate, so the refusal can arrive as
/// an alert on the first read instead.
async fn client_sees_refusal(
    connect: impl std::future::Future<
        Output = std::io::Result<tokio_rustls::client::TlsStream<TcpStream>>,
    >,
) -> String {
    match tokio::time::timeout(PATIENCE, connect).await.unwrap() {
        Err(e) => e.to_string(),
        Ok(mut stream) => {
            let _ = stream.write_all(b"ping").await;
            let mut buf = [0u8; 4];
            match stream.read_exact(&mut buf).await {
                Ok(_) => panic!("the refused client got an answer"),
                Err(e) => e.to_string(),
            }
        }
    }
}

/// A client-side verifier that takes any server certificate (checking its signature), for
/// clients the product would never build: one without a certificate, one with a stolen one.
#[derive(Debug)]
struct AnyServer(rustls::crypto::WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("TLS 1.2".into()))
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

fn hand_built_client(
    client_cert: Option<rustls::sign::CertifiedKey>,
) -> tokio_rustls::TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(AnyServer(provider.signature_verification_algorithms));
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match client_cert {
        None => builder.with_no_client_auth(),
        Some(key) => {
            builder.with_client_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(key)))
        }
    };
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn trusted_peers_handshake_exchange_bytes_and_see_each_other() {
    let (_tmp, _a, b, mut server) = pair().await;
    server.assert_accepts(&b).await;
    server.assert_accepts(&b).await;
}

#[tokio::test]
async fn server_refuses_an_unknown_client_certificate_then_takes_it_once_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Identity::load_or_create(&tmp.path().join("a")).unwrap();
    let b = Identity::load_or_create(&tmp.path().join("b")).unwrap();
    let stranger = Identity::generate().unwrap();
    let trusted = TrustedSet::new([b.fingerprint()]);
    let mut server = serve(&a, trusted.clone()).await;

    let connector = tls::connector(&stranger, TrustedSet::new([a.fingerprint()])).unwrap();
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let seen = client_sees_refusal(connector.connect(tls::server_name(), tcp)).await;
    assert!(seen.contains("CertificateUnknown"), "client saw: {seen}");
    let err = server.refused().await;
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(refused_peer(&err), Some(stranger.fingerprint()));
    let words = format!(
        "unknown peer certificate SHA-256 {}",
        stranger.fingerprint()
    );
    assert_eq!(tls::error_text(&err), words);
    assert!(err.to_string().contains(&words), "{err}");
    server.assert_accepts(&b).await;

    // `peer add` on a running node: the same server now takes the stranger.
    trusted.replace([b.fingerprint(), stranger.fingerprint()]);
    server.assert_accepts(&stranger).await;
    // … and `peer rm` shuts it out again (no resumption lets it back in).
    trusted.replace([b.fingerprint()]);
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let connector = tls::connector(&stranger, TrustedSet::new([a.fingerprint()])).unwrap();
    client_sees_refusal(connector.connect(tls::server_name(), tcp)).await;
    assert_eq!(
        refused_peer(&server.refused().await),
        Some(stranger.fingerprint())
    );
}

#[tokio::test]
async fn client_refuses_an_unknown_server() {
    let (_tmp, a, b, mut server) = pair().await;
    let impostor = Identity::generate().unwrap();
    let mut elsewhere = serve(&impostor, TrustedSet::new([b.fingerprint()])).await;
    // b dials the impostor while trusting only a.
    let connector = tls::connector(&b, TrustedSet::new([a.fingerprint()])).unwrap();
    let tcp = TcpStream::connect(elsewhere.addr).await.unwrap();
    let err = connector
        .connect(tls::server_name(), tcp)
        .await
        .expect_err("an unknown server is refused");
    assert_eq!(refused_peer(&err), Some(impostor.fingerprint()));
    let words = format!(
        "unknown peer certificate SHA-256 {}",
        impostor.fingerprint()
    );
    assert_eq!(tls::error_text(&err), words);
    assert!(err.to_string().contains(&words), "{err}");
    let server_saw = elsewhere.refused().await.to_string();
    assert!(server_saw.contains("CertificateUnknown"), "{server_saw}");
    server.assert_accepts(&b).await;
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let (_tmp, _a, b, mut server) = pair().await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let seen = client_sees_refusal(hand_built_client(None).connect(tls::server_name(), tcp)).await;
    assert!(seen.contains("CertificateRequired"), "client saw: {seen}");
    let err = server.refused().await;
    assert_eq!(err.to_string(), "peer sent no certificates");
    assert_eq!(refused_peer(&err), None);
    server.assert_accepts(&b).await;
}

#[tokio::test]
async fn a_replayed_certificate_without_its_key_is_refused() {
    let (_tmp, _a, b, mut server) = pair().await;
    // b's certificate (trusted by the server), with a key that is not b's.
    let other_key = rcgen::KeyPair::generate().unwrap();
    let key = rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            other_key.serialize_der(),
        )))
        .unwrap();
    let stolen = rustls::sign::CertifiedKey::new(vec![b.cert_der().clone()], key);
    assert!(stolen.keys_match().is_err());
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let connector = hand_built_client(Some(stolen));
    let seen = client_sees_refusal(connector.connect(tls::server_name(), tcp)).await;
    assert!(seen.contains("DecryptError"), "client saw: {seen}");
    let err = server.refused().await;
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(err.to_string(), "invalid peer certificate: BadSignature");
    assert_eq!(refused_peer(&err), None);
    server.assert_accepts(&b).await;
}

/// A TLS handshake record holding a TLS 1.2-only `ClientHello`: `legacy_version` 0x0303 and no
/// `supported_versions` extension, offering ECDHE-ECDSA/RSA-AES128-GCM-SHA256.
fn tls12_client_hello() -> Vec<u8> {
    fn with_len(width: usize, body: &[u8]) -> Vec<u8> {
        let len = body.len().to_be_bytes();
        let mut out = len[len.len() - width..].to_vec();
        out.extend_from_slice(body);
        out
    }
    let mut extensions = Vec::new();
    // supported_groups: x25519, secp256r1
    extensions.extend_from_slice(&[0x00, 0x0a]);
    extensions.extend(with_len(2, &with_len(2, &[0x00, 0x1d, 0x00, 0x17])));
    // ec_point_formats: uncompressed
    extensions.extend_from_slice(&[0x00, 0x0b]);
    extensions.extend(with_len(2, &with_len(1, &[0x00])));
    // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256
    extensions.extend_from_slice(&[0x00, 0x0d]);
    extensions.extend(with_len(2, &with_len(2, &[0x04, 0x03, 0x08, 0x04])));

    let mut hello = vec![0x03, 0x03]; // legacy_version: TLS 1.2
    hello.extend_from_slice(&[0x42; 32]); // random
    hello.push(0); // no session id
    hello.extend(with_len(2, &[0xc0, 0x2b, 0xc0, 0x2f])); // cipher suites
    hello.extend_from_slice(&[0x01, 0x00]); // compression: null
    hello.extend(with_len(2, &extensions));

    let mut handshake = vec![0x01]; // ClientHello
    handshake.extend(with_len(3, &hello));
    let mut record = vec![0x16, 0x03, 0x01]; // handshake record
    record.extend(with_len(2, &handshake));
    record
}

/// Sends `bytes` on a raw TCP connection and returns what came back before the server closed.
async fn send_raw(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    // The server may refuse and close before taking it all; that is its right.
    let _ = tcp.write_all(bytes).await;
    let _ = tcp.shutdown().await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection");
    answer
}

#[tokio::test]
async fn a_tls12_client_hello_gets_a_protocol_version_alert() {
    let (_tmp, _a, b, mut server) = pair().await;
    let answer = send_raw(server.addr, &tls12_client_hello()).await;
    // One plaintext alert record: fatal (2), protocol_version (70).
    assert_eq!(answer, [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 70]);
    let err = server.refused().await;
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(
        err.to_string(),
        "peer is incompatible: SupportedVersionsExtensionRequired"
    );
    server.assert_accepts(&b).await;
}

#[tokio::test]
async fn garbage_is_refused_without_a_crash() {
    let (_tmp, _a, b, mut server) = pair().await;
    // 64 KiB from a fixed xorshift sequence, so a failure can be replayed.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let http: &[u8] = b"GET / HTTP/1.1\r\nHost: switchboard\r\n\r\n";
    // A record header claiming an 18 KiB handshake record: more than TLS allows.
    let oversized: &[u8] = &[0x16, 0x03, 0x01, 0x48, 0x00, 0x01];
    for (what, bytes, expected) in [
        (
            "noise",
            noise.as_slice(),
            "received corrupt message of type InvalidContentType",
        ),
        (
            "http",
            http,
            "received corrupt message of type InvalidContentType",
        ),
        (
            "oversized",
            oversized,
            "received corrupt message of type MessageTooLarge",
        ),
        ("nothing", &[][..], "tls handshake eof"),
    ] {
        let answer = send_raw(server.addr, bytes).await;
        assert!(
            answer.is_empty() || answer[0] == 0x15,
            "{what}: answered {answer:?}"
        );
        let err = server.refused().await;
        assert_eq!(err.to_string(), expected, "{what}");
        server.assert_accepts(&b).await;
    }
}
