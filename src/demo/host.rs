//! A demo host as files under a root directory: exactly what the agent reads
//! (`--root`), written the way a real Debian-family or openEuler host has them:
//! identity, kernel, addresses, the sockets of `/proc/net` with their
//! processes, dpkg's status and apt's lists, sshd and password policy, and a
//! few programs in the file-integrity scope.

use anyhow::{Context, Result};
use std::net::Ipv4Addr;
use std::path::Path;

/// The operating systems of the demo unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Debian 12 servers.
    Debian12,
    /// Kylin V10 SP1 desktops (Debian family).
    KylinDesktop,
    /// UOS 20 desktops (Debian family).
    UosDesktop,
    /// openEuler 22.03 servers (RPM family; the demo's images carry no rpm
    /// database, so their patch checks cannot run, as on an image copied without it).
    OpenEuler,
}

impl Os {
    fn os_release(self) -> &'static str {
        match self {
            Os::Debian12 => {
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n"
            }
            Os::KylinDesktop => {
                "PRETTY_NAME=\"Kylin V10 SP1\"\nNAME=\"Kylin\"\nVERSION_ID=\"v10\"\nID=kylin\nID_LIKE=debian\n"
            }
            Os::UosDesktop => {
                "PRETTY_NAME=\"UnionTech OS Desktop 20 Pro\"\nNAME=\"uos\"\nVERSION_ID=\"20\"\nID=uos\nID_LIKE=debian\n"
            }
            Os::OpenEuler => {
                "PRETTY_NAME=\"openEuler 22.03 (LTS-SP4)\"\nNAME=\"openEuler\"\nVERSION_ID=\"22.03\"\nID=openEuler\n"
            }
        }
    }

    /// Whether the host keeps dpkg and apt (the Debian family).
    pub fn is_debian_family(self) -> bool {
        !matches!(self, Os::OpenEuler)
    }
}

/// One host of the unit.
#[derive(Debug, Clone)]
pub struct Host {
    /// Its host name.
    pub hostname: String,
    /// Its name in the registry.
    pub asset_name: String,
    /// 服务器 or 终端.
    pub asset_type: &'static str,
    /// Its operating system.
    pub os: Os,
    /// Its address.
    pub ip: Ipv4Addr,
    /// `/etc/machine-id`.
    pub machine_id: String,
    /// The department that uses it.
    pub unit: &'static str,
    /// Who answers for its rectification.
    pub owner: &'static str,
    /// Whether sshd allows root to log in with a password (a baseline finding).
    pub ssh_root_login: bool,
}

