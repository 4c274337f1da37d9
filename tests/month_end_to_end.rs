//! The walking skeleton end to end with the real `selfcheck` binary: audit a
//! fixture host, sign, store, and read the month's ledger back; then the same
//! report again through the collector is stored once.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts/kylin-v10")
}

fn selfcheck() -> Command {
    let mut c = Command::cargo_bin("selfcheck").unwrap();
    for v in [
        "SELFCHECK_STATE_DIR",
        "SELFCHECK_DATA",
        "SELFCHECK_AGENT_CONFIG",
    ] {
        c.env_remove(v);
    }
    c
}

fn stdout(c: &mut Command, code: i32) -> String {
    let out = c.assert().code(code).get_output().clone();
    assert!(
        out.status.code() == Some(code),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn run_audits_stores_and_prints_the_months_ledger() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let data = tmp.path().join("data");
    let run = || {
        let mut c = selfcheck();
        c.args([
            "run",
            "--details",
            "--period",
            "2026-11",
            "--lang",
            "en",
            "--config",
            "/dev/null",
        ])
        .arg("--root")
        .arg(fixture())
        .arg("--state-dir")
        .arg(&state)
        .arg("--data")
        .arg(&data);
        c
    };
    let text = stdout(&mut run(), 0);
    // The agent part: this host's sockets and its findings.
    assert!(text.contains("kylin-app-01"), "{text}");
    assert!(
        text.contains("0.0.0.0:23") && text.contains("inetd (812)"),
        "{text}"
    );
    for check in ["ports.telnet", "ports.snmp", "ports.redis"] {
        assert!(text.contains(check), "{check} missing:\n{text}");
    }
    assert!(
        !text.contains("ports.mysql "),
        "MySQL on loopback is not a finding:\n{text}"
    );
    // The collector part: stored, and the ledger of the month.
    assert!(text.contains("stored"), "{text}");
    assert!(
        text.contains("Inspection and rectification ledger 2026-11"),
        "{text}"
    );
    assert!(
        text.contains("2026-11-H-00"),
        "ledger finding numbers:\n{text}"
    );

    // --fail-on makes the same run fail for scripts.
    let mut failing = run();
    failing.args(["--fail-on", "high"]);
    stdout(&mut failing, 1);

    // The ledger through the collector, as JSON: the latest report's three findings.
    let json = stdout(
        selfcheck()
            .args([
                "collector",
                "ledger",
                "--month",
                "2026-11",
                "--format",
                "json",
                "--data",
            ])
            .arg(&data),
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let text = v.to_string();
    assert!(
        text.contains("ports.telnet") && text.contains("ports.redis"),
        "{json}"
    );
    // The same three findings in both runs keep their numbers: no duplicates appear.
    let numbers: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["finding_no"].as_str().unwrap())
        .collect();
    for no in ["2026-11-H-001", "2026-11-H-002", "2026-11-M-003"] {
        assert_eq!(
            numbers.iter().filter(|n| **n == no).count(),
            1,
            "{no} in {json}"
        );
    }

    // Importing a stored report file again is recognised and stored once.
    let kept: Vec<_> = std::fs::read_dir(state.join("reports/2026-11"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 2);
    let again = stdout(
        selfcheck()
            .args(["collector", "import", "--lang", "en", "--data"])
            .arg(&data)
            .arg(&kept[0]),
        0,
    );
    assert!(again.contains("already stored"), "{again}");
}

#[test]
fn run_prints_a_summary_first_that_fits_one_screen_at_80_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut c = selfcheck();
        c.env("COLUMNS", "80")
            .args(["run", "--period", "2026-11", "--config", "/dev/null"])
            .args(extra)
            .arg("--root")
            .arg(fixture())
            .arg("--state-dir")
            .arg(tmp.path().join("state"))
            .arg("--data")
            .arg(tmp.path().join("data"));
        stdout(&mut c, 0)
    };
    let text = run(&[]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() < 40, "{} lines:\n{text}", lines.len());
    for line in &lines {
        // The host line may be longer; every table row fits.
        if line.starts_with('│') || line.starts_with('┌') {
            assert!(console_width(line) <= 80, "wider than 80 columns: {line}");
        }
    }
    // Per area, the most serious findings, where the report is, how to see more.
    for needle in [
        "端口与服务",
        "补丁与漏洞",
        "文件完整性",
        "配置基线",
        "合计",
        "最严重的",
        "Telnet 明文远程登录服务在监听",
        "报告：",
        "--details",
        "已入库",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    // The first run took the file-integrity baseline and said so.
    assert!(!text.contains("fim init"), "{text}");
    // No colour into a pipe.
    assert!(!text.contains('\u{1b}'), "{text}");
    // --details prints every finding with its evidence, then the summary.
    let details = run(&["--details", "--lang", "en"]);
    assert!(details.lines().count() > lines.len(), "{details}");
    assert!(
        details.contains("Findings (") && details.contains("inetd (812)"),
        "{details}"
    );
    assert!(
        details.rfind("Report: ") > details.find("Findings ("),
        "summary after the details:\n{details}"
    );
    // --color always colours even into a pipe; NO_COLOR does not override --color always.
    let mut c = selfcheck();
    c.env("NO_COLOR", "1")
        .args([
            "run",
            "--color",
            "always",
            "--period",
            "2026-11",
            "--config",
            "/dev/null",
        ])
        .arg("--root")
        .arg(fixture())
        .arg("--state-dir")
        .arg(tmp.path().join("state"))
        .arg("--data")
        .arg(tmp.path().join("data"));
    assert!(stdout(&mut c, 0).contains("\u{1b}["));
}

/// Terminal columns a line takes: CJK characters take two.
fn console_width(line: &str) -> usize {
    line.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115f
            | 0x2e80..=0xa4cf
            | 0xac00..=0xd7a3
            | 0xf900..=0xfaff
            | 0xfe30..=0xfe4f
            | 0xff00..=0xff60
            | 0xffe0..=0xffe6 => 2,
            _ => 1,
        })
        .sum()
}

