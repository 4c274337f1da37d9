//! The month's ledger and the documents rendered from it: what `ledger`
//! prints or writes and what the evidence package carries.

use anyhow::{Context, Result};
use selfcheck_catalog::Catalog;
use selfcheck_ledger::MonthDocuments;
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

/// Everything the month's documents (xlsx, csv files, html report) are
/// rendered from: the ledger judged on `as_of`, the 12-month trend and last
/// month's ledger, from one read of the store.
pub fn documents(
    store: &mut Store,
    period: Period,
    catalog: &Catalog,
    config: &CollectorConfig,
    as_of: Option<chrono::NaiveDate>,
) -> Result<MonthDocuments> {
    MonthDocuments::build(store, period, catalog, config, as_of)
        .with_context(|| format!("cannot read the ledger of {period}"))
}
