//! The `[ports]` section of agent.toml: the approved listeners.

use selfcheck_catalog::{Area, KnownCheck, checks};
use selfcheck_report::{CheckId, TransportProtocol};
use serde::Deserialize;
use std::net::IpAddr;

/// Settings of the listening-ports audit.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortsConfig {
    /// Approved listeners: a finding they match is suppressed, with the reason kept.
    #[serde(default)]
    pub allow: Vec<PortAllow>,
}

/// One approved listener. Every field given must match; `reason` is mandatory.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortAllow {
    /// Local port.
    pub port: u16,
    /// Only this protocol.
    pub protocol: Option<TransportProtocol>,
    /// Only this local address.
    pub address: Option<IpAddr>,
    /// Only when a process of this name holds the socket.
    pub process: Option<String>,
    /// Only for this check.
    pub check: Option<CheckId>,
    /// Why the listener is acceptable (who approved it, ticket number, ...).
    pub reason: String,
}

/// The checks an allow entry may name: the ports-area checks of the
/// repository's catalog, as typed constants.
pub fn port_checks() -> impl Iterator<Item = KnownCheck> {
    checks::ALL
        .iter()
        .copied()
        .filter(|k| k.area() == Area::Ports)
}

impl PortsConfig {
    /// Every approved listener must say why, and a `check` it names must be a
    /// known port check (a misspelled id would otherwise never match and the
    /// listener would stay a finding); the message names the entry.
    pub fn validate(&self) -> Result<(), String> {
        for (i, a) in self.allow.iter().enumerate() {
            if a.reason.trim().is_empty() {
                return Err(format!(
                    "ports.allow entry {} (port {}) has an empty reason; write why the listener is acceptable",
                    i + 1,
                    a.port
                ));
            }
            if let Some(check) = &a.check
                && !port_checks().any(|k| k == *check)
            {
                let ids: Vec<&str> = port_checks().map(KnownCheck::as_str).collect();
                return Err(format!(
                    "ports.allow entry {} (port {}) names check {check}, which is not a port check; use one of {}, or leave check out to allow the listener for every port check",
                    i + 1,
                    a.port,
                    ids.join(", ")
                ));
            }
        }
        Ok(())
    }
}
