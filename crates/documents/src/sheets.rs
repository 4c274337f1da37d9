//! The ledger documents as sheets of text: the rectification list (整改台账)
//! in the office's columns, grouped for reading; the detail sheet (明细) with
//! one row per finding and every column; the inspection record (检查记录) per
//! asset; and the summary (统计) with the 12-month trend. The xlsx and csv
//! writers only lay these out.

use super::Documents;
use selfcheck_catalog::Lang;
use selfcheck_catalog::compliance::met_of_judged;
use selfcheck_ledger::config::{BUILTIN_PRESETS, LedgerConfig};
use selfcheck_ledger::engine::{InspectionRecord, NotApplicableCheck, Status};
use selfcheck_ledger::ledger::{Column, LedgerRow, risk_label};
use selfcheck_report::{CheckId, ProtectionLevel, Severity};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How many subjects a grouped row names before “…”.
pub const MAX_SUBJECTS: usize = 12;

/// One sheet: a header row and rows of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// `rectification`, `detail`, `inspections`, `compliance` or `summary`.
    pub key: &'static str,
    /// 整改台账 / 明细 / 检查记录 / 统计, or the English title.
    pub title: String,
    /// The header row.
    pub headers: Vec<String>,
    /// The rows, each as long as `headers`.
    pub rows: Vec<SheetRow>,
    /// Column widths in characters (a CJK character counts two).
    pub widths: Vec<f64>,
}

/// One row of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRow {
    /// The cells, one per header.
    pub cells: Vec<String>,
    /// The row's risk level, for colouring.
    pub level: Option<Severity>,
    /// A sub-heading or total inside a sheet (the summary's sections), shown bold.
    pub emphasis: bool,
}

impl SheetRow {
    fn new(cells: Vec<String>, level: Option<Severity>) -> SheetRow {
        SheetRow {
            cells,
            level,
            emphasis: false,
        }
    }

    fn emphasised(cells: Vec<String>) -> SheetRow {
        SheetRow {
            cells,
            level: None,
            emphasis: true,
        }
    }
}

/// Which columns the rectification list shows, and whether it groups rows.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerLayout {
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// One row per check and asset (true), or one row per finding.
    pub group_rows: bool,
}

impl Default for LedgerLayout {
    /// Every column ([`Column::ALL`]), rows grouped.
    fn default() -> LedgerLayout {
        LedgerLayout {
            columns: Column::ALL.to_vec(),
            group_rows: true,
        }
    }
}

/// A preset name that is neither built in nor defined in `collector.toml`.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown ledger preset \"{name}\"; known presets: {}; an office's own template is defined as [ledger.presets.NAME] in collector.toml",
    known.join(", ")
)]
pub struct UnknownPreset {
    /// The name asked for.
    pub name: String,
    /// The built-in and configured presets.
    pub known: Vec<String>,
}

impl LedgerLayout {
    /// A built-in preset: `full` (the 24 columns of [`Column::ALL`]) or
    /// `short` (the 11 columns of [`Column::SHORT`]); rows grouped.
    pub fn builtin(name: &str) -> Option<LedgerLayout> {
        let columns = match name {
            "full" => Column::ALL.to_vec(),
            "short" => Column::SHORT.to_vec(),
            _ => return None,
        };
        Some(LedgerLayout {
            columns,
            group_rows: true,
        })
    }

    /// The layout to use: the preset `--preset` names, else the configured
    /// `[ledger] columns`, else the configured `[ledger] preset`, else `full`.
    /// `[ledger] group_rows` applies unless the preset sets its own.
    pub fn from_config(
        config: &LedgerConfig,
        preset: Option<&str>,
    ) -> Result<LedgerLayout, UnknownPreset> {
        let group_default = config.group_rows.unwrap_or(true);
        let name = match (preset, &config.columns) {
            (Some(name), _) => name,
            (None, Some(columns)) => {
                return Ok(LedgerLayout {
                    columns: columns.clone(),
                    group_rows: group_default,
                });
            }
            (None, None) => config.preset.as_deref().unwrap_or("full"),
        };
        if let Some(p) = config.presets.get(name) {
            return Ok(LedgerLayout {
                columns: p.columns.clone(),
                group_rows: p.group_rows.unwrap_or(group_default),
            });
        }
        match LedgerLayout::builtin(name) {
            Some(layout) => Ok(LedgerLayout {
                group_rows: group_default,
                ..layout
            }),
            None => Err(UnknownPreset {
                name: name.to_string(),
                known: BUILTIN_PRESETS
                    .iter()
                    .map(|s| s.to_string())
                    .chain(config.presets.keys().cloned())
                    .collect(),
            }),
        }
    }
}

