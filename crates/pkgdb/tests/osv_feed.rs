//! The offline OSV feed: loading a directory or zip of OSV records, matching
//! installed Debian/Ubuntu packages by source name and version, and grading
//! the risk of each match.
//!
//! `tests/fixtures/osv/feed/` is a small feed in the layout and record shapes
//! osv.dev publishes (see its README); each test below says which record it
//! relies on. A few corner cases of the range rules use records written here.

use selfcheck_pkgdb::osv::{
    DEFAULT_BASIS, DebianOrder, FeedMatch, OsvError, SeveritySources, VulnMatch, ecosystem_for,
    grade, load_and_match, risk_from_cvss_score, risk_from_debian_urgency,
    risk_from_ubuntu_priority,
};
use selfcheck_report::{InstalledPackage, OsRelease, PackageState, Severity};
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn fixture_feed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv/feed")
}

fn pkg(name: &str, version: &str, source: &str, source_version: &str) -> InstalledPackage {
    InstalledPackage {
        name: name.to_string(),
        version: version.to_string(),
        arch: "amd64".to_string(),
        source_name: source.to_string(),
        source_version: source_version.to_string(),
        state: PackageState::Installed,
        reinstall_required: false,
    }
}

/// A Debian 12 host, as `var/lib/dpkg/status` describes it.
fn debian_host() -> Vec<InstalledPackage> {
    let mut gone = pkg("libgone1", "1.0-1", "libgone", "1.0-1");
    gone.state = PackageState::ConfigFiles;
    vec![
        pkg("bash", "5.2.15-2+b8", "bash", "5.2.15-2"),
        pkg("curl", "7.88.1-10+deb12u5", "curl", "7.88.1-10+deb12u5"),
        pkg("libc6", "2.36-9+deb12u4", "glibc", "2.36-9+deb12u4"),
        pkg("libcurl4", "7.88.1-10+deb12u5", "curl", "7.88.1-10+deb12u5"),
        gone,
        pkg("libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"),
        pkg(
            "libxml2",
            "2.9.14+dfsg-1.3~deb12u1",
            "libxml2",
            "2.9.14+dfsg-1.3~deb12u1",
        ),
        pkg(
            "openssh-client",
            "1:9.2p1-2+deb12u2",
            "openssh",
            "1:9.2p1-2+deb12u2",
        ),
        pkg(
            "openssh-server",
            "1:9.2p1-2+deb12u2",
            "openssh",
            "1:9.2p1-2+deb12u2",
        ),
        pkg("openssl", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"),
        pkg(
            "tar",
            "1.34+dfsg-1.2+deb12u1",
            "tar",
            "1.34+dfsg-1.2+deb12u1",
        ),
        pkg("zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1"),
    ]
}

fn load(path: &Path, ecosystem: &str, installed: &[InstalledPackage]) -> FeedMatch {
    match load_and_match(path, ecosystem, installed, &DebianOrder) {
        Ok(m) => m,
        Err(e) => panic!("loading {}: {e}", path.display()),
    }
}

fn pairs(m: &FeedMatch) -> Vec<(&str, &str)> {
    m.matches
        .iter()
        .map(|v| (v.package.as_str(), v.advisory_id.as_str()))
        .collect()
}

fn find<'m>(m: &'m FeedMatch, package: &str, advisory: &str) -> &'m VulnMatch {
    m.matches
        .iter()
        .find(|v| v.package == package && v.advisory_id == advisory)
        .unwrap_or_else(|| panic!("no match of {package} by {advisory} in {:?}", pairs(m)))
}

/// Copy the fixture feed into a temporary directory (to add files to it).
fn copy_feed() -> TempDir {
    let tmp = TempDir::new().expect("temp dir");
    copy_dir(&fixture_feed(), tmp.path());
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .expect("read fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let dest = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy fixture");
        }
    }
}

/// Zip a directory the way osv.dev's exports are zipped: deflated members
/// named by their relative path, in sorted order.
fn zip_dir(dir: &Path, zip_path: &Path) {
    fn files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        for e in std::fs::read_dir(dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                files(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("below root");
                out.push((rel.to_string_lossy().into_owned(), p));
            }
        }
    }
    let mut all = Vec::new();
    files(dir, dir, &mut all);
    all.sort();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(zip_path).expect("create zip"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, path) in all {
        zip.start_file(name, options).expect("start member");
        zip.write_all(&std::fs::read(path).expect("read member"))
            .expect("write member");
    }
    zip.finish().expect("finish zip");
}

