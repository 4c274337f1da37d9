//! One audit of a host: every area audit, assembled into a signed report.

use crate::areas::patches::{self, audit::PatchOptions};
use crate::areas::ports;
use crate::audit::AuditOutput;
use crate::config::{AgentConfig, ConfigError};
use crate::host::{IdentityError, read_identity};
use crate::profile::Profile;
use crate::state::{StateDir, StateError, random_bytes, write_file_atomically};
use chrono::{DateTime, FixedOffset, Local};
use selfcheck_catalog::{Catalog, CatalogError};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{
    AgentInfo, Inventory, Period, Report, ReportError, ReportId, SCHEMA_VERSION, SignedReport,
};
use std::path::{Path, PathBuf};

/// What a run needs to know.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `--root DIR`, or `None` for the live host.
    pub root: Option<PathBuf>,
    /// The agent's state directory (key, written reports).
    pub state_dir: PathBuf,
    /// `--checks DIR` instead of the embedded catalog.
    pub checks_dir: Option<PathBuf>,
    /// `--config FILE` instead of the default configuration path.
    pub config: Option<PathBuf>,
    /// Also write the signed report here.
    pub out: Option<PathBuf>,
    /// Inspection month; by default the month the audit starts in.
    pub period: Option<Period>,
    /// Offline OSV vulnerability feed (`--vuln-db`), over the config's `patches.vuln_db`.
    pub vuln_db: Option<PathBuf>,
    /// Hashing threads for the file-integrity check; 0 uses every core.
    pub threads: usize,
    /// Counters of the file-integrity scan, for a progress bar.
    pub fim_progress: Option<std::sync::Arc<crate::areas::fim::scan::ScanProgress>>,
    /// `--level`: the host's protection level, over the config's `baseline.level`.
    pub level: Option<u8>,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The signed report.
    pub signed: SignedReport,
    /// Where it was stored in the state directory.
    pub stored_at: PathBuf,
    /// The bytes of the report file.
    pub file_bytes: Vec<u8>,
    /// Things the operator should know that are not findings (expired exceptions).
    pub notes: Vec<String>,
}

/// Why a run failed before it could produce a report.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `--root` is not a usable directory.
    #[error("cannot audit root {path}: {source}")]
    Root {
        /// The directory given.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The check catalog is malformed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The agent configuration is malformed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The state directory or key is unusable.
    #[error(transparent)]
    State(#[from] StateError),
    /// The host identity could not be read.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The report could not be signed or encoded.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// An exception in the configuration names no catalog check.
    #[error(transparent)]
    Profile(#[from] crate::profile::UnknownCheck),
}

fn now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

/// Open the root given by `--root`, or the live host.
pub fn open_root(root: Option<&Path>) -> Result<HostRoot, RunError> {
    HostRoot::from_option(root).map_err(|source| RunError::Root {
        path: root
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/")),
        source,
    })
}

/// Audit the host, sign the report, store it in the state directory (and at `out`).
pub fn run_audit(opts: &RunOptions) -> Result<RunResult, RunError> {
    let started_at = now();
    let root = open_root(opts.root.as_deref())?;
    let catalog = Catalog::embedded_or_dir(opts.checks_dir.as_deref())?;
    let config = AgentConfig::load(opts.config.as_deref())?;
    let profile = Profile::new(&config.baseline, opts.level, &catalog)?;
    let state = StateDir::open(&opts.state_dir)?;
    let key = state.load_or_create_key()?;

    let host = read_identity(&root)?;
    let asset_key = host.asset_key();

    let mut all = AuditOutput::default();
    let mut inventory = Inventory::default();
    let (ports_out, sockets) = ports::audit(&root, &catalog, &config.ports, &asset_key, now())?;
    inventory.listening_sockets = sockets;
    merge(&mut all, ports_out);

    let patches = patches::audit::audit(
        &root,
        &catalog,
        PatchOptions {
            vuln_db: opts.vuln_db.as_deref(),
            config: &config.patches,
            os: &host.os,
            asset_key: &asset_key,
            now: now(),
        },
    )?;
    inventory.packages = patches.inventory;
    inventory.vulnerability_feed = patches.feed;
    merge(&mut all, patches.output);

    let (fim_out, integrity) = crate::areas::fim::audit::audit(
        &root,
        &catalog,
        &state,
        &key,
        &asset_key,
        now(),
        &crate::areas::fim::audit::FimOptions {
            threads: opts.threads,
            digest: None,
            config: Some(&config.fim),
            progress: opts.fim_progress.clone(),
        },
    )?;
    inventory.file_integrity = integrity;
    merge(&mut all, fim_out);

    merge(
        &mut all,
        crate::areas::baseline::audit(&root, &catalog, &asset_key, now()),
    );
    let notes = profile.apply(&mut all, &catalog, started_at.date_naive());
    let baseline_level = catalog
        .area(crate::areas::baseline::AREA)
        .next()
        .map(|_| profile.level);

    let finished_at = now();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        report_id: ReportId::from_random_bytes(random_bytes::<16>()?),
        agent: AgentInfo {
            name: "selfcheck-agent".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        host,
        audit_root: root.dir().display().to_string(),
        period: opts.period.unwrap_or_else(|| Period::of(&started_at)),
        started_at,
        finished_at,
        checks: all.checks,
        findings: all.findings,
        suppressed: all.suppressed,
        inventory,
        baseline_level,
    };
    let signed = key.sign(report)?;
    let file_bytes = signed.to_file_bytes()?;
    let stored_at =
        state.write_report(signed.report.period, &signed.report.report_id, &file_bytes)?;
    if let Some(out) = &opts.out {
        write_file_atomically(out, &file_bytes, 0o644)?;
    }
    Ok(RunResult {
        signed,
        stored_at,
        file_bytes,
        notes,
    })
}

fn merge(into: &mut AuditOutput, from: AuditOutput) {
    into.checks.extend(from.checks);
    into.findings.extend(from.findings);
    into.suppressed.extend(from.suppressed);
}
