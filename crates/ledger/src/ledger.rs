//! The month's inspection and rectification ledger (检查整改台账): which hosts
//! were inspected, and one row per finding in the ledger's columns.
//!
//! The statuses, deadlines and counts come from the pure engine
//! ([`crate::engine`]); this module adds the catalog's texts and the office's
//! columns. [`Ledger::for_month`] reads the store, numbers not-inspected
//! findings, and calls the engine.

pub use crate::columns::Column;
use crate::config::CollectorConfig;
use crate::engine::{
    FindingRow, InspectionRecord, LedgerInput, MonthLedger, NOT_INSPECTED_CHECK, Rules, Status,
    Summary, build, not_inspected_findings,
};
use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use selfcheck_catalog::{Catalog, Lang, LocalText};
use selfcheck_report::{CheckId, Period, Severity};
use std::collections::HashMap;
use std::sync::Arc;

/// `检查类型` of every row the agent produced.
pub const INSPECTION_TYPE: (&str, &str) = ("月度自查", "monthly self-inspection");

/// `问题来源` of every row the agent produced.
pub const FINDING_SOURCE: (&str, &str) = (
    "selfcheck-agent 自动检查",
    "selfcheck-agent automatic check",
);

/// One row of the rectification list: the engine's row with the catalog's texts.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    /// The engine's row: finding, asset, status at the month's end.
    pub row: FindingRow,
    /// The check's title from the catalog.
    pub check_title: Arc<LocalText>,
    /// The check's references (GB/T 22239-2019 clauses, advisories).
    pub references: Arc<Vec<String>>,
    /// How to fix it, from the catalog.
    pub remediation: Arc<LocalText>,
}

fn dash(s: Option<&str>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or("—").to_string()
}

impl LedgerRow {
    /// The text of one cell.
    pub fn cell(&self, column: Column, lang: Lang) -> String {
        let r = &self.row;
        let st = &r.state;
        let asset = r.asset.as_ref();
        match column {
            Column::RowNo => r.row_no.to_string(),
            Column::FindingNo => dash(r.finding_no.as_deref()),
            Column::InspectionRound => {
                let period = Period::of(
                    &st.last_seen
                        .and_hms_opt(12, 0, 0)
                        .unwrap_or_default()
                        .and_utc(),
                );
                format!("{} / {}", st.last_seen, period)
            }
            Column::InspectionType => lang.pick(INSPECTION_TYPE.0, INSPECTION_TYPE.1).into(),
            Column::Source => lang.pick(FINDING_SOURCE.0, FINDING_SOURCE.1).into(),
            Column::Unit => dash(asset.and_then(|a| a.unit.as_deref())),
            Column::AssetName => {
                asset.map_or_else(|| r.hostname.to_string(), |a| a.asset_name.clone())
            }
            Column::AssetType => dash(asset.and_then(|a| a.asset_type.as_deref())),
            Column::IpAddress if r.ip_addresses.is_empty() => "—".into(),
            Column::IpAddress => r.ip_addresses.join(", "),
            Column::AssetNameAndIp => {
                let name = self.cell(Column::AssetName, lang);
                if r.ip_addresses.is_empty() {
                    name
                } else {
                    format!("{name}\n{}", r.ip_addresses.join(", "))
                }
            }
            Column::Os => dash(Some(&r.os_name)),
            Column::CheckItem => {
                let mut text = self.check_title.get(lang).to_string();
                for reference in self.references.iter() {
                    text.push('\n');
                    text.push_str(reference);
                }
                text
            }
            Column::Description => self.description(lang),
            Column::Risk => risk_label(st.risk, lang).into(),
            Column::EvidenceRef => self.evidence_ref(),
            Column::Remediation => st
                .measure
                .clone()
                .unwrap_or_else(|| self.remediation.get(lang).to_string()),
            Column::Mitigation => dash(st.mitigation.as_deref()),
            Column::ResponsibleUnit => dash(asset.and_then(|a| a.responsible_unit.as_deref())),
            Column::Owner => dash(
                st.owner
                    .as_deref()
                    .or(asset.and_then(|a| a.responsible_person.as_deref())),
            ),
            Column::FoundOn => st.first_seen.to_string(),
            Column::Deadline => st.deadline.map_or_else(|| "—".into(), |d| d.to_string()),
            Column::Status => {
                let name = lang.pick(st.status.zh(), st.status.en());
                if st.overdue {
                    format!("{name}{}", lang.pick("（逾期）", " (overdue)"))
                } else {
                    name.to_string()
                }
            }
            Column::CompletedOn => match (&st.closed_by, st.fixed_on) {
                (Some((_, d)), _) => d.to_string(),
                (None, Some(d)) => d.to_string(),
                _ => "—".into(),
            },
            Column::Recheck => self.recheck(lang),
            Column::Remarks => self.remarks(lang),
        }
    }

