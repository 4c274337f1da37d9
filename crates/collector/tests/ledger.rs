//! The month's ledger from stored reports: rows, stable finding numbers, and
//! the CSV / JSON / table output.

mod common;

use common::{DB, Sample, WEB};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_collector::config::CollectorConfig;
use selfcheck_collector::engine::Status;
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_bytes};
use selfcheck_collector::ledger::{Column, Ledger};
use selfcheck_collector::present::{Format, render, render_with_width};
use selfcheck_collector::store::Store;
use selfcheck_report::{Period, Severity};

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

/// The month's ledger with the default deadlines, statuses judged at the month's end.
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

fn store_with(samples: &[Sample]) -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    for s in samples {
        let outcome = import_bytes(
            &mut store,
            &s.bytes(),
            &format!("{}-{}.json", s.host.hostname, s.period),
            &catalog(),
            ImportOptions::default(),
        );
        assert!(
            matches!(outcome, ImportOutcome::Stored { .. }),
            "{outcome:?}"
        );
    }
    (tmp, store)
}

fn month(s: &str) -> Period {
    s.parse().unwrap()
}

fn two_hosts_november() -> Vec<Sample> {
    vec![
        // web-01 reported twice in November; the later report counts.
        Sample::new(WEB, "2026-11", 1)
            .finished("2026-11-05T10:00:00+08:00")
            .findings(&[("ports.ftp", "tcp/21", Severity::High)]),
        Sample::new(WEB, "2026-11", 2)
            .finished("2026-11-25T10:00:00+08:00")
            .findings(&[
                ("ports.telnet", "tcp/23", Severity::High),
                ("ports.redis", "tcp/6379", Severity::Medium),
            ])
            .could_not_run("ports.smb", "cannot read /proc/net/tcp: permission denied"),
        Sample::new(DB, "2026-11", 3)
            .finished("2026-11-24T09:00:00+08:00")
            .findings(&[
                ("ports.mysql", "tcp/3306", Severity::Critical),
                ("ports.telnet", "tcp/23", Severity::High),
            ]),
        // Another month: not in November's ledger.
        Sample::new(DB, "2026-10", 4).finished("2026-10-20T09:00:00+08:00"),
    ]
}

#[test]
fn ledger_of_a_month_with_two_hosts_uses_each_hosts_latest_report() {
    let (_tmp, mut store) = store_with(&two_hosts_november());
    let ledger = ledger_of(&mut store, "2026-11");

    let rows: Vec<(usize, &str, &str, Severity, Status)> = ledger
        .rows
        .iter()
        .map(|r| {
            (
                r.row.row_no,
                &*r.row.hostname,
                r.row.subject.as_str(),
                r.row.state.risk,
                r.row.state.status,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, "db-01", "tcp/3306", Severity::Critical, Status::Open),
            (2, "db-01", "tcp/23", Severity::High, Status::Open),
            (3, "web-01", "tcp/21", Severity::High, Status::Closed),
            (4, "web-01", "tcp/23", Severity::High, Status::Open),
            (5, "web-01", "tcp/6379", Severity::Medium, Status::Open),
        ],
        "web-01's later report ran ports.ftp and no longer shows tcp/21: closed this month"
    );
    let ftp = &ledger.rows[2];
    assert_eq!(ftp.cell(Column::Status, Lang::Zh), "已销号");
    assert_eq!(ftp.cell(Column::CompletedOn, Lang::Zh), "2026-11-25");
    assert!(
        ftp.cell(Column::Recheck, Lang::Zh)
            .starts_with("2026-11-25 复查通过")
    );

    let hosts: Vec<(&str, usize, usize)> = ledger
        .hosts
        .iter()
        .map(|h| {
            (
                h.hostname.as_str(),
                h.reports_in_month,
                h.could_not_run.len(),
            )
        })
        .collect();
    assert_eq!(hosts, [("db-01", 1, 0), ("web-01", 2, 1)]);
    assert!(ledger.hosts.iter().all(|h| h.inspected && !h.unregistered));
    let web = &ledger.hosts[1];
    assert_eq!(web.checks_run, 3, "telnet, redis, ftp ran; smb could not");
    assert!(web.could_not_run[0].1.contains("permission denied"));

    let counts: Vec<usize> = ledger.level_counts.iter().map(|(_, n)| *n).collect();
    assert_eq!(counts, [1, 3, 1, 0, 0]);

    let row = &ledger.rows[3];
    assert_eq!(row.cell(Column::AssetName, Lang::Zh), "web-01");
    assert_eq!(row.cell(Column::IpAddress, Lang::Zh), "10.1.2.3");
    assert_eq!(
        row.cell(Column::Os, Lang::Zh),
        "Debian GNU/Linux 12 (bookworm)"
    );
    assert_eq!(
        row.cell(Column::InspectionRound, Lang::Zh),
        "2026-11-25 / 2026-11"
    );
    assert_eq!(row.cell(Column::InspectionType, Lang::Zh), "月度自查");
    assert_eq!(row.cell(Column::Risk, Lang::Zh), "高危");
    assert_eq!(row.cell(Column::Risk, Lang::En), "high");
    assert!(
        row.cell(Column::CheckItem, Lang::Zh)
            .contains("GB/T 22239-2019 8.1.4.1 c)")
    );
    assert!(
        row.cell(Column::Description, Lang::En)
            .starts_with("Telnet clear-text remote login is listening: tcp/23\n0.0.0.0:23")
    );
    assert!(row.cell(Column::Remediation, Lang::Zh).contains("SSH"));
    let stored = store.reports(Some(month("2026-11"))).unwrap();
    let web_report = stored
        .iter()
        .find(|r| Some(&r.report_id) == row.row.evidence_report.as_ref().map(|(id, _)| id))
        .unwrap();
    assert_eq!(
        row.cell(Column::EvidenceRef, Lang::Zh),
        format!(
            "report {}; sha256 {}",
            web_report.report_id,
            &web_report.file_sha256[..16]
        )
    );
    // The same check on two hosts is two findings with two numbers.
    assert_ne!(ledger.rows[1].row.finding_no, ledger.rows[3].row.finding_no);
    // Deadlines by risk level, counted from the first sighting.
    assert_eq!(
        row.cell(Column::Deadline, Lang::Zh),
        "2026-12-02",
        "high: 7 days after 2026-11-25"
    );
    assert_eq!(row.cell(Column::Status, Lang::Zh), "待整改");
}

