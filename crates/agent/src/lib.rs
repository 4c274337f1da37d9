//! selfcheck agent: audits one host, read-only and offline, and writes a signed report.
//!
//! Each area ([`areas`]) runs behind one [`audit::Area`] trait over one
//! [`audit::AuditCtx`] (the [`selfcheck_hostfs::HostRoot`], the check catalog,
//! the host's OS and asset key, a clock), carries its own section of the
//! agent configuration, and hands back its checks, findings and inventory
//! section; [`profile`] then applies the host's protection level and
//! exceptions. [`app`] holds the use cases, assembled once; [`present`] shows
//! their results; [`cli`] only parses flags and dispatches.
//! [`submit`] delivers reports to the collector over mutual TLS through an offline spool.

pub mod app;
pub mod areas;
pub mod audit;
pub mod cli;
pub mod config;
pub mod host;
pub mod nice;
pub mod present;
pub mod profile;
pub mod progress;
pub mod state;
pub mod submit;
pub mod visibility;
