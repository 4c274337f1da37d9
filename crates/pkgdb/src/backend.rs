//! The shared package-audit interface: what a package backend reports about
//! a host, before anything is judged. One implementation per family; the
//! findings are made once, in [`super::audit`].

use super::debian::apt::{AptError, upgradable};
use super::debian::dpkg_log;
use super::debian::status::{DpkgStatus, parse_status};
use super::debian::version;
pub use super::host_packages::{HostPackages, PendingUpdates, UpdatesUnavailable};
use super::osv::{DebianOrder, VersionOrder};
use super::reboot;
use super::rpm::version::RpmOrder;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{InstalledPackage, PackageFamily, PackageState};
use std::cmp::Ordering;

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
        reboot: reboot::reboot_evidence(root, newest_deb_kernel(&status.packages)),
        installed: status.packages,
        updates,
        last_change: last.ok_or_else(|| {
            "no install, upgrade or removal is recorded in /var/log/dpkg.log*".to_string()
        }),
        warnings,
    })
}

/// The release (`uname -r` form) of the newest installed Debian kernel image
/// package (`linux-image-6.1.0-18-amd64` → `6.1.0-18-amd64`), by package version.
pub fn newest_deb_kernel(installed: &[InstalledPackage]) -> Option<String> {
    installed
        .iter()
        .filter(|p| p.state == PackageState::Installed)
        .filter_map(|p| {
            let release = p.name.strip_prefix("linux-image-")?;
            // Meta packages (linux-image-amd64, linux-image-generic) carry no release.
            release
                .starts_with(|c: char| c.is_ascii_digit())
                .then_some((p, release))
        })
        .max_by(|a, b| version::compare(&a.0.version, &b.0.version).then_with(|| a.1.cmp(b.1)))
        .map(|(_, release)| release.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str) -> InstalledPackage {
        InstalledPackage {
            name: name.into(),
            version: version.into(),
            arch: "amd64".into(),
            source_name: "linux-signed-amd64".into(),
            source_version: version.into(),
            state: PackageState::Installed,
            reinstall_required: false,
        }
    }

    #[test]
    fn newest_kernel_ignores_meta_packages() {
        let pkgs = [
            pkg("linux-image-6.1.0-18-amd64", "6.1.76-1"),
            pkg("linux-image-6.1.0-21-amd64", "6.1.90-1"),
            pkg("linux-image-amd64", "6.1.90-1"),
        ];
        assert_eq!(newest_deb_kernel(&pkgs).as_deref(), Some("6.1.0-21-amd64"));
        assert_eq!(newest_deb_kernel(&[]), None);
    }
}
