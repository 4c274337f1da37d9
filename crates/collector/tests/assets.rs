//! The asset registry end to end: files as units write them (CSV with Chinese
//! or English headers, XLSX), every kind of bad file refused with its row and
//! column while the stored registry stays as it was, the history, and the
//! shipped template.

use clap::Parser;
use rust_xlsxwriter::Workbook;
use selfcheck_collector::Store;
use selfcheck_collector::assets::{self, Asset, AssetError, parse_csv, parse_xlsx};
use selfcheck_collector::cli::args::{AssetsCommand, CollectorCli, CollectorCommand, GlobalArgs};
use selfcheck_collector::cli::assets as assets_cli;
use selfcheck_collector::documents::assets::AssetsFormat;
use selfcheck_collector::history;
use selfcheck_report::ProtectionLevel;
use std::path::{Path, PathBuf};

const GOOD: &str = "\u{feff}IP地址 , 资产名称,整改责任人,主机名,等保级别,机器ID,单位（部门）\r\n\
10.1.2.3,门户网站服务器,张三,web-01,三级,0123456789ABCDEF0123456789abcdef,办公室\r\n\
10.1.2.4,数据库服务器,,db-01.example.gov.cn,L2,,\r\n";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn chinese_headers_in_any_order_with_bom_are_read() {
    let assets = parse_csv(GOOD.as_bytes(), "good.csv").unwrap();
    assert_eq!(assets.len(), 2);
    let a = &assets[0];
    assert_eq!(a.row_no, 2);
    assert_eq!(a.asset_name, "门户网站服务器");
    assert_eq!(a.hostname.as_deref(), Some("web-01"));
    assert_eq!(a.ip.as_deref(), Some("10.1.2.3"));
    assert_eq!(a.unit.as_deref(), Some("办公室"));
    assert_eq!(a.responsible_person.as_deref(), Some("张三"));
    assert_eq!(a.protection_level.as_deref(), Some("三级"));
    assert_eq!(a.level(), ProtectionLevel::new(3));
    assert_eq!(assets[1].level(), ProtectionLevel::new(2));
    assert_eq!(assets[1].row_no, 3);
    assert_eq!(assets[1].responsible_person, None);
    assert_eq!(assets[1].machine_id, None);
}

#[test]
fn english_headers_are_read() {
    let csv = "Asset_Name,hostname,machine-id,IP,unit,asset_type,os,protection_level,responsible_unit,responsible_person,contact\n\
门户,web-01,,10.0.0.1,办公室,服务器,Kylin V10,3,信息中心,张三,010-1\n";
    let assets = parse_csv(csv.as_bytes(), "en.csv").unwrap();
    assert_eq!(assets[0].asset_type.as_deref(), Some("服务器"));
    assert_eq!(assets[0].os.as_deref(), Some("Kylin V10"));
    assert_eq!(assets[0].contact.as_deref(), Some("010-1"));
    assert_eq!(assets[0].level(), ProtectionLevel::new(3));
}

fn xlsx(rows: &[&[Cell]]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                Cell::S(s) => ws.write_string(r, c, *s).map(|_| ()),
                Cell::N(n) => ws.write_number(r, c, *n).map(|_| ()),
            }
            .unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

