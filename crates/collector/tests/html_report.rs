//! The printable monthly self-inspection report (月度网络安全自查报告): its
//! eight sections, the sign-off roles, the inline SVG charts, escaping, the
//! carry-over of last month's rows, grouping of long tables, and a real print
//! to A4 PDF with headless Chromium when it is installed.
//!
//! Set `SELFCHECK_REPORT_OUT=DIR` to keep the sample report's html and PDF.

mod common;

use chrono::{DateTime, FixedOffset};
use common::{DB, Host, Sample, WEB};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_collector::assets::Asset;
use selfcheck_collector::config::CollectorConfig;
use selfcheck_collector::documents::html::{ReportInfo, monthly_report_html};
use selfcheck_collector::documents::{Documents, TrendPoint};
use selfcheck_collector::engine::{
    Action, NOT_INSPECTED_CHECK, Rules, Status, build, not_inspected_findings,
};
use selfcheck_collector::ledger::Ledger;
use selfcheck_collector::store::Store;
use selfcheck_report::{Period, Severity};
use std::path::{Path, PathBuf};
use std::process::Command;

const UPDATES: &str = "patches.security-updates";
const SCRIPT: &str = "<script>alert(1)</script>";

const LAPTOP: Host = Host {
    hostname: "laptop-7",
    machine_id: Some("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    ip: "10.1.9.77",
};

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

fn month(s: &str) -> Period {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// October and November: web-01 closes FTP and libc6 (its November report
/// ran both checks) but keeps openssl (overdue) and gets telnet and a package
/// named like a script; db-01 keeps MySQL open and telnet.
fn two_months() -> Vec<Sample> {
    vec![
        Sample::new(WEB, "2026-10", 1)
            .finished("2026-10-12T10:00:00+08:00")
            .findings(&[
                (UPDATES, "openssl", Severity::High),
                (UPDATES, "libc6", Severity::Medium),
                (UPDATES, "curl", Severity::Low),
                ("ports.ftp", "tcp/21", Severity::High),
                ("ports.redis", "tcp/6379", Severity::Medium),
            ]),
        Sample::new(DB, "2026-10", 2)
            .finished("2026-10-13T09:00:00+08:00")
            .findings(&[
                ("ports.mysql", "tcp/3306", Severity::Critical),
                ("ports.telnet", "tcp/23", Severity::High),
            ]),
        Sample::new(WEB, "2026-11", 3)
            .finished("2026-11-20T10:00:00+08:00")
            .findings(&[
                (UPDATES, "openssl", Severity::High),
                (UPDATES, "curl", Severity::Low),
                (UPDATES, SCRIPT, Severity::Medium),
                ("ports.redis", "tcp/6379", Severity::Medium),
                ("ports.telnet", "tcp/23", Severity::High),
            ])
            .could_not_run("ports.smb", "cannot read /proc/net/tcp: permission denied"),
        Sample::new(DB, "2026-11", 4)
            .finished("2026-11-21T09:00:00+08:00")
            .findings(&[
                ("ports.mysql", "tcp/3306", Severity::Critical),
                ("ports.telnet", "tcp/23", Severity::High),
            ]),
    ]
}

fn store_with(samples: &[Sample]) -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    // Imported in their month, so the actions dated after them come later
    // in the history too.
    let mut in_time_order: Vec<&Sample> = samples.iter().collect();
    in_time_order.sort_by_key(|s| s.report().finished_at);
    for s in in_time_order {
        common::import_when_finished(&mut store, s);
    }
    (tmp, store)
}

fn ledger_of(store: &mut Store, m: &str) -> Ledger {
    let p = month(m);
    Ledger::for_month(
        store,
        p,
        &catalog(),
        &CollectorConfig::default(),
        Some(p.last_day()),
    )
    .unwrap()
}

fn trend_of(ledgers: &[&Ledger]) -> Vec<TrendPoint> {
    ledgers
        .iter()
        .map(|l| TrendPoint {
            period: l.period,
            summary: l.summary.clone(),
        })
        .collect()
}

/// A person's status change on the finding of `host`, `check`, `subject`.
fn act(store: &mut Store, ledger: &Ledger, host: &str, subject: &str, action: Action) {
    let row = ledger
        .rows
        .iter()
        .find(|r| &*r.row.hostname == host && r.row.subject == subject)
        .unwrap();
    store.record_action(&row.row.fingerprint, &action).unwrap();
}

fn action(at_: &str, status: Status) -> Action {
    Action {
        at: at(at_),
        by: "张工".into(),
        status,
        reason: "维护窗口".into(),
        measure: Some("关闭 telnet.socket 并卸载 telnetd".into()),
        mitigation: None,
        owner: Some("李工".into()),
        approver: None,
        until: None,
    }
}

/// October and November ledgers from the store, with two people's actions in November.
fn october_november() -> (tempfile::TempDir, Ledger, Ledger) {
    let (tmp, mut store) = store_with(&two_months());
    let oct = ledger_of(&mut store, "2026-10");
    act(
        &mut store,
        &oct,
        "db-01",
        "tcp/23",
        action("2026-11-22T09:00:00+08:00", Status::InProgress),
    );
    act(
        &mut store,
        &oct,
        "db-01",
        "tcp/3306",
        action("2026-11-26T09:00:00+08:00", Status::FixedPendingRecheck),
    );
    let nov = ledger_of(&mut store, "2026-11");
    (tmp, oct, nov)
}

fn info() -> ReportInfo {
    ReportInfo {
        unit: Some("某园区党工委 <办公室>".into()),
        vendor: Some("某计算机维保公司".into()),
        prepared_by: Some("王工".into()),
    }
}

/// The text between two section ids.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let rest = &html[start..];
    let end = rest.find("</section>").unwrap();
    &rest[..end]
}

