//! Whether the host must reboot for installed updates to take effect.
//!
//! Two signs: the `reboot-required` flag file that Debian and Ubuntu packages
//! write (`/run/reboot-required`, with the packages that asked in
//! `reboot-required.pkgs`), and, on the live host, a running kernel other than
//! the newest installed kernel (each family names its kernel packages its own
//! way: [`newest_deb_kernel`], [`newest_rpm_kernel`]).

use super::debian::version;
use super::rpm::version::compare_evr;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{InstalledPackage, PackageState};

/// What says a reboot is needed, as evidence lines; empty when none.
/// `newest_kernel` is the `uname -r` form of the newest installed kernel.
pub fn reboot_evidence(root: &HostRoot, newest_kernel: Option<String>) -> Vec<String> {
    let mut evidence = Vec::new();
    let flag = ["run/reboot-required", "var/run/reboot-required"]
        .into_iter()
        .find(|p| root.resolve(p).is_file());
    if let Some(flag) = flag {
        let pkgs = root
            .read_optional(format!("{flag}.pkgs"))
            .ok()
            .flatten()
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        evidence.push(if pkgs.is_empty() {
            format!("/{flag} exists")
        } else {
            format!("/{flag} exists, requested by: {pkgs}")
        });
    }
    if root.is_live()
        && let Some(running) = root
            .read_optional("proc/sys/kernel/osrelease")
            .ok()
            .flatten()
        && let Some(newest) = newest_kernel
        && newest != running.trim()
    {
        evidence.push(format!(
            "running kernel {} but the newest installed kernel is {newest}",
            running.trim()
        ));
    }
    evidence
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

    #[test]
    fn flag_file_through_var_run_link_names_the_packages() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("run")).unwrap();
        std::fs::create_dir_all(dir.path().join("var")).unwrap();
        std::os::unix::fs::symlink("/run", dir.path().join("var/run")).unwrap();
        std::fs::write(
            dir.path().join("run/reboot-required"),
            "*** System restart required ***\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("run/reboot-required.pkgs"),
            "libc6\nlinux-image-6.1.0-21-amd64\n",
        )
        .unwrap();
        let root = HostRoot::at(dir.path()).unwrap();
        let ev = reboot_evidence(&root, None);
        assert_eq!(
            ev,
            vec!["/run/reboot-required exists, requested by: libc6, linux-image-6.1.0-21-amd64"]
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(reboot_evidence(&HostRoot::at(empty.path()).unwrap(), None).is_empty());
    }
}