enum Cell {
    S(&'static str),
    N(f64),
}
use Cell::{N, S};

#[test]
fn xlsx_numbers_come_back_as_the_text_people_typed() {
    let bytes = xlsx(&[
        &[
            S("资产名称"),
            S("IP地址"),
            S("主机名"),
            S("等保级别"),
            S("联系方式"),
        ],
        &[
            S("门户"),
            S("10.0.0.1"),
            S("web-01"),
            N(3.0),
            N(13800138000.0),
        ],
        &[S("文件服务器"), N(0.0), S("fs-01"), S("二级"), S("")],
    ]);
    let err = parse_xlsx(&bytes, "a.xlsx").unwrap_err().to_string();
    // A number where an IP belongs is named with its row and column.
    assert!(err.contains("row 3, column B (IP地址)"), "{err}");

    let bytes = xlsx(&[
        &[
            S("资产名称"),
            S("IP地址"),
            S("主机名"),
            S("等保级别"),
            S("联系方式"),
        ],
        &[
            S("门户"),
            S("10.0.0.1"),
            S("web-01"),
            N(3.0),
            N(13800138000.0),
        ],
    ]);
    let assets = parse_xlsx(&bytes, "a.xlsx").unwrap();
    assert_eq!(assets[0].protection_level.as_deref(), Some("3"));
    assert_eq!(assets[0].level(), ProtectionLevel::new(3));
    assert_eq!(assets[0].contact.as_deref(), Some("13800138000"));
    assert_eq!(assets[0].row_no, 2);
}

#[test]
fn an_xlsx_file_is_read_by_its_extension() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = xlsx(&[&[S("资产名称"), S("主机名")], &[S("门户"), S("web-01")]]);
    let path = write(tmp.path(), "台账.XLSX", &bytes);
    assert_eq!(assets::read_file(&path).unwrap()[0].asset_name, "门户");
}

/// Each bad file, and what its error must name (besides the file).
fn bad_files() -> Vec<(&'static str, Vec<u8>, Vec<&'static str>)> {
    let header = "资产名称,主机名,机器ID,IP地址,等保级别\n";
    let csv = |rows: &str| format!("{header}{rows}").into_bytes();
    vec![
        (
            "no-name-column.csv",
            b"hostname,ip\nweb-01,10.0.0.1\n".to_vec(),
            vec!["row 1", "asset_name (资产名称)"],
        ),
        (
            "no-host-columns.csv",
            b"asset_name,unit\nx,y\n".to_vec(),
            vec!["row 1", "hostname (主机名)"],
        ),
        (
            "empty-name.csv",
            csv("门户,web-01,,,\n,db-01,,,\n"),
            vec!["row 3, column A (资产名称)", "empty"],
        ),
        (
            "no-identity.csv",
            csv("门户,web-01,,,\n数据库,,,,三级\n"),
            vec!["row 3, column B (主机名) / C (机器ID) / D (IP地址)"],
        ),
        (
            "dup-name.csv",
            csv("门户,web-01,,,\n门户,db-01,,,\n"),
            vec!["row 3, column A (资产名称)", "row 2"],
        ),
        (
            "dup-host.csv",
            csv("门户,web-01,,,\n数据库,WEB-01,,,\n"),
            vec!["row 3, column B (主机名)", "row 2"],
        ),
        (
            "dup-machine-id.csv",
            csv("门户,web-01,abc,,\n数据库,db-01,ABC,,\n"),
            vec!["row 3, column C (机器ID)", "row 2"],
        ),
        (
            "bad-ip.csv",
            csv("门户,web-01,,10.0.0.1,\n数据库,db-01,,\"10.0.0.2, 10.0.0.300\",\n"),
            vec!["row 3, column D (IP地址)", "10.0.0.300"],
        ),
        (
            "bad-level.csv",
            csv("门户,web-01,,,三极\n"),
            vec!["row 2, column E (等保级别)", "三极"],
        ),
        (
            "unknown-column.csv",
            "资产名称,主机名,备往\n门户,web-01,x\n".as_bytes().to_vec(),
            vec!["row 1", "C (备往)"],
        ),
        (
            "latin1.csv",
            b"asset_name,hostname\ncaf\xe9,\xe9\n".to_vec(),
            vec!["UTF-8", "CSV UTF-8"],
        ),
        ("empty.csv", Vec::new(), vec!["empty"]),
        ("blank-lines.csv", b"\r\n\r\n,,\r\n".to_vec(), vec!["empty"]),
        (
            "header-only.csv",
            header.as_bytes().to_vec(),
            vec!["no assets"],
        ),
        (
            "text.xlsx",
            "资产名称,主机名\n".as_bytes().to_vec(),
            vec!["CSV text with an .xlsx name; rename it to .csv"],
        ),
        ("empty.xlsx", Vec::new(), vec!["empty"]),
    ]
}