/// The five sheets of a month, in this order: 整改台账, 明细, 检查记录, 条款符合情况, 统计.
pub fn sheets(docs: &Documents, lang: Lang, layout: &LedgerLayout) -> Vec<Sheet> {
    vec![
        rectification(docs, lang, layout),
        detail(docs, lang),
        inspections(docs, lang),
        compliance(docs, lang),
        summary(docs, lang),
    ]
}

fn sheet(key: &'static str, title: &str, headers: Vec<String>, rows: Vec<SheetRow>) -> Sheet {
    let widths = fit_widths(&headers, &rows);
    Sheet {
        key,
        title: title.to_string(),
        headers,
        rows,
        widths,
    }
}

/// The rectification list (整改台账) in the layout's columns.
pub fn rectification(docs: &Documents, lang: Lang, layout: &LedgerLayout) -> Sheet {
    let headers = layout
        .columns
        .iter()
        .map(|c| c.header(lang).to_string())
        .collect();
    let rows = if layout.group_rows {
        groups(&docs.ledger.rows)
            .iter()
            .enumerate()
            .map(|(i, g)| {
                SheetRow::new(
                    layout
                        .columns
                        .iter()
                        .map(|&c| group_cell(g, c, lang, i + 1))
                        .collect(),
                    g.iter().map(|r| r.row.state.risk).max(),
                )
            })
            .collect()
    } else {
        docs.ledger
            .rows
            .iter()
            .map(|r| {
                SheetRow::new(
                    layout.columns.iter().map(|&c| r.cell(c, lang)).collect(),
                    Some(r.row.state.risk),
                )
            })
            .collect()
    };
    sheet(
        "rectification",
        lang.pick("整改台账", "Rectification list"),
        headers,
        rows,
    )
}

/// The detail sheet (明细): one row per finding, every column of [`Column::ALL`].
pub fn detail(docs: &Documents, lang: Lang) -> Sheet {
    let headers = Column::ALL
        .iter()
        .map(|c| c.header(lang).to_string())
        .collect();
    let rows = docs
        .ledger
        .rows
        .iter()
        .map(|r| {
            SheetRow::new(
                Column::ALL.iter().map(|&c| r.cell(c, lang)).collect(),
                Some(r.row.state.risk),
            )
        })
        .collect();
    sheet("detail", lang.pick("明细", "Detail"), headers, rows)
}

/// The findings of one check on one asset, in the ledger's order; groups in
/// the order of their first row (most severe first).
pub(crate) fn groups(rows: &[LedgerRow]) -> Vec<Vec<&LedgerRow>> {
    let mut index: BTreeMap<(&str, &CheckId), usize> = BTreeMap::new();
    let mut out: Vec<Vec<&LedgerRow>> = Vec::new();
    for r in rows {
        let key = (&*r.row.asset_key, &r.row.check_id);
        match index.get(&key) {
            Some(&i) => out[i].push(r),
            None => {
                index.insert(key, out.len());
                out.push(vec![r]);
            }
        }
    }
    out
}

