//! The engine's input: what the store knows of reports, ledger numbers,
//! people's actions and the asset registry, as plain values. The store
//! produces them (`Store::ledger_input`); the engine never
//! reads the store itself.

use crate::assets::Asset;
use chrono::{DateTime, FixedOffset, NaiveDate};
use selfcheck_report::{
    CheckId, Finding, Fingerprint, Period, ProtectionLevel, ReportId, Severity,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::Action;

/// Ledger number of a finding, `YYYY-MM-L-NNN`: the month it was first
/// numbered, its risk letter then, and its sequence within that month.
/// Assigned once per fingerprint and never changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FindingNo(String);

impl FindingNo {
    /// The number for the `seq`-th finding first numbered in `period` (at least three digits).
    pub fn new(period: Period, risk: Severity, seq: u32) -> FindingNo {
        FindingNo(format!("{period}-{}-{seq:03}", risk.letter()))
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A number as the store holds it.
    pub(crate) fn from_stored(text: String) -> FindingNo {
        FindingNo(text)
    }
}

impl fmt::Display for FindingNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One stored report as listed by `reports` and read by the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredReport {
    /// Report id.
    pub report_id: ReportId,
    /// Machine id, or `hostname:NAME` for hosts without one.
    pub asset_key: String,
    /// Host name.
    pub hostname: String,
    /// Machine id, when the host has one.
    pub machine_id: Option<String>,
    /// Operating system and version, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub os_name: String,
    /// The host's IP addresses as the report lists them.
    pub ip_addresses: Vec<String>,
    /// Kernel release, when known.
    pub kernel: Option<String>,
    /// Inspection month.
    pub period: Period,
    /// When the audit started.
    pub started_at: DateTime<FixedOffset>,
    /// When the audit finished.
    pub finished_at: DateTime<FixedOffset>,
    /// Version of the agent that wrote it.
    pub agent_version: String,
    /// `sha256:HEX` of the agent key that signed it.
    pub key_fingerprint: String,
    /// SHA-256 of the stored file, hex.
    pub file_sha256: String,
    /// Where it was imported from.
    pub source_name: String,
    /// When it was imported.
    pub imported_at: DateTime<FixedOffset>,
    /// Checks that ran (passed or with findings).
    pub checks_run: usize,
    /// Checks that could not run.
    pub checks_could_not_run: usize,
    /// Checks that do not apply to the host (level profile, approved exception).
    pub checks_not_applicable: usize,
    /// Findings in the report (suppressed ones not counted).
    pub findings: usize,
    /// The protection level whose baseline profile the agent applied.
    pub baseline_level: Option<ProtectionLevel>,
    /// Set when the audit time failed the import's clock checks and the
    /// person accepted the report anyway: what was wrong.
    pub clock_skew: Option<String>,
}

impl StoredReport {
    /// When the ledger counts this report: when it finished, or, for a
    /// report whose clock was not trusted ([`StoredReport::clock_skew`]),
    /// when the collector imported it.
    pub fn counted_at(&self) -> DateTime<FixedOffset> {
        match self.clock_skew {
            Some(_) => self.imported_at,
            None => self.finished_at,
        }
    }
}

/// What the store knows of one report, as the engine needs it.
#[derive(Debug, Clone)]
pub struct ReportFacts {
    /// The report's metadata.
    pub meta: StoredReport,
    /// Every check of the report and whether it ran (passed or had findings).
    pub checks: Vec<(CheckId, bool)>,
    /// Checks that could not run, with the reason (for the inspection record).
    pub could_not_run: Vec<(CheckId, String)>,
    /// Checks that do not apply to the host (level profile, approved exception).
    pub not_applicable: Vec<NotApplicableCheck>,
    /// Its findings: full for reports of the ledger's month; for earlier
    /// months only fingerprint, check and risk are needed (evidence may be empty).
    pub findings: Vec<Finding>,
}

/// A check a report marks as not applicable to its host: outside the host's
/// protection-level profile (no approver), or an exception the unit approved.
/// Like a check that could not run, it changes no finding's status; the
/// ledger counts it apart from passed and failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotApplicableCheck {
    /// The check.
    pub check_id: CheckId,
    /// Why it does not apply.
    pub reason: String,
    /// Who approved the exception.
    pub approver: Option<String>,
    /// The exception's last day.
    pub expires: Option<NaiveDate>,
}

impl NotApplicableCheck {
    /// Whether the unit approved it (an exception), rather than the level profile leaving it out.
    pub fn is_exception(&self) -> bool {
        self.approver.is_some()
    }
}

impl ReportFacts {
    /// Whether `check` ran on this report.
    pub fn ran(&self, check: &CheckId) -> bool {
        self.checks
            .binary_search_by(|(c, _)| c.cmp(check))
            .is_ok_and(|i| self.checks[i].1)
    }
}

/// Everything the engine reads to build the ledger of a month.
#[derive(Debug, Clone, Default)]
pub struct LedgerInput {
    /// Every stored report of the month and the months before it.
    pub reports: Vec<ReportFacts>,
    /// Ledger numbers (问题编号), by fingerprint.
    pub registry: BTreeMap<Fingerprint, FindingNo>,
    /// The first sighting of each registered fingerprint, as registered when
    /// a report first showed it: no report makes a finding seen earlier than
    /// this (a report imported later, or with a wrong clock, cannot move a
    /// first-seen date or a deadline back).
    pub first_seen: BTreeMap<Fingerprint, DateTime<FixedOffset>>,
    /// People's status changes per finding, in history order.
    pub actions: BTreeMap<Fingerprint, Vec<Action>>,
    /// The asset registry (empty when none was imported).
    pub assets: Vec<Asset>,
    /// The first month each registered asset (by name) was expected: the
    /// month of the first registry import that listed it.
    pub asset_since: BTreeMap<String, Period>,
    /// Risk of the not-inspected finding (from the catalog).
    pub not_inspected_risk: Option<Severity>,
    /// The GB/T 22239-2019 clauses each check maps to (from the catalog), for
    /// the per-clause compliance of each host; empty: no compliance view.
    pub check_clauses: HashMap<CheckId, Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_numbers_have_month_letter_and_three_digits() {
        let p: Period = "2026-11".parse().unwrap();
        assert_eq!(
            FindingNo::new(p, Severity::High, 7).as_str(),
            "2026-11-H-007"
        );
        assert_eq!(
            FindingNo::new(p, Severity::Critical, 1234).as_str(),
            "2026-11-C-1234"
        );
    }
}
