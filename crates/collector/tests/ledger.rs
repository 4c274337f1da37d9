//! The month's ledger from stored reports: rows, stable finding numbers, and
//! the CSV / JSON / table output.

mod common;

use common::{DB, Sample, WEB};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_bytes};
use selfcheck_collector::ledger::{Column, Ledger};
use selfcheck_collector::present::{Format, render, render_with_width};
use selfcheck_collector::store::Store;
use selfcheck_report::{Period, Severity};

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
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
    let (_tmp, store) = store_with(&two_hosts_november());
    let ledger = Ledger::for_month(&store, month("2026-11"), &catalog()).unwrap();

    let rows: Vec<(usize, &str, &str, Severity)> = ledger
        .rows
        .iter()
        .map(|r| (r.row_no, r.hostname.as_str(), r.subject.as_str(), r.risk))
        .collect();
    assert_eq!(
        rows,
        [
            (1, "db-01", "tcp/3306", Severity::Critical),
            (2, "db-01", "tcp/23", Severity::High),
            (3, "web-01", "tcp/23", Severity::High),
            (4, "web-01", "tcp/6379", Severity::Medium),
        ],
        "the earlier web-01 report (tcp/21) is superseded"
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
    let web = &ledger.hosts[1];
    assert_eq!(web.checks_run, 3, "telnet, redis, ftp ran; smb could not");
    assert!(web.could_not_run[0].1.contains("permission denied"));

    let counts: Vec<usize> = ledger.level_counts.iter().map(|(_, n)| *n).collect();
    assert_eq!(counts, [1, 2, 1, 0, 0]);

    let row = &ledger.rows[2];
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
        .find(|r| r.report_id == row.report_id)
        .unwrap();
    assert_eq!(
        row.cell(Column::EvidenceRef, Lang::Zh),
        format!(
            "report {}; sha256 {}",
            row.report_id,
            &web_report.file_sha256[..16]
        )
    );
    // The same check on two hosts is two findings with two numbers.
    assert_ne!(ledger.rows[1].finding_no, ledger.rows[2].finding_no);
}

#[test]
fn finding_number_is_stable_across_months_for_the_same_fingerprint() {
    let nov = Sample::new(WEB, "2026-11", 1)
        .finished("2026-11-25T10:00:00+08:00")
        .findings(&[("ports.telnet", "tcp/23", Severity::High)]);
    // In December telnet is still there (now rated critical) and FTP is new.
    let dec = Sample::new(WEB, "2026-12", 2)
        .finished("2026-12-22T10:00:00+08:00")
        .findings(&[
            ("ports.telnet", "tcp/23", Severity::Critical),
            ("ports.ftp", "tcp/21", Severity::Medium),
        ]);
    let (_tmp, store) = store_with(&[nov, dec]);

    let l11 = Ledger::for_month(&store, month("2026-11"), &catalog()).unwrap();
    let l12 = Ledger::for_month(&store, month("2026-12"), &catalog()).unwrap();
    let no = |l: &Ledger, subject: &str| {
        let r = l.rows.iter().find(|r| r.subject == subject).unwrap();
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
        ("2026-12-M-001".into(), "2026-12-22".into())
    );
}

#[test]
fn sequence_counts_within_the_first_seen_month() {
    let (_tmp, store) = store_with(&[
        Sample::new(WEB, "2026-11", 1).findings(&[
            ("ports.telnet", "tcp/23", Severity::High),
            ("ports.mysql", "tcp/3306", Severity::Critical),
        ]),
        Sample::new(DB, "2026-11", 2).findings(&[("ports.redis", "tcp/6379", Severity::Low)]),
    ]);
    let ledger = Ledger::for_month(&store, month("2026-11"), &catalog()).unwrap();
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
    let (_tmp, store) = store_with(&two_hosts_november());
    let ledger = Ledger::for_month(&store, month("2026-11"), &catalog()).unwrap();
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
            "资产名称",
            "IP地址",
            "操作系统及版本",
            "检查项（对应条款）",
            "问题描述",
            "风险等级",
            "佐证材料编号",
            "整改措施",
            "发现时间",
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 4);
    assert_eq!(&records[0][0], "1");
    assert_eq!(&records[0][10], "超危");
    assert!(
        records[0][9].contains('\n'),
        "evidence lines stay inside the quoted cell"
    );

    let en = render(&ledger, Format::Csv, Lang::En);
    assert!(en.starts_with("\u{feff}No.,Finding ID,"));
}

