//! Output for people and programs: the ledger as a table, CSV or JSON, the
//! list of stored reports, and the per-file lines of an import.
//!
//! Presenters only format; what goes into a ledger is decided in [`crate::ledger`].

use crate::import::ImportOutcome;
use crate::ledger::{Column, InspectedHost, Ledger, LedgerRow, risk_label};
use crate::store::StoredReport;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use selfcheck_catalog::Lang;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How a ledger is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A table for the terminal, wrapped to its width, with the columns that fit a
    /// screen ([`crate::ledger::Column::SCREEN`]); csv and json carry every column.
    #[default]
    Table,
    /// CSV, UTF-8 with a byte-order mark so Excel shows Chinese correctly.
    Csv,
    /// JSON with stable English field names: every row and the summary.
    Json,
}

fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// Render a ledger; a table wraps to the terminal width when there is one.
pub fn render(ledger: &Ledger, format: Format, lang: Lang) -> String {
    render_with_width(ledger, format, lang, None)
}

/// Render a ledger; `width` fixes a table's width instead of asking the terminal.
pub fn render_with_width(
    ledger: &Ledger,
    format: Format,
    lang: Lang,
    width: Option<u16>,
) -> String {
    match format {
        Format::Table => table(ledger, lang, width),
        Format::Csv => csv_text(ledger, lang),
        Format::Json => json(ledger, lang),
    }
}

fn new_table(width: Option<u16>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width.or_else(fallback_width) {
        t.set_width(w);
    }
    t
}

/// Table width when none is given: `COLUMNS`, else the terminal's, else 160 (files, pipes).
fn fallback_width() -> Option<u16> {
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    columns.or_else(|| (!std::io::IsTerminal::is_terminal(&std::io::stdout())).then_some(160))
}

fn table(ledger: &Ledger, lang: Lang, width: Option<u16>) -> String {
    let mut out = format!(
        "{} {}\n",
        pick(lang, "检查整改台账", "Inspection and rectification ledger"),
        ledger.period
    );
    if ledger.hosts.is_empty() {
        out.push_str(pick(
            lang,
            "本月没有已导入的报告。先用 import 导入各主机的报告。\n",
            "No reports are stored for this month. Import the hosts' reports first.\n",
        ));
        return out;
    }
    if ledger.rows.is_empty() {
        out.push_str(pick(
            lang,
            "受检主机的最新报告中没有发现问题。\n",
            "The inspected hosts' latest reports have no findings.\n",
        ));
    } else {
        let mut t = new_table(width);
        t.set_header(Column::SCREEN.iter().map(|c| c.header(lang)));
        for row in &ledger.rows {
            t.add_row(Column::SCREEN.iter().map(|&c| row.cell(c, lang)));
        }
        out.push_str(&format!("{t}\n"));
    }

    out.push_str(&format!(
        "\n{}\n",
        pick(lang, "受检主机", "Inspected hosts")
    ));
    let mut t = new_table(width);
    t.set_header(if lang == Lang::Zh {
        [
            "资产名称",
            "IP地址",
            "报告编号",
            "已运行检查",
            "未能运行",
            "问题数",
        ]
    } else {
        [
            "Asset name",
            "IP address",
            "Report id",
            "Checks run",
            "Could not run",
            "Findings",
        ]
    });
    for h in &ledger.hosts {
        t.add_row([
            h.hostname.clone(),
            h.ip_addresses.join(", "),
            h.report_id.to_string(),
            h.checks_run.to_string(),
            h.could_not_run.len().to_string(),
            h.findings.to_string(),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    let not_run: Vec<&InspectedHost> = ledger
        .hosts
        .iter()
        .filter(|h| !h.could_not_run.is_empty())
        .collect();
    if !not_run.is_empty() {
        out.push_str(pick(
            lang,
            "未能运行的检查（不能视为无问题）：\n",
            "Checks that could not run (not evidence of no problem):\n",
        ));
        for h in not_run {
            for (id, reason) in &h.could_not_run {
                out.push_str(&format!("  {} {id}: {reason}\n", h.hostname));
            }
        }
    }
    let levels: Vec<String> = ledger
        .level_counts
        .iter()
        .map(|(level, n)| format!("{} {n}", risk_label(*level, lang)))
        .collect();
    out.push_str(&format!(
        "{}{}\n",
        pick(lang, "按风险等级：", "By risk level: "),
        levels.join(" · ")
    ));
    out
}

fn csv_text(ledger: &Ledger, lang: Lang) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut records: Vec<Vec<String>> = vec![
        Column::ALL
            .iter()
            .map(|c| c.header(lang).to_string())
            .collect(),
    ];
    records.extend(
        ledger
            .rows
            .iter()
            .map(|r| Column::ALL.iter().map(|&c| r.cell(c, lang)).collect()),
    );
    // Writing to memory cannot fail; every record has the same length.
    for rec in records {
        let _ = w.write_record(rec);
    }
    let bytes = w.into_inner().unwrap_or_default();
    let mut out = String::from("\u{feff}");
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}

#[derive(Serialize)]
struct JsonLedger<'a> {
    period: String,
    lang: &'static str,
    summary: JsonSummary<'a>,
    rows: Vec<JsonRow<'a>>,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    rows: usize,
    hosts_inspected: usize,
    by_level: BTreeMap<&'static str, usize>,
    hosts: Vec<JsonHost<'a>>,
}

#[derive(Serialize)]
struct JsonHost<'a> {
    asset_key: &'a str,
    asset_name: &'a str,
    ip_addresses: &'a [String],
    os: &'a str,
    report_id: String,
    finished_at: String,
    reports_in_month: usize,
    checks_run: usize,
    checks_could_not_run: usize,
    could_not_run: Vec<JsonNotRun<'a>>,
    findings: usize,
}

