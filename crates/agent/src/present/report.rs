//! A run's report for people: the summary `run` ends with, the details of
//! `run --details`, and the exit status of `--fail-on`.

use super::baseline::clause_table;
use super::inventory::sockets_table;
use super::{risk_label, table};
use comfy_table::Cell;
use selfcheck_catalog::{Area, Catalog, Lang};
use selfcheck_report::{CheckOutcome, CheckRun, Finding, Report, Severity};
use selfcheck_term::color::{Paint, cell, paint, risk_paint, style_table};
use selfcheck_term::escape;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Findings listed in the summary, most serious first.
const SUMMARY_FINDINGS: usize = 5;

/// The summary `run` ends with, short enough for one screen at 80 columns:
/// the host, per area the checks run, findings by level, checks that could
/// not run and do not apply; the five most serious findings; where the
/// report is. `details_shown` says whether [`run_details`] was printed
/// before it (else the last line says how to see everything).
pub fn run_summary(
    report: &Report,
    catalog: &Catalog,
    lang: Lang,
    stored_at: &Path,
    details_shown: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", host_line(report, lang));

    let mut t = table(vec![
        lang.pick("检查领域", "area"),
        lang.pick("已执行", "run"),
        lang.pick("发现的问题", "findings"),
        lang.pick("未能执行", "could not run"),
        lang.pick("不适用", "n/a"),
    ]);
    style_table(&mut t);
    let area_of = |id: &str| catalog.get_str(id).map(|c| c.area);
    for area in Area::AGENT {
        let checks: Vec<&CheckRun> = report
            .checks
            .iter()
            .filter(|c| area_of(c.check_id.as_str()) == Some(area))
            .collect();
        if checks.is_empty() {
            continue;
        }
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| area_of(f.check_id.as_str()) == Some(area))
            .collect();
        t.add_row(area_row(area.name(lang), &checks, &findings, lang));
    }
    let all_checks: Vec<&CheckRun> = report.checks.iter().collect();
    let all_findings: Vec<&Finding> = report.findings.iter().collect();
    t.add_row(area_row(
        lang.pick("合计", "total"),
        &all_checks,
        &all_findings,
        lang,
    ));
    let _ = writeln!(out, "{t}");

    let serious: Vec<&Finding> = most_serious_first(&report.findings)
        .into_iter()
        .filter(|f| f.risk > Severity::Info)
        .collect();
    if !serious.is_empty() && !details_shown {
        let shown = serious.len().min(SUMMARY_FINDINGS);
        let _ = writeln!(
            out,
            "{}",
            match lang {
                Lang::Zh => format!("最严重的 {shown} 个问题（共 {} 个需整改）", serious.len()),
                Lang::En => format!(
                    "The {shown} most serious findings (of {} to rectify)",
                    serious.len()
                ),
            }
        );
        // Below 100 columns the check id gives way: the problem and its subject say enough.
        let with_id = selfcheck_term::width::output_width() >= 100;
        let mut header = vec![lang.pick("风险", "risk")];
        if with_id {
            header.push(lang.pick("检查项", "check"));
        }
        header.extend([lang.pick("问题", "problem"), lang.pick("对象", "subject")]);
        let mut t = table(header);
        style_table(&mut t);
        for f in serious.iter().take(SUMMARY_FINDINGS) {
            let title = catalog
                .get(&f.check_id)
                .map(|c| c.title.get(lang))
                .unwrap_or("");
            let mut row = vec![cell(risk_label(f.risk, lang), risk_paint(f.risk))];
            if with_id {
                row.push(Cell::new(f.check_id.as_str()));
            }
            row.push(Cell::new(title));
            row.push(Cell::new(escape(&shorten(&f.subject, 40)).into_owned()));
            t.add_row(row);
        }
        let _ = writeln!(out, "{t}");
    }
    let not_run = report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, CheckOutcome::CouldNotRun { .. }))
        .count();
    if not_run > 0 {
        let _ = writeln!(
            out,
            "{}",
            paint(
                &match lang {
                    Lang::Zh => format!("{not_run} 项检查未能执行，不能视为没有问题。"),
                    Lang::En => format!(
                        "{not_run} checks could not run; that is not evidence of no problem."
                    ),
                },
                Paint::Warning
            )
        );
    }
    let _ = writeln!(
        out,
        "{}{}",
        lang.pick("报告：", "Report: "),
        escape(&stored_at.display().to_string())
    );
    if !details_shown && (!report.findings.is_empty() || not_run > 0) {
        let _ = writeln!(
            out,
            "{}",
            lang.pick(
                "加 --details 列出每个问题及其证据、按原因列出未能执行的检查。",
                "Add --details for every finding with its evidence, and the checks that could not run by reason.",
            )
        );
    }
    out
}

