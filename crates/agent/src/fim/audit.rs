//! The file-integrity checks of `run` and `fim check`: the accepted baseline
//! against a fresh scan, turned into `fim.*` findings.
//!
//! - `fim.baseline-invalid` (critical): the baseline's signature, body digest,
//!   format or chain fails; it is never used, and the other checks say why.
//! - `fim.unexplained-change` (high; critical under `/bin`, `/sbin`, `/usr/bin`,
//!   `/usr/sbin`, `/boot`, and for PAM, sudoers and SSH configuration): one
//!   finding per path that was added, removed, changed or changed type.
//! - `fim.new-setuid`, `fim.new-capability` (high): a file that became setuid
//!   or setgid, or gained a file capability.
//!
//! A directory whose only changes are its times, size or link count is not
//! reported: those follow from entries added or removed, which are.
//!
//! Without a baseline every check says "could not run" and nothing is scanned,
//! so `run` stays fast until `selfcheck-agent fim init` has been run.

use super::baseline::{BaselineError, Manifest, load_baseline};
use super::diff::{Change, ChangeKind, compare};
use super::scan::{ScanOptions, ScanResult, scan};
use super::scope::Scope;
use super::{Entries, Kind};
use crate::audit::{AuditOutput, CheckCollector};
use crate::root::HostRoot;
use crate::state::StateDir;
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::{Catalog, CatalogError, CheckDef};
use selfcheck_report::{AgentKey, FileChange, FileIntegrity, Severity};

/// The catalog area whose checks [`audit`] runs.
pub const AREA: &str = "fim";

const CHANGE: &str = "fim.unexplained-change";
const INVALID: &str = "fim.baseline-invalid";
const SETUID: &str = "fim.new-setuid";
const CAPS: &str = "fim.new-capability";

/// Paths whose unexplained change is critical rather than high.
const CRITICAL_PREFIXES: &[&str] = &[
    "/bin/",
    "/sbin/",
    "/usr/bin/",
    "/usr/sbin/",
    "/boot/",
    "/etc/pam.d/",
    "/etc/sudoers",
    "/etc/ssh/",
];

/// Run the `fim` checks; `None` for the comparison when there was no usable baseline.
pub fn audit(
    root: &HostRoot,
    catalog: &Catalog,
    state: &StateDir,
    key: &AgentKey,
    asset_key: &str,
    now: DateTime<FixedOffset>,
    threads: usize,
) -> Result<(AuditOutput, Option<FileIntegrity>), CatalogError> {
    let defs: Vec<&CheckDef> = catalog.area(AREA).collect();
    let all: Vec<&str> = defs.iter().map(|d| d.id.as_str()).collect();
    let mut o = CheckCollector::new(&defs, asset_key, now);
    let others: Vec<&str> = all.iter().copied().filter(|c| *c != INVALID).collect();
    let (baseline, manifest) = match load_baseline(state, key) {
        Ok(Some(b)) => b,
        Ok(None) => {
            o.could_not_run(
                &all,
                "no file-integrity baseline yet: run `selfcheck-agent fim init` on this host first",
            );
            return Ok((o.finish(), None));
        }
        Err(e) if e.is_invalid() => {
            o.finding(
                INVALID,
                "baseline".into(),
                Some(Severity::Critical),
                vec![e.to_string()],
            );
            o.could_not_run(
                &others,
                &format!("the baseline is not used because it failed verification: {e}"),
            );
            return Ok((o.finish(), None));
        }
        Err(e) => {
            o.could_not_run(&all, &format!("cannot read the baseline: {e}"));
            return Ok((o.finish(), None));
        }
    };
    let scope = Scope::from_catalog(catalog)?;
    let result = scan(
        root,
        &scope,
        &ScanOptions {
            threads,
            ..Default::default()
        },
    );
    let changes: Vec<Change> = compare(&baseline, &result.entries)
        .into_iter()
        .filter(|c| !is_directory_bookkeeping(c, &result.entries))
        .collect();
    for c in &changes {
        let path = c.display_path();
        let risk = if CRITICAL_PREFIXES
            .iter()
            .any(|p| path.starts_with(p) || path == p.trim_end_matches('/'))
        {
            Severity::Critical
        } else {
            Severity::High
        };
        o.finding(CHANGE, path.clone(), Some(risk), vec![describe(c)]);
        if c.new_setuid || c.new_setgid {
            let what = match (c.new_setuid, c.new_setgid) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            o.finding(
                SETUID,
                path.clone(),
                None,
                vec![format!("{path} is now {what}")],
            );
        }
        if c.new_caps {
            o.finding(
                CAPS,
                path.clone(),
                None,
                vec![format!("{path} has a new or different file capability")],
            );
        }
    }
    let integrity = summary(&manifest, &result, &changes);
    Ok((o.finish(), Some(integrity)))
}

