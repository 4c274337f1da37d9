//! The trend of the last 12 months (统计 sheet, monthly report): each month's
//! summary, built from one read of the store. The months are computed in
//! [`selfcheck_ledger::month_documents`], which also builds the trend with
//! the month's ledger from that same read ([`MonthDocuments::build`]); this
//! is the trend alone.
//!
//! [`MonthDocuments::build`]: selfcheck_ledger::MonthDocuments::build

use super::TrendPoint;
use selfcheck_catalog::Catalog;
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::engine::NOT_INSPECTED_CHECK;
use selfcheck_ledger::month_documents::trend_of;
pub use selfcheck_ledger::month_documents::{TREND_MONTHS, months_ending};
use selfcheck_ledger::store::{Store, StoreError};
use selfcheck_report::{Period, Severity};

/// The summaries of the 12 months ending at `period`, oldest first; months
/// before the first stored report are left out (`period` itself never is).
/// Each month is judged on its last day, the running month on today.
pub fn trend(
    store: &mut Store,
    period: Period,
    config: &CollectorConfig,
    catalog: &Catalog,
) -> Result<Vec<TrendPoint>, StoreError> {
    let mut input = store.ledger_input(period)?;
    input.not_inspected_risk = Some(
        catalog
            .get_str(NOT_INSPECTED_CHECK)
            .map_or(Severity::Medium, |d| d.risk),
    );
    Ok(trend_of(&input, period, config))
}
