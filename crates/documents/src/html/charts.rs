//! Section 4 of the monthly report (检查结果): the counts by risk level as a
//! table and a bar chart, the most frequent problems, and the 12-month trend
//! as a bar-and-line chart. The charts are inline SVG written by hand
//! (rectangles, polylines and text), so the file needs nothing else to print.

use super::{escape, level_class, level_fill, put, rate, t, table_head};
use crate::{Documents, TrendPoint};
use selfcheck_catalog::Lang;
use selfcheck_ledger::engine::{LevelSummary, Status};
use selfcheck_ledger::ledger::risk_label;
use selfcheck_report::{CheckId, Severity};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Width and height of a chart's view box; the plot area's margins.
const W: f64 = 680.0;
const LEFT: f64 = 46.0;
const RIGHT: f64 = 12.0;

const NEW: &str = "#4472C4";
const CLOSED: &str = "#70AD47";
const PENDING: &str = "#ED7D31";
const OVERDUE: &str = "#C00000";

/// The smallest "nice" axis maximum (1, 2 or 5 times a power of ten per
/// step, at most 5 steps) at or above `v`, and its step.
fn nice_axis(v: usize) -> (usize, usize) {
    if v <= 5 {
        return (5, 1);
    }
    let mut base = 1;
    loop {
        for m in [1, 2, 5] {
            let step = base * m;
            if v.div_ceil(step) <= 5 {
                return (v.div_ceil(step) * step, step);
            }
        }
        base *= 10;
    }
}

/// Horizontal grid lines and their labels for a plot from `top` to `bottom`.
fn grid(svg: &mut String, max: usize, step: usize, top: f64, bottom: f64) {
    let mut v = 0;
    while v <= max {
        let y = bottom - (bottom - top) * v as f64 / max as f64;
        put!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"0.6\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">{v}</text>",
            W - RIGHT,
            if v == 0 { "#666" } else { "#DDD" },
            LEFT - 5.0,
            y + 3.5,
        );
        v += step;
    }
}

/// A legend entry at `x`: a swatch (or a line) and a label; returns the next x.
fn legend(svg: &mut String, x: f64, y: f64, colour: &str, line: bool, label: &str) -> f64 {
    if line {
        put!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"2.2\"/>",
            y - 4.0,
            x + 16.0,
            y - 4.0
        );
    } else {
        put!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"10\" fill=\"{colour}\"/>",
            y - 9.0
        );
    }
    put!(
        svg,
        "<text x=\"{:.1}\" y=\"{y:.1}\" font-size=\"11\" fill=\"#222\">{}</text>",
        x + 20.0,
        escape(label)
    );
    // CJK characters are about one em wide, Latin ones about half.
    let width: f64 = label
        .chars()
        .map(|c| if c.is_ascii() { 6.0 } else { 11.0 })
        .sum();
    x + 20.0 + width + 18.0
}

fn total(by_level: &[(Severity, LevelSummary)], f: fn(&LevelSummary) -> usize) -> usize {
    by_level.iter().map(|(_, c)| f(c)).sum()
}

