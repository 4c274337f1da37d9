//! Comparing a scan with its baseline, and accepting changes into a new baseline.
//!
//! Both entry sets are sorted by path bytes (a scan and a decoded baseline
//! are), so [`compare`] is one merge walk, O(n). Only attributes both sides
//! recorded are compared (the scope may change between scans), and a path
//! that vanished, was replaced or could not be read on either side is
//! reported as a [`ChangeKind::TypeChanged`] to that state, never as changed
//! content.

use super::attrs::Attrs;
use super::entry::{Entries, EntryRef, Kind};
use std::cmp::Ordering;

/// How a path differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// New since the baseline.
    Added,
    /// Gone since the baseline.
    Removed,
    /// Same type, other attributes: their names (`type`, `size`, `mode`, `uid`,
    /// `gid`, `inode`, `nlink`, `mtime`, `ctime`, `target`, `caps`, `digest`).
    Changed {
        /// The attributes that differ.
        attrs: Vec<&'static str>,
    },
    /// Another kind of file, or a path that vanished, was replaced or became
    /// unreadable (or stopped being so) on either side.
    TypeChanged {
        /// In the baseline.
        from: Kind,
        /// Now.
        to: Kind,
    },
}

/// One path that differs from the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The host path bytes.
    pub path: Vec<u8>,
    /// How.
    pub kind: ChangeKind,
    /// A regular file now setuid that was not (or is new and setuid).
    pub new_setuid: bool,
    /// A regular file now setgid that was not (or is new and setgid).
    pub new_setgid: bool,
    /// A file capability that is new or different.
    pub new_caps: bool,
}

impl Change {
    /// The path as text (invalid UTF-8 replaced).
    pub fn display_path(&self) -> String {
        String::from_utf8_lossy(&self.path).into_owned()
    }
}

fn flags(before: Option<&EntryRef<'_>>, now: &EntryRef<'_>) -> (bool, bool, bool) {
    let file = |e: &EntryRef<'_>| e.kind() == Kind::File;
    let new_setuid = file(now) && now.is_setuid() && !before.is_some_and(|b| b.is_setuid());
    let new_setgid = file(now) && now.is_setgid() && !before.is_some_and(|b| b.is_setgid());
    let new_caps = now.caps().is_some() && before.and_then(|b| b.caps()) != now.caps();
    (new_setuid, new_setgid, new_caps)
}

/// The attribute names that differ between two entries of the same kind.
fn differing(a: &EntryRef<'_>, b: &EntryRef<'_>) -> Vec<&'static str> {
    let both = Attrs(a.attrs.0 & b.attrs.0);
    let mut out = Vec::new();
    let mut check = |bit: Attrs, name: &'static str, differs: bool| {
        if both.contains(bit) && differs {
            out.push(name);
        }
    };
    check(Attrs::SIZE, "size", a.size != b.size);
    check(Attrs::MODE, "mode", a.mode != b.mode);
    check(Attrs::UID, "uid", a.uid != b.uid);
    check(Attrs::GID, "gid", a.gid != b.gid);
    check(Attrs::INODE, "inode", a.ino != b.ino);
    check(Attrs::NLINK, "nlink", a.nlink != b.nlink);
    check(
        Attrs::MTIME,
        "mtime",
        (a.mtime_sec, a.mtime_nsec) != (b.mtime_sec, b.mtime_nsec),
    );
    check(
        Attrs::CTIME,
        "ctime",
        (a.ctime_sec, a.ctime_nsec) != (b.ctime_sec, b.ctime_nsec),
    );
    check(Attrs::TARGET, "target", a.target() != b.target());
    check(Attrs::CAPS, "caps", a.caps() != b.caps());
    // Digests compare only when both sides hashed with the same algorithm.
    if a.attrs.wants_digest()
        && b.attrs.wants_digest()
        && let (Some((alg_a, da)), Some((alg_b, db))) = (a.digest(), b.digest())
        && alg_a == alg_b
        && da != db
    {
        out.push("digest");
    }
    out
}

fn change_of(before: &EntryRef<'_>, now: &EntryRef<'_>) -> Option<Change> {
    let kind = if before.kind() != now.kind() {
        ChangeKind::TypeChanged {
            from: before.kind(),
            to: now.kind(),
        }
    } else {
        let attrs = differing(before, now);
        if attrs.is_empty() {
            return None;
        }
        ChangeKind::Changed { attrs }
    };
    let (new_setuid, new_setgid, new_caps) = flags(Some(before), now);
    Some(Change {
        path: now.path().to_vec(),
        kind,
        new_setuid,
        new_setgid,
        new_caps,
    })
}

/// Walk two path-sorted sets together: `f(baseline entry, current entry)` per path.
fn merge_walk<'a>(
    baseline: &'a Entries,
    now: &'a Entries,
    mut f: impl FnMut(Option<EntryRef<'a>>, Option<EntryRef<'a>>),
) {
    let mut a = baseline.iter().peekable();
    let mut b = now.iter().peekable();
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => return,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => x.path().cmp(y.path()),
        };
        match order {
            Ordering::Less => f(a.next(), None),
            Ordering::Greater => f(None, b.next()),
            Ordering::Equal => f(a.next(), b.next()),
        }
    }
}

/// Every path that differs between `baseline` and `now` (both sorted by path), in path order.
pub fn compare(baseline: &Entries, now: &Entries) -> Vec<Change> {
    let mut out = Vec::new();
    merge_walk(baseline, now, |before, current| match (before, current) {
        (Some(b), Some(n)) => out.extend(change_of(&b, &n)),
        (Some(b), None) => out.push(Change {
            path: b.path().to_vec(),
            kind: ChangeKind::Removed,
            new_setuid: false,
            new_setgid: false,
            new_caps: false,
        }),
        (None, Some(n)) => {
            let (new_setuid, new_setgid, new_caps) = flags(None, &n);
            out.push(Change {
                path: n.path().to_vec(),
                kind: ChangeKind::Added,
                new_setuid,
                new_setgid,
                new_caps,
            });
        }
        (None, None) => {}
    });
    out
}

/// The baseline after accepting changes (`fim accept`): with `paths` `None`
/// every change (the result is `now`); else the current state of exactly
/// those paths (added, changed or removed) and the baseline's entry for every
/// other path. The result stays sorted by path.
pub fn apply_accepted(baseline: &Entries, now: &Entries, paths: Option<&[Vec<u8>]>) -> Entries {
    let mut wanted: Option<Vec<&[u8]>> = paths.map(|ps| ps.iter().map(Vec::as_slice).collect());
    if let Some(w) = wanted.as_mut() {
        w.sort_unstable();
        w.dedup();
    }
    let accepted = |p: &[u8]| wanted.as_ref().is_none_or(|w| w.binary_search(&p).is_ok());
    let mut out = Entries::with_capacity(now.len().max(baseline.len()), 0);
    let mut keep = |e: EntryRef<'_>| {
        out.push(e.entry.clone(), e.path(), e.target(), e.caps());
    };
    merge_walk(baseline, now, |before, current| {
        let path = before.or(current).map(|e| e.path()).unwrap_or_default();
        let chosen = if accepted(path) { current } else { before };
        if let Some(e) = chosen {
            keep(e);
        }
    });
    out.shrink_to_fit();
    out
}
