//! What apt would upgrade, on fixture roots, with apt itself as the oracle.
//!
//! Each test builds a root in a temporary directory (dpkg status, sources,
//! release files, `Packages` lists plain or compressed, preferences), asserts
//! what the agent computes, and checks that `apt list --upgradable` run on the
//! same root prints exactly the same (name, arch, installed, candidate) rows
//! and suites. apt is pointed at the root with `APT_CONFIG` (a file outside the
//! root setting `Dir`, `Dir::State::status`, no cache file, no locking, and
//! `APT::Architecture(s)`: apt asks the machine's dpkg for the foreign
//! architectures, so they are copied from the root's `var/lib/dpkg/arch`), so
//! it reads nothing of this machine's configuration and does read the root's
//! `etc/apt/apt.conf.d`. Where apt is missing, the comparison is skipped with
//! a message and the expected rows are still checked. Nothing touches the
//! network: no `apt-get update`, lists are written by hand.

use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::debian::apt::{self, AptError, AptView};
use selfcheck_pkgdb::debian::status;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// (name, arch, installed, candidate)
type Row = (String, String, String, String);
/// apt's rows with the suites it printed for each.
type AptRows = Vec<(Row, Vec<String>)>;

#[derive(Clone, Copy)]
enum Z {
    Plain,
    Gz,
    Xz,
    Lz4,
    Zst,
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    conf: PathBuf,
}

