//! The month: every finding's status at the month's end, the inspection
//! record per asset and the summary counts.
//!
//! Which findings are rows of month M's rectification list:
//! - every finding a report of M shows;
//! - every finding closed during M (status closed, with its re-check report);
//! - every finding still not closed from earlier months (carried over), except
//!   false positives no report of M shows.
//!
//! An asset in the registry is expected from the month of the first registry
//! import that listed it. A month in which none of its hosts sent a report
//! is a sighting of its own finding `collector.not-inspected` (未检查); the
//! first report of a later month closes it, like any re-check.

use super::status::{Action, FindingState, Observation, Rules, Status, evaluate};
use super::{
    LedgerInput, NOT_INSPECTED_CHECK, NOT_INSPECTED_SUBJECT, NotApplicableCheck, ReportFacts,
    compliance,
};
use crate::assets::{Asset, AssetIndex};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use selfcheck_catalog::compliance::ClauseTally;
use selfcheck_report::{CheckId, Fingerprint, Period, ProtectionLevel, ReportId, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// China Standard Time, the time zone of the month's end for not-inspected sightings.
fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The registry details of an asset a row or record belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetInfo {
    /// 资产名称.
    pub asset_name: String,
    /// 单位（部门）.
    pub unit: Option<String>,
    /// 资产类型.
    pub asset_type: Option<String>,
    /// 等保级别 as written in the registry.
    pub protection_level: Option<String>,
    /// 责任单位.
    pub responsible_unit: Option<String>,
    /// 整改责任人 from the registry (a person's `--owner` wins in the row).
    pub responsible_person: Option<String>,
    /// 联系方式.
    pub contact: Option<String>,
}

impl AssetInfo {
    fn of(a: &Asset) -> AssetInfo {
        AssetInfo {
            asset_name: a.asset_name.clone(),
            unit: a.unit.clone(),
            asset_type: a.asset_type.clone(),
            protection_level: a.protection_level.clone(),
            responsible_unit: a.responsible_unit.clone(),
            responsible_person: a.responsible_person.clone(),
            contact: a.contact.clone(),
        }
    }
}

/// One finding of the month's rectification list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    /// 序号, from 1.
    pub row_no: usize,
    /// 问题编号 (stable across months).
    pub finding_no: Option<String>,
    /// The finding's fingerprint.
    pub fingerprint: Fingerprint,
    /// The asset key of the host (`asset:NAME` for a not-inspected finding).
    pub asset_key: Arc<str>,
    /// Registry details, when the host is a registered asset.
    pub asset: Option<Arc<AssetInfo>>,
    /// Whether a registry exists and this host is not in it.
    pub unregistered: bool,
    /// Host name (the asset name for a not-inspected finding).
    pub hostname: Arc<str>,
    /// IP addresses.
    pub ip_addresses: Vec<String>,
    /// Operating system and version.
    pub os_name: Arc<str>,
    /// The check.
    pub check_id: CheckId,
    /// What it is about.
    pub subject: String,
    /// Evidence of the latest sighting.
    pub evidence: Vec<String>,
    /// Status, deadline and the people's fields at the month's end.
    pub state: FindingState,
    /// A report of this month shows it.
    pub seen_this_month: bool,
    /// Its current round began this month (first seen or reopened).
    pub new_this_month: bool,
    /// It was closed this month.
    pub closed_this_month: bool,
    /// The report of the latest sighting, and that file's SHA-256 (佐证材料).
    pub evidence_report: Option<(ReportId, String)>,
}

