//! Telling changes a package update made apart from unexplained ones.
//!
//! After a patch day thousands of files under `/usr` differ from the
//! baseline. A change is explained by a package when the package manager's own
//! record says so:
//!
//! - a regular file added or changed whose new content equals the digest the
//!   package manager recorded for that path (dpkg's `md5sums`, rpm's file
//!   digests), and whose other changes are only those writing a new file
//!   brings (size, times, inode, link count) — a changed mode or owner, a new
//!   setuid/setgid bit or a new file capability is never explained;
//! - a directory or symbolic link added that a package owns (a changed link
//!   target when the new target is owned by the same package);
//! - a path removed that a package owned when the baseline was taken and that
//!   no installed package owns now (the package manager removed it with an
//!   upgrade or a removal).
//!
//! The file is hashed again with the package's algorithm, and in the same
//! pass with SHA-256, which must equal the scan's digest: content that changed
//! between the scan and this re-read explains nothing.

use super::diff::{Change, ChangeKind};
use super::entry::{DigestAlg, Entries, Kind};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::files::{PackageFiles, file_digests};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Changed attributes that come with writing a new version of a file.
const REWRITE_ATTRS: &[&str] = &["digest", "size", "mtime", "ctime", "inode", "nlink"];

/// What explains a change: the package manager and the package, e.g. `dpkg: openssl`.
pub type Explanation = String;

/// Label for removals of paths no installed package owns any more.
pub const REMOVED_BY_PACKAGE_MANAGER: &str = "removed with a package upgrade or removal";

/// Record on every entry whether an installed package owns its path now.
pub fn mark_package_owned(entries: &mut Entries, files: &PackageFiles) {
    let owned: Vec<bool> = entries
        .iter()
        .map(|e| files.owner(e.path()).is_some())
        .collect();
    for (i, owned) in owned.into_iter().enumerate() {
        if let Some(e) = entries.get_mut(i) {
            e.set_package_owned(owned);
        }
    }
}

/// The explanation of one change, if the package manager's record gives one.
pub fn explain(
    root: &HostRoot,
    files: &PackageFiles,
    baseline: &Entries,
    now: &Entries,
    change: &Change,
) -> Option<Explanation> {
    if change.new_setuid || change.new_setgid || change.new_caps {
        return None;
    }
    let label = |package: &str| format!("{}: {package}", files.manager());
    match &change.kind {
        ChangeKind::Removed => {
            let before = baseline.find(&change.path)?;
            (before.package_owned() && files.owner(&change.path).is_none())
                .then(|| REMOVED_BY_PACKAGE_MANAGER.to_string())
        }
        ChangeKind::Changed { attrs } => {
            let current = now.find(&change.path)?;
            match current.kind() {
                Kind::File if attrs.iter().all(|a| REWRITE_ATTRS.contains(a)) => {
                    content_matches(root, files, &change.path, current.digest()).map(|p| label(&p))
                }
                Kind::Symlink
                    if attrs
                        .iter()
                        .all(|a| *a == "target" || REWRITE_ATTRS.contains(a)) =>
                {
                    link_explained(files, &change.path, current.target()?).map(|p| label(&p))
                }
                _ => None,
            }
        }
        ChangeKind::Added | ChangeKind::TypeChanged { .. } => {
            let current = now.find(&change.path)?;
            match current.kind() {
                Kind::File => {
                    content_matches(root, files, &change.path, current.digest()).map(|p| label(&p))
                }
                Kind::Dir => files.owner(&change.path).map(|o| label(o.package)),
                Kind::Symlink => {
                    link_explained(files, &change.path, current.target()?).map(|p| label(&p))
                }
                _ => None,
            }
        }
    }
}

/// The owning package when the file's content equals its package digest
/// and is still the content the scan hashed.
fn content_matches(
    root: &HostRoot,
    files: &PackageFiles,
    path: &[u8],
    scanned: Option<(DigestAlg, &[u8; 32])>,
) -> Option<String> {
    let owner = files.owner(path)?;
    let (alg, expected) = owner.digest?;
    let (digest, sha256) =
        file_digests(&root.resolve_keep_last(OsStr::from_bytes(path)).ok()?, alg).ok()?;
    let same_content = match scanned {
        Some((DigestAlg::Sha256, d)) => *d == sha256,
        // The scan used SM3 (or did not hash): the re-read is the content judged.
        _ => true,
    };
    (same_content && digest == expected).then(|| owner.package.to_string())
}

/// The owning package of a link whose target is owned by that same package.
fn link_explained(files: &PackageFiles, link: &[u8], target: &[u8]) -> Option<String> {
    let owner = files.owner(link)?;
    let resolved = resolve_target(link, target);
    let target_owner = files.owner(&resolved)?;
    (target_owner.package == owner.package).then(|| owner.package.to_string())
}

/// The host path a link target names (relative targets from the link's directory),
/// with `.` and `..` components resolved lexically.
fn resolve_target(link: &[u8], target: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    if !target.starts_with(b"/") {
        let dir = link
            .iter()
            .rposition(|&c| c == b'/')
            .map_or(&link[..0], |i| &link[..i]);
        parts.extend(dir.split(|&c| c == b'/').filter(|p| !p.is_empty()));
    }
    for part in target.split(|&c| c == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = Vec::new();
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::resolve_target;

    #[test]
    fn link_targets_resolve_like_paths() {
        assert_eq!(
            resolve_target(b"/usr/lib/libz.so.1", b"libz.so.1.3"),
            b"/usr/lib/libz.so.1.3"
        );
        assert_eq!(
            resolve_target(b"/usr/bin/vi", b"../../etc/alternatives/vi"),
            b"/etc/alternatives/vi"
        );
        assert_eq!(
            resolve_target(b"/bin/sh", b"/usr/bin/dash"),
            b"/usr/bin/dash"
        );
        assert_eq!(resolve_target(b"/x", b"../../.."), b"/");
    }
}
