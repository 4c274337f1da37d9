//! Package-explained changes: on a fixture host with dpkg records, a package
//! update (content equal to the new md5sums) is told apart from tampering,
//! reported at info level per package and taken into the baseline; tampering
//! with a package file, a conffile or a file's mode stays an unexplained change.
//! The md5 digests come from coreutils' `md5sum`, not from the agent's code.

use assert_cmd::Command;
use selfcheck_report::{Report, Severity, SignedReport};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn agent(root: &Path, state: &Path, config: &Path) -> Command {
    let mut c = Command::cargo_bin("selfcheck-agent").unwrap();
    c.env_remove("SELFCHECK_STATE_DIR")
        .env_remove("SELFCHECK_AGENT_CONFIG")
        .arg("--config")
        .arg(config)
        .arg("--root")
        .arg(root)
        .arg("--state-dir")
        .arg(state);
    c
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// `md5sum` of a file below the root (the oracle for the package records).
fn md5sum(root: &Path, path: &str) -> String {
    let out = std::process::Command::new("md5sum")
        .arg(root.join(path))
        .output()
        .expect("md5sum (coreutils) runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..32].to_string()
}

/// dpkg's records for package `demo`: md5sums of `files`, a .list with them
/// and their directories, `etc/demo.conf` as a conffile.
fn dpkg_records(root: &Path, files: &[&str]) {
    let md5sums: String = files
        .iter()
        .filter(|f| !f.starts_with("etc/"))
        .map(|f| format!("{}  {f}\n", md5sum(root, f)))
        .collect();
    write(root, "var/lib/dpkg/info/demo.md5sums", &md5sums);
    let mut list = String::from("/.\n/etc\n/usr\n/usr/bin\n");
    for f in files {
        list.push_str(&format!("/{f}\n"));
    }
    write(root, "var/lib/dpkg/info/demo.list", &list);
    write(
        root,
        "var/lib/dpkg/status",
        &format!(
            "Package: demo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\
             Conffiles:\n /etc/demo.conf {}\nDescription: demo\n\n",
            md5sum(root, "etc/demo.conf")
        ),
    );
}

fn host(root: &Path) {
    write(root, "etc/hostname", "pkg-fixture\n");
    write(root, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    write(root, "etc/demo.conf", "setting = 1\n");
    write(root, "usr/bin/demo", "demo 1.0\n");
    write(root, "usr/bin/demo-helper", "helper 1.0\n");
    write(root, "usr/bin/demo-old", "old tool\n");
    write(root, "usr/bin/demo-suid", "suid candidate\n");
    dpkg_records(
        root,
        &[
            "etc/demo.conf",
            "usr/bin/demo",
            "usr/bin/demo-helper",
            "usr/bin/demo-old",
            "usr/bin/demo-suid",
        ],
    );
}

/// A temporary fixture host with dpkg records, a state dir and an agent config
/// with `config_text`; the first value keeps the directory alive.
fn fixture(config_text: &str) -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let (root, state, config) = (
        tmp.path().join("root"),
        tmp.path().join("state"),
        tmp.path().join("agent.toml"),
    );
    fs::write(&config, config_text).unwrap();
    host(&root);
    (tmp, root, state, config)
}

/// `fim init` on the fixture.
fn init(root: &Path, state: &Path, config: &Path) {
    agent(root, state, config)
        .args(["fim", "init"])
        .assert()
        .success();
}

fn check(root: &Path, state: &Path, config: &Path) -> Report {
    // `run` carries the same checks as `fim check` and gives a signed report to read.
    let out = agent(root, state, config)
        .args(["run", "--format", "json", "--fail-on", "none"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    SignedReport::verify_bytes(&out).unwrap().signed.report
}

fn findings<'a>(r: &'a Report, check: &str) -> Vec<(&'a str, Severity)> {
    r.findings
        .iter()
        .filter(|f| f.check_id.as_str() == check)
        .map(|f| (f.subject.as_str(), f.risk))
        .collect()
}

/// Patch day: demo 1.0 -> 1.1 rewrites demo, adds demo-new, drops demo-old;
/// meanwhile someone alters demo-helper (not in the new md5sums), edits the
/// conffile and makes demo-suid setuid (its content still matches).
fn patch_day_with_tampering(root: &Path) {
    write(root, "usr/bin/demo", "demo 1.1\n");
    write(root, "usr/bin/demo-new", "new in 1.1\n");
    fs::remove_file(root.join("usr/bin/demo-old")).unwrap();
    dpkg_records(
        root,
        &[
            "etc/demo.conf",
            "usr/bin/demo",
            "usr/bin/demo-helper",
            "usr/bin/demo-new",
            "usr/bin/demo-suid",
        ],
    );
    write(root, "usr/bin/demo-helper", "helper 1.0 with a backdoor\n");
    write(root, "etc/demo.conf", "setting = 2\n");
    fs::set_permissions(
        root.join("usr/bin/demo-suid"),
        fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
}

#[test]
fn package_updates_are_told_apart_from_tampering_and_accepted() {
    let (_tmp, root, state, config) = fixture("");
    init(&root, &state, &config);
    patch_day_with_tampering(&root);

    let r = check(&root, &state, &config);
    assert_eq!(
        findings(&r, "fim.package-update"),
        vec![
            ("demo", Severity::Info),
            ("removed with a package upgrade or removal", Severity::Info)
        ],
        "one info finding for the package, one for the removals"
    );
    let mut unexplained = findings(&r, "fim.unexplained-change");
    unexplained.sort();
    assert_eq!(
        unexplained,
        vec![
            ("/etc/demo.conf", Severity::High),
            ("/usr/bin/demo-helper", Severity::Critical),
            ("/usr/bin/demo-suid", Severity::Critical),
        ]
    );
    assert_eq!(
        findings(&r, "fim.new-setuid"),
        vec![("/usr/bin/demo-suid", Severity::High)]
    );
    let fi = r.inventory.file_integrity.as_ref().unwrap();
    let explained: Vec<(&str, &str, Option<&str>)> = fi
        .changes
        .iter()
        .map(|c| {
            (
                c.path.as_str(),
                c.change.as_str(),
                c.explained_by.as_deref(),
            )
        })
        .collect();
    for expected in [
        ("/usr/bin/demo", "changed", Some("dpkg: demo")),
        ("/usr/bin/demo-new", "added", Some("dpkg: demo")),
        (
            "/usr/bin/demo-old",
            "removed",
            Some("removed with a package upgrade or removal"),
        ),
        ("/usr/bin/demo-helper", "changed", None),
        ("/etc/demo.conf", "changed", None),
    ] {
        assert!(
            explained.contains(&expected),
            "{expected:?} in {explained:?}"
        );
    }
    assert_eq!(fi.accepted_automatically, 3);
    assert!(
        fi.package_records.as_deref().unwrap().contains("dpkg"),
        "{:?}",
        fi.package_records
    );

    // The package update is in the new baseline; the tampering is still reported.
    let again = check(&root, &state, &config);
    assert!(findings(&again, "fim.package-update").is_empty());
    assert_eq!(findings(&again, "fim.unexplained-change").len(), 3);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(state.join("fim/baseline.json")).unwrap()).unwrap();
    let text = manifest.to_string();
    assert!(
        text.contains("selfcheck-agent (package manager records)"),
        "{text}"
    );
    assert!(text.contains("/usr/bin/demo-new"), "{text}");
}

#[test]
fn package_updates_stay_reported_when_the_config_says_so() {
    let (_tmp, root, state, config) = fixture("[fim]\naccept_package_changes = false\n");
    init(&root, &state, &config);
    patch_day_with_tampering(&root);
    for _ in 0..2 {
        let r = check(&root, &state, &config);
        assert_eq!(
            findings(&r, "fim.package-update"),
            vec![
                ("demo", Severity::Info),
                ("removed with a package upgrade or removal", Severity::Info)
            ]
        );
        assert_eq!(
            r.inventory
                .file_integrity
                .as_ref()
                .unwrap()
                .accepted_automatically,
            0
        );
    }
}

#[test]
fn without_package_records_every_change_is_unexplained() {
    let (_tmp, root, state, config) = fixture("");
    fs::remove_dir_all(root.join("var/lib/dpkg")).unwrap();
    init(&root, &state, &config);
    write(&root, "usr/bin/demo", "demo 1.1\n");
    let r = check(&root, &state, &config);
    assert!(findings(&r, "fim.package-update").is_empty());
    assert_eq!(
        findings(&r, "fim.unexplained-change"),
        vec![("/usr/bin/demo", Severity::Critical)]
    );
    let records = r.inventory.file_integrity.unwrap().package_records.unwrap();
    assert!(records.starts_with("not used"), "{records}");
}

#[test]
fn host_config_adds_paths_excludes_and_sm3() {
    let (_tmp, root, state, config) = fixture(
        "[fim]\ndigest = \"sm3\"\nexclude = [\"/opt/app/tmp\"]\n\
         [[fim.rules]]\npath = \"/opt/app\"\nattrs = \"content+perms\"\n",
    );
    write(&root, "opt/app/bin/app", "app 1\n");
    write(&root, "opt/app/tmp/scratch", "1\n");
    let init = agent(&root, &state, &config)
        .args(["fim", "init"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&init.get_output().stdout).to_string();
    assert!(text.contains("with sm3"), "{text}");
    write(&root, "opt/app/bin/app", "app 2\n");
    write(&root, "opt/app/tmp/scratch", "2\n");
    let r = check(&root, &state, &config);
    assert_eq!(
        findings(&r, "fim.unexplained-change"),
        vec![("/opt/app/bin/app", Severity::High)]
    );
    let fi = r.inventory.file_integrity.unwrap();
    assert_eq!(fi.digest, "sm3");
    // Asking for another digest than the baseline's is refused, not a silent mismatch.
    let out = agent(&root, &state, &config)
        .args(["fim", "check", "--digest", "sha256", "--format", "json"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("the baseline uses sm3"), "{text}");
}
