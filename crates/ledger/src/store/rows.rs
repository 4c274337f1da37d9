//! The rows a report gives the derived tables (`check_runs`, `findings`,
//! `suppressed_findings`), as text exactly as stored. Import writes these
//! rows and `store verify` derives them again from the stored signed report
//! to compare, so both use this one mapping.

use super::json_text;
use selfcheck_report::{CheckOutcome, Finding, Report};

/// A `check_runs` row's columns after `report_id`, keyed by check id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckRunRow {
    pub status: String,
    pub finding_count: i64,
    pub reason: Option<String>,
    pub approver: Option<String>,
    pub expires: Option<String>,
}

/// A `findings` (or `suppressed_findings`) row's columns after `report_id`,
/// keyed by fingerprint; `reason` only for suppressed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FindingRow {
    pub check_id: String,
    pub risk: String,
    pub subject: String,
    pub evidence: String,
    pub detected_at: String,
    pub reason: Option<String>,
}

/// Every derived row of one report, in the report's order (keyed by check
/// id or fingerprint; a key twice makes the insert fail, as it should).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReportRows {
    pub check_runs: Vec<(String, CheckRunRow)>,
    pub findings: Vec<(String, FindingRow)>,
    pub suppressed: Vec<(String, FindingRow)>,
}

pub(crate) fn check_run_row(outcome: &CheckOutcome) -> CheckRunRow {
    let (count, reason, approver, expires) = match outcome {
        CheckOutcome::Passed => (0, None, None, None),
        CheckOutcome::Findings { count } => (i64::from(*count), None, None, None),
        CheckOutcome::CouldNotRun { reason } => (0, Some(reason.clone()), None, None),
        CheckOutcome::NotApplicable {
            reason,
            approver,
            expires,
        } => (
            0,
            Some(reason.clone()),
            approver.clone(),
            expires.map(|d| d.to_string()),
        ),
    };
    CheckRunRow {
        status: outcome.as_str().to_string(),
        finding_count: count,
        reason,
        approver,
        expires,
    }
}

pub(crate) fn finding_row(f: &Finding, reason: Option<&str>) -> FindingRow {
    FindingRow {
        check_id: f.check_id.as_str().to_string(),
        risk: f.risk.as_str().to_string(),
        subject: f.subject.clone(),
        evidence: json_text(&f.evidence),
        detected_at: f.detected_at.to_rfc3339(),
        reason: reason.map(str::to_string),
    }
}

/// The rows `report` gives.
pub(crate) fn rows_of(report: &Report) -> ReportRows {
    ReportRows {
        check_runs: report
            .checks
            .iter()
            .map(|run| {
                (
                    run.check_id.as_str().to_string(),
                    check_run_row(&run.outcome),
                )
            })
            .collect(),
        findings: report
            .findings
            .iter()
            .map(|f| (f.fingerprint.as_str().to_string(), finding_row(f, None)))
            .collect(),
        suppressed: report
            .suppressed
            .iter()
            .map(|s| {
                (
                    s.finding.fingerprint.as_str().to_string(),
                    finding_row(&s.finding, Some(&s.reason)),
                )
            })
            .collect(),
    }
}
