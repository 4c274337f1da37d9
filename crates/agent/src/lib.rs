//! selfcheck agent: audits one host, read-only and offline, and writes a signed report.
//!
//! Each area audit is a module with plain inputs (a [`root::HostRoot`], the check
//! catalog, the agent configuration) and plain outputs ([`audit::AuditOutput`]
//! plus an inventory section). [`run`] assembles them into a report; the binary
//! only parses flags and chooses a presenter.

pub mod audit;
pub mod config;
pub mod ports;
pub mod root;