/// A listening socket of a month: protocol, port, on every address or the host's only, process.
#[derive(Debug, Clone)]
pub struct Listener {
    /// `tcp` or `udp`.
    pub udp: bool,
    /// The port.
    pub port: u16,
    /// On 0.0.0.0 (else on the host's own address).
    pub all_addresses: bool,
    /// The process name and pid.
    pub process: (&'static str, u32),
}

/// What changes on a host from month to month.
#[derive(Debug, Clone)]
pub struct Month {
    /// What listens.
    pub listeners: Vec<Listener>,
    /// The openssl update installed (`3.0.15-1~deb12uN`).
    pub openssl_installed: u32,
    /// The newest openssl security update in the lists.
    pub openssl_available: u32,
    /// When the package lists were last updated (`YYYY-MM-DD`).
    pub lists_date: chrono::NaiveDate,
    /// Whether an unexplained setuid program sits in /usr/bin.
    pub setuid_helper: bool,
}

const DEB: &str = "deb.debian.org_debian_dists";
const SEC: &str = "security.debian.org_debian-security_dists";

fn write(root: &Path, rel: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// The files that do not change during the year (identity, policy, programs).
pub fn write_static(root: &Path, h: &Host) -> Result<()> {
    write(root, "etc/hostname", format!("{}\n", h.hostname))?;
    write(root, "etc/machine-id", format!("{}\n", h.machine_id))?;
    write(root, "etc/os-release", h.os.os_release())?;
    write(root, "proc/sys/kernel/osrelease", "6.1.0-28-amd64\n")?;
    write(root, "proc/sys/kernel/arch", "x86_64\n")?;
    let [a, b, c, _] = h.ip.octets();
    write(
        root,
        "proc/net/fib_trie",
        format!(
            "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\nLocal:\n  +-- 0.0.0.0/0 3 0 5\n     +-- {a}.{b}.{c}.0/24 2 0 2\n        |-- {}\n           /32 host LOCAL\n     +-- 127.0.0.0/8 2 0 2\n        |-- 127.0.0.1\n           /32 host LOCAL\n",
            h.ip
        ),
    )?;
    write(
        root,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nzhang:x:1000:1000:张工:/home/zhang:/bin/bash\n",
    )?;
    write(root, "etc/group", "root:x:0:\ndaemon:x:1:\nzhang:x:1000:\n")?;
    write(
        root,
        "etc/login.defs",
        "PASS_MAX_DAYS 90\nPASS_MIN_DAYS 1\nPASS_WARN_AGE 7\nUID_MIN 1000\n",
    )?;
    // Servers run sshd, hardened but for one; desktops have no ssh server.
    if h.asset_type == "服务器" {
        let root_login = if h.ssh_root_login {
            "PermitRootLogin yes\nPasswordAuthentication yes\n"
        } else {
            "PermitRootLogin no\nPasswordAuthentication no\n"
        };
        write(
            root,
            "etc/ssh/sshd_config",
            format!(
                "ListenAddress {}\n{root_login}MaxAuthTries 4\nLoginGraceTime 60\nClientAliveInterval 300\nClientAliveCountMax 2\n\
                 MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com\n\
                 Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com\n\
                 KexAlgorithms curve25519-sha256,ecdh-sha2-nistp256\n",
                h.ip
            ),
        )?;
        std::fs::set_permissions(
            root.join("etc/ssh/sshd_config"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )?;
    }
    write(root, "usr/bin/tool", "#!/bin/sh\necho tool\n")?;
    write(root, "usr/sbin/daemon", "#!/bin/sh\nexec sleep infinity\n")?;
    if h.os.is_debian_family() {
        write(
            root,
            "etc/apt/sources.list.d/debian.sources",
            "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n\n\
             Types: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n",
        )?;
    }
    Ok(())
}

/// The files of one month: sockets and processes, packages, lists, the setuid program.
pub fn write_month(root: &Path, h: &Host, m: &Month) -> Result<()> {
    let own = h.ip.octets();
    let hex_ip = |all: bool| {
        if all {
            "00000000".to_string()
        } else {
            format!("{:02X}{:02X}{:02X}{:02X}", own[3], own[2], own[1], own[0])
        }
    };
    let (mut tcp, mut udp) = (
        String::from(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
        ),
        String::from(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n",
        ),
    );
    let proc_dir = root.join("proc");
    // Processes of last month go; this month's are written again.
    if let Ok(entries) = std::fs::read_dir(&proc_dir) {
        for e in entries.flatten() {
            if e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
            {
                std::fs::remove_dir_all(e.path())?;
            }
        }
    }
    for (i, l) in m.listeners.iter().enumerate() {
        let inode = 40_000 + i as u32;
        let line = format!(
            "  {i:>2}: {}:{:04X} 00000000:0000 {} 00000000:00000000 00:00000000 00000000     0        0 {inode} 1 0000000000000000 100 0 0 10 0\n",
            hex_ip(l.all_addresses),
            l.port,
            if l.udp { "07" } else { "0A" }
        );
        if l.udp {
            udp.push_str(&line)
        } else {
            tcp.push_str(&line)
        }
        let (name, pid) = l.process;
        write(root, &format!("proc/{pid}/comm"), format!("{name}\n"))?;
        let fd = root.join(format!("proc/{pid}/fd/{}", 3 + i));
        std::fs::create_dir_all(fd.parent().expect("fd dir"))?;
        std::os::unix::fs::symlink(format!("socket:[{inode}]"), &fd)
            .with_context(|| format!("cannot link {}", fd.display()))?;
    }
    write(root, "proc/net/tcp", tcp)?;
    write(root, "proc/net/udp", udp)?;
    write(
        root,
        "proc/net/tcp6",
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
    )?;
    write(
        root,
        "proc/net/udp6",
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n",
    )?;

    let helper = root.join("usr/bin/helper");
    if m.setuid_helper {
        write(root, "usr/bin/helper", "#!/bin/sh\nexec /bin/sh -p\n")?;
        std::fs::set_permissions(
            &helper,
            std::os::unix::fs::PermissionsExt::from_mode(0o4755),
        )?;
    } else if helper.exists() {
        std::fs::remove_file(&helper)?;
    }

    if !h.os.is_debian_family() {
        return Ok(());
    }
    let openssl = |n: u32| format!("3.0.15-1~deb12u{n}");
    let mut status = String::new();
    for (name, version) in [
        ("dpkg", "1.21.22".to_string()),
        ("bash", "5.2.15-2+b7".to_string()),
        ("openssh-server", "1:9.2p1-2+deb12u3".to_string()),
        ("openssl", openssl(m.openssl_installed)),
        ("libssl3", openssl(m.openssl_installed)),
    ] {
        status.push_str(&format!(
            "Package: {name}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: {version}\nDescription: {name}\n\n"
        ));
    }
    write(root, "var/lib/dpkg/status", status)?;
    let date = m.lists_date.format("%a, %d %b %Y 06:00:00 UTC");
    write(
        root,
        &format!("var/lib/apt/lists/{DEB}_bookworm_InRelease"),
        format!(
            "Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 12.8\nCodename: bookworm\nDate: {date}\n"
        ),
    )?;
    write(
        root,
        &format!("var/lib/apt/lists/{SEC}_bookworm-security_InRelease"),
        format!(
            "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nVersion: 12\nCodename: bookworm-security\nDate: {date}\n"
        ),
    )?;
    let entry = |name: &str, version: &str| {
        format!(
            "Package: {name}\nVersion: {version}\nArchitecture: amd64\nMaintainer: Debian <debian@example.org>\nDescription: {name}\n\n"
        )
    };
    write(
        root,
        &format!("var/lib/apt/lists/{DEB}_bookworm_main_binary-amd64_Packages"),
        [
            entry("bash", "5.2.15-2+b7"),
            entry("openssh-server", "1:9.2p1-2+deb12u3"),
            entry("openssl", &openssl(1)),
            entry("libssl3", &openssl(1)),
        ]
        .concat(),
    )?;
    write(
        root,
        &format!("var/lib/apt/lists/{SEC}_bookworm-security_main_binary-amd64_Packages"),
        [
            entry("openssl", &openssl(m.openssl_available)),
            entry("libssl3", &openssl(m.openssl_available)),
        ]
        .concat(),
    )?;
    Ok(())
}
