//! The `[submit]` section of agent.toml: where and how reports are delivered.

use super::endpoint::CollectorUrl;
use serde::Deserialize;
use std::path::PathBuf;

/// Where and how reports are delivered to the collector (`[submit]`).
/// Command-line flags (`--submit URL`, `--url`, `--enrolled DIR`) win over these.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitConfig {
    /// The collector's base URL, `https://HOST[:PORT]`.
    pub url: Option<String>,
    /// The collector CA certificate (PEM) [default: /etc/selfcheck/ca.pem].
    pub ca: Option<PathBuf>,
    /// This host's client certificate (PEM) [default: /etc/selfcheck/client.pem].
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PKCS#8 PEM, mode 0600)
    /// [default: /etc/selfcheck/client-key.pem].
    pub key: Option<PathBuf>,
    /// Seconds one request may take, connecting included [default: 30].
    pub timeout_seconds: Option<u64>,
    /// Tries per report in one invocation before it is left for the next run [default: 4].
    pub max_attempts: Option<u32>,
}

impl SubmitConfig {
    /// Check a `[submit]` section; the message says which key is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(url) = &self.url {
            CollectorUrl::parse(url).map_err(|e| format!("submit.url: {e}"))?;
        }
        if self.timeout_seconds == Some(0) {
            return Err("submit.timeout_seconds must be at least 1".into());
        }
        if let Some(n) = self.max_attempts
            && !(1..=20).contains(&n)
        {
            return Err(format!("submit.max_attempts is {n}; give 1 to 20"));
        }
        Ok(())
    }
}
