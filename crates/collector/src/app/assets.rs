//! The asset registry (资产台账): read a CSV or XLSX file, replace the stored
//! registry with it (recorded in the history), list it. Parsing and checking
//! are in [`selfcheck_ledger::assets`], storing in [`selfcheck_ledger::store`].

use super::{login_user, open_or_create_store};
use anyhow::Result;
use selfcheck_ledger::assets::{self, Asset};
use selfcheck_ledger::store::Store;
use std::path::Path;

/// Read and check the whole registry file (.csv or .xlsx) before anything is stored.
pub fn read(file: &Path) -> Result<Vec<Asset>> {
    Ok(assets::read_file(file)?)
}

/// The registry before and after a [`replace`], to tell what changed.
#[derive(Debug, Clone)]
pub struct Replaced {
    /// The stored registry before.
    pub before: Vec<Asset>,
    /// The registry now.
    pub after: Vec<Asset>,
}

/// Replace the stored registry with `assets` read from `file`, recorded in the
/// history as done by `by` (default: the login user, else `unknown`).
pub fn replace(
    dir: &Path,
    file: &Path,
    assets: Vec<Asset>,
    by: Option<String>,
) -> Result<Replaced> {
    let mut store = open_or_create_store(dir)?;
    let before = store.assets()?;
    let actor = by
        .or_else(login_user)
        .unwrap_or_else(|| "unknown".to_string());
    store.replace_assets(&assets, &file.display().to_string(), &actor)?;
    Ok(Replaced {
        before,
        after: assets,
    })
}

/// The stored registry.
pub fn list(dir: &Path) -> Result<Vec<Asset>> {
    let store = Store::open_existing(dir)?;
    Ok(store.assets()?)
}
