//! Pending updates of RPM hosts from the package manager's cached repository
//! metadata: hosts are assembled in a temporary root from the repodata in
//! `tests/fixtures/repodata/` (made by createrepo_c and modifyrepo_c from
//! rpmbuild'd packages, see `generate.sh` there) and the configuration files
//! each test writes.
//!
//! The fixture repositories: `base` (gzip, with yum's SQLite databases):
//! hello 1.1-1 noarch, epochpkg 1:1.5-1, excludedrepo 1.1-1, tool 2.0-1 noarch;
//! `updates` (zstd package list, gzip updateinfo): hello 1.2-1, tilde
//! 1.0~rc2-1, kernel 5.10.0-2, excludedrepo 1.2-1, openssl 1:1.1.1k-2 and -3,
//! curl 7.0-2, and advisories for openssl (-2 security Important, -1 security
//! Critical, -3 bugfix), curl (bugfix Moderate) and kernel (security Critical,
//! plus a hot-patch-only advisory); `extras` (xz): xzonly 1.1-1; `testing`:
//! hello 9.0-1, disabledonly 2.0-1.

use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::rpm::updates::{RepoError, RpmUpdates, pending_updates};
use selfcheck_report::{PendingUpdate, Severity};
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/repodata");

/// A host being assembled in a temporary directory.
struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    fn new() -> Host {
        Host {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, host_path: &str) -> PathBuf {
        self.dir.path().join(host_path)
    }

    fn write(&self, host_path: &str, text: &str) {
        let p = self.path(host_path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// dnf's cache of repository `id` holding fixture repository `fixture`.
    fn dnf_cache(&self, fixture: &str, id: &str) -> PathBuf {
        let dir = self.path(&format!("var/cache/dnf/{id}-0123456789abcdef/repodata"));
        copy_dir(&Path::new(FIXTURES).join(fixture).join("repodata"), &dir);
        dir
    }

    /// yum's cache of repository `id`: repomd.xml and the metadata files side by side.
    fn yum_cache(&self, fixture: &str, id: &str) -> PathBuf {
        let dir = self.path(&format!("var/cache/yum/x86_64/7/{id}"));
        copy_dir(&Path::new(FIXTURES).join(fixture).join("repodata"), &dir);
        std::fs::create_dir_all(dir.join("gen")).unwrap();
        std::fs::create_dir_all(dir.join("packages")).unwrap();
        dir
    }

    fn root(&self) -> HostRoot {
        HostRoot::at(self.dir.path()).unwrap()
    }

    fn updates(&self) -> RpmUpdates {
        pending_updates(&self.root(), &installed()).unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// The file in a metadata directory whose name ends with `suffix`.
fn file_ending(dir: &Path, suffix: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no *{suffix} in {}", dir.display()))
}

/// The installed packages of the fixture host.
fn installed() -> Vec<(String, String, String)> {
    [
        ("hello", "noarch", "1.0-1"),
        ("epochpkg", "x86_64", "2.0-1"),
        ("tilde", "x86_64", "1.0-1"),
        ("disabledonly", "x86_64", "1.0-1"),
        ("kernel", "x86_64", "5.10.0-1"),
        ("kernel", "x86_64", "5.10.0-0.9"),
        ("excludedrepo", "x86_64", "1.0-1"),
        ("tool", "noarch", "1.0-1"),
        ("tool", "x86_64", "1.0-1"),
        ("openssl", "x86_64", "1:1.1.1k-1"),
        ("curl", "x86_64", "7.0-1"),
        ("xzonly", "x86_64", "1.0-1"),
        ("gpg-pubkey", "(none)", "a15b79cc-5ff7e1c9"),
        ("notinrepos", "x86_64", "1.0-1"),
    ]
    .into_iter()
    .map(|(n, a, v)| (n.to_string(), a.to_string(), v.to_string()))
    .collect()
}

const REPOS: &str = "\
[OS]
name=OS
baseurl=http://repo.openeuler.org/openEuler-22.03-LTS-SP3/OS/$basearch/
enabled=1
gpgcheck=1

[update]
name=update
baseurl=http://repo.openeuler.org/openEuler-22.03-LTS-SP3/update/$basearch/
enabled=1
gpgcheck=1
excludepkgs=excludedrepo

[EPOL]
name=EPOL
baseurl=http://repo.openeuler.org/openEuler-22.03-LTS-SP3/EPOL/main/$basearch/
enabled=1
gpgcheck=1

[testing]
name=testing
baseurl=http://repo.example.invalid/testing/
enabled=0
";

/// The standard dnf host: OS (base), update (updates), EPOL (extras) and a
/// disabled testing repository, all cached.
fn dnf_host(dnf_conf: &str) -> Host {
    let host = Host::new();
    host.write("etc/dnf/dnf.conf", dnf_conf);
    host.write("etc/yum.repos.d/openEuler.repo", REPOS);
    host.dnf_cache("base", "OS");
    host.dnf_cache("updates", "update");
    host.dnf_cache("extras", "EPOL");
    host.dnf_cache("testing", "testing");
    host
}

const DNF_CONF: &str = "[main]\ngpgcheck=1\ninstallonly_limit=3\nclean_requirements_on_remove=True\nbest=True\nskip_if_unavailable=False\n";

fn find<'a>(u: &'a RpmUpdates, name: &str, arch: &str) -> Option<&'a PendingUpdate> {
    u.upgradable
        .iter()
        .find(|p| p.name == name && p.arch == arch)
}

fn get<'a>(u: &'a RpmUpdates, name: &str, arch: &str) -> &'a PendingUpdate {
    find(u, name, arch).unwrap_or_else(|| panic!("{name}.{arch} not listed: {:#?}", u.upgradable))
}

