//! The ledger documents: the five sheets in the configured columns, written
//! as xlsx (read back with calamine) and as one csv per sheet, the 12-month
//! trend, and the `ledger --format xlsx|csv --out` command line.

mod common;

use assert_cmd::Command;
use calamine::{Reader, Xlsx};
use common::{DB, Sample, WEB};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_collector::config::CollectorConfig;
use selfcheck_collector::documents::sheets::{LedgerLayout, Sheet, sheets};
use selfcheck_collector::documents::{Documents, csv::sheet_csv, trend::trend, xlsx::write_xlsx};
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_bytes};
use selfcheck_collector::ledger::{Column, Ledger};
use selfcheck_collector::store::Store;
use selfcheck_report::{Period, Severity};
use std::io::Cursor;
use std::path::Path;

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

fn month(s: &str) -> Period {
    s.parse().unwrap()
}

const UPDATES: &str = "patches.security-updates";

/// Three months: web-01 with pending security updates (one fixed in
/// October) and telnet, db-01 with MySQL open to all from September.
fn three_months() -> Vec<Sample> {
    vec![
        Sample::new(WEB, "2026-08", 1)
            .finished("2026-08-20T10:00:00+08:00")
            .findings(&[(UPDATES, "openssl", Severity::High)]),
        Sample::new(WEB, "2026-09", 2)
            .finished("2026-09-20T10:00:00+08:00")
            .findings(&[
                (UPDATES, "openssl", Severity::High),
                (UPDATES, "libc6", Severity::Medium),
                (UPDATES, "curl", Severity::Low),
                ("ports.telnet", "tcp/23", Severity::High),
            ]),
        Sample::new(DB, "2026-09", 3)
            .finished("2026-09-21T09:00:00+08:00")
            .findings(&[("ports.mysql", "tcp/3306", Severity::Critical)]),
        Sample::new(WEB, "2026-10", 4)
            .finished("2026-10-20T10:00:00+08:00")
            .findings(&[
                (UPDATES, "openssl", Severity::High),
                (UPDATES, "libc6", Severity::Medium),
                ("ports.telnet", "tcp/23", Severity::High),
            ])
            .could_not_run("ports.smb", "cannot read /proc/net/tcp: permission denied"),
        Sample::new(DB, "2026-10", 5)
            .finished("2026-10-21T09:00:00+08:00")
            .findings(&[("ports.mysql", "tcp/3306", Severity::Critical)]),
    ]
}

fn import_into(store: &mut Store, samples: &[Sample]) {
    for s in samples {
        let outcome = import_bytes(
            store,
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
}

fn store_with(samples: &[Sample]) -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    import_into(&mut store, samples);
    (tmp, store)
}

/// The sheets of a month (judged on its last day) in a layout.
fn month_sheets(store: &mut Store, m: &str, lang: Lang, layout: &LedgerLayout) -> Vec<Sheet> {
    let p = month(m);
    let config = CollectorConfig::default();
    let ledger = Ledger::for_month(store, p, &catalog(), &config, Some(p.last_day())).unwrap();
    let docs = Documents {
        ledger: &ledger,
        trend: trend(store, p, &config, &catalog()).unwrap(),
        previous: None,
    };
    sheets(&docs, lang, layout)
}

type Book = Vec<(String, Vec<Vec<String>>)>;

/// Every worksheet of an xlsx file, in order, as text.
fn read_xlsx(bytes: Vec<u8>) -> Book {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

fn sheet<'a>(book: &'a Book, name: &str) -> &'a [Vec<String>] {
    &book.iter().find(|(n, _)| n == name).unwrap().1
}

fn headers(columns: &[Column], lang: Lang) -> Vec<String> {
    columns.iter().map(|c| c.header(lang).to_string()).collect()
}

