//! Everything a month's documents are rendered from (the xlsx and csv
//! sheets, the printable report, the evidence package's documents): the
//! month's ledger, the 12-month trend and last month's ledger, built from one
//! read of the store.
//!
//! [`Store::ledger_input`] of month M holds every report of M and earlier,
//! the whole finding registry, every person's action and the asset
//! registry; the engine's month P (P ≤ M) keeps only reports of P and
//! earlier, actions entered by P's last day and assets expected by P. So one
//! input serves this month, last month and all twelve months of the trend.
//! Each month of the trend is what `ledger --month P` shows (judged on P's
//! last day), with one difference: the asset registry is today's, so an asset
//! since removed from it is not counted in earlier months.

use crate::config::CollectorConfig;
use crate::engine::{LedgerInput, Rules, Summary, build};
use crate::ledger::{Ledger, month_of, read_input};
use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use selfcheck_catalog::Catalog;
use selfcheck_report::Period;

/// How many months the trend covers, ending with the ledger's month.
pub const TREND_MONTHS: usize = 12;

/// One month of the trend: its summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrendPoint {
    /// The month.
    pub period: Period,
    /// Its summary (as the ledger of that month computed it).
    pub summary: Summary,
}

/// The month's ledger, its trend and last month's ledger, from one read.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthDocuments {
    /// The month's ledger, judged on the day asked for.
    pub ledger: Ledger,
    /// The summaries of the 12 months ending with this one, oldest first
    /// (months before the first stored report left out); this month as
    /// `ledger` judged it.
    pub trend: Vec<TrendPoint>,
    /// Last month's ledger, when it has any row or host (for the report's
    /// carry-over section); `take` it once rendered to free it early.
    pub previous: Option<Ledger>,
}

impl MonthDocuments {
    /// Read the facts up to `period` once and build the month's ledger
    /// (statuses judged on `judged_on`, default its last day or today while it
    /// runs), the trend, and last month's ledger (judged on its last day).
    /// Not-inspected findings of both months get their ledger numbers first,
    /// this month's before last month's.
    pub fn build(
        store: &mut Store,
        period: Period,
        catalog: &Catalog,
        config: &CollectorConfig,
        judged_on: Option<NaiveDate>,
    ) -> Result<MonthDocuments, StoreError> {
        let mut input = read_input(store, period, catalog)?;
        let month = month_of(store, &mut input, period, config, judged_on)?;
        let ledger = Ledger::with_evidence(store, month, catalog)?;
        let mut trend = trend_of(&input, period, config);
        // The month itself as the ledger judged it (a chosen day may differ from the month's end).
        if let Some(last) = trend.last_mut().filter(|p| p.period == period) {
            last.summary = ledger.summary.clone();
        }
        let previous = month_of(store, &mut input, period.previous(), config, None)?;
        drop(input);
        let previous = Ledger::with_evidence(store, previous, catalog)?;
        let previous =
            (!previous.rows.is_empty() || !previous.hosts.is_empty()).then_some(previous);
        Ok(MonthDocuments {
            ledger,
            trend,
            previous,
        })
    }
}

/// The summaries of the 12 months ending at `period`, oldest first, from the
/// facts up to `period`; months before the first stored report are left out
/// (`period` itself never is). Each month is judged on its last day, the
/// running month on today.
pub fn trend_of(input: &LedgerInput, period: Period, config: &CollectorConfig) -> Vec<TrendPoint> {
    let first = input
        .reports
        .iter()
        .map(|r| r.meta.period)
        .min()
        .unwrap_or(period);
    let rules = Rules {
        policy: &config.deadlines,
        calendar: &config.calendar,
    };
    let today = chrono::Local::now().date_naive();
    months_ending(period, TREND_MONTHS)
        .into_iter()
        .filter(|&p| p >= first || p == period)
        .map(|p| {
            let judged_on = p.last_day().min(today.max(p.first_day()));
            TrendPoint {
                period: p,
                summary: build(input, p, judged_on, rules).summary,
            }
        })
        .collect()
}

/// The `n` months ending at `period`, oldest first.
pub fn months_ending(period: Period, n: usize) -> Vec<Period> {
    let mut out = Vec::with_capacity(n);
    let (mut y, mut m) = (period.year(), period.month());
    for _ in 0..n {
        let Some(p) = Period::new(y, m) else { break };
        out.push(p);
        if m == 1 {
            (y, m) = (y - 1, 12);
        } else {
            m -= 1;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_months_across_a_year_end() {
        let months: Vec<String> = months_ending("2026-03".parse().unwrap(), 12)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], "2025-04");
        assert_eq!(months[8], "2025-12");
        assert_eq!(months[11], "2026-03");
    }
}