#[test]
fn newest_version_across_two_repositories_wins() {
    let u = dnf_host(DNF_CONF).updates();
    let hello = get(&u, "hello", "noarch");
    assert_eq!(hello.installed, "1.0-1");
    assert_eq!(hello.candidate, "1.2-1");
    assert_eq!(hello.suites, ["update"]);
    assert!(!hello.security);
    assert!(hello.advisories.is_empty());
    let names: Vec<&str> = u.upgradable.iter().map(|p| p.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    assert!(u.warnings.is_empty(), "{:?}", u.warnings);
}

#[test]
fn epoch_beats_version() {
    let u = dnf_host(DNF_CONF).updates();
    let p = get(&u, "epochpkg", "x86_64");
    assert_eq!(
        (p.installed.as_str(), p.candidate.as_str()),
        ("2.0-1", "1:1.5-1")
    );
    assert_eq!(p.suites, ["OS"]);
}

#[test]
fn tilde_prerelease_is_not_newer_than_the_release() {
    let u = dnf_host(DNF_CONF).updates();
    assert!(find(&u, "tilde", "x86_64").is_none(), "1.0~rc2-1 < 1.0-1");
}

#[test]
fn disabled_repository_is_ignored() {
    let u = dnf_host(DNF_CONF).updates();
    assert!(find(&u, "disabledonly", "x86_64").is_none());
    assert_eq!(get(&u, "hello", "noarch").candidate, "1.2-1");
    assert_eq!(u.repos, ["OS", "update", "EPOL"]);

    // The same cache is read once the repository is enabled.
    let host = dnf_host(DNF_CONF);
    host.write(
        "etc/yum.repos.d/openEuler.repo",
        &REPOS.replace("enabled=0", "enabled=yes"),
    );
    let u = host.updates();
    assert_eq!(get(&u, "disabledonly", "x86_64").suites, ["testing"]);
    assert_eq!(get(&u, "hello", "noarch").candidate, "9.0-1");
}

#[test]
fn exclude_glob_in_dnf_conf_hides_candidates() {
    let u = dnf_host(&format!("{DNF_CONF}exclude=kernel* firefox\n")).updates();
    assert!(find(&u, "kernel", "x86_64").is_none());

    // Without the exclude, kernel is listed once, against the newest installed one.
    let u = dnf_host(DNF_CONF).updates();
    let k = get(&u, "kernel", "x86_64");
    assert_eq!(
        (k.installed.as_str(), k.candidate.as_str()),
        ("5.10.0-1", "5.10.0-2")
    );
    assert!(k.security);
    let ids: Vec<&str> = k.advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        ["openEuler-SA-2024-0005"],
        "hot patches are not this package"
    );
    assert_eq!(k.advisories[0].risk, Some(Severity::Critical));
}

