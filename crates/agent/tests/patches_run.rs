//! The patch audit through `selfcheck-agent run`: on this machine against
//! `apt list --upgradable`, and on a fixture host with every kind of finding.

#[path = "support/agent_run.rs"]
mod agent_run;

use agent_run::run_json;
use selfcheck_report::{CheckOutcome, Report, Severity};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

fn outcome<'a>(r: &'a Report, id: &str) -> &'a CheckOutcome {
    &r.checks
        .iter()
        .find(|c| c.check_id.as_str() == id)
        .unwrap_or_else(|| panic!("{id} not run"))
        .outcome
}

/// (name, arch, installed, candidate) from `apt list --upgradable`.
fn apt_upgradable() -> Option<BTreeSet<(String, String, String, String)>> {
    let out = std::process::Command::new("apt")
        .args(["list", "--upgradable"])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).unwrap();
    Some(
        text.lines()
            .filter(|l| l.contains("[upgradable from: "))
            .map(|l| {
                let mut w = l.split_whitespace();
                let name = w.next().unwrap().split('/').next().unwrap().to_string();
                let candidate = w.next().unwrap().to_string();
                let arch = w.next().unwrap().to_string();
                let installed = l
                    .rsplit("[upgradable from: ")
                    .next()
                    .unwrap()
                    .trim_end_matches(']')
                    .to_string();
                (name, arch, installed, candidate)
            })
            .collect(),
    )
}

#[test]
fn run_on_this_host_lists_what_apt_lists_as_upgradable() {
    if !Path::new("/var/lib/dpkg/status").exists() {
        eprintln!("skipped: not a dpkg host");
        return;
    }
    let report = run_json(None, &[]);
    let expected = apt_upgradable().expect("apt is installed on a dpkg host");
    let inv = report
        .inventory
        .packages
        .as_ref()
        .expect("package inventory");
    let ours: BTreeSet<_> = inv
        .upgradable
        .iter()
        .map(|u| {
            (
                u.name.clone(),
                u.arch.clone(),
                u.installed.clone(),
                u.candidate.clone(),
            )
        })
        .collect();
    assert_eq!(ours, expected);
    // One security finding per security update; the rest in one ordinary finding.
    let security = inv.upgradable.iter().filter(|u| u.security).count();
    let findings = report
        .findings
        .iter()
        .filter(|f| f.check_id.as_str() == "patches.security-updates")
        .count();
    assert_eq!(findings, security);
    assert!(inv.installed.len() > 10);
}

const STATUS: &str = "\
Package: dpkg
Status: install ok installed
Architecture: amd64
Version: 1.21.22

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1

Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u5

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1

Package: halfway
Status: install reinstreq half-installed
Architecture: amd64
Version: 1.0
";

const RELEASE: &str = "Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nDate: Sat, 01 Nov 2026 10:00:00 UTC\nArchitectures: amd64\nComponents: main\n";
const SECURITY_RELEASE: &str = "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\nDate: Mon, 24 Nov 2026 10:00:00 UTC\nArchitectures: amd64\nComponents: main\n";

fn package(name: &str, arch: &str, version: &str, source: Option<&str>) -> String {
    let src = source.map(|s| format!("Source: {s}\n")).unwrap_or_default();
    format!(
        "Package: {name}\n{src}Version: {version}\nArchitecture: {arch}\nFilename: pool/{name}.deb\n\n"
    )
}

