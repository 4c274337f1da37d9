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

    // Without a baseline, `fim check` refuses and names the command that makes one.
    let refused = agent(&root, &state)
        .args(["fim", "check"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8_lossy(&refused).contains("selfcheck-agent fim init"),
        "{}",
        String::from_utf8_lossy(&refused)
    );
    // `run --no-fim-init` leaves it so: the checks say how to make one.
    let out = agent(&root, &state)
        .args(["run", "--format", "json", "--no-fim-init"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let r = SignedReport::verify_bytes(&out).unwrap().signed.report;
    assert!(
        matches!(outcome(&r, "fim.unexplained-change"), CheckOutcome::CouldNotRun { reason } if reason.contains("fim init"))
    );
    assert!(!state.join("fim/baseline.json").exists());

    // The first `run` takes the baseline, signs it and records when in an info finding.
    let r = run_report(&root, &state);
    let created: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check_id.as_str() == "fim.baseline-created")
        .collect();
    assert_eq!(created.len(), 1, "{:?}", r.findings);
    assert_eq!(created[0].risk, Severity::Info);
    assert!(
        created[0].evidence[0].contains("this run took it"),
        "{:?}",
        created[0]
    );
    assert_eq!(outcome(&r, "fim.unexplained-change"), &CheckOutcome::Passed);
    let fi = r.inventory.file_integrity.as_ref().unwrap();
    assert!(fi.files >= 5 && fi.changes.is_empty(), "{fi:?}");
    assert!(state.join("fim/baseline.json").exists());
    // The next run compares with it: no new baseline, nothing changed.
    let r = run_report(&root, &state);
    assert!(
        r.findings
            .iter()
            .all(|f| f.check_id.as_str() != "fim.baseline-created"),
        "{:?}",
        r.findings
    );
    assert_eq!(outcome(&r, "fim.unexplained-change"), &CheckOutcome::Passed);

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

#[test]
fn a_flood_of_changes_is_summarised_under_the_collectors_limit() {
    use selfcheck_agent::areas::fim::cap::{FULL_LIST_FILE, MAX_LISTED_PER_KIND};
    let tmp = tempfile::tempdir().unwrap();
    let (root, state) = (tmp.path().join("root"), tmp.path().join("state"));
    host(&root);
    agent(&root, &state)
        .args(["fim", "init"])
        .assert()
        .success();

    // More added files than the report lists, and a few changed ones.
    let added = MAX_LISTED_PER_KIND + 750;
    let flood = root.join("etc/flood");
    fs::create_dir_all(&flood).unwrap();
    for i in 0..added {
        fs::write(flood.join(format!("f{i:05}")), format!("{i}\n")).unwrap();
    }
    fs::write(root.join("etc/motd"), "changed\n").unwrap();
    let r = run_report(&root, &state);
    let fi = r.inventory.file_integrity.as_ref().unwrap();
    let s = fi.summarised.as_ref().expect("the changes are summarised");
    // etc/flood itself is added too.
    assert_eq!(s.by_kind["added"], added as u64 + 1);
    assert_eq!(s.total, s.by_kind.values().sum::<u64>());
    assert_eq!(s.listed_per_kind, MAX_LISTED_PER_KIND as u64);
    let listed_added = fi.changes.iter().filter(|c| c.change == "added").count();
    assert_eq!(listed_added, MAX_LISTED_PER_KIND);
    assert!(fi.changes.iter().any(|c| c.path == "/etc/motd"));

    // The full list is in the state directory, and its digest is the report's
    // (checked with sha256sum, not with the agent's own code).
    let list = state.join("fim").join(FULL_LIST_FILE);
    assert_eq!(s.full_list_file, list.display().to_string());
    let text = fs::read_to_string(&list).unwrap();
    assert_eq!(text.lines().count() as u64, s.total);
    assert!(text.contains(&format!("added\t/etc/flood/f{:05}\t", added - 1)));
    let out = std::process::Command::new("sha256sum")
        .arg(&list)
        .output()
        .unwrap();
    let sum = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        s.full_list_sha256,
        format!("sha256:{}", sum.split_whitespace().next().unwrap())
    );

    // One finding per listed path, one more for the rest that names the list.
    let unexplained: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check_id.as_str() == "fim.unexplained-change")
        .collect();
    assert!(
        unexplained.len() <= 4 * MAX_LISTED_PER_KIND + 1,
        "{}",
        unexplained.len()
    );
    let rest = unexplained
        .iter()
        .find(|f| f.subject == "(changes past the report's list)")
        .expect("a finding for the changes not listed");
    assert!(
        rest.evidence.iter().any(|e| e.contains(&format!(
            "{} further unexplained changes",
            added + 1 - MAX_LISTED_PER_KIND
        ))),
        "{:?}",
        rest.evidence
    );
    assert!(
        rest.evidence
            .iter()
            .any(|e| e.contains(&s.full_list_sha256))
    );

    // Per listed change the report grows by a bounded amount: 300,000 changes
    // give the same list as these, far under the collector's 32 MiB.
    let bytes = serde_json::to_vec(&r).unwrap();
    assert!(bytes.len() < 8 * 1024 * 1024, "{} bytes", bytes.len());
}