#[test]
fn xlsx_has_five_sheets_in_order_with_chinese_intact_and_findings_of_a_check_grouped() {
    let (_tmp, mut store) = store_with(&three_months());
    let sheets = month_sheets(&mut store, "2026-09", Lang::Zh, &LedgerLayout::default());
    let book = read_xlsx(write_xlsx(&sheets).unwrap());
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["整改台账", "明细", "检查记录", "条款符合情况", "统计"]
    );

    let list = sheet(&book, "整改台账");
    assert_eq!(list[0], headers(&Column::ALL, Lang::Zh));
    let col = |c: Column| Column::ALL.iter().position(|&x| x == c).unwrap();
    // mysql (critical), the three updates as one row, telnet: 3 rows.
    assert_eq!(list.len(), 1 + 3, "{list:?}");
    let updates = list
        .iter()
        .find(|r| r[col(Column::Description)].starts_with("有待安装的安全更新"))
        .unwrap();
    assert_eq!(
        updates[col(Column::Description)],
        "有待安装的安全更新（共 3 项）：openssl, libc6, curl"
    );
    assert_eq!(
        updates[col(Column::Risk)],
        "高危",
        "the highest of the three"
    );
    assert!(
        updates[col(Column::FindingNo)].ends_with(" 等 3 项"),
        "{updates:?}"
    );
    assert_eq!(updates[col(Column::AssetName)], "web-01");
    assert_eq!(updates[col(Column::FoundOn)], "2026-08-20", "the earliest");
    assert_eq!(
        list.iter()
            .skip(1)
            .map(|r| r[col(Column::RowNo)].as_str())
            .collect::<Vec<_>>(),
        ["1", "2", "3"]
    );

    // The detail sheet keeps one row per finding, every column.
    let detail = sheet(&book, "明细");
    assert_eq!(detail[0], headers(&Column::ALL, Lang::Zh));
    assert_eq!(detail.len(), 1 + 5);
    assert!(
        detail
            .iter()
            .any(|r| r[col(Column::Description)].starts_with("有待安装的安全更新：libc6"))
    );

    // Inspection record: both hosts, counts per level.
    let record = sheet(&book, "检查记录");
    assert_eq!(
        record[0][..8],
        [
            "序号",
            "资产名称",
            "单位（部门）",
            "IP地址",
            "检查日期",
            "报告编号",
            "已运行检查",
            "未能运行"
        ]
    );
    assert_eq!(record[0][8..11], ["不适用", "等保级别", "条款符合"]);
    assert_eq!(record[0][11..16], ["超危", "高危", "中危", "低危", "提示"]);
    let web = record.iter().find(|r| r[1] == "web-01").unwrap();
    assert_eq!(web[4], "2026-09-20");
    // Reports without baseline checks: nothing exempted, judged at the default level.
    assert_eq!(web[8..11], ["0", "三级（默认）", "—"]);
    assert_eq!(web[11..16], ["0", "2", "1", "1", "0"]);

    // Summary: a row per level, then the trend of August and September.
    let summary = sheet(&book, "统计");
    assert_eq!(summary[0][0], "风险等级");
    assert_eq!(summary[1][..2], ["超危", "1"]);
    let trend_at = summary
        .iter()
        .position(|r| r[0] == "近 12 个月趋势")
        .unwrap();
    assert_eq!(summary[trend_at + 1][..3], ["月份", "已检资产", "问题"]);
    let months: Vec<&str> = summary[trend_at + 2..]
        .iter()
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(months, ["2026-08", "2026-09"]);
}

#[test]
fn a_group_is_closed_only_when_all_are_and_shows_its_least_done_status() {
    let (_tmp, mut store) = store_with(&three_months());
    let sheets = month_sheets(&mut store, "2026-10", Lang::Zh, &LedgerLayout::default());
    let list = &sheets[0];
    let col = |c: Column| Column::ALL.iter().position(|&x| x == c).unwrap();
    let updates = list
        .rows
        .iter()
        .find(|r| r.cells[col(Column::Description)].starts_with("有待安装的安全更新"))
        .unwrap();
    assert_eq!(
        updates.cells[col(Column::Status)],
        "待整改（逾期）；1/3 项已销号",
        "curl was fixed in October; openssl and libc6 are past their deadlines"
    );
    assert_eq!(updates.level, Some(Severity::High));
    assert_eq!(updates.cells[col(Column::CompletedOn)], "—");

    // In English, and ungrouped when configured so.
    let layout = LedgerLayout {
        group_rows: false,
        ..LedgerLayout::default()
    };
    let sheets = month_sheets(&mut store, "2026-10", Lang::En, &layout);
    assert_eq!(sheets[0].title, "Rectification list");
    assert_eq!(sheets[0].rows.len(), 5);
    let sheets = month_sheets(&mut store, "2026-10", Lang::En, &LedgerLayout::default());
    assert!(sheets[0].rows.iter().any(|r| {
        r.cells[col(Column::Description)]
            == "Security update pending (3 items): openssl, libc6, curl"
    }));
}

#[test]
fn trend_is_each_months_own_summary_from_the_first_stored_month() {
    let (_tmp, mut store) = store_with(&three_months());
    let config = CollectorConfig::default();
    let points = trend(&mut store, month("2026-10"), &config, &catalog()).unwrap();
    let months: Vec<String> = points.iter().map(|p| p.period.to_string()).collect();
    assert_eq!(months, ["2026-08", "2026-09", "2026-10"]);
    for point in &points {
        let ledger =
            Ledger::for_month(&mut store, point.period, &catalog(), &config, None).unwrap();
        assert_eq!(point.summary, ledger.summary, "{}", point.period);
    }
    let later = trend(&mut store, month("2027-07"), &config, &catalog()).unwrap();
    assert_eq!(later.len(), 12);
    assert_eq!(later[0].period.to_string(), "2026-08");
}

