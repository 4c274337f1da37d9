//! What a package backend reports about a host, before anything is judged:
//! the types every family's scan fills in, apart from the scans themselves so
//! that each backend can depend on them without depending on the others.

use chrono::{DateTime, FixedOffset};
use selfcheck_report::{InstalledPackage, PackageFamily, PendingUpdate};

/// What a backend found: the inventory, and for each later judgement either
/// the facts or the reason they are unknown.
#[derive(Debug, Clone)]
pub struct HostPackages {
    /// Package family.
    pub family: PackageFamily,
    /// Every installed package.
    pub installed: Vec<InstalledPackage>,
    /// Pending updates, or why they could not be computed.
    pub updates: Result<PendingUpdates, UpdatesUnavailable>,
    /// When packages last changed, or why that is unknown.
    pub last_change: Result<DateTime<FixedOffset>, String>,
    /// Evidence that a reboot is needed; empty when none.
    pub reboot: Vec<String>,
    /// Files skipped along the way, each named with the reason.
    pub warnings: Vec<String>,
}

/// Why pending updates are unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatesUnavailable {
    /// What went wrong and what to do.
    pub reason: String,
    /// The host has no package indexes at all (no apt lists, no dnf/yum cache):
    /// it cannot see any patch, which is itself a finding.
    pub indexes_missing: bool,
}

/// The package manager's pending updates.
#[derive(Debug, Clone)]
pub struct PendingUpdates {
    /// Updates the package manager would install, as it would list them.
    pub upgradable: Vec<PendingUpdate>,
    /// When the newest package index was made (apt lists, repository metadata).
    pub indexes_updated_at: Option<DateTime<FixedOffset>>,
    /// What the indexes are called in messages ("package lists", "repository metadata").
    pub indexes_name: &'static str,
}