impl Fixture {
    /// A root with dpkg (amd64) and `installed` (name, arch, version) installed.
    fn new(installed: &[(&str, &str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        for d in [
            "etc/apt/sources.list.d",
            "etc/apt/preferences.d",
            "etc/apt/apt.conf.d",
            "var/lib/apt/lists/partial",
            "var/lib/dpkg",
            "var/cache/apt/archives/partial",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let f = Fixture {
            conf: dir.path().join("apt.conf"),
            _dir: dir,
            root,
        };
        let mut status = String::from(
            "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n\n",
        );
        for (name, arch, version) in installed {
            status.push_str(&format!(
                "Package: {name}\nStatus: install ok installed\nArchitecture: {arch}\nVersion: {version}\n\n"
            ));
        }
        f.write("var/lib/dpkg/status", &status);
        f
    }

    fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// A suite's release file, `InRelease` (clear-signed) or plain `Release`,
    /// for `base` = `host_path_dists_suite` as apt names it.
    fn release(&self, base: &str, fields: &str, signed: bool) {
        if signed {
            let text = format!(
                "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n{fields}\n-----BEGIN PGP SIGNATURE-----\n\nwsFzBAEBCgAdFiEE\n-----END PGP SIGNATURE-----\n"
            );
            self.write(&format!("var/lib/apt/lists/{base}_InRelease"), &text);
        } else {
            self.write(&format!("var/lib/apt/lists/{base}_Release"), fields);
        }
    }

    /// A `Packages` list `base_Packages` of (name, version, arch) entries.
    fn packages(&self, base: &str, entries: &[(&str, &str, &str)], z: Z) {
        let mut text = String::new();
        for (name, version, arch) in entries {
            text.push_str(&format!(
                "Package: {name}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: T <t@example.org>\nDescription: test package\n long description\n\n"
            ));
        }
        let (suffix, bytes) = compress(text.as_bytes(), z);
        self.write_bytes(
            &format!("var/lib/apt/lists/{base}_Packages{suffix}"),
            &bytes,
        );
    }

    fn ours(&self) -> Result<AptView, AptError> {
        let root = HostRoot::at(&self.root).unwrap();
        let text =
            std::fs::read_to_string(self.root.join("var/lib/dpkg/status")).unwrap_or_default();
        let status = status::parse_status(&text, "status").unwrap();
        apt::upgradable(&root, &status)
    }

    /// `apt list --upgradable` on this root: `None` when apt is not installed,
    /// `Some(Err(stderr))` when apt fails.
    fn apt(&self) -> Option<Result<AptRows, String>> {
        let r = self.root.display();
        let mut archs = vec!["amd64".to_string()];
        if let Ok(text) = std::fs::read_to_string(self.root.join("var/lib/dpkg/arch")) {
            archs.extend(
                text.split_whitespace()
                    .filter(|a| *a != "amd64")
                    .map(str::to_string),
            );
        }
        let archs: Vec<String> = archs.iter().map(|a| format!("\"{a}\";")).collect();
        let conf = format!(
            "Dir \"{r}/\";\nDir::State::status \"{r}/var/lib/dpkg/status\";\nDir::Cache::pkgcache \"\";\n\
             Dir::Cache::srcpkgcache \"\";\nDebug::NoLocking \"1\";\nAPT::Architecture \"amd64\";\n\
             APT::Architectures {{ {} }};\n",
            archs.join(" ")
        );
        std::fs::write(&self.conf, conf).unwrap();
        let out = match Command::new("apt")
            .args(["list", "--upgradable"])
            .env("APT_CONFIG", &self.conf)
            .env("LC_ALL", "C")
            .output()
        {
            Ok(out) => out,
            Err(e) => {
                eprintln!("SKIP apt comparison: apt cannot be run here ({e})");
                return None;
            }
        };
        if !out.status.success() {
            return Some(Err(String::from_utf8_lossy(&out.stderr).into_owned()));
        }
        Some(Ok(parse_apt_list(&String::from_utf8_lossy(&out.stdout))))
    }

    /// Our rows, after checking they (and the suites) equal apt's.
    fn check(&self) -> (Vec<Row>, AptView) {
        let view = self.ours().unwrap_or_else(|e| panic!("{e}"));
        let ours: Vec<Row> = view
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
        if let Some(theirs) = self.apt() {
            let theirs = theirs.unwrap_or_else(|e| panic!("apt failed: {e}"));
            let a: BTreeSet<&Row> = theirs.iter().map(|(r, _)| r).collect();
            let o: BTreeSet<&Row> = ours.iter().collect();
            assert_eq!(o, a, "ours vs apt's; our warnings: {:?}", view.warnings);
            for (row, suites) in &theirs {
                if !suites.iter().any(|s| s == "unknown") {
                    let u = view
                        .upgradable
                        .iter()
                        .find(|u| u.name == row.0 && u.arch == row.1)
                        .unwrap();
                    assert_eq!(&u.suites, suites, "suites of {}", row.0);
                }
            }
        }
        (ours, view)
    }
}

fn parse_apt_list(stdout: &str) -> AptRows {
    let mut rows = Vec::new();
    for line in stdout.lines() {
        let Some((left, installed)) = line.split_once(" [upgradable from: ") else {
            continue;
        };
        let words: Vec<&str> = left.split_whitespace().collect();
        let [name_suites, candidate, arch] = words[..] else {
            panic!("unexpected apt list line {line:?}");
        };
        let (name, suites) = name_suites.split_once('/').unwrap();
        let mut list: Vec<String> = Vec::new();
        for s in suites.split(',') {
            if !list.iter().any(|x| x == s) {
                list.push(s.to_string());
            }
        }
        let installed = installed.trim_end_matches(']');
        rows.push((
            (name.into(), arch.into(), installed.into(), candidate.into()),
            list,
        ));
    }
    rows
}

fn compress(text: &[u8], z: Z) -> (&'static str, Vec<u8>) {
    match z {
        Z::Plain => ("", text.to_vec()),
        Z::Gz => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(text).unwrap();
            (".gz", e.finish().unwrap())
        }
        Z::Lz4 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(text).unwrap();
            (".lz4", e.finish().unwrap())
        }
        Z::Zst => (
            ".zst",
            ruzstd::encoding::compress_to_vec(text, ruzstd::encoding::CompressionLevel::Fastest),
        ),
        Z::Xz => match xz_cli(text) {
            Some(bytes) => (".xz", bytes),
            None => {
                eprintln!("no xz command here: writing a .gz list instead of .xz");
                compress(text, Z::Gz)
            }
        },
    }
}

fn xz_cli(text: &[u8]) -> Option<Vec<u8>> {
    let mut child = Command::new("xz")
        .args(["-c", "-6"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(text).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status.success().then_some(out.stdout)
}

fn row(name: &str, arch: &str, installed: &str, candidate: &str) -> Row {
    (name.into(), arch.into(), installed.into(), candidate.into())
}

const DEB: &str = "deb.example_debian_dists";
const SEC: &str = "security.example_debian-security_dists";

/// stable (InRelease, lz4) and stable-security (Release, gz) from two hosts.
fn debian_like(installed: &[(&str, &str, &str)]) -> Fixture {
    let f = Fixture::new(installed);
    f.write(
        "etc/apt/sources.list.d/debian.sources",
        "Types: deb\n# a comment between fields\nURIs: http://deb.example/debian\nSuites: bookworm\n\
         Components: main\n\nTypes: deb\nURIs: http://security.example/debian-security\n\
         Suites: bookworm-security\nComponents: main\n",
    );
    f.release(
        &format!("{DEB}_bookworm"),
        "Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 12.5\nCodename: bookworm\nDate: Sat, 10 Feb 2024 10:00:00 UTC",
        true,
    );
    f.release(
        &format!("{SEC}_bookworm-security"),
        "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nVersion: 12\nCodename: bookworm-security\nDate: Sun, 11 Feb 2024 09:00:00 UTC\n",
        false,
    );
    f
}

#[test]
fn security_suite_candidates_are_flagged_and_same_version_lists_both_suites() {
    let f = debian_like(&[
        ("libssl3", "amd64", "3.0.11-1"),
        ("curl", "amd64", "7.88.1-10"),
        ("bash", "amd64", "5.2-1"),
    ]);
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[
            ("libssl3", "3.0.11-1", "amd64"),
            ("curl", "7.88.1-10+deb12u5", "amd64"),
            ("bash", "5.2-1", "amd64"),
        ],
        Z::Lz4,
    );
    f.packages(
        &format!("{SEC}_bookworm-security_main_binary-amd64"),
        &[
            ("libssl3", "3.0.13-1~deb12u1", "amd64"),
            ("curl", "7.88.1-10+deb12u5", "amd64"),
        ],
        Z::Gz,
    );
    let (rows, view) = f.check();
    assert_eq!(
        rows,
        [
            row("curl", "amd64", "7.88.1-10", "7.88.1-10+deb12u5"),
            row("libssl3", "amd64", "3.0.11-1", "3.0.13-1~deb12u1")
        ]
    );
    assert_eq!(view.upgradable[0].suites, ["stable", "stable-security"]);
    assert_eq!(view.upgradable[1].suites, ["stable-security"]);
    assert!(view.upgradable.iter().all(|u| u.security));
    assert_eq!((view.sources, view.package_files), (2, 2));
    assert_eq!(
        view.lists_updated_at.unwrap().to_rfc3339(),
        "2024-02-11T09:00:00+00:00"
    );
}

#[test]
fn notautomatic_suites_only_win_when_pinned_and_butautomaticupgrades_upgrades() {
    let f = debian_like(&[
        ("foo", "amd64", "1.0"),
        ("bar", "amd64", "1.0"),
        ("baz", "amd64", "2.0~bpo1"),
        ("local", "amd64", "1.0"),
    ]);
    f.write("etc/apt/sources.list", "deb http://deb.example/debian experimental main\ndeb http://deb.example/debian bookworm-backports main\n");
    f.release(
        &format!("{DEB}_experimental"),
        "Suite: experimental\nCodename: rc-buggy\nNotAutomatic: yes\n",
        false,
    );
    f.release(
        &format!("{DEB}_bookworm-backports"),
        "Suite: stable-backports\nNotAutomatic: yes\nButAutomaticUpgrades: yes\n",
        false,
    );
    f.packages(
        &format!("{DEB}_experimental_main_binary-amd64"),
        &[("foo", "9.0", "amd64"), ("bar", "9.0", "amd64")],
        Z::Plain,
    );
    f.packages(
        &format!("{DEB}_bookworm-backports_main_binary-amd64"),
        &[
            ("foo", "3.0~bpo1", "amd64"),
            ("baz", "3.0~bpo1", "amd64"),
            ("local", "3.0~bpo1", "amd64"),
        ],
        Z::Xz,
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[("foo", "1.0", "amd64"), ("bar", "1.0", "amd64")],
        Z::Lz4,
    );
    f.write(
        "etc/apt/preferences.d/bar.pref",
        "Package: bar\nPin: release a=experimental\nPin-Priority: 500\n",
    );
    let (rows, _) = f.check();
    // foo: experimental (1) and backports (100) lose to the installed version,
    // which stable offers at 500; bar is pinned to 500; baz, installed from
    // backports, follows backports; so does `local`, whose installed version no
    // archive offers: it has only the status file's 100, and at equal
    // priority the newer version wins.
    assert_eq!(
        rows,
        [
            row("bar", "amd64", "1.0", "9.0"),
            row("baz", "amd64", "2.0~bpo1", "3.0~bpo1"),
            row("local", "amd64", "1.0", "3.0~bpo1"),
        ]
    );
}

#[test]
fn a_pin_above_1000_forces_a_downgrade_which_is_not_an_upgrade() {
    let f = debian_like(&[("foo", "amd64", "2.0"), ("bar", "amd64", "1.0")]);
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[("foo", "1.0", "amd64"), ("bar", "0.9", "amd64")],
        Z::Gz,
    );
    f.packages(
        &format!("{SEC}_bookworm-security_main_binary-amd64"),
        &[("bar", "1.1", "amd64")],
        Z::Plain,
    );
    f.write(
        "etc/apt/preferences",
        "Package: foo bar\nPin: release n=bookworm\nPin-Priority: 1001\n",
    );
    let (rows, _) = f.check();
    assert_eq!(rows, []);
    let view = f.ours().unwrap();
    assert!(
        view.upgradable.is_empty() && view.warnings.is_empty(),
        "{view:?}"
    );
}

#[test]
fn origin_pins_prefer_a_host_and_negative_and_never_pins_block() {
    let f = debian_like(&[
        ("nodejs", "amd64", "18.0"),
        ("vim", "amd64", "9.0"),
        ("git", "amd64", "2.39"),
        ("zsh", "amd64", "5.9"),
    ]);
    f.write("etc/apt/sources.list.d/node.list", "deb [arch=amd64 signed-by=/k.gpg] https://user:pw@deb.node.example:8443/node_20.x nodistro main\n");
    f.release(
        "deb.node.example:8443_node%5f20.x_dists_nodistro",
        "Origin: Node\nSuite: nodistro\nCodename: nodistro\n",
        true,
    );
    f.packages(
        "deb.node.example:8443_node%5f20.x_dists_nodistro_main_binary-amd64",
        &[("nodejs", "20.1", "amd64"), ("git", "9.9", "amd64")],
        Z::Lz4,
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[
            ("nodejs", "22.0", "amd64"),
            ("vim", "9.1", "amd64"),
            ("git", "2.40", "amd64"),
            ("zsh", "5.9.1", "amd64"),
        ],
        Z::Lz4,
    );
    f.write(
        "etc/apt/preferences.d/nodejs",
        "Package: nodejs\nPin: origin deb.node.example\nPin-Priority: 600\n",
    );
    f.write(
        "etc/apt/preferences.d/vim",
        "Package: vim\nPin: version 9.1*\nPin-Priority: -1\n",
    );
    f.write("etc/apt/preferences.d/z-never.pref", "Package: *\nPin: release o=Node\nPin-Priority: never\n\nPackage: *\nPin: release a=stable\nPin-Priority: 500\n");
    f.write(
        "etc/apt/preferences.d/zsh.pref",
        "Package: zsh\nPin: version 5.9.1\nPin-Priority: -10\n",
    );
    let (rows, _) = f.check();
    // nodejs: the never pin on Node's files beats the origin pin; git 9.9 is never.
    assert_eq!(
        rows,
        [
            row("git", "amd64", "2.39", "2.40"),
            row("nodejs", "amd64", "18.0", "22.0")
        ]
    );
    std::fs::remove_file(f.root.join("etc/apt/preferences.d/z-never.pref")).unwrap();
    let (rows, _) = f.check();
    assert_eq!(
        rows,
        [
            row("git", "amd64", "2.39", "9.9"),
            row("nodejs", "amd64", "18.0", "20.1")
        ]
    );
}

#[test]
fn glob_regex_and_generic_release_pins() {
    let f = debian_like(&[
        ("libfoo1", "amd64", "1.0"),
        ("python3-dev", "amd64", "1.0"),
        ("other", "amd64", "1.0"),
        ("tool", "amd64", "1.0"),
    ]);
    f.write(
        "etc/apt/sources.list",
        "deb http://deb.example/debian trixie main\n",
    );
    f.release(
        &format!("{DEB}_trixie"),
        "Origin: Debian\nLabel: Debian\nSuite: testing\nCodename: trixie\n",
        false,
    );
    let entries = [
        ("libfoo1", "2.0", "amd64"),
        ("python3-dev", "2.0", "amd64"),
        ("other", "2.0", "amd64"),
        ("tool", "2.0", "amd64"),
    ];
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &entries,
        Z::Plain,
    );
    let testing = [
        ("libfoo1", "3.0", "amd64"),
        ("python3-dev", "3.0", "amd64"),
        ("other", "3.0", "amd64"),
        ("tool", "3.0", "amd64"),
    ];
    f.packages(&format!("{DEB}_trixie_main_binary-amd64"), &testing, Z::Gz);
    f.write(
        "etc/apt/preferences",
        "Package: lib* /^PYTHON[0-9]+-dev$/\nPin: release n=trixie\nPin-Priority: 990\n\n\
         Package: tool\nPin: release testing\nPin-Priority: 100\n\n\
         Explanation: track stable\nPackage: *\nPin: release a=stable\nPin-Priority: 900\n\n\
         Package: *\nPin: release o=Debian\nPin-Priority: 50\n",
    );
    let (rows, _) = f.check();
    assert_eq!(
        rows,
        [
            row("libfoo1", "amd64", "1.0", "3.0"),
            row("other", "amd64", "1.0", "2.0"),
            row("python3-dev", "amd64", "1.0", "3.0"),
            row("tool", "amd64", "1.0", "2.0")
        ]
    );
}

