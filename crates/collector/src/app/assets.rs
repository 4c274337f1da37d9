//! The asset registry (资产台账): read a CSV or XLSX file, replace the stored
//! registry with it (recorded in the history), list it. Parsing and checking
//! are in [`selfcheck_ledger::assets`], storing in [`selfcheck_ledger::store`].

use super::open_or_create_store;
use anyhow::Result;
use selfcheck_ledger::assets::{self, Asset, RegistryDiff};
use selfcheck_ledger::store::{Store, StoreError};
use std::path::Path;

/// Read and check the whole registry file (.csv or .xlsx) before anything is stored.
pub fn read(file: &Path) -> Result<Vec<Asset>> {
    Ok(assets::read_file(file)?)
}

/// How `assets import` treats the stored registry.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportMode {
    /// Remove registered assets the file leaves out (else such a file is refused).
    pub replace: bool,
    /// Only tell what would change; store nothing.
    pub dry_run: bool,
}

/// What `assets import` did, or would do with `--dry-run`.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The change from the stored registry to the file's.
    pub diff: RegistryDiff,
    /// Assets in the file.
    pub assets: usize,
    /// Whether the registry was replaced (false for a dry run or no change).
    pub stored: bool,
}

/// Registered assets a file would remove without `--replace`.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file} leaves out {} registered asset(s): {}; an import replaces the whole registry, so they would be removed. \
Add them to the file, or, if they are gone for good, import again with --replace (see what changes first with --dry-run). Nothing was changed",
    removed.len(),
    removed.join(", ")
)]
pub struct WouldRemove {
    /// The file.
    pub file: String,
    /// The names of the assets that would go.
    pub removed: Vec<String>,
}

/// Import the registry file: compare it with the stored registry, refuse to
/// remove registered assets unless `mode.replace`, and (unless
/// `mode.dry_run`) replace the registry, recorded in the history as done by `by`.
/// `assets import` creates the store when `dir` is new.
pub fn import(
    dir: &Path,
    file: &Path,
    assets: Vec<Asset>,
    mode: ImportMode,
    by: &str,
) -> Result<Imported> {
    let registered = match Store::open_existing(dir) {
        Ok(store) => store.assets()?,
        // No store yet: nothing is registered (a dry run creates nothing).
        Err(StoreError::Missing { .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let diff = RegistryDiff::between(&registered, &assets);
    if !diff.removed.is_empty() && !mode.replace {
        return Err(WouldRemove {
            file: file.display().to_string(),
            removed: diff.removed.iter().map(|a| a.asset_name.clone()).collect(),
        }
        .into());
    }
    let count = assets.len();
    let stored = !mode.dry_run && (!diff.is_empty() || registered.is_empty());
    if stored {
        let mut store = open_or_create_store(dir)?;
        store.replace_assets(&assets, &file.display().to_string(), by)?;
    }
    Ok(Imported {
        diff,
        assets: count,
        stored,
    })
}

/// The stored registry.
pub fn list(dir: &Path) -> Result<Vec<Asset>> {
    let store = Store::open_existing(dir)?;
    Ok(store.assets()?)
}
