//! A run's report for people: the summary `run` prints, and the exit status of `--fail-on`.

use super::baseline::clause_table;
use super::inventory::sockets_table;
use super::{risk_label, table};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_report::{CheckOutcome, CheckRun, Report, Severity};
use std::fmt::Write as _;
use std::path::Path;

/// The summary printed after `run`: host, sockets, findings, checks that could
/// not run, allowlisted findings, and where the report is.
pub fn run_summary(report: &Report, catalog: &Catalog, lang: Lang, stored_at: &Path) -> String {
    let mut out = String::new();
    let h = &report.host;
    let ips = h
        .ip_addresses
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "{} {} ({}) · {} · {} · {} {}",
        lang.pick("主机", "host"),
        h.hostname,
        if ips.is_empty() { "-" } else { &ips },
        h.os.display_name(),
        h.kernel.as_deref().unwrap_or("-"),
        lang.pick("检查月份", "period"),
        report.period
    );
    if let Some(sockets) = &report.inventory.listening_sockets {
        let _ = writeln!(
            out,
            "\n{} ({})",
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
        let mut findings: Vec<_> = report.findings.iter().collect();
        findings.sort_by(|a, b| {
            b.risk
                .cmp(&a.risk)
                .then(a.check_id.cmp(&b.check_id))
                .then(a.subject.cmp(&b.subject))
        });
        for f in findings {
            let title = catalog
                .get(&f.check_id)
                .map(|c| c.title.get(lang))
                .unwrap_or("");
            t.add_row(vec![
                risk_label(f.risk, lang).to_string(),
                f.check_id.to_string(),
                f.subject.clone(),
                title.to_string(),
                f.evidence.join("\n"),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let not_run: Vec<_> = report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            CheckOutcome::CouldNotRun { reason } => Some((c, reason)),
            _ => None,
        })
        .collect();
    if !not_run.is_empty() {
        let _ = writeln!(
            out,
            "\n{} ({})",
            lang.pick("未能执行的检查", "Checks that could not run"),
            not_run.len()
        );
        let mut t = table(vec![
            lang.pick("检查项", "check"),
            lang.pick("原因", "reason"),
        ]);
        for (c, reason) in not_run {
            t.add_row(vec![c.check_id.to_string(), reason.clone()]);
        }
        let _ = writeln!(out, "{t}");
    }
    let not_applicable = not_applicable_table(&report.checks, lang);
    if !not_applicable.is_empty() {
        out.push_str(&not_applicable);
    }
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
                s.finding.subject.clone(),
                s.reason.clone(),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let counts: Vec<String> = Severity::ALL_DESC
        .iter()
        .map(|lvl| {
            let n = report.findings.iter().filter(|f| f.risk == *lvl).count();
            format!("{} {n}", risk_label(*lvl, lang))
        })
        .collect();
    if let Some(level) = report.baseline_level {
        out.push_str(&clause_table(&report.checks, catalog, level, lang));
    }
    let ran = report.checks.iter().filter(|c| c.outcome.ran()).count();
    let na = report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, CheckOutcome::NotApplicable { .. }))
        .count();
    let _ = writeln!(
        out,
        "\n{}: {ran}/{} ({} {na}) · {} · {} {}",
        lang.pick("已执行检查", "checks run"),
        report.checks.len(),
        lang.pick("不适用", "not applicable"),
        counts.join(" · "),
        lang.pick("报告", "report"),
        stored_at.display()
    );
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
