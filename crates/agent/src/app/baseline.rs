//! The configuration baseline alone (`selfcheck-agent baseline`): the
//! baseline area with the host's profile applied, without a report.

use super::run::{RunError, open_root};
use crate::areas::baseline::BaselineArea;
use crate::audit::{Area, AuditCtx, AuditOutput, Clock};
use crate::config::AgentConfig;
use crate::host::read_identity;
use crate::profile::Profile;
use selfcheck_catalog::Catalog;
use selfcheck_report::ProtectionLevel;
use std::path::PathBuf;

/// What the baseline needs to know.
#[derive(Clone)]
pub struct BaselineOptions {
    /// `--root DIR`, or `None` for the live host.
    pub root: Option<PathBuf>,
    /// `--checks DIR` instead of the embedded catalog.
    pub checks_dir: Option<PathBuf>,
    /// `--config FILE` instead of the default configuration path.
    pub config: Option<PathBuf>,
    /// `--level`, over the config's `baseline.level`.
    pub level: Option<ProtectionLevel>,
    /// Where the audit's time comes from.
    pub clock: &'static dyn Clock,
}

/// The baseline's outcome, with what presenting it needs.
#[derive(Debug)]
pub struct BaselineResult {
    /// The catalog the checks came from.
    pub catalog: Catalog,
    /// The protection level the profile applied.
    pub level: ProtectionLevel,
    /// Checks and findings, the profile applied.
    pub output: AuditOutput,
    /// Things the operator should know that are not findings (expired exceptions).
    pub notes: Vec<String>,
}

/// Run the baseline area and apply the host's profile.
pub fn run_baseline(opts: &BaselineOptions) -> Result<BaselineResult, RunError> {
    let root = open_root(opts.root.as_deref())?;
    let catalog = Catalog::embedded_or_dir(opts.checks_dir.as_deref())?;
    let now = opts.clock.now();
    let config = AgentConfig::load(opts.config.as_deref())?;
    let profile = Profile::new(&config.baseline, opts.level, &catalog)?;
    let host = read_identity(&root)?;
    let asset_key = host.asset_key();
    let clock = crate::audit::FixedClock(now);
    let ctx = AuditCtx {
        root: &root,
        catalog: &catalog,
        os: &host.os,
        asset_key: &asset_key,
        clock: &clock,
    };
    let mut output = BaselineArea.audit(&ctx)?.output;
    let notes = profile.apply(&mut output, &catalog, now.date_naive());
    Ok(BaselineResult {
        level: profile.level,
        catalog,
        output,
        notes,
    })
}
