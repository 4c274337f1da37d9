//! The patches area: the host's package database judged against the
//! `patches.*` checks of the catalog.

pub mod audit;
pub mod cfg;

use crate::audit::{Area, AreaOutput, AuditCtx};
use audit::{AREA, PatchOptions};
use selfcheck_catalog::CatalogError;
use selfcheck_report::Inventory;
use std::path::PathBuf;

/// The patches area behind the [`Area`] trait, with its `[patches]` section
/// of the agent configuration.
#[derive(Debug, Clone)]
pub struct PatchesArea<'a> {
    /// `--vuln-db`, which wins over the configuration's `patches.vuln_db`.
    pub vuln_db: Option<PathBuf>,
    /// The `[patches]` section.
    pub config: &'a cfg::PatchesConfig,
}

impl Area for PatchesArea<'_> {
    fn id(&self) -> selfcheck_catalog::Area {
        AREA
    }

    fn audit(&self, ctx: &AuditCtx<'_>) -> Result<AreaOutput, CatalogError> {
        let patches = audit::audit(
            ctx.root,
            ctx.catalog,
            PatchOptions {
                vuln_db: self.vuln_db.as_deref(),
                config: self.config,
                os: ctx.os,
                asset_key: ctx.asset_key,
                now: ctx.clock.now(),
            },
        )?;
        Ok(AreaOutput {
            output: patches.output,
            inventory: Inventory {
                packages: patches.inventory,
                vulnerability_feed: patches.feed,
                ..Inventory::default()
            },
        })
    }
}
