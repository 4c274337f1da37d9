//! The configuration-baseline audit on host roots built here: one root where
//! every baseline check passes, and for each check a change that makes exactly
//! that check report a finding; then malformed, unreadable, looping and FIFO
//! inputs, which must end in a clear outcome and never hang.

use chrono::{DateTime, FixedOffset};
use selfcheck_agent::areas::baseline::{AREA, audit};
use selfcheck_agent::audit::AuditOutput;
use selfcheck_catalog::{Catalog, CatalogSource};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::CheckOutcome;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

#[path = "support/baseline_fixture.rs"]
mod baseline_fixture;
#[path = "support/sshd_fixture.rs"]
mod sshd_fixture;
use baseline_fixture::{breaks, good_root, link, write};
use sshd_fixture::SSHD_CONFIG;

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00+08:00").unwrap()
}

fn run(root: &Path) -> AuditOutput {
    let catalog = Catalog::embedded().unwrap();
    audit(&HostRoot::at(root).unwrap(), &catalog, "asset", now())
}

fn outcome<'a>(out: &'a AuditOutput, id: &str) -> &'a CheckOutcome {
    &out.checks
        .iter()
        .find(|c| c.check_id.as_str() == id)
        .unwrap_or_else(|| panic!("{id} did not run"))
        .outcome
}

fn reason(out: &AuditOutput, id: &str) -> String {
    match outcome(out, id) {
        CheckOutcome::CouldNotRun { reason } => reason.clone(),
        o => panic!("{id}: expected could not run, got {o:?}"),
    }
}

#[test]
fn every_baseline_check_passes_on_a_hardened_root() {
    let root = good_root();
    let out = run(root.path());
    let catalog = Catalog::embedded().unwrap();
    assert_eq!(out.checks.len(), catalog.area(AREA).count());
    assert!(out.checks.len() >= 15);
    for c in &out.checks {
        assert_eq!(c.outcome, CheckOutcome::Passed, "{c:?} {:?}", out.findings);
    }
}

/// Every check has a broken root, on which it alone reports one finding naming the subject.
#[test]
fn each_check_fails_on_its_own_broken_root() {
    let catalog = Catalog::embedded().unwrap();
    let cases = breaks();
    let covered: Vec<&str> = cases.iter().map(|(id, _, _)| *id).collect();
    for def in catalog.area(AREA) {
        assert!(
            covered.contains(&def.id.as_str()),
            "no failing root for {}",
            def.id
        );
    }
    for (id, subject, brk) in cases {
        let root = good_root();
        brk(root.path());
        let out = run(root.path());
        for c in &out.checks {
            // With the test running as root, toor also shares root's UID 0.
            if id == "baseline.uid0-besides-root" && c.check_id.as_str() == "baseline.duplicate-uid"
            {
                continue;
            }
            let expected = if c.check_id.as_str() == id {
                CheckOutcome::Findings { count: 1 }
            } else {
                CheckOutcome::Passed
            };
            assert_eq!(
                c.outcome, expected,
                "breaking {id}: {c:?} {:?}",
                out.findings
            );
        }
        let f = out
            .findings
            .iter()
            .find(|f| f.check_id.as_str() == id)
            .unwrap();
        assert_eq!(f.subject, subject, "{id}");
        assert!(!f.evidence.is_empty() && f.evidence.iter().all(|e| !e.contains("$6$")));
    }
}

#[test]
fn evidence_quotes_the_offending_line_and_the_expected_value() {
    let root = good_root();
    write(
        root.path(),
        "etc/ssh/sshd_config.d/50-local.conf",
        "MaxAuthTries 6\n",
        0o600,
    );
    let out = run(root.path());
    let f = out
        .findings
        .iter()
        .find(|f| f.check_id.as_str() == "baseline.sshd-max-auth-tries")
        .unwrap();
    assert_eq!(
        f.evidence,
        vec![
            "/etc/ssh/sshd_config.d/50-local.conf:1: MaxAuthTries 6".to_string(),
            "MaxAuthTries = 6 (expected 1..=4)".to_string()
        ]
    );
    let f = out
        .findings
        .iter()
        .find(|f| f.check_id.as_str() == "baseline.sshd-client-alive-interval")
        .unwrap();
    assert!(f.evidence[0].contains("default 0"), "{:?}", f.evidence);
}