#[derive(Serialize)]
struct JsonNotRun<'a> {
    check_id: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    row_no: usize,
    finding_no: Option<String>,
    fingerprint: &'a str,
    inspection_date: String,
    period: String,
    inspection_type: String,
    source: String,
    asset_key: &'a str,
    asset_name: &'a str,
    ip_addresses: &'a [String],
    os: &'a str,
    check_id: &'a str,
    check_title: &'a str,
    references: &'a [String],
    check_item: String,
    subject: &'a str,
    evidence: &'a [String],
    description: String,
    risk: &'static str,
    risk_label: &'static str,
    report_id: String,
    file_sha256: &'a str,
    evidence_ref: String,
    remediation: &'a str,
    found_on: String,
}

fn json_row(r: &LedgerRow, lang: Lang) -> JsonRow<'_> {
    JsonRow {
        row_no: r.row_no,
        finding_no: r.finding_no.as_ref().map(|n| n.to_string()),
        fingerprint: r.fingerprint.as_str(),
        inspection_date: r.inspected_on.to_string(),
        period: r.period.to_string(),
        inspection_type: r.cell(Column::InspectionType, lang),
        source: r.cell(Column::Source, lang),
        asset_key: &r.asset_key,
        asset_name: &r.hostname,
        ip_addresses: &r.ip_addresses,
        os: &r.os_name,
        check_id: r.check_id.as_str(),
        check_title: r.check_title.get(lang),
        references: &r.references,
        check_item: r.cell(Column::CheckItem, lang),
        subject: &r.subject,
        evidence: &r.evidence,
        description: r.description(lang),
        risk: r.risk.as_str(),
        risk_label: risk_label(r.risk, lang),
        report_id: r.report_id.to_string(),
        file_sha256: &r.file_sha256,
        evidence_ref: r.evidence_ref(),
        remediation: r.remediation.get(lang),
        found_on: r.first_seen_on.to_string(),
    }
}

