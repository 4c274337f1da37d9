//! Where reports go and with what: the collector's base URL and the TLS files
//! enrolment wrote. Both the client and the sorting of its failures name them,
//! so they live below both.

use std::path::{Path, PathBuf};
use ureq::http::Uri;

/// The three files enrolment writes: the collector CA, the client certificate, its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The collector CA certificate (PEM): the only CA trusted.
    pub ca: PathBuf,
    /// This host's client certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM, PKCS#8), mode 0600.
    pub key: PathBuf,
}

impl TlsFiles {
    /// `DIR/ca.pem`, `DIR/client.pem`, `DIR/client-key.pem`: what `selfcheck-collector enroll --out DIR` writes.
    pub fn in_dir(dir: &Path) -> TlsFiles {
        TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("client.pem"),
            key: dir.join("client-key.pem"),
        }
    }
}

/// A collector base URL: `https://HOST[:PORT][/PREFIX]`, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectorUrl {
    base: String,
}

impl CollectorUrl {
    /// Check and normalise a URL; only https is accepted.
    pub fn parse(text: &str) -> Result<CollectorUrl, String> {
        let base = text.trim().trim_end_matches('/').to_string();
        let uri: Uri = base
            .parse()
            .map_err(|e| format!("collector URL {text:?} is not a URL: {e}"))?;
        if uri.scheme_str() != Some("https") {
            return Err(format!(
                "collector URL {text:?} must start with https:// (reports travel only over mutual TLS)"
            ));
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(format!("collector URL {text:?} names no host"));
        }
        if uri.query().is_some() || base.contains('#') {
            return Err(format!(
                "collector URL {text:?} must not have a query or fragment; give only https://HOST[:PORT]"
            ));
        }
        Ok(CollectorUrl { base })
    }

    /// The URL as given (normalised).
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The URL of an API path such as `/api/v1/reports`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl std::fmt::Display for CollectorUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)
    }
}