/// One cell of a grouped row.
fn group_cell(g: &[&LedgerRow], column: Column, lang: Lang, row_no: usize) -> String {
    let first = g[0];
    let n = g.len();
    if column == Column::RowNo {
        return row_no.to_string();
    }
    if n == 1 {
        return first.cell(column, lang);
    }
    let states = || g.iter().map(|r| &r.row.state);
    match column {
        Column::FindingNo => {
            let no = first.cell(Column::FindingNo, lang);
            match lang {
                Lang::Zh => format!("{no} 等 {n} 项"),
                Lang::En => format!("{no} and {} more", n - 1),
            }
        }
        Column::InspectionRound => g
            .iter()
            .max_by_key(|r| r.row.state.last_seen)
            .map_or_else(String::new, |r| r.cell(column, lang)),
        Column::Description => grouped_description(g, lang),
        Column::Risk => states()
            .map(|s| s.risk)
            .max()
            .map_or_else(String::new, |r| risk_label(r, lang).to_string()),
        Column::FoundOn => states()
            .map(|s| s.first_seen)
            .min()
            .map_or_else(String::new, |d| d.to_string()),
        Column::Deadline => states()
            .filter(|s| s.status.awaits_rectification())
            .filter_map(|s| s.deadline)
            .min()
            .map_or_else(|| "—".into(), |d| d.to_string()),
        Column::Status => grouped_status(g, lang),
        Column::CompletedOn => {
            if states().all(|s| s.status == Status::Closed) {
                g.iter()
                    .map(|r| r.cell(column, lang))
                    .max()
                    .unwrap_or_default()
            } else {
                "—".into()
            }
        }
        Column::EvidenceRef
        | Column::Remediation
        | Column::Mitigation
        | Column::Owner
        | Column::Recheck
        | Column::Remarks => distinct(g, column, lang),
        // The same asset and the same check: the first row says it.
        Column::RowNo
        | Column::InspectionType
        | Column::Source
        | Column::Unit
        | Column::AssetName
        | Column::AssetType
        | Column::IpAddress
        | Column::Os
        | Column::CheckItem
        | Column::ResponsibleUnit
        | Column::AssetNameAndIp => first.cell(column, lang),
    }
}

/// `有待安装的安全更新（共 81 项）：openssl, libc6, …（完整清单见明细）`.
fn grouped_description(g: &[&LedgerRow], lang: Lang) -> String {
    let title = g[0].check_title.get(lang);
    let n = g.len();
    let shown: Vec<&str> = g
        .iter()
        .take(MAX_SUBJECTS)
        .map(|r| r.row.subject.as_str())
        .collect();
    let more = if n > MAX_SUBJECTS {
        lang.pick(", …（完整清单见明细）", ", … (all in the Detail sheet)")
    } else {
        ""
    };
    match lang {
        Lang::Zh => format!("{title}（共 {n} 项）：{}{more}", shown.join(", ")),
        Lang::En => format!("{title} ({n} items): {}{more}", shown.join(", ")),
    }
}

/// Closed only when every member is; else the least done member's status,
/// overdue when any member is, with how many are closed.
fn grouped_status(g: &[&LedgerRow], lang: Lang) -> String {
    let n = g.len();
    let Some(least) = g
        .iter()
        .map(|r| r.row.state.status)
        .min_by_key(|&s| s.doneness())
    else {
        return String::new();
    };
    let mut text = lang.pick(least.zh(), least.en()).to_string();
    if g.iter().any(|r| r.row.state.overdue) {
        text.push_str(lang.pick("（逾期）", " (overdue)"));
    }
    let closed = g
        .iter()
        .filter(|r| r.row.state.status == Status::Closed)
        .count();
    if closed > 0 && closed < n {
        text.push_str(&match lang {
            Lang::Zh => format!("；{closed}/{n} 项已销号"),
            Lang::En => format!("; {closed} of {n} closed"),
        });
    }
    text
}

/// The members' different texts of a column, one per line (at most
/// [`MAX_SUBJECTS`]); the first member's when none says anything.
fn distinct(g: &[&LedgerRow], column: Column, lang: Lang) -> String {
    let mut seen: Vec<String> = Vec::new();
    for r in g {
        let text = r.cell(column, lang);
        if text.is_empty() || text == "—" || seen.contains(&text) {
            continue;
        }
        seen.push(text);
    }
    if seen.is_empty() {
        return g[0].cell(column, lang);
    }
    if seen.len() > MAX_SUBJECTS {
        seen.truncate(MAX_SUBJECTS);
        seen.push("…".into());
    }
    seen.join("\n")
}

fn asset_name(h: &InspectionRecord) -> String {
    h.asset
        .as_ref()
        .map_or_else(|| h.hostname.clone(), |a| a.asset_name.clone())
}