/// One asset's inspection in the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectionRecord {
    /// The host's asset key (`asset:NAME` for a registered asset without any report).
    pub asset_key: String,
    /// Registry details.
    pub asset: Option<Arc<AssetInfo>>,
    /// A registry exists and the host is not in it.
    pub unregistered: bool,
    /// Host name.
    pub hostname: String,
    /// IP addresses.
    pub ip_addresses: Vec<String>,
    /// Operating system.
    pub os_name: String,
    /// Whether a report of the month exists.
    pub inspected: bool,
    /// The month's latest report, its finish time and file SHA-256.
    pub report: Option<(ReportId, DateTime<FixedOffset>, String)>,
    /// Reports of the month from this host.
    pub reports_in_month: usize,
    /// Checks that ran on the latest report.
    pub checks_run: usize,
    /// Checks that could not run, with the reason.
    pub could_not_run: Vec<(CheckId, String)>,
    /// Checks that do not apply (level profile, approved exception), counted
    /// apart from passed and failed.
    pub not_applicable: Vec<NotApplicableCheck>,
    /// Findings of the latest report per level, most severe first.
    pub findings_by_level: Vec<(Severity, usize)>,
    /// The protection level whose baseline profile the agent applied.
    pub agent_level: Option<ProtectionLevel>,
    /// The level the host is judged at (registry, else agent, else 3); `None` without a report.
    pub judged_level: Option<ProtectionLevel>,
    /// The latest report's checks counted per clause of `judged_level`.
    pub compliance: Vec<ClauseTally>,
}

/// Counts of one risk level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct LevelSummary {
    /// Rows of the month.
    pub rows: usize,
    /// Rows whose round began this month.
    pub new: usize,
    /// Rows carried over from earlier months.
    pub carried_over: usize,
    /// Closed this month.
    pub closed_this_month: usize,
    /// Pending and past the deadline.
    pub overdue: usize,
    /// Still needing rectification at the month's end (open, in progress,
    /// reopened, fixed pending re-check).
    pub pending: usize,
    /// Risk accepted.
    pub risk_accepted: usize,
    /// Marked false positive.
    pub false_positive: usize,
}

/// The month's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Registered assets expected this month.
    pub assets_expected: usize,
    /// Of those, assets with a report.
    pub assets_inspected: usize,
    /// Hosts with a report that the registry does not list (0 without a registry).
    pub hosts_unregistered: usize,
    /// Hosts with a report this month.
    pub hosts_reporting: usize,
    /// Counts per level, most severe first.
    pub by_level: Vec<(Severity, LevelSummary)>,
    /// 整改率: closed this month ÷ (closed this month + still pending), levels
    /// critical to low; `None` when there is nothing to rectify.
    pub rectification_rate: Option<f64>,
}

/// The month's ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthLedger {
    /// The month.
    pub period: Period,
    /// The day statuses are judged on (the month's last day, or an earlier `--as-of`).
    pub judged_on: NaiveDate,
    /// The rectification list, most severe first.
    pub rows: Vec<FindingRow>,
    /// The inspection record, by asset name / host name.
    pub inspections: Vec<InspectionRecord>,
    /// The summary.
    pub summary: Summary,
}

/// A not-inspected finding to number: fingerprint, asset key, first month missing.
pub type NotInspected = (Fingerprint, String, Period);

/// Which registered asset each asset key with reports belongs to.
fn match_assets<'a>(
    index: &AssetIndex<'a>,
    by_asset: &BTreeMap<&str, Vec<&ReportFacts>>,
) -> BTreeMap<String, &'a Asset> {
    let mut out = BTreeMap::new();
    for (key, reports) in by_asset {
        if let Some(latest) = reports.last() {
            let m = &latest.meta;
            if let Some(a) = index.find(m.machine_id.as_deref(), &m.hostname, &m.ip_addresses) {
                out.insert(key.to_string(), a);
            }
        }
    }
    out
}

fn not_inspected_fingerprint(asset_name: &str) -> (String, Fingerprint) {
    let key = format!("asset:{asset_name}");
    let check: CheckId = NOT_INSPECTED_CHECK
        .parse()
        .expect("the not-inspected check id is valid");
    let fp = Fingerprint::compute(&key, &check, NOT_INSPECTED_SUBJECT);
    (key, fp)
}

