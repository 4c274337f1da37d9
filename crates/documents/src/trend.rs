//! The trend of the last 12 months (统计 sheet, monthly report): each month's
//! summary, built from one read of the store.
//!
//! [`Store::ledger_input`] of month M holds every report of M and earlier,
//! the whole finding registry, every person's action and the asset
//! registry; [`build`] of an earlier month P keeps only reports of P and
//! earlier, actions entered by P's last day and assets expected by P. So one
//! input serves all twelve months, and each month is what `ledger --month P`
//! shows (judged on P's last day), with one difference: the asset registry is
//! today's, so an asset since removed from it is not counted in earlier months.

use super::TrendPoint;
use selfcheck_catalog::Catalog;
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::engine::{NOT_INSPECTED_CHECK, Rules, build};
use selfcheck_ledger::store::{Store, StoreError};
use selfcheck_report::{Period, Severity};

/// How many months the trend covers, ending with the ledger's month.
pub const TREND_MONTHS: usize = 12;

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
    Ok(months_ending(period, TREND_MONTHS)
        .into_iter()
        .filter(|&p| p >= first || p == period)
        .map(|p| {
            let judged_on = p.last_day().min(today.max(p.first_day()));
            TrendPoint {
                period: p,
                summary: build(&input, p, judged_on, rules).summary,
            }
        })
        .collect())
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