/// Section 4: results by level, the main problems and the trend.
pub(super) fn results(out: &mut String, docs: &Documents<'_>, lang: Lang) {
    let s = &docs.ledger.summary;
    put!(
        out,
        "<section id=\"results\" class=\"new-page\">\n<h2>{}</h2>\n",
        t(lang, "四、检查结果", "4. Results")
    );
    let rows = total(&s.by_level, |c| c.rows);
    let text = match lang {
        Lang::Zh => format!(
            "本月台账共有问题 {rows} 项，其中本月新增 {} 项、上月结转 {} 项；本月销号 {} 项，逾期未整改 {} 项，待整改 {} 项；整改率 {}（本月销号 ÷（本月销号 + 待整改），超危至低危）。",
            total(&s.by_level, |c| c.new),
            total(&s.by_level, |c| c.carried_over),
            total(&s.by_level, |c| c.closed_this_month),
            total(&s.by_level, |c| c.overdue),
            total(&s.by_level, |c| c.pending),
            rate(s.rectification_rate)
        ),
        Lang::En => format!(
            "The ledger has {rows} rows this month: {} new and {} carried over; {} closed this month, {} overdue, {} pending. Rectification rate {} (closed this month ÷ (closed this month + pending), critical to low).",
            total(&s.by_level, |c| c.new),
            total(&s.by_level, |c| c.carried_over),
            total(&s.by_level, |c| c.closed_this_month),
            total(&s.by_level, |c| c.overdue),
            total(&s.by_level, |c| c.pending),
            rate(s.rectification_rate)
        ),
    };
    put!(out, "<p>{}</p>\n", escape(&text));
    put!(
        out,
        "<h3>{}</h3>\n",
        t(lang, "按风险等级统计", "By risk level")
    );
    level_table(out, &s.by_level, lang);
    level_chart(out, &s.by_level, lang);
    main_problems(out, docs, lang);
    clause_compliance(out, docs, lang);
    put!(
        out,
        "<h3>{}</h3>\n",
        t(lang, "近 12 个月趋势", "Trend over the last 12 months")
    );
    trend_chart(out, &docs.trend, lang);
    trend_table(out, &docs.trend, lang);
    out.push_str("</section>\n");
}

fn level_table(out: &mut String, by_level: &[(Severity, LevelSummary)], lang: Lang) {
    let headers: [(&str, &str); 9] = [
        ("风险等级", "Risk level"),
        ("问题", "Rows"),
        ("新增", "New"),
        ("上月结转", "Carried over"),
        ("本月销号", "Closed"),
        ("逾期", "Overdue"),
        ("待整改", "Pending"),
        ("风险接受", "Risk accepted"),
        ("误报", "False positive"),
    ];
    let columns: Vec<(&str, f32)> = headers
        .iter()
        .enumerate()
        .map(|(i, (zh, en))| (t(lang, zh, en), if i == 0 { 16.0 } else { 10.5 }))
        .collect();
    table_head(out, "levels", &columns);
    let counts = |c: &LevelSummary| {
        [
            c.rows,
            c.new,
            c.carried_over,
            c.closed_this_month,
            c.overdue,
            c.pending,
            c.risk_accepted,
            c.false_positive,
        ]
    };
    let mut sum = [0usize; 8];
    for (level, c) in by_level {
        put!(
            out,
            "<tr><td class=\"{}\">{}</td>",
            level_class(*level),
            risk_label(*level, lang)
        );
        for (i, n) in counts(c).into_iter().enumerate() {
            sum[i] += n;
            let class = if i == 4 && n > 0 { " overdue" } else { "" };
            put!(out, "<td class=\"num{class}\">{n}</td>");
        }
        out.push_str("</tr>\n");
    }
    put!(
        out,
        "<tr class=\"total\"><td>{}</td>",
        t(lang, "合计", "Total")
    );
    for n in sum {
        put!(out, "<td class=\"num\">{n}</td>");
    }
    out.push_str("</tr>\n</tbody></table>\n");
}