#[test]
fn epochs_order_versions() {
    let f = debian_like(&[
        ("a", "amd64", "1:1.0-1"),
        ("b", "amd64", "1.0-1"),
        ("c", "amd64", "2:0.1"),
    ]);
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[
            ("a", "2.0-1", "amd64"),
            ("b", "1:0.5-1", "amd64"),
            ("c", "2:0.1+b1", "amd64"),
        ],
        Z::Plain,
    );
    f.packages(
        &format!("{SEC}_bookworm-security_main_binary-amd64"),
        &[("a", "1:1.0-1+deb12u1", "amd64")],
        Z::Plain,
    );
    let (rows, _) = f.check();
    assert_eq!(
        rows,
        [
            row("a", "amd64", "1:1.0-1", "1:1.0-1+deb12u1"),
            row("b", "amd64", "1.0-1", "1:0.5-1"),
            row("c", "amd64", "2:0.1", "2:0.1+b1")
        ]
    );
}

#[test]
fn arch_all_and_foreign_architectures() {
    let f = debian_like(&[
        ("data", "all", "1.0"),
        ("became-any", "all", "1.0"),
        ("libc6", "amd64", "2.36-8"),
        ("libc6", "i386", "2.36-8"),
        ("i386-only", "i386", "1.0"),
        ("noarch-in-all", "amd64", "1.0"),
    ]);
    f.write("var/lib/dpkg/arch", "amd64\ni386\n");
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[
            ("data", "2.0", "all"),
            ("became-any", "2.0", "amd64"),
            ("libc6", "2.36-9", "amd64"),
        ],
        Z::Lz4,
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-i386"),
        &[
            ("libc6", "2.36-10", "i386"),
            ("data", "3.0", "all"),
            ("i386-only", "2.0", "all"),
        ],
        Z::Gz,
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-all"),
        &[("noarch-in-all", "1.5", "all")],
        Z::Plain,
    );
    let (rows, _) = f.check();
    // `all` entries of any list belong to the native package; i386-only:i386
    // gets nothing from an `all` entry.
    assert_eq!(
        rows,
        [
            row("became-any", "all", "1.0", "2.0"),
            row("data", "all", "1.0", "3.0"),
            row("libc6", "amd64", "2.36-8", "2.36-9"),
            row("libc6", "i386", "2.36-8", "2.36-10"),
            row("noarch-in-all", "amd64", "1.0", "1.5"),
        ]
    );
}

