//! Output for people and programs: the ledger as a table, CSV or JSON, the
//! list of stored reports, and the per-file lines of an import.
//!
//! Presenters only format; what goes into a ledger is decided in [`selfcheck_ledger::ledger`].

use comfy_table::{
    Cell, ColumnConstraint, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED,
};
use selfcheck_catalog::Lang;
use selfcheck_ledger::engine::{FindingRow, InspectionRecord, Summary};
use selfcheck_ledger::import::ImportOutcome;
use selfcheck_ledger::ledger::{Column, Ledger, LedgerRow, risk_label};
use selfcheck_ledger::store::StoredReport;
use selfcheck_term::color::{Paint, cell, risk_paint, style_table};
use selfcheck_term::{escape, escape_lines};
use serde::Serialize;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// How a ledger is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A table for the terminal, wrapped to its width, with the columns that fit a
    /// screen; csv and json carry every column.
    #[default]
    Table,
    /// CSV, UTF-8 with a byte-order mark so Excel shows Chinese correctly.
    Csv,
    /// JSON with stable English field names: every row and the summary.
    Json,
    /// An xlsx workbook: 整改台账 (in the configured columns, rows grouped),
    /// 明细, 检查记录 and 统计 sheets. Binary:
    /// written to a file only.
    Xlsx,
    /// The printable monthly self-inspection report (月度网络安全自查报告): one
    /// self-contained html file for A4.
    Html,
}

impl Format {
    /// Whether the format is binary (needs a file to go to).
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Xlsx)
    }

    /// The format's name on the command line and its file extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
        }
    }
}

/// How the ledger's table is laid out: its width and the rectification list's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct TableLayout {
    /// The width to wrap to; `None` never wraps (a file).
    pub width: Option<u16>,
    /// The columns of the rectification list.
    pub columns: Vec<Column>,
}

impl TableLayout {
    /// The layout for a terminal (or pipe) `width` columns wide:
    /// [`Column::NARROW`] below [`Column::WIDE_TERMINAL`], else [`Column::SCREEN`].
    pub fn for_width(width: u16) -> TableLayout {
        let columns = if width < Column::WIDE_TERMINAL {
            Column::NARROW.to_vec()
        } else {
            Column::SCREEN.to_vec()
        };
        TableLayout {
            width: Some(width),
            columns,
        }
    }

    /// Whether the layout is for a narrow terminal (the other tables drop columns too).
    fn is_narrow(&self) -> bool {
        self.width.is_some_and(|w| w < Column::WIDE_TERMINAL)
    }
}

/// Render a ledger; a table fits the width of standard output
/// ([`selfcheck_term::width::output_width`]).
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
        Format::Table => table(
            ledger,
            lang,
            &TableLayout::for_width(width.unwrap_or_else(selfcheck_term::width::output_width)),
        ),
        Format::Csv => csv_text(ledger, lang),
        Format::Json => json(ledger, lang),
        // Binary formats are written from the documents' sheets, never as text.
        Format::Xlsx => lang
            .pick(
                "xlsx 是二进制格式，请用 --out FILE.xlsx 写入文件。\n",
                "xlsx is a binary format; write it to a file with --out FILE.xlsx.\n",
            )
            .to_string(),
        // The report needs the trend and last month: `selfcheck-collector ledger --format html`.
        Format::Html => lang
            .pick(
                "月度自查报告需要近 12 个月的数据，请用 ledger --format html 生成。\n",
                "The monthly report needs the last 12 months; make it with ledger --format html.\n",
            )
            .to_string(),
    }
}

fn new_table(layout: &TableLayout) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    match layout.width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    style_table(&mut t);
    t
}

fn name_of(h: &InspectionRecord) -> String {
    h.asset
        .as_ref()
        .map_or_else(|| h.hostname.clone(), |a| a.asset_name.clone())
}