#[test]
fn excludepkgs_in_a_repository_file_hides_only_that_repositorys_packages() {
    let u = dnf_host(DNF_CONF).updates();
    let p = get(&u, "excludedrepo", "x86_64");
    assert_eq!(p.candidate, "1.1-1", "update's 1.2-1 is excluded there");
    assert_eq!(p.suites, ["OS"]);

    // excludepkgs in [main] applies to every repository.
    let u = dnf_host(&format!("{DNF_CONF}excludepkgs=excluded*,curl\n")).updates();
    assert!(find(&u, "excludedrepo", "x86_64").is_none());
    assert!(find(&u, "curl", "x86_64").is_none());
}

#[test]
fn noarch_and_x86_64_are_kept_apart() {
    let u = dnf_host(DNF_CONF).updates();
    assert_eq!(get(&u, "tool", "noarch").candidate, "2.0-1");
    assert!(
        find(&u, "tool", "x86_64").is_none(),
        "only a noarch tool is offered"
    );
}

#[test]
fn security_advisory_with_severity_important_marks_the_update_high_risk() {
    let u = dnf_host(DNF_CONF).updates();
    let p = get(&u, "openssl", "x86_64");
    assert_eq!(p.candidate, "1:1.1.1k-3");
    assert!(
        p.security,
        "openEuler-SA-2024-0001 covers -2, below the candidate"
    );
    let listed: Vec<(&str, &str, Option<Severity>)> = p
        .advisories
        .iter()
        .map(|a| (a.id.as_str(), a.kind.as_str(), a.risk))
        .collect();
    assert_eq!(
        listed,
        [
            ("openEuler-BA-2024-0003", "bugfix", None),
            ("openEuler-SA-2024-0001", "security", Some(Severity::High)),
        ],
        "RHSA-2023:0002 ships the installed version and is not listed"
    );
}

#[test]
fn bugfix_advisory_is_listed_but_not_security() {
    let u = dnf_host(DNF_CONF).updates();
    let p = get(&u, "curl", "x86_64");
    assert!(!p.security);
    assert_eq!(p.advisories.len(), 1);
    assert_eq!(p.advisories[0].id, "openEuler-BA-2024-0004");
    assert_eq!(p.advisories[0].kind, "bugfix");
    assert_eq!(p.advisories[0].risk, Some(Severity::Medium));
}

#[test]
fn advisory_for_a_version_at_or_below_the_installed_one_is_not_listed() {
    let host = dnf_host(DNF_CONF);
    let mut inst = installed();
    inst.retain(|r| r.0 != "openssl");
    inst.push(("openssl".into(), "x86_64".into(), "1:1.1.1k-2".into()));
    let u = pending_updates(&host.root(), &inst).unwrap();
    let p = get(&u, "openssl", "x86_64");
    let ids: Vec<&str> = p.advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["openEuler-BA-2024-0003"]);
    assert!(!p.security, "the security fix is already installed");
}