#[test]
fn disabled_source_files_and_stanzas_are_ignored() {
    let f = debian_like(&[("foo", "amd64", "1.0")]);
    f.write(
        "etc/apt/sources.list.d/old.list.disabled",
        "deb http://old.example/debian stable main\n",
    );
    f.write(
        "etc/apt/sources.list.d/farm.sources.disabled-by-farm",
        "Types: deb\nURIs: http://old.example/debian\nSuites: stable\nComponents: main\n",
    );
    f.write("etc/apt/sources.list.d/off.sources", "Types: deb\nURIs: http://off.example/debian\nSuites: stable\nComponents: main\nEnabled: no\n");
    f.packages(
        "old.example_debian_dists_stable_main_binary-amd64",
        &[("foo", "9.0", "amd64")],
        Z::Plain,
    );
    f.packages(
        "off.example_debian_dists_stable_main_binary-amd64",
        &[("foo", "8.0", "amd64")],
        Z::Plain,
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[("foo", "2.0", "amd64")],
        Z::Plain,
    );
    let (rows, view) = f.check();
    assert_eq!(rows, [row("foo", "amd64", "1.0", "2.0")]);
    assert_eq!(view.sources, 2);
}

#[test]
fn flat_repositories() {
    let f = Fixture::new(&[("foo", "amd64", "1.0"), ("bar", "all", "1.0")]);
    f.write(
        "etc/apt/sources.list",
        "deb [trusted=yes] http://flat.example/repo ./\ndeb http://flat.example/sub dir/\n",
    );
    f.release(
        "flat.example_repo_.",
        "Suite: flat\nDate: Mon, 01 Jan 2024 00:00:00 +0000\n",
        false,
    );
    f.packages("flat.example_repo_.", &[("foo", "2.0", "amd64")], Z::Gz);
    f.packages("flat.example_sub_dir", &[("bar", "1.1", "all")], Z::Zst);
    let (rows, view) = f.check();
    assert_eq!(
        rows,
        [
            row("bar", "all", "1.0", "1.1"),
            row("foo", "amd64", "1.0", "2.0")
        ]
    );
    // No release file: no Suite (apt prints "unknown"); the sources' suite is used.
    assert_eq!(view.upgradable[0].suites, ["dir/"]);
}

