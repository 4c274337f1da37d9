//! `fim verify-packages` and the package file database, with the package
//! managers themselves as oracles: a dpkg fixture built here and checked by
//! `dpkg --verify`, this machine checked by `dpkg --verify`, and an rpm
//! fixture installed with the real rpm tools and checked by `rpm -Va`.

#[path = "../../pkgdb/tests/support/rpm_fixture.rs"]
mod rpm_fixture;

use selfcheck_agent::areas::fim::verify::{Problem, VerifyResult, verify_packages};
use selfcheck_agent::cli::fim_verify;
use selfcheck_agent::cli::{CommonArgs, HashThreads, OutputFormat, VerifyArgs};
use selfcheck_agent::present::fim::render;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::files::{PackageFiles, PkgDigestAlg, file_digests};
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

/// The common options with `--root DIR`, parsed as the command line would.
fn common_args(dir: &Path) -> CommonArgs {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        common: CommonArgs,
    }
    let dir = dir.to_path_buf();
    <Cli as clap::Parser>::try_parse_from([OsStr::new("t"), OsStr::new("--root"), dir.as_os_str()])
        .unwrap()
        .common
}

/// (path, "missing" | "5") as the oracles print them.
type Flagged = BTreeSet<(Vec<u8>, &'static str)>;

fn md5_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    std::fs::write(&p, bytes).unwrap();
    hex::encode(file_digests(&p, PkgDigestAlg::Md5).unwrap().0)
}

