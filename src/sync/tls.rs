//! Pinned mutual TLS 1.3 between peers.
//!
//! Both sides present their self-signed certificate; each accepts the other's only if its
//! fingerprint is in the [`TrustedSet`]. There is no CA chain, no name check and no validity
//! period check: the pin is the whole of trust, as with Syncthing device ids. Possession of the
//! certificate is not enough: the handshake signature is verified against the certificate's
//! public key with the ring provider, so a replayed certificate without its key fails.
//!
//! Session resumption is off on both sides: a resumed TLS 1.3 session skips certificate
//! verification, and would let a peer removed with `peer rm` back in on an old ticket.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

use super::{Fingerprint, Identity, SyncError, TrustedSet};

/// The server name every connection asks for. Pinning replaces names, so it is only a
/// placeholder that TLS requires.
pub const SERVER_NAME: &str = "switchboard.peer";

/// [`SERVER_NAME`] as the name to pass to `TlsConnector::connect`.
pub fn server_name() -> ServerName<'static> {
    // SERVER_NAME is a valid DNS name, so the fallback is never taken; it is there only to
    // keep a panic out of the code.
    ServerName::try_from(SERVER_NAME)
        .unwrap_or(ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()))
}

/// The error a verifier returns for a certificate whose fingerprint is not trusted. Its text
/// ("unknown peer certificate SHA-256 …") carries the full fingerprint, so the operator can
/// add it if the peer is wanted; [`refused_peer`] finds it again in a handshake error.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown peer certificate SHA-256 {0}")]
pub struct UnknownPeer(pub Fingerprint);

// rustls shows a custom certificate error with `Debug`; make that the readable sentence too.
impl std::fmt::Debug for UnknownPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A handshake error in words for the log and the status bar: "unknown peer certificate
/// SHA-256 …" when this side refused an untrusted peer, else the error's own text.
pub fn error_text(err: &std::io::Error) -> String {
    refused_peer(err).map_or_else(|| err.to_string(), |fp| UnknownPeer(fp).to_string())
}

/// The fingerprint of an untrusted peer this side refused, if that is why `err` (from
/// `TlsAcceptor::accept` or `TlsConnector::connect`) failed.
pub fn refused_peer(err: &std::io::Error) -> Option<Fingerprint> {
    let rustls_err = err.get_ref()?.downcast_ref::<Error>()?;
    let Error::InvalidCertificate(CertificateError::Other(other)) = rustls_err else {
        return None;
    };
    other.0.downcast_ref::<UnknownPeer>().map(|u| u.0)
}

/// The fingerprint of the certificate the other side presented, once the handshake is done.
pub fn peer_fingerprint(conn: &rustls::CommonState) -> Option<Fingerprint> {
    conn.peer_certificates()
        .and_then(|certs| certs.first())
        .map(|cert| Fingerprint::of_cert(cert))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server for peers: TLS 1.3 only, a client certificate required, and accepted only when
/// its fingerprint is in `trusted` at the time of the handshake.
pub fn acceptor(
    identity: &Identity,
    trusted: TrustedSet,
) -> Result<tokio_rustls::TlsAcceptor, SyncError> {
    let provider = provider();
    let verifier = Arc::new(PinnedPeers::new(trusted, &provider));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert_der().clone()], identity.key_der())?;
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A client for peers: TLS 1.3 only, presenting this node's certificate, and accepting a
/// server only when its fingerprint is in `trusted`. To insist on one particular peer, pass a
/// set holding only its fingerprint (or check [`peer_fingerprint`] after the handshake).
/// Connect with [`server_name`].
pub fn connector(
    identity: &Identity,
    trusted: TrustedSet,
) -> Result<tokio_rustls::TlsConnector, SyncError> {
    let provider = provider();
    let verifier = Arc::new(PinnedPeers::new(trusted, &provider));
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(vec![identity.cert_der().clone()], identity.key_der())?;
    config.resumption = rustls::client::Resumption::disabled();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Both verifiers: the end-entity certificate must be pinned; signatures are checked by ring.
#[derive(Debug)]
struct PinnedPeers {
    trusted: TrustedSet,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedPeers {
    fn new(trusted: TrustedSet, provider: &CryptoProvider) -> PinnedPeers {
        PinnedPeers {
            trusted,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), Error> {
        let fingerprint = Fingerprint::of_cert(end_entity);
        if self.trusted.contains(&fingerprint) {
            Ok(())
        } else {
            tracing::warn!("refused a peer: unknown certificate SHA-256 {fingerprint}");
            Err(Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(UnknownPeer(fingerprint))),
            )))
        }
    }

    fn tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }
}

/// Only TLS 1.3 is ever negotiated; a TLS 1.2 signature reaching a verifier is a bug or an
/// attack, and is refused.
fn no_tls12() -> Result<HandshakeSignatureValid, Error> {
    Err(Error::General("peers use TLS 1.3 only".to_owned()))
}

impl ServerCertVerifier for PinnedPeers {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.check(end_entity)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        no_tls12()
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl ClientCertVerifier for PinnedPeers {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    /// No CA names to hint: any pinned certificate will do.
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        self.check(end_entity)
            .map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        no_tls12()
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