#[test]
fn a_truncated_gz_list_is_a_warning_and_the_others_are_still_used() {
    let f = debian_like(&[
        ("early", "amd64", "1.0"),
        ("late", "amd64", "1.0"),
        ("sec", "amd64", "1.0"),
    ]);
    let mut entries = vec![("early", "2.0", "amd64")];
    let names: Vec<String> = (0..4000).map(|i| format!("filler{i}")).collect();
    entries.extend(names.iter().map(|n| (n.as_str(), "1.0", "amd64")));
    entries.push(("late", "2.0", "amd64"));
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &entries,
        Z::Gz,
    );
    let path = f.root.join(format!(
        "var/lib/apt/lists/{DEB}_bookworm_main_binary-amd64_Packages.gz"
    ));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    f.packages(
        &format!("{SEC}_bookworm-security_main_binary-amd64"),
        &[("sec", "1.1", "amd64")],
        Z::Plain,
    );
    let (rows, view) = f.check();
    // Like apt (zlib), the part before the break is used.
    assert_eq!(
        rows,
        [
            row("early", "amd64", "1.0", "2.0"),
            row("sec", "amd64", "1.0", "1.1")
        ]
    );
    assert_eq!(view.warnings.len(), 1, "{:?}", view.warnings);
    assert!(
        view.warnings[0].contains("bookworm_main_binary-amd64_Packages.gz"),
        "{:?}",
        view.warnings
    );
}