#[test]
fn report_has_every_section_the_sign_off_roles_and_svg_charts() {
    let (_tmp, oct, nov) = october_november();
    let docs = Documents {
        ledger: &nov,
        trend: trend_of(&[&oct, &nov]),
        previous: Some(&oct),
    };
    let html = monthly_report_html(&docs, Lang::Zh, &info());
    assert!(html.starts_with("<!DOCTYPE html>"));
    for heading in [
        "月度网络安全自查报告",
        "2026年11月",
        "一、检查依据",
        "二、检查范围",
        "三、检查方法",
        "四、检查结果",
        "五、整改情况",
        "六、上月问题结转情况",
        "七、下一步工作",
        "八、签字确认",
    ] {
        assert!(html.contains(heading), "missing {heading}");
    }
    for basis in [
        "网络安全法",
        "第二十一条",
        "网络安全工作责任制",
        "GB/T 22239-2019",
    ] {
        assert!(
            section(&html, "basis").contains(basis),
            "basis lacks {basis}"
        );
    }
    let sign = section(&html, "sign-off");
    for role in [
        "第一责任人",
        "直接责任人",
        "运维单位工程师",
        "某计算机维保公司",
        "单位盖章",
        "姓名",
        "签字",
        "日期",
    ] {
        assert!(sign.contains(role), "sign-off lacks {role}");
    }

    // Charts: a bar chart per level and the trend, both inline SVG.
    let results = section(&html, "results");
    assert!(results.contains("<svg class=\"chart levels\""));
    assert!(results.contains("<svg class=\"chart trend\""));
    assert!(results.contains("<polyline"));
    assert!(results.matches("<rect").count() >= 5 * 4);
    for level in ["超危", "高危", "中危", "低危", "提示"] {
        assert!(results.contains(level));
    }
    assert!(results.contains("2026-10") && results.contains("2026-11"));

    // Self-contained and printable.
    for external in ["<script", "<link", "<img", "@import", "url(", "src="] {
        assert!(
            !html.contains(external),
            "the report must not contain {external}"
        );
    }
    for css in [
        "@page { size: A4; margin: 18mm 15mm",
        "thead { display: table-header-group; }",
        "tr { break-inside: avoid; }",
        "\"Noto Sans CJK SC\", \"Source Han Sans SC\", \"WenQuanYi Micro Hei\", \"Microsoft YaHei\", sans-serif",
    ] {
        assert!(html.contains(css), "css lacks {css}");
    }

    // Scope: both hosts inspected, web-01's check that could not run.
    let scope = section(&html, "scope");
    assert!(scope.contains("web-01") && scope.contains("db-01") && scope.contains("10.1.2.3"));
    assert!(scope.contains("ports.smb") && scope.contains("permission denied"));

    // Rectification: overdue highlighted, people's owner and measure shown.
    let rect = section(&html, "rectification");
    assert!(rect.contains("class=\"overdue\">待整改（逾期）"), "{rect}");
    assert!(rect.contains("李工") && rect.contains("关闭 telnet.socket"));
    assert!(rect.contains("已整改待复查") && rect.contains("待下次检查复查"));
    assert!(rect.contains("有待安装的安全更新：openssl"));
    assert!(rect.contains("已销号") && rect.contains("复查通过"));
    for row in &nov.rows {
        assert!(
            rect.contains(row.row.finding_no.as_deref().unwrap()),
            "row {:?} missing",
            row.row.finding_no
        );
    }

    // Next steps: the overdue items come first.
    let steps = section(&html, "next-steps");
    let first = steps.find("<li>").unwrap();
    assert!(
        steps[first..].starts_with("<li>立即整改逾期问题"),
        "{steps}"
    );
    assert!(steps.contains("排查未能运行的检查项") && steps.contains("web-01 (ports.smb)"));
    assert!(steps.contains("复查已整改待复查的问题 1 项"));
}

