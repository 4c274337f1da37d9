//! `baseline.world-writable`: files anyone may write, and world-writable
//! directories without the sticky bit, in system paths (GB/T 22239-2019
//! 8.1.4.2 e) f): access control on files).
//!
//! Each path of `params.paths` is walked below the root without following
//! symbolic links (a link's own mode is always 0777 and means nothing) and
//! without leaving the file system the path is on (so `/proc`-like pseudo file
//! systems and network mounts below it are skipped); paths under `/proc`,
//! `/sys`, `/dev` and `/run` are refused as parameters. A directory that
//! cannot be read is noted in the evidence, never fatal. The walk stops after
//! `params.max_entries` entries; what was found until then is reported and
//! the stop is said in the evidence (with nothing found, the check could not
//! run). One finding per walked path names at most `params.max_evidence`
//! entries and the total. A root with neither `/usr/bin` nor `/bin` is not
//! an installed system (a partial image) and could not run.

use super::super::{Problem, RuleResult};
use super::{param_paths, param_u64};
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Where software and configuration live; `/usr/share` and `/usr/include`
/// (data, about half of `/usr`) are left to `params.paths` to keep the walk short.
const DEFAULT_PATHS: &[&str] = &[
    "/etc",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/local",
    "/boot",
    "/var/spool/cron",
];

/// The check.
pub(crate) fn world_writable(
    root: &HostRoot,
    def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let paths = param_paths(def, "paths", DEFAULT_PATHS)?;
    let max_entries = param_u64(def, "max_entries", 1_000_000)?;
    let max_evidence = param_u64(def, "max_evidence", 20)? as usize;
    if let Some(p) = paths.iter().find(|p| {
        ["/proc", "/sys", "/dev", "/run"]
            .iter()
            .any(|x| p == x || p.starts_with(&format!("{x}/")))
    }) {
        return Err(format!(
            "{}; fix the check's params",
            def.param_error(
                "paths",
                format!("{p} is a pseudo file system, not system files")
            )
        ));
    }
    if !["/usr/bin", "/bin"].iter().any(|d| root.is_dir(d)) {
        return Err(
            "the audited root has neither /usr/bin nor /bin: not an installed system".to_string(),
        );
    }
    let budget = AtomicU64::new(max_entries);
    let mut walked_any = false;
    let mut problems = Vec::new();
    let mut stopped = false;
    for start in &paths {
        let Some(walk) = walk(root, start, &budget) else {
            continue;
        };
        walked_any = true;
        stopped |= walk.stopped;
        if walk.found.is_empty() {
            continue;
        }
        let mut found = walk.found;
        found.sort();
        let total = found.len();
        let mut evidence: Vec<String> = found.into_iter().take(max_evidence).collect();
        if total > max_evidence {
            evidence.push(format!("... {} more, {total} in all", total - max_evidence));
        }
        if !walk.unreadable.is_empty() {
            evidence.push(format!(
                "not read: {} ({} in all)",
                walk.unreadable
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
                walk.unreadable.len()
            ));
        }
        if walk.stopped {
            evidence.push(format!(
                "the walk stopped after {max_entries} entries (params.max_entries); more may exist"
            ));
        }
        problems.push(Problem {
            subject: start.clone(),
            evidence,
        });
    }
    if !walked_any {
        return Err(format!(
            "none of {} exists on the audited root",
            paths.join(", ")
        ));
    }
    if problems.is_empty() && stopped {
        return Err(format!(
            "the walk stopped after {max_entries} entries before covering {}; raise params.max_entries",
            paths.join(", ")
        ));
    }
    Ok(problems)
}

/// What one walk found.
#[derive(Default)]
struct Walk {
    found: Vec<String>,
    unreadable: Vec<String>,
    stopped: bool,
}

/// Walk `start` (a host path); `None` when it does not exist or is a link
/// (`/bin -> usr/bin` on merged-/usr systems: its target is walked as `/usr`).
/// The subtrees of its entries are shared out among up to one thread per
/// core: the walk waits on the kernel (one stat per entry), not on itself.
fn walk(root: &HostRoot, start: &str, budget: &AtomicU64) -> Option<Walk> {
    // Links in the start's parent are resolved as the host would, the start itself is not followed.
    let start = start.trim_end_matches('/');
    start.rsplit_once('/')?;
    let start_fs = root.resolve_keep_last(start).ok()?;
    let meta = std::fs::symlink_metadata(&start_fs).ok()?;
    if !meta.is_dir() {
        return None;
    }
    let dev = meta.dev();
    let mut out = Walk::default();
    check(start, &meta, &mut out.found);
    let mut subtrees = Vec::new();
    walk_dir(start, &start_fs, dev, budget, &mut out, &mut subtrees);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(subtrees.len().max(1));
    let next = AtomicUsize::new(0);
    let parts: Vec<Walk> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut part = Walk::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((host, dir)) = subtrees.get(i) else {
                            break;
                        };
                        let mut stack = vec![(host.clone(), dir.clone())];
                        while let Some((host, dir)) = stack.pop() {
                            walk_dir(&host, &dir, dev, budget, &mut part, &mut stack);
                        }
                    }
                    part
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    for p in parts {
        out.found.extend(p.found);
        out.unreadable.extend(p.unreadable);
        out.stopped |= p.stopped;
    }
    Some(out)
}

/// Check the entries of one directory; push its subdirectories on the
/// same file system onto `dirs`.
fn walk_dir(
    host: &str,
    dir: &std::path::Path,
    dev: u64,
    budget: &AtomicU64,
    out: &mut Walk,
    dirs: &mut Vec<(String, PathBuf)>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.unreadable.push(format!("{host}: {e}"));
            return;
        }
    };
    for entry in entries {
        let Ok(entry) = entry else {
            out.unreadable
                .push(format!("{host}: an entry could not be listed"));
            continue;
        };
        if budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1))
            .is_err()
        {
            out.stopped = true;
            return;
        }
        let name = entry.file_name();
        let child = format!("{host}/{}", String::from_utf8_lossy(name.as_bytes()));
        // d_type first: links are never stat'ed or followed.
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            continue;
        }
        let Ok(meta) = entry.metadata() else {
            out.unreadable.push(format!("{child}: cannot stat"));
            continue;
        };
        check(&child, &meta, &mut out.found);
        if meta.is_dir() && meta.dev() == dev {
            dirs.push((child, entry.path()));
        }
    }
}

/// Add `path` to `found` when anyone may write it (a directory: without the sticky bit).
fn check(path: &str, meta: &std::fs::Metadata, found: &mut Vec<String>) {
    let mode = meta.mode() & 0o7777;
    if mode & 0o002 == 0 {
        return;
    }
    let t = meta.file_type();
    let what = if t.is_dir() {
        if mode & 0o1000 != 0 {
            return;
        }
        "directory without the sticky bit"
    } else if t.is_file() {
        "file"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        return; // sockets are written to connect; their mode is the service's access rule
    } else if t.is_symlink() {
        return;
    } else {
        "device"
    };
    found.push(format!("{path}: world-writable {what}, mode {mode:04o}"));
}
