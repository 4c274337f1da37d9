//! File integrity outside a full run (`fim init`, `fim check`, `fim accept`,
//! `fim verify-packages`): each use case opens the host, the catalog, the
//! configuration and the state directory once and hands back what happened,
//! for the presenter to show.

use super::run::open_root;
use crate::areas::fim::audit::{
    FimOptions, accepted_baseline, audit, baseline_digest, describe, scan_host, to_report,
};
use crate::areas::fim::baseline::{Acceptance, load_baseline, set_aside, write_baseline};
use crate::areas::fim::scan::{ScanProgress, ScanStats};
use crate::areas::fim::verify::{VerifyResult, verify_packages};
use crate::areas::fim::{DigestAlg, apply_accepted, compare};
use crate::audit::AuditOutput;
use crate::config::AgentConfig;
use crate::host::read_identity;
use crate::state::StateDir;
use anyhow::{Result, anyhow, bail};
use selfcheck_catalog::Catalog;
use selfcheck_hostfs::HostRoot;
use selfcheck_pkgdb::files::PackageFiles;
use selfcheck_report::{AgentKey, FileIntegrity};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The host and the agent's own files a `fim` use case works on.
#[derive(Debug, Clone, Copy)]
pub struct FimTarget<'a> {
    /// `--root DIR`, or `None` for the live host.
    pub root: Option<&'a Path>,
    /// `--checks DIR` instead of the embedded catalog.
    pub checks_dir: Option<&'a Path>,
    /// `--config FILE` instead of the default configuration path.
    pub config: Option<&'a Path>,
    /// The agent's state directory, where the signed baselines are kept.
    pub state_dir: &'a Path,
}

/// What every baseline use case opens first.
struct Opened {
    root: HostRoot,
    catalog: Catalog,
    config: AgentConfig,
    state: StateDir,
    key: AgentKey,
}

impl Opened {
    fn open(target: &FimTarget<'_>) -> Result<Opened> {
        let root = open_root(target.root)?;
        let catalog = Catalog::embedded_or_dir(target.checks_dir)?;
        let config = AgentConfig::load(target.config)?;
        let state = StateDir::open(target.state_dir)?;
        let key = state.load_or_create_key()?;
        Ok(Opened {
            root,
            catalog,
            config,
            state,
            key,
        })
    }

    /// The scan options: the flags over the `[fim]` section.
    fn options(
        &self,
        threads: usize,
        digest: Option<DigestAlg>,
        progress: Option<Arc<ScanProgress>>,
    ) -> FimOptions<'_> {
        FimOptions {
            threads,
            digest,
            config: Some(&self.config.fim),
            progress,
            init_missing: false,
        }
    }
}

/// How `fim init` runs.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Hashing threads; 0 uses every core.
    pub threads: usize,
    /// Move an invalid current baseline aside (kept as evidence) and start a new chain.
    pub set_aside_invalid: bool,
    /// `--digest`, over the config's `fim.digest`.
    pub digest: Option<DigestAlg>,
    /// Counters of the scan, for a progress bar.
    pub progress: Option<Arc<ScanProgress>>,
}

/// What `fim init` did.
#[derive(Debug, Clone)]
pub struct InitResult {
    /// Where an invalid baseline was moved, when one was.
    pub set_aside: Option<PathBuf>,
    /// Entries in the new baseline.
    pub entries: usize,
    /// The scan's counters.
    pub stats: ScanStats,
    /// The content digest of the new baseline.
    pub digest: DigestAlg,
    /// The signed manifest written.
    pub manifest_path: PathBuf,
}

/// `fim init`: scan the scope and write a new signed baseline, chained to the
/// current one (which must verify, unless `set_aside_invalid`).
pub fn init(target: &FimTarget<'_>, opts: InitOptions) -> Result<InitResult> {
    let o = Opened::open(target)?;
    let mut set_aside_to = None;
    if let Err(e) = load_baseline(&o.state, &o.key)
        && e.is_invalid()
    {
        if !opts.set_aside_invalid {
            bail!(
                "{e}\nthe current baseline is kept as evidence; rerun with --set-aside-invalid to move it aside and start a new chain"
            );
        }
        set_aside_to = Some(set_aside(&o.state)?);
    }
    let scan_opts = o.options(opts.threads, opts.digest, opts.progress);
    let alg = scan_opts.new_baseline_digest().map_err(|e| anyhow!(e))?;
    let result = scan_host(&o.root, &o.catalog, &scan_opts, alg)?.result;
    let info = write_baseline(&o.state, &o.key, &result.entries, Vec::new())?;
    Ok(InitResult {
        set_aside: set_aside_to,
        entries: result.entries.len(),
        stats: result.stats,
        digest: alg,
        manifest_path: info.manifest_path,
    })
}

/// How `fim check` runs.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Hashing threads; 0 uses every core.
    pub threads: usize,
    /// Refuse to compare unless the baseline uses this digest.
    pub digest: Option<DigestAlg>,
    /// Counters of the scan, for a progress bar.
    pub progress: Option<Arc<ScanProgress>>,
}

