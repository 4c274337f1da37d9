//! The `[ports]` section of agent.toml: the approved listeners.

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

impl PortsConfig {
    /// Every approved listener must say why; the message names the entry.
    pub fn validate(&self) -> Result<(), String> {
        for (i, a) in self.allow.iter().enumerate() {
            if a.reason.trim().is_empty() {
                return Err(format!(
                    "ports.allow entry {} (port {}) has an empty reason; write why the listener is acceptable",
                    i + 1,
                    a.port
                ));
            }
        }
        Ok(())
    }
}
