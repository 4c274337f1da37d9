//! The package inventory alone (`selfcheck-agent packages`): installed
//! packages and pending updates, computed offline from the host's own files.

use super::run::open_root;
use crate::host::read_identity;
use anyhow::{Result, anyhow};
use selfcheck_report::PackageInventory;
use std::path::Path;

/// The installed packages and pending updates of the host at `root` (the live
/// host for `None`).
pub fn pending_updates(root: Option<&Path>) -> Result<PackageInventory> {
    let root = open_root(root)?;
    let host = read_identity(&root)?;
    selfcheck_pkgdb::inventory::read_inventory(&root, &host.os).map_err(|e| {
        anyhow!(
            "cannot compute pending updates under {}: {e}",
            root.dir().display()
        )
    })
}