#[test]
fn finding_number_is_stable_across_months_for_the_same_fingerprint() {
    let nov = Sample::new(WEB, "2026-11", 1)
        .finished("2026-11-25T10:00:00+08:00")
        .findings(&[("ports.telnet", "tcp/23", Severity::High)]);
    // In December telnet is still there (now rated critical) and FTP is new.
    let dec = Sample::new(WEB, "2026-12", 2)
        .finished("2026-12-04T10:00:00+08:00")
        .findings(&[
            ("ports.telnet", "tcp/23", Severity::Critical),
            ("ports.ftp", "tcp/21", Severity::Medium),
        ]);
    let (_tmp, mut store) = store_with(&[nov, dec]);

    let l11 = ledger_of(&mut store, "2026-11");
    let l12 = ledger_of(&mut store, "2026-12");
    let no = |l: &Ledger, subject: &str| {
        let r = l.rows.iter().find(|r| r.row.subject == subject).unwrap();
        (
            r.cell(Column::FindingNo, Lang::Zh),
            r.cell(Column::FoundOn, Lang::Zh),
        )
    };
    assert_eq!(
        no(&l11, "tcp/23"),
        ("2026-11-H-001".into(), "2026-11-25".into())
    );
    assert_eq!(
        no(&l12, "tcp/23"),
        ("2026-11-H-001".into(), "2026-11-25".into()),
        "same fingerprint, same number and first-seen date, whatever its risk now"
    );
    assert_eq!(
        no(&l12, "tcp/21"),
        ("2026-12-M-001".into(), "2026-12-04".into())
    );
}

#[test]
fn sequence_counts_within_the_first_seen_month() {
    let (_tmp, mut store) = store_with(&[
        Sample::new(WEB, "2026-11", 1).findings(&[
            ("ports.telnet", "tcp/23", Severity::High),
            ("ports.mysql", "tcp/3306", Severity::Critical),
        ]),
        Sample::new(DB, "2026-11", 2).findings(&[("ports.redis", "tcp/6379", Severity::Low)]),
    ]);
    let ledger = ledger_of(&mut store, "2026-11");
    let mut numbers: Vec<String> = ledger
        .rows
        .iter()
        .map(|r| r.cell(Column::FindingNo, Lang::En))
        .collect();
    numbers.sort();
    assert_eq!(numbers, ["2026-11-C-001", "2026-11-H-002", "2026-11-L-003"]);
}

#[test]
fn csv_has_a_bom_the_chinese_header_and_one_record_per_row() {
    let (_tmp, mut store) = store_with(&two_hosts_november());
    let ledger = ledger_of(&mut store, "2026-11");
    let text = render(&ledger, Format::Csv, Lang::Zh);
    let body = text
        .strip_prefix('\u{feff}')
        .expect("UTF-8 byte-order mark for Excel");

    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "序号",
            "问题编号",
            "检查时间/批次",
            "检查类型",
            "问题来源",
            "单位（部门）",
            "资产名称",
            "资产类型",
            "IP地址",
            "操作系统及版本",
            "检查项（对应条款）",
            "问题描述",
            "风险等级",
            "佐证材料编号",
            "整改措施",
            "临时缓解措施",
            "责任单位",
            "整改责任人",
            "发现时间",
            "整改时限",
            "整改状态",
            "完成时间",
            "复查情况",
            "备注",
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 5);
    assert_eq!(&records[0][0], "1");
    assert_eq!(&records[0][12], "超危");
    assert_eq!(
        &records[0][20], "待整改（逾期）",
        "critical: 3 days, judged on 2026-11-30"
    );
    assert!(
        records[0][11].contains('\n'),
        "evidence lines stay inside the quoted cell"
    );

    let en = render(&ledger, Format::Csv, Lang::En);
    assert!(en.starts_with("\u{feff}No.,Finding ID,"));
}