/// The ledger for people at a terminal, summary first: the month's figures,
/// the rectification list in `layout`'s columns (risk and overdue coloured
/// when colour is on), the inspection record, and the checks that could not
/// run. Every report-supplied text is escaped here, cell by cell, so the
/// result goes to the terminal as it is.
pub fn table(ledger: &Ledger, lang: Lang, layout: &TableLayout) -> String {
    let mut out = format!(
        "{} {}（{} {}）\n",
        lang.pick("检查整改台账", "Inspection and rectification ledger"),
        ledger.period,
        lang.pick("状态判定日", "statuses as of"),
        ledger.judged_on
    );
    if ledger.hosts.is_empty() && ledger.rows.is_empty() {
        out.push_str(lang.pick("本月没有已导入的报告，也没有登记的资产。先用 import 导入各主机的报告。\n",
            "No reports are stored for this month and no assets are registered. Import the hosts' reports first.\n",
        ));
        return out;
    }
    out.push_str(&summary_section(ledger, lang, layout));
    out.push_str(&format!(
        "\n{}（{}）\n",
        lang.pick("整改台账", "Rectification list"),
        ledger.rows.len()
    ));
    if ledger.rows.is_empty() {
        out.push_str(lang.pick(
            "本月没有需要整改的问题。\n",
            "Nothing to rectify this month.\n",
        ));
    } else {
        let mut t = new_table(layout);
        let narrow = layout.is_narrow();
        t.set_header(layout.columns.iter().map(|c| {
            if narrow {
                c.short_header(lang)
            } else {
                c.header(lang)
            }
        }));
        for row in &ledger.rows {
            t.add_row(layout.columns.iter().map(|&c| {
                // On a terminal 问题描述 is its first line; the evidence is in
                // `finding show` and the files.
                let text = match (c, layout.width) {
                    (Column::Description, Some(_)) if narrow => escape(&format!(
                        "{}{}{}",
                        row.cell(Column::AssetName, lang),
                        lang.pick("：", ": "),
                        row.headline(lang)
                    ))
                    .into_owned(),
                    (Column::Description, Some(_)) => escape(&row.headline(lang)).into_owned(),
                    _ => escape_lines(&row.cell(c, lang)).into_owned(),
                };
                match c {
                    Column::Risk => cell(text, risk_paint(row.row.state.risk)),
                    Column::Status | Column::Deadline if row.row.state.overdue => {
                        cell(text, Paint::Alarm)
                    }
                    _ => Cell::new(text),
                }
            }));
        }
        // Numbers, levels, statuses and dates never wrap; 问题描述 and the
        // free-text columns share what is left.
        if layout.width.is_some() {
            for (i, c) in layout.columns.iter().enumerate() {
                if c.is_short()
                    && let Some(col) = t.column_mut(i)
                {
                    col.set_constraint(ColumnConstraint::ContentWidth);
                }
            }
        }
        out.push_str(&format!("{t}\n"));
    }
    out.push_str(&record_section(ledger, lang, layout));
    out
}

/// 统计: assets expected and inspected, rows per level, 整改率.
fn summary_section(ledger: &Ledger, lang: Lang, layout: &TableLayout) -> String {
    let s = &ledger.summary;
    let mut out = format!("\n{}\n", lang.pick("统计", "Summary"));
    out.push_str(&match lang {
        Lang::Zh => format!(
            "应检资产 {}，已检 {}，未检 {}；报告主机 {}（未登记 {}）\n",
            s.assets_expected,
            s.assets_inspected,
            s.assets_expected - s.assets_inspected,
            s.hosts_reporting,
            s.hosts_unregistered
        ),
        Lang::En => format!(
            "assets expected {}, inspected {}, not inspected {}; hosts reporting {} ({} unregistered)\n",
            s.assets_expected,
            s.assets_inspected,
            s.assets_expected - s.assets_inspected,
            s.hosts_reporting,
            s.hosts_unregistered
        ),
    });
    let mut t = new_table(layout);
    let mut header = crate::sheets::level_count_headers(lang).to_vec();
    // On a narrow terminal the last two counts go: they are in the wide table and the files.
    let keep = if layout.is_narrow() { 7 } else { header.len() };
    header.truncate(keep);
    t.set_header(header);
    for (level, c) in &s.by_level {
        let mut row = vec![
            cell(risk_label(*level, lang), risk_paint(*level)),
            Cell::new(c.rows),
            Cell::new(c.new),
            Cell::new(c.carried_over),
            Cell::new(c.closed_this_month),
            if c.overdue > 0 {
                cell(c.overdue.to_string(), Paint::Alarm)
            } else {
                Cell::new(0)
            },
            Cell::new(c.pending),
            Cell::new(c.risk_accepted),
            Cell::new(c.false_positive),
        ];
        row.truncate(keep);
        t.add_row(row);
    }
    out.push_str(&format!("{t}\n"));
    out.push_str(&format!(
        "{}{}\n",
        lang.pick("整改率：", "Rectification rate: "),
        s.rectification_rate
            .map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
    ));
    out
}

