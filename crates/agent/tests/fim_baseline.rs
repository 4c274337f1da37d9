//! FIM baselines (write, load, verify, chain) and comparison on fixture trees below a temporary `--root`.

use selfcheck_agent::areas::fim::baseline::{self, set_aside};
use selfcheck_agent::areas::fim::{
    Acceptance, Attrs, BaselineError, Change, ChangeKind, DigestAlg, Entries, Entry, Kind, Scope,
    apply_accepted, compare, load_baseline, scan, write_baseline,
};
use selfcheck_agent::state::StateDir;
use selfcheck_catalog::Catalog;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{AgentKey, Severity};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;

struct Fixture {
    _dir: tempfile::TempDir,
    root: HostRoot,
    state: StateDir,
    scope: Scope,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("host/etc/ssh")).unwrap();
        let root = HostRoot::at(&dir.path().join("host")).unwrap();
        let state = StateDir::open(&dir.path().join("state")).unwrap();
        let scope = Scope::from_catalog(&Catalog::embedded().unwrap()).unwrap();
        Fixture {
            _dir: dir,
            root,
            state,
            scope,
        }
    }

    fn path(&self, host: &str) -> PathBuf {
        self.root.join(host)
    }

    fn write(&self, host: &str, content: &[u8]) {
        std::fs::write(self.path(host), content).unwrap();
    }

    fn scan(&self) -> Entries {
        scan(&self.root, &self.scope, &Default::default()).entries
    }
}

fn key(n: u8) -> AgentKey {
    AgentKey::from_secret_bytes([n; 32])
}

/// A valid `security.capability` value (revision 2) granting cap_net_raw (13), effective.
const CAP_NET_RAW: [u8; 20] = [
    0x01, 0, 0, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

fn set_caps(path: &std::path::Path, value: &[u8]) -> bool {
    rustix::fs::lsetxattr(
        path,
        "security.capability",
        value,
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok()
}

fn assert_same_entries(a: &Entries, b: &Entries) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b.iter()) {
        let p = String::from_utf8_lossy(x.path());
        assert_eq!(x.path(), y.path());
        assert_eq!(x.target(), y.target(), "{p}");
        assert_eq!(x.caps(), y.caps(), "{p}");
        assert_eq!(x.digest(), y.digest(), "{p}");
        assert_eq!(x.kind(), y.kind(), "{p}");
        assert_eq!(x.attrs, y.attrs, "{p}");
        assert_eq!(
            (x.size, x.ino, x.dev, x.mode, x.uid, x.gid, x.nlink),
            (y.size, y.ino, y.dev, y.mode, y.uid, y.gid, y.nlink),
            "{p}"
        );
        assert_eq!(
            (x.mtime_sec, x.mtime_nsec, x.ctime_sec, x.ctime_nsec),
            (y.mtime_sec, y.mtime_nsec, y.ctime_sec, y.ctime_nsec),
            "{p}"
        );
    }
    assert_eq!(baseline::encode(a), baseline::encode(b));
}

/// Every kind, both digests, caps, an errno and extreme values, built by hand.
fn synthetic() -> Entries {
    let mut set = Entries::default();
    let kinds = [
        Kind::File,
        Kind::Dir,
        Kind::Symlink,
        Kind::Fifo,
        Kind::Socket,
        Kind::Char,
        Kind::Block,
        Kind::Vanished,
        Kind::Replaced,
        Kind::Unreadable { errno: 13 },
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let mut e = Entry::new(kind, Attrs(0x3fff - i as u16));
        e.size = u64::MAX - i as u64;
        e.ino = 1 << 40 | i as u64;
        e.dev = 0xfd01;
        e.mtime_sec = -1 - i as i64;
        e.mtime_nsec = 999_999_999;
        e.ctime_sec = i64::MAX;
        e.ctime_nsec = i as u32;
        e.mode = 0o104755;
        e.uid = u32::MAX;
        e.gid = 7;
        e.nlink = i as u32;
        match i % 3 {
            0 => e.set_digest(DigestAlg::Sha256, [i as u8; 32]),
            1 => e.set_digest(DigestAlg::Sm3, [0xa5; 32]),
            _ => {}
        }
        let path = [b"/etc/k".as_slice(), &[b'0' + i as u8, 0xff, 0xfe]].concat();
        let target: Option<&[u8]> = (kind == Kind::Symlink).then_some(b"../\xffodd target");
        let caps: Option<&[u8]> = (i == 0).then_some(&CAP_NET_RAW);
        let empty: Option<&[u8]> = (i == 1).then_some(b"");
        set.push(e, &path, target.or(empty), caps);
    }
    set.sort_by_path();
    set
}

