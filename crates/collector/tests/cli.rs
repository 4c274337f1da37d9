//! `selfcheck-collector` end to end: import, ledger, reports, help and errors.

mod common;

use assert_cmd::Command;
use common::{DB, Sample, WEB};
use selfcheck_report::Severity;
use std::path::Path;

fn collector(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("selfcheck-collector").unwrap();
    cmd.env_remove("SELFCHECK_DATA").arg("--data").arg(data);
    cmd
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn import_then_ledger_then_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let usb = tmp.path().join("usb");
    std::fs::create_dir(&usb).unwrap();
    Sample::new(WEB, "2026-11", 1).write(&usb, "web-01.json");
    Sample::new(DB, "2026-11", 2)
        .findings(&[("ports.mysql", "tcp/3306", Severity::Critical)])
        .write(&usb, "db-01.json");
    let bad = usb.join("zz-truncated.json");
    std::fs::write(&bad, &Sample::new(DB, "2026-11", 3).bytes()[..200]).unwrap();

    // One refused file: exit status 1, one line per file and a summary.
    let out = collector(&data)
        .args(["import", "--lang", "en"])
        .arg(&usb)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("stored") && text.contains("db-01.json"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "refused         {}: report is truncated",
            bad.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("3 file(s): 2 stored, 0 already stored, 1 refused"),
        "{text}"
    );

    // The good files again: already stored, exit status 0.
    std::fs::remove_file(&bad).unwrap();
    let out = collector(&data)
        .args(["import", "--lang", "en"])
        .arg(&usb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("2 file(s): 0 stored, 2 already stored, 0 refused"));

    // The ledger as CSV to a file.
    let csv_path = tmp.path().join("台账-2026-11.csv");
    let out = collector(&data)
        .args(["ledger", "--month", "2026-11", "--format", "csv", "--out"])
        .arg(&csv_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("2 row(s) from 2 host(s)"));
    // One file per sheet next to it; the detail sheet has every column, one row per finding.
    let csv_text = std::fs::read_to_string(tmp.path().join("台账-2026-11-明细.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(&reader.headers().unwrap()[1], "问题编号");
    assert_eq!(reader.records().count(), 2);

    // The ledger as a table in English, and as JSON on standard output.
    let out = collector(&data)
        .args(["ledger", "--month", "2026-11", "--lang", "en"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("Inspection and rectification ledger 2026-11"));
    let out = collector(&data)
        .args(["ledger", "--month", "2026-11", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"][0]["finding_no"], "2026-11-C-001");

    // The stored reports.
    let out = collector(&data)
        .args(["reports", "--month", "2026-11", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    let out = collector(&data)
        .args(["reports", "--lang", "en"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("web-01") && stdout(&out).contains("Report id"));
}

#[test]
fn data_directory_comes_from_the_environment_too() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("from-env");
    let report = Sample::new(WEB, "2026-11", 1).write(tmp.path(), "web.json");
    Command::cargo_bin("selfcheck-collector")
        .unwrap()
        .env("SELFCHECK_DATA", &data)
        .arg("import")
        .arg(&report)
        .assert()
        .success();
    assert!(data.join("collector.sqlite3").is_file());
}

#[test]
fn key_change_needs_accept_new_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let old = Sample::new(WEB, "2026-11", 1).write(tmp.path(), "old.json");
    let new = Sample::new(WEB, "2026-12", 2)
        .key(7)
        .write(tmp.path(), "new.json");
    collector(&data)
        .args(["import", "--lang", "en"])
        .arg(&old)
        .assert()
        .success();
    let out = collector(&data)
        .args(["import", "--lang", "en"])
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("agent key changed for host web-01"),
        "{}",
        stdout(&out)
    );
    collector(&data)
        .args(["import", "--accept-new-key", "web-01"])
        .arg(&new)
        .assert()
        .success();
}

#[test]
fn ledger_without_a_store_is_an_error_with_exit_status_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = collector(&tmp.path().join("nowhere"))
        .args(["ledger", "--month", "2026-11"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: no collector store at"), "{err}");
    assert!(
        !tmp.path().join("nowhere").exists(),
        "reading must not create a store"
    );
}

#[test]
fn only_creating_commands_make_a_store_and_only_in_a_new_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let report = Sample::new(WEB, "2026-11", 1).write(tmp.path(), "web.json");
    // Every command that only reads refuses a directory without a store, and creates nothing.
    let typo = tmp.path().join("collectr");
    for args in [
        vec!["ledger"],
        vec!["reports"],
        vec!["assets", "list"],
        vec!["history", "list"],
        vec!["history", "verify"],
        vec!["store", "verify"],
        vec!["certs", "list"],
        vec!["finding", "show", "2026-11-H-001"],
        vec!["evidence", "--out", "x.zip"],
    ] {
        let out = collector(&typo).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no collector store at"), "{args:?}: {err}");
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
    // A creating command in a directory that holds other files but no store: refused.
    let busy = tmp.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "not a store\n").unwrap();
    let out = collector(&busy)
        .arg("import")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("holds files but no collector store") && err.contains("--data"),
        "{err}"
    );
    assert!(!busy.join("collector.sqlite3").exists());
    // In a new directory (or one with only collector.toml) it is made, and said so.
    let fresh = tmp.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    std::fs::write(fresh.join("collector.toml"), "").unwrap();
    let out = collector(&fresh)
        .arg("import")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("created a new collector store in"), "{err}");
    // The second time it is simply used.
    let out = collector(&fresh)
        .arg("import")
        .arg(&report)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("created"));
}

#[test]
fn bad_catalog_directory_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let report = Sample::new(WEB, "2026-11", 1).write(tmp.path(), "web.json");
    let out = collector(&tmp.path().join("data"))
        .arg("--checks")
        .arg(tmp.path().join("no-such-catalog"))
        .arg("import")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot load the check catalog") && err.contains("no-such-catalog"),
        "{err}"
    );
}

#[test]
fn every_command_explains_itself_with_an_example() {
    for args in [
        vec!["--help"],
        vec!["import", "--help"],
        vec!["ledger", "--help"],
        vec!["reports", "--help"],
    ] {
        let out = Command::cargo_bin("selfcheck-collector")
            .unwrap()
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains("Examples:"), "{args:?}:\n{text}");
        assert!(text.contains("selfcheck-collector"), "{args:?}:\n{text}");
    }
    let out = Command::cargo_bin("selfcheck-collector")
        .unwrap()
        .args(["ledger", "--month", "2026/11"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM"));
}