#[test]
fn debian_host_matches_the_fixture_feed() {
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    assert_eq!(
        pairs(&m),
        vec![
            ("bash", "DEBIAN-CVE-2099-1004"),
            ("curl", "DEBIAN-CVE-2099-1003"),
            ("libcurl4", "DEBIAN-CVE-2099-1003"),
            ("libssl3", "DSA-9001-1"),
            ("libxml2", "DEBIAN-CVE-2099-1011"),
            ("openssh-client", "DEBIAN-CVE-2099-1005"),
            ("openssh-server", "DEBIAN-CVE-2099-1005"),
            ("openssl", "DSA-9001-1"),
            ("tar", "DEBIAN-CVE-2099-1007"),
        ]
    );
    assert_eq!(m.feed.ecosystem, "Debian:12");
    assert_eq!(m.feed.source, fixture_feed().display().to_string());
    assert_eq!(m.feed.advisories, 15, "11 Debian and 4 Ubuntu records");
    assert!(m.feed.skipped.is_empty(), "{:?}", m.feed.skipped);
}

#[test]
fn one_source_package_matches_every_binary_built_from_it() {
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    for binary in ["libssl3", "openssl"] {
        let v = find(&m, binary, "DSA-9001-1");
        assert_eq!(v.source_name, "openssl");
        assert_eq!(v.arch, "amd64");
        assert_eq!(v.installed_version, "3.0.11-1~deb12u1");
        assert_eq!(v.fixed_version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(v.last_affected, None);
        assert_eq!(v.summary, "openssl - security update");
        assert_eq!(
            v.aliases,
            [
                "DEBIAN-CVE-2099-1001",
                "CVE-2099-1001",
                "DEBIAN-CVE-2099-1002",
                "CVE-2099-1002"
            ]
        );
    }
}

#[test]
fn fixed_is_exclusive_and_tilde_sorts_before_the_release() {
    // DEBIAN-CVE-2099-1002 is fixed in 3.0.11-1~deb12u1, exactly what is installed.
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    assert!(
        !m.matches
            .iter()
            .any(|v| v.advisory_id == "DEBIAN-CVE-2099-1002")
    );
    // One step below, 3.0.11-1~deb12u0 ... and the plain release 3.0.11-1 is above the fix.
    let below = [pkg(
        "libssl3",
        "3.0.11-1~deb12u0",
        "openssl",
        "3.0.11-1~deb12u0",
    )];
    let m = load(&fixture_feed(), "Debian:12", &below);
    assert!(
        m.matches
            .iter()
            .any(|v| v.advisory_id == "DEBIAN-CVE-2099-1002")
    );
    let release = [pkg("libssl3", "3.0.11-1", "openssl", "3.0.11-1")];
    let m = load(&fixture_feed(), "Debian:12", &release);
    assert_eq!(pairs(&m), vec![], "3.0.11-1 is above both fixes");
}

#[test]
fn last_affected_is_inclusive_and_a_binnmu_is_judged_by_its_source_version() {
    // DEBIAN-CVE-2099-1004: last_affected 5.2.15-2. The binary bash 5.2.15-2+b8
    // is above it, its source version 5.2.15-2 is not.
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    let v = find(&m, "bash", "DEBIAN-CVE-2099-1004");
    assert_eq!(v.installed_version, "5.2.15-2");
    assert_eq!(v.last_affected.as_deref(), Some("5.2.15-2"));
    assert_eq!(v.fixed_version, None);
    let newer = [pkg("bash", "5.2.15-3", "bash", "5.2.15-3")];
    let m = load(&fixture_feed(), "Debian:12", &newer);
    assert_eq!(pairs(&m), vec![]);
}

#[test]
fn epochs_decide_before_the_upstream_version() {
    // 1005: fixed in 1:9.2p1-2+deb12u3 (affects 1:9.2p1-2+deb12u2).
    // 1006: fixed in 9.9p1-1, epoch 0: below anything with epoch 1.
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    let v = find(&m, "openssh-server", "DEBIAN-CVE-2099-1005");
    assert_eq!(v.fixed_version.as_deref(), Some("1:9.2p1-2+deb12u3"));
    assert!(
        !m.matches
            .iter()
            .any(|v| v.advisory_id == "DEBIAN-CVE-2099-1006")
    );
}

#[test]
fn a_versions_list_alone_marks_a_version_affected() {
    // DEBIAN-CVE-2099-1007 has no range, only `versions`.
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    let v = find(&m, "tar", "DEBIAN-CVE-2099-1007");
    assert_eq!(v.fixed_version, None);
    let other = [pkg(
        "tar",
        "1.34+dfsg-1.2+deb12u2",
        "tar",
        "1.34+dfsg-1.2+deb12u2",
    )];
    assert_eq!(pairs(&load(&fixture_feed(), "Debian:12", &other)), vec![]);
}

#[test]
fn several_ranges_and_several_introduced_fixed_pairs() {
    // DEBIAN-CVE-2099-1011: [0, 2.9.10+dfsg-1) in one range;
    // [2.9.14+dfsg-1, 2.9.14+dfsg-1.3~deb12u2) and [2.10.0, 2.12.0) in another.
    let judge = |version: &str| {
        let host = [pkg("libxml2", version, "libxml2", version)];
        let m = load(&fixture_feed(), "Debian:12", &host);
        m.matches
            .iter()
            .find(|v| v.advisory_id == "DEBIAN-CVE-2099-1011")
            .map(|v| v.fixed_version.clone())
    };
    assert_eq!(judge("2.9.4+dfsg1-7"), Some(Some("2.9.10+dfsg-1".into())));
    assert_eq!(judge("2.9.10+dfsg-1"), None);
    assert_eq!(judge("2.9.13+dfsg-1"), None);
    assert_eq!(
        judge("2.9.14+dfsg-1"),
        Some(Some("2.9.14+dfsg-1.3~deb12u2".into()))
    );
    assert_eq!(
        judge("2.9.14+dfsg-1.3~deb12u1"),
        Some(Some("2.9.14+dfsg-1.3~deb12u2".into()))
    );
    assert_eq!(judge("2.9.14+dfsg-1.3~deb12u2"), None);
    assert_eq!(judge("2.11.4+dfsg-1"), Some(Some("2.12.0".into())));
    assert_eq!(judge("2.12.0"), None);
}

#[test]
fn withdrawn_records_are_counted_but_never_match() {
    // DEBIAN-CVE-2099-1008 affects every openssl version but is withdrawn.
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    assert!(
        !m.matches
            .iter()
            .any(|v| v.advisory_id == "DEBIAN-CVE-2099-1008")
    );
    assert_eq!(m.feed.advisories, 15);
}

#[test]
fn records_of_other_ecosystems_are_ignored() {
    // DEBIAN-CVE-2099-1009 names curl in Debian 11 and 13 only; the Ubuntu
    // records would match libssl3 and libc6 if their ecosystem were ignored.
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    assert!(
        !m.matches
            .iter()
            .any(|v| v.advisory_id == "DEBIAN-CVE-2099-1009")
    );
    assert!(
        m.matches.iter().all(|v| !v.advisory_id.contains("2099-2")),
        "{:?}",
        pairs(&m)
    );
    // The same record does match a Debian 11 host.
    let bullseye = [pkg(
        "curl",
        "7.74.0-1.3+deb11u11",
        "curl",
        "7.74.0-1.3+deb11u11",
    )];
    let m = load(&fixture_feed(), "Debian:11", &bullseye);
    let v = find(&m, "curl", "DEBIAN-CVE-2099-1009");
    assert_eq!(v.fixed_version.as_deref(), Some("7.74.0-1.3+deb11u12"));
}

#[test]
fn packages_with_only_configuration_files_left_are_not_matched() {
    // DEBIAN-CVE-2099-1010 affects every version of source libgone.
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    assert!(!m.matches.iter().any(|v| v.package == "libgone1"));
    let mut installed = debian_host();
    for p in &mut installed {
        if p.name == "libgone1" {
            p.state = PackageState::Installed;
        }
    }
    let m = load(&fixture_feed(), "Debian:12", &installed);
    assert!(m.matches.iter().any(|v| v.package == "libgone1"));
}

#[test]
fn debian_records_are_graded_by_cvss_then_urgency_then_default() {
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    let grade_of = |p: &str, a: &str| {
        let v = find(&m, p, a);
        (v.risk, v.severity_basis.as_str())
    };
    // CVSS 9.8 wins over the Debian urgency "low".
    assert_eq!(
        grade_of("curl", "DEBIAN-CVE-2099-1003"),
        (Severity::Critical, "CVSS:3.1 base 9.8")
    );
    assert_eq!(
        grade_of("openssh-client", "DEBIAN-CVE-2099-1005"),
        (Severity::Critical, "CVSS:4.0 base 9.3")
    );
    // Severity given on the affected package itself.
    assert_eq!(
        grade_of("libxml2", "DEBIAN-CVE-2099-1011"),
        (Severity::High, "CVSS:3.1 base 7.5")
    );
    assert_eq!(
        grade_of("tar", "DEBIAN-CVE-2099-1007"),
        (Severity::Low, "Debian urgency low")
    );
    assert_eq!(
        grade_of("bash", "DEBIAN-CVE-2099-1004"),
        (Severity::Info, "Debian urgency unimportant")
    );
    // A DSA carries no severity.
    assert_eq!(
        grade_of("openssl", "DSA-9001-1"),
        (Severity::High, DEFAULT_BASIS)
    );
    assert_eq!(DEFAULT_BASIS, "no severity in advisory: high by default");
}

#[test]
fn ubuntu_host_matches_with_ubuntu_severities() {
    let host = [
        pkg("libc6", "2.35-0ubuntu3.8", "glibc", "2.35-0ubuntu3.8"),
        pkg(
            "libssl3",
            "3.0.2-0ubuntu1.15",
            "openssl",
            "3.0.2-0ubuntu1.15",
        ),
        pkg(
            "zlib1g",
            "1:1.2.11.dfsg-2ubuntu9.2",
            "zlib",
            "1:1.2.11.dfsg-2ubuntu9.2",
        ),
    ];
    let m = load(&fixture_feed(), "Ubuntu:22.04:LTS", &host);
    let got: Vec<_> = m
        .matches
        .iter()
        .map(|v| {
            (
                v.package.as_str(),
                v.advisory_id.as_str(),
                v.risk,
                v.severity_basis.as_str(),
                v.fixed_version.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "libc6",
                "UBUNTU-CVE-2099-2001",
                Severity::Medium,
                "CVSS:3.1 base 6.2",
                Some("2.35-0ubuntu3.9")
            ),
            (
                "libc6",
                "USN-9004-1",
                Severity::High,
                DEFAULT_BASIS,
                Some("2.35-0ubuntu3.9")
            ),
            (
                "libssl3",
                "UBUNTU-CVE-2099-2002",
                Severity::High,
                "Ubuntu priority high",
                None
            ),
            (
                "zlib1g",
                "CVE-2099-2003",
                Severity::Info,
                "Ubuntu priority negligible",
                Some("1:1.2.11.dfsg-2ubuntu9.3")
            ),
        ]
    );
    let v = find(&m, "libc6", "UBUNTU-CVE-2099-2001");
    assert_eq!(v.aliases, ["CVE-2099-2001"]);
    assert!(
        v.summary
            .starts_with("When the assert() function in the GNU C Library fails")
    );
    assert!(v.summary.ends_with('…') && v.summary.chars().count() <= 121);
}

#[test]
fn malformed_records_are_skipped_and_named() {
    let feed = copy_feed();
    std::fs::write(
        feed.path().join("Debian/DSA-9999-1.json"),
        r#"{"id": "DSA-9999-1", "affected": ["#,
    )
    .expect("write");
    std::fs::write(
        feed.path().join("Debian/no-id.json"),
        r#"{"modified": "2025-01-01T00:00:00Z", "affected": []}"#,
    )
    .expect("write");
    std::fs::write(feed.path().join("Debian/notes.txt"), "not a record").expect("write");
    let m = load(feed.path(), "Debian:12", &debian_host());
    assert_eq!(m.feed.advisories, 15);
    assert_eq!(m.feed.skipped.len(), 2, "{:?}", m.feed.skipped);
    assert!(
        m.feed.skipped[0].starts_with("Debian/DSA-9999-1.json: not valid OSV JSON: EOF"),
        "{}",
        m.feed.skipped[0]
    );
    assert_eq!(
        m.feed.skipped[1],
        "Debian/no-id.json: the record has no \"id\""
    );
    assert_eq!(m.matches.len(), 9, "the good records still match");
}

#[test]
fn many_malformed_records_list_the_first_twenty_and_count_the_rest() {
    let feed = TempDir::new().expect("temp dir");
    for i in 0..25 {
        std::fs::write(feed.path().join(format!("bad-{i:02}.json")), "7").expect("write");
    }
    let m = load(feed.path(), "Debian:12", &debian_host());
    assert_eq!(m.feed.advisories, 0);
    assert_eq!(m.feed.skipped.len(), 21);
    assert_eq!(
        m.feed.skipped[0],
        "bad-00.json: not valid OSV JSON: invalid type: integer `7`, \
         expected an OSV record (a JSON object) at line 1 column 1"
    );
    assert!(m.feed.skipped[19].starts_with("bad-19.json: "));
    assert_eq!(
        m.feed.skipped[20],
        "5 more records skipped (only the first 20 are listed)"
    );
}

#[test]
fn zip_and_directory_forms_give_the_same_result() {
    let feed = copy_feed();
    std::fs::write(feed.path().join("Debian/broken.json"), "{\"id\": ").expect("write");
    let zips = TempDir::new().expect("temp dir");
    let zip_path = zips.path().join("all.zip");
    zip_dir(feed.path(), &zip_path);
    for ecosystem in ["Debian:12", "Ubuntu:22.04:LTS"] {
        let from_dir = load(feed.path(), ecosystem, &debian_host());
        let mut from_zip = load(&zip_path, ecosystem, &debian_host());
        assert_eq!(from_zip.feed.source, zip_path.display().to_string());
        from_zip.feed.source = from_dir.feed.source.clone();
        assert_eq!(from_zip, from_dir);
        assert_eq!(from_zip.feed.skipped.len(), 1);
    }
}

#[test]
fn newest_modified_is_the_newest_record_of_any_ecosystem() {
    // The newest record is Ubuntu's UBUNTU-CVE-2099-2001.
    let m = load(&fixture_feed(), "Debian:12", &debian_host());
    let newest = m.feed.newest_modified.expect("a newest time");
    assert_eq!(newest.to_rfc3339(), "2026-02-06T17:50:35+00:00");
    let v = find(&m, "curl", "DEBIAN-CVE-2099-1003");
    assert_eq!(
        v.modified.map(|t| t.to_rfc3339()).as_deref(),
        Some("2025-05-02T08:30:11.412345+00:00")
    );
}

/// A feed of one Debian 12 record for `openssl` with these ranges.
fn one_record_feed(ranges: &str) -> TempDir {
    let feed = TempDir::new().expect("temp dir");
    let record = format!(
        r#"{{"schema_version": "1.7.3", "id": "DEBIAN-CVE-2099-3001", "modified": "2025-01-01T00:00:00Z",
  "affected": [{{"package": {{"ecosystem": "Debian:12", "name": "openssl"}}, "ranges": {ranges}}}]}}"#
    );
    std::fs::write(feed.path().join("DEBIAN-CVE-2099-3001.json"), record).expect("write");
    feed
}