#[test]
fn synthetic_entries_round_trip_every_field() {
    let f = Fixture::new();
    let entries = synthetic();
    write_baseline(&f.state, &key(1), &entries, vec![]).unwrap();
    let (loaded, manifest) = load_baseline(&f.state, &key(1)).unwrap().unwrap();
    assert_same_entries(&entries, &loaded);
    assert_eq!(manifest.entries, 10);
    assert_eq!(manifest.previous, None);
}

#[test]
fn scanned_tree_round_trips_byte_for_byte_including_a_non_utf8_name() {
    let f = Fixture::new();
    f.write("/etc/passwd", b"root:x:0:0::/root:/bin/sh\n");
    std::fs::write(f.root.join(OsStr::from_bytes(b"/etc/caf\xe9.conf")), b"x").unwrap();
    std::os::unix::fs::symlink("../usr/share/zoneinfo/UTC", f.path("/etc/localtime")).unwrap();
    nix::unistd::mkfifo(&f.path("/etc/initctl"), nix::sys::stat::Mode::S_IRUSR).unwrap();
    f.write("/etc/ping", b"\x7fELF");
    let have_caps = set_caps(&f.path("/etc/ping"), &CAP_NET_RAW);
    let now = f.scan();
    assert!(now.find(b"/etc/caf\xe9.conf").is_some());
    if have_caps {
        assert!(now.find(b"/etc/ping").unwrap().caps().is_some());
    }

    let acc = Acceptance::new(&[b"/etc/caf\xe9.conf".to_vec()], "initial baseline");
    let info = write_baseline(&f.state, &key(1), &now, vec![acc.clone()]).unwrap();
    for p in [&info.body_path, &info.manifest_path] {
        assert_eq!(std::fs::metadata(p).unwrap().mode() & 0o777, 0o600);
    }
    let (loaded, manifest) = load_baseline(&f.state, &key(1)).unwrap().unwrap();
    assert_same_entries(&now, &loaded);
    assert_eq!(manifest, info.manifest);
    assert_eq!(manifest.accepted, vec![acc]);
    assert_eq!(
        manifest.accepted[0].paths[0].hex,
        "2f6574632f636166e92e636f6e66"
    );
    assert_eq!(
        manifest.accepted[0].paths[0].display,
        "/etc/caf\u{fffd}.conf"
    );
    assert_eq!(manifest.key_fingerprint, key(1).fingerprint());
    assert!(compare(&loaded, &f.scan()).is_empty());
}

#[test]
fn no_baseline_loads_as_none() {
    let f = Fixture::new();
    assert!(load_baseline(&f.state, &key(1)).unwrap().is_none());
}

/// Scan, let `change` alter the tree, scan again, and compare.
fn changes_after(setup: impl Fn(&Fixture), change: impl Fn(&Fixture)) -> (Fixture, Vec<Change>) {
    let f = Fixture::new();
    setup(&f);
    let before = f.scan();
    write_baseline(&f.state, &key(1), &before, vec![]).unwrap();
    // Let the coarse kernel clock tick, so ctime can differ.
    std::thread::sleep(std::time::Duration::from_millis(20));
    change(&f);
    let (baseline, _) = load_baseline(&f.state, &key(1)).unwrap().unwrap();
    let changes = compare(&baseline, &f.scan());
    (f, changes)
}

fn change_of<'a>(changes: &'a [Change], path: &str) -> &'a Change {
    changes
        .iter()
        .find(|c| c.path == path.as_bytes())
        .unwrap_or_else(|| panic!("no change for {path} in {changes:#?}"))
}

fn changed_attrs<'a>(changes: &'a [Change], path: &str) -> &'a [&'static str] {
    match &change_of(changes, path).kind {
        ChangeKind::Changed { attrs } => attrs,
        other => panic!("{path}: expected Changed, got {other:?}"),
    }
}

fn file(host: &'static str, content: &'static [u8]) -> impl Fn(&Fixture) {
    move |f| f.write(host, content)
}