/// The inspection record (检查记录): one row per asset or reporting host.
pub fn inspections(docs: &Documents, lang: Lang) -> Sheet {
    let mut headers: Vec<String> = match lang {
        Lang::Zh => vec![
            "序号",
            "资产名称",
            "单位（部门）",
            "IP地址",
            "检查日期",
            "报告编号",
            "已运行检查",
            "未能运行",
            "不适用",
            "等保级别",
            "条款符合",
        ],
        Lang::En => vec![
            "No.",
            "Asset name",
            "Unit (department)",
            "IP address",
            "Inspected on",
            "Report id",
            "Checks run",
            "Could not run",
            "Not applicable",
            "Protection level",
            "Clauses met",
        ],
    }
    .into_iter()
    .map(String::from)
    .collect();
    headers.extend(
        Severity::ALL_DESC
            .iter()
            .map(|&l| risk_label(l, lang).to_string()),
    );
    headers.push(lang.pick("备注", "Remarks").into());
    let dash = || "—".to_string();
    let rows = docs
        .ledger
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut remarks = Vec::new();
            if !h.inspected {
                remarks.push(lang.pick("未检查", "not inspected").to_string());
            }
            if h.unregistered {
                remarks.push(lang.pick("未登记资产", "not in the asset registry").into());
            }
            if h.reports_in_month > 1 {
                remarks.push(match lang {
                    Lang::Zh => format!("本月 {} 份报告，取最新一份", h.reports_in_month),
                    Lang::En => format!(
                        "{} reports this month; the latest counts",
                        h.reports_in_month
                    ),
                });
            }
            let mut cells = vec![
                (i + 1).to_string(),
                asset_name(h),
                h.asset
                    .as_ref()
                    .and_then(|a| a.unit.clone())
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(dash),
                if h.ip_addresses.is_empty() {
                    dash()
                } else {
                    h.ip_addresses.join(", ")
                },
                match &h.report {
                    Some((_, at, _)) => at.date_naive().to_string(),
                    None => lang.pick("未检查", "not inspected").into(),
                },
                h.report
                    .as_ref()
                    .map_or_else(dash, |(id, _, _)| id.to_string()),
                if h.inspected {
                    h.checks_run.to_string()
                } else {
                    dash()
                },
                if h.could_not_run.is_empty() {
                    if h.inspected { "0".into() } else { dash() }
                } else {
                    h.could_not_run
                        .iter()
                        .map(|(id, why)| format!("{id}: {why}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                },
                not_applicable_cell(h, lang),
                level_cell(h, lang),
                clauses_cell(h),
            ];
            cells.extend(Severity::ALL_DESC.iter().map(|l| {
                h.findings_by_level
                    .iter()
                    .find(|(x, _)| x == l)
                    .map_or(0, |(_, n)| *n)
                    .to_string()
            }));
            cells.push(remarks.join("; "));
            SheetRow::new(cells, None)
        })
        .collect();
    sheet(
        "inspections",
        lang.pick("检查记录", "Inspection record"),
        headers,
        rows,
    )
}

/// An approved exception in words: check, reason, approver and last day.
pub(crate) fn exception_text(n: &NotApplicableCheck, lang: Lang) -> String {
    let approver = n.approver.as_deref().unwrap_or("");
    let until = n.expires.map(|d| d.to_string()).unwrap_or_default();
    match lang {
        Lang::Zh => format!(
            "{}：{}（批准人 {approver}，有效期至 {until}）",
            n.check_id, n.reason
        ),
        Lang::En => format!(
            "{}: {} (approved by {approver}, until {until})",
            n.check_id, n.reason
        ),
    }
}

/// Approved exceptions one per line (check: reason, approver, last day), then
/// how many checks the level profile left out.
fn not_applicable_cell(h: &InspectionRecord, lang: Lang) -> String {
    if !h.inspected {
        return "—".into();
    }
    let mut lines: Vec<String> = h
        .not_applicable
        .iter()
        .filter(|n| n.is_exception())
        .map(|n| exception_text(n, lang))
        .collect();
    let profile = h
        .not_applicable
        .iter()
        .filter(|n| !n.is_exception())
        .count();
    if profile > 0 {
        lines.push(match lang {
            Lang::Zh => format!("另 {profile} 项不属于本级要求"),
            Lang::En => format!("and {profile} check(s) outside this level's profile"),
        });
    }
    if lines.is_empty() {
        "0".into()
    } else {
        lines.join("\n")
    }
}

/// A protection level as the ledger names it (二级, level 2).
pub(crate) fn level_name(level: ProtectionLevel, lang: Lang) -> String {
    match (lang, level.get()) {
        (Lang::Zh, 2) => "二级".into(),
        (Lang::Zh, 3) => "三级".into(),
        (Lang::Zh, l) => format!("{l} 级"),
        (Lang::En, l) => format!("level {l}"),
    }
}

/// The level the host is judged at, and the agent's when it applied another.
fn level_cell(h: &InspectionRecord, lang: Lang) -> String {
    let Some(judged) = h.judged_level else {
        return "—".into();
    };
    let mut text = level_name(judged, lang);
    match h.agent_level {
        Some(agent) if agent != judged => {
            let _ = match lang {
                Lang::Zh => write!(text, "（agent 按{}检查）", level_name(agent, lang)),
                Lang::En => write!(text, " (the agent applied {})", level_name(agent, lang)),
            };
        }
        None if h
            .asset
            .as_ref()
            .and_then(|a| a.protection_level.as_deref())
            .and_then(|l| selfcheck_ledger::assets::parse_level(l).ok().flatten())
            .is_some() => {}
        None => text.push_str(lang.pick("（默认）", " (default)")),
        _ => {}
    }
    text
}

/// Clauses whose automated checks all passed, out of those judged.
fn clauses_cell(h: &InspectionRecord) -> String {
    if h.compliance.is_empty() {
        return "—".into();
    }
    let (met, judged) = met_of_judged(&h.compliance);
    format!("{met}/{judged}")
}

/// Compliance by clause (条款符合情况): for each GB/T 22239-2019 clause the
/// hosts' checks map to, how many hosts meet it, partly meet it, do not meet
/// it, need a check by hand, or are exempted, and the check outcomes summed.
/// Level-2 hosts count under the 7.1.4.x clauses, level-3 hosts under 8.1.4.x.
pub fn compliance(docs: &Documents, lang: Lang) -> Sheet {
    let headers: Vec<String> = match lang {
        Lang::Zh => vec![
            "条款",
            "控制点",
            "主机数",
            "符合",
            "部分符合",
            "不符合",
            "待核查",
            "不适用",
            "符合率",
            "检查项次：通过",
            "不通过",
            "无法检查",
            "不适用（项次）",
        ],
        Lang::En => vec![
            "Clause",
            "Control",
            "Hosts",
            "Met",
            "Partly met",
            "Not met",
            "To verify by hand",
            "Not applicable",
            "Met rate",
            "Check runs: passed",
            "With findings",
            "Could not run",
            "Not applicable (runs)",
        ],
    }
    .into_iter()
    .map(String::from)
    .collect();
    let summaries = selfcheck_ledger::engine::compliance::unit_summary(
        docs.ledger.hosts.iter().map(|h| h.compliance.as_slice()),
    );
    let mut rows: Vec<SheetRow> = summaries
        .iter()
        .map(|s| {
            let control = selfcheck_catalog::compliance::control_name(&s.clause)
                .map(|(zh, en)| lang.pick(zh, en).to_string())
                .unwrap_or_default();
            let met_rate = s.met_rate();
            let level = if s.hosts_not_met > 0 {
                Some(Severity::High)
            } else if s.hosts_partly_met > 0 {
                Some(Severity::Medium)
            } else {
                None
            };
            SheetRow::new(
                vec![
                    s.clause.clone(),
                    control,
                    s.hosts().to_string(),
                    s.hosts_met.to_string(),
                    s.hosts_partly_met.to_string(),
                    s.hosts_not_met.to_string(),
                    s.hosts_unverified.to_string(),
                    s.hosts_not_applicable.to_string(),
                    rate(met_rate),
                    s.passed.to_string(),
                    s.findings.to_string(),
                    s.could_not_run.to_string(),
                    s.not_applicable.to_string(),
                ],
                level,
            )
        })
        .collect();
    let not_inspected = docs.ledger.hosts.iter().filter(|h| !h.inspected).count();
    if not_inspected > 0 {
        let mut cells = vec![String::new(); headers.len()];
        cells[0] = match lang {
            Lang::Zh => {
                format!("另有 {not_inspected} 台应检资产本月无检查报告，未计入上表（见检查记录）")
            }
            Lang::En => format!(
                "{not_inspected} expected asset(s) sent no report this month and are not counted above (see the inspection record)"
            ),
        };
        rows.push(SheetRow::emphasised(cells));
    }
    sheet(
        "compliance",
        lang.pick("条款符合情况", "Compliance by clause"),
        headers,
        rows,
    )
}

fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
}