/// The checks of one asset that could not run, grouped by reason, in first-seen order.
fn reasons_of(h: &InspectionRecord) -> Vec<(&str, Vec<&str>)> {
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for (id, reason) in &h.could_not_run {
        match by_reason.iter_mut().find(|(r, _)| *r == reason.as_str()) {
            Some((_, ids)) => ids.push(id.as_str()),
            None => by_reason.push((reason.as_str(), vec![id.as_str()])),
        }
    }
    by_reason
}

/// 检查记录: per asset, inspected or not, checks run, findings per level;
/// then the checks that could not run (per asset and reason) and approved exceptions.
fn record_section(ledger: &Ledger, lang: Lang, layout: &TableLayout) -> String {
    let mut out = format!("\n{}\n", lang.pick("检查记录", "Inspection record"));
    let narrow = layout.is_narrow();
    let mut t = new_table(layout);
    let header: Vec<&str> = match lang {
        Lang::Zh => vec![
            "资产名称",
            "IP地址",
            "检查日期",
            "已运行检查",
            "未能运行",
            "不适用",
            "条款符合",
            "问题（超/高/中/低/提示）",
        ],
        Lang::En => vec![
            "Asset name",
            "IP address",
            "Inspected on",
            "Checks run",
            "Could not run",
            "Not applicable",
            "Clauses met",
            "Findings (C/H/M/L/I)",
        ],
    };
    // A narrow terminal leaves out the IP address, not applicable and clauses met.
    let shown = |i: usize| !narrow || matches!(i, 0 | 2 | 3 | 4 | 7);
    t.set_header(
        header
            .iter()
            .enumerate()
            .filter(|(i, _)| shown(*i))
            .map(|(_, h)| *h),
    );
    for h in &ledger.hosts {
        let mut name = name_of(h);
        if h.unregistered {
            name.push_str(lang.pick("（未登记）", " (unregistered)"));
        }
        let inspected = match &h.report {
            Some((_, at, _)) => Cell::new(at.date_naive().to_string()),
            None => cell(lang.pick("未检查", "not inspected"), Paint::Alarm),
        };
        let row = vec![
            Cell::new(escape(&name).into_owned()),
            Cell::new(escape(&h.ip_addresses.join(", ")).into_owned()),
            inspected,
            Cell::new(h.checks_run),
            if h.could_not_run.is_empty() {
                Cell::new(0)
            } else {
                cell(h.could_not_run.len().to_string(), Paint::Warning)
            },
            Cell::new(h.not_applicable.len()),
            Cell::new(clauses_met(h, lang)),
            Cell::new(
                h.findings_by_level
                    .iter()
                    .map(|(_, n)| n.to_string())
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
        ];
        t.add_row(
            row.into_iter()
                .enumerate()
                .filter(|(i, _)| shown(*i))
                .map(|(_, c)| c),
        );
    }
    out.push_str(&format!("{t}\n"));
    let not_run: Vec<&InspectionRecord> = ledger
        .hosts
        .iter()
        .filter(|h| !h.could_not_run.is_empty())
        .collect();
    if !not_run.is_empty() {
        out.push_str(lang.pick(
            "未能运行的检查（不能视为无问题）：\n",
            "Checks that could not run (not evidence of no problem):\n",
        ));
        if layout.width.is_some() {
            // On a terminal one line per reason and set of checks, naming the
            // assets (the first few): a fleet's gaps stay a screenful.
            let mut groups: Vec<(&str, Vec<&str>, Vec<String>)> = Vec::new();
            for h in &not_run {
                for (reason, ids) in reasons_of(h) {
                    match groups
                        .iter_mut()
                        .find(|(r, i, _)| *r == reason && *i == ids)
                    {
                        Some((_, _, names)) => names.push(name_of(h)),
                        None => groups.push((reason, ids, vec![name_of(h)])),
                    }
                }
            }
            for (reason, ids, names) in groups {
                let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
                let more = names.len().saturating_sub(shown.len());
                let who = match (more, lang) {
                    (0, _) => shown.join(", "),
                    (n, Lang::Zh) => format!("{} 等 {} 台", shown.join(", "), n + shown.len()),
                    (n, Lang::En) => format!("{} and {n} more", shown.join(", ")),
                };
                out.push_str(&format!(
                    "  {}（{}）{}: {}\n",
                    escape(&who),
                    ids.len(),
                    ids.join(", "),
                    escape(reason)
                ));
            }
        } else {
            for h in not_run {
                for (reason, ids) in reasons_of(h) {
                    out.push_str(&format!(
                        "  {} {}: {}\n",
                        escape(&name_of(h)),
                        ids.join(", "),
                        escape(reason)
                    ));
                }
            }
        }
    }
    let exceptions: Vec<(
        &InspectionRecord,
        &selfcheck_ledger::engine::NotApplicableCheck,
    )> = ledger
        .hosts
        .iter()
        .flat_map(|h| {
            h.not_applicable
                .iter()
                .filter(|n| n.is_exception())
                .map(move |n| (h, n))
        })
        .collect();
    if !exceptions.is_empty() {
        out.push_str(lang.pick(
            "经批准不适用的检查：\n",
            "Checks exempted by an approved exception:\n",
        ));
        for (h, n) in exceptions {
            out.push_str(&format!(
                "  {} {}\n",
                escape(&name_of(h)),
                escape(&crate::sheets::exception_text(n, lang))
            ));
        }
    }
    out
}

fn csv_text(ledger: &Ledger, lang: Lang) -> String {
    let mut out = Vec::new();
    // Writing to memory does not fail.
    let _ = write_csv(ledger, lang, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Write the rectification list as CSV (UTF-8 with a byte-order mark, every
/// column, formulas defused by [`crate::csv::write_csv`]) to `w`, row by row.
pub fn write_csv(ledger: &Ledger, lang: Lang, w: impl std::io::Write) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(w);
    crate::csv::write_csv(
        Column::ALL.iter().map(|c| c.header(lang)),
        ledger
            .rows
            .iter()
            .map(|row| Column::ALL.iter().map(move |&c| row.cell(c, lang))),
        &mut w,
    )?;
    w.flush()
}

/// The JSON document of a ledger (`docs/ledger.md` describes every field).
#[derive(Serialize)]
struct JsonLedger<'a> {
    format: &'static str,
    period: String,
    judged_on: String,
    lang: &'static str,
    summary: &'a Summary,
    inspections: &'a [InspectionRecord],
    rows: JsonRows<'a>,
}

/// The rows, serialised one at a time (a month can have 100,000s of them).
struct JsonRows<'a> {
    ledger: &'a Ledger,
    lang: Lang,
}

impl Serialize for JsonRows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.ledger.rows.iter().map(|r| json_row(r, self.lang)))
    }
}