#[test]
fn missing_cache_is_an_error_that_says_to_run_makecache() {
    let host = Host::new();
    host.write("etc/dnf/dnf.conf", DNF_CONF);
    host.write("etc/yum.repos.d/openEuler.repo", REPOS);
    let err = pending_updates(&host.root(), &installed()).unwrap_err();
    assert!(matches!(err, RepoError::NoCache { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("dnf makecache"), "{msg}");
    assert!(msg.contains("OS, update, EPOL"), "{msg}");
}

#[test]
fn no_enabled_repository_is_an_error() {
    let host = Host::new();
    host.write("etc/dnf/dnf.conf", DNF_CONF);
    let err = pending_updates(&host.root(), &installed()).unwrap_err();
    assert!(matches!(err, RepoError::NoRepos { .. }), "{err:?}");
    assert!(err.to_string().contains("yum.repos.d"), "{err}");
}

#[test]
fn repository_without_a_cache_is_a_warning_naming_it() {
    let host = dnf_host(DNF_CONF);
    host.write(
        "etc/yum.repos.d/extra.repo",
        "[kernel-next]\nbaseurl=http://x.invalid/\n",
    );
    let u = host.updates();
    assert_eq!(u.warnings.len(), 1, "{:?}", u.warnings);
    assert!(u.warnings[0].contains("[kernel-next]"), "{}", u.warnings[0]);
    assert!(u.warnings[0].contains("extra.repo"), "{}", u.warnings[0]);
}

#[test]
fn gzip_zstd_and_xz_package_lists_are_all_read() {
    let u = dnf_host(DNF_CONF).updates();
    assert_eq!(get(&u, "epochpkg", "x86_64").suites, ["OS"], "gzip");
    assert_eq!(get(&u, "hello", "noarch").suites, ["update"], "zstd");
    assert_eq!(get(&u, "xzonly", "x86_64").suites, ["EPOL"], "xz");
    assert_eq!(get(&u, "xzonly", "x86_64").candidate, "1.1-1");
}

#[test]
fn corrupt_package_list_is_a_warning_and_the_other_repositories_are_used() {
    // A truncated download.
    let host = dnf_host(DNF_CONF);
    let primary = file_ending(
        &host.path("var/cache/dnf/OS-0123456789abcdef/repodata"),
        "-primary.xml.gz",
    );
    let bytes = std::fs::read(&primary).unwrap();
    std::fs::write(&primary, &bytes[..bytes.len() / 2]).unwrap();
    let u = host.updates();
    assert_eq!(u.repos, ["update", "EPOL"]);
    assert!(find(&u, "epochpkg", "x86_64").is_none());
    assert_eq!(get(&u, "hello", "noarch").candidate, "1.2-1");
    assert_eq!(u.warnings.len(), 1, "{:?}", u.warnings);
    let name = primary.file_name().unwrap().to_str().unwrap();
    assert!(u.warnings[0].contains(name), "{}", u.warnings[0]);
    assert!(
        u.warnings[0].contains("[OS] is not used"),
        "{}",
        u.warnings[0]
    );

    // Bad XML inside a good gzip stream.
    let host = dnf_host(DNF_CONF);
    let primary = file_ending(
        &host.path("var/cache/dnf/OS-0123456789abcdef/repodata"),
        "-primary.xml.gz",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        b"<metadata><package type=\"rpm\"><name>hello</nam></package></metadata>",
    )
    .unwrap();
    std::fs::write(&primary, gz.finish().unwrap()).unwrap();
    let u = host.updates();
    assert_eq!(u.repos, ["update", "EPOL"]);
    assert!(u.warnings[0].contains("bad XML"), "{}", u.warnings[0]);

    // A corrupt advisory list drops only the advisories.
    let host = dnf_host(DNF_CONF);
    let info = file_ending(
        &host.path("var/cache/dnf/update-0123456789abcdef/repodata"),
        "-updateinfo.xml.gz",
    );
    std::fs::write(&info, b"not gzip").unwrap();
    let u = host.updates();
    let p = get(&u, "openssl", "x86_64");
    assert!(p.advisories.is_empty() && !p.security);
    assert!(
        u.warnings[0].contains("advisories of repository [update]"),
        "{}",
        u.warnings[0]
    );
}

#[test]
fn the_file_named_in_repomd_is_read_before_any_other() {
    let host = dnf_host(DNF_CONF);
    let dir = host.path("var/cache/dnf/OS-0123456789abcdef/repodata");
    // A stray newer package list (testing's: hello 9.0-1) is not the one repomd.xml names.
    let stray = file_ending(
        &host.path("var/cache/dnf/testing-0123456789abcdef/repodata"),
        "-primary.xml.gz",
    );
    std::fs::copy(&stray, dir.join("ffff-primary.xml.gz")).unwrap();
    assert_eq!(get(&host.updates(), "hello", "noarch").candidate, "1.2-1");

    // When the named file is gone, the package list is found by its name.
    let named = file_ending(&dir, "-primary.xml.gz");
    let named = if named.ends_with("ffff-primary.xml.gz") {
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with("-primary.xml.gz") && *p != named)
            .unwrap()
    } else {
        named
    };
    std::fs::rename(&named, dir.join("primary.xml.gz")).unwrap();
    std::fs::remove_file(dir.join("ffff-primary.xml.gz")).unwrap();
    let u = host.updates();
    assert_eq!(get(&u, "epochpkg", "x86_64").suites, ["OS"]);
}

#[test]
fn lower_priority_value_wins_over_a_newer_version() {
    let host = dnf_host(DNF_CONF);
    host.write(
        "etc/yum.repos.d/openEuler.repo",
        &REPOS.replacen("enabled=1\n", "enabled=1\npriority=1\n", 1),
    );
    let u = host.updates();
    let hello = get(&u, "hello", "noarch");
    assert_eq!(
        hello.candidate, "1.1-1",
        "OS (priority 1) hides update's 1.2-1"
    );
    assert_eq!(hello.suites, ["OS"]);
}

#[test]
fn the_same_version_in_two_repositories_names_both() {
    let host = dnf_host(DNF_CONF);
    host.write(
        "etc/yum.repos.d/zz-mirror.repo",
        "[EPOL-mirror]\nbaseurl=http://mirror.invalid/EPOL/\n",
    );
    host.dnf_cache("extras", "EPOL-mirror");
    let u = host.updates();
    assert_eq!(get(&u, "xzonly", "x86_64").suites, ["EPOL", "EPOL-mirror"]);
}

#[test]
fn metadata_time_is_the_newest_repomd_timestamp() {
    let u = dnf_host(DNF_CONF).updates();
    // extras was generated last (createrepo_c --revision 1700200000).
    assert_eq!(
        u.metadata_updated_at.map(|t| t.timestamp()),
        Some(1_700_200_000)
    );
}

const YUM_CONF: &str = "[main]\ncachedir=/var/cache/yum/$basearch/$releasever\nkeepcache=0\ndebuglevel=2\nexactarch=1\nobsoletes=1\ngpgcheck=1\nplugins=1\ninstallonly_limit=5\n";

const CENTOS_REPOS: &str = "\
[base]
name=CentOS-$releasever - Base
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os&infra=$infra
gpgcheck=1

[updates]
name=CentOS-$releasever - Updates
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=updates&infra=$infra
gpgcheck=1
";

#[test]
fn yum_cache_layout_is_read() {
    let host = Host::new();
    host.write("etc/yum.conf", YUM_CONF);
    host.write("etc/yum.repos.d/CentOS-Base.repo", CENTOS_REPOS);
    host.yum_cache("base", "base");
    host.yum_cache("updates", "updates");
    let u = host.updates();
    assert_eq!(u.repos, ["base", "updates"]);
    assert_eq!(get(&u, "hello", "noarch").candidate, "1.2-1");
    assert_eq!(get(&u, "epochpkg", "x86_64").suites, ["base"]);
    assert!(get(&u, "openssl", "x86_64").security);
    assert!(u.warnings.is_empty(), "{:?}", u.warnings);
}

#[test]
fn yum_cache_with_only_the_sqlite_form_says_so() {
    let host = Host::new();
    host.write("etc/yum.conf", YUM_CONF);
    host.write("etc/yum.repos.d/CentOS-Base.repo", CENTOS_REPOS);
    let base = host.yum_cache("base", "base");
    for e in std::fs::read_dir(&base).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".xml.gz") {
            std::fs::remove_file(p).unwrap();
        }
    }
    host.yum_cache("updates", "updates");
    let u = host.updates();
    assert_eq!(u.repos, ["updates"]);
    assert_eq!(u.warnings.len(), 1, "{:?}", u.warnings);
    assert!(
        u.warnings[0].contains("primary.sqlite.bz2"),
        "{}",
        u.warnings[0]
    );
    assert!(u.warnings[0].contains("SQLite"), "{}", u.warnings[0]);

    // With no other repository, nothing can be said: an error, with the reason.
    std::fs::remove_dir_all(host.path("var/cache/yum/x86_64/7/updates")).unwrap();
    let err = pending_updates(&host.root(), &installed()).unwrap_err();
    assert!(matches!(err, RepoError::Unreadable { .. }), "{err:?}");
    assert!(err.to_string().contains("SQLite"), "{err}");
}

