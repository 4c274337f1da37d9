//! The server's TLS: rustls with the ring provider, TLS 1.3 and 1.2 with the
//! provider's AEAD suites only, the collector's server certificate, and a
//! client certificate required from the collector's CA that is in its
//! register of issued certificates and not revoked.

use super::loglimit::LogLimiter;
use crate::pki::{Authority, ClientRegister, PeerIdentity, Refusal};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig,
    SignatureScheme,
};
use std::sync::Arc;

/// The ring provider, with only the suites and groups this server accepts.
pub fn provider() -> Arc<CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    // ring's suites are all ECDHE + AEAD (AES-GCM, ChaCha20-Poly1305); keep
    // them, and drop nothing else silently added by a later rustls.
    provider.cipher_suites.retain(|suite| {
        use rustls::CipherSuite::*;
        matches!(
            suite.suite(),
            TLS13_AES_256_GCM_SHA384
                | TLS13_AES_128_GCM_SHA256
                | TLS13_CHACHA20_POLY1305_SHA256
                | TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
                | TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                | TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
                | TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
                | TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
                | TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        )
    });
    Arc::new(provider)
}

/// The server configuration: the collector's identity, client certificates
/// required from its CA and checked against the register on every handshake
/// (and, by the server, on every request).
pub fn server_config(
    authority: &Authority,
    register: ClientRegister,
    log: Arc<LogLimiter>,
) -> Result<ServerConfig, String> {
    let provider = provider();
    let mut roots = RootCertStore::empty();
    roots
        .add(authority.ca_der().clone())
        .map_err(|e| format!("the CA certificate cannot be used as a trust anchor: {e}"))?;
    let inner = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("cannot set up client certificate checking: {e}"))?;
    let verifier = Arc::new(InRegister {
        inner,
        register,
        log,
    });
    let (chain, key) = authority.server_identity().map_err(|e| e.to_string())?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("cannot set the TLS versions: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| format!("the server certificate or key is unusable: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // No session resumption: a resumed session skips the client certificate
    // check, so a certificate revoked since would pass the handshake (the
    // request check would still refuse it). Every connection is verified in
    // full; agents connect a few times a month, so this costs nothing.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(config)
}

/// A client verifier that, beyond the CA's signature, admits only
/// certificates of the register: a certificate made with the CA key outside
/// `enroll`, or revoked, is refused.
#[derive(Debug)]
struct InRegister {
    inner: Arc<dyn ClientCertVerifier>,
    register: ClientRegister,
    log: Arc<LogLimiter>,
}

impl ClientCertVerifier for InRegister {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self
            .inner
            .verify_client_cert(end_entity, intermediates, now)?;
        let peer = PeerIdentity::from_der(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if let Err(refusal) = self.register.admit(&peer) {
            if self.log.allow("refused certificates", &peer.serial) {
                tracing::warn!(host = %peer.host, serial = %peer.serial, sha256 = %peer.sha256, "{}", refusal.explain(&peer));
            }
            return Err(rustls::Error::InvalidCertificate(match refusal {
                Refusal::Revoked => CertificateError::Revoked,
                Refusal::Unregistered | Refusal::OtherCertificate => {
                    CertificateError::ApplicationVerificationFailure
                }
            }));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
