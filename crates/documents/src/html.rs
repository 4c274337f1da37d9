//! The printable monthly self-inspection report (月度网络安全自查报告): one
//! self-contained html file (no script, no external font, style sheet or
//! image) that prints to A4 from any browser.
//!
//! Sections, as the report templates the offices use order them: 1 检查依据
//! (basis), 2 检查范围 (scope and the inspection record), 3 检查方法
//! (methods), 4 检查结果 (results by risk level and the 12-month trend, with
//! inline SVG charts), 5 整改情况 (the rectification table), 6
//! 上月问题结转情况 (what became of last month's rows), 7 下一步工作 (next
//! steps, from the data) and 8 签字确认 (sign-off by the 第一责任人, the 直接责任人 and the
//! maintenance vendor's engineer, and the unit's seal).
//!
//! Every text that comes from data (host names, subjects, evidence, people's
//! entries) is escaped with [`escape`].

mod charts;
mod rectify;
mod sections;
mod steps;

use super::Documents;
use selfcheck_catalog::Lang;
use selfcheck_ledger::engine::NOT_INSPECTED_CHECK;
use selfcheck_ledger::ledger::LedgerRow;
use selfcheck_report::Severity;
use std::fmt::Write;

/// Who the report is for and who wrote it (the cover's lines; blank lines
/// to fill in by hand when `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportInfo {
    /// 单位名称.
    pub unit: Option<String>,
    /// 运维单位: the maintenance vendor that runs the inspection.
    pub vendor: Option<String>,
    /// 编制人: who prepared the report.
    pub prepared_by: Option<String>,
}

/// Above this many ledger rows, the rectification and carry-over tables show
/// one row per check and asset (like the xlsx rectification sheet).
pub const GROUP_ABOVE: usize = 200;

/// Write into a `String` (which cannot fail).
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {
        let _ = write!($out, $($arg)*);
    };
}
pub(crate) use put;

/// `zh` or `en`.
pub(crate) fn t<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A column width for Chinese or English.
pub(crate) fn t_w(lang: Lang, zh: f32, en: f32) -> f32 {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// Text escaped for html element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with each line break as `<br>`.
pub(crate) fn lines(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

/// The css class of a risk level (`lv-high`, ...).
pub(crate) fn level_class(level: Severity) -> &'static str {
    match level {
        Severity::Critical => "lv-critical",
        Severity::High => "lv-high",
        Severity::Medium => "lv-medium",
        Severity::Low => "lv-low",
        Severity::Info => "lv-info",
    }
}

/// The fill colour of a risk level (as the xlsx sheets colour it).
pub(crate) fn level_fill(level: Severity) -> &'static str {
    match level {
        Severity::Critical => "#C00000",
        Severity::High => "#FF9999",
        Severity::Medium => "#FFC266",
        Severity::Low => "#B4D4F5",
        Severity::Info => "#E0E0E0",
    }
}

/// `2026年11月` or `November 2026`.
pub(crate) fn month_name(period: selfcheck_report::Period, lang: Lang) -> String {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    match lang {
        Lang::Zh => format!("{}年{}月", period.year(), period.month()),
        Lang::En => {
            let name = EN.get(period.month() as usize - 1).copied().unwrap_or("");
            format!("{name} {}", period.year())
        }
    }
}

/// `12.5%`, or `—` when there is nothing to rectify.
pub(crate) fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
}

