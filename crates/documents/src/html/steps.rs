//! Section 7 of the monthly report (下一步工作): next steps generated from
//! the month's data, most urgent first.

use super::{escape, put, t};
use crate::Documents;
use selfcheck_catalog::Lang;
use selfcheck_ledger::engine::{NOT_INSPECTED_CHECK, Status};
use selfcheck_ledger::ledger::{Column, LedgerRow, risk_label};
use selfcheck_report::Severity;
use std::fmt::Write;

/// How many items a next step names before “…”.
const SHOWN_ITEMS: usize = 8;

/// `a, b, c, …` of at most [`SHOWN_ITEMS`] names.
fn some(names: impl IntoIterator<Item = String>) -> String {
    let mut v: Vec<String> = names.into_iter().collect();
    if v.len() > SHOWN_ITEMS {
        v.truncate(SHOWN_ITEMS);
        v.push("…".into());
    }
    v.join(", ")
}

fn row_name(r: &LedgerRow, lang: Lang) -> String {
    let asset = r.cell(Column::AssetName, lang);
    format!("{} {asset}", r.cell(Column::FindingNo, lang))
}

/// Section 7: next steps from the data: overdue first, then not-inspected
/// assets, checks that could not run, re-checks, unregistered hosts.
pub(super) fn next_steps(out: &mut String, docs: &Documents<'_>, lang: Lang) {
    let l = docs.ledger;
    let mut steps: Vec<String> = Vec::new();
    let overdue: Vec<&LedgerRow> = l.rows.iter().filter(|r| r.row.state.overdue).collect();
    if !overdue.is_empty() {
        let levels = Severity::ALL_DESC
            .iter()
            .filter_map(|&lv| {
                let n = overdue.iter().filter(|r| r.row.state.risk == lv).count();
                (n > 0).then(|| format!("{} {n}", risk_label(lv, lang)))
            })
            .collect::<Vec<_>>()
            .join(t(lang, "、", ", "));
        steps.push(match lang {
            Lang::Zh => format!(
                "立即整改逾期问题 {} 项（{levels}）：{}。确实无法按期整改的，记录临时缓解措施，并报直接责任人审批。",
                overdue.len(),
                some(overdue.iter().map(|r| row_name(r, lang)))
            ),
            Lang::En => format!(
                "Fix the {} overdue rows at once ({levels}): {}. Where a fix must wait, record an interim mitigation and have the directly responsible person approve it.",
                overdue.len(),
                some(overdue.iter().map(|r| row_name(r, lang)))
            ),
        });
    }
    let urgent: Vec<&LedgerRow> = l
        .rows
        .iter()
        .filter(|r| {
            let st = &r.row.state;
            !st.overdue
                && matches!(
                    st.status,
                    Status::Open | Status::InProgress | Status::Reopened
                )
                && st.risk >= Severity::High
                && r.row.check_id.as_str() != NOT_INSPECTED_CHECK
        })
        .collect();
    if !urgent.is_empty() {
        let first = urgent.iter().filter_map(|r| r.row.state.deadline).min();
        steps.push(match lang {
            Lang::Zh => format!(
                "按整改时限完成超危、高危问题 {} 项{}：{}。",
                urgent.len(),
                first.map_or_else(String::new, |d| format!("（最早时限 {d}）")),
                some(urgent.iter().map(|r| row_name(r, lang)))
            ),
            Lang::En => format!(
                "Fix the {} critical and high rows by their deadlines{}: {}.",
                urgent.len(),
                first.map_or_else(String::new, |d| format!(" (earliest {d})")),
                some(urgent.iter().map(|r| row_name(r, lang)))
            ),
        });
    }
    let missing: Vec<String> = l
        .hosts
        .iter()
        .filter(|h| !h.inspected)
        .map(|h| {
            h.asset
                .as_ref()
                .map_or_else(|| h.hostname.clone(), |a| a.asset_name.clone())
        })
        .collect();
    if !missing.is_empty() {
        steps.push(match lang {
            Lang::Zh => format!(
                "补检本月未检查的资产 {} 台：{}。确认 selfcheck-agent 正常运行并导入报告；已下线或移交的资产，更新资产台账。",
                missing.len(),
                some(missing)
            ),
            Lang::En => format!(
                "Inspect the {} assets not inspected this month: {}. Make sure selfcheck-agent runs and import its report; update the asset registry for retired or handed-over assets.",
                missing.len(),
                some(missing)
            ),
        });
    }
    let could_not: Vec<String> = l
        .hosts
        .iter()
        .filter(|h| !h.could_not_run.is_empty())
        .map(|h| {
            let ids: Vec<&str> = h.could_not_run.iter().map(|(id, _)| id.as_str()).collect();
            format!("{} ({})", h.hostname, ids.join(", "))
        })
        .collect();
    if !could_not.is_empty() {
        steps.push(match lang {
            Lang::Zh => format!(
                "排查未能运行的检查项（{} 台主机）：{}。按检查记录中的原因处理（权限、缺少命令或数据）后重新检查。",
                could_not.len(),
                some(could_not)
            ),
            Lang::En => format!(
                "Resolve the checks that could not run ({} hosts): {}. Fix the cause given in the inspection record (permissions, missing tools or data) and inspect again.",
                could_not.len(),
                some(could_not)
            ),
        });
    }
    let recheck: Vec<&LedgerRow> = l
        .rows
        .iter()
        .filter(|r| r.row.state.status == Status::FixedPendingRecheck)
        .collect();
    if !recheck.is_empty() {
        steps.push(match lang {
            Lang::Zh => format!(
                "下月检查时复查已整改待复查的问题 {} 项：{}。",
                recheck.len(),
                some(recheck.iter().map(|r| row_name(r, lang)))
            ),
            Lang::En => format!(
                "Re-check the {} rows said to be fixed at next month's inspection: {}.",
                recheck.len(),
                some(recheck.iter().map(|r| row_name(r, lang)))
            ),
        });
    }
    let unregistered: Vec<String> = l
        .hosts
        .iter()
        .filter(|h| h.unregistered)
        .map(|h| h.hostname.clone())
        .collect();
    if !unregistered.is_empty() {
        steps.push(match lang {
            Lang::Zh => format!(
                "将未登记的主机 {} 台补录入资产台账，明确责任单位和责任人：{}。",
                unregistered.len(),
                some(unregistered)
            ),
            Lang::En => format!(
                "Add the {} hosts missing from the asset registry, with their responsible unit and person: {}.",
                unregistered.len(),
                some(unregistered)
            ),
        });
    }
    if steps.is_empty() {
        steps.push(
            t(
                lang,
                "本月无逾期、未检查或待复查事项，保持现有整改成果。",
                "Nothing is overdue, uninspected or awaiting re-check this month; keep the current state.",
            )
            .to_string(),
        );
    }
    steps.push(
        t(
            lang,
            "下月按时开展月度自查，更新检查整改台账，并按要求报送本报告、台账及佐证材料。",
            "Run next month's self-inspection on time, update the ledger, and submit this report, the ledger and the evidence as required.",
        )
        .to_string(),
    );
    put!(
        out,
        "<section id=\"next-steps\">\n<h2>{}</h2>\n<ol class=\"steps\">\n",
        t(lang, "七、下一步工作", "7. Next steps")
    );
    for s in steps {
        put!(out, "<li>{}</li>\n", escape(&s));
    }
    out.push_str("</ol>\n</section>\n");
}
