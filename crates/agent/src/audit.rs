//! What one area audit (ports, later patches, fim, config) hands back to the run.

use selfcheck_report::{CheckRun, Finding, SuppressedFinding};

/// Results of one area audit: the checks it ran with their outcomes, its
/// findings, and the findings the configuration allowlisted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AuditOutput {
    /// One entry per check of the area that was run.
    pub checks: Vec<CheckRun>,
    /// Findings, at most one per fingerprint.
    pub findings: Vec<Finding>,
    /// Findings an allowlist entry suppressed, with its reason.
    pub suppressed: Vec<SuppressedFinding>,
}
