//! Sections 5 and 6 of the monthly report: the rectification table
//! (整改情况) and what became of last month's rows (上月问题结转情况).
//!
//! Above [`GROUP_ABOVE`] rows a table shows one row per check and asset, as
//! the xlsx rectification sheet does: “有待安装的安全更新（共 81 项）：openssl,
//! libc6, …” with the highest risk, the earliest pending deadline, and closed
//! only when every member is.

use super::{
    GROUP_ABOVE, asset_cell, escape, level_class, lines, put, rate, short_description, t, t_w,
    table_head,
};
use crate::Documents;
use selfcheck_catalog::Lang;
use selfcheck_ledger::engine::Status;
use selfcheck_ledger::ledger::{Column, LedgerRow, risk_label};
use selfcheck_report::{CheckId, Fingerprint, Severity};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// How many subjects a grouped description names before “…”.
const SHOWN_SUBJECTS: usize = 8;

/// The rows of one check on one asset ([`crate::sheets::groups`]),
/// or one row per group when `group` is false.
fn groups<'a>(rows: &[&'a LedgerRow], group: bool) -> Vec<Vec<&'a LedgerRow>> {
    if !group {
        return rows.iter().map(|r| vec![*r]).collect();
    }
    let mut index: HashMap<(&str, &CheckId), usize> = HashMap::new();
    let mut out: Vec<Vec<&LedgerRow>> = Vec::new();
    for r in rows {
        let at = *index
            .entry((&*r.row.asset_key, &r.row.check_id))
            .or_insert_with(|| {
                out.push(Vec::new());
                out.len() - 1
            });
        out[at].push(*r);
    }
    out
}

fn finding_no(g: &[&LedgerRow], lang: Lang) -> String {
    let no = g[0].cell(Column::FindingNo, lang);
    match (g.len(), lang) {
        (1, _) => no,
        (n, Lang::Zh) => format!("{no} 等 {n} 项"),
        (n, Lang::En) => format!("{no} and {} more", n - 1),
    }
}

fn description(g: &[&LedgerRow], lang: Lang) -> String {
    if g.len() == 1 {
        return short_description(g[0], lang);
    }
    let subjects: Vec<&str> = g
        .iter()
        .take(SHOWN_SUBJECTS)
        .map(|r| r.row.subject.as_str())
        .collect();
    let more = if g.len() > SHOWN_SUBJECTS {
        ", …"
    } else {
        ""
    };
    let title = g[0].check_title.get(lang);
    match lang {
        Lang::Zh => format!(
            "{title}（共 {} 项）：{}{more}",
            g.len(),
            subjects.join(", ")
        ),
        Lang::En => format!("{title} ({} items): {}{more}", g.len(), subjects.join(", ")),
    }
}

fn risk(g: &[&LedgerRow]) -> Severity {
    g.iter()
        .map(|r| r.row.state.risk)
        .max()
        .unwrap_or(Severity::Info)
}

/// The members' different texts, one per line (at most three).
fn distinct(g: &[&LedgerRow], text: impl Fn(&LedgerRow) -> String) -> String {
    let mut seen: Vec<String> = Vec::new();
    for r in g {
        let s = text(r);
        if s.is_empty() || s == "—" || seen.contains(&s) {
            continue;
        }
        if seen.len() == 3 {
            seen.push("…".into());
            break;
        }
        seen.push(s);
    }
    if seen.is_empty() {
        "—".into()
    } else {
        seen.join("\n")
    }
}

fn deadline(g: &[&LedgerRow]) -> String {
    g.iter()
        .map(|r| &r.row.state)
        .filter(|s| s.status.awaits_rectification())
        .filter_map(|s| s.deadline)
        .min()
        .map_or_else(|| "—".into(), |d| d.to_string())
}

/// Status text and whether it is overdue: the least done member's status,
/// with how many members are closed.
fn status(g: &[&LedgerRow], lang: Lang) -> (String, bool) {
    let least = g
        .iter()
        .map(|r| r.row.state.status)
        .min_by_key(|&s| s.doneness())
        .unwrap_or(Status::Open);
    let overdue = g.iter().any(|r| r.row.state.overdue);
    let mut text = t(lang, least.zh(), least.en()).to_string();
    if overdue {
        text.push_str(t(lang, "（逾期）", " (overdue)"));
    }
    let closed = g
        .iter()
        .filter(|r| r.row.state.status == Status::Closed)
        .count();
    if closed > 0 && closed < g.len() {
        text.push_str(&match lang {
            Lang::Zh => format!("\n{closed}/{} 项已销号", g.len()),
            Lang::En => format!("\n{closed} of {} closed", g.len()),
        });
    }
    (text, overdue)
}

