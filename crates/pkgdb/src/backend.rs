//! The shared package-audit interface: what a package backend reports about
//! a host, before anything is judged. One implementation per family; the
//! findings are made once, in [`super::audit`].

use super::debian::apt::{AptError, upgradable};
use super::debian::dpkg_log;
use super::debian::status::{DpkgStatus, parse_status};
use super::osv::{DebianOrder, VersionOrder};
use super::reboot;
use super::rpm::version::RpmOrder;
use chrono::{DateTime, FixedOffset};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{InstalledPackage, PackageFamily, PendingUpdate};
use std::cmp::Ordering;

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

/// Read the host's packages with the backend of `family`. `Err` means the
/// package database itself could not be read: every patch check then says why.
pub fn scan(family: PackageFamily, root: &HostRoot) -> Result<HostPackages, String> {
    match family {
        PackageFamily::Deb => scan_debian(root),
        PackageFamily::Rpm => super::rpm::scan(root),
    }
}

/// Version ordering of a family (dpkg's or rpm's).
pub fn version_order(family: PackageFamily) -> &'static dyn VersionOrder {
    match family {
        PackageFamily::Deb => &DebianOrder,
        PackageFamily::Rpm => &RpmOrder,
    }
}

/// Compare two versions with the family's ordering.
pub fn compare_versions(family: PackageFamily, a: &str, b: &str) -> Ordering {
    version_order(family).compare(a, b)
}

/// Where dpkg's status file lives below the root.
pub const DPKG_STATUS: &str = "var/lib/dpkg/status";

/// dpkg's status file, parsed; the error names the file and what is wrong.
pub fn read_dpkg_status(root: &HostRoot) -> Result<DpkgStatus, String> {
    let shown = format!("/{DPKG_STATUS}");
    let text = match std::fs::read(root.resolve(DPKG_STATUS)) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{shown} does not exist: this is not a dpkg-based host (Debian, Ubuntu, Kylin desktop, UOS desktop), or the image is incomplete"
            ));
        }
        Err(e) => return Err(format!("cannot read {shown}: {e}")),
    };
    parse_status(&text, &shown).map_err(|e| e.to_string())
}

fn scan_debian(root: &HostRoot) -> Result<HostPackages, String> {
    let status = read_dpkg_status(root)?;
    let mut warnings = Vec::new();
    let updates = match upgradable(root, &status) {
        Ok(view) => {
            warnings.extend(view.warnings);
            Ok(PendingUpdates {
                upgradable: view.upgradable,
                indexes_updated_at: view.lists_updated_at,
                indexes_name: "package lists",
            })
        }
        Err(e) => Err(UpdatesUnavailable {
            indexes_missing: matches!(e, AptError::ListsMissing(_) | AptError::NoLists(..)),
            reason: e.to_string(),
        }),
    };
    let (last, log_warnings) = dpkg_log::last_package_change(root);
    warnings.extend(log_warnings);
    Ok(HostPackages {
        family: PackageFamily::Deb,
        reboot: reboot::reboot_evidence(root, reboot::newest_deb_kernel(&status.packages)),
        installed: status.packages,
        updates,
        last_change: last.ok_or_else(|| {
            "no install, upgrade or removal is recorded in /var/log/dpkg.log*".to_string()
        }),
        warnings,
    })
}