fn json(ledger: &Ledger, lang: Lang) -> String {
    let doc = JsonLedger {
        period: ledger.period.to_string(),
        lang: pick(lang, "zh", "en"),
        summary: JsonSummary {
            rows: ledger.rows.len(),
            hosts_inspected: ledger.hosts.len(),
            by_level: ledger
                .level_counts
                .iter()
                .map(|(l, n)| (l.as_str(), *n))
                .collect(),
            hosts: ledger
                .hosts
                .iter()
                .map(|h| JsonHost {
                    asset_key: &h.asset_key,
                    asset_name: &h.hostname,
                    ip_addresses: &h.ip_addresses,
                    os: &h.os_name,
                    report_id: h.report_id.to_string(),
                    finished_at: h.finished_at.to_rfc3339(),
                    reports_in_month: h.reports_in_month,
                    checks_run: h.checks_run,
                    checks_could_not_run: h.could_not_run.len(),
                    could_not_run: h
                        .could_not_run
                        .iter()
                        .map(|(id, reason)| JsonNotRun {
                            check_id: id.as_str(),
                            reason,
                        })
                        .collect(),
                    findings: h.findings,
                })
                .collect(),
        },
        rows: ledger.rows.iter().map(|r| json_row(r, lang)).collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The stored reports as a table.
pub fn reports_table(reports: &[StoredReport], lang: Lang) -> String {
    if reports.is_empty() {
        return pick(lang, "没有已存储的报告。\n", "No reports are stored.\n").to_string();
    }
    let mut t = new_table(None);
    t.set_header(if lang == Lang::Zh {
        [
            "批次",
            "资产名称",
            "IP地址",
            "报告编号",
            "完成时间",
            "已运行",
            "未能运行",
            "问题数",
            "来源文件",
        ]
    } else {
        [
            "Period",
            "Asset name",
            "IP address",
            "Report id",
            "Finished",
            "Ran",
            "Could not run",
            "Findings",
            "Source file",
        ]
    });
    for r in reports {
        t.add_row([
            r.period.to_string(),
            r.hostname.clone(),
            r.ip_addresses.join(", "),
            r.report_id.to_string(),
            r.finished_at.format("%Y-%m-%d %H:%M %:z").to_string(),
            r.checks_run.to_string(),
            r.checks_could_not_run.to_string(),
            r.findings.to_string(),
            r.source_name.clone(),
        ]);
    }
    format!("{t}\n")
}

/// The stored reports as JSON (metadata, not the report files).
pub fn reports_json(reports: &[StoredReport]) -> String {
    let mut text = serde_json::to_string_pretty(reports).unwrap_or_default();
    text.push('\n');
    text
}

/// One line about one imported file, naming the file and what happened.
pub fn import_line(path: &Path, outcome: &ImportOutcome) -> String {
    let path = path.display();
    match outcome {
        ImportOutcome::Stored {
            report_id,
            findings,
            new_findings,
        } => format!(
            "stored          {path}: report {report_id}, {findings} finding(s), {new_findings} new"
        ),
        ImportOutcome::AlreadyStored { report_id } => format!(
            "already stored  {path}: report {report_id} was imported before; nothing changed"
        ),
        ImportOutcome::Refused { error } => format!("refused         {path}: {error}"),
    }
}

/// The closing line of an import: how many files were stored, already stored, refused.
pub fn import_summary(results: &[(PathBuf, ImportOutcome)]) -> String {
    let count = |f: fn(&ImportOutcome) -> bool| results.iter().filter(|(_, o)| f(o)).count();
    let stored = count(|o| matches!(o, ImportOutcome::Stored { .. }));
    let already = count(|o| matches!(o, ImportOutcome::AlreadyStored { .. }));
    let refused = count(ImportOutcome::is_refused);
    format!(
        "{} file(s): {stored} stored, {already} already stored, {refused} refused",
        results.len()
    )
}