#[test]
fn content_change_with_mtime_restored_is_named_digest_not_mtime() {
    let (_f, changes) = changes_after(file("/etc/hosts", b"127.0.0.1 a\n"), |f| {
        let p = f.path("/etc/hosts");
        let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
        std::fs::write(&p, b"6.6.6.6 a\n\n\n").unwrap();
        let fh = std::fs::File::options().write(true).open(&p).unwrap();
        fh.set_modified(mtime).unwrap();
    });
    let attrs = changed_attrs(&changes, "/etc/hosts");
    assert!(attrs.contains(&"digest"), "{attrs:?}");
    assert!(attrs.contains(&"ctime"), "{attrs:?}");
    assert!(!attrs.contains(&"mtime"), "{attrs:?}");
    assert!(!attrs.contains(&"size"), "{attrs:?}");
}

#[test]
fn mode_change_is_named_mode() {
    let (_f, changes) = changes_after(file("/etc/shadow", b"root:*:1::::::\n"), |f| {
        std::fs::set_permissions(
            f.path("/etc/shadow"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
    });
    let attrs = changed_attrs(&changes, "/etc/shadow");
    assert!(
        attrs.contains(&"mode") && !attrs.contains(&"digest"),
        "{attrs:?}"
    );
    assert!(!change_of(&changes, "/etc/shadow").new_setuid);
}

#[test]
fn owner_change_is_named_uid_and_gid() {
    let (_f, changes) = changes_after(file("/etc/sudoers", b"root ALL=(ALL) ALL\n"), |f| {
        std::os::unix::fs::chown(f.path("/etc/sudoers"), Some(4321), Some(4322)).unwrap();
    });
    let attrs = changed_attrs(&changes, "/etc/sudoers");
    assert!(
        attrs.contains(&"uid") && attrs.contains(&"gid"),
        "{attrs:?}"
    );
}

#[test]
fn setuid_added_is_flagged_new_setuid() {
    let (_f, changes) = changes_after(file("/etc/helper", b"#!/bin/sh\n"), |f| {
        std::fs::set_permissions(
            f.path("/etc/helper"),
            std::fs::Permissions::from_mode(0o4755),
        )
        .unwrap();
    });
    let c = change_of(&changes, "/etc/helper");
    assert!(c.new_setuid && !c.new_setgid && !c.new_caps, "{c:?}");
    assert!(changed_attrs(&changes, "/etc/helper").contains(&"mode"));
}

#[test]
fn capability_added_is_flagged_new_caps() {
    let (f, changes) = changes_after(file("/etc/ping", b"\x7fELF"), |f| {
        set_caps(&f.path("/etc/ping"), &CAP_NET_RAW);
    });
    if std::fs::symlink_metadata(f.path("/etc/ping")).is_ok()
        && rustix::fs::lgetxattr(f.path("/etc/ping"), "security.capability", &mut [0u8; 64])
            .is_err()
    {
        eprintln!("this file system does not keep security.capability; skipped");
        return;
    }
    let c = change_of(&changes, "/etc/ping");
    assert!(c.new_caps && !c.new_setuid, "{c:?}");
    assert!(changed_attrs(&changes, "/etc/ping").contains(&"caps"));
}

#[test]
fn symlink_retargeted_is_named_target() {
    let (_f, changes) = changes_after(
        |f| {
            std::os::unix::fs::symlink("/usr/share/zoneinfo/UTC", f.path("/etc/localtime")).unwrap()
        },
        |f| {
            std::fs::remove_file(f.path("/etc/localtime")).unwrap();
            std::os::unix::fs::symlink("/tmp/evil", f.path("/etc/localtime")).unwrap();
        },
    );
    let attrs = changed_attrs(&changes, "/etc/localtime");
    assert!(attrs.contains(&"target"), "{attrs:?}");
    assert!(!attrs.contains(&"digest"), "{attrs:?}");
}

#[test]
fn file_replaced_by_fifo_is_a_type_change() {
    let (_f, changes) = changes_after(file("/etc/motd", b"hello\n"), |f| {
        std::fs::remove_file(f.path("/etc/motd")).unwrap();
        nix::unistd::mkfifo(&f.path("/etc/motd"), nix::sys::stat::Mode::S_IRUSR).unwrap();
    });
    assert_eq!(
        change_of(&changes, "/etc/motd").kind,
        ChangeKind::TypeChanged {
            from: Kind::File,
            to: Kind::Fifo
        }
    );
}

#[test]
fn hard_link_added_is_named_nlink() {
    let (_f, changes) = changes_after(file("/etc/group", b"root:x:0:\n"), |f| {
        std::fs::hard_link(f.path("/etc/group"), f.path("/etc/group.link")).unwrap();
    });
    let attrs = changed_attrs(&changes, "/etc/group");
    assert!(
        attrs.contains(&"nlink") && !attrs.contains(&"digest"),
        "{attrs:?}"
    );
    assert_eq!(
        change_of(&changes, "/etc/group.link").kind,
        ChangeKind::Added
    );
}

#[test]
fn rename_delete_and_add_are_removed_and_added() {
    let (_f, changes) = changes_after(
        |f| {
            f.write("/etc/old.conf", b"a=1\n");
            f.write("/etc/gone.conf", b"b=2\n");
        },
        |f| {
            std::fs::rename(f.path("/etc/old.conf"), f.path("/etc/new.conf")).unwrap();
            std::fs::remove_file(f.path("/etc/gone.conf")).unwrap();
            std::fs::create_dir(f.path("/etc/ssh/sshd_config.d")).unwrap();
            f.write(
                "/etc/ssh/sshd_config.d/backdoor.conf",
                b"PermitRootLogin yes\n",
            );
        },
    );
    let kind = |p: &str| change_of(&changes, p).kind.clone();
    assert_eq!(kind("/etc/old.conf"), ChangeKind::Removed);
    assert_eq!(kind("/etc/new.conf"), ChangeKind::Added);
    assert_eq!(kind("/etc/gone.conf"), ChangeKind::Removed);
    assert_eq!(kind("/etc/ssh/sshd_config.d"), ChangeKind::Added);
    assert_eq!(
        kind("/etc/ssh/sshd_config.d/backdoor.conf"),
        ChangeKind::Added
    );
}

#[test]
fn new_setuid_file_is_flagged_when_added() {
    let (_f, changes) = changes_after(
        |_| {},
        |f| {
            f.write("/etc/rootshell", b"\x7fELF");
            std::fs::set_permissions(
                f.path("/etc/rootshell"),
                std::fs::Permissions::from_mode(0o6755),
            )
            .unwrap();
        },
    );
    let c = change_of(&changes, "/etc/rootshell");
    assert_eq!(c.kind, ChangeKind::Added);
    assert!(c.new_setuid && c.new_setgid, "{c:?}");
}

#[test]
fn unreadable_file_is_reported_as_such_not_as_changed_content() {
    let mut before = Entries::default();
    let mut e = Entry::new(Kind::File, Attrs::FULL);
    e.set_digest(DigestAlg::Sha256, [1; 32]);
    before.push(e.clone(), b"/etc/x", None, None);
    let mut now = Entries::default();
    let mut u = e.clone();
    u.set_kind(Kind::Unreadable { errno: 13 });
    now.push(u, b"/etc/x", None, None);
    assert_eq!(
        compare(&before, &now)[0].kind,
        ChangeKind::TypeChanged {
            from: Kind::File,
            to: Kind::Unreadable { errno: 13 }
        }
    );
    // A digest recorded with another algorithm is not claimed as changed content.
    let mut sm3 = Entries::default();
    let mut s = e.clone();
    s.set_digest(DigestAlg::Sm3, [2; 32]);
    sm3.push(s, b"/etc/x", None, None);
    assert!(compare(&before, &sm3).is_empty());
}

#[test]
fn attributes_only_one_side_recorded_are_not_compared() {
    let mut before = Entries::default();
    let mut e = Entry::new(Kind::File, Attrs::FULL);
    e.mtime_sec = 1;
    e.ino = 5;
    before.push(e.clone(), b"/usr/bin/ls", None, None);
    let mut now = Entries::default();
    let mut n = Entry::new(Kind::File, Attrs::CONTENT_PERMS);
    n.mtime_sec = 2;
    n.ino = 6;
    now.push(n, b"/usr/bin/ls", None, None);
    assert!(compare(&before, &now).is_empty());
}

// ---- refusing untrustworthy baselines ----

fn baseline_written(f: &Fixture) -> baseline::BaselineInfo {
    f.write("/etc/passwd", b"root:x:0:0::/root:/bin/sh\n");
    write_baseline(&f.state, &key(1), &f.scan(), vec![]).unwrap()
}

#[test]
fn flipped_body_byte_is_refused() {
    let f = Fixture::new();
    let info = baseline_written(&f);
    let mut body = std::fs::read(&info.body_path).unwrap();
    let last = body.len() - 3;
    body[last] ^= 0x01;
    std::fs::write(&info.body_path, body).unwrap();
    let err = load_baseline(&f.state, &key(1)).unwrap_err();
    assert!(matches!(err, BaselineError::BodyDigest { .. }), "{err}");
    assert!(err.is_invalid());
    assert!(err.to_string().contains("the body was altered"), "{err}");
}

#[test]
fn tampered_manifest_is_refused() {
    let f = Fixture::new();
    let info = baseline_written(&f);
    let text = std::fs::read_to_string(&info.manifest_path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["manifest"]["accepted"] = serde_json::json!([{
        "paths": [], "reason": "sneaky", "by": "mallory", "at": "2026-01-01T00:00:00Z"
    }]);
    std::fs::write(&info.manifest_path, serde_json::to_vec(&v).unwrap()).unwrap();
    let err = load_baseline(&f.state, &key(1)).unwrap_err();
    assert!(matches!(err, BaselineError::Signature { .. }), "{err}");
    assert!(err.to_string().contains("does not match"), "{err}");
}

#[test]
fn baseline_signed_by_another_key_is_refused() {
    let f = Fixture::new();
    f.write("/etc/passwd", b"root\n");
    write_baseline(&f.state, &key(2), &f.scan(), vec![]).unwrap();
    let err = load_baseline(&f.state, &key(1)).unwrap_err();
    assert!(matches!(err, BaselineError::Signature { .. }), "{err}");
    assert!(err.to_string().contains(&key(2).fingerprint()), "{err}");
    assert!(err.to_string().contains(&key(1).fingerprint()), "{err}");
}

#[test]
fn other_format_version_is_refused() {
    let f = Fixture::new();
    let info = baseline_written(&f);
    let text = std::fs::read_to_string(&info.manifest_path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["manifest"]["version"] = serde_json::json!(2);
    std::fs::write(&info.manifest_path, serde_json::to_vec(&v).unwrap()).unwrap();
    let err = load_baseline(&f.state, &key(1)).unwrap_err();
    assert!(
        matches!(err, BaselineError::Version { version: 2, .. }),
        "{err}"
    );
}

#[test]
fn baselines_chain_and_history_is_kept() {
    let f = Fixture::new();
    let first = baseline_written(&f);
    f.write("/etc/hosts", b"x\n");
    let second = write_baseline(&f.state, &key(1), &f.scan(), vec![]).unwrap();
    assert_eq!(
        second.manifest.previous.as_deref(),
        Some(first.digest.as_str())
    );
    assert!(second.manifest.created_at > first.manifest.created_at);
    let archived = second.archived.clone().unwrap();
    let name = archived.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&first.manifest.created_at), "{name}");
    assert!(archived.with_extension("bin").exists());
    let third = write_baseline(&f.state, &key(1), &f.scan(), vec![]).unwrap();
    assert_eq!(
        third.manifest.previous.as_deref(),
        Some(second.digest.as_str())
    );
    let (_, m) = load_baseline(&f.state, &key(1)).unwrap().unwrap();
    assert_eq!(m, third.manifest);
}

#[test]
fn broken_chain_is_refused() {
    let f = Fixture::new();
    baseline_written(&f);
    write_baseline(&f.state, &key(1), &f.scan(), vec![]).unwrap();
    let third = write_baseline(&f.state, &key(1), &f.scan(), vec![]).unwrap();
    // Remove the newest history entry: the current baseline's link now points nowhere.
    let newest = third.archived.unwrap();
    std::fs::remove_file(&newest).unwrap();
    std::fs::remove_file(newest.with_extension("bin")).unwrap();
    let err = load_baseline(&f.state, &key(1)).unwrap_err();
    assert!(matches!(err, BaselineError::Chain { .. }), "{err}");
    assert!(err.to_string().contains("chain is broken"), "{err}");
}

#[test]
fn deleted_current_baseline_with_history_is_refused() {
    let f = Fixture::new();
    baseline_written(&f);
    let second = write_baseline(&f.state, &key(1), &f.scan(), vec![]).unwrap();
    std::fs::remove_file(&second.manifest_path).unwrap();
    std::fs::remove_file(&second.body_path).unwrap();
    let err = load_baseline(&f.state, &key(1)).unwrap_err();
    assert!(matches!(err, BaselineError::Incomplete { .. }), "{err}");
    // A new baseline chains to the newest history entry again.
    let third = write_baseline(&f.state, &key(1), &f.scan(), vec![]).unwrap();
    assert!(third.manifest.previous.is_some());
    assert!(load_baseline(&f.state, &key(1)).unwrap().is_some());
}

#[test]
fn invalid_current_baseline_is_not_replaced_until_set_aside() {
    let f = Fixture::new();
    let info = baseline_written(&f);
    std::fs::write(&info.body_path, b"garbage").unwrap();
    let err = write_baseline(&f.state, &key(1), &f.scan(), vec![]).unwrap_err();
    assert!(matches!(err, BaselineError::CurrentInvalid(_)), "{err}");
    let kept = set_aside(&f.state).unwrap();
    assert!(kept.join("baseline.bin").exists());
    let fresh = write_baseline(&f.state, &key(1), &f.scan(), vec![]).unwrap();
    assert_eq!(fresh.manifest.previous, None);
    assert!(load_baseline(&f.state, &key(1)).unwrap().is_some());
}

#[test]
fn malformed_body_is_refused_with_where() {
    assert!(baseline::decode(b"nope").unwrap_err().contains("magic"));
    let mut body = baseline::encode(&synthetic());
    body.push(0);
    assert!(
        baseline::decode(&body)
            .unwrap_err()
            .contains("follow the last entry")
    );
    let body = baseline::encode(&synthetic());
    assert!(
        baseline::decode(&body[..body.len() - 1])
            .unwrap_err()
            .contains("truncated")
    );
}

// ---- accepting changes ----

#[test]
fn accepting_listed_paths_takes_only_those_changes() {
    let f = Fixture::new();
    f.write("/etc/a", b"1");
    f.write("/etc/b", b"1");
    let before = f.scan();
    f.write("/etc/a", b"22");
    f.write("/etc/b", b"22");
    f.write("/etc/c", b"new");
    let now = f.scan();
    let accepted = [b"/etc/a".to_vec(), b"/etc/c".to_vec()];
    let next = apply_accepted(&before, &now, Some(&accepted));
    let left: Vec<String> = compare(&next, &now)
        .iter()
        .map(Change::display_path)
        .collect();
    assert!(left.contains(&"/etc/b".to_string()), "{left:?}");
    assert!(!left.contains(&"/etc/a".to_string()), "{left:?}");
    assert!(!left.contains(&"/etc/c".to_string()), "{left:?}");
    let taken: Vec<String> = compare(&before, &next)
        .iter()
        .map(Change::display_path)
        .collect();
    assert_eq!(taken, ["/etc/a", "/etc/c"]);
    // The result is a valid baseline (sorted) and survives a write and load.
    let acc = Acceptance::new(&accepted, "CHG-42");
    write_baseline(&f.state, &key(1), &next, vec![acc]).unwrap();
    let (loaded, m) = load_baseline(&f.state, &key(1)).unwrap().unwrap();
    assert_same_entries(&next, &loaded);
    assert_eq!(m.accepted[0].reason, "CHG-42");
}

#[test]
fn accepting_everything_yields_the_current_scan() {
    let f = Fixture::new();
    f.write("/etc/a", b"1");
    let before = f.scan();
    std::fs::remove_file(f.path("/etc/a")).unwrap();
    f.write("/etc/b", b"2");
    let now = f.scan();
    let next = apply_accepted(&before, &now, None);
    assert_same_entries(&now, &next);
    assert!(compare(&next, &now).is_empty());
}

#[test]
fn catalog_defines_the_baseline_checks() {
    let catalog = Catalog::embedded().unwrap();
    for (id, risk) in [
        ("fim.baseline-invalid", Severity::Critical),
        ("fim.new-setuid", Severity::High),
        ("fim.new-capability", Severity::High),
    ] {
        let def = catalog
            .get_str(id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(def.risk, risk, "{id}");
        assert_eq!(def.area, "fim");
        assert_eq!(def.references, ["GB/T 22239-2019 8.1.4.7 b)"]);
    }
}