#[test]
fn compression_variants_and_which_one_apt_reads() {
    let f = debian_like(&[("a", "amd64", "1.0")]);
    let base = format!("{DEB}_bookworm_main_binary-amd64");
    for (z, v) in [
        (Z::Gz, "3.0"),
        (Z::Lz4, "4.0"),
        (Z::Xz, "5.0"),
        (Z::Zst, "6.0"),
    ] {
        f.packages(&base, &[("a", v, "amd64")], z);
    }
    // apt's order: plain, .xz, .bz2, .lzma, .gz, .lz4, .zst.
    let (rows, _) = f.check();
    assert_eq!(rows, [row("a", "amd64", "1.0", "5.0")]);
    std::fs::remove_file(f.root.join(format!("var/lib/apt/lists/{base}_Packages.xz"))).unwrap();
    assert_eq!(f.check().0, [row("a", "amd64", "1.0", "3.0")]);
    std::fs::remove_file(f.root.join(format!("var/lib/apt/lists/{base}_Packages.gz"))).unwrap();
    assert_eq!(f.check().0, [row("a", "amd64", "1.0", "4.0")]);
    std::fs::remove_file(
        f.root
            .join(format!("var/lib/apt/lists/{base}_Packages.lz4")),
    )
    .unwrap();
    assert_eq!(f.check().0, [row("a", "amd64", "1.0", "6.0")]);
}