#[test]
fn every_bad_file_is_refused_naming_row_and_column_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let good = write(tmp.path(), "good.csv", GOOD.as_bytes());
    let mut store = Store::open(&data).unwrap();
    let before = assets::read_file(&good).unwrap();
    store.replace_assets(&before, "good.csv", "张工").unwrap();

    for (name, bytes, needles) in bad_files() {
        let path = write(tmp.path(), name, &bytes);
        let err = assets::read_file(&path).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&path.display().to_string()),
            "{name}: {text}"
        );
        for needle in needles {
            assert!(text.contains(needle), "{name}: {text:?} lacks {needle:?}");
        }
        // Through the command too: refused, and the registry is as it was.
        let global = GlobalArgs::for_data(data.clone());
        let cmd = assets_command(&["import", path.to_str().unwrap(), "--by", "张工"]);
        assert!(assets_cli::run(&global, cmd).is_err(), "{name}");
        assert_eq!(store.assets().unwrap(), before, "{name}");
    }
    let entries = store.history(Some(history::kind::ASSETS_IMPORTED)).unwrap();
    assert_eq!(entries.len(), 1);
}

#[test]
fn a_file_over_50_mb_is_refused_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("huge.xlsx");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(50 * 1024 * 1024 + 1)
        .unwrap();
    let err = assets::read_file(&path).unwrap_err();
    assert!(matches!(err, AssetError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("huge.xlsx"), "{err}");
}

#[test]
fn each_import_replaces_the_registry_and_adds_one_history_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let global = GlobalArgs::for_data(data.clone());
    let first = write(tmp.path(), "first.csv", GOOD.as_bytes());
    let second = write(
        tmp.path(),
        "second.csv",
        "资产名称,主机名\n门户网站服务器,web-01\n邮件服务器,mail-01\n".as_bytes(),
    );
    for file in [&first, &second] {
        let cmd = assets_command(&[
            "import",
            file.to_str().unwrap(),
            "--by",
            "张工",
            "--replace",
        ]);
        assert_eq!(
            assets_cli::run(&global, cmd).unwrap(),
            std::process::ExitCode::SUCCESS
        );
    }
    let store = Store::open_existing(&data).unwrap();
    let stored: Vec<Asset> = store.assets().unwrap();
    let names: Vec<&str> = stored.iter().map(|a| a.asset_name.as_str()).collect();
    assert_eq!(names, ["门户网站服务器", "邮件服务器"]);
    let entries = store.history(Some(history::kind::ASSETS_IMPORTED)).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].actor, "张工");
    assert_eq!(entries[1].body["rows"], 2);
    assert_eq!(entries[1].body["source"], second.display().to_string());
    assert_eq!(entries[1].body["assets"][1]["hostname"], "mail-01");
    assert!(store.verify_history().unwrap().is_intact());

    let list = AssetsCommand::List {
        format: AssetsFormat::Json,
    };
    assert!(assets_cli::run(&global, list).is_ok());
}

#[test]
fn the_shipped_templates_are_refused_for_their_example_rows_alike() {
    let dir = workspace_root().join("reports");
    let csv_bytes = std::fs::read(dir.join("asset-registry-template.csv")).unwrap();
    assert!(
        csv_bytes.starts_with(b"\xef\xbb\xbf"),
        "the template has a BOM"
    );
    let problems = |name: &str| -> Vec<(u32, String)> {
        match assets::read_file(&dir.join(name)).unwrap_err() {
            AssetError::Problems { problems, .. } => problems
                .into_iter()
                .map(|p| match p {
                    AssetError::Cell { row, problem, .. } => (row, problem.to_string()),
                    other => panic!("{other}"),
                })
                .collect(),
            other => panic!("{name}: {other}"),
        }
    };
    let from_csv = problems("asset-registry-template.csv");
    assert_eq!(from_csv.len(), 2, "{from_csv:?}");
    assert!(
        from_csv
            .iter()
            .all(|(_, p)| p.contains("示例-") && p.contains("example row")),
        "{from_csv:?}"
    );
    assert_eq!(problems("asset-registry-template.xlsx"), from_csv);
    // With the example names replaced the rows import.
    let real = String::from_utf8(csv_bytes).unwrap().replace("示例-", "");
    let parsed = parse_csv(real.as_bytes(), "filled.csv").unwrap();
    assert_eq!(parsed.len(), 2);
}

