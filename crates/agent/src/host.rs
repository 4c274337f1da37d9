//! The audited host's identity, read through the root prefix.
//!
//! Everything comes from files of the root: `etc/hostname` (or the kernel's
//! `proc/sys/kernel/hostname`), `etc/machine-id`, `etc/os-release` (or
//! `usr/lib/os-release`), `proc/sys/kernel/{osrelease,arch}`,
//! `proc/net/fib_trie` and `proc/net/if_inet6`. On the live host these are the
//! machine's own; under `--root DIR` they are DIR's, never the machine's.

use crate::root::HostRoot;
use selfcheck_report::{HostIdentity, OsRelease};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The identity could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read host identity from {path}: {source}")]
pub struct IdentityError {
    /// The host file (below the root).
    pub path: String,
    /// The OS error.
    pub source: std::io::Error,
}

fn read(root: &HostRoot, path: &str) -> Result<Option<String>, IdentityError> {
    root.read_optional(path).map_err(|source| IdentityError {
        path: root.join(path).display().to_string(),
        source,
    })
}

fn first_line(text: Option<String>) -> Option<String> {
    text.and_then(|t| t.lines().next().map(|l| l.trim().to_string()))
        .filter(|l| !l.is_empty())
}

/// Read the host identity below `root`.
pub fn read_identity(root: &HostRoot) -> Result<HostIdentity, IdentityError> {
    let kernel_hostname = first_line(read(root, "proc/sys/kernel/hostname")?);
    let etc_hostname = first_line(read(root, "etc/hostname")?).filter(|l| !l.starts_with('#'));
    // The kernel's name is the truth on a running host; an image only has its files.
    let hostname = if root.is_live() {
        kernel_hostname.or(etc_hostname)
    } else {
        etc_hostname.or(kernel_hostname)
    };
    let machine_id = [
        first_line(read(root, "etc/machine-id")?),
        first_line(read(root, "var/lib/dbus/machine-id")?),
    ]
    .into_iter()
    .flatten()
    .find(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
    .map(|id| id.to_ascii_lowercase());
    let hostname = match (hostname, &machine_id) {
        (Some(h), _) => h,
        (None, Some(id)) => format!("unnamed-{}", &id[..8]),
        (None, None) => "unnamed-host".to_string(),
    };
    let os_text = match read(root, "etc/os-release")? {
        Some(t) => Some(t),
        None => read(root, "usr/lib/os-release")?,
    };
    let os = os_text.map(|t| parse_os_release(&t)).unwrap_or_default();
    let mut ips: BTreeSet<IpAddr> = BTreeSet::new();
    if let Some(trie) = read(root, "proc/net/fib_trie")? {
        ips.extend(local_ipv4_from_fib_trie(&trie).into_iter().map(IpAddr::V4));
    }
    if let Some(text) = read(root, "proc/net/if_inet6")? {
        ips.extend(ipv6_from_if_inet6(&text).into_iter().map(IpAddr::V6));
    }
    Ok(HostIdentity {
        hostname,
        machine_id,
        os,
        kernel: first_line(read(root, "proc/sys/kernel/osrelease")?),
        arch: first_line(read(root, "proc/sys/kernel/arch")?).or_else(|| {
            // Kernels before 6.1 have no proc/sys/kernel/arch; the live host's
            // architecture is the one this program runs on.
            root.is_live().then(|| std::env::consts::ARCH.to_string())
        }),
        ip_addresses: ips.into_iter().collect(),
    })
}

/// Parse `os-release(5)`: `KEY=value` lines, values optionally quoted with
/// shell-style escapes, comments and blank lines ignored.
pub fn parse_os_release(text: &str) -> OsRelease {
    let mut os = OsRelease::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(raw.trim());
        let slot = match key.trim() {
            "ID" => &mut os.id,
            "NAME" => &mut os.name,
            "VERSION_ID" => &mut os.version_id,
            "VERSION_CODENAME" => &mut os.version_codename,
            "PRETTY_NAME" => &mut os.pretty_name,
            "ID_LIKE" => {
                os.id_like = value.split_whitespace().map(str::to_string).collect();
                continue;
            }
            _ => continue,
        };
        *slot = Some(value).filter(|v| !v.is_empty());
    }
    os
}

fn unquote(raw: &str) -> String {
    let bytes = raw.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        let inner = &raw[1..raw.len() - 1];
        if bytes[0] == b'\'' {
            return inner.to_string();
        }
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(n @ ('$' | '"' | '\\' | '`')) => out.push(n),
                    Some(n) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    } else {
        raw.to_string()
    }
}

/// The host's own IPv4 addresses: entries of `/proc/net/fib_trie` marked
/// `/32 host LOCAL`, without loopback.
pub fn local_ipv4_from_fib_trie(text: &str) -> BTreeSet<Ipv4Addr> {
    let mut out = BTreeSet::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(addr) = t.strip_prefix("|-- ") {
            last = addr.trim().parse().ok();
        } else if t.starts_with("/32 host LOCAL")
            && let Some(a) = last.filter(|a| !a.is_loopback())
        {
            out.insert(a);
        }
    }
    out
}

/// The host's own IPv6 addresses from `/proc/net/if_inet6`, without loopback
/// and link-local addresses.
pub fn ipv6_from_if_inet6(text: &str) -> BTreeSet<Ipv6Addr> {
    text.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|hex| {
            u128::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.len() == 32)
        })
        .map(Ipv6Addr::from)
        .filter(|a| !a.is_loopback() && !a.is_unicast_link_local())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_quotes_and_escapes() {
        let os = parse_os_release(
            "# comment\nNAME=\"Kylin Linux Advanced Server\"\nID=kylin\nID_LIKE='rhel fedora'\nVERSION_ID=\"V10\"\nPRETTY_NAME=\"A \\\"quoted\\\" \\$name\"\n\nBROKEN LINE\n",
        );
        assert_eq!(os.name.as_deref(), Some("Kylin Linux Advanced Server"));
        assert_eq!(os.id.as_deref(), Some("kylin"));
        assert_eq!(os.id_like, vec!["rhel", "fedora"]);
        assert_eq!(os.pretty_name.as_deref(), Some("A \"quoted\" $name"));
    }

    #[test]
    fn fib_trie_local_addresses_without_loopback() {
        let trie = "Local:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 127.0.0.1\n        /32 host LOCAL\n     |-- 192.0.2.2\n        /32 host LOCAL\n     |-- 192.0.2.255\n        /32 link BROADCAST\n";
        let got: Vec<_> = local_ipv4_from_fib_trie(trie).into_iter().collect();
        assert_eq!(got, vec![Ipv4Addr::new(192, 0, 2, 2)]);
    }

    #[test]
    fn if_inet6_skips_loopback_and_link_local() {
        let text = "fd000000000000000000000000000002 04 40 00 82     eth0\nfe8000000000000000fc00fffe000001 04 40 20 80     eth0\n00000000000000000000000000000001 01 80 10 80       lo\n";
        let got: Vec<_> = ipv6_from_if_inet6(text).into_iter().collect();
        assert_eq!(got, vec!["fd00::2".parse::<Ipv6Addr>().unwrap()]);
    }
}