/// A directory whose only changes are its times, size or link count: that is
/// what adding or removing an entry does to it, and the entry itself is reported.
fn is_directory_bookkeeping(c: &Change, now: &Entries) -> bool {
    let ChangeKind::Changed { attrs } = &c.kind else {
        return false;
    };
    let is_dir = now.find(&c.path).is_some_and(|e| e.kind() == Kind::Dir);
    is_dir
        && attrs
            .iter()
            .all(|a| matches!(*a, "mtime" | "ctime" | "size" | "nlink"))
}

fn kind_name(k: Kind) -> String {
    match k {
        Kind::File => "file".into(),
        Kind::Dir => "directory".into(),
        Kind::Symlink => "symlink".into(),
        Kind::Fifo => "fifo".into(),
        Kind::Socket => "socket".into(),
        Kind::Char => "character device".into(),
        Kind::Block => "block device".into(),
        Kind::Vanished => "vanished".into(),
        Kind::Replaced => "replaced during the scan".into(),
        Kind::Unreadable { errno } => format!("unreadable (errno {errno})"),
    }
}

/// One line saying how a path changed.
pub fn describe(c: &Change) -> String {
    match &c.kind {
        ChangeKind::Added => "added since the baseline".into(),
        ChangeKind::Removed => "removed since the baseline".into(),
        ChangeKind::Changed { attrs } => format!("changed: {}", attrs.join(", ")),
        ChangeKind::TypeChanged { from, to } => {
            format!("was {}, now {}", kind_name(*from), kind_name(*to))
        }
    }
}

/// A change as the report records it.
pub fn to_report(c: &Change) -> FileChange {
    let (change, details) = match &c.kind {
        ChangeKind::Added => ("added", Vec::new()),
        ChangeKind::Removed => ("removed", Vec::new()),
        ChangeKind::Changed { attrs } => ("changed", attrs.iter().map(|a| a.to_string()).collect()),
        ChangeKind::TypeChanged { from, to } => (
            "type-changed",
            vec![format!("{} -> {}", kind_name(*from), kind_name(*to))],
        ),
    };
    FileChange {
        path: c.display_path(),
        path_hex: std::str::from_utf8(&c.path)
            .is_err()
            .then(|| hex::encode(&c.path)),
        change: change.into(),
        details,
        new_setuid: c.new_setuid,
        new_setgid: c.new_setgid,
        new_caps: c.new_caps,
    }
}

fn summary(manifest: &Manifest, result: &ScanResult, changes: &[Change]) -> FileIntegrity {
    FileIntegrity {
        baseline_created_at: manifest.created_at.clone(),
        baseline_digest: format!("sha256:{}", manifest.body_sha256),
        files: result.stats.files,
        dirs: result.stats.dirs,
        bytes_hashed: result.stats.bytes_hashed,
        scan_millis: (result.stats.seconds * 1000.0).round() as u64,
        peak_rss_kib: peak_rss_kib(),
        changes: changes.iter().map(to_report).collect(),
    }
}

/// This process's peak resident memory (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Scan the host for a new baseline (used by `fim init` and `fim accept`).
pub fn scan_for_baseline(
    root: &HostRoot,
    catalog: &Catalog,
    threads: usize,
) -> Result<ScanResult, CatalogError> {
    let scope = Scope::from_catalog(catalog)?;
    Ok(scan(
        root,
        &scope,
        &ScanOptions {
            threads,
            ..Default::default()
        },
    ))
}

/// The baseline entries (for `fim accept`), or the reason it cannot be used.
pub fn accepted_baseline(state: &StateDir, key: &AgentKey) -> Result<Entries, String> {
    match load_baseline(state, key) {
        Ok(Some((entries, _))) => Ok(entries),
        Ok(None) => Err("there is no baseline yet: run `selfcheck-agent fim init` first".into()),
        Err(e @ BaselineError::Io { .. }) => Err(e.to_string()),
        Err(e) => Err(format!(
            "{e}; nothing can be accepted into a baseline that fails verification"
        )),
    }
}