/// Regenerate `reports/asset-registry-template.xlsx` from the CSV template:
/// `cargo test -p selfcheck-collector --test assets -- --ignored write_xlsx_template`.
#[test]
#[ignore = "writes the shipped template; run by hand after changing the CSV template"]
fn write_xlsx_template() {
    let dir = workspace_root().join("reports");
    let text = std::fs::read_to_string(dir.join("asset-registry-template.csv")).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("资产台账").unwrap();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, record) in reader.records().enumerate() {
        for (c, field) in record.unwrap().iter().enumerate() {
            if r == 0 {
                ws.write_string_with_format(r as u32, c as u16, field, &bold)
                    .unwrap();
                ws.set_column_width(c as u16, 18).unwrap();
            } else {
                ws.write_string(r as u32, c as u16, field).unwrap();
            }
        }
    }
    ws.set_freeze_panes(1, 0).unwrap();
    wb.save(dir.join("asset-registry-template.xlsx")).unwrap();
}

/// An `assets` subcommand as the command line gives it.
fn assets_command(args: &[&str]) -> AssetsCommand {
    let cli =
        CollectorCli::try_parse_from(["selfcheck-collector", "assets"].iter().chain(args)).unwrap();
    match cli.command {
        CollectorCommand::Assets(cmd) => cmd,
        other => panic!("not an assets command: {other:?}"),
    }
}

fn collector(data: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("selfcheck-collector").unwrap();
    c.env_remove("SELFCHECK_DATA")
        .env_remove("SELFCHECK_COLLECTOR_CONFIG")
        .args(["--lang", "en", "--data"])
        .arg(data);
    c
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn a_partial_file_is_refused_unless_replace_and_a_dry_run_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let full = write(
        tmp.path(),
        "full.csv",
        "资产名称,主机名,IP地址\n门户,web-01,10.0.0.1\n数据库,db-01,10.0.0.2\n邮件,mail-01,\n"
            .as_bytes(),
    );
    let partial = write(
        tmp.path(),
        "partial.csv",
        "资产名称,主机名,IP地址\n门户,web-01,10.0.0.9\n新系统,new-01,\n".as_bytes(),
    );
    let out = collector(&data)
        .args(["assets", "import"])
        .arg(&full)
        .assert()
        .success();
    let said = text(&out.get_output().stdout);
    assert!(
        said.contains("3 added, 0 removed") && said.contains("+ 门户 (web-01)"),
        "{said}"
    );
    assert!(text(&out.get_output().stderr).contains("created a new collector store"));
    let registered = || Store::open_existing(&data).unwrap().assets().unwrap();
    let before = registered();
    let imports = || {
        Store::open_existing(&data)
            .unwrap()
            .history(Some(history::kind::ASSETS_IMPORTED))
            .unwrap()
            .len()
    };

    // Leaving out two registered assets: refused, naming them; nothing changes.
    let out = collector(&data)
        .args(["assets", "import"])
        .arg(&partial)
        .assert()
        .code(2);
    let err = text(&out.get_output().stderr);
    assert!(
        err.contains("leaves out 2 registered asset(s): 数据库, 邮件") && err.contains("--replace"),
        "{err}"
    );
    assert_eq!(registered(), before);

    // --dry-run shows every change and stores nothing.
    let out = collector(&data)
        .args(["assets", "import", "--dry-run", "--replace"])
        .arg(&partial)
        .assert()
        .success();
    let said = text(&out.get_output().stdout);
    for needle in [
        "1 added, 2 removed, 1 changed, 0 unchanged",
        "+ 新系统 (new-01)",
        "- 数据库 (db-01)",
        "- 邮件 (mail-01)",
        "~ 门户: ip 10.0.0.1 → 10.0.0.9",
        "Dry run",
    ] {
        assert!(said.contains(needle), "{needle}: {said}");
    }
    assert_eq!(registered(), before);
    assert_eq!(imports(), 1);

    // --replace applies it, recorded once; the same file again changes nothing.
    collector(&data)
        .args(["assets", "import", "--replace"])
        .arg(&partial)
        .assert()
        .success();
    let names: Vec<String> = registered().into_iter().map(|a| a.asset_name).collect();
    assert_eq!(names, ["门户", "新系统"]);
    let out = collector(&data)
        .args(["assets", "import"])
        .arg(&partial)
        .assert()
        .success();
    assert!(text(&out.get_output().stdout).contains("nothing was changed"));
    assert_eq!(imports(), 2);
}