#[test]
fn short_and_office_presets_set_the_columns_in_order() {
    let (tmp, mut store) = store_with(&three_months());
    let short = LedgerLayout::from_config(&Default::default(), Some("short")).unwrap();
    let book =
        read_xlsx(write_xlsx(&month_sheets(&mut store, "2026-09", Lang::Zh, &short)).unwrap());
    let list = sheet(&book, "整改台账");
    assert_eq!(
        list[0],
        [
            "序号",
            "单位（部门）",
            "资产名称/IP",
            "问题描述",
            "风险等级",
            "整改措施",
            "整改责任人",
            "整改时限",
            "整改状态",
            "复查情况",
            "备注"
        ]
    );
    assert!(list.iter().any(|r| r[2] == "web-01\n10.1.2.3"), "{list:?}");

    let config_path = tmp.path().join("office.toml");
    std::fs::write(
        &config_path,
        "[ledger]\npreset = \"short\"\n\n[ledger.presets.\"市网信办2026\"]\n\
         columns = [\"序号\", \"资产名称\", \"IP地址\", \"Risk level\", \"description\", \"整改状态\", \"问题编号\"]\n\
         group_rows = false\n",
    )
    .unwrap();
    let config = CollectorConfig::load(Some(&config_path), tmp.path()).unwrap();
    assert_eq!(
        LedgerLayout::from_config(&config.ledger, None).unwrap(),
        short,
        "[ledger] preset applies without --preset"
    );
    let office = LedgerLayout::from_config(&config.ledger, Some("市网信办2026")).unwrap();
    let book =
        read_xlsx(write_xlsx(&month_sheets(&mut store, "2026-09", Lang::Zh, &office)).unwrap());
    let list = sheet(&book, "整改台账");
    assert_eq!(
        list[0],
        [
            "序号",
            "资产名称",
            "IP地址",
            "风险等级",
            "问题描述",
            "整改状态",
            "问题编号"
        ]
    );
    assert_eq!(list.len(), 1 + 5, "the preset does not group rows");
}

#[test]
fn unknown_column_in_the_configuration_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("collector.toml");
    std::fs::write(
        &path,
        "[ledger.presets.\"县\"]\ncolumns = [\"序号\", \"整改期限\"]\n",
    )
    .unwrap();
    let msg = CollectorConfig::load(Some(&path), tmp.path())
        .unwrap_err()
        .to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains("ledger.presets.县.columns: unknown column \"整改期限\""),
        "{msg}"
    );
    assert!(
        msg.contains("整改时限 (deadline)"),
        "lists the known names: {msg}"
    );
}

#[test]
fn each_sheet_as_csv_has_a_bom_and_parses() {
    let (_tmp, mut store) = store_with(&three_months());
    for sheet in month_sheets(&mut store, "2026-10", Lang::Zh, &LedgerLayout::default()) {
        let text = sheet_csv(&sheet);
        assert!(text.starts_with('\u{feff}'), "{}", sheet.title);
        assert!(text.contains("\r\n"));
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        assert_eq!(reader.headers().unwrap(), sheet.headers.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), sheet.rows.len(), "{}", sheet.title);
        for (parsed, row) in rows.iter().zip(&sheet.rows) {
            assert_eq!(parsed, row.cells.as_slice());
        }
    }
}

fn collector(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("selfcheck-collector").unwrap();
    cmd.env_remove("SELFCHECK_DATA")
        .env_remove("SELFCHECK_COLLECTOR_CONFIG")
        .arg("--data")
        .arg(data);
    cmd
}

