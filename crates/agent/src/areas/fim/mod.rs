//! File integrity monitoring (FIM): the scan engine.
//!
//! [`scope`] reads what to watch from the catalog check `fim.unexplained-change`
//! (`checks/fim.toml`), [`scan`] walks it below a [`selfcheck_hostfs::root::HostRoot`]
//! without following links and hashes file contents in parallel, and [`entry`]
//! holds the results compactly (one byte arena for all paths). [`baseline`]
//! stores a scan's entries as a signed, chained baseline in the state
//! directory, and [`diff`] compares a scan with it and builds the baseline that
//! accepts changes.

pub mod attrs;
pub mod audit;
pub mod baseline;
pub mod cap;
pub mod cfg;
pub mod diff;
pub mod entry;
pub mod explain;
pub mod scan;
pub mod scope;
pub mod verify;

pub use attrs::Attrs;
pub use baseline::{
    Acceptance, BaselineError, BaselineInfo, Manifest, load_baseline, write_baseline,
};
pub use diff::{Change, ChangeKind, apply_accepted, compare};
pub use entry::{DigestAlg, Entries, Entry, EntryRef, Kind};
pub use scan::{ScanOptions, ScanResult, ScanStats, scan};
pub use scope::{Pattern, Rule, Scope};

use crate::audit::{Area, AreaOutput, AuditCtx};
use crate::state::StateDir;
use scan::ScanProgress;
use selfcheck_catalog::CatalogError;
use selfcheck_report::{AgentKey, Inventory};
use std::sync::Arc;

/// The file-integrity area behind the [`Area`] trait: it needs the state
/// directory and key of this run, where its signed baselines are kept, and
/// its `[fim]` section of the agent configuration.
pub struct FimArea<'a> {
    /// The `[fim]` section: host rules, exclusions, digest.
    pub config: &'a cfg::FimConfig,
    /// The agent's state directory.
    pub state: &'a StateDir,
    /// The agent's signing key.
    pub key: &'a AgentKey,
    /// Hashing threads; 0 uses every core.
    pub threads: usize,
    /// Counters for a progress bar.
    pub progress: Option<Arc<ScanProgress>>,
    /// Take the baseline when there is none yet (`run` without `--no-fim-init`).
    pub init_missing: bool,
}

impl Area for FimArea<'_> {
    fn id(&self) -> selfcheck_catalog::Area {
        audit::AREA
    }

    fn audit(&self, ctx: &AuditCtx<'_>) -> Result<AreaOutput, CatalogError> {
        let (output, integrity) = audit::audit(
            ctx.root,
            ctx.catalog,
            self.state,
            self.key,
            ctx.asset_key,
            ctx.clock.now(),
            &audit::FimOptions {
                threads: self.threads,
                digest: None,
                config: Some(self.config),
                progress: self.progress.clone(),
                init_missing: self.init_missing,
            },
        )?;
        Ok(AreaOutput {
            output,
            inventory: Inventory {
                file_integrity: integrity,
                ..Inventory::default()
            },
        })
    }
}