/// dnf itself as the oracle: an installroot whose rpm database holds the
/// installed packages (rpmbuild'd), dnf's own cache of the fixture
/// repositories (`dnf makecache`), and `dnf check-update`, `check-update
/// --security` and `updateinfo list --updates` against what is computed from
/// that same cache, for several configurations.
#[test]
#[ignore = "needs dnf, rpm and rpmbuild (apt-get install dnf rpm); run with --ignored"]
fn dnf_check_update_agrees_on_its_own_cache() {
    use std::collections::BTreeSet;
    use std::process::Command;
    let host = Host::new();
    let r = host.dir.path().to_path_buf();
    let build = tempfile::tempdir().unwrap();
    let top = build.path();
    std::fs::create_dir_all(top.join("SPECS")).unwrap();
    for (name, arch, evr) in installed() {
        if name == "gpg-pubkey" {
            continue;
        }
        let (epoch, vr) = evr.split_once(':').unwrap_or(("0", &evr));
        let (version, release) = vr.rsplit_once('-').unwrap();
        let spec = top.join(format!("SPECS/{name}-{vr}-{arch}.spec"));
        let epoch_line = if epoch == "0" {
            String::new()
        } else {
            format!("Epoch: {epoch}\n")
        };
        std::fs::write(
            &spec,
            format!("Name: {name}\n{epoch_line}Version: {version}\nRelease: {release}\nSummary: s\nLicense: MIT\nBuildArch: {arch}\n%description\nd\n%files\n"),
        )
        .unwrap();
        let ok = Command::new("rpmbuild")
            .args(["-bb", "--quiet", "--define"])
            .arg(format!("_topdir {}", top.display()))
            .arg(&spec)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "rpmbuild {name}");
    }
    let rpms: Vec<PathBuf> = std::fs::read_dir(top.join("RPMS"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    let rpm = |args: &[&str]| {
        let out = Command::new("rpm")
            .arg("--root")
            .arg(&r)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "rpm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    rpm(&["--initdb"]);
    let mut install = vec![
        "-i",
        "--justdb",
        "--nodeps",
        "--noscripts",
        "--nosignature",
        "--ignorearch",
    ];
    let paths: Vec<String> = rpms.iter().map(|p| p.display().to_string()).collect();
    install.extend(paths.iter().map(String::as_str));
    rpm(&install);
    let inst: Vec<(String, String, String)> = rpm(&[
        "-qa",
        "--qf",
        "%{NAME}\\t%{ARCH}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n",
    ])
    .lines()
    .map(|l| {
        let f: Vec<&str> = l.split('\t').collect();
        (f[0].to_string(), f[1].to_string(), f[2].to_string())
    })
    .collect();
    assert_eq!(inst.len(), installed().len() - 1);

    let dnf = |args: &[&str]| -> String {
        let out = Command::new("dnf")
            .arg(format!("--installroot={}", r.display()))
            .arg(format!("--config={}", r.join("etc/dnf/dnf.conf").display()))
            .arg(format!(
                "--setopt=reposdir={}",
                r.join("etc/yum.repos.d").display()
            ))
            .args(["--releasever=22.03", "--forcearch=x86_64", "-q"])
            .args(args)
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0) | Some(100)),
            "dnf {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // `name.arch  evr  repo` rows, up to "Obsoleting Packages".
    let rows = |text: &str| -> BTreeSet<(String, String, String, String)> {
        text.lines()
            .take_while(|l| !l.starts_with("Obsoleting"))
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let (name, arch) = f.first()?.rsplit_once('.')?;
                (f.len() == 3).then(|| {
                    (
                        name.to_string(),
                        arch.to_string(),
                        f[1].to_string(),
                        f[2].to_string(),
                    )
                })
            })
            .collect()
    };
    let fixtures = Path::new(FIXTURES);
    let file_repos = REPOS
        .replace(
            "http://repo.openeuler.org/openEuler-22.03-LTS-SP3/OS/$basearch/",
            &format!("file://{}/base", fixtures.display()),
        )
        .replace(
            "http://repo.openeuler.org/openEuler-22.03-LTS-SP3/update/$basearch/",
            &format!("file://{}/updates", fixtures.display()),
        )
        .replace(
            "http://repo.openeuler.org/openEuler-22.03-LTS-SP3/EPOL/main/$basearch/",
            &format!("file://{}/extras", fixtures.display()),
        )
        .replace(
            "http://repo.example.invalid/testing/",
            &format!("file://{}/testing", fixtures.display()),
        )
        .replace("gpgcheck=1", "gpgcheck=0");
    let variants = [
        ("as shipped", DNF_CONF.to_string(), file_repos.clone()),
        (
            "exclude in dnf.conf",
            format!("{DNF_CONF}exclude=kernel* curl\n"),
            file_repos.clone(),
        ),
        (
            "priority",
            DNF_CONF.to_string(),
            file_repos.replacen("enabled=1\n", "enabled=1\npriority=1\n", 1),
        ),
        (
            "testing enabled",
            DNF_CONF.to_string(),
            file_repos.replace("enabled=0", "enabled=1"),
        ),
    ];
    for (what, conf, repos) in variants {
        host.write("etc/dnf/dnf.conf", &conf);
        host.write("etc/yum.repos.d/openEuler.repo", &repos);
        dnf(&["makecache"]);
        let theirs = rows(&dnf(&["-C", "check-update"]));
        let ours = pending_updates(&host.root(), &inst).unwrap();
        let mine: BTreeSet<_> = ours
            .upgradable
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.arch.clone(),
                    p.candidate.clone(),
                    p.suites[0].clone(),
                )
            })
            .collect();
        assert_eq!(mine, theirs, "{what}: check-update");
        let secure: BTreeSet<_> = rows(&dnf(&["-C", "check-update", "--security"]))
            .into_iter()
            .map(|r| (r.0, r.1))
            .collect();
        let mine: BTreeSet<_> = ours
            .upgradable
            .iter()
            .filter(|p| p.security)
            .map(|p| (p.name.clone(), p.arch.clone()))
            .collect();
        assert_eq!(mine, secure, "{what}: check-update --security");
        // `updateinfo list --updates`: advisory id and the package it ships.
        let listed: BTreeSet<(String, String)> = dnf(&["-C", "updateinfo", "list", "--updates"])
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 3).then(|| (f[0].to_string(), f[2].to_string()))
            })
            .collect();
        let mine: BTreeSet<(String, String)> = ours
            .upgradable
            .iter()
            .flat_map(|p| {
                p.advisories
                    .iter()
                    .map(move |a| (a.id.clone(), p.name.clone()))
            })
            .collect();
        let theirs: BTreeSet<(String, String)> = listed
            .iter()
            .filter_map(|(id, nevra)| {
                let name = nevra.rsplitn(3, '-').nth(2)?;
                // Advisories of excluded packages are listed by dnf but have no update here.
                ours.upgradable
                    .iter()
                    .any(|p| p.name == name)
                    .then(|| (id.clone(), name.to_string()))
            })
            .collect();
        assert_eq!(mine, theirs, "{what}: updateinfo list --updates");
        eprintln!("{what}: {} updates agree with dnf", ours.upgradable.len());
    }
}

#[test]
fn a_cache_behind_an_absolute_link_is_read_inside_the_root() {
    let host = Host::new();
    host.write("etc/dnf/dnf.conf", DNF_CONF);
    host.write("etc/yum.repos.d/openEuler.repo", REPOS);
    // var/cache/dnf -> /data/dnf, as on an image with the cache on another volume.
    copy_dir(
        &Path::new(FIXTURES).join("updates/repodata"),
        &host.path("data/dnf/update-0123456789abcdef/repodata"),
    );
    std::fs::create_dir_all(host.path("var/cache")).unwrap();
    std::os::unix::fs::symlink("/data/dnf", host.path("var/cache/dnf")).unwrap();
    let u = host.updates();
    assert_eq!(u.repos, ["update"]);
    assert_eq!(get(&u, "hello", "noarch").candidate, "1.2-1");
}
