//! The month's inspection and rectification ledger (检查整改台账): which hosts
//! were inspected, and one row per finding in the ledger's columns.
//!
//! [`build`] is pure: it turns the stored data of a month ([`MonthData`]) and
//! the catalog into a [`Ledger`]. [`Ledger::for_month`] only reads the store
//! and calls it. Deadlines and rectification statuses are not here yet.

use crate::store::{FindingNo, MonthData, ReportData, StoreError};
use crate::store::{RegistryEntry, Store};
use chrono::NaiveDate;
use selfcheck_catalog::{Catalog, Lang, LocalText};
use selfcheck_report::{CheckId, CheckOutcome, Fingerprint, Period, ReportId, Severity};
use std::collections::BTreeMap;

/// `检查类型` of every row the agent produced.
pub const INSPECTION_TYPE: (&str, &str) = ("月度自查", "monthly self-inspection");

/// `问题来源` of every row the agent produced.
pub const FINDING_SOURCE: (&str, &str) = (
    "selfcheck-agent 自动检查",
    "selfcheck-agent automatic check",
);

/// A ledger column, in the order of the recommended ledger column set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// 序号.
    RowNo,
    /// 问题编号: stable across months.
    FindingNo,
    /// 检查时间/批次: report date and period.
    InspectionRound,
    /// 检查类型.
    InspectionType,
    /// 问题来源.
    Source,
    /// 资产名称: host name.
    AssetName,
    /// IP地址.
    IpAddress,
    /// 操作系统及版本.
    Os,
    /// 检查项（对应条款）: check title and its references.
    CheckItem,
    /// 问题描述: title, subject and evidence.
    Description,
    /// 风险等级.
    Risk,
    /// 佐证材料编号: report id and file digest.
    EvidenceRef,
    /// 整改措施.
    Remediation,
    /// 发现时间: first seen.
    FoundOn,
}

impl Column {
    /// Every column the ledger has so far, in order.
    pub const ALL: [Column; 14] = [
        Column::RowNo,
        Column::FindingNo,
        Column::InspectionRound,
        Column::InspectionType,
        Column::Source,
        Column::AssetName,
        Column::IpAddress,
        Column::Os,
        Column::CheckItem,
        Column::Description,
        Column::Risk,
        Column::EvidenceRef,
        Column::Remediation,
        Column::FoundOn,
    ];

    /// The columns a terminal table shows (csv and json carry [`Column::ALL`]).
    pub const SCREEN: [Column; 9] = [
        Column::RowNo,
        Column::FindingNo,
        Column::AssetName,
        Column::IpAddress,
        Column::Risk,
        Column::Description,
        Column::CheckItem,
        Column::Remediation,
        Column::FoundOn,
    ];

    /// The column header.
    pub fn header(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Column::RowNo => ("序号", "No."),
            Column::FindingNo => ("问题编号", "Finding ID"),
            Column::InspectionRound => ("检查时间/批次", "Inspection date / round"),
            Column::InspectionType => ("检查类型", "Inspection type"),
            Column::Source => ("问题来源", "Source"),
            Column::AssetName => ("资产名称", "Asset name"),
            Column::IpAddress => ("IP地址", "IP address"),
            Column::Os => ("操作系统及版本", "OS and version"),
            Column::CheckItem => ("检查项（对应条款）", "Check item (clause)"),
            Column::Description => ("问题描述", "Finding description"),
            Column::Risk => ("风险等级", "Risk level"),
            Column::EvidenceRef => ("佐证材料编号", "Evidence ref"),
            Column::Remediation => ("整改措施", "Remediation measure"),
            Column::FoundOn => ("发现时间", "Found on"),
        };
        pick(lang, zh, en)
    }
}

fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// One ledger row: one finding of one host's latest report of the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    /// 序号, from 1.
    pub row_no: usize,
    /// 问题编号; `None` only if the store lost the registry entry.
    pub finding_no: Option<FindingNo>,
    /// The finding's fingerprint.
    pub fingerprint: Fingerprint,
    /// Date the report was finished, in the host's own time zone.
    pub inspected_on: NaiveDate,
    /// The inspection month.
    pub period: Period,
    /// The asset key (machine id, or `hostname:NAME`).
    pub asset_key: String,
    /// Host name.
    pub hostname: String,
    /// The host's IP addresses.
    pub ip_addresses: Vec<String>,
    /// Operating system and version.
    pub os_name: String,
    /// The check that found it.
    pub check_id: CheckId,
    /// The check's title from the catalog.
    pub check_title: LocalText,
    /// The check's references (GB/T 22239-2019 clauses, advisories).
    pub references: Vec<String>,
    /// What the finding is about, e.g. `tcp/23`.
    pub subject: String,
    /// Evidence lines from the report.
    pub evidence: Vec<String>,
    /// Risk level.
    pub risk: Severity,
    /// The report it comes from.
    pub report_id: ReportId,
    /// SHA-256 of that report file, hex.
    pub file_sha256: String,
    /// How to fix it, from the catalog.
    pub remediation: LocalText,
    /// When it was first seen on this asset.
    pub first_seen_on: NaiveDate,
}