    /// 复查情况: the re-check that closed it, a pending re-check, or failed ones.
    pub fn recheck(&self, lang: Lang) -> String {
        let st = &self.row.state;
        let mut parts = Vec::new();
        if let Some((report, day)) = &st.closed_by {
            parts.push(match lang {
                Lang::Zh => format!("{day} 复查通过（报告 {report}）"),
                Lang::En => format!("passed on {day} (report {report})"),
            });
        } else if st.status == Status::FixedPendingRecheck {
            parts.push(
                lang.pick("待下次检查复查", "awaiting the next report")
                    .into(),
            );
        }
        if st.failed_rechecks > 0 {
            parts.push(match lang {
                Lang::Zh => format!("复查未通过 {} 次", st.failed_rechecks),
                Lang::En => format!("failed re-check {} time(s)", st.failed_rechecks),
            });
        }
        if parts.is_empty() {
            "—".into()
        } else {
            parts.join("; ")
        }
    }

    /// 备注: unregistered host, reopenings, acceptance, the latest reason.
    pub fn remarks(&self, lang: Lang) -> String {
        let r = &self.row;
        let st = &r.state;
        let mut parts: Vec<String> = Vec::new();
        if r.unregistered {
            parts.push(
                lang.pick("未登记资产", "host not in the asset registry")
                    .into(),
            );
        }
        if st.occurrences > 1 {
            parts.push(match lang {
                Lang::Zh => format!("第 {} 次出现", st.occurrences),
                Lang::En => format!("occurrence {}", st.occurrences),
            });
        }
        if st.status == Status::RiskAccepted {
            parts.push(match lang {
                Lang::Zh => format!(
                    "风险接受至 {}，批准人 {}",
                    dash(st.accepted_until.map(|d| d.to_string()).as_deref()),
                    dash(st.approver.as_deref())
                ),
                Lang::En => format!(
                    "risk accepted until {}, approved by {}",
                    dash(st.accepted_until.map(|d| d.to_string()).as_deref()),
                    dash(st.approver.as_deref())
                ),
            });
        }
        if let Some(reason) = &st.reason {
            parts.push(reason.clone());
        }
        if parts.is_empty() {
            String::new()
        } else {
            parts.join("; ")
        }
    }

    /// 问题描述: the check title, the subject, then each evidence line.
    pub fn description(&self, lang: Lang) -> String {
        let mut text = self.headline(lang);
        for line in &self.row.evidence {
            text.push('\n');
            text.push_str(line);
        }
        text
    }

    /// The first line of 问题描述, without the evidence: the check's title
    /// and the subject (what a terminal table shows; `finding show` has the rest).
    pub fn headline(&self, lang: Lang) -> String {
        format!(
            "{}{}{}",
            self.check_title.get(lang),
            lang.pick("：", ": "),
            self.row.subject
        )
    }

    /// 佐证材料编号: `report ID; sha256 FIRST-16-HEX` of the latest sighting.
    pub fn evidence_ref(&self) -> String {
        match &self.row.evidence_report {
            Some((id, sha)) => {
                let short = sha.get(..16).unwrap_or(sha);
                format!("report {id}; sha256 {short}")
            }
            None => "—".into(),
        }
    }
}

/// The name of a risk level: 超危/高危/中危/低危/提示, or the English word.
pub fn risk_label(risk: Severity, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => risk.zh(),
        Lang::En => risk.as_str(),
    }
}

/// The month's ledger: the engine's month with the catalog's texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    /// The month.
    pub period: Period,
    /// The day statuses were judged on.
    pub judged_on: NaiveDate,
    /// The rectification list, most severe first.
    pub rows: Vec<LedgerRow>,
    /// The inspection record (检查记录), one per host or expected asset.
    pub hosts: Vec<InspectionRecord>,
    /// The summary (统计).
    pub summary: Summary,
    /// Rows per risk level, most severe first, every level listed.
    pub level_counts: Vec<(Severity, usize)>,
}

impl Ledger {
    /// Read the month from the store and build its ledger, judging statuses
    /// on `judged_on` (default: the month's last day, or today while the
    /// month runs). Not-inspected findings get their ledger numbers first.
    pub fn for_month(
        store: &mut Store,
        period: Period,
        catalog: &Catalog,
        config: &CollectorConfig,
        judged_on: Option<NaiveDate>,
    ) -> Result<Ledger, StoreError> {
        let mut input = read_input(store, period, catalog)?;
        let month = month_of(store, &mut input, period, config, judged_on)?;
        // The facts are no longer needed: free them before the texts are added.
        drop(input);
        Ledger::with_evidence(store, month, catalog)
    }

    /// The ledger of an engine month with the catalog's texts, and for the
    /// rows carried over from earlier months their latest sighting's evidence
    /// (the month's facts hold only the month's own evidence).
    pub(crate) fn with_evidence(
        store: &Store,
        month: MonthLedger,
        catalog: &Catalog,
    ) -> Result<Ledger, StoreError> {
        let mut ledger = Ledger::from_month(month, catalog);
        let wanted: Vec<(selfcheck_report::ReportId, selfcheck_report::Fingerprint)> = ledger
            .rows
            .iter()
            .filter(|r| r.row.evidence.is_empty())
            .filter_map(|r| {
                r.row
                    .evidence_report
                    .as_ref()
                    .map(|(id, _)| (id.clone(), r.row.fingerprint.clone()))
            })
            .collect();
        if !wanted.is_empty() {
            let found = store.finding_evidence(&wanted)?;
            for r in &mut ledger.rows {
                if r.row.evidence.is_empty()
                    && let Some((id, _)) = &r.row.evidence_report
                    && let Some(ev) = found.get(&(id.clone(), r.row.fingerprint.clone()))
                {
                    r.row.evidence = ev.clone();
                }
            }
        }
        Ok(ledger)
    }

