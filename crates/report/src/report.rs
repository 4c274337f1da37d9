//! The report body: one audit of one host.

use crate::finding::{CheckRun, Finding, SuppressedFinding};
use crate::host::HostIdentity;
use crate::ids::{Period, ReportId};
use crate::inventory::Inventory;
use crate::level::ProtectionLevel;
use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// The report format version this crate writes.
///
/// Version 2 added the `not_applicable` check outcome (a check outside the
/// host's protection-level profile, or an approved exception) and
/// `baseline_level`; a version-1 report is a version-2 report without them,
/// so both are read ([`READABLE_SCHEMA_VERSIONS`]).
pub const SCHEMA_VERSION: u32 = 2;

/// The report format versions this crate reads.
pub const READABLE_SCHEMA_VERSIONS: std::ops::RangeInclusive<u32> = 1..=SCHEMA_VERSION;

/// One audit of one host: identity, the checks run, their findings and the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Format version ([`SCHEMA_VERSION`] when written by this crate).
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
    /// The protection level (等保级别, 2 or 3) whose configuration-baseline
    /// profile the agent applied; absent in reports without baseline checks.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "baseline_level"
    )]
    pub baseline_level: Option<ProtectionLevel>,
    /// What this audit could not see, in words (run without root: other
    /// users' processes, the owners of their sockets, files only root reads);
    /// absent when it saw everything it looked for. A finding's absence
    /// where the agent could not look is not evidence of no problem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_limits: Vec<String>,
}

/// Name and version of the program that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentInfo {
    /// `selfcheck-agent`.
    pub name: String,
    /// Its version (semver).
    pub version: String,
}

/// Read `baseline_level`, naming the field when the number is no protection
/// level, so the refusal says which member of the report is wrong.
fn baseline_level<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ProtectionLevel>, D::Error> {
    Option::<i64>::deserialize(d)?
        .map(|n| {
            ProtectionLevel::try_from(n)
                .map_err(|e| serde::de::Error::custom(format!("baseline_level {e}")))
        })
        .transpose()
}