/// Per registered asset: the months from its first expected month to `period`
/// and, for each, the first report of any of its hosts in that month.
struct Expected<'a> {
    asset: &'a Asset,
    months: Vec<(Period, Option<&'a ReportFacts>)>,
}

fn expected_assets<'a>(
    input: &'a LedgerInput,
    period: Period,
    by_asset: &BTreeMap<&str, Vec<&'a ReportFacts>>,
    matched: &BTreeMap<String, &'a Asset>,
) -> Vec<Expected<'a>> {
    // Asset name -> the asset keys of its hosts, built once.
    let mut keys_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, a) in matched {
        keys_of
            .entry(a.asset_name.as_str())
            .or_default()
            .push(key.as_str());
    }
    let mut out = Vec::new();
    for asset in &input.assets {
        let since = input
            .asset_since
            .get(&asset.asset_name)
            .copied()
            .unwrap_or(period);
        if since > period {
            continue;
        }
        let reports: Vec<&ReportFacts> = keys_of
            .get(asset.asset_name.as_str())
            .into_iter()
            .flatten()
            .flat_map(|k| by_asset.get(k).into_iter().flatten().copied())
            .collect();
        let mut months = Vec::new();
        let mut p = since;
        loop {
            let first = reports
                .iter()
                .filter(|r| r.meta.period == p)
                .min_by_key(|r| r.meta.counted_at())
                .copied();
            months.push((p, first));
            if p >= period {
                break;
            }
            p = p.next();
        }
        out.push(Expected { asset, months });
    }
    out
}

/// The not-inspected findings of `period` and earlier months that need a
/// ledger number (the store assigns numbers before [`build`] runs).
pub fn not_inspected_findings(input: &LedgerInput, period: Period) -> Vec<NotInspected> {
    let by_asset = group_reports(input, period);
    let index = AssetIndex::new(&input.assets);
    let matched = match_assets(&index, &by_asset);
    expected_assets(input, period, &by_asset, &matched)
        .into_iter()
        .filter_map(|e| {
            let missing = e.months.iter().find(|(_, r)| r.is_none())?.0;
            let (key, fp) = not_inspected_fingerprint(&e.asset.asset_name);
            Some((fp, key, missing))
        })
        .collect()
}

fn group_reports(input: &LedgerInput, period: Period) -> BTreeMap<&str, Vec<&ReportFacts>> {
    let mut by_asset: BTreeMap<&str, Vec<&ReportFacts>> = BTreeMap::new();
    for r in input.reports.iter().filter(|r| r.meta.period <= period) {
        by_asset
            .entry(r.meta.asset_key.as_str())
            .or_default()
            .push(r);
    }
    for reports in by_asset.values_mut() {
        reports.sort_by(|a, b| {
            (a.meta.counted_at(), a.meta.imported_at, &a.meta.report_id).cmp(&(
                b.meta.counted_at(),
                b.meta.imported_at,
                &b.meta.report_id,
            ))
        });
    }
    by_asset
}