#[test]
fn agent_and_collector_are_reachable_through_the_umbrella() {
    let list = stdout(
        selfcheck().args(["agent", "checks", "list", "--lang", "en"]),
        0,
    );
    assert!(
        list.contains("ports.telnet") && list.contains("GB/T 22239-2019"),
        "{list}"
    );
    let help = stdout(selfcheck().args(["run", "--help"]), 0);
    assert!(
        help.contains("--fail-on") && help.contains("--root"),
        "{help}"
    );
    selfcheck()
        .args(["run", "--period", "2026-13"])
        .assert()
        .code(2);
}

#[test]
fn run_on_this_host_finds_a_risky_listener_opened_by_the_test() {
    // An X11-range port on loopback: "ports.x11" flags it on any address.
    let listener = (6000..=6010)
        .find_map(|port| std::net::TcpListener::bind(("127.0.0.1", port)).ok())
        .expect("one of 127.0.0.1:6000-6010 is free");
    let port = listener.local_addr().unwrap().port();
    let tmp = tempfile::tempdir().unwrap();
    let text = stdout(
        selfcheck()
            .args([
                "run",
                "--details",
                "--lang",
                "en",
                "--config",
                "/dev/null",
                "--state-dir",
            ])
            .arg(tmp.path().join("state"))
            .arg("--data")
            .arg(tmp.path().join("data")),
        0,
    );
    let endpoint = format!("127.0.0.1:{port}");
    let subject = format!("tcp/{port}");
    assert!(text.contains(&endpoint), "{endpoint} not listed:\n{text}");
    assert!(
        text.contains("ports.x11") && text.contains(&subject),
        "{text}"
    );
    // The evidence cell may wrap between "pid" and the number.
    let holder = format!("pid {}", std::process::id());
    let unwrapped: String = text
        .lines()
        .filter(|l| l.contains("ports.x11") || l.starts_with("│        ┆"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains(&holder)
            || (unwrapped.contains("pid") && unwrapped.contains(&std::process::id().to_string())),
        "evidence names this test process ({holder}):\n{text}"
    );
    assert!(
        text.contains("Inspection and rectification ledger"),
        "{text}"
    );
    drop(listener);
}