#[test]
fn malformed_lines_are_ignored_or_fail_the_value_never_the_audit() {
    let root = good_root();
    let r = root.path();
    write(
        r,
        "etc/ssh/sshd_config",
        &format!("PermitRootLogin\n===\n\u{0}\u{7f}garbage\n   \n{SSHD_CONFIG}"),
        0o600,
    );
    write(
        r,
        "etc/login.defs",
        "PASS_MAX_DAYS ninety\nPASS_MIN_DAYS 1\n",
        0o644,
    );
    let text = fs::read_to_string(r.join("etc/passwd")).unwrap();
    write(
        r,
        "etc/passwd",
        &format!("garbage\n+::::::\nx:y:notanumber:0::/:/bin/sh\n{text}"),
        0o644,
    );
    fs::write(r.join("etc/shadow"), [b'r', 0xff, 0xfe, b'\n']).unwrap();
    let out = run(r);
    assert_eq!(
        *outcome(&out, "baseline.sshd-permit-root-login"),
        CheckOutcome::Passed
    );
    assert_eq!(
        *outcome(&out, "baseline.uid0-besides-root"),
        CheckOutcome::Passed
    );
    assert_eq!(
        *outcome(&out, "baseline.system-account-shell"),
        CheckOutcome::Passed
    );
    assert_eq!(
        *outcome(&out, "baseline.empty-password"),
        CheckOutcome::Passed
    );
    let f = out
        .findings
        .iter()
        .find(|f| f.check_id.as_str() == "baseline.pass-max-days")
        .unwrap();
    assert!(f.evidence[1].contains("ninety"), "{:?}", f.evidence);
}

#[test]
fn a_missing_program_means_could_not_run_with_the_reason() {
    let root = good_root();
    fs::remove_dir_all(root.path().join("etc/ssh")).unwrap();
    fs::remove_dir_all(root.path().join("proc")).unwrap();
    let out = run(root.path());
    assert!(
        reason(&out, "baseline.sshd-permit-root-login").contains("/etc/ssh/sshd_config not found")
    );
    assert!(reason(&out, "baseline.sshd-config-perms").contains("not installed"));
    assert!(reason(&out, "baseline.sysctl-aslr").contains("/proc/sys/kernel/randomize_va_space"));
    let empty = tempfile::tempdir().unwrap();
    let out = run(empty.path());
    for c in &out.checks {
        assert!(
            matches!(&c.outcome, CheckOutcome::CouldNotRun { reason } if !reason.is_empty()),
            "{c:?}"
        );
    }
}

#[test]
fn unreadable_files_and_directories_in_their_place_could_not_run() {
    let root = good_root();
    let r = root.path();
    fs::remove_file(r.join("etc/login.defs")).unwrap();
    fs::create_dir(r.join("etc/login.defs")).unwrap();
    let out = run(r);
    assert!(reason(&out, "baseline.pass-max-days").contains("not a regular file"));
    if !nix::unistd::geteuid().is_root() {
        fs::set_permissions(
            r.join("etc/pam.d/common-auth"),
            fs::Permissions::from_mode(0o000),
        )
        .unwrap();
        let out = run(r);
        assert!(reason(&out, "baseline.login-lockout").contains("ermission denied"));
    }
}

#[test]
fn symlink_and_include_loops_end_in_could_not_run() {
    let root = good_root();
    let r = root.path();
    link(r, "etc/ssh/sshd_config", "sshd_config");
    link(r, "etc/login.defs", "/etc/login.defs.b");
    link(r, "etc/login.defs.b", "/etc/login.defs");
    let out = run(r);
    assert!(reason(&out, "baseline.sshd-permit-root-login").contains("/etc/ssh/sshd_config"));
    assert!(reason(&out, "baseline.pass-max-days").contains("/etc/login.defs"));
    let root = good_root();
    write(
        root.path(),
        "etc/ssh/sshd_config",
        "Include sshd_config\nPermitRootLogin no\n",
        0o600,
    );
    let out = run(root.path());
    assert!(reason(&out, "baseline.sshd-permit-root-login").contains("nested more than"));
}

#[test]
fn a_fifo_in_place_of_a_config_file_does_not_block() {
    let root = good_root();
    let r = root.path().to_path_buf();
    fs::remove_file(r.join("etc/login.defs")).unwrap();
    nix::unistd::mkfifo(
        &r.join("etc/login.defs"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run(&r));
    });
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the audit blocked on a FIFO");
    assert!(reason(&out, "baseline.pass-max-days").contains("not a regular file"));
    // login.defs is also where UID_MIN comes from.
    assert!(reason(&out, "baseline.system-account-shell").contains("not a regular file"));
}