impl LedgerRow {
    /// The text of one cell.
    pub fn cell(&self, column: Column, lang: Lang) -> String {
        match column {
            Column::RowNo => self.row_no.to_string(),
            Column::FindingNo => self
                .finding_no
                .as_ref()
                .map_or_else(|| "—".to_string(), |n| n.to_string()),
            Column::InspectionRound => format!("{} / {}", self.inspected_on, self.period),
            Column::InspectionType => pick(lang, INSPECTION_TYPE.0, INSPECTION_TYPE.1).into(),
            Column::Source => pick(lang, FINDING_SOURCE.0, FINDING_SOURCE.1).into(),
            Column::AssetName => self.hostname.clone(),
            Column::IpAddress if self.ip_addresses.is_empty() => "—".into(),
            Column::IpAddress => self.ip_addresses.join(", "),
            Column::Os => self.os_name.clone(),
            Column::CheckItem => {
                let mut text = self.check_title.get(lang).to_string();
                for r in &self.references {
                    text.push('\n');
                    text.push_str(r);
                }
                text
            }
            Column::Description => self.description(lang),
            Column::Risk => risk_label(self.risk, lang).into(),
            Column::EvidenceRef => self.evidence_ref(),
            Column::Remediation => self.remediation.get(lang).to_string(),
            Column::FoundOn => self.first_seen_on.to_string(),
        }
    }

    /// 问题描述: the check title, the subject, then each evidence line.
    pub fn description(&self, lang: Lang) -> String {
        let mut text = format!(
            "{}{}{}",
            self.check_title.get(lang),
            pick(lang, "：", ": "),
            self.subject
        );
        for line in &self.evidence {
            text.push('\n');
            text.push_str(line);
        }
        text
    }

    /// 佐证材料编号: `report ID; sha256 FIRST-16-HEX`.
    pub fn evidence_ref(&self) -> String {
        let short = self.file_sha256.get(..16).unwrap_or(&self.file_sha256);
        format!("report {}; sha256 {short}", self.report_id)
    }
}

/// The name of a risk level: 超危/高危/中危/低危/提示, or the English word.
pub fn risk_label(risk: Severity, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => risk.zh(),
        Lang::En => risk.as_str(),
    }
}

/// One host inspected in the month, from its latest report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectedHost {
    /// The asset key.
    pub asset_key: String,
    /// Host name.
    pub hostname: String,
    /// IP addresses.
    pub ip_addresses: Vec<String>,
    /// Operating system and version.
    pub os_name: String,
    /// The report the ledger uses (the latest of the month).
    pub report_id: ReportId,
    /// When that report was finished.
    pub finished_at: chrono::DateTime<chrono::FixedOffset>,
    /// Reports of this host stored for the month (the ledger uses the latest).
    pub reports_in_month: usize,
    /// Checks that ran.
    pub checks_run: usize,
    /// Checks that could not run, with the reason: these closed nothing and prove nothing.
    pub could_not_run: Vec<(CheckId, String)>,
    /// Findings in the report.
    pub findings: usize,
}

/// The month's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    /// The month.
    pub period: Period,
    /// One row per finding, most severe first.
    pub rows: Vec<LedgerRow>,
    /// Every host with a report this month, by host name.
    pub hosts: Vec<InspectedHost>,
    /// Rows per risk level, most severe first, every level listed.
    pub level_counts: Vec<(Severity, usize)>,
}

impl Ledger {
    /// Read the month from the store and build its ledger.
    pub fn for_month(
        store: &Store,
        period: Period,
        catalog: &Catalog,
    ) -> Result<Ledger, StoreError> {
        Ok(build(&store.month(period)?, catalog))
    }
}