#[test]
fn json_has_english_field_names_every_row_and_the_summary() {
    let (_tmp, mut store) = store_with(&two_hosts_november());
    let ledger = ledger_of(&mut store, "2026-11");
    let v: serde_json::Value =
        serde_json::from_str(&render(&ledger, Format::Json, Lang::Zh)).unwrap();
    assert_eq!(v["format"], "selfcheck-ledger-v1");
    assert_eq!(v["period"], "2026-11");
    assert_eq!(v["judged_on"], "2026-11-30");
    assert_eq!(v["rows"].as_array().unwrap().len(), 5);
    assert_eq!(v["summary"]["hosts_reporting"], 2);
    assert_eq!(v["summary"]["by_level"][1][0], "high");
    assert_eq!(v["summary"]["by_level"][1][1]["rows"], 3);
    assert_eq!(v["summary"]["by_level"][1][1]["closed_this_month"], 1);
    let web = &v["inspections"][1];
    assert_eq!(web["hostname"], "web-01");
    assert_eq!(web["could_not_run"][0][0], "ports.smb");
    let row = &v["rows"][0];
    for field in [
        "row_no",
        "finding_no",
        "fingerprint",
        "asset_key",
        "hostname",
        "ip_addresses",
        "os_name",
        "check_id",
        "check_title",
        "references",
        "subject",
        "evidence",
        "state",
        "description",
        "risk_label",
        "status_label",
        "evidence_ref",
        "remediation",
    ] {
        assert!(!row[field].is_null(), "{field} missing");
    }
    assert_eq!(row["state"]["risk"], "critical");
    assert_eq!(row["state"]["status"], "open");
    assert_eq!(row["state"]["overdue"], true);
    assert_eq!(row["state"]["deadline"], "2026-11-27");
    assert_eq!(row["risk_label"], "超危");
    assert_eq!(row["status_label"], "待整改（逾期）");
}

#[test]
fn table_shows_rows_hosts_and_checks_that_could_not_run() {
    let (_tmp, mut store) = store_with(&two_hosts_november());
    let ledger = ledger_of(&mut store, "2026-11");
    let zh = render_with_width(&ledger, Format::Table, Lang::Zh, Some(200));
    assert!(
        zh.starts_with("检查整改台账 2026-11（状态判定日 2026-11-30）\n"),
        "{zh}"
    );
    for text in [
        "问题编号",
        "检查记录",
        "未能运行的检查",
        "permission denied",
        "统计",
        "整改率：20.0%",
    ] {
        assert!(zh.contains(text), "{text} missing from:\n{zh}");
    }
    let en = render_with_width(&ledger, Format::Table, Lang::En, Some(200));
    assert!(
        en.contains("Finding ID") && en.contains("Could not run"),
        "{en}"
    );

    // Months later, the open findings are carried over, with no host inspected.
    let later = ledger_of(&mut store, "2027-01");
    assert_eq!(
        later.rows.len(),
        4,
        "the four open findings are carried over"
    );
    assert!(later.hosts.is_empty());
    assert!(
        later
            .rows
            .iter()
            .all(|r| r.row.state.overdue && !r.row.seen_this_month)
    );
    // A month before any report is empty.
    let empty = ledger_of(&mut store, "2026-01");
    assert!(empty.rows.is_empty() && empty.hosts.is_empty());
    assert!(
        render(&empty, Format::Table, Lang::En).contains("No reports are stored for this month"),
        "{}",
        render(&empty, Format::Table, Lang::En)
    );
}

#[test]
fn older_report_imported_late_moves_neither_the_number_nor_the_first_seen_date() {
    let dec = Sample::new(WEB, "2026-12", 2).finished("2026-12-04T10:00:00+08:00");
    let nov = Sample::new(WEB, "2026-11", 1).finished("2026-11-25T10:00:00+08:00");
    // December's report arrives first; November's comes later on a USB stick.
    // A report imported later never moves a known finding's first sighting
    // (or its deadline) back: a wrong clock could otherwise date it anywhere.
    let (_tmp, mut store) = store_with(&[dec, nov]);
    for m in ["2026-11", "2026-12"] {
        let ledger = ledger_of(&mut store, m);
        let row = &ledger.rows[0];
        assert_eq!(
            row.cell(Column::FindingNo, Lang::Zh),
            "2026-12-H-001",
            "{m}"
        );
        assert_eq!(row.cell(Column::FoundOn, Lang::Zh), "2026-12-04", "{m}");
    }
}