fn actions_until(input: &LedgerInput, fp: &Fingerprint, judged_on: NaiveDate) -> Vec<Action> {
    input
        .actions
        .get(fp)
        .map(|list| {
            list.iter()
                .filter(|a| a.at.date_naive() <= judged_on)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Build the ledger of `period`, judging statuses on `judged_on`.
pub fn build(
    input: &LedgerInput,
    period: Period,
    judged_on: NaiveDate,
    rules: Rules<'_>,
) -> MonthLedger {
    let by_asset = group_reports(input, period);
    let index = AssetIndex::new(&input.assets);
    let matched = match_assets(&index, &by_asset);
    let registry_exists = !input.assets.is_empty();
    let (start, end) = (period.first_day(), period.last_day());
    let in_month = |d: NaiveDate| d >= start && d <= end;
    let mut rows = Vec::new();

    for (key, reports) in &by_asset {
        let asset = matched.get(*key).map(|a| Arc::new(AssetInfo::of(a)));
        let unregistered = registry_exists && asset.is_none();
        let latest = reports.last().expect("grouped reports are never empty");
        // Shared by every row of the host.
        let (host_key, hostname, os_name): (Arc<str>, Arc<str>, Arc<str>) = (
            Arc::from(*key),
            Arc::from(latest.meta.hostname.as_str()),
            Arc::from(latest.meta.os_name.as_str()),
        );
        // Every fingerprint any report of the asset showed, with its check and subject.
        let mut seen: BTreeMap<&Fingerprint, (&CheckId, &str)> = BTreeMap::new();
        for r in reports {
            for f in &r.findings {
                seen.entry(&f.fingerprint)
                    .or_insert((&f.check_id, f.subject.as_str()));
            }
        }
        for (fp, (check, subject)) in seen {
            let mut observations = Vec::new();
            let mut latest_sighting: Option<(&ReportFacts, usize)> = None;
            let mut seen_this_month = false;
            // No sighting counts before the registered first one.
            let first_seen = input.first_seen.get(fp);
            for r in reports {
                let hit = r.findings.binary_search_by(|f| f.fingerprint.cmp(fp)).ok();
                if let Some(i) = hit {
                    latest_sighting = Some((r, i));
                    seen_this_month |= r.meta.period == period;
                }
                let at = r.meta.counted_at();
                let at = match first_seen {
                    Some(first) if hit.is_some() && at < *first => *first,
                    _ => at,
                };
                observations.push(Observation {
                    at,
                    report_id: r.meta.report_id.clone(),
                    present: hit.map(|i| r.findings[i].risk),
                    check_ran: r.ran(check),
                });
            }
            let actions = actions_until(input, fp, judged_on);
            let Some(state) = evaluate(&observations, &actions, judged_on, rules) else {
                continue;
            };
            let closed_this_month = state.closed_by.as_ref().is_some_and(|(_, d)| in_month(*d));
            let keep = seen_this_month
                || closed_this_month
                || !matches!(state.status, Status::Closed | Status::FalsePositive);
            if !keep {
                continue;
            }
            let (evidence, evidence_report) = match latest_sighting {
                Some((r, i)) => (
                    r.findings[i].evidence.clone(),
                    Some((r.meta.report_id.clone(), r.meta.file_sha256.clone())),
                ),
                None => (Vec::new(), None),
            };
            rows.push(FindingRow {
                row_no: 0,
                finding_no: input.registry.get(fp).map(|n| n.to_string()),
                fingerprint: fp.clone(),
                asset_key: host_key.clone(),
                asset: asset.clone(),
                unregistered,
                hostname: hostname.clone(),
                ip_addresses: latest.meta.ip_addresses.clone(),
                os_name: os_name.clone(),
                check_id: check.clone(),
                subject: subject.to_string(),
                evidence,
                new_this_month: in_month(state.opened_on),
                seen_this_month,
                closed_this_month,
                state,
                evidence_report,
            });
        }
    }

    // Registered assets: their inspection, or their not-inspected finding.
    let expected = expected_assets(input, period, &by_asset, &matched);
    let check: CheckId = NOT_INSPECTED_CHECK
        .parse()
        .expect("the not-inspected check id is valid");
    let risk = input.not_inspected_risk.unwrap_or(Severity::Medium);
    let mut inspections = Vec::new();
    for e in &expected {
        let (key, fp) = not_inspected_fingerprint(&e.asset.asset_name);
        let observations: Vec<Observation> = e
            .months
            .iter()
            .map(|(p, first)| match first {
                Some(r) => Observation {
                    at: r.meta.counted_at(),
                    report_id: r.meta.report_id.clone(),
                    present: None,
                    check_ran: true,
                },
                None => Observation {
                    at: cst()
                        .from_local_datetime(
                            &p.last_day().and_hms_opt(23, 59, 59).unwrap_or_default(),
                        )
                        .single()
                        .unwrap_or_else(|| DateTime::<FixedOffset>::MIN_UTC.fixed_offset()),
                    report_id: ReportId::from_random_bytes([0; 16]),
                    present: Some(risk),
                    check_ran: false,
                },
            })
            .collect();
        let inspected = e.months.last().is_some_and(|(_, r)| r.is_some());
        let actions = actions_until(input, &fp, judged_on);
        if let Some(state) = evaluate(&observations, &actions, judged_on, rules) {
            let closed_this_month = state.closed_by.as_ref().is_some_and(|(_, d)| in_month(*d));
            if !inspected
                || closed_this_month
                || !matches!(state.status, Status::Closed | Status::FalsePositive)
            {
                rows.push(FindingRow {
                    row_no: 0,
                    finding_no: input.registry.get(&fp).map(|n| n.to_string()),
                    fingerprint: fp.clone(),
                    asset_key: key.as_str().into(),
                    asset: Some(Arc::new(AssetInfo::of(e.asset))),
                    unregistered: false,
                    hostname: e
                        .asset
                        .hostname
                        .clone()
                        .unwrap_or_else(|| e.asset.asset_name.clone())
                        .into(),
                    ip_addresses: e.asset.ip.iter().cloned().collect(),
                    os_name: e.asset.os.clone().unwrap_or_default().into(),
                    check_id: check.clone(),
                    subject: NOT_INSPECTED_SUBJECT.into(),
                    evidence: vec![format!(
                        "no report of this asset for {period}; months without a report: {}",
                        e.months
                            .iter()
                            .filter(|(_, r)| r.is_none())
                            .map(|(p, _)| p.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )],
                    new_this_month: in_month(state.opened_on),
                    seen_this_month: !inspected,
                    closed_this_month,
                    state,
                    evidence_report: None,
                });
            }
        }
        if !inspected {
            inspections.push(InspectionRecord {
                asset_key: key,
                asset: Some(Arc::new(AssetInfo::of(e.asset))),
                unregistered: false,
                hostname: e.asset.hostname.clone().unwrap_or_default(),
                ip_addresses: e.asset.ip.iter().cloned().collect(),
                os_name: e.asset.os.clone().unwrap_or_default(),
                inspected: false,
                report: None,
                reports_in_month: 0,
                checks_run: 0,
                could_not_run: Vec::new(),
                not_applicable: Vec::new(),
                findings_by_level: Severity::ALL_DESC.iter().map(|&l| (l, 0)).collect(),
                agent_level: None,
                judged_level: None,
                compliance: Vec::new(),
            });
        }
    }

    // Hosts with a report this month.
    let mut hosts_reporting = 0;
    let mut hosts_unregistered = 0;
    for (key, reports) in &by_asset {
        let month: Vec<&&ReportFacts> =
            reports.iter().filter(|r| r.meta.period == period).collect();
        let Some(latest) = month.last() else {
            continue;
        };
        hosts_reporting += 1;
        let registered = matched.get(*key);
        let asset = registered.map(|a| Arc::new(AssetInfo::of(a)));
        let unregistered = registry_exists && asset.is_none();
        hosts_unregistered += usize::from(unregistered);
        let m = &latest.meta;
        let level = compliance::judged_level(registered.and_then(|a| a.level()), m.baseline_level);
        inspections.push(InspectionRecord {
            asset_key: key.to_string(),
            asset,
            unregistered,
            hostname: m.hostname.clone(),
            ip_addresses: m.ip_addresses.clone(),
            os_name: m.os_name.clone(),
            inspected: true,
            report: Some((m.report_id.clone(), m.finished_at, m.file_sha256.clone())),
            reports_in_month: month.len(),
            checks_run: latest.checks.iter().filter(|(_, ran)| *ran).count(),
            could_not_run: latest.could_not_run.clone(),
            not_applicable: latest.not_applicable.clone(),
            agent_level: m.baseline_level,
            judged_level: Some(level),
            compliance: compliance::host_tallies(latest, &input.check_clauses, level),
            findings_by_level: Severity::ALL_DESC
                .iter()
                .map(|&l| (l, latest.findings.iter().filter(|f| f.risk == l).count()))
                .collect(),
        });
    }
    inspections.sort_by(|a, b| {
        let name = |r: &InspectionRecord| {
            r.asset
                .as_ref()
                .map_or_else(|| r.hostname.clone(), |a| a.asset_name.clone())
        };
        (name(a), &a.asset_key).cmp(&(name(b), &b.asset_key))
    });

    rows.sort_by(|a, b| {
        (
            b.state.risk,
            &a.hostname,
            &a.asset_key,
            &a.check_id,
            &a.subject,
        )
            .cmp(&(
                a.state.risk,
                &b.hostname,
                &b.asset_key,
                &b.check_id,
                &b.subject,
            ))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.row_no = i + 1;
    }
    rows.shrink_to_fit();
    let assets_expected = expected.len();
    let inspected_assets: BTreeSet<&str> = expected
        .iter()
        .filter(|e| e.months.last().is_some_and(|(_, r)| r.is_some()))
        .map(|e| e.asset.asset_name.as_str())
        .collect();
    let summary = summarise(
        &rows,
        assets_expected,
        inspected_assets.len(),
        hosts_reporting,
        hosts_unregistered,
    );
    MonthLedger {
        period,
        judged_on,
        rows,
        inspections,
        summary,
    }
}

fn summarise(
    rows: &[FindingRow],
    assets_expected: usize,
    assets_inspected: usize,
    hosts_reporting: usize,
    hosts_unregistered: usize,
) -> Summary {
    let mut by_level: Vec<(Severity, LevelSummary)> = Severity::ALL_DESC
        .iter()
        .map(|&l| (l, LevelSummary::default()))
        .collect();
    for r in rows {
        let Some((_, s)) = by_level.iter_mut().find(|(l, _)| *l == r.state.risk) else {
            continue;
        };
        s.rows += 1;
        if r.new_this_month {
            s.new += 1;
        } else {
            s.carried_over += 1;
        }
        s.closed_this_month += usize::from(r.closed_this_month);
        s.overdue += usize::from(r.state.overdue);
        match r.state.status {
            Status::Open | Status::InProgress | Status::Reopened | Status::FixedPendingRecheck => {
                s.pending += 1
            }
            Status::RiskAccepted => s.risk_accepted += 1,
            Status::FalsePositive => s.false_positive += 1,
            Status::Closed => {}
        }
    }
    let (closed, pending) = by_level
        .iter()
        .filter(|(l, _)| *l != Severity::Info)
        .fold((0, 0), |(c, p), (_, s)| {
            (c + s.closed_this_month, p + s.pending)
        });
    Summary {
        assets_expected,
        assets_inspected,
        hosts_unregistered,
        hosts_reporting,
        by_level,
        rectification_rate: (closed + pending > 0)
            .then(|| closed as f64 / (closed + pending) as f64),
    }
}

/// The first day of the month after `p` (where a month's statuses stop counting).
pub fn after(p: Period) -> NaiveDate {
    p.last_day().succ_opt().unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_ends() {
        assert_eq!(
            "2026-02".parse::<Period>().unwrap().last_day().to_string(),
            "2026-02-28"
        );
        assert_eq!(
            "2028-02".parse::<Period>().unwrap().last_day().to_string(),
            "2028-02-29"
        );
        assert_eq!(
            "2026-12".parse::<Period>().unwrap().last_day().to_string(),
            "2026-12-31"
        );
        assert_eq!(
            "2026-12".parse::<Period>().unwrap().next().to_string(),
            "2027-01"
        );
        assert_eq!(after("2026-11".parse().unwrap()).to_string(), "2026-12-01");
    }
}