/// Per level: rows (in the level's colour), new, closed this month, overdue.
fn level_chart(out: &mut String, by_level: &[(Severity, LevelSummary)], lang: Lang) {
    const H: f64 = 250.0;
    let (top, bottom) = (34.0, 214.0);
    let max = by_level
        .iter()
        .map(|(_, c)| c.rows.max(c.new).max(c.closed_this_month).max(c.overdue))
        .max()
        .unwrap_or(0);
    let (max, step) = nice_axis(max);
    let mut svg = String::new();
    put!(
        svg,
        "<svg class=\"chart levels\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">"
    );
    let mut x = LEFT;
    x = legend(
        &mut svg,
        x,
        14.0,
        "#999",
        false,
        t(lang, "问题（等级色）", "rows (level colour)"),
    );
    x = legend(&mut svg, x, 14.0, NEW, false, t(lang, "新增", "new"));
    x = legend(
        &mut svg,
        x,
        14.0,
        CLOSED,
        false,
        t(lang, "本月销号", "closed"),
    );
    legend(
        &mut svg,
        x,
        14.0,
        OVERDUE,
        false,
        t(lang, "逾期", "overdue"),
    );
    grid(&mut svg, max, step, top, bottom);
    let slot = (W - LEFT - RIGHT) / by_level.len().max(1) as f64;
    let bar = 22.0;
    for (i, (level, c)) in by_level.iter().enumerate() {
        let x0 = LEFT + slot * i as f64 + (slot - 4.0 * bar - 3.0 * 4.0) / 2.0;
        let series = [
            (c.rows, level_fill(*level)),
            (c.new, NEW),
            (c.closed_this_month, CLOSED),
            (c.overdue, OVERDUE),
        ];
        for (j, (n, colour)) in series.into_iter().enumerate() {
            let h = (bottom - top) * n as f64 / max as f64;
            let bx = x0 + j as f64 * (bar + 4.0);
            put!(
                svg,
                "<rect x=\"{bx:.1}\" y=\"{:.1}\" width=\"{bar}\" height=\"{h:.1}\" fill=\"{colour}\" stroke=\"#555\" stroke-width=\"0.4\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#222\">{n}</text>",
                bottom - h,
                bx + bar / 2.0,
                bottom - h - 3.0
            );
        }
        put!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#111\">{}</text>",
            LEFT + slot * (i as f64 + 0.5),
            bottom + 18.0,
            escape(risk_label(*level, lang))
        );
    }
    svg.push_str("</svg>");
    put!(
        out,
        "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
        t(
            lang,
            "图 1 本月问题按风险等级分布",
            "Figure 1. This month's rows by risk level"
        )
    );
}

/// The checks with the most rows, most severe first (at most 10).
/// Hosts per verdict for each GB/T 22239-2019 clause the configuration
/// baseline checks (the 条款符合情况 sheet); nothing without baseline checks.
fn clause_compliance(out: &mut String, docs: &Documents<'_>, lang: Lang) {
    let summaries = selfcheck_ledger::engine::compliance::unit_summary(
        docs.ledger.hosts.iter().map(|h| h.compliance.as_slice()),
    );
    if summaries.is_empty() {
        return;
    }
    put!(
        out,
        "<h3>{}</h3>\n<p class=\"note\">{}</p>\n",
        t(
            lang,
            "等级保护条款符合情况",
            "Compliance by GB/T 22239-2019 clause"
        ),
        t(
            lang,
            "按各主机的等保级别（资产台账，未登记时按 agent 的配置）统计自动检查项的结果：全部通过为符合，部分不通过为部分符合，全部不通过为不符合，有检查项无法执行为待核查，经批准豁免为不适用。自动检查仅覆盖各条款可由配置文件判定的部分，其余内容仍需人工核查。",
            "Results of the automated checks at each host's protection level (the asset registry's, else the agent's): all passed = met, some failing = partly met, all failing = not met, some could not run = to verify by hand, exempted = not applicable. The automated checks cover only what configuration files show; the rest of each clause is checked by hand."
        )
    );
    table_head(
        out,
        "clauses",
        &[
            (t(lang, "条款", "Clause"), 13.0),
            (t(lang, "控制点", "Control"), 19.0),
            (t(lang, "主机", "Hosts"), 9.0),
            (t(lang, "符合", "Met"), 9.0),
            (t(lang, "部分符合", "Partly met"), 11.0),
            (t(lang, "不符合", "Not met"), 10.0),
            (t(lang, "待核查", "To verify"), 10.0),
            (t(lang, "不适用", "N/A"), 9.0),
            (t(lang, "符合率", "Met rate"), 10.0),
        ],
    );
    for s in &summaries {
        let control = selfcheck_catalog::compliance::control_name(&s.clause)
            .map(|(zh, en)| t(lang, zh, en))
            .unwrap_or("");
        let met_rate = s.met_rate();
        let class = if s.hosts_not_met > 0 {
            " class=\"overdue\""
        } else {
            ""
        };
        put!(
            out,
            "<tr><td class=\"nowrap\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\"{class}>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(&s.clause),
            escape(control),
            s.hosts(),
            s.hosts_met,
            s.hosts_partly_met,
            s.hosts_not_met,
            s.hosts_unverified,
            s.hosts_not_applicable,
            rate(met_rate)
        );
    }
    out.push_str("</tbody></table>\n");
    let not_inspected = docs.ledger.hosts.iter().filter(|h| !h.inspected).count();
    if not_inspected > 0 {
        let text = match lang {
            Lang::Zh => format!("另有 {not_inspected} 台应检资产本月无检查报告，未计入上表。"),
            Lang::En => format!(
                "{not_inspected} expected asset(s) sent no report this month and are not counted above."
            ),
        };
        put!(out, "<p class=\"note\">{}</p>\n", escape(&text));
    }
}

