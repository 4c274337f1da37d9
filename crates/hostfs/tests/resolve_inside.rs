//! Generated symbolic-link graphs below an image root: whatever the links
//! (absolute, relative, `..`, loops, chains past the limit, into `/proc` and
//! to the real `/etc`), resolving and reading a host path either fails or
//! stays inside the root, and never yields a byte from outside it.

use proptest::prelude::*;
use selfcheck_hostfs::HostRoot;
use selfcheck_hostfs::root::MAX_LINKS;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

const NAMES: [&str; 4] = ["a", "b", "etc", "proc"];

/// One node of the generated tree.
#[derive(Debug, Clone)]
enum Node {
    Dir,
    File,
    Link(String),
}

/// Link targets: paths over the tree's names, `..`, `.`, and places outside.
fn target() -> impl Strategy<Value = String> {
    let part = prop::sample::select(vec![
        "a", "b", "etc", "proc", "..", ".", "self", "hostname", "passwd",
    ]);
    let built = (any::<bool>(), prop::collection::vec(part, 0..5)).prop_map(|(absolute, parts)| {
        let joined = parts.join("/");
        if absolute {
            format!("/{joined}")
        } else if joined.is_empty() {
            ".".into()
        } else {
            joined
        }
    });
    prop_oneof![
        3 => built,
        1 => prop::sample::select(vec![
            "/etc".to_string(),
            "/proc".to_string(),
            "/proc/self/root".to_string(),
            "/proc/self/root/etc/hostname".to_string(),
            "/proc/1/environ".to_string(),
            "/etc/hostname".to_string(),
            "/etc/passwd".to_string(),
            "../outside/secret".to_string(),
            "../../outside/secret".to_string(),
            "/../outside/secret".to_string(),
            "../../../../../../etc/passwd".to_string(),
            "/dev/zero".to_string(),
        ]),
    ]
}

fn node() -> impl Strategy<Value = (Vec<&'static str>, Node)> {
    let path = prop::collection::vec(prop::sample::select(NAMES.to_vec()), 1..4);
    let kind = prop_oneof![1 => Just(Node::Dir), 1 => Just(Node::File), 3 => target().prop_map(Node::Link)];
    (path, kind)
}

