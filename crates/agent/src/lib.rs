//! selfcheck agent: audits one host, read-only and offline, and writes a signed report.
//!
//! Each area audit is a module with plain inputs (a [`selfcheck_hostfs::HostRoot`], the check
//! catalog, the agent configuration) and plain outputs ([`audit::AuditOutput`]
//! plus an inventory section). [`run`] assembles them into a signed report;
//! [`present`] shows it; [`cli`] only parses flags and picks a presenter.
//! [`submit`] delivers reports to the collector over mutual TLS through an offline spool.

pub mod areas;
pub mod audit;
pub mod cli;
pub mod config;

pub mod fim_cli;
pub mod fim_verify_cli;
pub mod host;
pub mod nice;

pub mod present;
pub mod profile;
pub mod progress;
pub mod run;
pub mod state;
pub mod submit;
pub mod submit_cli;
