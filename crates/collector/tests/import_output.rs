//! What `import` and the listing commands print, through the binary: on a
//! full disk every file is said stored or not stored as the store really has
//! it (text and `--json`, exit status 1), and text a report supplies reaches
//! the terminal with its control characters escaped while JSON keeps it exact.

mod common;

use assert_cmd::Command;
use common::{Sample, WEB};
use selfcheck_report::ReportId;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn collector(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("selfcheck-collector").unwrap();
    cmd.env_remove("SELFCHECK_DATA")
        .env("COLUMNS", "400")
        .args(["--lang", "en", "--data"])
        .arg(data);
    cmd
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Unmounts the test's tmpfs when the test ends, however it ends.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// Pseudo-random hex (xorshift), so that compression cannot shrink reports.
fn noise(seed: u64, len: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from_digit((x % 16) as u32, 16).unwrap()
        })
        .collect()
}

/// Report `n` of web-01 with a few KB of incompressible evidence.
fn big_report(n: u32) -> (ReportId, Vec<u8>) {
    let sample = Sample::new(WEB, "2026-11", 1);
    let mut report = sample.report();
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id[15] = 0x5a;
    report.report_id = ReportId::from_random_bytes(id);
    report.findings[0].evidence = vec![noise(u64::from(n), 6000)];
    let bytes = sample
        .agent_key()
        .sign(report)
        .unwrap()
        .to_file_bytes()
        .unwrap();
    (ReportId::from_random_bytes(id), bytes)
}

/// Report ids in the store, read by the sqlite3 shell rather than this code.
fn ids_in_store(data: &Path) -> BTreeSet<String> {
    let out = std::process::Command::new("sqlite3")
        .arg("-readonly")
        .arg(data.join("collector.sqlite3"))
        .arg("SELECT report_id FROM reports")
        .output()
        .expect("sqlite3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn on_a_full_disk_import_says_exactly_which_reports_are_stored() {
    if std::process::Command::new("sqlite3")
        .arg("-version")
        .output()
        .is_err()
    {
        eprintln!("skipped: the sqlite3 shell is not installed (it checks the store here)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=768k,mode=0700", "tmpfs"])
        .arg(&data)
        .output();
    match mounted {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            eprintln!(
                "skipped: mounting a small tmpfs is not permitted here (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return;
        }
        Err(e) => {
            eprintln!("skipped: cannot run mount: {e}");
            return;
        }
    }
    let _unmount = Mounted(data.clone());
    let usb = tmp.path().join("usb");
    std::fs::create_dir(&usb).unwrap();
    let mut by_file = Vec::new();
    for n in 0..500u32 {
        let (id, bytes) = big_report(n);
        let name = format!("r{n:03}.json");
        std::fs::write(usb.join(&name), bytes).unwrap();
        by_file.push((usb.join(&name).display().to_string(), id.to_string()));
    }

    let out = collector(&data)
        .args(["import", "--json"])
        .arg(&usb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["format"], "selfcheck-import-v1");
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 500);
    let in_store = ids_in_store(&data);
    let (mut said_stored, mut said_not) = (0, 0);
    for (f, (path, id)) in files.iter().zip(&by_file) {
        assert_eq!(f["path"], path.as_str());
        let stored = f["in_store"].as_bool().unwrap();
        assert_eq!(
            stored,
            in_store.contains(id),
            "{path} is said {} but the store {} it: {f}",
            f["outcome"],
            if in_store.contains(id) {
                "holds"
            } else {
                "lacks"
            }
        );
        if stored {
            assert_eq!(f["outcome"], "stored");
            said_stored += 1;
        } else {
            assert_eq!(f["outcome"], "not_stored", "{f}");
            assert!(f["error"].as_str().unwrap().contains("full"), "{f}");
            said_not += 1;
        }
    }
    assert!(
        said_not > 0,
        "the disk never filled; make the tmpfs smaller or the reports bigger"
    );
    assert_eq!(doc["summary"]["stored"], said_stored);
    assert_eq!(doc["summary"]["not_stored"], said_not);
    assert_eq!(in_store.len(), said_stored, "nothing else is in the store");
    eprintln!("full disk: {said_stored} of 500 reports stored, {said_not} not stored");

    // The same folder again, as text: stored ones are already stored, the
    // others are still not stored, each named.
    let out = collector(&data).arg("import").arg(&usb).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 501, "{text}");
    let in_store = ids_in_store(&data);
    for (line, (path, id)) in lines.iter().zip(&by_file) {
        assert!(line.contains(path.as_str()), "{line}");
        if in_store.contains(id) {
            assert!(
                line.starts_with("already stored") || line.starts_with("stored"),
                "{line}"
            );
        } else {
            assert!(line.starts_with("not stored"), "{line}");
        }
    }
    let summary = lines[500];
    assert!(
        summary.contains("not stored (the store could not be written)")
            && summary.contains("import the files marked \"not stored\" again"),
        "{summary}"
    );
}

