//! RPM host fixtures built with the real rpm tools: tiny packages from spec
//! files (`rpmbuild -bb`), installed into a root directory (`rpm --root -i`),
//! so that the rpm database under it is exactly what rpm writes. rpm itself
//! (`rpm -qa`) is the oracle the agent's readers are compared with.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Panic with the install hint when the rpm tools are missing.
pub fn require_rpm_tools() {
    for tool in ["rpm", "rpmbuild"] {
        let ok = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "`{tool}` is not installed: the RPM fixtures are built with the rpm tools \
             (Debian package `rpm`, which .ci/run installs: apt-get install rpm)"
        );
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Build every `(name, spec text)` with `rpmbuild -bb` below `topdir`; the built rpms.
pub fn build(topdir: &Path, specs: &[(String, String)]) -> Vec<PathBuf> {
    require_rpm_tools();
    std::fs::create_dir_all(topdir.join("SPECS")).unwrap();
    for (name, text) in specs {
        let spec = topdir.join("SPECS").join(format!("{name}.spec"));
        std::fs::write(&spec, text).unwrap();
        run(Command::new("rpmbuild")
            .arg("-bb")
            .arg("--define")
            .arg(format!("_topdir {}", topdir.display()))
            .args(["--define", "debug_package %{nil}"])
            .arg(&spec));
    }
    let mut rpms = Vec::new();
    for arch in std::fs::read_dir(topdir.join("RPMS")).unwrap() {
        for rpm in std::fs::read_dir(arch.unwrap().path()).unwrap() {
            rpms.push(rpm.unwrap().path());
        }
    }
    rpms.sort();
    rpms
}

/// Install `rpms` into `root` with the database in `root/var/lib/rpm/rpmdb.sqlite`.
pub fn install(root: &Path, rpms: &[PathBuf]) {
    std::fs::create_dir_all(root).unwrap();
    run(Command::new("rpm")
        .arg("--root")
        .arg(root)
        .args(["--dbpath", "/var/lib/rpm", "--define", "_db_backend sqlite"])
        .args([
            "-i",
            "--nodeps",
            "--noscripts",
            "--notriggers",
            "--ignorearch",
            "--ignoreos",
        ])
        .args(rpms));
    assert!(root.join("var/lib/rpm/rpmdb.sqlite").is_file());
}

/// One package as `rpm -qa` prints it: NAME, EPOCHNUM, EPOCH ("(none)" when
/// unset), VERSION, RELEASE, ARCH, SOURCERPM, INSTALLTIME.
pub type QaRow = (String, u32, String, String, String, String, String, String);

/// `rpm --root ROOT --dbpath /var/lib/rpm -qa --queryformat ...`, as a set.
pub fn rpm_qa(root: &Path) -> BTreeSet<QaRow> {
    let out = run(Command::new("rpm")
        .arg("--root")
        .arg(root)
        .args(["--dbpath", "/var/lib/rpm", "-qa", "--queryformat"])
        .arg(
            "%{NAME}|%{EPOCHNUM}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SOURCERPM}|\
             %{INSTALLTIME}\n",
        ));
    out.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            assert_eq!(f.len(), 8, "{l}");
            (
                f[0].into(),
                f[1].parse().unwrap(),
                f[2].into(),
                f[3].into(),
                f[4].into(),
                f[5].into(),
                f[6].into(),
                f[7].into(),
            )
        })
        .collect()
}

/// A spec file; `extra` goes after the main package's %description.
pub fn spec(name: &str, header: &str, description: &str, extra: &str) -> (String, String) {
    let text = format!(
        "Name: {name}\nSummary: selfcheck test package {name}\nLicense: MIT\n{header}\n\
         %description\n{description}\n\n{extra}\n"
    );
    (name.to_string(), text)
}

/// The small host: a machine-arch package with a file and a renamed
/// subpackage, one with an epoch, a noarch one with an explicit epoch 0, and
/// one whose header overflows into a chain of many pages.
pub fn small_specs() -> Vec<(String, String)> {
    let big = "A long description that makes the header overflow. ".repeat(600);
    vec![
        spec(
            "sc-hello",
            "Version: 1.2.3\nRelease: 4.sc1",
            "hello",
            "%package -n sc-hello-libs\nSummary: libs of sc-hello\n\
             %description -n sc-hello-libs\nlibs\n\
             %install\nmkdir -p %{buildroot}/usr/share/sc-hello\n\
             echo hi > %{buildroot}/usr/share/sc-hello/hello.txt\n\
             %files\n/usr/share/sc-hello/hello.txt\n%files -n sc-hello-libs\n",
        ),
        spec(
            "sc-lib",
            "Epoch: 2\nVersion: 0.9.1\nRelease: 1.el9\nBuildArch: noarch",
            "lib",
            "%files\n",
        ),
        spec(
            "sc-noarch-tool",
            "Epoch: 0\nVersion: 2024.01~rc1\nRelease: 3\nBuildArch: noarch",
            "tool",
            "%files\n",
        ),
        spec(
            "sc-big",
            "Version: 5\nRelease: 0.1\nBuildArch: noarch",
            &big,
            "%files\n",
        ),
    ]
}

/// One spec with `n` noarch subpackages whose descriptions grow from nothing
/// to tens of kilobytes, so their headers range from one cell to long chains.
pub fn many_specs(n: usize) -> Vec<(String, String)> {
    let mut extra = String::new();
    for i in 0..n {
        let words = (i * 37) % 4000;
        let desc = format!("word{i} ").repeat(words.max(1));
        extra.push_str(&format!(
            "%package -n sc-many-{i:03}\nSummary: part {i}\n\
             %description -n sc-many-{i:03}\n{desc}\n\n"
        ));
    }
    extra.push_str("%files\n");
    for i in 0..n {
        extra.push_str(&format!("%files -n sc-many-{i:03}\n"));
    }
    vec![spec(
        "sc-many",
        "Epoch: 7\nVersion: 3.0\nRelease: 1\nBuildArch: noarch",
        "many",
        &extra,
    )]
}

/// Build `specs` and install them into `dir/root`; the root.
pub fn host(dir: &Path, specs: &[(String, String)]) -> PathBuf {
    let rpms = build(&dir.join("build"), specs);
    let root = dir.join("root");
    install(&root, &rpms);
    root
}