#[test]
fn held_packages_are_listed_and_removed_ones_are_not() {
    let f = debian_like(&[]);
    f.write(
        "var/lib/dpkg/status",
        "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n\n\
         Package: held\nStatus: hold ok installed\nArchitecture: amd64\nVersion: 1.0\n\n\
         Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0\n\n\
         Package: half\nStatus: install reinstreq half-installed\nArchitecture: amd64\nVersion: 1.0\n",
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[
            ("held", "2.0", "amd64"),
            ("gone", "2.0", "amd64"),
            ("half", "2.0", "amd64"),
            ("dpkg", "1.21.23", "amd64"),
        ],
        Z::Plain,
    );
    let (rows, _) = f.check();
    assert_eq!(
        rows,
        [
            row("dpkg", "amd64", "1.21.22", "1.21.23"),
            row("half", "amd64", "1.0", "2.0"),
            row("held", "amd64", "1.0", "2.0")
        ]
    );
}

#[test]
fn default_release_from_apt_conf_and_its_errors() {
    let f = debian_like(&[("foo", "amd64", "1.0")]);
    f.write(
        "etc/apt/sources.list",
        "deb http://deb.example/debian trixie main\n",
    );
    f.release(
        &format!("{DEB}_trixie"),
        "Suite: testing\nCodename: trixie\n",
        false,
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[("foo", "2.0", "amd64")],
        Z::Plain,
    );
    f.packages(
        &format!("{DEB}_trixie_main_binary-amd64"),
        &[("foo", "3.0", "amd64")],
        Z::Plain,
    );
    f.write(
        "etc/apt/apt.conf.d/50release",
        "APT { Default-Release \"stable\"; };\n",
    );
    assert_eq!(f.check().0, [row("foo", "amd64", "1.0", "2.0")]);
    f.write(
        "etc/apt/apt.conf.d/50release",
        "APT::Default-Release \"sid\";\n",
    );
    let err = f.ours().unwrap_err();
    assert!(matches!(err, AptError::DefaultRelease(..)), "{err}");
    if let Some(apt) = f.apt() {
        assert!(apt.unwrap_err().contains("Default-Release"));
    }
}

#[test]
fn preferences_apt_refuses_are_errors_and_unknown_pin_types_warnings() {
    let f = debian_like(&[("foo", "amd64", "1.0")]);
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[("foo", "2.0", "amd64")],
        Z::Plain,
    );
    f.write(
        "etc/apt/preferences",
        "Package: foo\nPin: version 2.0\nPin-Priority: 0\n",
    );
    assert!(matches!(f.ours().unwrap_err(), AptError::Preferences(_)));
    if let Some(apt) = f.apt() {
        assert!(apt.unwrap_err().contains("No priority"));
    }
    f.write(
        "etc/apt/preferences",
        "Package: foo\nPin: bogus 2.0\nPin-Priority: 5\n",
    );
    let (rows, view) = f.check();
    assert_eq!(rows, [row("foo", "amd64", "1.0", "2.0")]);
    assert!(view.warnings[0].contains("bogus"), "{:?}", view.warnings);
}

#[test]
fn missing_status_file_sources_or_lists_are_errors() {
    let f = debian_like(&[("foo", "amd64", "1.0")]);
    std::fs::remove_dir_all(f.root.join("var/lib/apt/lists")).unwrap();
    assert!(matches!(f.ours().unwrap_err(), AptError::ListsMissing(_)));
    std::fs::create_dir_all(f.root.join("var/lib/apt/lists")).unwrap();
    let err = f.ours().unwrap_err();
    assert!(
        matches!(err, AptError::NoLists(2, _)) && err.to_string().contains("apt-get update"),
        "{err}"
    );
    std::fs::remove_file(f.root.join("etc/apt/sources.list.d/debian.sources")).unwrap();
    assert!(matches!(f.ours().unwrap_err(), AptError::NoSources(_)));
    std::fs::remove_file(f.root.join("var/lib/dpkg/status")).unwrap();
    let err = f.ours().unwrap_err();
    assert!(matches!(err, AptError::StatusMissing(_)), "{err}");
    // apt itself lists nothing without a status file.
    if let Some(apt) = f.apt() {
        assert!(apt.unwrap().is_empty());
    }
}

#[test]
fn malformed_sources_are_errors_like_in_apt() {
    let f = debian_like(&[("foo", "amd64", "1.0")]);
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[("foo", "2.0", "amd64")],
        Z::Plain,
    );
    f.write(
        "etc/apt/sources.list",
        "deb http://deb.example/debian bookworm\n",
    );
    let err = f.ours().unwrap_err();
    assert!(err.to_string().contains("sources.list line 1"), "{err}");
    if let Some(apt) = f.apt() {
        assert!(apt.is_err());
    }
}