#[derive(Serialize)]
struct JsonRow<'a> {
    #[serde(flatten)]
    row: &'a FindingRow,
    check_title: &'a str,
    references: &'a [String],
    remediation: &'a str,
    status_label: String,
    risk_label: &'static str,
    description: String,
    evidence_ref: String,
}

fn json_row(r: &LedgerRow, lang: Lang) -> JsonRow<'_> {
    JsonRow {
        row: &r.row,
        check_title: r.check_title.get(lang),
        references: &r.references,
        remediation: r.remediation.get(lang),
        status_label: r.cell(Column::Status, lang),
        risk_label: risk_label(r.row.state.risk, lang),
        description: r.description(lang),
        evidence_ref: r.evidence_ref(),
    }
}

/// Write the ledger as JSON to `w`, row by row, without building it in memory.
pub fn write_json(ledger: &Ledger, lang: Lang, w: impl std::io::Write) -> std::io::Result<()> {
    let doc = JsonLedger {
        format: "selfcheck-ledger-v1",
        period: ledger.period.to_string(),
        judged_on: ledger.judged_on.to_string(),
        lang: lang.pick("zh", "en"),
        summary: &ledger.summary,
        inspections: &ledger.hosts,
        rows: JsonRows { ledger, lang },
    };
    let mut w = std::io::BufWriter::new(w);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    w.write_all(b"\n")?;
    w.flush()
}