/// A Debian 12 host: libssl3 has a security update that fixes a critical
/// advisory, tzdata an ordinary update, one package is half-installed, a
/// reboot is pending, the last package change was in August.
fn fixture(dir: &Path) {
    let w = |p: &str, t: &str| {
        let p = dir.join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, t).unwrap();
    };
    w(
        "etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    );
    w("etc/hostname", "deb12-fixture\n");
    w("var/lib/dpkg/status", STATUS);
    w(
        "etc/apt/sources.list",
        "deb http://mirror.invalid/debian bookworm main\ndeb http://mirror.invalid/debian-security bookworm-security main\n",
    );
    w(
        "var/lib/apt/lists/mirror.invalid_debian_dists_bookworm_Release",
        RELEASE,
    );
    w(
        "var/lib/apt/lists/mirror.invalid_debian_dists_bookworm_main_binary-amd64_Packages",
        &[
            package("dpkg", "amd64", "1.21.22", None),
            package("libssl3", "amd64", "3.0.11-1~deb12u1", Some("openssl")),
            package("curl", "amd64", "7.88.1-10+deb12u5", None),
            package("tzdata", "all", "2025b-0+deb12u1", None),
        ]
        .concat(),
    );
    w(
        "var/lib/apt/lists/mirror.invalid_debian-security_dists_bookworm-security_Release",
        SECURITY_RELEASE,
    );
    w(
        "var/lib/apt/lists/mirror.invalid_debian-security_dists_bookworm-security_main_binary-amd64_Packages",
        &package(
            "libssl3",
            "amd64",
            "3.0.15-1~deb12u1",
            Some("openssl (3.0.15-1~deb12u1)"),
        ),
    );
    w("run/reboot-required", "*** System restart required ***\n");
    w("run/reboot-required.pkgs", "libc6\n");
    w(
        "var/log/dpkg.log",
        "2026-08-01 10:00:00 upgrade curl:amd64 7.88.1-10+deb12u4 7.88.1-10+deb12u5\n",
    );
    w(
        "osv/DSA-5999-1.json",
        r#"{"schema_version":"1.6.0","id":"DSA-5999-1","modified":"2026-11-20T00:00:00Z","published":"2026-11-19T00:00:00Z",
"aliases":["CVE-2026-0001"],"summary":"openssl - security update",
"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.15-1~deb12u1"}]}]}]}"#,
    );
    w(
        "osv/DSA-5000-1.json",
        r#"{"schema_version":"1.6.0","id":"DSA-5000-1","modified":"2026-01-01T00:00:00Z",
"affected":[{"package":{"ecosystem":"Debian:12","name":"curl"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7.88.1-10+deb12u1"}]}]}]}"#,
    );
}

#[test]
fn fixture_host_gives_every_patch_finding() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let feed = dir.path().join("osv");
    let report = run_json(Some(dir.path()), &["--vuln-db", feed.to_str().unwrap()]);
    let find = |check: &str| -> Vec<(&str, Severity)> {
        report
            .findings
            .iter()
            .filter(|f| f.check_id.as_str() == check)
            .map(|f| (f.subject.as_str(), f.risk))
            .collect()
    };
    // The security update fixes a CVSS 9.8 advisory: critical.
    assert_eq!(
        find("patches.security-updates"),
        vec![("libssl3:amd64", Severity::Critical)]
    );
    assert_eq!(
        find("patches.pending-updates"),
        vec![("upgradable", Severity::Low)]
    );
    assert_eq!(
        find("patches.known-vulnerability"),
        vec![("libssl3:amd64 DSA-5999-1", Severity::Critical)]
    );
    assert_eq!(
        find("patches.broken-packages"),
        vec![("halfway:amd64", Severity::Medium)]
    );
    assert_eq!(find("patches.reboot-required").len(), 1);
    assert_eq!(
        find("patches.no-recent-updates").len(),
        1,
        "last change in August"
    );
    let inv = report.inventory.packages.as_ref().unwrap();
    assert_eq!(inv.installed.len(), 5);
    let feed_info = report.inventory.vulnerability_feed.as_ref().unwrap();
    assert_eq!(feed_info.ecosystem, "Debian:12");
    assert_eq!(feed_info.advisories, 2);
}

#[test]
fn without_a_feed_the_vulnerability_checks_say_why_they_could_not_run() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let report = run_json(Some(dir.path()), &[]);
    for id in ["patches.known-vulnerability", "patches.vuln-feed-stale"] {
        assert!(
            matches!(outcome(&report, id), CheckOutcome::CouldNotRun { reason } if reason.contains("--vuln-db")),
            "{id}: {:?}",
            outcome(&report, id)
        );
    }
    assert!(report.inventory.vulnerability_feed.is_none());
}

fn patch_outcomes(report: &Report) -> Vec<&selfcheck_report::CheckRun> {
    report
        .checks
        .iter()
        .filter(|c| c.check_id.as_str().starts_with("patches."))
        .collect()
}

#[test]
fn unknown_os_without_a_package_database_says_so_for_every_patch_check() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("etc")).unwrap();
    fs::write(
        dir.path().join("etc/os-release"),
        "ID=haiku\nVERSION_ID=\"r1\"\n",
    )
    .unwrap();
    let report = run_json(Some(dir.path()), &[]);
    let checks = patch_outcomes(&report);
    assert!(checks.len() >= 8);
    for c in checks {
        assert!(
            matches!(&c.outcome, CheckOutcome::CouldNotRun { reason } if reason.contains("unknown operating system") && reason.contains("haiku")),
            "{c:?}"
        );
    }
    assert!(report.inventory.packages.is_none());
}

#[test]
fn debian_host_without_its_status_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("etc")).unwrap();
    fs::write(
        dir.path().join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    let report = run_json(Some(dir.path()), &[]);
    for c in patch_outcomes(&report) {
        assert!(
            matches!(&c.outcome, CheckOutcome::CouldNotRun { reason } if reason.contains("/var/lib/dpkg/status")),
            "{c:?}"
        );
    }
}

#[test]
fn corrupt_status_file_is_could_not_run_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    fs::write(
        dir.path().join("var/lib/dpkg/status"),
        "Package: a\nStatus: install ok installed\nthis is garbage\n",
    )
    .unwrap();
    let report = run_json(Some(dir.path()), &[]);
    assert!(
        matches!(outcome(&report, "patches.security-updates"), CheckOutcome::CouldNotRun { reason } if reason.contains("line 3")),
        "{:?}",
        outcome(&report, "patches.security-updates")
    );
}
