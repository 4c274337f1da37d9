//! Whether the host must reboot for installed updates to take effect.
//!
//! Two signs: the `reboot-required` flag file that Debian and Ubuntu packages
//! write (`/run/reboot-required`, with the packages that asked in
//! `reboot-required.pkgs`), and, on the live host, a running kernel other than
//! the newest installed kernel (each family names its kernel packages its own
//! way: `newest_deb_kernel` in [`crate::backend`], `newest_rpm_kernel` in
//! [`crate::rpm`]).

use selfcheck_hostfs::root::HostRoot;

/// What says a reboot is needed, as evidence lines; empty when none.
/// `newest_kernel` is the `uname -r` form of the newest installed kernel.
pub fn reboot_evidence(root: &HostRoot, newest_kernel: Option<String>) -> Vec<String> {
    let mut evidence = Vec::new();
    let flag = ["run/reboot-required", "var/run/reboot-required"]
        .into_iter()
        .find(|p| root.is_file(p));
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

#[cfg(test)]
mod tests {
    use super::*;

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