#[test]
fn a_malformed_rule_is_a_catalog_error_naming_check_and_key() {
    let check_with = |levels: &str, rule: &str| {
        let text = format!(
            "[[check]]\nid = \"baseline.x\"\narea = \"baseline\"\nrisk = \"low\"\n\
             title = {{ zh = \"t\", en = \"t\" }}\ndescription = {{ zh = \"d\", en = \"d\" }}\n\
             why = {{ zh = \"w\", en = \"w\" }}\nremediation = {{ zh = \"r\", en = \"r\" }}\n\
             clauses = [\"8.1.4.1 a)\"]\n{levels}\n{rule}"
        );
        Catalog::from_files(
            [("checks/b.toml".to_string(), text)],
            CatalogSource::Embedded,
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let check = |rule: &str| check_with("levels = [3]", rule);
    let ok = "[check.rule]\nkind = \"sysctl\"\nkey = \"fs.suid_dumpable\"\nexpect = { equals = \"0\" }\n";
    assert_eq!(check(ok), Ok(()));
    for (rule, key) in [
        ("", "`rule`"),
        ("[check.rule]\nkind = \"nope\"\n", "`rule.kind`"),
        (
            "[check.rule]\nkind = \"key_value\"\nfiles = [\"/etc/x\"]\nexpect = { max = 1 }\n",
            "`rule.key`",
        ),
        (
            "[check.rule]\nkind = \"line\"\nfiles = [\"/etc/x\"]\npattern = \"(\"\n",
            "`rule.pattern`",
        ),
        (
            "[check.rule]\nkind = \"file_mode\"\npath = \"/etc/x\"\nmax_mode = \"999\"\n",
            "`rule.max_mode`",
        ),
        (
            "[check.rule]\nkind = \"sysctl\"\nkey = \"a.b\"\nexpect = { equals = \"0\", max = 1 }\n",
            "`rule.expect`",
        ),
        (
            "[check.rule]\nkind = \"sysctl\"\nkey = \"a.b\"\nexpect = { min = 0 }\nbogus = 1\n",
            "`rule.bogus`",
        ),
        (
            "[check.rule]\nkind = \"key_value\"\nfiles = [\"/etc/*/x\"]\nkey = \"k\"\nexpect = { min = 0 }\n",
            "`rule.files`",
        ),
    ] {
        let err = check(rule).unwrap_err();
        assert!(err.contains("baseline.x") && err.contains(key), "{err}");
    }
    for levels in ["levels = [4]", "levels = [3, 3]", ""] {
        let err = check_with(levels, ok).unwrap_err();
        assert!(
            err.contains("baseline.x") && err.contains("`levels`"),
            "{err}"
        );
    }
}

#[path = "support/agent_run.rs"]
mod agent_run;

#[test]
fn run_reports_baseline_outcomes_and_findings() {
    let root = good_root();
    let r = root.path();
    write(r, "etc/hostname", "baseline-host\n", 0o644);
    write(r, "etc/os-release", "ID=debian\nVERSION_ID=\"13\"\n", 0o644);
    write(
        r,
        "etc/login.defs",
        "PASS_MAX_DAYS 120\nPASS_MIN_DAYS 1\n",
        0o644,
    );
    let report = agent_run::run_json(Some(r), &[]);
    let baseline: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.check_id.as_str().starts_with("baseline."))
        .collect();
    assert_eq!(
        baseline.len(),
        Catalog::embedded().unwrap().area(AREA).count()
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.check_id.as_str() == "baseline.pass-max-days")
        .expect("the PASS_MAX_DAYS finding is in the report");
    assert_eq!(f.subject, "/etc/login.defs:PASS_MAX_DAYS");
    assert_eq!(f.evidence[0], "/etc/login.defs:1: PASS_MAX_DAYS 120");
}

#[test]
fn checks_show_prints_clauses_and_levels() {
    let out = assert_cmd::Command::cargo_bin("selfcheck-agent")
        .unwrap()
        .args([
            "checks",
            "show",
            "baseline.sshd-password-authentication",
            "--lang",
            "en",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("Clauses: GB/T 22239-2019 8.1.4.1 d)"),
        "{text}"
    );
    assert!(text.contains("Levels: 3\n"), "{text}");
    let out = assert_cmd::Command::cargo_bin("selfcheck-agent")
        .unwrap()
        .args(["checks", "list", "--area", "baseline"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("适用等级") && text.contains("baseline.shadow-perms"),
        "{text}"
    );
}

/// Where systemd runs (`/run/systemd/system`), an enabled service must also
/// have a process of its ExecStart program; a unit without one stays enabled enough.
#[test]
fn where_systemd_runs_an_enabled_service_must_also_be_running() {
    let root = good_root();
    let r = root.path();
    std::fs::create_dir_all(r.join("run/systemd/system")).unwrap();
    write(
        r,
        "lib/systemd/system/auditd.service",
        "[Service]\nType=forking\nExecStart=/sbin/auditd\n[Install]\n",
        0o644,
    );
    write(
        r,
        "lib/systemd/system/rsyslog.service",
        "[Service]\nExecStart=-/usr/sbin/rsyslogd -n -iNONE\n[Install]\n",
        0o644,
    );
    write(r, "proc/812/comm", "rsyslogd\n", 0o644);
    write(r, "proc/self/comm", "auditd\n", 0o644); // not a process id
    let out = run(r);
    assert_eq!(
        outcome(&out, "baseline.syslog-enabled"),
        &CheckOutcome::Passed
    );
    assert_eq!(
        outcome(&out, "baseline.time-sync-enabled"),
        &CheckOutcome::Passed,
        "a unit file without ExecStart is taken as enabled"
    );
    assert_eq!(
        outcome(&out, "baseline.auditd-enabled"),
        &CheckOutcome::Findings { count: 1 }
    );
    let f = out
        .findings
        .iter()
        .find(|f| f.check_id.as_str() == "baseline.auditd-enabled")
        .unwrap();
    assert_eq!(
        f.evidence,
        [
            "auditd.service: enabled, but no process of /sbin/auditd runs (systemd is running on this host)"
        ]
    );
    write(r, "proc/900/comm", "auditd\n", 0o644);
    assert_eq!(
        outcome(&run(r), "baseline.auditd-enabled"),
        &CheckOutcome::Passed
    );
    // The kernel cuts a process name to 15 bytes.
    write(
        r,
        "lib/systemd/system/chrony.service",
        "[Service]\nExecStart=!/lib/systemd/systemd-timesyncd\n[Install]\n",
        0o644,
    );
    assert_eq!(
        outcome(&run(r), "baseline.time-sync-enabled"),
        &CheckOutcome::Findings { count: 1 }
    );
    write(r, "proc/77/comm", "systemd-timesyn\n", 0o644);
    assert_eq!(
        outcome(&run(r), "baseline.time-sync-enabled"),
        &CheckOutcome::Passed
    );
    // A wrapper script that execs the daemon: the process is found by its control group.
    write(
        r,
        "lib/systemd/system/chrony.service",
        "[Service]\nExecStart=/usr/libexec/ntpsec/ntp-systemd-wrapper\n[Install]\n",
        0o644,
    );
    assert_eq!(
        outcome(&run(r), "baseline.time-sync-enabled"),
        &CheckOutcome::Findings { count: 1 }
    );
    write(r, "proc/78/comm", "ntpd\n", 0o644);
    write(
        r,
        "proc/78/cgroup",
        "0::/system.slice/chrony.service\n",
        0o644,
    );
    assert_eq!(
        outcome(&run(r), "baseline.time-sync-enabled"),
        &CheckOutcome::Passed
    );
    // Without systemd running (an image, a container) enabled is enough.
    std::fs::remove_dir_all(r.join("run/systemd")).unwrap();
    std::fs::remove_dir_all(r.join("proc/900")).unwrap();
    assert_eq!(
        outcome(&run(r), "baseline.auditd-enabled"),
        &CheckOutcome::Passed
    );
}

/// A pattern from the host cannot make the audit backtrack without end.
#[test]
fn a_hostile_include_pattern_ends_quickly() {
    let root = good_root();
    let r = root.path();
    write(
        r,
        "etc/ssh/sshd_config",
        &format!("Include /etc/ssh/x/{}b\n{SSHD_CONFIG}", "*a".repeat(14)),
        0o600,
    );
    write(r, &format!("etc/ssh/x/{}", "a".repeat(80)), "", 0o600);
    let dir = r.to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run(&dir).checks.len());
    });
    let checks = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the baseline audit finishes within 20 s");
    assert!(checks >= 40);
}

/// Day counts in /etc/shadow far beyond any calendar are taken as unset, not multiplied into an overflow.
#[test]
fn absurd_shadow_day_counts_do_not_overflow() {
    let root = good_root();
    let r = root.path();
    let shadow = std::fs::read_to_string(r.join("etc/shadow"))
        .unwrap()
        .replace(
            "alice:$6$salt$hash:19000:1:90:7:::",
            "alice:$6$salt$hash:9223372036854775807:1:90:7::9223372036854775807:",
        );
    write(r, "etc/shadow", &shadow, 0o640);
    let out = run(r);
    assert!(matches!(
        outcome(&out, "baseline.unused-accounts"),
        CheckOutcome::Passed | CheckOutcome::Findings { .. }
    ));
}