fn main_problems(out: &mut String, docs: &Documents<'_>, lang: Lang) {
    struct Count<'a> {
        title: &'a str,
        rows: usize,
        risk: Severity,
        pending: usize,
        overdue: usize,
    }
    let mut by_check: BTreeMap<&CheckId, Count> = BTreeMap::new();
    for r in &docs.ledger.rows {
        let st = &r.row.state;
        let c = by_check.entry(&r.row.check_id).or_insert(Count {
            title: r.check_title.get(lang),
            rows: 0,
            risk: st.risk,
            pending: 0,
            overdue: 0,
        });
        c.rows += 1;
        c.risk = c.risk.max(st.risk);
        c.pending += usize::from(matches!(
            st.status,
            Status::Open | Status::InProgress | Status::Reopened | Status::FixedPendingRecheck
        ));
        c.overdue += usize::from(st.overdue);
    }
    if by_check.is_empty() {
        return;
    }
    let mut counts: Vec<(&CheckId, Count)> = by_check.into_iter().collect();
    counts.sort_by(|(a, x), (b, y)| (y.risk, y.rows, a).cmp(&(x.risk, x.rows, b)));
    let shown = counts.len().min(10);
    put!(
        out,
        "<h3>{}</h3>\n",
        t(lang, "主要问题类型", "Main problems by check")
    );
    table_head(
        out,
        "checks",
        &[
            (t(lang, "检查项", "Check"), 48.0),
            (t(lang, "最高等级", "Highest risk"), 13.0),
            (t(lang, "问题", "Rows"), 13.0),
            (t(lang, "待整改", "Pending"), 13.0),
            (t(lang, "逾期", "Overdue"), 13.0),
        ],
    );
    for (id, c) in counts.iter().take(shown) {
        put!(
            out,
            "<tr><td>{}<br><span class=\"small\">{}</span></td><td class=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td></tr>\n",
            escape(c.title),
            escape(id.as_str()),
            level_class(c.risk),
            risk_label(c.risk, lang),
            c.rows,
            c.pending,
            if c.overdue > 0 { " overdue" } else { "" },
            c.overdue
        );
    }
    out.push_str("</tbody></table>\n");
    if counts.len() > shown {
        put!(
            out,
            "<p class=\"note\">{}</p>\n",
            escape(&match lang {
                Lang::Zh => format!("另有 {} 类检查项的问题，见第五部分。", counts.len() - shown),
                Lang::En => format!(
                    "{} more checks have rows; see section 5.",
                    counts.len() - shown
                ),
            })
        );
    }
}