/// Build the tree below `root`; a node whose parent is not a directory is left out.
fn build(root: &Path, nodes: &[(Vec<&'static str>, Node)]) {
    for (i, (parts, kind)) in nodes.iter().enumerate() {
        let path: PathBuf = parts.iter().collect();
        let full = root.join(&path);
        if let Some(parent) = full.parent()
            && std::fs::create_dir_all(parent).is_err()
        {
            continue;
        }
        if std::fs::symlink_metadata(&full).is_ok() {
            continue;
        }
        let _ = match kind {
            Node::Dir => std::fs::create_dir(&full),
            Node::File => std::fs::write(&full, format!("INSIDE {i}\n")),
            Node::Link(t) => symlink(t, &full),
        };
    }
}

/// Every prefix of `path` below `root` is not a symbolic link.
fn no_link_on_the_way(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap();
    let mut at = root.to_path_buf();
    rel.components().all(|c| {
        at.push(c);
        !std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink())
    })
}

fn query() -> impl Strategy<Value = String> {
    let part = prop::sample::select(vec![
        "a", "b", "etc", "proc", "..", "self", "hostname", "passwd", "net", "tcp",
    ]);
    (any::<bool>(), prop::collection::vec(part, 1..6)).prop_map(|(absolute, parts)| {
        format!("{}{}", if absolute { "/" } else { "" }, parts.join("/"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn resolution_never_leaves_the_root(
        nodes in prop::collection::vec(node(), 0..24),
        queries in prop::collection::vec(query(), 1..12),
    ) {
        let outer = tempfile::tempdir().unwrap();
        std::fs::create_dir(outer.path().join("outside")).unwrap();
        std::fs::write(outer.path().join("outside/secret"), "OUTSIDE\n").unwrap();
        let dir = outer.path().join("root");
        std::fs::create_dir(&dir).unwrap();
        build(&dir, &nodes);
        let root = HostRoot::at(&dir).unwrap();
        let d = root.dir().to_path_buf();
        for q in queries.iter().map(String::as_str).chain(["etc/hostname", "etc/passwd", "proc/net/tcp", "proc/self/root/etc/hostname", "proc/1/environ"]) {
            match root.resolve(q) {
                Ok(p) => {
                    prop_assert!(p.starts_with(&d), "{q} -> {}", p.display());
                    prop_assert!(no_link_on_the_way(&d, &p), "{q} -> {} has a link", p.display());
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            if let Ok(bytes) = root.read_bytes(q, 1 << 20) {
                prop_assert!(bytes.starts_with(b"INSIDE "), "{q} read {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(80)]));
            }
            if let Ok(p) = root.resolve_keep_last(q) {
                prop_assert!(p.starts_with(&d), "{q} -> {}", p.display());
            }
            if let Ok(entries) = root.read_dir(q) {
                for e in entries.flatten() {
                    prop_assert!(e.path().starts_with(&d));
                }
            }
        }
    }
}

#[test]
fn a_chain_past_the_limit_is_an_error_not_a_kernel_walk() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("etc")).unwrap();
    std::fs::write(d.join("etc/own"), "INSIDE\n").unwrap();
    // l0 -> l1 -> ... -> l{n-1} -> last: n links, then `last` itself is one more.
    let chain = |prefix: &str, n: u32, last: &str| {
        for i in 0..n {
            let next = if i + 1 == n {
                last.to_string()
            } else {
                format!("{prefix}{}", i + 1)
            };
            symlink(next, d.join(format!("{prefix}{i}"))).unwrap();
        }
    };
    chain("ok", MAX_LINKS, "/etc/own");
    chain("long", MAX_LINKS + 1, "/etc/hostname");
    let root = HostRoot::at(d).unwrap();
    assert_eq!(root.read_text("ok0", 100).unwrap(), "INSIDE\n");
    let e = root.resolve("long0").unwrap_err();
    assert!(e.to_string().contains("more than 40 symbolic links"), "{e}");
    assert!(e.to_string().contains("long0"), "{e}");
    assert!(root.read_bytes("long0", 100).is_err());
    assert!(root.metadata("long0").is_err());
}

#[test]
fn absolute_links_to_the_real_machine_stay_inside() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    symlink("/etc", d.join("etc")).unwrap();
    symlink("/proc", d.join("proc")).unwrap();
    let root = HostRoot::at(d).unwrap();
    for p in [
        "etc/hostname",
        "etc/passwd",
        "/etc/shadow",
        "proc/net/tcp",
        "proc/self/status",
    ] {
        let e = root.read_optional(p).unwrap_err();
        assert!(e.to_string().contains("symbolic links"), "{p}: {e}");
    }
    assert!(root.read_dir("proc").is_err());
    assert!(!root.is_dir("proc"));
    assert_eq!(root.read_link("proc").unwrap(), Path::new("/proc"));
}

#[test]
fn fifos_and_devices_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("proc/net")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(d.join("proc/net/tcp"))
        .status()
        .unwrap();
    assert!(made.success());
    symlink("/dev/zero", d.join("zero")).unwrap();
    std::fs::create_dir(d.join("dev")).unwrap();
    // /dev/zero re-rooted is DIR/dev/zero: absent; a link straight to the device
    // file of this machine needs `..` to climb, which stops at the root.
    symlink("../../../../../../dev/zero", d.join("zero2")).unwrap();
    let root = HostRoot::at(d).unwrap();
    let e = root.read_bytes("proc/net/tcp", 1 << 20).unwrap_err();
    assert!(e.to_string().contains("a FIFO"), "{e}");
    assert!(root.open_stream("proc/net/tcp", 1 << 20, 4096).is_err());
    assert_eq!(root.read_optional("zero").unwrap(), None);
    assert_eq!(root.read_optional("zero2").unwrap(), None);
    // On the live host a device is refused the same way.
    let live = HostRoot::live();
    let e = live.read_bytes("/dev/zero", 1 << 20).unwrap_err();
    assert!(e.to_string().contains("a character device"), "{e}");
    let e = live.read_bytes("/dev/null", 1 << 20).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
}

#[test]
fn reads_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big"), vec![b'x'; 10_000]).unwrap();
    let root = HostRoot::at(dir.path()).unwrap();
    let e = root.read_bytes("big", 9_999).unwrap_err();
    assert!(e.to_string().contains("larger than 9999 bytes"), "{e}");
    assert_eq!(root.read_bytes("big", 10_000).unwrap().len(), 10_000);
    let mut s = String::new();
    let e =
        std::io::Read::read_to_string(&mut root.open_stream("big", 5_000, 1024).unwrap(), &mut s)
            .unwrap_err();
    assert!(e.to_string().contains("big"), "{e}");
}
