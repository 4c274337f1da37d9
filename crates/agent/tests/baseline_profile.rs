//! Level profiles and not-applicable exceptions, through the agent binary:
//! what the signed report says, what `baseline` prints, and that a bad
//! exception stops the run before anything is written.

use assert_cmd::Command;
use selfcheck_catalog::Catalog;
use selfcheck_report::{CheckOutcome, ProtectionLevel, Report, SignedReport};
use std::fs;
use std::path::Path;

/// A small root: identity, a weak login.defs and no shell timeout.
fn root() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    for (rel, text) in [
        ("etc/hostname", "profile-host\n"),
        ("etc/os-release", "ID=debian\nVERSION_ID=\"13\"\n"),
        ("etc/login.defs", "PASS_MAX_DAYS 120\nPASS_MIN_DAYS 1\n"),
        ("etc/profile", "PATH=/usr/bin:/bin\n"),
        (
            "etc/ssh/sshd_config",
            "PermitRootLogin no\nPasswordAuthentication yes\n",
        ),
    ] {
        let p = r.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    tmp
}

fn agent(root: &Path, state: &Path, config: &Path) -> Command {
    let mut c = Command::cargo_bin("selfcheck-agent").unwrap();
    c.env_remove("SELFCHECK_STATE_DIR")
        .env_remove("SELFCHECK_AGENT_CONFIG")
        .arg("--root")
        .arg(root)
        .arg("--state-dir")
        .arg(state)
        .arg("--config")
        .arg(config);
    c
}

fn run_report(root: &Path, config_text: &str, extra: &[&str]) -> Report {
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("agent.toml");
    fs::write(&config, config_text).unwrap();
    let out = agent(root, &state.path().join("state"), &config)
        .args(["run", "--format", "json", "--fail-on", "none"])
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    SignedReport::verify_bytes(&out)
        .expect("the printed report verifies")
        .signed
        .report
}

fn outcome<'a>(r: &'a Report, id: &str) -> &'a CheckOutcome {
    &r.checks
        .iter()
        .find(|c| c.check_id.as_str() == id)
        .unwrap_or_else(|| panic!("{id} is not in the report"))
        .outcome
}

const EXCEPTION: &str = "[[baseline.exception]]
check = \"baseline.shell-timeout\"
reason = \"Operator console in a locked room (ticket 2026-131)\"
approver = \"Wang Min\"
expires = 2099-06-30
";

#[test]
fn the_report_carries_the_level_and_marks_what_does_not_apply() {
    let root = root();
    let catalog = Catalog::embedded().unwrap();
    let level3_only: Vec<&str> = catalog
        .area(selfcheck_catalog::Area::Baseline)
        .filter(|d| d.levels == [ProtectionLevel::THREE])
        .map(|d| d.id.as_str())
        .collect();
    assert!(level3_only.contains(&"baseline.sshd-password-authentication"));

    // Level 3 (the default): password authentication is checked and found.
    let r3 = run_report(root.path(), EXCEPTION, &[]);
    assert_eq!(r3.schema_version, 2);
    assert_eq!(r3.baseline_level, Some(ProtectionLevel::THREE));
    assert_eq!(
        outcome(&r3, "baseline.sshd-password-authentication"),
        &CheckOutcome::Findings { count: 1 }
    );

    // Level 2 from the config: every level-3-only check is not applicable, with no findings.
    let r2 = run_report(
        root.path(),
        &format!("[baseline]\nlevel = 2\n{EXCEPTION}"),
        &[],
    );
    assert_eq!(r2.baseline_level, Some(ProtectionLevel::TWO));
    for id in &level3_only {
        match outcome(&r2, id) {
            CheckOutcome::NotApplicable {
                reason, approver, ..
            } => {
                assert!(reason.contains("level 3 only"), "{id}: {reason}");
                assert!(approver.is_none());
            }
            o => panic!("{id}: {o:?}"),
        }
        assert!(r2.findings.iter().all(|f| f.check_id.as_str() != *id));
    }
    // --level wins over the file.
    let r = run_report(
        root.path(),
        &format!("[baseline]\nlevel = 2\n{EXCEPTION}"),
        &["--level", "3"],
    );
    assert_eq!(r.baseline_level, Some(ProtectionLevel::THREE));

    // The exception, in both: not applicable with its reason, approver and expiry.
    for r in [&r3, &r2] {
        assert_eq!(
            outcome(r, "baseline.shell-timeout"),
            &CheckOutcome::NotApplicable {
                reason: "Operator console in a locked room (ticket 2026-131)".into(),
                approver: Some("Wang Min".into()),
                expires: chrono::NaiveDate::from_ymd_opt(2099, 6, 30),
            }
        );
    }
    // Without it the check finds the missing TMOUT.
    let plain = run_report(root.path(), "", &[]);
    assert_eq!(
        outcome(&plain, "baseline.shell-timeout"),
        &CheckOutcome::Findings { count: 1 }
    );
}

