//! Everything the agent prints: run summaries, socket lists, the catalog.
//! Output goes to strings so the CLI and tests share it.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use selfcheck_catalog::{Catalog, CheckDef, Lang, compliance};
use selfcheck_report::{
    CheckOutcome, CheckRun, ListeningSocket, PackageInventory, Report, Severity,
};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

/// A table in the agent's style, wrapped to the terminal (or COLUMNS, or 160 columns).
pub(crate) fn table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    // Without a terminal (files, pipes) wrap at COLUMNS or 160 rather than never.
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    if let Some(w) = columns.or_else(|| (!std::io::stdout().is_terminal()).then_some(160)) {
        t.set_width(w);
    }
    t
}

/// A risk level in the chosen language.
pub fn risk_label(risk: Severity, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => risk.zh(),
        Lang::En => risk.as_str(),
    }
}

fn processes(s: &ListeningSocket) -> String {
    if s.processes.is_empty() {
        return "-".to_string();
    }
    s.processes
        .iter()
        .map(|p| format!("{} ({})", p.name, p.pid))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The listening sockets as a table.
pub fn sockets_table(sockets: &[ListeningSocket], lang: Lang) -> String {
    let mut t = table(vec![
        lang.pick("协议", "proto"),
        lang.pick("本地地址", "local address"),
        lang.pick("状态", "state"),
        "uid",
        lang.pick("进程", "process"),
    ]);
    for s in sockets {
        t.add_row(vec![
            s.protocol.as_str().to_string(),
            s.endpoint(),
            s.state.as_str().to_string(),
            s.uid.to_string(),
            processes(s),
        ]);
    }
    t.to_string()
}

/// The pending updates as a table, with a line on how many packages are installed.
pub fn upgradable_table(inv: &PackageInventory, lang: Lang) -> String {
    let mut t = table(vec![
        lang.pick("软件包", "package"),
        lang.pick("架构", "arch"),
        lang.pick("已安装版本", "installed"),
        lang.pick("候选版本", "candidate"),
        lang.pick("来源", "suites"),
        lang.pick("安全更新", "security"),
    ]);
    for u in &inv.upgradable {
        t.add_row(vec![
            u.name.clone(),
            u.arch.clone(),
            u.installed.clone(),
            u.candidate.clone(),
            u.suites.join(", "),
            if u.security {
                lang.pick("是", "yes")
            } else {
                ""
            }
            .to_string(),
        ]);
    }
    let security = inv.upgradable.iter().filter(|u| u.security).count();
    let dated = inv
        .indexes_updated_at
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "-".into());
    let mut out = format!(
        "{} {} · {} {} ({} {security}) · {} {dated}\n{t}\n",
        lang.pick("已安装软件包", "installed packages"),
        inv.installed.len(),
        lang.pick("可升级", "upgradable"),
        inv.upgradable.len(),
        lang.pick("其中安全更新", "security"),
        lang.pick("软件源索引日期", "package lists dated"),
    );
    for w in &inv.warnings {
        out.push_str(&format!("{}: {w}\n", lang.pick("警告", "warning")));
    }
    out
}

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

/// `checks list`: one row per check.
/// A column of protection levels appears when a listed check has them (baseline checks).
pub fn checks_list(catalog: &Catalog, area: Option<&str>, lang: Lang) -> String {
    let listed: Vec<&CheckDef> = catalog
        .iter()
        .filter(|c| area.is_none_or(|a| c.area == a))
        .collect();
    let with_levels = listed.iter().any(|c| !c.levels.is_empty());
    let mut header = vec![
        "id",
        lang.pick("类别", "area"),
        lang.pick("风险", "risk"),
        lang.pick("标题", "title"),
        lang.pick("依据", "references"),
    ];
    if with_levels {
        header.push(lang.pick("适用等级", "levels"));
    }
    let mut t = table(header);
    for c in listed {
        let mut row = vec![
            c.id.to_string(),
            c.area.to_string(),
            risk_label(c.risk, lang).to_string(),
            c.title.get(lang).to_string(),
            c.references.join("\n"),
        ];
        if with_levels {
            row.push(levels_text(&c.levels));
        }
        t.add_row(row);
    }
    t.to_string()
}