#[test]
fn json_has_english_field_names_every_row_and_the_summary() {
    let (_tmp, store) = store_with(&two_hosts_november());
    let ledger = Ledger::for_month(&store, month("2026-11"), &catalog()).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&render(&ledger, Format::Json, Lang::Zh)).unwrap();
    assert_eq!(v["period"], "2026-11");
    assert_eq!(v["rows"].as_array().unwrap().len(), 4);
    assert_eq!(v["summary"]["by_level"]["high"], 2);
    assert_eq!(v["summary"]["hosts_inspected"], 2);
    let web = &v["summary"]["hosts"][1];
    assert_eq!(web["asset_name"], "web-01");
    assert_eq!(web["checks_could_not_run"], 1);
    assert_eq!(web["could_not_run"][0]["check_id"], "ports.smb");
    let row = &v["rows"][0];
    for field in [
        "row_no",
        "finding_no",
        "inspection_date",
        "period",
        "inspection_type",
        "source",
        "asset_name",
        "ip_addresses",
        "os",
        "check_id",
        "check_item",
        "references",
        "description",
        "risk",
        "risk_label",
        "report_id",
        "file_sha256",
        "evidence_ref",
        "remediation",
        "found_on",
        "fingerprint",
    ] {
        assert!(!row[field].is_null(), "{field} missing");
    }
    assert_eq!(row["risk"], "critical");
    assert_eq!(row["risk_label"], "超危");
}

#[test]
fn table_shows_rows_hosts_and_checks_that_could_not_run() {
    let (_tmp, store) = store_with(&two_hosts_november());
    let ledger = Ledger::for_month(&store, month("2026-11"), &catalog()).unwrap();
    let zh = render_with_width(&ledger, Format::Table, Lang::Zh, Some(200));
    assert!(zh.starts_with("检查整改台账 2026-11\n"), "{zh}");
    for text in [
        "问题编号",
        "受检主机",
        "未能运行的检查",
        "permission denied",
        "超危 1 · 高危 2 · 中危 1",
    ] {
        assert!(zh.contains(text), "{text} missing from:\n{zh}");
    }
    let en = render_with_width(&ledger, Format::Table, Lang::En, Some(200));
    assert!(
        en.contains("Finding ID") && en.contains("Could not run"),
        "{en}"
    );

    let empty = Ledger::for_month(&store, month("2027-01"), &catalog()).unwrap();
    assert!(empty.rows.is_empty() && empty.hosts.is_empty());
    assert!(
        render(&empty, Format::Table, Lang::En).contains("No reports are stored for this month")
    );
}

#[test]
fn older_report_imported_late_keeps_the_number_but_moves_first_seen_earlier() {
    let dec = Sample::new(WEB, "2026-12", 2).finished("2026-12-22T10:00:00+08:00");
    let nov = Sample::new(WEB, "2026-11", 1).finished("2026-11-25T10:00:00+08:00");
    // December's report arrives first; November's comes later on a USB stick.
    let (_tmp, store) = store_with(&[dec, nov]);
    for m in ["2026-11", "2026-12"] {
        let ledger = Ledger::for_month(&store, month(m), &catalog()).unwrap();
        let row = &ledger.rows[0];
        assert_eq!(
            row.cell(Column::FindingNo, Lang::Zh),
            "2026-12-H-001",
            "{m}"
        );
        assert_eq!(row.cell(Column::FoundOn, Lang::Zh), "2026-11-25", "{m}");
    }
}