/// The headers of the counts per risk level (统计), as the sheet and the
/// terminal table both show them.
pub fn level_count_headers(lang: Lang) -> [&'static str; 9] {
    match lang {
        Lang::Zh => [
            "风险等级",
            "问题",
            "新增",
            "上月结转",
            "本月销号",
            "逾期",
            "待整改",
            "风险接受",
            "误报",
        ],
        Lang::En => [
            "Risk level",
            "Rows",
            "New",
            "Carried over",
            "Closed this month",
            "Overdue",
            "Pending",
            "Risk accepted",
            "False positive",
        ],
    }
}

/// The summary (统计): counts per level with a total, the assets and the
/// rectification rate, then the trend of the last 12 months.
pub fn summary(docs: &Documents, lang: Lang) -> Sheet {
    let headers: Vec<String> = level_count_headers(lang)
        .into_iter()
        .map(String::from)
        .collect();
    let width = headers.len();
    let padded = |mut cells: Vec<String>| {
        cells.resize(width, String::new());
        cells
    };
    let s = &docs.ledger.summary;
    let mut rows = Vec::new();
    let mut total = [0usize; 8];
    for (level, c) in &s.by_level {
        let counts = [
            c.rows,
            c.new,
            c.carried_over,
            c.closed_this_month,
            c.overdue,
            c.pending,
            c.risk_accepted,
            c.false_positive,
        ];
        for (t, n) in total.iter_mut().zip(counts) {
            *t += n;
        }
        let mut cells = vec![risk_label(*level, lang).to_string()];
        cells.extend(counts.iter().map(|n| n.to_string()));
        rows.push(SheetRow::new(cells, Some(*level)));
    }
    let mut cells = vec![lang.pick("合计", "Total").to_string()];
    cells.extend(total.iter().map(|n| n.to_string()));
    rows.push(SheetRow::emphasised(cells));

    rows.push(SheetRow::new(padded(Vec::new()), None));
    let facts: [(&str, &str, String); 6] = [
        ("应检资产", "Assets expected", s.assets_expected.to_string()),
        (
            "已检资产",
            "Assets inspected",
            s.assets_inspected.to_string(),
        ),
        (
            "未检资产",
            "Assets not inspected",
            s.assets_expected
                .saturating_sub(s.assets_inspected)
                .to_string(),
        ),
        ("报告主机", "Hosts reporting", s.hosts_reporting.to_string()),
        (
            "其中未登记主机",
            "of which not in the registry",
            s.hosts_unregistered.to_string(),
        ),
        ("整改率", "Rectification rate", rate(s.rectification_rate)),
    ];
    for (zh, en, value) in facts {
        rows.push(SheetRow::new(
            padded(vec![lang.pick(zh, en).to_string(), value]),
            None,
        ));
    }
    rows.push(SheetRow::new(
        padded(vec![
            lang.pick(
                "整改率 = 本月销号 ÷（本月销号 + 待整改），超危至低危",
                "rate = closed this month ÷ (closed this month + pending), critical to low",
            )
            .to_string(),
        ]),
        None,
    ));

    rows.push(SheetRow::new(padded(Vec::new()), None));
    rows.push(SheetRow::emphasised(padded(vec![
        lang.pick("近 12 个月趋势", "Trend over the last 12 months")
            .to_string(),
    ])));
    let trend_headers: [(&str, &str); 7] = [
        ("月份", "Month"),
        ("已检资产", "Assets inspected"),
        ("问题", "Rows"),
        ("新增", "New"),
        ("本月销号", "Closed this month"),
        ("逾期", "Overdue"),
        ("整改率", "Rectification rate"),
    ];
    rows.push(SheetRow::emphasised(padded(
        trend_headers
            .iter()
            .map(|(zh, en)| lang.pick(zh, en).to_string())
            .collect(),
    )));
    for point in &docs.trend {
        let sum = |f: fn(&selfcheck_ledger::engine::LevelSummary) -> usize| -> usize {
            point.summary.by_level.iter().map(|(_, c)| f(c)).sum()
        };
        rows.push(SheetRow::new(
            padded(vec![
                point.period.to_string(),
                point.summary.assets_inspected.to_string(),
                sum(|c| c.rows).to_string(),
                sum(|c| c.new).to_string(),
                sum(|c| c.closed_this_month).to_string(),
                sum(|c| c.overdue).to_string(),
                rate(point.summary.rectification_rate),
            ]),
            None,
        ));
    }
    let mut out = sheet("summary", lang.pick("统计", "Summary"), headers, rows);
    // The explanations of the first column should not widen it.
    if let Some(w) = out.widths.first_mut() {
        *w = w.min(18.0);
    }
    out
}

