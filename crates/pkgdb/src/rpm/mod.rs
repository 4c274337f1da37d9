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

use super::host_packages::{HostPackages, PendingUpdates, UpdatesUnavailable};
use super::reboot;
use chrono::{Local, TimeZone};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::PackageFamily;
use version::compare_evr;

/// Read an RPM host's packages (see [`super::backend::scan`]): the rpm
/// database, the pending updates from the cached repository metadata, the
/// newest install time, and whether the running kernel is the newest one.
pub fn scan(root: &HostRoot) -> Result<HostPackages, rpmdb::RpmDbError> {
    let db = rpmdb::read_installed(root)?;
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
    let newest_kernel = newest_rpm_kernel(
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

/// The release (`uname -r` form, `VERSION-RELEASE.ARCH`) of the newest
/// installed RPM kernel (`kernel` or `kernel-core`), by EVR. `installed` holds
/// (name, epoch:version-release, arch).
pub fn newest_rpm_kernel<'a>(
    installed: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Option<String> {
    installed
        .into_iter()
        .filter(|(name, _, _)| matches!(*name, "kernel" | "kernel-core"))
        .max_by(|a, b| compare_evr(a.1, b.1))
        .map(|(_, evr, arch)| {
            let without_epoch = evr.split_once(':').map_or(evr, |(_, r)| r);
            format!("{without_epoch}.{arch}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_kernel_by_evr_ignores_other_kernel_packages() {
        let rpms = [
            ("kernel", "5.10.0-60.18.0.50.oe2203", "x86_64"),
            ("kernel", "5.10.0-136.12.0.86.oe2203", "x86_64"),
            ("kernel-tools", "9.9-1", "x86_64"),
        ];
        assert_eq!(
            newest_rpm_kernel(rpms).as_deref(),
            Some("5.10.0-136.12.0.86.oe2203.x86_64")
        );
    }
}
