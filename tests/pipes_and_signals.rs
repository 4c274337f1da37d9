//! Every listing command into `head -1`, into a pipe already closed, and
//! Ctrl-C in the middle of an audit: each stops quietly with the conventional
//! status (0, or 141 = killed by SIGPIPE; 130 = killed by SIGINT), never a
//! panic ("failed printing to stdout: Broken pipe", exit 101), and leaves no
//! half-written file behind.

use selfcheck_report::SignedReport;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts/kylin-v10")
}

fn selfcheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_selfcheck"));
    for v in [
        "SELFCHECK_STATE_DIR",
        "SELFCHECK_DATA",
        "SELFCHECK_AGENT_CONFIG",
        "SELFCHECK_COLLECTOR_CONFIG",
    ] {
        c.env_remove(v);
    }
    c
}

/// A store with a month of the fixture host's findings, and its state dir.
fn month(dir: &Path) -> (PathBuf, PathBuf) {
    let (state, data) = (dir.join("state"), dir.join("data"));
    let status = selfcheck()
        .args([
            "run",
            "--period",
            "2026-11",
            "--config",
            "/dev/null",
            "--root",
        ])
        .arg(fixture())
        .arg("--state-dir")
        .arg(&state)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    (state, data)
}

/// The listing commands, with the arguments they need here.
fn listings(state: &Path, data: &Path) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let (state, data, root) = (
        state.display().to_string(),
        data.display().to_string(),
        fixture().display().to_string(),
    );
    let mut all = vec![
        s(&["agent", "checks", "list"]),
        s(&["agent", "checks", "show", "ports.telnet"]),
        s(&["agent", "--root", &root, "ports"]),
        s(&["agent", "packages"]),
        s(&[
            "agent",
            "--root",
            &root,
            "--config",
            "/dev/null",
            "baseline",
        ]),
        s(&["agent", "--state-dir", &state, "submit", "--list"]),
        s(&[
            "agent",
            "--root",
            &root,
            "--state-dir",
            &state,
            "--config",
            "/dev/null",
            "fim",
            "check",
        ]),
    ];
    for args in [
        vec!["ledger", "--month", "2026-11"],
        vec!["ledger", "--month", "2026-11", "--format", "csv"],
        vec!["ledger", "--month", "2026-11", "--format", "json"],
        vec!["reports"],
        vec!["assets", "list"],
        vec!["history", "list"],
        vec!["history", "verify"],
        vec!["store", "verify"],
        vec!["finding", "show", "2026-11-H-001"],
    ] {
        let mut v = s(&["collector", "--data", &data]);
        v.extend(s(&args));
        all.push(v);
    }
    all
}

fn assert_quiet(what: &str, status: ExitStatus, stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{what}: {stderr}"
    );
    assert_ne!(status.code(), Some(101), "{what}: {stderr}");
    // 0 or 1 (fim check / store verify may find something), or ended by SIGPIPE.
    assert!(
        matches!(status.code(), Some(0) | Some(1)) || status.signal() == Some(13),
        "{what}: {status:?} {stderr}"
    );
}

#[test]
fn every_listing_command_piped_into_head_stops_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let (state, data) = month(tmp.path());
    for args in listings(&state, &data) {
        let what = args.join(" ");
        let mut producer = selfcheck()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let head = Command::new("head")
            .arg("-1")
            .stdin(producer.stdout.take().unwrap())
            .output()
            .unwrap();
        let out = producer.wait_with_output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&head.stdout).lines().count(),
            1,
            "{what}"
        );
        assert_quiet(&what, out.status, &String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn every_listing_command_into_a_closed_pipe_stops_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let (state, data) = month(tmp.path());
    for args in listings(&state, &data) {
        let what = args.join(" ");
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = selfcheck()
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_quiet(&what, out.status, &stderr);
        // Nothing could be printed, so the process ended by SIGPIPE at its first line.
        assert_eq!(
            out.status.signal(),
            Some(13),
            "{what}: {:?} {stderr}",
            out.status
        );
    }
    // `selfcheck run` too: the report is written and stored before the first line.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = selfcheck()
        .args([
            "run",
            "--period",
            "2026-11",
            "--config",
            "/dev/null",
            "--root",
        ])
        .arg(fixture())
        .arg("--state-dir")
        .arg(&state)
        .arg("--data")
        .arg(&data)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_quiet("run", out.status, &String::from_utf8_lossy(&out.stderr));
    let reports = std::fs::read_dir(state.join("reports/2026-11"))
        .unwrap()
        .count();
    assert_eq!(reports, 2, "the second run's report was kept");
}

#[test]
fn ctrl_c_during_an_audit_ends_it_at_once_and_leaves_no_partial_report() {
    let tmp = tempfile::tempdir().unwrap();
    // A root with enough files that hashing them takes a while.
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hostname"), "big-01\n").unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    for d in 0..40 {
        let dir = root.join(format!("usr/bin/d{d}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..500 {
            std::fs::write(dir.join(format!("f{f}")), vec![b'x'; 4096]).unwrap();
        }
    }
    let state = tmp.path().join("state");
    let child = selfcheck()
        .args(["agent", "--config", "/dev/null", "--root"])
        .arg(&root)
        .arg("--state-dir")
        .arg(&state)
        .args(["run", "--threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the audit has started (its key exists), then interrupt it.
    let started = std::time::Instant::now();
    while !state.join("agent-key.pem").exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    if out.status.success() {
        // The audit was quicker than the signal: then its report is whole.
        eprintln!("the audit finished before Ctrl-C; nothing to interrupt");
    } else {
        assert_eq!(out.status.signal(), Some(2), "{:?} {stderr}", out.status);
    }
    // Whatever is in the reports directory is a whole, verifiable report.
    if let Ok(months) = std::fs::read_dir(state.join("reports")) {
        for month in months {
            for file in std::fs::read_dir(month.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    SignedReport::verify_bytes(&bytes).is_ok(),
                    "{} is not a whole report",
                    path.display()
                );
            }
        }
    }
    // No baseline half written either: either none, or one that a check accepts.
    if state.join("fim/baseline.json").exists() {
        let status = selfcheck()
            .args(["agent", "--config", "/dev/null", "--root"])
            .arg(&root)
            .arg("--state-dir")
            .arg(&state)
            .args(["fim", "check"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0));
    }
}
