//! The HTTPS client that talks to the collector: the TLS files checked, mutual
//! TLS with the collector's own CA, one POST per report (the answers are sorted
//! in [`super::answer`]).
//!
//! TLS is rustls with the ring provider, TLS 1.2 and 1.3. The only trusted root
//! is the CA in the `ca` file (no system roots, no bundled roots), the server
//! name is checked against the URL's host, and this host proves itself with the
//! client certificate and key from enrolment. Proxy variables of the
//! environment are not used: reports go straight to the collector.

use super::answer::{Answer, Failure, HttpAnswer, answer_fields, classify, describe_error};
use super::endpoint::{CollectorUrl, TlsFiles};
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::sign::CertifiedKey;
use selfcheck_report::ReportId;
use selfcheck_report::upload::{HEALTH_OK, HEALTH_PATH, REPORTS_PATH};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The most of a response body the agent reads (64 KiB); answers are small JSON.
pub const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// The TLS files could not be used. Every message names the file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsSetupError(pub String);

/// A connection to one collector, with the TLS files checked.
#[derive(Debug)]
pub struct Collector {
    agent: ureq::Agent,
    url: CollectorUrl,
    files: TlsFiles,
    warnings: Vec<String>,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let bytes = std::fs::read(path)
        .map_err(|e| TlsSetupError(format!("cannot read {what} {}: {e}", path.display())))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError(format!("{what} {} is not PEM: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(TlsSetupError(format!(
            "{what} {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<(Vec<u8>, PrivateKeyDer<'static>), TlsSetupError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| {
        TlsSetupError(format!(
            "cannot read client key {}: {e}; enrol this host (selfcheck-collector enroll) and point [submit] key or --enrolled at the files",
            path.display()
        ))
    })?;
    let euid = nix::unistd::geteuid().as_raw();
    if let Some(problem) = selfcheck_report::keyfile::key_file_problem(
        path,
        &meta,
        euid,
        "agent",
        "enrolment directory",
    ) {
        return Err(TlsSetupError(format!(
            "refusing client key {}: {problem} (a new client key comes from enrolling this host again)",
            path.display()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| TlsSetupError(format!("cannot read client key {}: {e}", path.display())))?;
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        TlsSetupError(format!(
            "client key {} holds no usable PEM private key: {e}",
            path.display()
        ))
    })?;
    Ok((bytes, key))
}

impl Collector {
    /// Check the TLS files and prepare the client. Problems that make every
    /// delivery fail (unreadable, not PEM, key readable by others, key not
    /// matching the certificate) are errors; a client certificate the CA did not
    /// issue, or one out of its validity, only adds a warning.
    pub fn new(
        url: CollectorUrl,
        files: TlsFiles,
        timeout: Duration,
    ) -> Result<Collector, TlsSetupError> {
        let provider = provider();
        let ca = read_certs(&files.ca, "collector CA")?;
        let mut roots = RootCertStore::empty();
        for c in &ca {
            roots.add(c.clone()).map_err(|e| {
                TlsSetupError(format!(
                    "collector CA {} is not a usable CA certificate: {e}",
                    files.ca.display()
                ))
            })?;
        }
        let chain = read_certs(&files.cert, "client certificate")?;
        let (key_pem, key) = read_key(&files.key)?;
        CertifiedKey::from_der(chain.clone(), key, &provider).map_err(|e| {
            TlsSetupError(format!(
                "client key {} does not fit the client certificate {}: {e}; use the two files from the same enrolment",
                files.key.display(),
                files.cert.display()
            ))
        })?;
        let mut warnings = Vec::new();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|e| TlsSetupError(format!("collector CA {}: {e}", files.ca.display())))?;
        if let Err(e) = verifier.verify_client_cert(&chain[0], &chain[1..], UnixTime::now()) {
            warnings.push(format!(
                "client certificate {} does not verify against the collector CA {} ({e}); the collector will likely refuse the connection: enrol this host again",
                files.cert.display(),
                files.ca.display()
            ));
        }

        let key = ureq::tls::PrivateKey::from_pem(&key_pem)
            .map_err(|e| TlsSetupError(format!("client key {}: {e}", files.key.display())))?;
        let ureq_chain: Vec<_> = chain
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        let ureq_roots: Vec<_> = ca
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(provider)
            .root_certs(ureq::tls::RootCerts::new_with_certs(&ureq_roots))
            .client_cert(Some(ureq::tls::ClientCert::new_with_certs(
                &ureq_chain,
                key,
            )))
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .https_only(true)
            .proxy(None)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .user_agent(concat!("selfcheck-agent/", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .build()
            .new_agent();
        Ok(Collector {
            agent,
            url,
            files,
            warnings,
        })
    }

    /// The collector URL.
    pub fn url(&self) -> &CollectorUrl {
        &self.url
    }

    /// Problems found in the TLS files that do not stop delivery by themselves.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// `POST /api/v1/reports` with the report file bytes, exactly as written;
    /// `report_id` is the id inside, which a confirmation must not contradict.
    pub fn post_report(&self, file_bytes: &[u8], report_id: &ReportId) -> Answer {
        let sent = self
            .agent
            .post(self.url.endpoint(REPORTS_PATH))
            .content_type("application/json")
            .send(file_bytes);
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => return Answer::Later(self.transport_failure(e)),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = read_body(&mut response);
        classify(
            &HttpAnswer {
                status,
                fields: answer_fields(&body),
                retry_after,
            },
            report_id,
        )
    }

    /// `GET /api/v1/health`: `Ok(body)` when the collector answers 200 with status ok.
    pub fn health(&self) -> Result<String, Failure> {
        let mut response = self
            .agent
            .get(self.url.endpoint(HEALTH_PATH))
            .call()
            .map_err(|e| self.transport_failure(e))?;
        let status = response.status().as_u16();
        let body = read_body(&mut response);
        let fields = answer_fields(&body);
        if status == 200 && fields.status.as_deref() == Some(HEALTH_OK) {
            return Ok(String::from_utf8_lossy(&body).trim().to_string());
        }
        Err(Failure {
            what: format!("the health check answered {status}: {}", fields.message),
            retry_soon: false,
            retry_after: None,
            status: Some(status),
        })
    }

    fn transport_failure(&self, e: ureq::Error) -> Failure {
        let (what, retry_soon) = describe_error(&e, &self.url, &self.files);
        Failure {
            what,
            retry_soon,
            retry_after: None,
            status: None,
        }
    }
}

fn read_body(response: &mut ureq::http::Response<ureq::Body>) -> Vec<u8> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_vec()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_with_a_host() {
        let u = CollectorUrl::parse("https://collector.unit.local:8443/").unwrap();
        assert_eq!(
            u.endpoint("/api/v1/reports"),
            "https://collector.unit.local:8443/api/v1/reports"
        );
        assert!(
            CollectorUrl::parse("http://c:8443")
                .unwrap_err()
                .contains("https://")
        );
        assert!(CollectorUrl::parse("c:8443").is_err());
        assert!(CollectorUrl::parse("https://c/?x=1").is_err());
    }
}