/// Display width of a line: CJK and full-width characters count two.
fn display_width(line: &str) -> usize {
    line.chars()
        .map(|c| {
            let u = c as u32;
            let wide = (0x1100..=0x115F).contains(&u)
                || (0x2E80..=0xA4CF).contains(&u)
                || (0xAC00..=0xD7A3).contains(&u)
                || (0xF900..=0xFAFF).contains(&u)
                || (0xFE30..=0xFE4F).contains(&u)
                || (0xFF00..=0xFF60).contains(&u)
                || (0xFFE0..=0xFFE6).contains(&u);
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// Column widths from the longest line of each column, between 6 and 60.
fn fit_widths(headers: &[String], rows: &[SheetRow]) -> Vec<f64> {
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let longest = rows
                .iter()
                .filter_map(|r| r.cells.get(i))
                .chain(std::iter::once(h))
                .flat_map(|c| c.lines())
                .map(display_width)
                .max()
                .unwrap_or(0);
            (longest + 2).clamp(6, 60) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_chinese_double_and_stay_in_bounds() {
        assert_eq!(display_width("整改台账"), 8);
        assert_eq!(display_width("ab（c）"), 7);
        let rows = vec![SheetRow::new(
            vec!["x".into(), "很长".repeat(50), "a\nbcdefghij".into()],
            None,
        )];
        let widths = fit_widths(&["序号".into(), "问题描述".into(), "c".into()], &rows);
        assert_eq!(widths, [6.0, 60.0, 11.0]);
    }

    #[test]
    fn layouts_from_presets_and_configuration() {
        let mut config = LedgerConfig::default();
        assert_eq!(
            LedgerLayout::from_config(&config, None).unwrap(),
            LedgerLayout::default()
        );
        assert_eq!(
            LedgerLayout::from_config(&config, Some("short"))
                .unwrap()
                .columns,
            Column::SHORT
        );
        config.group_rows = Some(false);
        config.columns = Some(vec![Column::RowNo, Column::Risk]);
        let layout = LedgerLayout::from_config(&config, None).unwrap();
        assert_eq!(layout.columns, [Column::RowNo, Column::Risk]);
        assert!(!layout.group_rows);
        config.presets.insert(
            "市网信办2026".into(),
            selfcheck_ledger::config::LedgerPreset {
                columns: vec![Column::Description],
                group_rows: Some(true),
            },
        );
        let layout = LedgerLayout::from_config(&config, Some("市网信办2026")).unwrap();
        assert_eq!(layout.columns, [Column::Description]);
        assert!(layout.group_rows);
        let e = LedgerLayout::from_config(&config, Some("县")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown ledger preset \"县\"; known presets: full, short, 市网信办2026; \
             an office's own template is defined as [ledger.presets.NAME] in collector.toml"
        );
    }
}