#[test]
fn command_line_writes_xlsx_and_csv_per_sheet_and_refuses_xlsx_to_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    {
        let mut store = Store::open(&data).unwrap();
        import_into(&mut store, &three_months());
    }
    let out = collector(&data)
        .args(["ledger", "--month", "2026-10", "--format", "xlsx"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--format xlsx writes a binary file") && err.contains("--out FILE.xlsx"),
        "{err}"
    );

    std::fs::write(
        data.join("collector.toml"),
        "[ledger.presets.\"市网信办2026\"]\ncolumns = [\"序号\", \"资产名称/IP\", \"风险等级\", \"整改状态\"]\n",
    )
    .unwrap();
    let xlsx = tmp.path().join("台账-2026-10.xlsx");
    let out = collector(&data)
        .args(["ledger", "--month", "2026-10", "--format", "xlsx"])
        .args(["--preset", "市网信办2026", "--out"])
        .arg(&xlsx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let book = read_xlsx(std::fs::read(&xlsx).unwrap());
    assert_eq!(
        sheet(&book, "整改台账")[0],
        ["序号", "资产名称/IP", "风险等级", "整改状态"]
    );

    let out = collector(&data)
        .args(["ledger", "--month", "2026-10", "--format", "xlsx"])
        .args(["--preset", "县", "--out"])
        .arg(&xlsx)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown ledger preset \"县\"; known presets: full, short, 市网信办2026"),
        "{err}"
    );

    let dir = tmp.path().join("csv");
    let out = collector(&data)
        .args(["ledger", "--month", "2026-10", "--format", "csv", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "检查整改台账-2026-10-整改台账.csv",
            "检查整改台账-2026-10-明细.csv",
            "检查整改台账-2026-10-条款符合情况.csv",
            "检查整改台账-2026-10-检查记录.csv",
            "检查整改台账-2026-10-统计.csv"
        ]
    );
    let text = std::fs::read_to_string(dir.join("检查整改台账-2026-10-检查记录.csv")).unwrap();
    assert!(text.starts_with("\u{feff}序号,资产名称"), "{text}");
    assert!(text.contains("ports.smb: cannot read /proc/net/tcp: permission denied"));

    // Plain csv on standard output is still the 24-column list, one row per finding.
    let out = collector(&data)
        .args(["ledger", "--month", "2026-10", "--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.headers().unwrap().len(), 24);
    assert_eq!(reader.records().count(), 5);
}

/// A store of two months with a registry from September: in October db-01
/// sends nothing and mail-01 never does, so both months have not-inspected
/// findings to number, and November carries rows over from October.
fn two_months_with_a_registry() -> (tempfile::TempDir, Store) {
    // The registry imported in September, before the reports.
    let (tmp, mut store) = store_with(&[]);
    let registry = "资产名称,主机名,IP地址\n门户网站,web-01,10.1.2.3\n数据库,db-01,10.1.2.4\n邮件,mail-01,10.1.2.9\n";
    let assets = selfcheck_collector::assets::parse_csv(registry.as_bytes(), "a.csv").unwrap();
    let september = chrono::DateTime::parse_from_rfc3339("2026-09-01T09:00:00+08:00").unwrap();
    store
        .replace_assets_at(&assets, "a.csv", "张工", september)
        .unwrap();
    import_into(&mut store, &three_months());
    import_into(
        &mut store,
        &[Sample::new(WEB, "2026-11", 6)
            .finished("2026-11-20T10:00:00+08:00")
            .findings(&[(UPDATES, "libc6", Severity::Medium)])],
    );
    (tmp, store)
}

#[test]
fn month_documents_read_the_store_once_and_match_three_reads() {
    use selfcheck_collector::MonthDocuments;
    let config = CollectorConfig::default();
    let p = month("2026-11");
    let as_of = Some(p.last_day());

    // As the documents were read before: the ledger, the trend, last month's ledger.
    let (_a, mut old) = two_months_with_a_registry();
    let ledger = Ledger::for_month(&mut old, p, &catalog(), &config, as_of).unwrap();
    let mut old_trend = trend(&mut old, p, &config, &catalog()).unwrap();
    if let Some(last) = old_trend.last_mut().filter(|t| t.period == p) {
        last.summary = ledger.summary.clone();
    }
    let previous = Ledger::for_month(&mut old, p.previous(), &catalog(), &config, None).unwrap();
    assert_eq!(old.ledger_input_reads(), 3);

    let (_b, mut new) = two_months_with_a_registry();
    let docs = MonthDocuments::build(&mut new, p, &catalog(), &config, as_of).unwrap();
    assert_eq!(new.ledger_input_reads(), 1, "one read of the store");

    // Both months have assets not inspected, numbered this month first.
    assert!(
        ledger.hosts.iter().any(|h| !h.inspected),
        "{:?}",
        ledger.hosts
    );
    assert!(
        previous.hosts.iter().any(|h| !h.inspected),
        "{:?}",
        previous.hosts
    );
    assert_eq!(docs.ledger, ledger);
    assert_eq!(docs.trend, old_trend);
    assert_eq!(docs.previous.as_ref(), Some(&previous));

    // And so the documents themselves: every sheet and the html report.
    let layout = LedgerLayout::builtin("full").unwrap();
    let render = |ledger: &Ledger, trend: Vec<_>, previous: Option<&Ledger>| {
        let docs = Documents {
            ledger,
            trend,
            previous,
        };
        let html = selfcheck_collector::documents::html::monthly_report_html(
            &docs,
            Lang::Zh,
            &Default::default(),
        );
        (sheets(&docs, Lang::Zh, &layout), html)
    };
    assert_eq!(
        render(&docs.ledger, docs.trend.clone(), docs.previous.as_ref()),
        render(&ledger, old_trend, Some(&previous))
    );
}
