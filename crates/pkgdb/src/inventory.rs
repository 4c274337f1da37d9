//! The host's package inventory as `selfcheck-agent packages` shows it:
//! installed packages and what the package manager would upgrade, unjudged.

use crate::backend::{ScanError, UpdatesUnavailable, scan};
use crate::os::package_family;
use selfcheck_hostfs::HostRoot;
use selfcheck_report::{OsRelease, PackageInventory};

/// The inventory could not be read: no package database, an unreadable one,
/// or no package indexes to compute updates from. The message says which
/// file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// Neither a dpkg nor an rpm database tells the package family.
    #[error("{0}")]
    Family(String),
    /// The package database cannot be read.
    #[error(transparent)]
    Database(#[from] ScanError),
    /// The installed packages were read, but not what would be upgraded.
    #[error("{}", .0.reason)]
    Updates(UpdatesUnavailable),
}

/// Installed packages and what the package manager would upgrade, without
/// judging anything.
pub fn read_inventory(root: &HostRoot, os: &OsRelease) -> Result<PackageInventory, InventoryError> {
    let family = package_family(os, root).map_err(InventoryError::Family)?;
    let host = scan(family, root)?;
    let updates = host.updates.map_err(InventoryError::Updates)?;
    let mut warnings = host.warnings;
    warnings.sort();
    Ok(PackageInventory {
        family,
        installed: host.installed,
        upgradable: updates.upgradable,
        indexes_updated_at: updates.indexes_updated_at,
        warnings,
    })
}