/// 完成时间/复查: the closing re-check, a pending one, or failed ones.
fn done_and_recheck(g: &[&LedgerRow], lang: Lang) -> String {
    if g.iter().all(|r| r.row.state.status == Status::Closed) {
        let day = g
            .iter()
            .filter_map(|r| r.row.state.closed_by.as_ref().map(|(_, d)| *d))
            .max();
        return match day {
            Some(d) => format!("{d}\n{}", t(lang, "复查通过", "re-check passed")),
            None => "—".into(),
        };
    }
    let mut parts = Vec::new();
    if let Some(d) = g.iter().filter_map(|r| r.row.state.fixed_on).max() {
        parts.push(format!("{d} {}", t(lang, "已整改", "fixed")));
    }
    if g.iter()
        .any(|r| r.row.state.status == Status::FixedPendingRecheck)
    {
        parts.push(t(lang, "待下次检查复查", "awaiting re-check").to_string());
    }
    let failed: u32 = g.iter().map(|r| r.row.state.failed_rechecks).sum();
    if failed > 0 {
        parts.push(match lang {
            Lang::Zh => format!("复查未通过 {failed} 次"),
            Lang::En => format!("failed re-check {failed}×"),
        });
    }
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join("\n")
    }
}

/// Measures recorded by people win, in full; else the catalog's remediation
/// up to its first clause (the ledger has it in full).
fn measure(r: &LedgerRow, lang: Lang) -> String {
    if let Some(m) = &r.row.state.measure {
        return m.clone();
    }
    first_clause(r.remediation.get(lang), lang)
}

/// Text up to the first clause break (full-width colon, semicolon, full
/// stop or an opening bracket; in English "; ", ". " or " ("), with "…" when
/// cut, at most 48 characters.
fn first_clause(text: &str, lang: Lang) -> String {
    const MAX: usize = 48;
    let cut = match lang {
        Lang::Zh => text.find(['：', '；', '。', '（', '(']),
        Lang::En => ["; ", ". ", " ("].iter().filter_map(|p| text.find(p)).min(),
    };
    let mut head: String = text[..cut.unwrap_or(text.len())].trim_end().to_string();
    if head.chars().count() > MAX {
        head = head.chars().take(MAX).collect();
        // English: end at a word.
        if lang == Lang::En
            && let Some(space) = head.rfind(' ')
        {
            head.truncate(space);
        }
    }
    if head.len() < text.trim_end_matches(['。', '.']).len() {
        head.push('…');
    }
    head
}

