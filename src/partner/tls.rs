//! Mutual TLS with partners: the same pinned certificates as peers (`sync/tls.rs`), and — as
//! PSAP credentialing issues them — a certificate chain from a configured authority.
//!
//! A client certificate is accepted when its fingerprint is pinned for some partner, or when
//! it chains to the authority (checked by webpki: signature, validity, key usage); which partner
//! it is comes after the handshake ([`who`]): by the pin, else by a name in the certificate that
//! matches an `authority` partner's host. TLS 1.3 only, no session resumption (a resumed session
//! would skip the check), as for peers.

use std::sync::{Arc, RwLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, RootCertStore,
    SignatureScheme,
};

use super::list::{Partner, Partners, Trust};
use crate::sync::{Fingerprint, Identity, SyncError};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads an authority's certificates (PEM).
pub fn read_authority(path: &std::path::Path) -> Result<RootCertStore, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&text) {
        let cert = cert.map_err(|e| format!("{}: not a PEM certificate ({e})", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("{}: no certificate in it", path.display()));
    }
    Ok(roots)
}

/// What a running endpoint trusts; replaced when `partners.toml` changes.
#[derive(Clone, Debug, Default)]
pub struct Trusted(Arc<RwLock<TrustedInner>>);

#[derive(Debug, Default)]
struct TrustedInner {
    pins: Vec<Fingerprint>,
    roots: Option<Arc<RootCertStore>>,
}

impl Trusted {
    pub fn new(partners: &Partners) -> Result<Trusted, String> {
        let t = Trusted::default();
        t.replace(partners)?;
        Ok(t)
    }

    /// Trusts what this list says from now on.
    pub fn replace(&self, partners: &Partners) -> Result<(), String> {
        let roots = partners
            .authority
            .as_deref()
            .map(read_authority)
            .transpose()?
            .map(Arc::new);
        let pins = partners
            .list()
            .iter()
            .filter_map(|p| match &p.trust {
                Trust::Pinned(fp) => Some(*fp),
                Trust::Authority => None,
            })
            .collect();
        let mut inner = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *inner = TrustedInner { pins, roots };
        Ok(())
    }

    fn snapshot(&self) -> (Vec<Fingerprint>, Option<Arc<RootCertStore>>) {
        let inner = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (inner.pins.clone(), inner.roots.clone())
    }
}

/// Which partner a verified certificate belongs to.
pub fn who<'p>(partners: &'p Partners, cert: &CertificateDer<'_>) -> Option<&'p Partner> {
    let fp = Fingerprint::of_cert(cert);
    partners.by_fingerprint(&fp).or_else(|| {
        let parsed = rustls::server::ParsedCertificate::try_from(cert).ok()?;
        partners.list().iter().find(|p| {
            p.trust == Trust::Authority
                && ServerName::try_from(p.host())
                    .is_ok_and(|name| rustls::client::verify_server_name(&parsed, &name).is_ok())
        })
    })
}

#[derive(Debug)]
struct Verifier {
    trusted: Trusted,
    algorithms: WebPkiSupportedAlgorithms,
    /// For a server: the partner dialled (its pin, or the authority and its host).
    dialled: Option<Partner>,
}

impl Verifier {
    fn check_chain(
        roots: &RootCertStore,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        server: Option<&ServerName<'_>>,
    ) -> Result<(), Error> {
        let provider = provider();
        let roots = Arc::new(roots.clone());
        match server {
            Some(name) => {
                rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|e| Error::General(e.to_string()))?
                    .verify_server_cert(end_entity, intermediates, name, &[], now)
                    .map(|_| ())
            }
            None => rustls::server::WebPkiClientVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| Error::General(e.to_string()))?
                .verify_client_cert(end_entity, intermediates, now)
                .map(|_| ()),
        }
    }

    fn refuse(fp: Fingerprint) -> Error {
        tracing::warn!("refused a partner: certificate SHA-256 {fp}");
        Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
            crate::sync::tls::UnknownPeer(fp),
        ))))
    }
}

fn no_tls12() -> Result<HandshakeSignatureValid, Error> {
    Err(Error::General("partners use TLS 1.3 only".to_owned()))
}

impl ClientCertVerifier for Verifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let fp = Fingerprint::of_cert(end_entity);
        let (pins, roots) = self.trusted.snapshot();
        if pins.contains(&fp) {
            return Ok(ClientCertVerified::assertion());
        }
        match roots {
            Some(roots) => Self::check_chain(&roots, end_entity, intermediates, now, None)
                .map(|()| ClientCertVerified::assertion())
                .map_err(|e| {
                    tracing::warn!(error = %e, "refused a partner certificate");
                    Self::refuse(fp)
                }),
            None => Err(Self::refuse(fp)),
        }
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
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let fp = Fingerprint::of_cert(end_entity);
        match self.dialled.as_ref().map(|p| &p.trust) {
            Some(Trust::Pinned(pin)) if *pin == fp => Ok(ServerCertVerified::assertion()),
            Some(Trust::Authority) => {
                let (_, roots) = self.trusted.snapshot();
                let roots = roots.ok_or_else(|| Self::refuse(fp))?;
                Self::check_chain(&roots, end_entity, intermediates, now, Some(server_name))
                    .map(|()| ServerCertVerified::assertion())
            }
            _ => Err(Self::refuse(fp)),
        }
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
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The endpoint's TLS: this node's certificate, a partner's required.
pub fn acceptor(
    identity: &Identity,
    trusted: Trusted,
) -> Result<tokio_rustls::TlsAcceptor, SyncError> {
    let provider = provider();
    let verifier = Arc::new(Verifier {
        trusted,
        algorithms: provider.signature_verification_algorithms,
        dialled: None,
    });
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert_der().clone()], identity.key_der())?;
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// TLS to one partner: this node's certificate, the partner's checked by its pin or by the
/// authority and the URL's host.
pub fn connector(
    identity: &Identity,
    trusted: Trusted,
    partner: &Partner,
) -> Result<tokio_rustls::TlsConnector, SyncError> {
    let provider = provider();
    let verifier = Arc::new(Verifier {
        trusted,
        algorithms: provider.signature_verification_algorithms,
        dialled: Some(partner.clone()),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(vec![identity.cert_der().clone()], identity.key_der())?;
    config.resumption = rustls::client::Resumption::disabled();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}
