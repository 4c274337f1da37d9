//! The report body: one audit of one host.

use crate::finding::{CheckRun, Finding, SuppressedFinding};
use crate::host::HostIdentity;
use crate::ids::{Period, ReportId};
use crate::inventory::Inventory;
use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The report format version this crate writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// One audit of one host: identity, the checks run, their findings and the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Format version; always 1 for this format.
    pub schema_version: u32,
    /// Unique id of this report.
    pub report_id: ReportId,
    /// The agent that wrote it.
    pub agent: AgentInfo,
    /// The audited host.
    pub host: HostIdentity,
    /// `/` for a live audit, else the directory given with `--root`.
    pub audit_root: String,
    /// Inspection month (`YYYY-MM`) the report counts for.
    pub period: Period,
    /// When the audit started (RFC 3339 with offset).
    pub started_at: DateTime<FixedOffset>,
    /// When the audit ended (RFC 3339 with offset).
    pub finished_at: DateTime<FixedOffset>,
    /// Every check that was run, with its outcome.
    pub checks: Vec<CheckRun>,
    /// Findings, at most one per fingerprint.
    pub findings: Vec<Finding>,
    /// Findings the agent configuration allowlisted, with their reasons.
    pub suppressed: Vec<SuppressedFinding>,
    /// What the host has.
    pub inventory: Inventory,
}

/// Name and version of the program that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentInfo {
    /// `selfcheck-agent`.
    pub name: String,
    /// Its version (semver).
    pub version: String,
}