const EVIL_HOST: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}host";
const EVIL_EVIDENCE: &str = "\u{1b}[1;1H\u{1b}[32mall clear\u{9b}0m";

#[test]
fn report_text_reaches_the_terminal_escaped_and_json_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let host = common::Host {
        hostname: EVIL_HOST,
        ..WEB
    };
    let sample = Sample::new(host.clone(), "2026-11", 1);
    let mut report = sample.report();
    report.findings[0].evidence = vec![EVIL_EVIDENCE.to_string()];
    let bytes = sample
        .agent_key()
        .sign(report)
        .unwrap()
        .to_file_bytes()
        .unwrap();
    let path = tmp.path().join("evil.json");
    std::fs::write(&path, bytes).unwrap();
    collector(&data).arg("import").arg(&path).assert().success();
    // A key change: the refusal quotes the host name.
    let rekeyed = Sample::new(host, "2026-11", 2)
        .key(9)
        .write(tmp.path(), "rekeyed.json");

    let runs: Vec<(&str, Vec<&str>, std::process::Output)> = vec![
        ("import", vec![]),
        ("reports", vec![]),
        ("ledger", vec!["--month", "2026-11"]),
        ("finding", vec!["show", "2026-11-H-001"]),
    ]
    .into_iter()
    .map(|(cmd, args)| {
        let mut c = collector(&data);
        c.arg(cmd).args(&args);
        if cmd == "import" {
            c.arg(&rekeyed);
        }
        let out = c.output().unwrap();
        (cmd, args, out)
    })
    .collect();
    for (cmd, args, out) in &runs {
        let text = stdout(out);
        assert!(!text.is_empty(), "{cmd} {args:?} printed nothing");
        for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(
                !text.contains(bad),
                "{cmd} {args:?} printed {bad:?} raw:\n{text}"
            );
        }
        assert!(
            text.contains("\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}host") || *cmd == "finding",
            "{cmd} {args:?} does not show the host name escaped:\n{text}"
        );
    }
    // The terminal table leaves evidence to `finding show`; the table written
    // to a file carries it, escaped the same way.
    let file = tmp.path().join("ledger.txt");
    collector(&data)
        .args(["ledger", "--month", "2026-11", "--out"])
        .arg(&file)
        .assert()
        .success();
    let ledger = std::fs::read_to_string(&file).unwrap();
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(
            !ledger.contains(bad),
            "the ledger file holds {bad:?} raw:\n{ledger}"
        );
    }
    assert!(
        ledger.contains("\\x1b[1;1H\\x1b[32mall clear\\u{9b}0m"),
        "evidence escaped in the ledger table:\n{ledger}"
    );
    let show = stdout(&runs[3].2);
    assert!(show.contains("asset:"), "{show}");

    // JSON keeps the data exact.
    let out = collector(&data)
        .args(["reports", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc[0]["hostname"], EVIL_HOST);
    let out = collector(&data)
        .args(["ledger", "--month", "2026-11", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["rows"][0]["hostname"], EVIL_HOST);
    assert_eq!(doc["rows"][0]["evidence"][0], EVIL_EVIDENCE);
}