fn affected(feed: &Path, version: &str) -> bool {
    let host = [pkg("openssl", version, "openssl", version)];
    !load(feed, "Debian:12", &host).matches.is_empty()
}

#[test]
fn limit_events_cap_a_range_and_unsorted_events_are_sorted() {
    let feed = one_record_feed(
        r#"[{"type": "ECOSYSTEM", "events": [{"limit": "3.1.0-1"}, {"introduced": "3.0.0-1"}]}]"#,
    );
    assert!(!affected(feed.path(), "2.9-1"));
    assert!(affected(feed.path(), "3.0.11-1"));
    assert!(!affected(feed.path(), "3.1.0-1"));
    let feed = one_record_feed(
        r#"[{"type": "ECOSYSTEM", "events": [{"fixed": "3.0.13-1"}, {"introduced": "3.0.2-1"}, {"fixed": "3.0.1-1"}, {"introduced": "0"}]}]"#,
    );
    assert!(affected(feed.path(), "3.0.0-1"));
    assert!(!affected(feed.path(), "3.0.1-1"));
    assert!(affected(feed.path(), "3.0.11-1"));
    assert!(!affected(feed.path(), "3.0.13-1"));
}

#[test]
fn introduced_zero_precedes_versions_that_sort_below_zero() {
    // "0~20190606" sorts below "0" in Debian ordering; introduced "0" still covers it.
    let feed = one_record_feed(
        r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-1"}]}]"#,
    );
    assert!(affected(feed.path(), "0~20190606.20d2e5a1-2"));
    let git_only = one_record_feed(
        r#"[{"type": "GIT", "repo": "https://github.com/openssl/openssl", "events": [{"introduced": "0"}]}]"#,
    );
    assert!(
        !affected(git_only.path(), "3.0.11-1"),
        "GIT ranges are not versions"
    );
}