/// What `fim check` found.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The file-integrity checks and their findings.
    pub output: AuditOutput,
    /// The comparison with the baseline, when there is one.
    pub integrity: Option<FileIntegrity>,
}

/// `fim check`: compare the host with the accepted baseline.
/// Without a baseline there is nothing to compare with: an error naming the
/// command that makes one (a check that silently compares nothing would pass).
pub fn check(target: &FimTarget<'_>, opts: CheckOptions) -> Result<CheckResult> {
    let o = Opened::open(target)?;
    if matches!(load_baseline(&o.state, &o.key), Ok(None)) {
        bail!(
            "there is no file-integrity baseline in {} yet, so there is nothing to compare with; \
make one with `selfcheck-agent fim init` (a `run` also takes it when there is none)",
            o.state.path().display()
        );
    }
    let host = read_identity(&o.root)?;
    let now = chrono::Local::now().fixed_offset();
    let scan_opts = o.options(opts.threads, opts.digest, opts.progress);
    let (output, integrity) = audit(
        &o.root,
        &o.catalog,
        &o.state,
        &o.key,
        &host.asset_key(),
        now,
        &scan_opts,
    )?;
    Ok(CheckResult { output, integrity })
}

/// How `fim accept` runs.
#[derive(Debug, Clone, Default)]
pub struct AcceptOptions {
    /// Accept every change.
    pub all: bool,
    /// The host paths whose changes are accepted (without `all`).
    pub paths: Vec<PathBuf>,
    /// Why the changes are acceptable.
    pub reason: String,
    /// Hashing threads; 0 uses every core.
    pub threads: usize,
    /// Counters of the scan, for a progress bar.
    pub progress: Option<Arc<ScanProgress>>,
}

/// One change taken into the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedChange {
    /// The path as the report names it.
    pub path: String,
    /// What changed, in words.
    pub what: String,
}

/// What `fim accept` did.
#[derive(Debug, Clone)]
pub struct AcceptResult {
    /// The accepted changes, in the order of the comparison.
    pub changes: Vec<AcceptedChange>,
    /// How many paths the new baseline records as accepted.
    pub accepted: usize,
    /// The signed manifest written.
    pub manifest_path: PathBuf,
}

/// `fim accept`: take reviewed changes into a new baseline that records who
/// accepted which paths and why.
pub fn accept(target: &FimTarget<'_>, opts: AcceptOptions) -> Result<AcceptResult> {
    let o = Opened::open(target)?;
    if opts.reason.trim().is_empty() {
        bail!("--reason must say why the changes are acceptable");
    }
    if !opts.all && opts.paths.is_empty() {
        bail!("name the paths to accept, or --all to accept every change");
    }
    let baseline = accepted_baseline(&o.state, &o.key).map_err(|e| anyhow!(e))?;
    let scan_opts = o.options(opts.threads, None, opts.progress);
    let result = scan_host(&o.root, &o.catalog, &scan_opts, baseline_digest(&baseline))?.result;
    let changes = compare(&baseline, &result.entries);
    let wanted: Vec<Vec<u8>> = opts
        .paths
        .iter()
        .map(|p| p.as_os_str().as_bytes().to_vec())
        .collect();
    let accepted: Vec<Vec<u8>> = if opts.all {
        changes.iter().map(|c| c.path.clone()).collect()
    } else {
        for w in &wanted {
            if !changes.iter().any(|c| &c.path == w) {
                bail!(
                    "{} has not changed since the baseline; nothing to accept for it",
                    String::from_utf8_lossy(w)
                );
            }
        }
        wanted.clone()
    };
    let new = apply_accepted(
        &baseline,
        &result.entries,
        if opts.all { None } else { Some(&wanted) },
    );
    let info = write_baseline(
        &o.state,
        &o.key,
        &new,
        vec![Acceptance::new(&accepted, opts.reason)],
    )?;
    Ok(AcceptResult {
        changes: changes
            .iter()
            .filter(|c| accepted.contains(&c.path))
            .map(|c| AcceptedChange {
                path: to_report(c, None).path,
                what: describe(c),
            })
            .collect(),
        accepted: accepted.len(),
        manifest_path: info.manifest_path,
    })
}

/// What `fim verify-packages` found, with the package records it checked against.
#[derive(Debug)]
pub struct Verified {
    /// The package manager's file records.
    pub files: PackageFiles,
    /// The files that differ, are missing or unreadable.
    pub result: VerifyResult,
}

/// `fim verify-packages`: every package-owned file against the digest its
/// package manager recorded; needs no baseline.
pub fn verify(root: Option<&Path>, threads: usize) -> Result<Verified> {
    let root = open_root(root)?;
    let files = PackageFiles::load(&root)
        .map_err(|e| anyhow!("cannot read the package database: {e}"))?
        .ok_or_else(|| {
            anyhow!(
                "{} has no package database (neither var/lib/dpkg/status nor an rpm database \
                 in var/lib/rpm or usr/lib/sysimage/rpm): there is nothing to verify against",
                root.dir().display()
            )
        })?;
    let result = verify_packages(&root, &files, threads);
    Ok(Verified { files, result })
}