#[test]
fn source_pins_and_arch_qualified_pins() {
    let f = debian_like(&[
        ("libx1", "amd64", "1.0"),
        ("libx1", "i386", "1.0"),
        ("x-bin", "amd64", "1.0"),
    ]);
    f.write("var/lib/dpkg/arch", "amd64\ni386\n");
    let src = "Package: libx1\nSource: xsrc (2.0)\nVersion: 2.0\nArchitecture: amd64\n\n\
               Package: x-bin\nSource: xsrc\nVersion: 2.0\nArchitecture: amd64\n";
    f.write(
        &format!("var/lib/apt/lists/{DEB}_bookworm_main_binary-amd64_Packages"),
        src,
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-i386"),
        &[("libx1", "2.0", "i386")],
        Z::Plain,
    );
    f.write(
        "etc/apt/preferences",
        "Package: src:xsrc\nPin: version 2.0\nPin-Priority: -1\n",
    );
    assert_eq!(f.check().0, [row("libx1", "i386", "1.0", "2.0")]);
    f.write(
        "etc/apt/preferences",
        "Package: libx1:any\nPin: version 2.0\nPin-Priority: -1\n",
    );
    assert_eq!(f.check().0, [row("x-bin", "amd64", "1.0", "2.0")]);
}

#[test]
fn source_order_arch_options_and_component_pins() {
    let f = Fixture::new(&[
        ("a", "amd64", "1.0"),
        ("b", "i386", "1.0"),
        ("c", "amd64", "1.0"),
        ("d", "amd64", "1.0"),
    ]);
    f.write("var/lib/dpkg/arch", "amd64\ni386\n");
    // Security first; the same URI and suite twice (components merge, lists
    // are read once); i386 lists are excluded by arch=.
    f.write(
        "etc/apt/sources.list",
        "deb [arch=amd64] http://security.example/debian-security bookworm-security main\n\
         deb http://deb.example/debian bookworm main\n\
         deb [ arch=amd64 ] http://deb.example/debian bookworm contrib main\n",
    );
    f.write(
        "etc/apt/sources.list.d/extra.sources",
        "Types: deb\nURIs: http://extra.example/x\nSuites: s\nComponents: main\nArchitectures-Remove: i386\n",
    );
    f.release(
        &format!("{SEC}_bookworm-security"),
        "Suite: stable-security\nLabel: Debian-Security\n",
        false,
    );
    f.release(
        &format!("{DEB}_bookworm"),
        "Suite: stable\nOrigin: Debian\n",
        true,
    );
    f.release("extra.example_x_dists_s", "Suite: extra\n", false);
    f.packages(
        &format!("{SEC}_bookworm-security_main_binary-amd64"),
        &[("a", "2.0", "amd64")],
        Z::Plain,
    );
    f.packages(
        &format!("{SEC}_bookworm-security_main_binary-i386"),
        &[("b", "9.0", "i386")],
        Z::Plain,
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-amd64"),
        &[("a", "2.0", "amd64"), ("c", "2.0", "amd64")],
        Z::Gz,
    );
    f.packages(
        &format!("{DEB}_bookworm_main_binary-i386"),
        &[("b", "2.0", "i386")],
        Z::Gz,
    );
    f.packages(
        &format!("{DEB}_bookworm_contrib_binary-amd64"),
        &[("d", "2.0", "amd64"), ("c", "3.0", "amd64")],
        Z::Lz4,
    );
    f.packages(
        "extra.example_x_dists_s_main_binary-i386",
        &[("b", "8.0", "i386")],
        Z::Plain,
    );
    f.packages(
        "extra.example_x_dists_s_main_binary-all",
        &[("d", "5.0", "all")],
        Z::Plain,
    );
    f.write("etc/apt/preferences", "Package: *\nPin: release c=contrib\nPin-Priority: 50\n\nPackage: *\nPin: release b=all\nPin-Priority: 600\n");
    let (rows, view) = f.check();
    // c: 3.0 is only in contrib (50), 2.0 in main (500); d: extra's
    // binary-all list (600) beats contrib (50) and the installed version (100).
    assert_eq!(
        rows,
        [
            row("a", "amd64", "1.0", "2.0"),
            row("b", "i386", "1.0", "2.0"),
            row("c", "amd64", "1.0", "2.0"),
            row("d", "amd64", "1.0", "5.0"),
        ]
    );
    assert_eq!(view.upgradable[0].suites, ["stable-security", "stable"]);
    assert!(view.upgradable[0].security && !view.upgradable[1].security);
}
