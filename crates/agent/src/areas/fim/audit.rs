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
//! - `fim.baseline-created` (info): there was no baseline, and this run took
//!   one ([`FimOptions::init_missing`], what `run` does unless `--no-fim-init`);
//!   the month's record shows when the comparison's starting point was taken.
//!
//! Without a baseline and without `init_missing` every check says "could not
//! run" and nothing is scanned.

use super::baseline::{Acceptance, BaselineError, Manifest, load_baseline, write_baseline};
use super::cap;
use super::cfg::FimConfig;
use super::diff::{Change, ChangeKind, apply_accepted, compare};
use super::explain::{explain, mark_package_owned};
use super::scan::{ScanOptions, ScanProgress, ScanResult, scan};
use super::scope::{HostScope, Scope};
use super::{DigestAlg, Entries, Kind};
use crate::audit::{AuditOutput, CheckCollector};
use crate::state::StateDir;
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::checks::{
    FIM_BASELINE_CREATED, FIM_BASELINE_INVALID, FIM_NEW_CAPABILITY, FIM_NEW_SETUID,
    FIM_PACKAGE_UPDATE, FIM_UNEXPLAINED_CHANGE,
};
use selfcheck_catalog::{Catalog, CatalogError, CheckDef};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::files::PackageFiles;
use selfcheck_report::{AgentKey, FileChange, FileIntegrity, Severity};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The catalog area whose checks [`audit`] runs.
pub const AREA: selfcheck_catalog::Area = selfcheck_catalog::Area::Fim;

/// Changed paths listed in one package-update finding (the report's change list has all).
const MAX_EVIDENCE_LINES: usize = 20;

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

/// How the file-integrity checks run.
#[derive(Clone, Default)]
pub struct FimOptions<'a> {
    /// Hashing threads; 0 uses every core.
    pub threads: usize,
    /// `--digest`: the digest of a new baseline (a comparison uses the baseline's own).
    pub digest: Option<DigestAlg>,
    /// The `[fim]` section of the agent config.
    pub config: Option<&'a FimConfig>,
    /// Counters for a progress bar.
    pub progress: Option<Arc<ScanProgress>>,
    /// When there is no baseline yet, take one now (and report
    /// `fim.baseline-created`) instead of saying the checks could not run.
    pub init_missing: bool,
}

impl FimOptions<'_> {
    /// The digest a new baseline uses: `--digest`, else the config's, else SHA-256.
    pub fn new_baseline_digest(&self) -> Result<DigestAlg, String> {
        Ok(match self.digest {
            Some(d) => d,
            None => self.host_scope()?.digest.unwrap_or_default(),
        })
    }

    fn host_scope(&self) -> Result<HostScope, String> {
        self.config
            .map(HostScope::from_config)
            .transpose()
            .map(Option::unwrap_or_default)
    }
}

/// A scan of the host's scope (catalog plus host config), with each entry
/// marked as package-owned or not, and the package file database when the
/// host has one.
pub struct HostScan {
    /// The scan.
    pub result: ScanResult,
    /// The package manager's file records, when they could be read.
    pub package_files: Option<PackageFiles>,
    /// Why the package records could not be used, when they could not.
    pub package_problem: Option<String>,
}

/// Scan the host's scope with `digest`, every entry marked as package-owned
/// or not (for a new baseline: `fim init`, `fim accept`).
pub fn scan_host(
    root: &HostRoot,
    catalog: &Catalog,
    opts: &FimOptions<'_>,
    digest: DigestAlg,
) -> Result<HostScan, CatalogError> {
    let mut result = scan_scope(root, catalog, opts, digest)?;
    let (package_files, package_problem) = package_records(root, &mut result.entries);
    Ok(HostScan {
        result,
        package_files,
        package_problem,
    })
}

/// Scan the host's scope (catalog plus host config) with `digest`.
fn scan_scope(
    root: &HostRoot,
    catalog: &Catalog,
    opts: &FimOptions<'_>,
    digest: DigestAlg,
) -> Result<ScanResult, CatalogError> {
    let host = opts.host_scope().map_err(|message| CatalogError {
        file: "agent config".into(),
        check: Some(FIM_UNEXPLAINED_CHANGE.as_str().into()),
        key: Some("fim".into()),
        message,
    })?;
    let scope = Scope::from_catalog(catalog)?.with_host_changes(host.rules, host.exclude);
    Ok(scan(
        root,
        &scope,
        &ScanOptions {
            threads: opts.threads,
            digest,
            progress: opts.progress.clone(),
            ..Default::default()
        },
    ))
}

