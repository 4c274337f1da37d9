//! The patches area: the host's package database judged against the
//! `patches.*` checks of the catalog.

pub mod audit;
pub mod cfg;

use crate::audit::{Area, AreaOutput, AuditCtx};
use audit::{AREA, PatchOptions};
use selfcheck_catalog::CatalogError;
use selfcheck_report::Inventory;
use std::path::PathBuf;

/// The patches area behind the [`Area`] trait.
#[derive(Debug, Clone, Default)]
pub struct PatchesArea {
    /// `--vuln-db`, which wins over the configuration's `patches.vuln_db`.
    pub vuln_db: Option<PathBuf>,
}

impl Area for PatchesArea {
    fn id(&self) -> selfcheck_catalog::Area {
        AREA
    }

    fn audit(&self, ctx: &AuditCtx<'_>) -> Result<AreaOutput, CatalogError> {
        let patches = audit::audit(
            ctx.root,
            ctx.catalog,
            PatchOptions {
                vuln_db: self.vuln_db.as_deref(),
                config: &ctx.config.patches,
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