#[test]
fn cvss_scores_map_to_risk_bands() {
    let cases = [
        (10.0, Severity::Critical),
        (9.0, Severity::Critical),
        (8.9, Severity::High),
        (7.0, Severity::High),
        (6.9, Severity::Medium),
        (4.0, Severity::Medium),
        (3.9, Severity::Low),
        (0.1, Severity::Low),
        (0.0, Severity::Info),
    ];
    for (score, want) in cases {
        assert_eq!(risk_from_cvss_score(score), want, "{score}");
    }
    let of = |kind: &str, vector: &str| {
        let g = grade(&SeveritySources {
            entries: vec![(kind.to_string(), vector.to_string())],
            ..SeveritySources::default()
        });
        (g.risk, g.basis)
    };
    assert_eq!(
        of("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        (Severity::Critical, "CVSS:3.1 base 9.8".to_string())
    );
    assert_eq!(
        of("CVSS_V3", "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N"),
        (Severity::Medium, "CVSS:3.0 base 5.9".to_string())
    );
    assert_eq!(
        of("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"),
        (Severity::Info, "CVSS:3.1 base 0.0".to_string())
    );
    assert_eq!(
        of(
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N"
        ),
        (Severity::Medium, "CVSS:4.0 base 5.1".to_string())
    );
    // A CVSS v2 vector counts only when nothing better is given, and tops out at high.
    assert_eq!(
        of("CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C"),
        (Severity::High, "CVSS:2.0 base 10.0".to_string())
    );
    assert_eq!(
        of("CVSS_V3", "not a vector"),
        (Severity::High, DEFAULT_BASIS.to_string())
    );
}

#[test]
fn ubuntu_priorities_and_debian_urgencies_map_to_risk() {
    for (p, want) in [
        ("critical", Some(Severity::Critical)),
        ("high", Some(Severity::High)),
        ("medium", Some(Severity::Medium)),
        ("low", Some(Severity::Low)),
        ("negligible", Some(Severity::Info)),
        ("untriaged", None),
    ] {
        assert_eq!(risk_from_ubuntu_priority(p), want, "{p}");
    }
    for (u, want) in [
        ("high", Some(Severity::High)),
        ("medium", Some(Severity::Medium)),
        ("low", Some(Severity::Low)),
        ("low**", Some(Severity::Low)),
        ("unimportant", Some(Severity::Info)),
        ("not yet assigned", Some(Severity::High)),
        ("end-of-life", Some(Severity::High)),
        ("whatever", None),
    ] {
        assert_eq!(risk_from_debian_urgency(u), want, "{u}");
    }
}

#[test]
fn cvss_wins_over_the_distribution_and_none_is_high() {
    let g = grade(&SeveritySources {
        entries: vec![
            ("Ubuntu".into(), "high".into()),
            (
                "CVSS_V3".into(),
                "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H".into(),
            ),
        ],
        ubuntu_priority: None,
        debian_urgency: Some("unimportant".into()),
    });
    assert_eq!(
        (g.risk, g.basis.as_str()),
        (Severity::Medium, "CVSS:3.1 base 5.5")
    );
    let g = grade(&SeveritySources {
        entries: vec![
            (
                "CVSS_V3".into(),
                "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H".into(),
            ),
            (
                "CVSS_V4".into(),
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
            ),
        ],
        ..SeveritySources::default()
    });
    assert_eq!(
        (g.risk, g.basis.as_str()),
        (Severity::Critical, "CVSS:4.0 base 9.3")
    );
    let g = grade(&SeveritySources {
        ubuntu_priority: Some("low".into()),
        ..SeveritySources::default()
    });
    assert_eq!(
        (g.risk, g.basis.as_str()),
        (Severity::Low, "Ubuntu priority low")
    );
    let g = grade(&SeveritySources::default());
    assert_eq!((g.risk, g.basis.as_str()), (Severity::High, DEFAULT_BASIS));
}

fn os(id: &str, id_like: &[&str], version_id: Option<&str>, pretty: Option<&str>) -> OsRelease {
    OsRelease {
        id: Some(id.to_string()),
        id_like: id_like.iter().map(|s| s.to_string()).collect(),
        name: None,
        version_id: version_id.map(str::to_string),
        version_codename: None,
        pretty_name: pretty.map(str::to_string),
    }
}

#[test]
fn ecosystem_for_debian_ubuntu_and_others() {
    let cases = [
        (
            os(
                "debian",
                &[],
                Some("12"),
                Some("Debian GNU/Linux 12 (bookworm)"),
            ),
            Some("Debian:12"),
        ),
        (os("debian", &[], Some("11"), None), Some("Debian:11")),
        (
            os("debian", &[], None, Some("Debian GNU/Linux trixie/sid")),
            None,
        ),
        (
            os(
                "ubuntu",
                &["debian"],
                Some("22.04"),
                Some("Ubuntu 22.04.4 LTS"),
            ),
            Some("Ubuntu:22.04:LTS"),
        ),
        (
            os(
                "ubuntu",
                &["debian"],
                Some("24.04"),
                Some("Ubuntu 24.04.1 LTS"),
            ),
            Some("Ubuntu:24.04:LTS"),
        ),
        (
            os("ubuntu", &["debian"], Some("23.10"), Some("Ubuntu 23.10")),
            Some("Ubuntu:23.10"),
        ),
        (
            os("ubuntu", &[], Some("20.04"), None),
            Some("Ubuntu:20.04:LTS"),
        ),
        (os("ubuntu", &[], Some("21.04"), None), Some("Ubuntu:21.04")),
        // A customised PRETTY_NAME does not hide an LTS release.
        (
            os("ubuntu", &[], Some("22.04"), Some("Corp Desktop (Ubuntu)")),
            Some("Ubuntu:22.04:LTS"),
        ),
        (
            os("kylin", &["debian"], Some("V10"), Some("Kylin V10 SP1")),
            None,
        ),
        (
            os(
                "kylin",
                &[],
                Some("V10"),
                Some("Kylin Linux Advanced Server V10 (Lance)"),
            ),
            None,
        ),
        (
            os(
                "uos",
                &["debian"],
                Some("20"),
                Some("UnionTech OS Desktop 20 Pro"),
            ),
            None,
        ),
        (os("openEuler", &[], Some("22.03"), None), None),
    ];
    for (release, want) in cases {
        assert_eq!(
            ecosystem_for(&release).as_deref(),
            want,
            "{:?}",
            release.pretty_name
        );
    }
}

#[test]
fn unreadable_feeds_are_errors() {
    let tmp = TempDir::new().expect("temp dir");
    let missing = tmp.path().join("nothing-here");
    let err = load_and_match(&missing, "Debian:12", &debian_host(), &DebianOrder)
        .expect_err("missing feed");
    assert!(matches!(err, OsvError::Unreadable { .. }), "{err}");
    assert!(err.to_string().contains("nothing-here"), "{err}");

    let text = tmp.path().join("all.json");
    std::fs::write(&text, "{}").expect("write");
    let err =
        load_and_match(&text, "Debian:12", &debian_host(), &DebianOrder).expect_err("not a zip");
    assert!(matches!(err, OsvError::NotDirOrZip { .. }), "{err}");

    let broken = tmp.path().join("all.zip");
    std::fs::write(&broken, b"PK\x03\x04 this is not really a zip archive").expect("write");
    let err = load_and_match(&broken, "Debian:12", &debian_host(), &DebianOrder)
        .expect_err("corrupt zip");
    assert!(matches!(err, OsvError::CorruptZip { .. }), "{err}");
}