    /// The ledger of an engine month, with the catalog's texts.
    pub fn from_month(month: MonthLedger, catalog: &Catalog) -> Ledger {
        let mut cache = HashMap::new();
        // Move the rows over from the back, releasing the engine's list as it
        // empties, so the two lists are never both whole in memory.
        let mut source = month.rows;
        let mut rows: Vec<LedgerRow> = Vec::with_capacity(source.len());
        while let Some(row) = source.pop() {
            rows.push(texts(row, catalog, &mut cache));
            if source.len() < source.capacity() / 2 {
                source.shrink_to_fit();
            }
        }
        rows.reverse();
        let level_counts = Severity::ALL_DESC
            .iter()
            .map(|&level| {
                (
                    level,
                    rows.iter().filter(|r| r.row.state.risk == level).count(),
                )
            })
            .collect();
        Ledger {
            period: month.period,
            judged_on: month.judged_on,
            rows,
            hosts: month.inspections,
            summary: month.summary,
            level_counts,
        }
    }
}

/// The facts of `period` and every month before it, read from the store in
/// one go, with what the catalog adds: the not-inspected finding's risk and
/// each check's GB/T 22239 clauses.
pub(crate) fn read_input(
    store: &Store,
    period: Period,
    catalog: &Catalog,
) -> Result<LedgerInput, StoreError> {
    let mut input = store.ledger_input(period)?;
    input.not_inspected_risk = Some(not_inspected_risk(catalog));
    input.check_clauses = catalog
        .iter()
        .filter(|d| !d.clauses.is_empty())
        .map(|d| (d.id.clone(), d.clauses.clone()))
        .collect();
    Ok(input)
}

/// The risk of the not-inspected finding, from the catalog (medium when the
/// catalog has no such check).
pub(crate) fn not_inspected_risk(catalog: &Catalog) -> Severity {
    catalog
        .get_str(NOT_INSPECTED_CHECK)
        .map_or(Severity::Medium, |d| d.risk)
}

/// The day a month is judged on unless told: its last day, or today while it runs.
pub(crate) fn default_judged_on(period: Period) -> NaiveDate {
    period
        .last_day()
        .min(chrono::Local::now().date_naive().max(period.first_day()))
}

/// The engine's month `period` from `input` (which may hold later months
/// too: the engine keeps what belongs to `period`). Assets expected but not
/// inspected get their findings numbered in the store first, and `input`'s
/// registry learns the numbers.
pub(crate) fn month_of(
    store: &mut Store,
    input: &mut LedgerInput,
    period: Period,
    config: &CollectorConfig,
    judged_on: Option<NaiveDate>,
) -> Result<MonthLedger, StoreError> {
    let judged_on = judged_on.unwrap_or_else(|| default_judged_on(period));
    let risk = input.not_inspected_risk.unwrap_or(Severity::Medium);
    let missing: Vec<_> = not_inspected_findings(input, period)
        .into_iter()
        .filter(|(fp, _, _)| !input.registry.contains_key(fp))
        .collect();
    if !missing.is_empty() {
        store.register_not_inspected(&missing, risk)?;
        for (fp, _, _) in &missing {
            if let Some(e) = store.registry_entry(fp)? {
                input.registry.insert(fp.clone(), e.finding_no);
            }
        }
    }
    let rules = Rules {
        policy: &config.deadlines,
        calendar: &config.calendar,
    };
    Ok(build(input, period, judged_on, rules))
}

/// The catalog's texts of one check, shared by every row of that check.
type CheckTexts = (Arc<LocalText>, Arc<Vec<String>>, Arc<LocalText>);

fn texts(
    row: FindingRow,
    catalog: &Catalog,
    cache: &mut HashMap<CheckId, CheckTexts>,
) -> LedgerRow {
    let (check_title, references, remediation) = cache
        .entry(row.check_id.clone())
        .or_insert_with(|| match catalog.get(&row.check_id) {
            Some(def) => (
                Arc::new(def.title.clone()),
                Arc::new(def.references.clone()),
                Arc::new(def.remediation.clone()),
            ),
            None => (
                Arc::new(LocalText {
                    zh: row.check_id.to_string(),
                    en: row.check_id.to_string(),
                }),
                Arc::new(Vec::new()),
                Arc::new(LocalText {
                    zh: "（本采集端的检查目录中没有此检查项，请更新采集端或使用 --checks 指定目录）"
                        .into(),
                    en: "(this check is not in the collector's catalog; update the collector or pass --checks DIR)"
                        .into(),
                }),
            ),
        })
        .clone();
    LedgerRow {
        row,
        check_title,
        references,
        remediation,
    }
}