#[test]
fn text_from_data_is_escaped() {
    let (_tmp, oct, nov) = october_november();
    let docs = Documents {
        ledger: &nov,
        trend: trend_of(&[&oct, &nov]),
        previous: Some(&oct),
    };
    for lang in [Lang::Zh, Lang::En] {
        let html = monthly_report_html(&docs, lang, &info());
        assert!(
            !html.contains(SCRIPT),
            "{lang:?}: a subject came out as markup"
        );
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("某园区党工委 &lt;办公室&gt;"));
    }
}

#[test]
fn carry_over_lists_last_months_rows_and_what_became_of_them() {
    let (_tmp, oct, nov) = october_november();
    let docs = Documents {
        ledger: &nov,
        trend: trend_of(&[&oct, &nov]),
        previous: Some(&oct),
    };
    let html = monthly_report_html(&docs, Lang::Zh, &ReportInfo::default());
    let carry = section(&html, "carry-over");
    assert_eq!(oct.rows.len(), 7);
    for row in &oct.rows {
        let no = row.row.finding_no.as_deref().unwrap();
        assert!(carry.contains(no), "last month's {no} is not listed");
    }
    let row_of = |no_subject: &str| {
        let r = oct
            .rows
            .iter()
            .find(|r| format!("{} {}", r.row.hostname, r.row.subject) == no_subject)
            .unwrap();
        let no = r.row.finding_no.clone().unwrap();
        let start = carry.find(&format!("<td>{no}</td>")).unwrap();
        let end = carry[start..].find("</tr>").unwrap();
        carry[start..start + end].to_string()
    };
    assert!(row_of("web-01 tcp/21").contains("本月已销号 2026-11-20"));
    assert!(row_of("web-01 libc6").contains("本月已销号 2026-11-20"));
    assert!(row_of("web-01 openssl").contains("class=\"overdue\">逾期未整改"));
    assert!(row_of("web-01 curl").contains("待整改，时限"));
    assert!(row_of("db-01 tcp/3306").contains("已整改待复查"));
    assert!(carry.contains("结转至本月 7 项：本月销号 2 项"), "{carry}");

    // The first month has nothing to carry over.
    let first = Documents {
        ledger: &oct,
        trend: trend_of(&[&oct]),
        previous: None,
    };
    let html = monthly_report_html(&first, Lang::Zh, &ReportInfo::default());
    assert!(section(&html, "carry-over").contains("本月为首次检查"));
    let html = monthly_report_html(&first, Lang::En, &ReportInfo::default());
    assert!(section(&html, "carry-over").contains("This is the first month"));
}

#[test]
fn english_report_has_the_same_sections() {
    let (_tmp, oct, nov) = october_november();
    let docs = Documents {
        ledger: &nov,
        trend: trend_of(&[&oct, &nov]),
        previous: Some(&oct),
    };
    let html = monthly_report_html(&docs, Lang::En, &info());
    for heading in [
        "<html lang=\"en\">",
        "November 2026",
        "1. Basis",
        "2. Scope",
        "3. Methods",
        "4. Results",
        "5. Rectification",
        "6. Carry-over from last month",
        "7. Next steps",
        "8. Sign-off",
        "First responsible person",
        "Directly responsible person",
        "Maintenance vendor engineer",
        "open (overdue)",
    ] {
        assert!(html.contains(heading), "missing {heading}");
    }
    assert!(!html.contains("检查依据"));
}

