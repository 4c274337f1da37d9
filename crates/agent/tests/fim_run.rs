//! File integrity through the agent binary: `fim init`, a change, `run` and
//! `fim check` report it, `fim accept` takes it in, and a tampered baseline is
//! a critical finding, never used.

use assert_cmd::Command;
use selfcheck_report::{CheckOutcome, Report, Severity, SignedReport};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn agent(root: &Path, state: &Path) -> Command {
    let mut c = Command::cargo_bin("selfcheck-agent").unwrap();
    c.env_remove("SELFCHECK_STATE_DIR")
        .env_remove("SELFCHECK_AGENT_CONFIG")
        .args(["--config", "/dev/null", "--root"])
        .arg(root)
        .arg("--state-dir")
        .arg(state);
    c
}

fn host(dir: &Path) {
    for (p, t) in [
        ("etc/hostname", "fim-fixture\n"),
        ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
        ("etc/ssh/sshd_config", "PermitRootLogin no\n"),
        ("etc/motd", "hello\n"),
        ("usr/bin/tool", "#!/bin/sh\necho tool\n"),
    ] {
        let p = dir.join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, t).unwrap();
    }
}

fn run_report(root: &Path, state: &Path) -> Report {
    let out = agent(root, state)
        .args(["run", "--format", "json", "--fail-on", "none"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    SignedReport::verify_bytes(&out).unwrap().signed.report
}

fn outcome<'a>(r: &'a Report, id: &str) -> &'a CheckOutcome {
    &r.checks
        .iter()
        .find(|c| c.check_id.as_str() == id)
        .unwrap()
        .outcome
}

#[test]
fn init_change_run_accept() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, state) = (tmp.path().join("root"), tmp.path().join("state"));
    host(&root);

    // Without a baseline, the checks say how to make one.
    let r = run_report(&root, &state);
    assert!(
        matches!(outcome(&r, "fim.unexplained-change"), CheckOutcome::CouldNotRun { reason } if reason.contains("fim init"))
    );

    agent(&root, &state)
        .args(["fim", "init"])
        .assert()
        .success();
    agent(&root, &state).args(["fim", "check"]).assert().code(0);

    fs::write(root.join("etc/ssh/sshd_config"), "PermitRootLogin yes\n").unwrap();
    fs::set_permissions(
        root.join("usr/bin/tool"),
        fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    fs::write(root.join("etc/new.conf"), "x\n").unwrap();

    let r = run_report(&root, &state);
    let find = |check: &str| -> Vec<(&str, Severity)> {
        r.findings
            .iter()
            .filter(|f| f.check_id.as_str() == check)
            .map(|f| (f.subject.as_str(), f.risk))
            .collect()
    };
    assert_eq!(
        find("fim.unexplained-change"),
        vec![
            ("/etc/new.conf", Severity::High),
            ("/etc/ssh/sshd_config", Severity::Critical),
            ("/usr/bin/tool", Severity::Critical)
        ]
    );
    assert_eq!(
        find("fim.new-setuid"),
        vec![("/usr/bin/tool", Severity::High)]
    );
    let fi = r.inventory.file_integrity.as_ref().unwrap();
    assert_eq!(fi.changes.len(), 3);
    assert!(fi.files >= 5);
    agent(&root, &state).args(["fim", "check"]).assert().code(1);

    // Accept one change with a reason; the others remain.
    agent(&root, &state)
        .args([
            "fim",
            "accept",
            "/etc/new.conf",
            "--reason",
            "new config, change request 42",
        ])
        .assert()
        .success();
    let r = run_report(&root, &state);
    let subjects: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.check_id.as_str() == "fim.unexplained-change")
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(subjects, vec!["/etc/ssh/sshd_config", "/usr/bin/tool"]);
    let manifest = fs::read_to_string(state.join("fim/baseline.json")).unwrap();
    assert!(manifest.contains("change request 42"), "{manifest}");
    agent(&root, &state)
        .args(["fim", "accept", "--reason", "x"])
        .assert()
        .code(2);
}

#[test]
fn tampered_baseline_is_a_critical_finding_and_never_used() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, state) = (tmp.path().join("root"), tmp.path().join("state"));
    host(&root);
    agent(&root, &state)
        .args(["fim", "init"])
        .assert()
        .success();
    let body = state.join("fim/baseline.bin");
    let mut bytes = fs::read(&body).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&body, bytes).unwrap();
    let r = run_report(&root, &state);
    let invalid: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check_id.as_str() == "fim.baseline-invalid")
        .collect();
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0].risk, Severity::Critical);
    assert!(
        matches!(outcome(&r, "fim.unexplained-change"), CheckOutcome::CouldNotRun { reason } if reason.contains("failed verification"))
    );
    assert!(r.inventory.file_integrity.is_none());
    // A new baseline is refused until the invalid one is set aside.
    agent(&root, &state).args(["fim", "init"]).assert().code(2);
    agent(&root, &state)
        .args(["fim", "init", "--set-aside-invalid"])
        .assert()
        .success();
}