fn write(root: &Path, host: &[u8], bytes: &[u8]) {
    let p = root.join(OsStr::from_bytes(&host[1..]));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// The problems of a result as the oracles flag them (no FIFO, no unreadable file).
fn as_flagged(r: &VerifyResult) -> Flagged {
    r.problems
        .iter()
        .map(|p| {
            let kind = match p.problem {
                Problem::Missing => "missing",
                Problem::Mismatch => "5",
                ref other => panic!("{:?}: unexpected {other:?}", p.path),
            };
            (p.path.clone(), kind)
        })
        .collect()
}

/// Lines of `dpkg --verify` / `rpm -Va`: `missing   c /path` or `??5?????? c /path`.
/// Only the digest (`5`) and `missing` results are kept.
fn parse_verify_output(out: &[u8]) -> Flagged {
    let mut set = Flagged::new();
    for line in out.split(|&c| c == b'\n').filter(|l| l.len() > 12) {
        let kind = if line.starts_with(b"missing") {
            "missing"
        } else if line[2] == b'5' {
            "5"
        } else {
            continue;
        };
        // Nine result characters (rpm: possibly more), spaces, attribute, space, path.
        let at = line.iter().position(|&c| c == b'/').unwrap();
        set.insert((line[at..].to_vec(), kind));
    }
    set
}

const TOOL_FILES: &[(&[u8], &[u8])] = &[
    (b"/bin/tool", b"#!/bin/sh\necho tool\n"),
    (b"/usr/bin/changed", b"original\n"),
    (b"/usr/bin/gone", b"soon gone\n"),
    (b"/usr/bin/fifo", b"will be a fifo\n"),
    (b"/usr/bin/secret", b"will be unreadable\n"),
    (b"/usr/bin/divme", b"tool's divme\n"),
    (b"/usr/share/tool/caf\xe9", b"latin-1 name\n"),
];

/// A dpkg host: `tool` (merged-/usr path, a conffile, a non-UTF-8 name, a file
/// diverted by `diverter`, a listed file without md5sums line), Multi-Arch
/// `libx:amd64`, and `removed` in config-files state.
fn dpkg_fixture() -> (tempfile::TempDir, HostRoot) {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("usr/bin")).unwrap();
    std::os::unix::fs::symlink("usr/bin", r.join("bin")).unwrap();
    let info = r.join("var/lib/dpkg/info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::create_dir_all(r.join("var/lib/dpkg/updates")).unwrap();
    std::fs::write(info.join("format"), "1\n").unwrap();

    let mut sums = Vec::new();
    let mut list: Vec<u8> =
        b"/.\n/bin\n/usr\n/usr/bin\n/usr/share\n/usr/share/tool\n/etc\n/etc/tool.conf\n".to_vec();
    for (path, content) in TOOL_FILES {
        // The diverted file lives at /usr/bin/divme.orig.
        let at: &[u8] = if *path == b"/usr/bin/divme" {
            b"/usr/bin/divme.orig"
        } else {
            path
        };
        write(r, at, content);
        sums.extend_from_slice(format!("{}  ", md5_hex(content)).as_bytes());
        sums.extend_from_slice(&path[1..]);
        sums.push(b'\n');
        list.extend_from_slice(path);
        list.push(b'\n');
    }
    write(r, b"/usr/share/tool/nodigest", b"listed, no md5sums line\n");
    list.extend_from_slice(b"/usr/share/tool/nodigest\n");
    std::fs::write(info.join("tool.md5sums"), &sums).unwrap();
    std::fs::write(info.join("tool.list"), &list).unwrap();
    write(r, b"/etc/tool.conf", b"setting=1\n");

    write(r, b"/usr/bin/divme", b"diverter's divme\n");
    std::fs::write(
        info.join("diverter.md5sums"),
        format!("{}  usr/bin/divme\n", md5_hex(b"diverter's divme\n")),
    )
    .unwrap();
    std::fs::write(
        info.join("diverter.list"),
        "/usr\n/usr/bin\n/usr/bin/divme\n",
    )
    .unwrap();
    std::fs::write(
        r.join("var/lib/dpkg/diversions"),
        "/usr/bin/divme\n/usr/bin/divme.orig\ndiverter\n",
    )
    .unwrap();

    write(r, b"/usr/lib/libx.so.1", b"\x7fELF libx\n");
    std::fs::write(
        info.join("libx:amd64.md5sums"),
        format!("{}  usr/lib/libx.so.1\n", md5_hex(b"\x7fELF libx\n")),
    )
    .unwrap();
    std::fs::write(
        info.join("libx:amd64.list"),
        "/usr\n/usr/lib\n/usr/lib/libx.so.1\n",
    )
    .unwrap();

    let status = format!(
        "Package: tool\nStatus: install ok installed\nPriority: optional\nSection: misc\n\
         Maintainer: T <t@example.org>\nArchitecture: amd64\nVersion: 1.0\n\
         Conffiles:\n /etc/tool.conf {}\n /etc/tool-old.conf 0123456789abcdef0123456789abcdef obsolete\n\
         Description: tool\n\n\
         Package: diverter\nStatus: install ok installed\nMaintainer: T <t@example.org>\n\
         Architecture: all\nVersion: 1.0\nDescription: diverter\n\n\
         Package: libx\nStatus: install ok installed\nMaintainer: T <t@example.org>\n\
         Architecture: amd64\nMulti-Arch: same\nVersion: 2.0\nDescription: libx\n\n\
         Package: removed\nStatus: deinstall ok config-files\nMaintainer: T <t@example.org>\n\
         Architecture: amd64\nVersion: 0.1\n\
         Conffiles:\n /etc/removed.conf 0123456789abcdef0123456789abcdef\nDescription: removed\n",
        md5_hex(b"setting=1\n")
    );
    std::fs::write(r.join("var/lib/dpkg/status"), status).unwrap();
    let root = HostRoot::at(r).unwrap();
    (dir, root)
}

/// `dpkg --root ROOT --verify`, parsed.
fn dpkg_verify(root: &Path) -> Flagged {
    let out = Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .arg("--verify")
        .env("LC_ALL", "C")
        .output()
        .expect("dpkg is installed on this Debian machine");
    assert!(
        out.status.success(),
        "dpkg --verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_verify_output(&out.stdout)
}

fn set(items: &[(&[u8], &'static str)]) -> Flagged {
    items.iter().map(|(p, k)| (p.to_vec(), *k)).collect()
}

#[test]
fn dpkg_database_knows_owners_digests_conffiles_diversions_and_merged_usr() {
    let (_dir, root) = dpkg_fixture();
    let files = PackageFiles::load(&root).unwrap().unwrap();
    assert_eq!(files.manager(), "dpkg");
    assert!(files.warnings().is_empty(), "{:?}", files.warnings());
    // Recorded as /bin/tool, found by the scanned name too.
    let tool = files.owner(b"/usr/bin/tool").unwrap();
    assert_eq!(tool.package, "tool");
    assert_eq!(
        tool.digest.map(|(a, d)| (a, hex::encode(d))),
        Some((PkgDigestAlg::Md5, md5_hex(b"#!/bin/sh\necho tool\n")))
    );
    assert!(files.owner(b"/bin/tool").is_some());
    let conf = files.owner(b"/etc/tool.conf").unwrap();
    assert!(conf.config && conf.digest.is_some());
    assert!(
        files.owner(b"/etc/tool-old.conf").is_none(),
        "obsolete conffile"
    );
    assert!(
        files.owner(b"/etc/removed.conf").is_none(),
        "config-files package"
    );
    // The diverted file's digest applies where it now lives.
    let diverted = files.owner(b"/usr/bin/divme.orig").unwrap();
    assert_eq!(diverted.package, "tool");
    assert_eq!(
        hex::encode(diverted.digest.unwrap().1),
        md5_hex(b"tool's divme\n")
    );
    assert_eq!(files.owner(b"/usr/bin/divme").unwrap().package, "diverter");
    assert_eq!(
        files.owner(b"/usr/lib/libx.so.1").unwrap().package,
        "libx:amd64"
    );
    assert!(files.owner(b"/usr/share/tool/caf\xe9").is_some());
    let nodigest = files.owner(b"/usr/share/tool/nodigest").unwrap();
    assert!(nodigest.digest.is_none() && !nodigest.config);
    assert!(files.owner(b"/usr/share").unwrap().digest.is_none());
    assert_eq!(files.len(), files.iter().count());
}

#[test]
fn dpkg_fixture_problems_equal_dpkg_verify_and_fifos_never_block() {
    let (_dir, root) = dpkg_fixture();
    let r = root.dir().to_path_buf();
    let files = PackageFiles::load(&root).unwrap().unwrap();
    let clean = verify_packages(&root, &files, 3);
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert_eq!(clean.files_checked, 10);
    assert!(dpkg_verify(&r).is_empty());

    write(&r, b"/usr/bin/changed", b"tampered\n");
    std::fs::remove_file(r.join("usr/bin/gone")).unwrap();
    std::fs::remove_file(r.join("usr/share/tool/nodigest")).unwrap();
    write(&r, b"/etc/tool.conf", b"setting=2\n");
    write(&r, b"/usr/share/tool/caf\xe9", b"changed too\n");
    let expected = set(&[
        (b"/etc/tool.conf", "5"),
        (b"/usr/bin/changed", "5"),
        (b"/usr/bin/gone", "missing"),
        (b"/usr/share/tool/caf\xe9", "5"),
        (b"/usr/share/tool/nodigest", "missing"),
    ]);
    let result = verify_packages(&root, &files, 2);
    assert_eq!(as_flagged(&result), expected);
    assert_eq!(dpkg_verify(&r), expected, "dpkg --verify disagrees");
    let conf = result
        .problems
        .iter()
        .find(|p| p.path == b"/etc/tool.conf")
        .unwrap();
    assert!(conf.config);
    assert_eq!(conf.package, "tool");

    // dpkg --verify checks only that a diverted file exists; the package's digest is checked too.
    write(&r, b"/usr/bin/divme.orig", b"swapped\n");
    let result = verify_packages(&root, &files, 2);
    assert!(
        result
            .problems
            .iter()
            .any(|p| p.path == b"/usr/bin/divme.orig" && p.problem == Problem::Mismatch)
    );
    write(&r, b"/usr/bin/divme.orig", b"tool's divme\n");

    // A FIFO where a file was: reported, never opened (dpkg itself would block here).
    std::fs::remove_file(r.join("usr/bin/fifo")).unwrap();
    let st = Command::new("mkfifo")
        .arg(r.join("usr/bin/fifo"))
        .status()
        .unwrap();
    assert!(st.success());
    let mut expected: Vec<(Vec<u8>, Problem)> = vec![
        (b"/etc/tool.conf".to_vec(), Problem::Mismatch),
        (b"/usr/bin/changed".to_vec(), Problem::Mismatch),
        (
            b"/usr/bin/fifo".to_vec(),
            Problem::NotRegular("fifo".into()),
        ),
        (b"/usr/bin/gone".to_vec(), Problem::Missing),
        (b"/usr/share/tool/caf\xe9".to_vec(), Problem::Mismatch),
        (b"/usr/share/tool/nodigest".to_vec(), Problem::Missing),
    ];
    let is_root = nix::unistd::geteuid().is_root();
    if !is_root {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            r.join("usr/bin/secret"),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
        expected.push((
            b"/usr/bin/secret".to_vec(),
            Problem::Unreadable { errno: 13 },
        ));
        expected.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let result = verify_packages(&root, &files, 0);
    let got: Vec<(Vec<u8>, Problem)> = result
        .problems
        .iter()
        .map(|p| (p.path.clone(), p.problem.clone()))
        .collect();
    assert_eq!(got, expected);

    // The command: dpkg's line format, config files only with --include-config.
    let mut out = Vec::new();
    let shown = render(&result, &files, false, OutputFormat::Table, &mut out).unwrap();
    assert_eq!(shown, expected.len() - 1);
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("??5??????   /usr/bin/changed  [tool]"),
        "{text}"
    );
    assert!(text.contains("missing     /usr/bin/gone  [tool]"), "{text}");
    assert!(
        text.contains("?M???????   /usr/bin/fifo (now a fifo)  [tool]"),
        "{text}"
    );
    assert!(!text.contains("/etc/tool.conf"), "{text}");
    assert!(text.contains("1 more in configuration files"), "{text}");
    let mut out = Vec::new();
    render(&result, &files, true, OutputFormat::Table, &mut out).unwrap();
    assert!(String::from_utf8_lossy(&out).contains("??5?????? c /etc/tool.conf  [tool]"));
    let mut out = Vec::new();
    render(&result, &files, true, OutputFormat::Json, &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["problems"].as_array().unwrap().len(), expected.len());
    assert_eq!(
        v["problems"][4]["path_hex"],
        hex::encode(b"/usr/share/tool/caf\xe9")
    );

    let mut common = common_args(&r);
    common.format = OutputFormat::Json;
    let args = VerifyArgs {
        hashing: HashThreads { threads: 1 },
        include_config: false,
    };
    let code = fim_verify::run(&common, args).unwrap();
    assert_eq!(code, std::process::ExitCode::from(1));
}

#[test]
fn malformed_or_unreadable_md5sums_is_a_warning_and_the_rest_loads() {
    let (_dir, root) = dpkg_fixture();
    let info = root.dir().join("var/lib/dpkg/info");
    let mut sums = std::fs::read(info.join("tool.md5sums")).unwrap();
    sums.extend_from_slice(b"not-a-digest  usr/bin/bogus\n");
    std::fs::write(info.join("tool.md5sums"), sums).unwrap();
    // A directory where a file should be cannot be read, not even by root.
    std::fs::remove_file(info.join("diverter.md5sums")).unwrap();
    std::fs::create_dir(info.join("diverter.md5sums")).unwrap();
    let files = PackageFiles::load(&root).unwrap().unwrap();
    let w = files.warnings().join("\n");
    assert!(w.contains("/var/lib/dpkg/info/tool.md5sums line 8"), "{w}");
    assert!(
        w.contains("cannot read /var/lib/dpkg/info/diverter.md5sums"),
        "{w}"
    );
    assert!(files.owner(b"/usr/bin/changed").unwrap().digest.is_some());
    assert!(files.owner(b"/usr/bin/bogus").is_none());
    // The .list still says who owns it.
    let divme = files.owner(b"/usr/bin/divme").unwrap();
    assert_eq!((divme.package, divme.digest), ("diverter", None));
}

#[test]
fn no_package_database_is_none_and_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = HostRoot::at(dir.path()).unwrap();
    assert!(PackageFiles::load(&root).unwrap().is_none());
    let common = common_args(dir.path());
    let args = VerifyArgs {
        hashing: HashThreads { threads: 1 },
        include_config: false,
    };
    let e = fim_verify::run(&common, args).unwrap_err().to_string();
    assert!(e.contains("no package database"), "{e}");
}

#[test]
fn this_machine_equals_dpkg_verify() {
    if !Path::new("/var/lib/dpkg/status").exists() {
        return; // not a dpkg host
    }
    let root = HostRoot::live();
    let started = std::time::Instant::now();
    let files = PackageFiles::load(&root).unwrap().unwrap();
    let ours = verify_packages(&root, &files, 0);
    let ours_secs = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let out = Command::new("dpkg")
        .arg("--verify")
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let dpkg_secs = started.elapsed().as_secs_f64();
    let theirs = parse_verify_output(&out.stdout);
    let mine: Flagged = ours
        .problems
        .iter()
        .filter_map(|p| match p.problem {
            Problem::Missing => Some((p.path.clone(), "missing")),
            Problem::Mismatch => Some((p.path.clone(), "5")),
            _ => None,
        })
        .collect();
    eprintln!(
        "this machine: {} owned paths, {} files hashed ({} bytes) in {ours_secs:.1} s, {} flagged; \
         dpkg --verify {} flagged in {dpkg_secs:.1} s; warnings: {:?}",
        files.len(),
        ours.files_checked,
        ours.bytes,
        mine.len(),
        theirs.len(),
        files.warnings()
    );
    let only_ours: Vec<_> = mine.difference(&theirs).take(20).collect();
    let only_dpkg: Vec<_> = theirs.difference(&mine).take(20).collect();
    assert!(
        only_ours.is_empty() && only_dpkg.is_empty(),
        "only ours: {only_ours:?}\nonly dpkg: {only_dpkg:?}"
    );
}

/// Two tiny rpms: files, a %config file, a symlink, a directory, a %ghost.
fn rpm_specs() -> Vec<(String, String)> {
    vec![
        rpm_fixture::spec(
            "sc-verify-a",
            "Version: 1.0\nRelease: 1\nBuildArch: noarch",
            "a",
            "%install\nmkdir -p %{buildroot}/usr/share/sc-verify %{buildroot}/etc\n\
             echo a > %{buildroot}/usr/share/sc-verify/a.txt\n\
             echo b > %{buildroot}/usr/share/sc-verify/b.txt\n\
             echo c > %{buildroot}/usr/share/sc-verify/c.txt\n\
             echo conf > %{buildroot}/etc/sc-verify.conf\n\
             ln -s a.txt %{buildroot}/usr/share/sc-verify/link\n\
             %files\n%dir /usr/share/sc-verify\n/usr/share/sc-verify/a.txt\n\
             /usr/share/sc-verify/b.txt\n/usr/share/sc-verify/c.txt\n\
             /usr/share/sc-verify/link\n%config /etc/sc-verify.conf\n\
             %ghost /usr/share/sc-verify/ghost.log\n",
        ),
        rpm_fixture::spec(
            "sc-verify-b",
            "Version: 2.0\nRelease: 3\nBuildArch: noarch",
            "b",
            "%install\nmkdir -p %{buildroot}/usr/bin\n\
             printf '#!/bin/sh\\necho b\\n' > %{buildroot}/usr/bin/sc-b\n\
             %files\n%attr(0755,root,root) /usr/bin/sc-b\n",
        ),
    ]
}

/// `rpm -Va --root ROOT`, the digest and missing results.
fn rpm_va(root: &Path) -> Flagged {
    let out = Command::new("rpm")
        .arg("--root")
        .arg(root)
        .args(["--dbpath", "/var/lib/rpm", "-Va"])
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    parse_verify_output(&out.stdout)
}

fn check_rpm_root(root_dir: &Path) {
    let root = HostRoot::at(root_dir).unwrap();
    let files = PackageFiles::load(&root).unwrap().unwrap();
    assert_eq!(files.manager(), "rpm");
    assert!(files.warnings().is_empty(), "{:?}", files.warnings());
    let a = files.owner(b"/usr/share/sc-verify/a.txt").unwrap();
    assert_eq!(a.package, "sc-verify-a-1.0-1.noarch");
    assert_eq!(a.digest.unwrap().0, PkgDigestAlg::Sha256);
    assert!(files.owner(b"/etc/sc-verify.conf").unwrap().config);
    assert!(
        files
            .owner(b"/usr/share/sc-verify/link")
            .unwrap()
            .digest
            .is_none()
    );
    let ghost = files.owner(b"/usr/share/sc-verify/ghost.log").unwrap();
    assert!(ghost.optional && ghost.digest.is_none());
    assert_eq!(
        files.owner(b"/usr/bin/sc-b").unwrap().package,
        "sc-verify-b-2.0-3.noarch"
    );
    let clean = verify_packages(&root, &files, 2);
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert_eq!(clean.files_checked, 5);
    assert!(rpm_va(root_dir).is_empty());
}

#[test]
fn rpm_fixture_problems_equal_rpm_va() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = rpm_fixture::host(dir.path(), &rpm_specs());
    check_rpm_root(&root_dir);
    let root = HostRoot::at(&root_dir).unwrap();
    let files = PackageFiles::load(&root).unwrap().unwrap();
    std::fs::write(root_dir.join("usr/share/sc-verify/a.txt"), "tampered\n").unwrap();
    std::fs::remove_file(root_dir.join("usr/share/sc-verify/b.txt")).unwrap();
    std::fs::remove_file(root_dir.join("usr/share/sc-verify/link")).unwrap();
    std::fs::write(root_dir.join("etc/sc-verify.conf"), "edited\n").unwrap();
    let expected = set(&[
        (b"/etc/sc-verify.conf", "5"),
        (b"/usr/share/sc-verify/a.txt", "5"),
        (b"/usr/share/sc-verify/b.txt", "missing"),
        (b"/usr/share/sc-verify/link", "missing"),
    ]);
    let result = verify_packages(&root, &files, 0);
    assert_eq!(as_flagged(&result), expected);
    assert_eq!(rpm_va(&root_dir), expected, "rpm -Va disagrees");
}

/// rpm here reads only SQLite (no ndb, Berkeley DB read-only), so the path
/// older databases take, the rpm binary on a copy, is run on the SQLite
/// fixture and must give what the direct read gives.
#[test]
fn rpm_binary_path_equals_the_direct_sqlite_read() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = rpm_fixture::host(dir.path(), &rpm_specs());
    let direct = PackageFiles::load(&HostRoot::at(&root_dir).unwrap())
        .unwrap()
        .unwrap();
    let rpm = selfcheck_pkgdb::rpm::rpmdb::find_rpm_binary().unwrap();
    let via =
        selfcheck_pkgdb::files::rpm::query_on_copy(&rpm, &root_dir.join("var/lib/rpm")).unwrap();
    assert!(
        via.source().contains("rpm -qa on a copy"),
        "{}",
        via.source()
    );
    assert!(via.warnings().is_empty(), "{:?}", via.warnings());
    let rows = |f: &PackageFiles| -> Vec<String> {
        f.iter()
            .map(|(p, o)| {
                format!(
                    "{} {} {:?} {} {}",
                    String::from_utf8_lossy(p),
                    o.package,
                    o.digest.map(|(a, d)| (a, hex::encode(d))),
                    o.config,
                    o.optional
                )
            })
            .collect()
    };
    assert_eq!(rows(&direct), rows(&via));
    assert!(direct.len() >= 8, "{:?}", rows(&direct));
}