#[test]
fn more_than_200_rows_are_grouped_by_asset_and_check() {
    let names: Vec<&'static str> = (0..250)
        .map(|i| &*Box::leak(format!("pkg-{i:03}").into_boxed_str()))
        .collect();
    let findings: Vec<(&'static str, &'static str, Severity)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                UPDATES,
                *n,
                if i == 7 {
                    Severity::Critical
                } else {
                    Severity::Medium
                },
            )
        })
        .chain([("ports.telnet", "tcp/23", Severity::High)])
        .collect();
    let sample = Sample::new(WEB, "2026-11", 9)
        .finished("2026-11-20T10:00:00+08:00")
        .findings(&findings);
    let (_tmp, mut store) = store_with(&[sample]);
    let nov = ledger_of(&mut store, "2026-11");
    assert_eq!(nov.rows.len(), 251);
    let docs = Documents {
        ledger: &nov,
        trend: trend_of(&[&nov]),
        previous: None,
    };
    let html = monthly_report_html(&docs, Lang::Zh, &ReportInfo::default());
    let rect = section(&html, "rectification");
    assert_eq!(rect.matches("<tr>").count(), 1 + 2, "header and two groups");
    assert!(
        rect.contains("有待安装的安全更新（共 250 项）：pkg-"),
        "{rect}"
    );
    assert!(rect.contains(", …"));
    assert!(rect.contains("等 250 项"));
    let group = &rect[rect.find("（共 250 项）").unwrap()..];
    assert!(
        group.contains("class=\"lv-critical\">超危"),
        "a group has its highest risk"
    );
}

/// A fuller month for printing: the two months above plus 60 pending
/// updates on a third host, an unregistered laptop and a registered asset
/// that sent no report (registry expected from October).
fn printable_month() -> (tempfile::TempDir, Ledger, Ledger, Vec<TrendPoint>) {
    const BACKUP: Host = Host {
        hostname: "backup-01",
        machine_id: Some("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
        ip: "10.1.2.9",
    };
    let names: Vec<&'static str> = (0..60)
        .map(|i| &*Box::leak(format!("libpkg{i:02}-2.4.{i}").into_boxed_str()))
        .collect();
    let updates: Vec<(&'static str, &'static str, Severity)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                UPDATES,
                *n,
                [Severity::High, Severity::Medium, Severity::Low][i % 3],
            )
        })
        .collect();
    let mut samples = two_months();
    samples.push(
        Sample::new(BACKUP, "2026-11", 5)
            .finished("2026-11-18T15:00:00+08:00")
            .findings(&updates),
    );
    samples.push(
        Sample::new(LAPTOP, "2026-11", 6)
            .finished("2026-11-19T15:00:00+08:00")
            .findings(&[("ports.telnet", "tcp/23", Severity::High)]),
    );
    let (tmp, mut store) = store_with(&samples);
    let config = CollectorConfig::default();
    let catalog = catalog();
    let rules = Rules {
        policy: &config.deadlines,
        calendar: &config.calendar,
    };
    let registry = |name: &str, host: &str, ip: &str| Asset {
        row_no: 2,
        asset_name: name.into(),
        hostname: Some(host.into()),
        machine_id: None,
        ip: Some(ip.into()),
        unit: Some("党政办公室".into()),
        asset_type: Some("服务器".into()),
        os: Some("Debian 12".into()),
        protection_level: Some("二级".into()),
        responsible_unit: Some("某计算机维保公司".into()),
        responsible_person: Some("赵工".into()),
        contact: None,
    };
    let assets = vec![
        registry("门户网站服务器", "web-01", "10.1.2.3"),
        registry("数据库服务器", "db-01", "10.1.2.4"),
        registry("备份服务器", "backup-01", "10.1.2.9"),
        registry("OA办公系统服务器", "oa-01", "10.1.2.20"),
    ];
    let month_ledger = |store: &mut Store, m: &str| {
        let p = month(m);
        let mut input = store.ledger_input(p).unwrap();
        input.assets = assets.clone();
        for a in &assets {
            input
                .asset_since
                .insert(a.asset_name.clone(), month("2026-10"));
        }
        input.not_inspected_risk = Some(Severity::Medium);
        let missing = not_inspected_findings(&input, p);
        store
            .register_not_inspected(&missing, Severity::Medium)
            .unwrap();
        for (fp, _, _) in &missing {
            if let Some(e) = store.registry_entry(fp).unwrap() {
                input.registry.insert(fp.clone(), e.finding_no);
            }
        }
        Ledger::from_month(build(&input, p, p.last_day(), rules), &catalog)
    };
    let oct = month_ledger(&mut store, "2026-10");
    act(
        &mut store,
        &oct,
        "db-01",
        "tcp/23",
        action("2026-11-22T09:00:00+08:00", Status::InProgress),
    );
    let nov = month_ledger(&mut store, "2026-11");
    let trend = trend_of(&[&oct, &nov]);
    (tmp, oct, nov, trend)
}