fn json(ledger: &Ledger, lang: Lang) -> String {
    let mut out = Vec::new();
    // Writing to memory does not fail.
    let _ = write_json(ledger, lang, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The stored reports as a table.
pub fn reports_table(reports: &[StoredReport], lang: Lang) -> String {
    if reports.is_empty() {
        return lang
            .pick("没有已存储的报告。\n", "No reports are stored.\n")
            .to_string();
    }
    let mut t = new_table(&TableLayout::for_width(
        selfcheck_term::width::output_width(),
    ));
    t.set_header(if lang == Lang::Zh {
        [
            "批次",
            "资产名称",
            "IP地址",
            "报告编号",
            "完成时间",
            "已运行",
            "未能运行",
            "不适用",
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
            "Not applicable",
            "Findings",
            "Source file",
        ]
    });
    for r in reports {
        t.add_row([
            r.period.to_string(),
            escape(&r.hostname).into_owned(),
            r.ip_addresses.join(", "),
            r.report_id.to_string(),
            finished_cell(r, lang),
            r.checks_run.to_string(),
            r.checks_could_not_run.to_string(),
            r.checks_not_applicable.to_string(),
            r.findings.to_string(),
            escape(&r.source_name).into_owned(),
        ]);
    }
    format!("{t}\n")
}

/// When a report finished, and for one whose audit time was not trusted
/// (stored with `--accept-clock-skew`) that it counts at its import time.
fn finished_cell(r: &StoredReport, lang: Lang) -> String {
    let finished = r.finished_at.format("%Y-%m-%d %H:%M %:z").to_string();
    match r.clock_skew {
        None => finished,
        Some(_) => format!(
            "{finished}\n{} {}",
            lang.pick(
                "时钟不可信，按导入时间计：",
                "clock not trusted, counted at import:"
            ),
            r.imported_at.format("%Y-%m-%d %H:%M %:z")
        ),
    }
}

/// The stored reports as JSON (metadata, not the report files).
pub fn reports_json(reports: &[StoredReport]) -> String {
    let mut text = serde_json::to_string_pretty(reports).unwrap_or_default();
    text.push('\n');
    text
}

/// One line about one imported file, naming the file and what happened:
/// stored (已入库), already stored (此前已入库), refused (已拒绝: for what the
/// file is; importing it again changes nothing) or not stored (未入库: the
/// store could not be written; importing it again stores it).
/// Report-supplied text is escaped.
pub fn import_line(path: &Path, outcome: &ImportOutcome, lang: Lang) -> String {
    let path = path.display().to_string();
    let path = escape(&path);
    match outcome {
        ImportOutcome::Stored {
            report_id,
            findings,
            new_findings,
            clock_skew,
        } => {
            let mut line = match lang {
                Lang::Zh => format!(
                    "已入库          {path}：报告 {report_id}，问题 {findings} 个，其中新增 {new_findings} 个"
                ),
                Lang::En => format!(
                    "stored          {path}: report {report_id}, {findings} finding(s), {new_findings} new"
                ),
            };
            if let Some(problem) = clock_skew {
                line.push_str(&match lang {
                    Lang::Zh => format!(
                        "；检查时间不可信（{}），已按接受的时间偏差以导入时间计",
                        escape(problem)
                    ),
                    Lang::En => format!(
                        "; audit time not trusted ({}), counted at its import time as accepted",
                        escape(problem)
                    ),
                });
            }
            line
        }
        ImportOutcome::AlreadyStored { report_id } => match lang {
            Lang::Zh => format!("此前已入库      {path}：报告 {report_id} 已导入过，未作改动"),
            Lang::En => format!(
                "already stored  {path}: report {report_id} was imported before; nothing changed"
            ),
        },
        ImportOutcome::Refused { error } if error.is_about_the_file() => match lang {
            Lang::Zh => format!("已拒绝          {path}：{}", escape(&error.to_string())),
            Lang::En => format!("refused         {path}: {}", escape(&error.to_string())),
        },
        ImportOutcome::Refused { error } => match lang {
            Lang::Zh => format!("未入库          {path}：{}", escape(&error.to_string())),
            Lang::En => format!("not stored      {path}: {}", escape(&error.to_string())),
        },
    }
}

/// How many files of an import ended which way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Files given (each file of a directory counted).
    pub files: usize,
    /// Stored now.
    pub stored: usize,
    /// Stored before; nothing changed.
    pub already_stored: usize,
    /// Refused for what they are.
    pub refused: usize,
    /// Not stored because the store could not be written.
    pub not_stored: usize,
}

impl ImportCounts {
    /// Count the outcomes.
    pub fn of(results: &[(PathBuf, ImportOutcome)]) -> ImportCounts {
        let mut c = ImportCounts {
            files: results.len(),
            ..ImportCounts::default()
        };
        for (_, o) in results {
            match o {
                ImportOutcome::Stored { .. } => c.stored += 1,
                ImportOutcome::AlreadyStored { .. } => c.already_stored += 1,
                ImportOutcome::Refused { error } if error.is_about_the_file() => c.refused += 1,
                ImportOutcome::Refused { .. } => c.not_stored += 1,
            }
        }
        c
    }
}

/// The closing line of an import: how many files were stored, already
/// stored, refused and not stored, and what to do about the ones not stored.
pub fn import_summary(results: &[(PathBuf, ImportOutcome)], lang: Lang) -> String {
    let c = ImportCounts::of(results);
    let mut line = match lang {
        Lang::Zh => format!(
            "共 {} 个文件：入库 {}，此前已入库 {}，拒绝 {}",
            c.files, c.stored, c.already_stored, c.refused
        ),
        Lang::En => format!(
            "{} file(s): {} stored, {} already stored, {} refused",
            c.files, c.stored, c.already_stored, c.refused
        ),
    };
    if c.not_stored > 0 {
        line.push_str(&match lang {
            Lang::Zh => format!(
                "，未入库 {}（存储无法写入）：存储可写后重新导入标为“未入库”的文件；已入库的 {} 个保持不变",
                c.not_stored, c.stored
            ),
            Lang::En => format!(
                ", {} not stored (the store could not be written): import the files marked \"not stored\" again once it can; the {} stored stay stored",
                c.not_stored, c.stored
            ),
        });
    }
    line
}

/// One file of an import, as JSON.
#[derive(Serialize)]
struct JsonImportFile {
    path: String,
    /// `stored`, `already_stored`, `refused` or `not_stored`.
    outcome: &'static str,
    /// Whether the store holds this file's report after the import.
    in_store: bool,
    report_id: Option<String>,
    findings: Option<usize>,
    new_findings: Option<usize>,
    /// Stored with its clock skew accepted: what was wrong.
    clock_skew: Option<String>,
    error: Option<String>,
}

/// An import's outcome as JSON (format `selfcheck-import-v1`): `files` (one
/// per file: `path`, `outcome`, `in_store`, `report_id`, `findings`,
/// `new_findings`, `clock_skew`, `error`) and `summary` (the counts). The data is exact
/// (not escaped for a terminal).
pub fn import_json(results: &[(PathBuf, ImportOutcome)]) -> String {
    let files: Vec<JsonImportFile> = results
        .iter()
        .map(|(path, o)| {
            let path = path.display().to_string();
            match o {
                ImportOutcome::Stored {
                    report_id,
                    findings,
                    new_findings,
                    clock_skew,
                } => JsonImportFile {
                    path,
                    outcome: "stored",
                    in_store: true,
                    report_id: Some(report_id.to_string()),
                    findings: Some(*findings),
                    new_findings: Some(*new_findings),
                    clock_skew: clock_skew.clone(),
                    error: None,
                },
                ImportOutcome::AlreadyStored { report_id } => JsonImportFile {
                    path,
                    outcome: "already_stored",
                    in_store: true,
                    report_id: Some(report_id.to_string()),
                    findings: None,
                    new_findings: None,
                    clock_skew: None,
                    error: None,
                },
                ImportOutcome::Refused { error } => JsonImportFile {
                    path,
                    outcome: if error.is_about_the_file() {
                        "refused"
                    } else {
                        "not_stored"
                    },
                    in_store: false,
                    report_id: None,
                    findings: None,
                    new_findings: None,
                    clock_skew: None,
                    error: Some(error.to_string()),
                },
            }
        })
        .collect();
    let doc = serde_json::json!({
        "format": "selfcheck-import-v1",
        "files": files,
        "summary": ImportCounts::of(results),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// `met/judged` clauses of the host's level (`L3 12/20`), or `—` without baseline checks.
fn clauses_met(h: &InspectionRecord, lang: Lang) -> String {
    let (Some(level), false) = (h.judged_level, h.compliance.is_empty()) else {
        return "—".into();
    };
    let (met, judged) = selfcheck_catalog::compliance::met_of_judged(&h.compliance);
    let level = match lang {
        Lang::Zh => crate::sheets::level_name(level, lang),
        Lang::En => format!("L{level}"),
    };
    format!("{level} {met}/{judged}")
}
