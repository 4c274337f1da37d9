//! The documents people hand over, rendered from a month's [`Ledger`]: the
//! rectification list grouped for reading (整改台账), the detail sheet (明细),
//! the inspection record (检查记录) and the summary with its 12-month trend
//! (统计), as xlsx, csv per sheet, and the printable monthly self-inspection
//! report (月度网络安全自查报告) as html.
//!
//! [`Documents`] is the input every renderer shares.

pub mod assets;
pub mod certs;
pub mod csv;
pub mod finding;
pub mod html;
pub mod present;
pub mod sheets;
pub mod trend;
pub mod xlsx;

use selfcheck_ledger::ledger::Ledger;
pub use selfcheck_ledger::month_documents::TrendPoint;

/// Everything the documents of a month are rendered from.
#[derive(Debug, Clone)]
pub struct Documents<'a> {
    /// The month's ledger.
    pub ledger: &'a Ledger,
    /// The last 12 months' summaries, oldest first, ending with this month.
    pub trend: Vec<TrendPoint>,
    /// The previous month's ledger, for the carry-over section (None for the first month).
    pub previous: Option<&'a Ledger>,
}
