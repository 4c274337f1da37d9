//! The full audit of a host: every area behind the [`Area`] trait, assembled
//! once into a signed report.

use crate::areas::baseline::BaselineArea;
use crate::areas::fim::FimArea;
use crate::areas::patches::PatchesArea;
use crate::areas::ports::PortsArea;
use crate::audit::{Area, AuditCtx, AuditOutput, Clock};
use crate::config::{AgentConfig, ConfigError};
use crate::host::{IdentityError, read_identity};
use crate::profile::Profile;
use crate::state::{StateDir, StateError, random_bytes, write_file_atomically};
use selfcheck_catalog::{Catalog, CatalogError};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{
    AgentInfo, Inventory, Period, ProtectionLevel, Report, ReportError, ReportId, SCHEMA_VERSION,
    SignedReport,
};
use std::path::{Path, PathBuf};

/// What a run needs to know.
#[derive(Clone)]
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
    pub level: Option<ProtectionLevel>,
    /// When the host has no file-integrity baseline yet, take it in this run
    /// (reported as `fim.baseline-created`); `false` leaves the file-integrity
    /// checks unable to run until `fim init`.
    pub fim_init: bool,
    /// Where the audit's times come from ([`SystemClock`](crate::audit::SystemClock) for real runs).
    pub clock: &'static dyn Clock,
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
    /// The check catalog the audit ran, for presenting the report.
    pub catalog: Catalog,
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
    let started_at = opts.clock.now();
    let root = open_root(opts.root.as_deref())?;
    let catalog = Catalog::embedded_or_dir(opts.checks_dir.as_deref())?;
    let config = AgentConfig::load(opts.config.as_deref())?;
    let profile = Profile::new(&config.baseline, opts.level, &catalog)?;
    let state = StateDir::open(&opts.state_dir)?;
    let key = state.load_or_create_key()?;

    let host = read_identity(&root)?;
    let asset_key = host.asset_key();
    let ctx = AuditCtx {
        root: &root,
        catalog: &catalog,
        os: &host.os,
        asset_key: &asset_key,
        clock: opts.clock,
    };
    let ports = PortsArea {
        config: &config.ports,
    };
    let fim = FimArea {
        config: &config.fim,
        state: &state,
        key: &key,
        threads: opts.threads,
        progress: opts.fim_progress.clone(),
        init_missing: opts.fim_init,
    };
    let patches = PatchesArea {
        vuln_db: opts.vuln_db.clone(),
        config: &config.patches,
    };
    let areas: [&dyn Area; 4] = [&ports, &patches, &fim, &BaselineArea];
    let mut all = AuditOutput::default();
    let mut inventory = Inventory::default();
    for area in areas {
        let out = area.audit(&ctx)?;
        all.merge(out.output);
        merge_inventory(&mut inventory, out.inventory);
    }
    let notes = profile.apply(&mut all, &catalog, started_at.date_naive());
    let baseline_level = catalog
        .area(BaselineArea.id())
        .next()
        .map(|_| profile.level);

    let audit_limits = crate::visibility::audit_limits(
        opts.root.is_none(),
        nix::unistd::geteuid().as_raw(),
        inventory.listening_sockets.as_deref(),
        &all.checks,
    );
    let mut notes = notes;
    if !audit_limits.is_empty() {
        notes.push(format!(
            "this audit could not see everything (recorded in the report):
  - {}",
            audit_limits.join(
                "
  - "
            )
        ));
    }

    let finished_at = opts.clock.now();
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
        audit_limits,
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
        catalog,
    })
}

/// Each area fills its own part of the inventory; the first to fill a part keeps it.
fn merge_inventory(into: &mut Inventory, from: Inventory) {
    into.listening_sockets = into.listening_sockets.take().or(from.listening_sockets);
    into.packages = into.packages.take().or(from.packages);
    into.vulnerability_feed = into.vulnerability_feed.take().or(from.vulnerability_feed);
    into.file_integrity = into.file_integrity.take().or(from.file_integrity);
}
