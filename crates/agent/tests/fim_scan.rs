//! The FIM scan engine on fixture trees below a temporary `--root`.

use selfcheck_agent::areas::fim::{
    Attrs, DigestAlg, Entries, Entry, Kind, Pattern, Rule, ScanOptions, Scope, scan,
};
use selfcheck_catalog::{Catalog, CatalogSource};
use selfcheck_hostfs::root::HostRoot;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn rule(path: &str, attrs: Attrs) -> Rule {
    Rule {
        path: path.as_bytes().to_vec(),
        attrs,
        recurse: true,
        cross_fs: false,
    }
}

fn scope_of(rules: Vec<Rule>, exclude: &[&str]) -> Scope {
    Scope::default().with_host_changes(rules, exclude.iter().map(|p| Pattern::new(*p).unwrap()))
}

fn fixture() -> (tempfile::TempDir, HostRoot) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    let root = HostRoot::at(dir.path()).unwrap();
    (dir, root)
}

fn write(root: &HostRoot, host: &str, content: &[u8]) {
    let p = root.join(host);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn etc_full() -> Scope {
    scope_of(vec![rule("/etc", Attrs::FULL)], &[])
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn sha256_digest_equals_sha256sum() {
    let (_d, root) = fixture();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    write(&root, "/etc/big.bin", &big);
    write(&root, "/etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n");
    let r = scan(&root, &etc_full(), &ScanOptions::default());
    for name in ["/etc/big.bin", "/etc/passwd"] {
        let out = std::process::Command::new("sha256sum")
            .arg(root.join(name))
            .output()
            .expect("sha256sum runs");
        let expected = String::from_utf8(out.stdout).unwrap();
        let expected = expected.split_whitespace().next().unwrap();
        let e = r.entries.find(name.as_bytes()).expect("entry recorded");
        let (alg, d) = e.digest().expect("hashed");
        assert_eq!(alg, DigestAlg::Sha256);
        assert_eq!(hex(d), expected, "{name}");
    }
    assert_eq!(r.stats.bytes_hashed, big.len() as u64 + 32);
    assert_eq!(r.stats.files, 2);
    assert_eq!(r.stats.dirs, 1);
    assert_eq!(r.stats.errors, 0);
}

#[test]
fn sm3_digest_matches_the_standard_test_vector() {
    let (_d, root) = fixture();
    write(&root, "/etc/abc", b"abc");
    write(&root, "/usr/bin/abc", b"abc");
    let mut sm3_rule = rule("/usr/bin", Attrs::TYPE);
    sm3_rule.attrs = sm3_rule.attrs.union(Attrs::SM3);
    let scope = scope_of(vec![rule("/etc", Attrs::FULL), sm3_rule], &[]);
    let sm3_abc = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
    // A rule naming sm3 uses it whatever the default.
    let r = scan(&root, &scope, &ScanOptions::default());
    let (alg, d) = r.entries.find(b"/usr/bin/abc").unwrap().digest().unwrap();
    assert_eq!((alg, hex(d).as_str()), (DigestAlg::Sm3, sm3_abc));
    // Named sets use the scan's default digest.
    let opts = ScanOptions {
        digest: DigestAlg::Sm3,
        threads: 1,
        ..ScanOptions::default()
    };
    let r = scan(&root, &scope, &opts);
    let (alg, d) = r.entries.find(b"/etc/abc").unwrap().digest().unwrap();
    assert_eq!((alg, hex(d).as_str()), (DigestAlg::Sm3, sm3_abc));
}

#[test]
fn fifo_and_socket_are_recorded_by_type_and_never_opened() {
    let (_d, root) = fixture();
    nix::unistd::mkfifo(
        &root.join("/etc/initctl"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let _sock = std::os::unix::net::UnixListener::bind(root.join("/etc/sock")).unwrap();
    write(&root, "/etc/hosts", b"127.0.0.1 localhost\n");
    let (tx, rx) = std::sync::mpsc::channel();
    let root2 = root.clone();
    std::thread::spawn(move || {
        let r = scan(&root2, &etc_full(), &ScanOptions::default());
        let _ = tx.send(r);
    });
    let r = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the scan finished: a FIFO must never block it");
    assert_eq!(r.entries.find(b"/etc/initctl").unwrap().kind(), Kind::Fifo);
    assert!(r.entries.find(b"/etc/initctl").unwrap().digest().is_none());
    assert_eq!(r.entries.find(b"/etc/sock").unwrap().kind(), Kind::Socket);
    assert!(r.entries.find(b"/etc/hosts").unwrap().digest().is_some());
}

#[test]
fn symlinks_are_recorded_with_their_target_and_never_followed() {
    let (_d, root) = fixture();
    write(&root, "/outside/secret", b"not in scope");
    std::os::unix::fs::symlink("/outside", root.join("/etc/to-dir")).unwrap();
    std::os::unix::fs::symlink("/outside/secret", root.join("/etc/to-file")).unwrap();
    std::os::unix::fs::symlink("loop", root.join("/etc/loop")).unwrap();
    std::os::unix::fs::symlink("b", root.join("/etc/a")).unwrap();
    std::os::unix::fs::symlink("a", root.join("/etc/b")).unwrap();
    let r = scan(&root, &etc_full(), &ScanOptions::default());
    let to_dir = r.entries.find(b"/etc/to-dir").unwrap();
    assert_eq!(to_dir.kind(), Kind::Symlink);
    assert_eq!(to_dir.target(), Some(&b"/outside"[..]));
    assert!(r.entries.find(b"/etc/to-dir/secret").is_none());
    let to_file = r.entries.find(b"/etc/to-file").unwrap();
    assert_eq!(to_file.target(), Some(&b"/outside/secret"[..]));
    assert!(to_file.digest().is_none(), "a link's target is not hashed");
    assert_eq!(
        r.entries.find(b"/etc/loop").unwrap().target(),
        Some(&b"loop"[..])
    );
    assert_eq!(r.entries.find(b"/etc/a").unwrap().kind(), Kind::Symlink);
    assert_eq!(
        r.entries
            .iter()
            .filter(|e| e.path().starts_with(b"/outside"))
            .count(),
        0
    );
    assert_eq!(r.stats.errors, 0);
}

#[test]
fn a_non_utf8_file_name_round_trips_losslessly() {
    let (_d, root) = fixture();
    let name: &[u8] = b"/etc/caf\xe9-\xff\xfe.conf";
    std::fs::write(root.join(OsStr::from_bytes(name)), b"x").unwrap();
    std::os::unix::fs::symlink(OsStr::from_bytes(b"\xff\x01target"), root.join("/etc/lnk"))
        .unwrap();
    let r = scan(&root, &etc_full(), &ScanOptions::default());
    let e = r
        .entries
        .find(name)
        .expect("the name is kept byte for byte");
    assert_eq!(e.path(), name);
    assert_eq!(e.kind(), Kind::File);
    assert!(e.digest().is_some());
    assert_eq!(
        r.entries.find(b"/etc/lnk").unwrap().target(),
        Some(&b"\xff\x01target"[..])
    );
}

#[test]
fn unreadable_file_is_recorded_as_permission_denied() {
    let (_d, root) = fixture();
    write(&root, "/etc/shadow", b"root:*:19000:0:99999:7:::\n");
    std::fs::set_permissions(
        root.join("/etc/shadow"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let r = scan(&root, &etc_full(), &ScanOptions::default());
    let e = r.entries.find(b"/etc/shadow").unwrap();
    assert_eq!(e.mode & 0o7777, 0o000, "lstat attributes are kept");
    if nix::unistd::geteuid().is_root() {
        // root (CAP_DAC_OVERRIDE) reads a mode-000 file, so nothing is denied.
        eprintln!(
            "running as root: mode 000 does not deny reads; permission-denied assertion skipped"
        );
        assert_eq!(e.kind(), Kind::File);
    } else {
        assert_eq!(e.kind(), Kind::Unreadable { errno: 13 });
        assert!(e.digest().is_none());
        assert_eq!(r.stats.errors, 1);
    }
}

#[test]
fn setuid_and_setgid_bits_are_flagged() {
    let (_d, root) = fixture();
    write(&root, "/usr/bin/passwd", b"\x7fELF suid");
    write(&root, "/usr/bin/wall", b"\x7fELF sgid");
    write(&root, "/usr/bin/ls", b"\x7fELF plain");
    let set = |p: &str, m| {
        std::fs::set_permissions(root.join(p), std::fs::Permissions::from_mode(m)).unwrap()
    };
    set("/usr/bin/passwd", 0o4755);
    set("/usr/bin/wall", 0o2755);
    set("/usr/bin/ls", 0o755);
    let scope = scope_of(vec![rule("/usr/bin", Attrs::CONTENT_PERMS)], &[]);
    let r = scan(&root, &scope, &ScanOptions::default());
    let passwd = r.entries.find(b"/usr/bin/passwd").unwrap();
    assert!(passwd.is_setuid() && !passwd.is_setgid());
    assert_eq!(passwd.mode & 0o7777, 0o4755);
    let wall = r.entries.find(b"/usr/bin/wall").unwrap();
    assert!(wall.is_setgid() && !wall.is_setuid());
    let ls = r.entries.find(b"/usr/bin/ls").unwrap();
    assert!(!ls.is_setuid() && !ls.is_setgid());
    assert_eq!(passwd.attrs, Attrs::CONTENT_PERMS);
}

#[test]
fn excluded_paths_and_directories_are_left_out() {
    let (_d, root) = fixture();
    write(&root, "/etc/mtab", b"proc /proc proc rw 0 0\n");
    write(&root, "/etc/adjtime", b"0.0 0 0.0\n");
    write(&root, "/etc/fonts/fonts.cache", b"cache");
    write(&root, "/etc/logs/a.log", b"log");
    write(&root, "/etc/logs/deep/b.log", b"log");
    write(&root, "/etc/fstab", b"/dev/sda1 / ext4 defaults 0 1\n");
    let scope = scope_of(
        vec![rule("/etc", Attrs::FULL)],
        &["/etc/mtab", "/etc/adjtime", "**/*.cache", "/etc/logs"],
    );
    let r = scan(&root, &scope, &ScanOptions::default());
    let paths: Vec<&[u8]> = r.entries.iter().map(|e| e.path()).collect();
    assert_eq!(
        paths,
        vec![&b"/etc"[..], b"/etc/fonts", b"/etc/fstab"],
        "{:?}",
        paths
            .iter()
            .map(|p| String::from_utf8_lossy(p))
            .collect::<Vec<_>>()
    );
}

#[test]
fn hard_link_count_and_inode_are_recorded() {
    let (_d, root) = fixture();
    write(&root, "/etc/a", b"same");
    std::fs::hard_link(root.join("/etc/a"), root.join("/etc/b")).unwrap();
    std::fs::hard_link(root.join("/etc/a"), root.join("/etc/c")).unwrap();
    let r = scan(&root, &etc_full(), &ScanOptions::default());
    let a = r.entries.find(b"/etc/a").unwrap();
    let b = r.entries.find(b"/etc/b").unwrap();
    assert_eq!(a.nlink, 3);
    assert_eq!(a.ino, b.ino);
    assert_eq!(a.size, 4);
    assert!(a.mtime_sec > 0);
}

#[test]
fn a_file_deleted_before_hashing_is_recorded_as_vanished() {
    let (_d, root) = fixture();
    write(&root, "/etc/gone", b"here at listing time");
    write(&root, "/etc/stays", b"still here");
    let opts = ScanOptions {
        before_hash: Some(Arc::new(|p: &Path| {
            if p.ends_with("gone") {
                std::fs::remove_file(p).unwrap();
            }
        })),
        ..ScanOptions::default()
    };
    let r = scan(&root, &etc_full(), &opts);
    let gone = r.entries.find(b"/etc/gone").unwrap();
    assert_eq!(gone.kind(), Kind::Vanished);
    assert!(gone.digest().is_none());
    assert_eq!(gone.size, 20, "the listing-time attributes are kept");
    assert_eq!(r.entries.find(b"/etc/stays").unwrap().kind(), Kind::File);
    assert_eq!(r.stats.errors, 1);
}

#[test]
fn a_file_swapped_for_a_fifo_link_or_other_file_is_recorded_as_replaced() {
    let (_d, root) = fixture();
    for n in ["fifo", "link", "other"] {
        write(&root, &format!("/etc/{n}"), b"original");
    }
    write(&root, "/spare", b"another file");
    let opts = ScanOptions {
        before_hash: Some(Arc::new(|p: &Path| {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            let spare = p.parent().unwrap().parent().unwrap().join("spare");
            match name.as_str() {
                "fifo" => {
                    std::fs::remove_file(p).unwrap();
                    nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600))
                        .unwrap();
                }
                "link" => {
                    std::fs::remove_file(p).unwrap();
                    std::os::unix::fs::symlink(&spare, p).unwrap();
                }
                "other" => std::fs::rename(&spare, p).unwrap(),
                _ => {}
            }
        })),
        threads: 1,
        ..ScanOptions::default()
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let root2 = root.clone();
    std::thread::spawn(move || {
        let _ = tx.send(scan(&root2, &etc_full(), &opts));
    });
    let r = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("never blocks");
    for n in ["fifo", "link", "other"] {
        let e = r.entries.find(format!("/etc/{n}").as_bytes()).unwrap();
        assert_eq!(e.kind(), Kind::Replaced, "{n}");
        assert!(e.digest().is_none(), "{n}");
    }
}

#[test]
fn a_more_specific_rule_owns_its_tree_and_recurse_false_stops_at_the_path() {
    let (_d, root) = fixture();
    write(&root, "/usr/lib/libc.so", b"libc");
    write(&root, "/usr/lib/modules/x.ko", b"module");
    write(&root, "/boot/vmlinuz", b"kernel");
    let mut modules = rule("/usr/lib/modules", Attrs::TYPE.union(Attrs::SIZE));
    modules.recurse = true;
    let mut boot = rule("/boot", Attrs::FULL);
    boot.recurse = false;
    let scope = scope_of(
        vec![rule("/usr/lib", Attrs::CONTENT_PERMS), modules, boot],
        &[],
    );
    let r = scan(
        &root,
        &scope,
        &ScanOptions {
            threads: 3,
            ..ScanOptions::default()
        },
    );
    let ko = r.entries.find(b"/usr/lib/modules/x.ko").unwrap();
    assert_eq!(ko.attrs, Attrs::TYPE.union(Attrs::SIZE));
    assert!(ko.digest().is_none(), "that rule asks for no digest");
    assert_eq!(
        r.entries
            .iter()
            .filter(|e| e.path() == b"/usr/lib/modules")
            .count(),
        1
    );
    assert!(
        r.entries
            .find(b"/usr/lib/libc.so")
            .unwrap()
            .digest()
            .is_some()
    );
    assert_eq!(r.entries.find(b"/boot").unwrap().kind(), Kind::Dir);
    assert!(r.entries.find(b"/boot/vmlinuz").is_none());

    // A rule on one file inside another rule's tree: recorded once, by its own rule.
    write(&root, "/etc/shadow", b"root:*:1::::::\n");
    let scope = scope_of(
        vec![rule("/etc", Attrs::FULL), rule("/etc/shadow", Attrs::TYPE)],
        &[],
    );
    let r = scan(&root, &scope, &ScanOptions::default());
    let shadow: Vec<_> = r
        .entries
        .iter()
        .filter(|e| e.path() == b"/etc/shadow")
        .collect();
    assert_eq!(shadow.len(), 1);
    assert_eq!(shadow[0].attrs, Attrs::TYPE);
}

#[test]
fn the_embedded_catalog_defines_the_default_scope() {
    let scope = Scope::from_catalog(&Catalog::embedded().unwrap()).unwrap();
    let etc = scope.rules.iter().find(|r| r.path == b"/etc").unwrap();
    assert_eq!(etc.attrs, Attrs::FULL);
    assert!(!etc.cross_fs && etc.recurse);
    for p in ["/usr/bin", "/usr/sbin", "/usr/lib", "/boot", "/lib64"] {
        let r = scope.rules.iter().find(|r| r.path == p.as_bytes()).unwrap();
        assert_eq!(r.attrs, Attrs::CONTENT_PERMS, "{p}");
    }
    assert!(scope.is_excluded(b"/etc/mtab"));
    assert!(scope.is_excluded(b"/etc/adjtime"));
    assert!(scope.is_excluded(b"/etc/ld.so.cache"));
    assert!(scope.is_excluded(b"/var/log/syslog"));
    assert!(!scope.is_excluded(b"/etc/passwd"));
    let host = scope.with_host_changes(
        vec![rule("/opt/app", Attrs::FULL)],
        vec![Pattern::new("/etc/app/state").unwrap()],
    );
    assert!(host.is_rule_start(b"/opt/app"));
    assert!(host.is_excluded(b"/etc/app/state"));
}

fn catalog_error(params: &str) -> String {
    let text = format!(
        r#"[[check]]
id = "fim.unexplained-change"
area = "fim"
risk = "high"
title = {{ zh = "t", en = "t" }}
description = {{ zh = "d", en = "d" }}
why = {{ zh = "w", en = "w" }}
remediation = {{ zh = "r", en = "r" }}
references = ["GB/T 22239-2019 8.1.4.7 b)"]
{params}
"#
    );
    let cat = Catalog::from_files(
        [("site/fim.toml".to_string(), text)],
        CatalogSource::Directory("site".into()),
    )
    .unwrap();
    let err = Scope::from_catalog(&cat).unwrap_err();
    assert_eq!(err.file, "site/fim.toml");
    assert_eq!(err.check.as_deref(), Some("fim.unexplained-change"));
    err.to_string()
}

#[test]
fn a_malformed_scope_is_an_error_naming_the_key() {
    let e = catalog_error(r#"params = { rules = [{ path = "/etc", attrs = "everything" }] }"#);
    assert!(e.contains("params.rules[0].attrs"), "{e}");
    assert!(e.contains("everything"), "{e}");
    let e = catalog_error(r#"params = { rules = [{ path = "etc", attrs = "full" }] }"#);
    assert!(
        e.contains("params.rules[0].path") && e.contains("absolute"),
        "{e}"
    );
    let e = catalog_error(r#"params = { rules = [{ path = "/etc", attrs = ["sha256", "sm3"] }] }"#);
    assert!(e.contains("one digest"), "{e}");
    let e = catalog_error(
        r#"params = { rules = [{ path = "/etc", attrs = "full", recurse = "yes" }] }"#,
    );
    assert!(e.contains("params.rules[0].recurse"), "{e}");
    let e = catalog_error(r#"params = { rules = [], exclude = ["var/log"] }"#);
    assert!(e.contains("params.exclude[0]"), "{e}");
    let e = catalog_error(r#"params = { }"#);
    assert!(e.contains("params.rules") && e.contains("missing"), "{e}");
}

#[test]
fn a_million_entries_fit_well_under_500_mb() {
    assert!(
        std::mem::size_of::<Entry>() <= 128,
        "Entry grew to {} bytes",
        std::mem::size_of::<Entry>()
    );
    let n = 1_000_000;
    let mut set = Entries::default();
    let mut path = Vec::with_capacity(128);
    for i in 0..n {
        path.clear();
        // Typical host path lengths (~45 bytes), every 20th a symlink with a target.
        path.extend_from_slice(
            format!("/usr/lib/x86_64-linux-gnu/pkg{:04}/file{i:07}.so", i % 3000).as_bytes(),
        );
        let kind = if i % 20 == 0 {
            Kind::Symlink
        } else {
            Kind::File
        };
        let mut e = Entry::new(kind, Attrs::CONTENT_PERMS);
        e.size = i as u64;
        if kind == Kind::File {
            e.set_digest(DigestAlg::Sha256, [7; 32]);
        }
        let target: Option<&[u8]> = (kind == Kind::Symlink).then_some(b"libfoo.so.1.2.3");
        set.push(e, &path, target, None);
    }
    assert_eq!(set.len(), n);
    let bytes = set.heap_bytes();
    eprintln!("1,000,000 entries: {} MB by capacity", bytes / 1_000_000);
    assert!(bytes < 250_000_000, "{bytes} bytes");
    set.sort_by_path();
    assert!(
        set.find(b"/usr/lib/x86_64-linux-gnu/pkg0001/file0000001.so")
            .is_some()
    );
}

#[test]
fn file_capabilities_are_recorded_raw() {
    let (_d, root) = fixture();
    write(&root, "/usr/bin/ping", b"\x7fELF ping");
    write(&root, "/usr/bin/true", b"\x7fELF true");
    // VFS_CAP_REVISION_2 | effective; permitted = CAP_NET_RAW (13).
    let mut cap = Vec::new();
    cap.extend_from_slice(&0x0200_0001u32.to_le_bytes());
    cap.extend_from_slice(&(1u32 << 13).to_le_bytes());
    cap.extend_from_slice(&[0; 12]);
    let set = rustix::fs::lsetxattr(
        root.join("/usr/bin/ping"),
        "security.capability",
        &cap,
        rustix::fs::XattrFlags::empty(),
    );
    if let Err(e) = set {
        eprintln!("cannot set security.capability here ({e}); capability assertion skipped");
        return;
    }
    let scope = scope_of(vec![rule("/usr/bin", Attrs::CONTENT_PERMS)], &[]);
    let r = scan(&root, &scope, &ScanOptions::default());
    assert_eq!(
        r.entries.find(b"/usr/bin/ping").unwrap().caps(),
        Some(&cap[..])
    );
    assert_eq!(r.entries.find(b"/usr/bin/true").unwrap().caps(), None);
}

#[test]
fn a_walk_stays_on_its_file_system_unless_the_rule_says_cross_fs() {
    use std::os::unix::fs::MetadataExt;
    // /dev/pts is its own file system (devpts) below /dev on Linux hosts and containers.
    let (Ok(dev), Ok(pts)) = (
        std::fs::symlink_metadata("/dev"),
        std::fs::symlink_metadata("/dev/pts"),
    ) else {
        eprintln!("no /dev/pts here; cross_fs assertion skipped");
        return;
    };
    if dev.dev() == pts.dev() || !Path::new("/dev/pts/ptmx").exists() {
        eprintln!("/dev/pts is not a separate mount here; cross_fs assertion skipped");
        return;
    }
    let root = HostRoot::live();
    let mut r = rule("/dev", Attrs::TYPE.union(Attrs::MODE));
    let one_fs = scan(
        &root,
        &scope_of(vec![r.clone()], &[]),
        &ScanOptions::default(),
    );
    assert_eq!(one_fs.entries.find(b"/dev/pts").unwrap().kind(), Kind::Dir);
    assert!(one_fs.entries.find(b"/dev/pts/ptmx").is_none());
    if let Some(null) = one_fs.entries.find(b"/dev/null") {
        assert_eq!(null.kind(), Kind::Char);
    }
    r.cross_fs = true;
    let all = scan(&root, &scope_of(vec![r], &[]), &ScanOptions::default());
    assert_eq!(
        all.entries.find(b"/dev/pts/ptmx").unwrap().kind(),
        Kind::Char
    );
}
