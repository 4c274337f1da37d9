//! The configuration baseline for people: each check's outcome and the
//! compliance view per GB/T 22239-2019 clause.

use super::{json_document, risk_label, table};
use crate::audit::AuditOutput;
use selfcheck_catalog::compliance::ClauseTally;
use selfcheck_catalog::{Catalog, Lang, compliance};
use selfcheck_report::{CheckId, CheckOutcome, CheckRun, Finding, ProtectionLevel};
use serde::Serialize;
use std::fmt::Write as _;

/// The per-clause compliance view of `level`: for each GB/T 22239-2019
/// clause the checks map to, their counts and what they mean for it.
pub fn clause_table(
    checks: &[CheckRun],
    catalog: &Catalog,
    level: ProtectionLevel,
    lang: Lang,
) -> String {
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
pub fn baseline_table(out: &AuditOutput, catalog: &Catalog, lang: Lang) -> String {
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

/// One check of a clause, in the JSON of `baseline`.
#[derive(Debug, Serialize)]
pub struct ClauseCheckView<'a> {
    /// The check id.
    pub check_id: &'a CheckId,
    /// `passed`, `findings`, `could_not_run` or `not_applicable`.
    pub status: &'a str,
}

/// One clause of the compliance view, in the JSON of `baseline`.
#[derive(Debug, Serialize)]
pub struct ClauseView<'a> {
    /// The checks mapped to the clause and their status.
    pub checks: Vec<ClauseCheckView<'a>>,
    /// The clause, e.g. 8.1.4.1.
    pub clause: &'a str,
    /// The control point's Chinese name, when the clause table has it.
    pub control: Option<&'static str>,
    /// Checks that could not run.
    pub could_not_run: u32,
    /// Checks with findings.
    pub findings: u32,
    /// Checks that do not apply.
    pub not_applicable: u32,
    /// Checks that passed.
    pub passed: u32,
    /// What the counts mean for the clause.
    pub verdict: &'static str,
}

impl<'a> From<&'a ClauseTally> for ClauseView<'a> {
    fn from(c: &'a ClauseTally) -> ClauseView<'a> {
        ClauseView {
            checks: c
                .checks
                .iter()
                .map(|(id, s)| ClauseCheckView {
                    check_id: id,
                    status: s,
                })
                .collect(),
            clause: &c.clause,
            control: compliance::control_name(&c.clause).map(|n| n.0),
            could_not_run: c.could_not_run,
            findings: c.findings,
            not_applicable: c.not_applicable,
            passed: c.passed,
            verdict: c.verdict().as_str(),
        }
    }
}

/// `baseline --format json`: {"level", "checks", "findings", "clauses"}.
#[derive(Debug, Serialize)]
pub struct BaselineView<'a> {
    /// Each check's outcome.
    pub checks: &'a [CheckRun],
    /// The compliance view per clause.
    pub clauses: Vec<ClauseView<'a>>,
    /// The findings.
    pub findings: &'a [Finding],
    /// The protection level applied.
    pub level: ProtectionLevel,
}

/// The JSON document of `baseline`: the outcomes and findings of `out` and
/// the compliance view of `level`.
pub fn baseline_json(
    out: &AuditOutput,
    catalog: &Catalog,
    level: ProtectionLevel,
) -> serde_json::Result<String> {
    let tallies = compliance::tally(catalog, level, &out.checks);
    json_document(&BaselineView {
        checks: &out.checks,
        clauses: tallies.iter().map(ClauseView::from).collect(),
        findings: &out.findings,
        level,
    })
}
