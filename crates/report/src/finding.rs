//! Checks that ran and what they found.

use crate::ids::{CheckId, Fingerprint, Severity};
use chrono::{DateTime, FixedOffset, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One check that the agent ran, and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckRun {
    /// The catalog id of the check.
    pub check_id: CheckId,
    /// What came of it.
    pub outcome: CheckOutcome,
}

/// The outcome of one check. "Could not run" is never read as "no problem".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The check ran and found nothing (allowlisted findings do not count).
    Passed,
    /// The check ran and produced this many findings.
    Findings {
        /// Number of findings in the report's `findings` list for this check.
        count: u32,
    },
    /// The check could not inspect the host.
    CouldNotRun {
        /// Why, in words an operator can act on.
        reason: String,
    },
    /// The check does not apply to this host and was not run: it is outside
    /// the host's protection-level profile, or the unit granted an exception
    /// (reason, approver and expiry from the agent configuration). Counted
    /// apart from passed and failed.
    NotApplicable {
        /// Why it does not apply.
        reason: String,
        /// Who approved the exception (none for a check outside the profile).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approver: Option<String>,
        /// The last day the exception holds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<NaiveDate>,
    },
}

impl CheckOutcome {
    /// Whether the check actually inspected the host (so an absent finding means fixed).
    pub fn ran(&self) -> bool {
        matches!(self, CheckOutcome::Passed | CheckOutcome::Findings { .. })
    }

    /// `passed`, `findings`, `could_not_run` or `not_applicable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CheckOutcome::Passed => "passed",
            CheckOutcome::Findings { .. } => "findings",
            CheckOutcome::CouldNotRun { .. } => "could_not_run",
            CheckOutcome::NotApplicable { .. } => "not_applicable",
        }
    }
}

/// One problem found on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable identity: asset + check id + subject (see [`Fingerprint::compute`]).
    pub fingerprint: Fingerprint,
    /// The check that found it.
    pub check_id: CheckId,
    /// Risk level (the check's level unless the check raised or lowered it).
    pub risk: Severity,
    /// What the finding is about, e.g. `tcp/23`.
    pub subject: String,
    /// Facts that show the problem, one per line, e.g. `0.0.0.0:23 pid 812 (inetd)`.
    pub evidence: Vec<String>,
    /// When the agent saw it.
    pub detected_at: DateTime<FixedOffset>,
}

/// A finding that the agent's configuration allowlisted, with the written reason.
/// It is reported so that the exception itself stays visible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SuppressedFinding {
    /// The finding as it would have been reported.
    pub finding: Finding,
    /// The reason written in the allowlist entry.
    pub reason: String,
}