/// Build the ledger of a month from its stored reports: for each asset the
/// latest report of the month (by finish time), one row per finding of it,
/// ordered by risk (most severe first), host, check id, subject.
pub fn build(month: &MonthData, catalog: &Catalog) -> Ledger {
    let mut by_asset: BTreeMap<&str, Vec<&ReportData>> = BTreeMap::new();
    for r in &month.reports {
        by_asset.entry(&r.meta.asset_key).or_default().push(r);
    }
    let mut hosts = Vec::new();
    let mut rows = Vec::new();
    for reports in by_asset.values() {
        let Some(latest) = reports.iter().max_by(|a, b| {
            (a.meta.finished_at, a.meta.imported_at, &a.meta.report_id).cmp(&(
                b.meta.finished_at,
                b.meta.imported_at,
                &b.meta.report_id,
            ))
        }) else {
            continue;
        };
        hosts.push(inspected_host(latest, reports.len()));
        for f in &latest.findings {
            rows.push(row(latest, f, month.registry.get(&f.fingerprint), catalog));
        }
    }
    hosts.sort_by(|a, b| (&a.hostname, &a.asset_key).cmp(&(&b.hostname, &b.asset_key)));
    rows.sort_by(|a, b| {
        (b.risk, &a.hostname, &a.asset_key, &a.check_id, &a.subject).cmp(&(
            a.risk,
            &b.hostname,
            &b.asset_key,
            &b.check_id,
            &b.subject,
        ))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.row_no = i + 1;
    }
    let level_counts = Severity::ALL_DESC
        .iter()
        .map(|&level| (level, rows.iter().filter(|r| r.risk == level).count()))
        .collect();
    Ledger {
        period: month.period,
        rows,
        hosts,
        level_counts,
    }
}

fn inspected_host(report: &ReportData, reports_in_month: usize) -> InspectedHost {
    let m = &report.meta;
    let could_not_run = report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            CheckOutcome::CouldNotRun { reason } => Some((c.check_id.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    InspectedHost {
        asset_key: m.asset_key.clone(),
        hostname: m.hostname.clone(),
        ip_addresses: m.ip_addresses.clone(),
        os_name: m.os_name.clone(),
        report_id: m.report_id.clone(),
        finished_at: m.finished_at,
        reports_in_month,
        checks_run: report.checks.iter().filter(|c| c.outcome.ran()).count(),
        could_not_run,
        findings: report.findings.len(),
    }
}

fn row(
    report: &ReportData,
    f: &selfcheck_report::Finding,
    registry: Option<&RegistryEntry>,
    catalog: &Catalog,
) -> LedgerRow {
    let m = &report.meta;
    let (check_title, references, remediation) = match catalog.get(&f.check_id) {
        Some(def) => (
            def.title.clone(),
            def.references.clone(),
            def.remediation.clone(),
        ),
        None => (
            LocalText {
                zh: f.check_id.to_string(),
                en: f.check_id.to_string(),
            },
            Vec::new(),
            LocalText {
                zh: "（本采集端的检查目录中没有此检查项，请更新采集端或使用 --checks 指定目录）"
                    .into(),
                en: "(this check is not in the collector's catalog; update the collector or pass --checks DIR)"
                    .into(),
            },
        ),
    };
    LedgerRow {
        row_no: 0,
        finding_no: registry.map(|e| e.finding_no.clone()),
        fingerprint: f.fingerprint.clone(),
        inspected_on: m.finished_at.date_naive(),
        period: m.period,
        asset_key: m.asset_key.clone(),
        hostname: m.hostname.clone(),
        ip_addresses: m.ip_addresses.clone(),
        os_name: m.os_name.clone(),
        check_id: f.check_id.clone(),
        check_title,
        references,
        subject: f.subject.clone(),
        evidence: f.evidence.clone(),
        risk: f.risk,
        report_id: m.report_id.clone(),
        file_sha256: m.file_sha256.clone(),
        remediation,
        first_seen_on: registry
            .map_or(f.detected_at, |e| e.first_seen_at)
            .date_naive(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoredReport;
    use chrono::DateTime;
    use selfcheck_report::Finding;

    fn t(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn report(
        asset: &str,
        host: &str,
        id: u8,
        finished: &str,
        findings: &[(&str, &str, Severity)],
    ) -> ReportData {
        let findings: Vec<Finding> = findings
            .iter()
            .map(|(check, subject, risk)| {
                let check_id: CheckId = check.parse().unwrap();
                Finding {
                    fingerprint: Fingerprint::compute(asset, &check_id, subject),
                    check_id,
                    risk: *risk,
                    subject: subject.to_string(),
                    evidence: vec![format!("evidence of {subject}")],
                    detected_at: t(finished),
                }
            })
            .collect();
        ReportData {
            meta: StoredReport {
                report_id: ReportId::from_random_bytes([id; 16]),
                asset_key: asset.into(),
                hostname: host.into(),
                machine_id: Some(asset.into()),
                os_name: "Debian GNU/Linux 12 (bookworm)".into(),
                ip_addresses: vec!["10.0.0.1".into()],
                kernel: None,
                period: "2026-11".parse().unwrap(),
                started_at: t(finished),
                finished_at: t(finished),
                agent_version: "0.1.0".into(),
                key_fingerprint: "sha256:00".into(),
                file_sha256: format!("{:02x}", id).repeat(32),
                source_name: "x.json".into(),
                imported_at: t("2026-12-01T00:00:00Z"),
                checks_run: 1,
                checks_could_not_run: 1,
                findings: findings.len(),
            },
            checks: vec![
                CheckRun {
                    check_id: "ports.telnet".parse().unwrap(),
                    outcome: CheckOutcome::Findings { count: 1 },
                },
                CheckRun {
                    check_id: "ports.smb".parse().unwrap(),
                    outcome: CheckOutcome::CouldNotRun {
                        reason: "no /proc".into(),
                    },
                },
            ],
            findings,
        }
    }

    use selfcheck_report::CheckRun;

    #[test]
    fn latest_report_per_asset_gives_rows_most_severe_first() {
        let month = MonthData {
            period: "2026-11".parse().unwrap(),
            reports: vec![
                report(
                    "a",
                    "web",
                    1,
                    "2026-11-03T10:00:00+08:00",
                    &[("ports.ftp", "tcp/21", Severity::High)],
                ),
                // Later the same day in UTC terms, though its offset is smaller.
                report(
                    "a",
                    "web",
                    2,
                    "2026-11-03T03:00:00+00:00",
                    &[("ports.telnet", "tcp/23", Severity::Medium)],
                ),
                report(
                    "b",
                    "db",
                    3,
                    "2026-11-02T10:00:00+08:00",
                    &[
                        ("ports.redis", "tcp/6379", Severity::Critical),
                        ("ports.gopher", "tcp/70", Severity::Low),
                    ],
                ),
            ],
            registry: BTreeMap::new(),
        };
        let catalog = Catalog::embedded().unwrap();
        let ledger = build(&month, &catalog);
        let got: Vec<(usize, &str, &str)> = ledger
            .rows
            .iter()
            .map(|r| (r.row_no, r.hostname.as_str(), r.subject.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "db", "tcp/6379"),
                (2, "web", "tcp/23"),
                (3, "db", "tcp/70")
            ]
        );
        assert_eq!(ledger.hosts.len(), 2);
        let web = ledger.hosts.iter().find(|h| h.hostname == "web").unwrap();
        assert_eq!(web.reports_in_month, 2);
        assert_eq!(web.report_id, ReportId::from_random_bytes([2; 16]));
        assert_eq!(web.could_not_run.len(), 1);
        assert_eq!(
            ledger.level_counts,
            [
                (Severity::Critical, 1),
                (Severity::High, 0),
                (Severity::Medium, 1),
                (Severity::Low, 1),
                (Severity::Info, 0)
            ]
        );
        // A check the catalog does not know still gets a row, saying so.
        let gopher = &ledger.rows[2];
        assert!(
            gopher
                .cell(Column::Remediation, Lang::En)
                .contains("not in the collector's catalog")
        );
        // Without a registry entry the number is shown as missing, not invented.
        assert_eq!(gopher.cell(Column::FindingNo, Lang::Zh), "—");
        assert_eq!(
            ledger.rows[1].cell(Column::EvidenceRef, Lang::En),
            format!(
                "report {}; sha256 0202020202020202",
                ReportId::from_random_bytes([2; 16])
            )
        );
    }

    #[test]
    fn description_joins_title_subject_and_evidence() {
        let month = MonthData {
            period: "2026-11".parse().unwrap(),
            reports: vec![report(
                "a",
                "web",
                1,
                "2026-11-03T10:00:00+08:00",
                &[("ports.telnet", "tcp/23", Severity::High)],
            )],
            registry: BTreeMap::new(),
        };
        let ledger = build(&month, &Catalog::embedded().unwrap());
        let row = &ledger.rows[0];
        assert_eq!(
            row.cell(Column::Description, Lang::Zh),
            "Telnet 明文远程登录服务在监听：tcp/23\nevidence of tcp/23"
        );
        assert!(
            row.cell(Column::CheckItem, Lang::En)
                .contains("\nGB/T 22239-2019 8.1.4.4 b)")
        );
        assert_eq!(
            row.cell(Column::InspectionRound, Lang::Zh),
            "2026-11-03 / 2026-11"
        );
        assert_eq!(row.cell(Column::Risk, Lang::Zh), "高危");
    }
}