#[test]
fn not_inspected_and_unregistered_assets_are_marked() {
    let (_tmp, oct, nov, trend) = printable_month();
    let docs = Documents {
        ledger: &nov,
        trend,
        previous: Some(&oct),
    };
    let html = monthly_report_html(&docs, Lang::Zh, &info());
    let scope = section(&html, "scope");
    let oa = &scope[scope.find("OA办公系统服务器").unwrap()..];
    assert!(oa[..oa.find("</tr>").unwrap()].contains("未检查"));
    assert!(scope.contains("class=\"not-inspected\""));
    let laptop = &scope[scope.find("laptop-7").unwrap()..];
    assert!(laptop[..laptop.find("</tr>").unwrap()].contains("未登记资产"));
    assert!(
        nov.rows
            .iter()
            .any(|r| r.row.check_id.as_str() == NOT_INSPECTED_CHECK)
    );
    let rect = section(&html, "rectification");
    assert!(rect.contains("登记资产本月未检查"));
    let steps = section(&html, "next-steps");
    assert!(steps.contains("补检本月未检查的资产 1 台：OA办公系统服务器"));
    assert!(steps.contains("未登记的主机 1 台") && steps.contains("laptop-7"));
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Pages of a PDF: `pdfinfo` when installed, else its `/Type /Page` objects.
fn pdf_pages(pdf: &Path) -> usize {
    if let Some(pdfinfo) = find_program(&["pdfinfo"]) {
        let out = Command::new(pdfinfo).arg(pdf).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(n) = text
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
        {
            return n;
        }
    }
    let bytes = std::fs::read(pdf).unwrap();
    let needle = b"/Type /Page";
    bytes
        .windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's')
        .count()
}

#[test]
fn report_prints_to_a4_pdf_with_headless_chromium() {
    let Some(chromium) = find_program(&["chromium", "chromium-browser", "google-chrome"]) else {
        eprintln!("note: chromium is not installed; the print-to-PDF check is skipped");
        return;
    };
    let (_tmp, oct, nov, trend) = printable_month();
    let docs = Documents {
        ledger: &nov,
        trend,
        previous: Some(&oct),
    };
    let html = monthly_report_html(&docs, Lang::Zh, &info());
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report-2026-11.html");
    let pdf = dir.path().join("report-2026-11.pdf");
    std::fs::write(&page, &html).unwrap();
    let out = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            &format!("--user-data-dir={}", dir.path().join("profile").display()),
            &format!("--print-to-pdf={}", pdf.display()),
            &format!("file://{}", page.display()),
        ])
        .output()
        .unwrap();
    assert!(
        pdf.is_file(),
        "chromium wrote no PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let pages = pdf_pages(&pdf);
    assert!(pages > 1, "{pages} page(s)");
    if let Some(keep) = std::env::var_os("SELFCHECK_REPORT_OUT") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&page, keep.join("report-2026-11.html")).unwrap();
        std::fs::copy(&pdf, keep.join("report-2026-11.pdf")).unwrap();
        let en = monthly_report_html(&docs, Lang::En, &info());
        std::fs::write(keep.join("report-2026-11.en.html"), en).unwrap();
    }
    eprintln!("the report printed to {pages} A4 pages");
}

#[test]
fn a_baseline_finding_is_under_the_configuration_baseline_area_not_other_checks() {
    let (_tmp, mut store) = store_with(&[Sample::new(WEB, "2026-11", 1)
        .finished("2026-11-20T10:00:00+08:00")
        .findings(&[(
            "baseline.pass-max-days",
            "/etc/login.defs",
            Severity::Medium,
        )])]);
    let nov = ledger_of(&mut store, "2026-11");
    let docs = Documents {
        ledger: &nov,
        trend: trend_of(&[&nov]),
        previous: None,
    };
    let zh = monthly_report_html(&docs, Lang::Zh, &info());
    let methods = section(&zh, "methods");
    assert!(
        methods.contains("<td>baseline</td><td>配置基线"),
        "{methods}"
    );
    assert!(!methods.contains("其他检查"), "{methods}");
    let en = monthly_report_html(&docs, Lang::En, &info());
    let methods = section(&en, "methods");
    assert!(
        methods.contains("<td>baseline</td><td>Configuration baseline"),
        "{methods}"
    );
    assert!(!methods.contains("other checks"), "{methods}");
}
