//! Which package backend audits a host: its family from `os-release`, and the
//! package database actually present when the name alone cannot tell.
//!
//! | `ID` | family |
//! | --- | --- |
//! | `debian`, `ubuntu` | deb |
//! | `openEuler`, `centos`, `rhel`, `rocky`, `almalinux`, `anolis`, `ol`, `fedora` | rpm |
//! | `kylin` | rpm for Kylin Linux Advanced Server (`NAME`/`PRETTY_NAME` say "Server"), deb for the desktop |
//! | `uos`, `uniontech` | rpm for UOS server editions ("Server" in the name), deb for the desktop |
//! | anything else | from `ID_LIKE` (`debian`/`ubuntu` → deb, `rhel`/`fedora`/`centos` → rpm) |
//!
//! When the name and the database disagree (a "server" whose only database is
//! dpkg's), the database decides: it is what the audit can read. An OS that
//! none of this recognises is reported as "could not run", never guessed.

use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{OsRelease, PackageFamily};

/// Where each family's package database lives below the root.
const DPKG_DB: &str = "var/lib/dpkg/status";
const RPM_DBS: [&str; 2] = ["var/lib/rpm", "usr/lib/sysimage/rpm"];

/// The backend for this host, or why none applies.
pub fn package_family(os: &OsRelease, root: &HostRoot) -> Result<PackageFamily, String> {
    let has_dpkg = root.is_file(DPKG_DB);
    let has_rpm = RPM_DBS.iter().any(|d| {
        ["rpmdb.sqlite", "Packages", "Packages.db"]
            .iter()
            .any(|f| root.is_file(format!("{d}/{f}")))
    });
    let by_name = family_from_name(os);
    match (by_name, has_dpkg, has_rpm) {
        (Some(PackageFamily::Deb), false, true) => Ok(PackageFamily::Rpm),
        (Some(PackageFamily::Rpm), true, false) => Ok(PackageFamily::Deb),
        (Some(f), _, _) => Ok(f),
        (None, true, false) => Ok(PackageFamily::Deb),
        (None, false, true) => Ok(PackageFamily::Rpm),
        (None, _, _) => {
            let id = os.id.as_deref().unwrap_or("(none)");
            let like = if os.id_like.is_empty() {
                "(none)".to_string()
            } else {
                os.id_like.join(" ")
            };
            Err(format!(
                "unknown operating system: os-release ID {id:?}, ID_LIKE {like:?}, and no single package database \
                 (dpkg {}, rpm {}) to go by; supported: Debian, Ubuntu, Kylin, UOS, openEuler, Anolis, CentOS, RHEL, Rocky, AlmaLinux",
                if has_dpkg { "present" } else { "absent" },
                if has_rpm { "present" } else { "absent" },
            ))
        }
    }
}

/// The family the OS name implies, if it implies one.
pub fn family_from_name(os: &OsRelease) -> Option<PackageFamily> {
    let id = os.id.as_deref().unwrap_or("").trim().to_ascii_lowercase();
    let names = format!(
        "{} {}",
        os.name.as_deref().unwrap_or(""),
        os.pretty_name.as_deref().unwrap_or("")
    )
    .to_ascii_lowercase();
    let server = names.contains("server");
    match id.as_str() {
        "debian" | "ubuntu" | "deepin" => Some(PackageFamily::Deb),
        "openeuler" | "centos" | "rhel" | "rocky" | "almalinux" | "anolis" | "ol" | "fedora"
        | "euleros" | "hce" => Some(PackageFamily::Rpm),
        "kylin" | "uos" | "uniontech" => Some(if server {
            PackageFamily::Rpm
        } else {
            PackageFamily::Deb
        }),
        _ => os
            .id_like
            .iter()
            .find_map(|like| match like.to_ascii_lowercase().as_str() {
                "debian" | "ubuntu" => Some(PackageFamily::Deb),
                "rhel" | "fedora" | "centos" | "openeuler" => Some(PackageFamily::Rpm),
                _ => None,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(id: &str, name: &str, like: &[&str]) -> OsRelease {
        OsRelease {
            id: Some(id.into()),
            name: Some(name.into()),
            id_like: like.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn names_choose_the_family() {
        use PackageFamily::*;
        let cases = [
            (os("debian", "Debian GNU/Linux", &[]), Some(Deb)),
            (os("ubuntu", "Ubuntu", &["debian"]), Some(Deb)),
            (os("openEuler", "openEuler", &[]), Some(Rpm)),
            (os("kylin", "Kylin Linux Advanced Server", &[]), Some(Rpm)),
            (os("kylin", "Kylin", &[]), Some(Deb)),
            (os("uos", "UnionTech OS Server 20", &[]), Some(Rpm)),
            (os("uos", "UOS Desktop", &[]), Some(Deb)),
            (
                os("anolis", "Anolis OS", &["rhel", "fedora", "centos"]),
                Some(Rpm),
            ),
            (
                os("rocky", "Rocky Linux", &["rhel", "centos", "fedora"]),
                Some(Rpm),
            ),
            (os("almalinux", "AlmaLinux", &["rhel"]), Some(Rpm)),
            (os("centos", "CentOS Linux", &["rhel", "fedora"]), Some(Rpm)),
            (
                os("rhel", "Red Hat Enterprise Linux", &["fedora"]),
                Some(Rpm),
            ),
            (
                os("linuxmint", "Linux Mint", &["ubuntu", "debian"]),
                Some(Deb),
            ),
            (os("haiku", "Haiku", &[]), None),
        ];
        for (o, want) in cases {
            assert_eq!(family_from_name(&o), want, "{:?}", o.id);
        }
    }

    #[test]
    fn the_database_decides_when_the_name_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let root = HostRoot::at(dir.path()).unwrap();
        let unknown = os("haiku", "Haiku", &[]);
        let err = package_family(&unknown, &root).unwrap_err();
        assert!(
            err.contains("unknown operating system") && err.contains("haiku"),
            "{err}"
        );
        std::fs::create_dir_all(dir.path().join("var/lib/rpm")).unwrap();
        std::fs::write(dir.path().join("var/lib/rpm/rpmdb.sqlite"), b"").unwrap();
        assert_eq!(package_family(&unknown, &root), Ok(PackageFamily::Rpm));
        // A desktop-named Kylin whose only database is rpm's is audited as rpm.
        assert_eq!(
            package_family(&os("kylin", "Kylin", &[]), &root),
            Ok(PackageFamily::Rpm)
        );
    }
}
