//! The patch audit of an RPM host through `selfcheck-agent run --root`: an
//! openEuler image whose rpm database is made by the real rpm tools and whose
//! dnf cache holds createrepo_c repodata with openEuler-shaped advisories.

#[path = "support/agent_run.rs"]
mod agent_run;
#[path = "../../pkgdb/tests/support/rpm_fixture.rs"]
mod rpm_fixture;

use agent_run::run_json;
use rpm_fixture::{host, require_rpm_tools, rpm_qa, spec};
use selfcheck_report::{CheckOutcome, PackageFamily, Severity};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const REPODATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../pkgdb/tests/fixtures/repodata/updates/repodata"
);

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// openEuler 22.03 LTS-SP3 with openssl 1:1.1.1k-1 (x86_64) and hello 1.1-1
/// (noarch) installed, and the `update` repository cached by dnf.
fn openeuler_host(dir: &Path) -> PathBuf {
    require_rpm_tools();
    let root = host(
        dir,
        &[
            spec(
                "openssl",
                "Epoch: 1\nVersion: 1.1.1k\nRelease: 1\nBuildArch: x86_64",
                "openssl",
                "%files\n",
            ),
            spec(
                "hello",
                "Version: 1.1\nRelease: 1\nBuildArch: noarch",
                "hello",
                "%files\n",
            ),
        ],
    );
    let w = |p: &str, t: &str| {
        let p = root.join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, t).unwrap();
    };
    w(
        "etc/os-release",
        "NAME=\"openEuler\"\nVERSION=\"22.03 (LTS-SP3)\"\nID=\"openEuler\"\nVERSION_ID=\"22.03\"\nPRETTY_NAME=\"openEuler 22.03 (LTS-SP3)\"\n",
    );
    w("etc/hostname", "oe-fixture\n");
    w(
        "etc/yum.repos.d/openEuler.repo",
        "[update]\nname=update\nbaseurl=http://repo.invalid/update/\nenabled=1\n",
    );
    copy_dir(
        Path::new(REPODATA),
        &root.join("var/cache/dnf/update-0123456789abcdef/repodata"),
    );
    w(
        "osv/OESA-2024-0001.json",
        r#"{"schema_version":"1.7.0","id":"OESA-2024-0001","modified":"2026-11-20T00:00:00Z",
"upstream":["CVE-2023-5678"],"summary":"openssl security update",
"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
"affected":[{"package":{"ecosystem":"openEuler:22.03-LTS-SP3","name":"openssl"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.1.1k-2"}]}]}]}"#,
    );
    root
}

#[test]
fn openeuler_image_gives_the_same_findings_as_a_debian_host() {
    let dir = tempfile::tempdir().unwrap();
    let root = openeuler_host(dir.path());
    let feed = root.join("osv");
    let report = run_json(Some(&root), &["--vuln-db", feed.to_str().unwrap()]);
    let inv = report.inventory.packages.as_ref().expect("inventory");
    assert_eq!(inv.family, PackageFamily::Rpm);

    // The inventory is what `rpm -qa` says is installed.
    let ours: BTreeSet<(String, String)> = inv
        .installed
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let theirs: BTreeSet<(String, String)> = rpm_qa(&root)
        .into_iter()
        .map(|r| {
            let evr = if r.2 == "(none)" {
                format!("{}-{}", r.3, r.4)
            } else {
                format!("{}:{}-{}", r.2, r.3, r.4)
            };
            (r.0, evr)
        })
        .collect();
    assert_eq!(ours, theirs);

    let find = |check: &str| -> Vec<(&str, Severity)> {
        report
            .findings
            .iter()
            .filter(|f| f.check_id.as_str() == check)
            .map(|f| (f.subject.as_str(), f.risk))
            .collect()
    };
    // Security update: the repository says Important (high), the feed's CVSS 9.8 says critical.
    assert_eq!(
        find("patches.security-updates"),
        vec![("openssl:x86_64", Severity::Critical)]
    );
    let sec = report
        .findings
        .iter()
        .find(|f| f.check_id.as_str() == "patches.security-updates")
        .unwrap();
    assert!(
        sec.evidence
            .iter()
            .any(|e| e.contains("openEuler-SA-2024-0001")),
        "{:?}",
        sec.evidence
    );
    assert_eq!(
        find("patches.pending-updates"),
        vec![("upgradable", Severity::Low)]
    );
    assert_eq!(
        find("patches.known-vulnerability"),
        vec![("openssl:x86_64 OESA-2024-0001", Severity::Critical)]
    );
    // The fixture's metadata is from 2023: stale.
    assert_eq!(find("patches.stale-package-lists").len(), 1);
    // Packages were installed just now.
    assert!(find("patches.no-recent-updates").is_empty());
    let feed = report.inventory.vulnerability_feed.as_ref().unwrap();
    assert_eq!(feed.ecosystem, "openEuler:22.03-LTS-SP3");
}

#[test]
fn openeuler_image_without_a_dnf_cache_says_to_run_makecache() {
    let dir = tempfile::tempdir().unwrap();
    let root = openeuler_host(dir.path());
    fs::remove_dir_all(root.join("var/cache/dnf")).unwrap();
    let report = run_json(Some(&root), &[]);
    let outcome = &report
        .checks
        .iter()
        .find(|c| c.check_id.as_str() == "patches.security-updates")
        .unwrap()
        .outcome;
    assert!(
        matches!(outcome, CheckOutcome::CouldNotRun { reason } if reason.contains("makecache")),
        "{outcome:?}"
    );
    // No cache at all is itself a finding: the host cannot see any patch.
    let stale: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.check_id.as_str() == "patches.stale-package-lists")
        .collect();
    assert_eq!(stale.len(), 1);
    assert!(
        stale[0].evidence[0].contains("makecache"),
        "{:?}",
        stale[0].evidence
    );
    // The inventory itself still comes from the rpm database.
    assert_eq!(
        report.inventory.packages.as_ref().unwrap().installed.len(),
        2
    );
}

#[test]
fn rpm_host_without_a_database_names_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("etc")).unwrap();
    fs::write(
        dir.path().join("etc/os-release"),
        "ID=\"rocky\"\nVERSION_ID=\"9.3\"\nNAME=\"Rocky Linux\"\n",
    )
    .unwrap();
    let report = run_json(Some(dir.path()), &[]);
    for c in report
        .checks
        .iter()
        .filter(|c| c.check_id.as_str().starts_with("patches."))
    {
        assert!(
            matches!(&c.outcome, CheckOutcome::CouldNotRun { reason } if reason.contains("var/lib/rpm")),
            "{c:?}"
        );
    }
}