#[test]
fn every_problem_of_a_file_is_listed_with_row_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bad = write(
        tmp.path(),
        "bad.csv",
        "资产名称,主机名,IP地址,等保级别\n门户,web-01,10.0.0.x,三级\n,db-01,,\n门户,web-01,,九级\n示例-门户网站服务器,ex-01,,\n"
            .as_bytes(),
    );
    let out = collector(&data)
        .args(["assets", "import"])
        .arg(&bad)
        .assert()
        .code(2);
    let err = text(&out.get_output().stderr);
    for needle in [
        "problems; nothing was imported",
        "row 2, column C (IP地址): \"10.0.0.x\" is not an IP address",
        "row 3, column A (资产名称): the asset name (资产名称) is empty",
        "row 4, column A (资产名称): asset name \"门户\" is already used in row 2",
        "row 4, column B (主机名): host name \"web-01\" is already used in row 2",
        "row 4, column D (等保级别): protection level \"九级\" is not recognised",
        "row 5, column A (资产名称): \"示例-门户网站服务器\" is an example row",
    ] {
        assert!(err.contains(needle), "{needle}:\n{err}");
    }
    assert!(
        !data.join("collector.sqlite3").exists(),
        "a refused file creates no store"
    );
}

#[test]
fn a_file_of_another_kind_is_named_for_what_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let report = write(
        tmp.path(),
        "web-01.json",
        br#"{"report": {"schema_version": 2}, "signature": {}}"#,
    );
    let out = collector(&data)
        .args(["assets", "import"])
        .arg(&report)
        .assert()
        .code(2);
    let err = text(&out.get_output().stderr);
    assert!(
        err.contains(
            "this is a signed selfcheck report; import it with `selfcheck-collector import FILE`"
        ),
        "{err}"
    );
    // And the other way round: a workbook given to `import`.
    let xlsx = workspace_root().join("reports/asset-registry-template.xlsx");
    let out = collector(&data).arg("import").arg(&xlsx).assert().code(1);
    let said = text(&out.get_output().stdout);
    assert!(
        said.contains("this is an Excel workbook (.xlsx); to load the asset registry use `selfcheck-collector assets import FILE`"),
        "{said}"
    );
    // And a report or a workbook given to `verify`.
    for (file, kind) in [
        (&report, "a signed selfcheck report"),
        (&xlsx, "an Excel workbook"),
    ] {
        let out = collector(&data).arg("verify").arg(file).assert().code(1);
        let said = text(&out.get_output().stdout);
        assert!(
            said.contains(&format!("not an evidence package: this is {kind}")),
            "{said}"
        );
    }
}

#[test]
fn a_workbook_whose_cell_references_overflow_is_refused_not_a_crash() {
    // Found by the asset_registry fuzz target: calamine's cell-reference
    // arithmetic overflows on this workbook.
    let path =
        workspace_root().join("crates/collector/tests/fixtures/malformed-cell-reference.xlsx");
    let bytes = std::fs::read(&path).unwrap();
    // The fuzz input's first byte chose xlsx; the rest is the file.
    let err = parse_xlsx(&bytes[1..], "malformed.xlsx").unwrap_err();
    assert!(matches!(err, AssetError::NotXlsx { .. }), "{err}");
    assert!(err.to_string().contains("malformed.xlsx"), "{err}");
}