/// Section 5: the rectification table.
pub(super) fn rectification(out: &mut String, docs: &Documents<'_>, lang: Lang) {
    let l = docs.ledger;
    let rows: Vec<&LedgerRow> = l.rows.iter().collect();
    let grouped = rows.len() > GROUP_ABOVE;
    let groups = groups(&rows, grouped);
    put!(
        out,
        "<section id=\"rectification\" class=\"new-page\">\n<h2>{}</h2>\n",
        t(lang, "五、整改情况", "5. Rectification")
    );
    let by_status = |f: &dyn Fn(&LedgerRow) -> bool| rows.iter().filter(|r| f(r)).count();
    let closed = by_status(&|r| r.row.state.status == Status::Closed);
    let in_progress = by_status(&|r| r.row.state.status == Status::InProgress);
    let pending_recheck = by_status(&|r| r.row.state.status == Status::FixedPendingRecheck);
    let open = by_status(&|r| matches!(r.row.state.status, Status::Open | Status::Reopened));
    let overdue = by_status(&|r| r.row.state.overdue);
    let accepted = by_status(&|r| r.row.state.status == Status::RiskAccepted);
    let false_positive = by_status(&|r| r.row.state.status == Status::FalsePositive);
    let (total, rate) = (rows.len(), rate(l.summary.rectification_rate));
    let text = match lang {
        Lang::Zh => format!(
            "本月台账共 {total} 项问题：已销号 {closed} 项，整改中 {in_progress} 项，已整改待复查 {pending_recheck} 项，待整改（含复发）{open} 项，其中逾期 {overdue} 项；风险接受 {accepted} 项，误报 {false_positive} 项。整改率 {rate}。整改措施未由责任人填写的，列出检查目录建议措施的要点（全文见台账）。"
        ),
        Lang::En => format!(
            "The ledger has {total} rows: {closed} closed, {in_progress} in progress, {pending_recheck} fixed pending re-check, {open} open (reopened included), {overdue} of them overdue; {accepted} risk accepted, {false_positive} false positive. Rectification rate {rate}. Where no measure was recorded, the gist of the catalog's remediation is shown (the ledger has it in full)."
        ),
    };
    put!(out, "<p>{}</p>\n", escape(&text));
    if grouped {
        put!(
            out,
            "<p class=\"note\">{}</p>\n",
            escape(&match lang {
                Lang::Zh => format!(
                    "问题较多（{} 项），同一资产同一检查项的问题合并为一行（共 {} 行），逐项明细见台账“明细”表。",
                    rows.len(),
                    groups.len()
                ),
                Lang::En => format!(
                    "With {} rows, the findings of one check on one asset share a row ({} rows); the ledger's Detail sheet lists each.",
                    rows.len(),
                    groups.len()
                ),
            })
        );
    }
    if rows.is_empty() {
        put!(
            out,
            "<p>{}</p>\n</section>\n",
            t(
                lang,
                "本月无需要整改的问题。",
                "Nothing to rectify this month."
            )
        );
        return;
    }
    // English words are wider than CJK text: risk, owner and status get more room.
    let w = |zh: f32, en: f32| t_w(lang, zh, en);
    table_head(
        out,
        "rectify",
        &[
            (t(lang, "问题编号", "Finding ID"), w(13.0, 12.5)),
            (t(lang, "资产", "Asset"), w(11.5, 11.0)),
            (t(lang, "问题描述", "Description"), w(19.0, 15.5)),
            (t(lang, "风险等级", "Risk"), w(6.0, 8.0)),
            (t(lang, "整改措施", "Measure"), w(15.0, 14.0)),
            (t(lang, "责任人", "Owner"), w(6.5, 7.5)),
            (t(lang, "整改时限", "Deadline"), 10.0),
            (t(lang, "整改状态", "Status"), w(8.5, 10.5)),
            (t(lang, "完成时间/复查", "Done / re-check"), w(10.5, 11.0)),
        ],
    );
    for g in &groups {
        let level = risk(g);
        let (status, overdue) = status(g, lang);
        let status_class = if overdue {
            " class=\"overdue\""
        } else if g.iter().all(|r| r.row.state.status == Status::Closed) {
            " class=\"closed\""
        } else {
            ""
        };
        put!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td{status_class}>{}</td><td>{}</td></tr>\n",
            escape(&finding_no(g, lang)),
            asset_cell(g[0], lang),
            lines(&description(g, lang)),
            level_class(level),
            risk_label(level, lang),
            lines(&distinct(g, |r| measure(r, lang))),
            lines(&distinct(g, |r| r.cell(Column::Owner, lang))),
            escape(&deadline(g)),
            lines(&status),
            lines(&done_and_recheck(g, lang)),
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// What became of a row of last month in this month's ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Overdue,
    StillOpen,
    Accepted,
    Closed,
    Gone,
}

fn outcome(now: Option<&LedgerRow>) -> Outcome {
    let Some(r) = now else {
        return Outcome::Gone;
    };
    let st = &r.row.state;
    match st.status {
        Status::Closed => Outcome::Closed,
        Status::RiskAccepted | Status::FalsePositive => Outcome::Accepted,
        _ if st.overdue => Outcome::Overdue,
        _ => Outcome::StillOpen,
    }
}

/// The text of what became of a group of last month's rows.
fn outcome_text(now: &[Option<&LedgerRow>], lang: Lang) -> (String, &'static str) {
    let mut by: BTreeMap<Outcome, usize> = BTreeMap::new();
    for r in now {
        *by.entry(outcome(*r)).or_default() += 1;
    }
    let first = now.first().copied().flatten();
    let worst = by.keys().next().copied().unwrap_or(Outcome::Gone);
    let class = match worst {
        Outcome::Overdue => " class=\"overdue\"",
        Outcome::Closed => " class=\"closed\"",
        _ => "",
    };
    if now.len() == 1 {
        let text = match (worst, first) {
            (Outcome::Closed, Some(r)) => format!(
                "{}{}",
                t(lang, "本月已销号 ", "closed "),
                r.row
                    .state
                    .closed_by
                    .as_ref()
                    .map_or_else(String::new, |(_, d)| d.to_string())
            ),
            (Outcome::Overdue, Some(r)) => format!(
                "{}{}",
                t(lang, "逾期未整改，时限 ", "overdue, deadline "),
                r.cell(Column::Deadline, lang)
            ),
            (Outcome::StillOpen | Outcome::Accepted, Some(r)) => {
                let mut s = r.cell(Column::Status, lang);
                if worst == Outcome::StillOpen {
                    s.push_str(&format!(
                        "{}{}",
                        t(lang, "，时限 ", ", deadline "),
                        r.cell(Column::Deadline, lang)
                    ));
                }
                s
            }
            _ => t(lang, "本月台账无此项", "not in this month's ledger").to_string(),
        };
        return (text, class);
    }
    let names = |o: Outcome| match o {
        Outcome::Overdue => t(lang, "逾期", "overdue"),
        Outcome::StillOpen => t(lang, "仍在整改", "still open"),
        Outcome::Accepted => t(lang, "风险接受/误报", "accepted / false positive"),
        Outcome::Closed => t(lang, "已销号", "closed"),
        Outcome::Gone => t(lang, "本月台账无此项", "not in the ledger"),
    };
    let text = by
        .iter()
        .map(|(o, n)| match lang {
            Lang::Zh => format!("{} {n} 项", names(*o)),
            Lang::En => format!("{n} {}", names(*o)),
        })
        .collect::<Vec<_>>()
        .join(t(lang, "，", ", "));
    (text, class)
}

/// Section 6: last month's rows not closed at its end, and what became of them.
pub(super) fn carry_over(out: &mut String, docs: &Documents<'_>, lang: Lang) {
    put!(
        out,
        "<section id=\"carry-over\">\n<h2>{}</h2>\n",
        t(
            lang,
            "六、上月问题结转情况",
            "6. Carry-over from last month"
        )
    );
    let Some(previous) = docs.previous else {
        put!(
            out,
            "<p>{}</p>\n</section>\n",
            t(
                lang,
                "本月为首次检查（台账中没有上月记录），无上月结转问题。",
                "This is the first month (the ledger has no previous month), so nothing is carried over."
            )
        );
        return;
    };
    let now: HashMap<&Fingerprint, &LedgerRow> = docs
        .ledger
        .rows
        .iter()
        .map(|r| (&r.row.fingerprint, r))
        .collect();
    let carried: Vec<&LedgerRow> = previous
        .rows
        .iter()
        .filter(|r| r.row.state.status != Status::Closed)
        .collect();
    let closed_before = previous.rows.len() - carried.len();
    let count = |o: Outcome| {
        carried
            .iter()
            .filter(|r| outcome(now.get(&r.row.fingerprint).copied()) == o)
            .count()
    };
    let (closed, overdue, open) = (
        count(Outcome::Closed),
        count(Outcome::Overdue),
        count(Outcome::StillOpen),
    );
    let other = carried.len() - closed - overdue - open;
    let text = match lang {
        Lang::Zh => format!(
            "{} 台账共 {} 项问题，其中当月已销号 {closed_before} 项，结转至本月 {} 项：本月销号 {closed} 项，仍在整改 {open} 项，逾期 {overdue} 项，其他（风险接受、误报等）{other} 项。",
            super::month_name(previous.period, lang),
            previous.rows.len(),
            carried.len()
        ),
        Lang::En => format!(
            "The ledger of {} had {} rows; {closed_before} were closed that month and {} carried over: {closed} closed this month, {open} still open, {overdue} overdue, {other} other (risk accepted, false positive).",
            super::month_name(previous.period, lang),
            previous.rows.len(),
            carried.len()
        ),
    };
    put!(out, "<p>{}</p>\n", escape(&text));
    if carried.is_empty() {
        out.push_str("</section>\n");
        return;
    }
    table_head(
        out,
        "carry",
        &[
            (t(lang, "问题编号", "Finding ID"), 13.5),
            (t(lang, "资产", "Asset"), 14.0),
            (t(lang, "问题描述", "Description"), t_w(lang, 27.0, 25.5)),
            (t(lang, "风险等级", "Risk"), t_w(lang, 6.5, 8.0)),
            (t(lang, "上月状态", "Last month"), 13.0),
            (t(lang, "本月情况", "This month"), 26.0),
        ],
    );
    for g in groups(&carried, carried.len() > GROUP_ABOVE) {
        let level = risk(&g);
        let (was, _) = status(&g, lang);
        let is: Vec<Option<&LedgerRow>> = g
            .iter()
            .map(|r| now.get(&r.row.fingerprint).copied())
            .collect();
        let (text, class) = outcome_text(&is, lang);
        put!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td{class}>{}</td></tr>\n",
            escape(&finding_no(&g, lang)),
            asset_cell(g[0], lang),
            lines(&description(&g, lang)),
            level_class(level),
            risk_label(level, lang),
            lines(&was),
            lines(&text),
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remediation_is_cut_at_its_first_clause() {
        assert_eq!(
            first_clause(
                "停用并卸载 Telnet 服务（如 systemctl disable --now telnet.socket），改用 SSH。",
                Lang::Zh
            ),
            "停用并卸载 Telnet 服务…"
        );
        assert_eq!(
            first_clause(
                "在维护窗口内重启主机，重启后确认 uname -r 为最新内核。",
                Lang::Zh
            ),
            "在维护窗口内重启主机，重启后确认 uname -r 为最新内核"
        );
        assert_eq!(
            first_clause(
                "Set net.bindIp: 127.0.0.1 and enable auth (see docs).",
                Lang::En
            ),
            "Set net.bindIp: 127.0.0.1 and enable auth…"
        );
    }
}
