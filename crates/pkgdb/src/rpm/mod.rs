//! The RPM-family package backend (openEuler, Kylin server, UOS server,
//! Anolis, CentOS/RHEL/Rocky/AlmaLinux): the rpm database, the package
//! manager's cached repository metadata, and RPM version ordering.

pub(crate) mod header;
mod repodata;
mod repos;
pub mod rpmdb;
mod updateinfo;
pub mod updates;
pub mod version;

use super::backend::{HostPackages, PendingUpdates, UpdatesUnavailable};
use super::reboot;
use chrono::{Local, TimeZone};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::PackageFamily;

/// Read an RPM host's packages (see [`super::backend::scan`]): the rpm
/// database, the pending updates from the cached repository metadata, the
/// newest install time, and whether the running kernel is the newest one.
pub fn scan(root: &HostRoot) -> Result<HostPackages, String> {
    let db = rpmdb::read_installed(root).map_err(|e| e.to_string())?;
    let mut warnings = db.warnings.clone();
    let triples: Vec<(String, String, String)> = db
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.arch.clone(), p.evr()))
        .collect();
    let updates = match updates::pending_updates(root, &triples) {
        Ok(u) => {
            warnings.extend(u.warnings);
            Ok(PendingUpdates {
                upgradable: u.upgradable,
                indexes_updated_at: u.metadata_updated_at,
                indexes_name: "repository metadata",
            })
        }
        Err(e) => Err(UpdatesUnavailable {
            indexes_missing: matches!(e, updates::RepoError::NoCache { .. }),
            reason: e.to_string(),
        }),
    };
    let last_change = db
        .packages
        .iter()
        .filter_map(|p| p.install_time)
        .max()
        .and_then(|t| Local.timestamp_opt(t, 0).single())
        .map(|t| t.fixed_offset())
        .ok_or_else(|| "the rpm database records no install times".to_string());
    let newest_kernel = reboot::newest_rpm_kernel(
        triples
            .iter()
            .map(|(n, a, e)| (n.as_str(), e.as_str(), a.as_str())),
    );
    Ok(HostPackages {
        family: PackageFamily::Rpm,
        installed: db.packages.iter().map(|p| p.to_installed()).collect(),
        updates,
        last_change,
        reboot: reboot::reboot_evidence(root, newest_kernel),
        warnings,
    })
}
