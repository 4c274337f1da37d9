//! The ledger engine: pure logic from stored facts to the month's
//! rectification list, inspection record and summary. No store, no clock, no
//! file: [`LedgerInput`] holds everything it reads, and the store
//! (`Store::ledger_input`) is what fills it.
//!
//! - [`status`]: one finding's status from its sightings and people's actions;
//! - [`month`]: the month built from every finding, asset and report.

pub mod compliance;
pub mod month;
pub mod status;

pub use month::{
    FindingRow, InspectionRecord, LevelSummary, MonthLedger, Summary, build, month_end,
    not_inspected_findings,
};
pub use status::{Action, FindingState, Observation, Rules, Status, evaluate, may_set};

use crate::assets::Asset;
use crate::store::{FindingNo, StoredReport};
use chrono::NaiveDate;
use selfcheck_report::{CheckId, Finding, Fingerprint, Period, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The check of the finding an expected asset gets when it has no report in a month.
pub const NOT_INSPECTED_CHECK: &str = "collector.not-inspected";

/// The subject of that finding.
pub const NOT_INSPECTED_SUBJECT: &str = "monthly inspection";

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