/// `2, 3` for the levels a check applies to.
fn levels_text(levels: &[u8]) -> String {
    levels
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `checks show ID`: everything the catalog says about one check.
pub fn check_details(c: &CheckDef, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  [{}] {}",
        c.id,
        risk_label(c.risk, lang),
        c.title.get(lang)
    );
    let sections = [
        (
            lang.pick("检查内容", "What it checks"),
            c.description.get(lang),
        ),
        (lang.pick("风险说明", "Why it matters"), c.why.get(lang)),
        (lang.pick("整改措施", "How to fix"), c.remediation.get(lang)),
    ];
    for (head, body) in sections {
        let _ = writeln!(out, "\n{head}\n  {body}");
    }
    let _ = writeln!(out, "\n{}", lang.pick("依据", "References"));
    for r in &c.references {
        let _ = writeln!(out, "  {r}");
    }
    if !c.clauses.is_empty() {
        let _ = writeln!(
            out,
            "\n{}: GB/T 22239-2019 {}",
            lang.pick("对应条款", "Clauses"),
            c.clauses.join(", ")
        );
    }
    if !c.levels.is_empty() {
        let _ = writeln!(
            out,
            "{}: {}",
            lang.pick("适用等级", "Levels"),
            levels_text(&c.levels)
        );
    }
    let _ = writeln!(
        out,
        "\n{}: {}  ·  {}: {}",
        lang.pick("类别", "area"),
        c.area,
        lang.pick("定义于", "defined in"),
        c.file
    );
    out
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

/// The per-clause compliance view of `level`: for each GB/T 22239-2019
/// clause the checks map to, their counts and what they mean for it.
pub fn clause_table(checks: &[CheckRun], catalog: &Catalog, level: u8, lang: Lang) -> String {
    let tallies = compliance::tally(catalog, level, checks);
    if tallies.is_empty() {
        return String::new();
    }
    let mut t = table(vec![
        lang.pick("条款", "clause"),
        lang.pick("控制点", "control"),
        lang.pick("结论", "verdict"),
        lang.pick("通过", "passed"),
        lang.pick("不通过", "findings"),
        lang.pick("无法检查", "could not run"),
        lang.pick("不适用", "n/a"),
        lang.pick("不通过的检查项", "checks with findings"),
    ]);
    for c in &tallies {
        let control = compliance::control_name(&c.clause)
            .map(|(zh, en)| lang.pick(zh, en))
            .unwrap_or("");
        let verdict = c.verdict();
        let failing: Vec<&str> = c
            .checks
            .iter()
            .filter(|(_, status)| *status == "findings")
            .map(|(id, _)| id.as_str())
            .collect();
        t.add_row(vec![
            c.clause.clone(),
            control.to_string(),
            lang.pick(verdict.zh(), verdict.en()).to_string(),
            c.passed.to_string(),
            c.findings.to_string(),
            c.could_not_run.to_string(),
            c.not_applicable.to_string(),
            if failing.is_empty() {
                "-".to_string()
            } else {
                failing.join("\n")
            },
        ]);
    }
    let (met, judged) = compliance::met_of_judged(&tallies);
    format!(
        "\n{} ({} {level} · {}) — {}\n{t}\n",
        lang.pick("按条款的符合情况", "Compliance by clause"),
        lang.pick("等级", "level"),
        lang.pick(
            "GB/T 22239-2019 安全计算环境",
            "GB/T 22239-2019 computing environment"
        ),
        match lang {
            Lang::Zh => format!("{met}/{judged} 条款自动检查项全部通过"),
            Lang::En => format!("{met}/{judged} clauses with every automated check passed"),
        }
    )
}

/// `baseline`: one row per check with its outcome, subjects and evidence.
pub fn baseline_table(out: &crate::audit::AuditOutput, catalog: &Catalog, lang: Lang) -> String {
    let mut t = table(vec![
        "id",
        lang.pick("结果", "outcome"),
        lang.pick("对象", "subject"),
        lang.pick("证据", "evidence"),
    ]);
    for run in &out.checks {
        let title = catalog
            .get(&run.check_id)
            .map(|c| c.title.get(lang).to_string())
            .unwrap_or_default();
        let id = format!("{}\n{title}", run.check_id);
        match &run.outcome {
            CheckOutcome::Passed => {
                t.add_row(vec![
                    id,
                    lang.pick("通过", "passed").into(),
                    String::new(),
                    String::new(),
                ]);
            }
            CheckOutcome::CouldNotRun { reason } => {
                t.add_row(vec![
                    id,
                    lang.pick("无法执行", "could not run").into(),
                    String::new(),
                    reason.clone(),
                ]);
            }
            CheckOutcome::NotApplicable {
                reason,
                approver,
                expires,
            } => {
                let mut why = reason.clone();
                if let (Some(a), Some(d)) = (approver, expires) {
                    let _ = write!(
                        why,
                        "\n{} {a} · {} {d}",
                        lang.pick("批准人", "approved by"),
                        lang.pick("有效期至", "until")
                    );
                }
                t.add_row(vec![
                    id,
                    lang.pick("不适用", "not applicable").into(),
                    String::new(),
                    why,
                ]);
            }
            _ => {
                for f in out.findings.iter().filter(|f| f.check_id == run.check_id) {
                    t.add_row(vec![
                        id.clone(),
                        risk_label(f.risk, lang).to_string(),
                        f.subject.clone(),
                        f.evidence.join("\n"),
                    ]);
                }
            }
        }
    }
    t.to_string()
}