/// A table's opening: class, column widths in percent, and the header row
/// (repeated on every printed page).
pub(crate) fn table_head(out: &mut String, class: &str, columns: &[(&str, f32)]) {
    put!(out, "<table class=\"{class}\"><colgroup>");
    for (_, w) in columns {
        put!(out, "<col style=\"width:{w}%\">");
    }
    out.push_str("</colgroup><thead><tr>");
    for (h, _) in columns {
        put!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>\n");
}

/// The asset a ledger row is about: registry name, else host name, with its addresses.
pub(crate) fn asset_cell(r: &LedgerRow, lang: Lang) -> String {
    let row = &r.row;
    let name = row
        .asset
        .as_ref()
        .map_or(&*row.hostname, |a| a.asset_name.as_str());
    let mut html = escape(name);
    if !row.ip_addresses.is_empty() {
        put!(
            html,
            "<br><span class=\"small\">{}</span>",
            escape(&row.ip_addresses.join(", "))
        );
    }
    if row.unregistered {
        put!(
            html,
            " <span class=\"tag\">{}</span>",
            t(lang, "未登记", "unregistered")
        );
    }
    html
}

/// The short description: the check's title and the subject.
pub(crate) fn short_description(r: &LedgerRow, lang: Lang) -> String {
    let title = r.check_title.get(lang);
    if r.row.check_id.as_str() == NOT_INSPECTED_CHECK {
        title.to_string()
    } else {
        format!("{title}{}{}", t(lang, "：", ": "), r.row.subject)
    }
}

/// The month's report as one html document.
pub fn monthly_report_html(docs: &Documents<'_>, lang: Lang, info: &ReportInfo) -> String {
    let mut out = String::with_capacity(48 * 1024 + docs.ledger.rows.len() * 700);
    head(&mut out, docs, lang, info);
    cover(&mut out, docs, lang, info);
    sections::basis(&mut out, docs, lang);
    sections::scope(&mut out, docs, lang);
    sections::methods(&mut out, docs, lang);
    charts::results(&mut out, docs, lang);
    rectify::rectification(&mut out, docs, lang);
    rectify::carry_over(&mut out, docs, lang);
    steps::next_steps(&mut out, docs, lang);
    sign_off(&mut out, lang, info);
    out.push_str("</body>\n</html>\n");
    out
}

const CSS: &str = r#"
@page { size: A4; margin: 18mm 15mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #666; } }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif;
  font-size: 10pt; line-height: 1.55; color: #111; margin: 0; }
@media screen { body { max-width: 190mm; margin: 10mm auto; padding: 0 6mm; } }
h1 { font-size: 21pt; text-align: center; margin: 10mm 0 2mm; }
html[lang="zh-CN"] h1 { letter-spacing: 0.12em; }
.subtitle { text-align: center; font-size: 14pt; margin: 0 0 8mm; }
h2 { font-size: 13.5pt; color: #1F3864; border-bottom: 1.5pt solid #1F3864; padding-bottom: 1mm;
  margin: 7mm 0 3mm; break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 2mm; break-after: avoid; }
p { margin: 1.5mm 0; text-align: justify; }
section.new-page { break-before: page; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 2mm 0 4mm; font-size: 8pt; line-height: 1.4; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #8C8C8C; padding: 0.8mm 1.1mm; vertical-align: top; text-align: left;
  overflow-wrap: break-word; }
th { background: #D9E1F2; font-weight: bold; }
td.num, th.num { text-align: right; }
td.nowrap { white-space: nowrap; overflow-wrap: normal; }
tr.total td { font-weight: bold; background: #F2F2F2; }
tr.not-inspected td { background: #F2F2F2; color: #555; }
.lv-critical { background: #C00000; color: #FFF; }
.lv-high { background: #FF9999; }
.lv-medium { background: #FFC266; }
.lv-low { background: #B4D4F5; }
.lv-info { background: #E0E0E0; }
td.overdue, span.overdue { background: #FDE2E2; color: #C00000; font-weight: bold; }
td.closed { color: #2E7D32; }
.tag { display: inline-block; border: 0.5pt solid #999; border-radius: 1mm; padding: 0 1mm;
  font-size: 7pt; color: #555; white-space: nowrap; }
.small { font-size: 7.5pt; color: #444; }
.note { font-size: 8.5pt; color: #444; }
table.info { width: 130mm; margin: 0 auto 8mm; font-size: 11pt; table-layout: auto; }
table.info td { border: none; border-bottom: 0.5pt solid #BBB; padding: 1.5mm 2mm; }
table.info td.label { width: 32mm; color: #333; white-space: nowrap; }
.figures { display: flex; gap: 3mm; margin: 4mm 0 2mm; break-inside: avoid; }
.figure { flex: 1; border: 0.6pt solid #8EA9DB; border-radius: 1.5mm; padding: 2mm; text-align: center; }
.figure .value { font-size: 16pt; font-weight: bold; color: #1F3864; }
.figure .value.bad { color: #C00000; }
.figure .label { font-size: 8pt; color: #444; }
figure { margin: 2mm 0 4mm; break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 8.5pt; color: #444; text-align: center; margin-top: 1mm; }
ol.steps li, ul.plain li { margin: 1mm 0; }
.signoff { break-inside: avoid; }
table.sign { font-size: 10.5pt; table-layout: fixed; }
table.sign td { height: 16mm; vertical-align: middle; }
.seal { display: flex; justify-content: space-between; align-items: flex-end; margin-top: 8mm; break-inside: avoid; }
.seal .box { width: 42mm; height: 42mm; border: 0.8pt dashed #999; border-radius: 50%;
  display: flex; align-items: center; justify-content: center; color: #999; font-size: 9pt; }
"#;

fn head(out: &mut String, docs: &Documents<'_>, lang: Lang, info: &ReportInfo) {
    let title = t(
        lang,
        "月度网络安全自查报告",
        "Monthly network security self-inspection report",
    );
    let unit = info.unit.as_deref().map(escape).unwrap_or_default();
    put!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{unit} {} {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        t(lang, "zh-CN", "en"),
        month_name(docs.ledger.period, lang),
        title,
    );
}

fn info_row(out: &mut String, label: &str, value: Option<&str>) {
    let value = value
        .filter(|v| !v.trim().is_empty())
        .map_or_else(|| "&nbsp;".to_string(), escape);
    put!(
        out,
        "<tr><td class=\"label\">{}</td><td>{value}</td></tr>\n",
        escape(label)
    );
}

fn cover(out: &mut String, docs: &Documents<'_>, lang: Lang, info: &ReportInfo) {
    let l = docs.ledger;
    let s = &l.summary;
    put!(
        out,
        "<header>\n<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n<table class=\"info\">\n",
        t(
            lang,
            "月度网络安全自查报告",
            "Monthly Network Security Self-Inspection Report"
        ),
        escape(&month_name(l.period, lang)),
    );
    let start = format!("{}-01", l.period);
    let period = format!("{start} {} {}", t(lang, "至", "to"), l.period.last_day());
    info_row(out, t(lang, "单位名称", "Unit"), info.unit.as_deref());
    info_row(out, t(lang, "检查周期", "Period"), Some(&period));
    info_row(
        out,
        t(lang, "运维单位", "Maintenance vendor"),
        info.vendor.as_deref(),
    );
    info_row(
        out,
        t(lang, "编制人", "Prepared by"),
        info.prepared_by.as_deref(),
    );
    info_row(
        out,
        t(lang, "状态判定日", "Statuses as of"),
        Some(&l.judged_on.to_string()),
    );
    out.push_str("</table>\n<div class=\"figures\">\n");
    let total = |f: fn(&selfcheck_ledger::engine::LevelSummary) -> usize| -> usize {
        s.by_level.iter().map(|(_, c)| f(c)).sum()
    };
    let overdue = total(|c| c.overdue);
    let figures: [(String, &str, &str, bool); 5] = [
        (
            format!("{}/{}", s.assets_inspected, s.assets_expected),
            "已检/应检资产",
            "assets inspected / expected",
            s.assets_inspected < s.assets_expected,
        ),
        (
            total(|c| c.rows).to_string(),
            "本月台账问题",
            "ledger rows",
            false,
        ),
        (
            total(|c| c.new).to_string(),
            "本月新增",
            "new this month",
            false,
        ),
        (overdue.to_string(), "逾期未整改", "overdue", overdue > 0),
        (
            rate(s.rectification_rate),
            "整改率",
            "rectification rate",
            false,
        ),
    ];
    for (value, zh, en, bad) in figures {
        put!(
            out,
            "<div class=\"figure\"><div class=\"value{}\">{}</div><div class=\"label\">{}</div></div>\n",
            if bad { " bad" } else { "" },
            escape(&value),
            t(lang, zh, en)
        );
    }
    out.push_str("</div>\n</header>\n");
}

fn sign_off(out: &mut String, lang: Lang, info: &ReportInfo) {
    put!(
        out,
        "<section id=\"sign-off\" class=\"signoff\">\n<h2>{}</h2>\n<p>{}</p>\n",
        t(lang, "八、签字确认", "8. Sign-off"),
        t(
            lang,
            "以上检查情况及整改情况属实。",
            "The inspection and rectification above are a true account."
        )
    );
    let vendor_role = match (&info.vendor, lang) {
        (Some(v), Lang::Zh) if !v.trim().is_empty() => {
            format!(
                "运维单位工程师<br><span class=\"small\">（{}）</span>",
                escape(v)
            )
        }
        (Some(v), Lang::En) if !v.trim().is_empty() => format!(
            "Maintenance vendor engineer<br><span class=\"small\">({})</span>",
            escape(v)
        ),
        _ => t(lang, "运维单位工程师", "Maintenance vendor engineer").to_string(),
    };
    let roles = [
        t(
            lang,
            "第一责任人<br><span class=\"small\">（单位主要负责人）</span>",
            "First responsible person<br><span class=\"small\">(head of the unit)</span>",
        )
        .to_string(),
        t(
            lang,
            "直接责任人<br><span class=\"small\">（分管网络安全负责人）</span>",
            "Directly responsible person<br><span class=\"small\">(leader in charge of network security)</span>",
        )
        .to_string(),
        vendor_role,
    ];
    out.push_str("<table class=\"sign\"><colgroup><col style=\"width:34%\"><col style=\"width:22%\"><col style=\"width:26%\"><col style=\"width:18%\"></colgroup><thead><tr>");
    for h in [
        t(lang, "角色", "Role"),
        t(lang, "姓名", "Name"),
        t(lang, "签字", "Signature"),
        t(lang, "日期", "Date"),
    ] {
        put!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for role in roles {
        put!(out, "<tr><td>{role}</td><td></td><td></td><td></td></tr>\n");
    }
    put!(
        out,
        "</tbody></table>\n<div class=\"seal\"><div>{}<br><br>{}</div><div class=\"box\">{}</div></div>\n</section>\n",
        escape(&format!(
            "{}{}",
            t(lang, "单位名称：", "Unit: "),
            info.unit.as_deref().unwrap_or("")
        )),
        t(
            lang,
            "日期：&emsp;&emsp;&emsp;&emsp;年&emsp;&emsp;月&emsp;&emsp;日",
            "Date: ____________________"
        ),
        t(lang, "（单位盖章）", "(unit seal)")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(lines("a<b\nc"), "a&lt;b<br>c");
    }

    #[test]
    fn month_names() {
        let p = "2026-11".parse().unwrap();
        assert_eq!(month_name(p, Lang::Zh), "2026年11月");
        assert_eq!(month_name(p, Lang::En), "November 2026");
    }
}
