//! The ledger engine: pure logic from stored facts to the month's
//! rectification list, inspection record and summary. No store, no clock, no
//! file: [`LedgerInput`] holds everything it reads, and the store
//! (`Store::ledger_input`) is what fills it.
//!
//! - [`status`]: one finding's status from its sightings and people's actions;
//! - [`month`]: the month built from every finding, asset and report.

pub mod compliance;
mod facts;
pub mod month;
pub mod status;

pub use facts::{FindingNo, LedgerInput, NotApplicableCheck, ReportFacts, StoredReport};
pub use month::{
    FindingRow, InspectionRecord, LevelSummary, MonthLedger, Summary, build, not_inspected_findings,
};
pub use status::{Action, FindingState, Observation, Rules, Status, evaluate, may_set};

/// The check of the finding an expected asset gets when it has no report in a month.
pub const NOT_INSPECTED_CHECK: &str = "collector.not-inspected";

/// The subject of that finding.
pub const NOT_INSPECTED_SUBJECT: &str = "monthly inspection";