#[test]
fn an_expired_exception_is_ignored_and_said_so() {
    let root = root();
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("agent.toml");
    fs::write(&config, EXCEPTION.replace("2099-06-30", "2020-01-31")).unwrap();
    let out = agent(root.path(), &state.path().join("state"), &config)
        .args(["run", "--format", "json", "--fail-on", "none"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("baseline.shell-timeout") && stderr.contains("expired on 2020-01-31"),
        "{stderr}"
    );
    let r = SignedReport::verify_bytes(&out.stdout)
        .unwrap()
        .signed
        .report;
    assert_eq!(
        outcome(&r, "baseline.shell-timeout"),
        &CheckOutcome::Findings { count: 1 }
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.check_id.as_str() == "baseline.shell-timeout")
        .unwrap();
    assert!(f.evidence.last().unwrap().contains("expired on 2020-01-31"));
}

#[test]
fn a_bad_exception_stops_the_run_before_anything_is_written() {
    let root = root();
    for (text, says) in [
        (
            EXCEPTION.replace("baseline.shell-timeout", "baseline.no-such-check"),
            "baseline.no-such-check",
        ),
        (
            EXCEPTION.replace("approver = \"Wang Min\"", "approver = \" \""),
            "empty approver",
        ),
        (EXCEPTION.replace("2099-06-30", "\"next year\""), "expires"),
        ("[baseline]\nlevel = 1\n".to_string(), "levels 2 and 3"),
    ] {
        let state = tempfile::tempdir().unwrap();
        let config = state.path().join("agent.toml");
        fs::write(&config, &text).unwrap();
        let out = agent(root.path(), &state.path().join("state"), &config)
            .args(["run", "--format", "json"])
            .assert()
            .failure()
            .get_output()
            .clone();
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{text}: {stderr}");
        assert_eq!(
            json_files(&state.path().join("state")),
            0,
            "{text}: a report was written"
        );
    }
}

/// JSON files anywhere below `dir` (0 when it does not exist).
fn json_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                json_files(&p)
            } else {
                usize::from(p.extension().is_some_and(|x| x == "json"))
            }
        })
        .sum()
}

#[test]
fn baseline_prints_the_clauses_of_the_chosen_level() {
    let root = root();
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("agent.toml");
    fs::write(&config, EXCEPTION).unwrap();
    let json = |level: &str| -> serde_json::Value {
        let out = agent(root.path(), &state.path().join("state"), &config)
            .args(["baseline", "--format", "json", "--level", level])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let l3 = json("3");
    assert_eq!(l3["level"], 3);
    let clauses = l3["clauses"].as_array().unwrap();
    assert!(
        clauses
            .iter()
            .all(|c| c["clause"].as_str().unwrap().starts_with("8.1.4."))
    );
    let d = clauses
        .iter()
        .find(|c| c["clause"] == "8.1.4.1 d)")
        .expect("two-factor clause at level 3");
    assert_eq!(d["verdict"], "not_met");
    // The shell timeout maps to 8.1.4.1 b) and is the exempted one there.
    let b = clauses
        .iter()
        .find(|c| c["clause"] == "8.1.4.1 b)")
        .unwrap();
    assert!(b["not_applicable"].as_u64().unwrap() >= 1, "{b}");
    let l2 = json("2");
    let clauses = l2["clauses"].as_array().unwrap();
    assert!(!clauses.is_empty());
    assert!(
        clauses
            .iter()
            .all(|c| c["clause"].as_str().unwrap().starts_with("7.1.4."))
    );
    // Counts add up to the checks the report lists for each clause.
    for c in clauses {
        let sum: u64 = ["passed", "findings", "could_not_run", "not_applicable"]
            .iter()
            .map(|k| c[k].as_u64().unwrap())
            .sum();
        assert_eq!(sum as usize, c["checks"].as_array().unwrap().len());
    }

    let table = agent(root.path(), &state.path().join("state"), &config)
        .args(["baseline", "--lang", "en"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(table).unwrap();
    assert!(table.contains("Compliance by clause (level 3"), "{table}");
    assert!(table.contains("not applicable"), "{table}");
    assert!(table.contains("approved by Wang Min"), "{table}");
}
