//! The month's ledger and the documents rendered from it: what `ledger`
//! prints or writes and what the evidence package carries.

use anyhow::{Context, Result};
use selfcheck_catalog::Catalog;
use selfcheck_documents::TrendPoint;
use selfcheck_documents::trend;
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::ledger::Ledger;
use selfcheck_ledger::store::Store;
use selfcheck_report::Period;

/// The month's ledger alone (table, csv on standard output, json), statuses
/// judged on `as_of` (default: the month's last day, or today while it runs).
pub fn ledger(
    store: &mut Store,
    period: Period,
    catalog: &Catalog,
    config: &CollectorConfig,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Ledger> {
    Ledger::for_month(store, period, catalog, config, as_of)
        .with_context(|| format!("cannot read the ledger of {period}"))
}

/// Everything a month's documents (xlsx, csv files, html report) are
/// rendered from: the ledger, the 12-month trend and last month's ledger.
pub struct MonthContext {
    /// The month's ledger.
    pub ledger: Ledger,
    /// The 12 months up to this one, this month as `ledger` judged it.
    pub trend: Vec<TrendPoint>,
    /// Last month's ledger, when it has anything.
    pub previous: Option<Ledger>,
}

/// Read what the month's documents need.
pub fn documents(
    store: &mut Store,
    period: Period,
    catalog: &Catalog,
    config: &CollectorConfig,
    as_of: Option<chrono::NaiveDate>,
) -> Result<MonthContext> {
    let ledger = ledger(store, period, catalog, config, as_of)?;
    let mut trend = trend::trend(store, period, config, catalog)
        .with_context(|| format!("cannot read the 12 months up to {period}"))?;
    // The month itself as the ledger judged it (--as-of may differ from the month's end).
    if let Some(last) = trend.last_mut().filter(|p| p.period == period) {
        last.summary = ledger.summary.clone();
    }
    let previous = Ledger::for_month(store, period.previous(), catalog, config, None)
        .with_context(|| format!("cannot read the ledger of {}", period.previous()))?;
    let previous = (!previous.rows.is_empty() || !previous.hosts.is_empty()).then_some(previous);
    Ok(MonthContext {
        ledger,
        trend,
        previous,
    })
}