/// The package manager's file records, with `entries` marked as package-owned
/// or not; or why there are none.
fn package_records(
    root: &HostRoot,
    entries: &mut Entries,
) -> (Option<PackageFiles>, Option<String>) {
    match PackageFiles::load(root) {
        Ok(Some(files)) => {
            mark_package_owned(entries, &files);
            (Some(files), None)
        }
        Ok(None) => (
            None,
            Some("the host has no dpkg or rpm database".to_string()),
        ),
        Err(e) => (None, Some(e)),
    }
}

/// The digest algorithm a baseline's content digests use (SHA-256 when it has none).
pub fn baseline_digest(baseline: &Entries) -> DigestAlg {
    baseline
        .iter()
        .find_map(|e| e.digest().map(|(alg, _)| alg))
        .unwrap_or_default()
}

/// Run the `fim` checks; `None` for the comparison when there was no usable baseline.
#[allow(clippy::too_many_arguments)]
pub fn audit(
    root: &HostRoot,
    catalog: &Catalog,
    state: &StateDir,
    key: &AgentKey,
    asset_key: &str,
    now: DateTime<FixedOffset>,
    opts: &FimOptions<'_>,
) -> Result<(AuditOutput, Option<FileIntegrity>), CatalogError> {
    let defs: Vec<&CheckDef> = catalog.area(AREA).collect();
    let all: Vec<&str> = defs.iter().map(|d| d.id.as_str()).collect();
    let mut o = CheckCollector::new(&defs, asset_key, now);
    let others: Vec<&str> = all
        .iter()
        .copied()
        .filter(|c| *c != FIM_BASELINE_INVALID.as_str())
        .collect();
    let (baseline, manifest) = match load_baseline(state, key) {
        Ok(Some(b)) => b,
        Ok(None) if opts.init_missing => {
            let integrity = take_first_baseline(root, catalog, state, key, opts, &mut o)?;
            return Ok((o.finish(), integrity));
        }
        Ok(None) => {
            o.could_not_run(
                &all,
                "no file-integrity baseline yet: run `selfcheck-agent fim init` on this host first",
            );
            return Ok((o.finish(), None));
        }
        Err(e) if e.is_invalid() => {
            o.finding(
                FIM_BASELINE_INVALID,
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
    let digest = baseline_digest(&baseline);
    if let Some(wanted) = opts.digest
        && wanted != digest
    {
        o.could_not_run(
            &others,
            &format!(
                "the baseline uses {}, not {}: compare without --digest, or make a new {} baseline with `selfcheck-agent fim init --digest {}`",
                digest.name(),
                wanted.name(),
                wanted.name(),
                wanted.name()
            ),
        );
        return Ok((o.finish(), None));
    }
    let mut result = scan_scope(root, catalog, opts, digest)?;
    let changes: Vec<Change> = compare(&baseline, &result.entries)
        .into_iter()
        .filter(|c| !is_directory_bookkeeping(c, &result.entries))
        .collect();
    // The package records only matter when something changed.
    let (package_files, package_problem) = if changes.is_empty() {
        (None, None)
    } else {
        package_records(root, &mut result.entries)
    };
    let explained: Vec<Option<String>> = changes
        .iter()
        .map(|c| {
            package_files
                .as_ref()
                .and_then(|f| explain(root, f, &baseline, &result.entries, c))
        })
        .collect();
    let listed = cap::listed(&changes, cap::MAX_LISTED_PER_KIND);
    let summarised = listed.iter().any(|l| !l).then(|| {
        cap::summarise(
            state,
            &changes,
            &explained,
            cap::MAX_LISTED_PER_KIND,
            describe,
        )
    });
    let mut unlisted = Unlisted::default();
    let mut by_package: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for ((c, why), listed) in changes.iter().zip(&explained).zip(&listed) {
        let path = c.display_path();
        if let Some(why) = why {
            by_package
                .entry(why.as_str())
                .or_default()
                .push(format!("{path}: {}", describe(c)));
            continue;
        }
        let risk = if CRITICAL_PREFIXES
            .iter()
            .any(|p| path.starts_with(p) || path == p.trim_end_matches('/'))
        {
            Severity::Critical
        } else {
            Severity::High
        };
        if !listed {
            unlisted.count(c, risk);
            continue;
        }
        o.finding(
            FIM_UNEXPLAINED_CHANGE,
            path.clone(),
            Some(risk),
            vec![describe(c)],
        );
        if c.new_setuid || c.new_setgid {
            let what = match (c.new_setuid, c.new_setgid) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            o.finding(
                FIM_NEW_SETUID,
                path.clone(),
                None,
                vec![format!("{path} is now {what}")],
            );
        }
        if c.new_caps {
            o.finding(
                FIM_NEW_CAPABILITY,
                path.clone(),
                None,
                vec![format!("{path} has a new or different file capability")],
            );
        }
    }
    let accept = opts
        .config
        .and_then(|c| c.accept_package_changes)
        .unwrap_or(true);
    let explained_paths: Vec<Vec<u8>> = changes
        .iter()
        .zip(&explained)
        .filter(|(_, why)| why.is_some())
        .map(|(c, _)| c.path.clone())
        .collect();
    let mut accepted_automatically = 0;
    let mut accept_note = None;
    if accept && !explained_paths.is_empty() {
        let new = apply_accepted(&baseline, &result.entries, Some(&explained_paths));
        let manager = package_files
            .as_ref()
            .map_or("package manager", |f| f.manager());
        let mut acceptance = Acceptance::new(
            &explained_paths,
            format!(
                "changed by package updates: the new content equals the digests {manager} recorded, or no installed package owns the removed path any more"
            ),
        );
        acceptance.by = "selfcheck-agent (package manager records)".into();
        match write_baseline(state, key, &new, vec![acceptance]) {
            Ok(_) => accepted_automatically = explained_paths.len() as u64,
            Err(e) => accept_note = Some(format!("could not take them into a new baseline: {e}")),
        }
    }
    for (why, lines) in by_package {
        let mut evidence = vec![format!(
            "{} path(s) changed by a package update ({}){}",
            lines.len(),
            why,
            if accepted_automatically > 0 {
                "; taken into the baseline automatically"
            } else {
                ""
            }
        )];
        evidence.extend(lines.into_iter().take(MAX_EVIDENCE_LINES));
        evidence.extend(accept_note.clone());
        let subject = why.split_once(": ").map_or(why, |(_, p)| p).to_string();
        o.finding(FIM_PACKAGE_UPDATE, subject, None, evidence);
    }
    if let Some(s) = &summarised {
        unlisted.report(&mut o, s);
    }
    let mut integrity = summary(&manifest, &result, &changes, &explained, &listed);
    integrity.summarised = summarised;
    integrity.digest = digest.name().into();
    integrity.accepted_automatically = accepted_automatically;
    integrity.package_records = match (&package_files, package_problem) {
        (Some(f), _) => Some(format!("{} ({} paths)", f.source(), f.len())),
        (None, Some(problem)) => Some(format!(
            "not used, so no change counts as a package update: {problem}"
        )),
        // Nothing changed, so there was nothing to explain.
        (None, None) => None,
    };
    Ok((o.finish(), Some(integrity)))
}

/// No baseline yet: scan the scope, write and sign the first baseline, and
/// record `fim.baseline-created`. The other checks pass: the host is, by
/// construction, what the baseline holds. When the baseline cannot be
/// written, every check could not run, with why.
fn take_first_baseline(
    root: &HostRoot,
    catalog: &Catalog,
    state: &StateDir,
    key: &AgentKey,
    opts: &FimOptions<'_>,
    o: &mut CheckCollector<'_>,
) -> Result<Option<FileIntegrity>, CatalogError> {
    let all: Vec<&str> = catalog.area(AREA).map(|d| d.id.as_str()).collect();
    let digest = match opts.new_baseline_digest() {
        Ok(d) => d,
        Err(e) => {
            o.could_not_run(
                &all,
                &format!("no baseline yet, and none could be taken: {e}"),
            );
            return Ok(None);
        }
    };
    let scanned = scan_host(root, catalog, opts, digest)?;
    let info = match write_baseline(state, key, &scanned.result.entries, Vec::new()) {
        Ok(info) => info,
        Err(e) => {
            o.could_not_run(
                &all,
                &format!("no baseline yet, and it could not be written: {e}"),
            );
            return Ok(None);
        }
    };
    let stats = &scanned.result.stats;
    // To the second: the exact time is in the manifest and the report's file_integrity.
    let taken_at = DateTime::parse_from_rfc3339(&info.manifest.created_at).map_or_else(
        |_| info.manifest.created_at.clone(),
        |t| t.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
    );
    o.finding(
        FIM_BASELINE_CREATED,
        "baseline".into(),
        None,
        vec![
            format!(
                "no baseline existed; this run took it at {taken_at}: {} files and {} directories, {} digests",
                stats.files,
                stats.dirs,
                digest.name()
            ),
            format!("signed baseline: {}", info.manifest_path.display()),
        ],
    );
    let mut integrity = summary(&info.manifest, &scanned.result, &[], &[], &[]);
    integrity.digest = digest.name().into();
    Ok(Some(integrity))
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
pub fn to_report(c: &Change, explained_by: Option<&str>) -> FileChange {
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
        explained_by: explained_by.map(str::to_string),
    }
}

/// The unexplained changes past the report's cap ([`cap::MAX_LISTED_PER_KIND`]
/// per kind): counted, and reported as one finding per check.
#[derive(Default)]
struct Unlisted {
    changes: usize,
    critical: bool,
    setuid: usize,
    caps: usize,
}

impl Unlisted {
    fn count(&mut self, c: &Change, risk: Severity) {
        self.changes += 1;
        self.critical |= risk == Severity::Critical;
        self.setuid += usize::from(c.new_setuid || c.new_setgid);
        self.caps += usize::from(c.new_caps);
    }

    /// One finding per check for what is not listed, naming the full list.
    fn report(&self, o: &mut CheckCollector<'_>, s: &selfcheck_report::ChangeSummary) {
        let place = format!(
            "the full list of all {} changes is {} ({})",
            s.total, s.full_list_file, s.full_list_sha256
        );
        let subject = "(changes past the report's list)".to_string();
        let cap = cap::MAX_LISTED_PER_KIND;
        if self.changes > 0 {
            let risk = if self.critical {
                Severity::Critical
            } else {
                Severity::High
            };
            o.finding(
                FIM_UNEXPLAINED_CHANGE,
                subject.clone(),
                Some(risk),
                vec![
                    format!(
                        "{} further unexplained changes: the report lists the first {cap} of each kind",
                        self.changes
                    ),
                    place.clone(),
                ],
            );
        }
        if self.setuid > 0 {
            o.finding(
                FIM_NEW_SETUID,
                subject.clone(),
                None,
                vec![
                    format!("{} further files became setuid or setgid", self.setuid),
                    place.clone(),
                ],
            );
        }
        if self.caps > 0 {
            o.finding(
                FIM_NEW_CAPABILITY,
                subject,
                None,
                vec![
                    format!(
                        "{} further files have a new or different file capability",
                        self.caps
                    ),
                    place,
                ],
            );
        }
    }
}

fn summary(
    manifest: &Manifest,
    result: &ScanResult,
    changes: &[Change],
    explained: &[Option<String>],
    listed: &[bool],
) -> FileIntegrity {
    FileIntegrity {
        baseline_created_at: manifest.created_at.clone(),
        baseline_digest: format!("sha256:{}", manifest.body_sha256),
        files: result.stats.files,
        dirs: result.stats.dirs,
        bytes_hashed: result.stats.bytes_hashed,
        scan_millis: (result.stats.seconds * 1000.0).round() as u64,
        peak_rss_kib: peak_rss_kib(),
        digest: DigestAlg::default().name().into(),
        accepted_automatically: 0,
        package_records: None,
        changes: changes
            .iter()
            .zip(explained)
            .zip(listed)
            .filter(|(_, listed)| **listed)
            .map(|((c, why), _)| to_report(c, why.as_deref()))
            .collect(),
        summarised: None,
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