/// Per month: new and closed as bars, pending and overdue as lines.
fn trend_chart(out: &mut String, trend: &[TrendPoint], lang: Lang) {
    const H: f64 = 260.0;
    let (top, bottom) = (34.0, 222.0);
    let series: Vec<(String, [usize; 4])> = trend
        .iter()
        .map(|p| {
            let b = &p.summary.by_level;
            (
                p.period.to_string(),
                [
                    total(b, |c| c.new),
                    total(b, |c| c.closed_this_month),
                    total(b, |c| c.pending),
                    total(b, |c| c.overdue),
                ],
            )
        })
        .collect();
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0);
    let (max, step) = nice_axis(max);
    let mut svg = String::new();
    put!(
        svg,
        "<svg class=\"chart trend\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">"
    );
    let mut x = LEFT;
    x = legend(&mut svg, x, 14.0, NEW, false, t(lang, "新增", "new"));
    x = legend(
        &mut svg,
        x,
        14.0,
        CLOSED,
        false,
        t(lang, "本月销号", "closed"),
    );
    x = legend(
        &mut svg,
        x,
        14.0,
        PENDING,
        true,
        t(lang, "月末待整改", "pending at month end"),
    );
    legend(&mut svg, x, 14.0, OVERDUE, true, t(lang, "逾期", "overdue"));
    grid(&mut svg, max, step, top, bottom);
    let slot = (W - LEFT - RIGHT) / series.len().max(1) as f64;
    let bar = (slot * 0.28).min(18.0);
    let y_of = |n: usize| bottom - (bottom - top) * n as f64 / max as f64;
    let mut lines: [Vec<(f64, f64, usize)>; 2] = [Vec::new(), Vec::new()];
    for (i, (month, v)) in series.iter().enumerate() {
        let centre = LEFT + slot * (i as f64 + 0.5);
        for (j, colour) in [NEW, CLOSED].into_iter().enumerate() {
            let bx = centre - bar - 1.0 + j as f64 * (bar + 2.0);
            let y = y_of(v[j]);
            put!(
                svg,
                "<rect x=\"{bx:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>",
                bottom - y
            );
            if v[j] > 0 {
                put!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
                    bx + bar / 2.0,
                    y - 2.5,
                    v[j]
                );
            }
        }
        lines[0].push((centre, y_of(v[2]), v[2]));
        lines[1].push((centre, y_of(v[3]), v[3]));
        put!(
            svg,
            "<text x=\"{centre:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#111\">{}</text>",
            bottom + 16.0,
            escape(month)
        );
    }
    for (points, colour, dash) in [
        (&lines[0], PENDING, ""),
        (&lines[1], OVERDUE, " stroke-dasharray=\"5 3\""),
    ] {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        put!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.2\"{dash}/>",
            path.join(" ")
        );
        for (x, y, n) in points {
            put!(
                svg,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" fill=\"{colour}\">{n}</text>",
                x + 4.0,
                y - 4.0
            );
        }
    }
    svg.push_str("</svg>");
    put!(
        out,
        "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
        t(
            lang,
            "图 2 近 12 个月问题新增、销号与待整改趋势",
            "Figure 2. New, closed and pending rows over the last 12 months"
        )
    );
}

fn trend_table(out: &mut String, trend: &[TrendPoint], lang: Lang) {
    let headers: [(&str, &str); 8] = [
        ("月份", "Month"),
        ("已检/应检资产", "Assets inspected / expected"),
        ("问题", "Rows"),
        ("新增", "New"),
        ("本月销号", "Closed"),
        ("待整改", "Pending"),
        ("逾期", "Overdue"),
        ("整改率", "Rate"),
    ];
    let columns: Vec<(&str, f32)> = headers
        .iter()
        .enumerate()
        .map(|(i, (zh, en))| (t(lang, zh, en), if i < 2 { 16.0 } else { 11.3 }))
        .collect();
    table_head(out, "trend", &columns);
    for p in trend {
        let s = &p.summary;
        put!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}/{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(&p.period.to_string()),
            s.assets_inspected,
            s.assets_expected,
            total(&s.by_level, |c| c.rows),
            total(&s.by_level, |c| c.new),
            total(&s.by_level, |c| c.closed_this_month),
            total(&s.by_level, |c| c.pending),
            total(&s.by_level, |c| c.overdue),
            rate(s.rectification_rate)
        );
    }
    out.push_str("</tbody></table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round() {
        assert_eq!(nice_axis(0), (5, 1));
        assert_eq!(nice_axis(3), (5, 1));
        assert_eq!(nice_axis(7), (8, 2));
        assert_eq!(nice_axis(23), (25, 5));
        assert_eq!(nice_axis(81), (100, 20));
        assert_eq!(nice_axis(10_000), (10_000, 2_000));
    }
}
