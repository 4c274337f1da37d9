//! People's actions through `selfcheck-collector finding set`, the statuses
//! they give in the ledger, and `history verify` catching an edited, deleted
//! or reordered history entry (edited here with SQLite directly, as an
//! intruder with file access would).

mod common;

use assert_cmd::Command;
use common::{Sample, WEB};
use selfcheck_report::Severity;
use std::path::Path;

fn collector(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("selfcheck-collector").unwrap();
    cmd.env_remove("SELFCHECK_DATA")
        .env_remove("SELFCHECK_COLLECTOR_CONFIG")
        .args(["--lang", "en", "--data"])
        .arg(data);
    cmd
}

fn run(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = collector(data).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A store with web-01's November report (telnet high, redis medium).
fn store(tmp: &Path) -> std::path::PathBuf {
    let data = tmp.join("data");
    let usb = tmp.join("usb");
    std::fs::create_dir(&usb).unwrap();
    Sample::new(WEB, "2026-11", 1)
        .finished("2026-11-05T10:00:00+08:00")
        .findings(&[
            ("ports.telnet", "tcp/23", Severity::High),
            ("ports.redis", "tcp/6379", Severity::Medium),
        ])
        .write(&usb, "web-01.json");
    let (code, out, err) = run(&data, &["import", usb.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    data
}

fn ledger_json(data: &Path) -> serde_json::Value {
    // Status changes are stamped with today's date; the ledger must be read as of a day
    // no earlier than that (and no earlier than the month's end).
    let as_of = chrono::Local::now()
        .date_naive()
        .max(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
        .to_string();
    let (code, out, err) = run(
        data,
        &[
            "ledger", "--month", "2026-11", "--format", "json", "--as-of", &as_of,
        ],
    );
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn status_of(v: &serde_json::Value, subject: &str) -> (String, Option<String>) {
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == subject)
        .unwrap();
    (
        row["state"]["status"].as_str().unwrap().to_string(),
        row["state"]["owner"].as_str().map(str::to_string),
    )
}

#[test]
fn set_status_shows_in_the_ledger_and_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let data = store(tmp.path());
    // Missing fields are refused and change nothing.
    let (code, _, err) = run(
        &data,
        &[
            "finding",
            "set",
            "2026-11-H-001",
            "--status",
            "in_progress",
            "--by",
            "张工",
            "--reason",
            "maintenance window",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--measure") && err.contains("--owner"),
        "{err}"
    );
    // Closed is not for people to set.
    let (code, _, err) = run(
        &data,
        &[
            "finding",
            "set",
            "2026-11-H-001",
            "--status",
            "closed",
            "--by",
            "张工",
            "--reason",
            "done",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("set by a report"), "{err}");

    let (code, out, err) = run(
        &data,
        &[
            "finding",
            "set",
            "2026-11-H-001",
            "--status",
            "in_progress",
            "--by",
            "张工",
            "--reason",
            "maintenance window Friday",
            "--measure",
            "systemctl disable --now telnet.socket",
            "--owner",
            "张工",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("open -> in_progress"), "{out}");
    let v = ledger_json(&data);
    assert_eq!(
        status_of(&v, "tcp/23"),
        ("in_progress".into(), Some("张工".into()))
    );
    assert_eq!(status_of(&v, "tcp/6379").0, "open");

    // Bulk: every finding of the asset.
    let (code, out, err) = run(
        &data,
        &[
            "finding",
            "set",
            "--asset",
            "web-01",
            "--status",
            "fixed_pending_recheck",
            "--by",
            "张工",
            "--reason",
            "both services removed",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("2 finding(s) set to fixed_pending_recheck"),
        "{out}"
    );
    let v = ledger_json(&data);
    assert_eq!(status_of(&v, "tcp/23").0, "fixed_pending_recheck");
    assert_eq!(status_of(&v, "tcp/6379").0, "fixed_pending_recheck");

    let (code, out, _) = run(&data, &["finding", "show", "2026-11-H-001"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("张工 -> in_progress") && out.contains("fixed_pending_recheck"),
        "{out}"
    );

    // One import entry, three status entries; the chain is intact.
    let (code, out, _) = run(&data, &["history", "verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("history intact: 4 entries, head sm3:"),
        "{out}"
    );
}

fn sql(data: &Path, statement: &str) {
    let conn = rusqlite::Connection::open(data.join("collector.sqlite3")).unwrap();
    conn.execute_batch(statement).unwrap();
}

fn prepared(tmp: &Path) -> std::path::PathBuf {
    let data = store(tmp);
    for (status, extra) in [
        (
            "in_progress",
            vec!["--measure", "remove telnetd", "--owner", "张工"],
        ),
        ("fixed_pending_recheck", vec![]),
    ] {
        let mut args = vec![
            "finding",
            "set",
            "2026-11-H-001",
            "--status",
            status,
            "--by",
            "张工",
            "--reason",
            "work",
        ];
        args.extend(extra);
        let (code, out, err) = run(&data, &args);
        assert_eq!(code, 0, "{out}{err}");
    }
    data
}

#[test]
fn history_verify_names_an_edited_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let data = prepared(tmp.path());
    // Someone rewrites who did it.
    sql(&data, "UPDATE history SET actor = '李工' WHERE seq = 2");
    let (code, out, _) = run(&data, &["history", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 2 (status_set by 李工"), "{out}");
    assert!(out.contains("edited"), "{out}");
    assert!(out.contains("history BROKEN"), "{out}");
}

#[test]
fn history_verify_names_a_deleted_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let data = prepared(tmp.path());
    sql(&data, "DELETE FROM history WHERE seq = 2");
    let (code, out, _) = run(&data, &["history", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 3: expected entry 2 here"), "{out}");
}

#[test]
fn history_verify_names_reordered_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let data = prepared(tmp.path());
    // Swap the two status changes' places in the chain.
    sql(
        &data,
        "UPDATE history SET seq = 100 WHERE seq = 2;
         UPDATE history SET seq = 2 WHERE seq = 3;
         UPDATE history SET seq = 3 WHERE seq = 100;",
    );
    let (code, out, _) = run(&data, &["history", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("entry 2 ") && out.contains("entry 3 "),
        "{out}"
    );
}

#[test]
fn chinese_is_the_default_for_every_text_for_people() {
    let tmp = tempfile::tempdir().unwrap();
    let data = store(tmp.path());
    let zh = |args: &[&str]| {
        let out = Command::cargo_bin("selfcheck-collector")
            .unwrap()
            .env_remove("SELFCHECK_DATA")
            .env_remove("SELFCHECK_COLLECTOR_CONFIG")
            .arg("--data")
            .arg(&data)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (code, _, err) = run(
        &data,
        &[
            "finding",
            "set",
            "2026-11-H-001",
            "--status",
            "in_progress",
            "--by",
            "张工",
            "--reason",
            "周五补丁窗口",
            "--measure",
            "停用 telnet",
            "--owner",
            "张工",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let show = zh(&["finding", "show", "2026-11-H-001"]);
    for needle in [
        "资产",
        "检查项",
        "状态",
        "整改中",
        "风险 高危",
        "整改时限",
        "发现",
        "首次",
        "整改建议",
        "处置记录",
        "整改措施：停用 telnet",
        "web-01",
    ] {
        assert!(show.contains(needle), "{needle}:\n{show}");
    }
    for english in ["asset:", "status:", "seen:", "deadline", "occurrences"] {
        assert!(!show.contains(english), "{english}:\n{show}");
    }
    // The asset is named by its host, not its machine id.
    assert!(!show.contains(WEB.machine_id.unwrap()), "{show}");
    assert!(zh(&["history", "verify"]).starts_with("历史记录完整"));
    assert!(zh(&["history", "list"]).starts_with("  序号"));
    let import = zh(&[
        "import",
        tmp.path().join("usb/web-01.json").to_str().unwrap(),
    ]);
    assert!(
        import.starts_with("此前已入库") && import.contains("共 1 个文件"),
        "{import}"
    );
}
