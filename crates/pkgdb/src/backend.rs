//! The shared package-audit interface: what a package backend reports about
//! a host, before anything is judged. One implementation per family; the
//! findings are made once, in [`super::audit`].

use super::debian::apt::{AptError, upgradable};
use super::debian::dpkg_log;
use super::debian::status::{DpkgStatus, StatusError, parse_status};
use super::debian::version;
pub use super::host_packages::{HostPackages, PendingUpdates, UpdatesUnavailable};
use super::osv::{DebianOrder, VersionOrder};
use super::reboot;
use super::rpm::rpmdb::RpmDbError;
use super::rpm::version::RpmOrder;
use selfcheck_hostfs::root::{HostRoot, MAX_TABLE_BYTES};
use selfcheck_report::{InstalledPackage, PackageFamily, PackageState};
use std::cmp::Ordering;

/// Read the host's packages with the backend of `family`. `Err` means the
/// package database itself could not be read: every patch check then says why.
pub fn scan(family: PackageFamily, root: &HostRoot) -> Result<HostPackages, ScanError> {
    match family {
        PackageFamily::Deb => scan_debian(root),
        PackageFamily::Rpm => Ok(super::rpm::scan(root)?),
    }
}

/// The package database itself could not be read; each variant's message names
/// the file and what to do, and is what the patch checks report as their reason.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// dpkg's status file is not there.
    #[error(
        "{shown} does not exist: this is not a dpkg-based host (Debian, Ubuntu, Kylin desktop, UOS desktop), or the image is incomplete"
    )]
    NoDpkgStatus {
        /// The file as the host names it.
        shown: String,
    },
    /// dpkg's status file is there but cannot be read.
    #[error("cannot read {shown}: {source}")]
    DpkgStatusUnreadable {
        /// The file as the host names it.
        shown: String,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// dpkg's status file is empty or only whitespace.
    #[error(
        "{shown} is empty: a dpkg host always lists at least its base packages there, so the package database is damaged or was emptied; restore it (from /var/backups/dpkg.status.*) and audit again"
    )]
    DpkgStatusEmpty {
        /// The file as the host names it.
        shown: String,
    },
    /// dpkg's status file is malformed.
    #[error(transparent)]
    DpkgStatus(#[from] StatusError),
    /// The rpm database cannot be read.
    #[error(transparent)]
    RpmDb(#[from] RpmDbError),
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
pub fn read_dpkg_status(root: &HostRoot) -> Result<DpkgStatus, ScanError> {
    let shown = format!("/{DPKG_STATUS}");
    let text = match root.read_text(DPKG_STATUS, MAX_TABLE_BYTES) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ScanError::NoDpkgStatus { shown });
        }
        Err(source) => return Err(ScanError::DpkgStatusUnreadable { shown, source }),
    };
    if text.trim().is_empty() {
        // dpkg itself keeps at least its own entries; an empty file is a
        // damaged or stubbed database, not a host with nothing installed.
        return Err(ScanError::DpkgStatusEmpty { shown });
    }
    Ok(parse_status(&text, &shown)?)
}

fn scan_debian(root: &HostRoot) -> Result<HostPackages, ScanError> {
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

    #[test]
    fn an_unreadable_database_is_a_typed_error_with_the_reason() {
        let empty = tempfile::tempdir().unwrap();
        let root = HostRoot::at(empty.path()).unwrap();
        let e = scan(PackageFamily::Deb, &root).unwrap_err();
        assert!(matches!(e, ScanError::NoDpkgStatus { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("/var/lib/dpkg/status does not exist"),
            "{e}"
        );
        let e = scan(PackageFamily::Rpm, &root).unwrap_err();
        assert!(
            matches!(e, ScanError::RpmDb(RpmDbError::NoDatabase { .. })),
            "{e:?}"
        );

        std::fs::create_dir_all(empty.path().join("var/lib/dpkg")).unwrap();
        std::fs::write(
            empty.path().join("var/lib/dpkg/status"),
            "Package: a\nStatus: x\n\n",
        )
        .unwrap();
        let e = scan(PackageFamily::Deb, &root).unwrap_err();
        assert!(
            matches!(e, ScanError::DpkgStatus(StatusError::MissingField { .. })),
            "{e:?}"
        );
        assert!(e.to_string().contains("/var/lib/dpkg/status line 1"), "{e}");
    }

    #[test]
    fn an_empty_fifo_or_device_status_file_is_not_a_clean_host() {
        let dir = tempfile::tempdir().unwrap();
        let status = dir.path().join("var/lib/dpkg/status");
        std::fs::create_dir_all(status.parent().unwrap()).unwrap();
        let root = HostRoot::at(dir.path()).unwrap();
        for blank in ["", " \n\n\t\n"] {
            std::fs::write(&status, blank).unwrap();
            let e = scan(PackageFamily::Deb, &root).unwrap_err();
            assert!(matches!(e, ScanError::DpkgStatusEmpty { .. }), "{e:?}");
            assert!(e.to_string().contains("is empty"), "{e}");
        }
        std::fs::remove_file(&status).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&status)
            .status()
            .unwrap();
        assert!(made.success());
        let e = scan(PackageFamily::Deb, &root).unwrap_err();
        assert!(e.to_string().contains("a FIFO"), "{e}");
        std::fs::remove_file(&status).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &status).unwrap();
        let e = scan(PackageFamily::Deb, &root).unwrap_err();
        assert!(matches!(e, ScanError::NoDpkgStatus { .. }), "{e:?}");
    }
}