/// Findings by risk, most serious first, then by check and subject.
fn most_serious_first(findings: &[Finding]) -> Vec<&Finding> {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| {
        b.risk
            .cmp(&a.risk)
            .then(a.check_id.cmp(&b.check_id))
            .then(a.subject.cmp(&b.subject))
    });
    sorted
}

/// One row of the summary's area table.
fn area_row(name: &str, checks: &[&CheckRun], findings: &[&Finding], lang: Lang) -> Vec<Cell> {
    let ran = checks.iter().filter(|c| c.outcome.ran()).count();
    let could_not = checks
        .iter()
        .filter(|c| matches!(c.outcome, CheckOutcome::CouldNotRun { .. }))
        .count();
    let na = checks
        .iter()
        .filter(|c| matches!(c.outcome, CheckOutcome::NotApplicable { .. }))
        .count();
    let by_level: Vec<(Severity, usize)> = Severity::ALL_DESC
        .iter()
        .map(|lvl| (*lvl, findings.iter().filter(|f| f.risk == *lvl).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let worst = by_level.first().map(|(lvl, _)| *lvl);
    let text = if by_level.is_empty() {
        "—".to_string()
    } else {
        by_level
            .iter()
            .map(|(lvl, n)| format!("{} {n}", risk_label(*lvl, lang)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    vec![
        Cell::new(name),
        Cell::new(format!("{ran}/{}", checks.len())),
        match worst {
            Some(w) => cell(text, risk_paint(w)),
            None => cell(text, Paint::Good),
        },
        if could_not > 0 {
            cell(could_not.to_string(), Paint::Warning)
        } else {
            Cell::new("0")
        },
        Cell::new(na.to_string()),
    ]
}

/// The first line of the summary and the details: host, addresses, OS, kernel, month.
fn host_line(report: &Report, lang: Lang) -> String {
    let h = &report.host;
    let ips = h
        .ip_addresses
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    escape(&format!(
        "{} {} ({}) · {} · {} · {} {}",
        lang.pick("主机", "host"),
        h.hostname,
        if ips.is_empty() { "-" } else { &ips },
        h.os.display_name(),
        h.kernel.as_deref().unwrap_or("-"),
        lang.pick("检查月份", "period"),
        report.period
    ))
    .into_owned()
}

/// `text` cut to `max` characters, with an ellipsis when it was longer.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Everything `run --details` prints before the summary: listening sockets,
/// every finding with its evidence, the checks that could not run grouped by
/// reason, those that do not apply, allowlisted findings, and the baseline's
/// clauses.
pub fn run_details(report: &Report, catalog: &Catalog, lang: Lang) -> String {
    let mut out = String::new();
    if let Some(sockets) = &report.inventory.listening_sockets {
        let _ = writeln!(
            out,
            "{} ({})",
            lang.pick("监听端口", "Listening sockets"),
            sockets.len()
        );
        let _ = writeln!(out, "{}", sockets_table(sockets, lang));
    }
    let _ = writeln!(
        out,
        "\n{} ({})",
        lang.pick("发现的问题", "Findings"),
        report.findings.len()
    );
    if report.findings.is_empty() {
        let _ = writeln!(out, "{}", lang.pick("未发现问题。", "No findings."));
    } else {
        let mut t = table(vec![
            lang.pick("风险", "risk"),
            lang.pick("检查项", "check"),
            lang.pick("对象", "subject"),
            lang.pick("问题", "problem"),
            lang.pick("证据", "evidence"),
        ]);
        style_table(&mut t);
        for f in most_serious_first(&report.findings) {
            let title = catalog
                .get(&f.check_id)
                .map(|c| c.title.get(lang))
                .unwrap_or("");
            t.add_row(vec![
                cell(risk_label(f.risk, lang), risk_paint(f.risk)),
                Cell::new(f.check_id.as_str()),
                Cell::new(escape(&f.subject).into_owned()),
                Cell::new(title),
                Cell::new(
                    f.evidence
                        .iter()
                        .map(|e| escape(e).into_owned())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in &report.checks {
        if let CheckOutcome::CouldNotRun { reason } = &c.outcome {
            by_reason
                .entry(reason.as_str())
                .or_default()
                .push(c.check_id.as_str());
        }
    }
    if !by_reason.is_empty() {
        let n: usize = by_reason.values().map(Vec::len).sum();
        let _ = writeln!(
            out,
            "\n{} ({n})",
            lang.pick(
                "未能执行的检查（按原因）",
                "Checks that could not run, by reason"
            ),
        );
        let mut t = table(vec![
            lang.pick("原因", "reason"),
            lang.pick("检查项", "checks"),
        ]);
        for (reason, ids) in by_reason {
            t.add_row(vec![escape(reason).into_owned(), ids.join("\n")]);
        }
        let _ = writeln!(out, "{t}");
    }
    out.push_str(&not_applicable_table(&report.checks, lang));
    if !report.suppressed.is_empty() {
        let _ = writeln!(
            out,
            "\n{} ({})",
            lang.pick("已按白名单豁免", "Allowlisted by the agent config"),
            report.suppressed.len()
        );
        let mut t = table(vec![
            lang.pick("检查项", "check"),
            lang.pick("对象", "subject"),
            lang.pick("理由", "reason"),
        ]);
        for s in &report.suppressed {
            t.add_row(vec![
                s.finding.check_id.to_string(),
                escape(&s.finding.subject).into_owned(),
                escape(&s.reason).into_owned(),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    if let Some(level) = report.baseline_level {
        out.push_str(&clause_table(&report.checks, catalog, level, lang));
    }
    out.push('\n');
    out
}

/// Exit status for `--fail-on`: 1 when a finding is at or above `threshold`, else 0.
pub fn exit_status(report: &Report, threshold: Option<Severity>) -> u8 {
    match threshold {
        Some(t) if report.findings.iter().any(|f| f.risk >= t) => 1,
        _ => 0,
    }
}

/// The checks that do not apply to the host, with why, who approved it and until when
/// (empty when there are none).
pub fn not_applicable_table(checks: &[CheckRun], lang: Lang) -> String {
    let rows: Vec<_> = checks
        .iter()
        .filter_map(|c| match &c.outcome {
            CheckOutcome::NotApplicable {
                reason,
                approver,
                expires,
            } => Some((c, reason, approver, expires)),
            _ => None,
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut t = table(vec![
        lang.pick("检查项", "check"),
        lang.pick("不适用理由", "why it does not apply"),
        lang.pick("批准人", "approved by"),
        lang.pick("有效期至", "until"),
    ]);
    for (c, reason, approver, expires) in &rows {
        t.add_row(vec![
            c.check_id.to_string(),
            reason.to_string(),
            approver.as_deref().unwrap_or("-").to_string(),
            expires.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
        ]);
    }
    format!(
        "\n{} ({})\n{t}\n",
        lang.pick("不适用的检查", "Checks that do not apply"),
        rows.len()
    )
}
