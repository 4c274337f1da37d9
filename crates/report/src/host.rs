//! Who was audited: the host's identity as the report records it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The audited host's identity.
///
/// With `--root DIR` every field comes from the files under DIR (its
/// `etc/hostname`, `etc/machine-id`, `etc/os-release`, and `proc/` when the root
/// has one), never from the machine the agent runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostIdentity {
    /// Host name (kernel host name on a live host, `etc/hostname` under a root).
    pub hostname: String,
    /// Contents of `etc/machine-id` (32 hex digits), if the host has one.
    pub machine_id: Option<String>,
    /// Operating system, from `etc/os-release` (or `usr/lib/os-release`).
    pub os: OsRelease,
    /// Running kernel release (`uname -r`), when known.
    pub kernel: Option<String>,
    /// Machine architecture (`uname -m`, e.g. `x86_64`, `aarch64`), when known.
    pub arch: Option<String>,
    /// The host's own IP addresses, loopback excluded, sorted.
    pub ip_addresses: Vec<IpAddr>,
}

impl HostIdentity {
    /// The key that identifies this asset in fingerprints: the machine id when
    /// the host has one, else `hostname:` and its host name.
    pub fn asset_key(&self) -> String {
        match &self.machine_id {
            Some(id) if !id.is_empty() => id.clone(),
            _ => format!("hostname:{}", self.hostname),
        }
    }
}

/// The parts of `os-release(5)` the collector and later audits need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OsRelease {
    /// `ID`, e.g. `debian`, `ubuntu`, `openEuler`, `kylin`.
    pub id: Option<String>,
    /// `ID_LIKE`, split on spaces.
    pub id_like: Vec<String>,
    /// `NAME`.
    pub name: Option<String>,
    /// `VERSION_ID`.
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`.
    pub version_codename: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
}

impl OsRelease {
    /// A one-line description such as `Debian GNU/Linux 12 (bookworm)`.
    pub fn display_name(&self) -> String {
        if let Some(p) = &self.pretty_name {
            return p.clone();
        }
        match (&self.name, &self.version_id) {
            (Some(n), Some(v)) => format!("{n} {v}"),
            (Some(n), None) => n.clone(),
            _ => self.id.clone().unwrap_or_else(|| "unknown".to_string()),
        }
    }
}
