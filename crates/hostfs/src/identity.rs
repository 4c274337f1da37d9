//! The audited host's identity, read through the root prefix.
//!
//! Everything comes from files of the root: `etc/hostname` (or the kernel's
//! `proc/sys/kernel/hostname`), `etc/machine-id`, `etc/os-release` (or
//! `usr/lib/os-release`), `proc/sys/kernel/{osrelease,arch}`,
//! `proc/net/fib_trie` and `proc/net/if_inet6`. On the live host these are the
//! machine's own; under `--root DIR` they are DIR's, never the machine's.
//! The facts are plain values; the report's host section is built from them
//! by the agent.

use crate::root::HostRoot;
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

/// A running kernel's fact (`proc/...`): under an image root, a file the
/// root refuses (a link loop or one leading out of it, a FIFO, a device, an
/// oversized file) is no kernel's and counts as absent, like the `proc/` an
/// offline image does not have; the identity is then the image's own files.
/// On the live host any error is an error.
fn read_kernel(root: &HostRoot, path: &str) -> Result<Option<String>, IdentityError> {
    match root.read_optional(path) {
        Err(e)
            if !root.is_live()
                && matches!(
                    e.kind(),
                    std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData
                ) =>
        {
            Ok(None)
        }
        other => other.map_err(|source| IdentityError {
            path: root.join(path).display().to_string(),
            source,
        }),
    }
}

fn first_line(text: Option<String>) -> Option<String> {
    text.and_then(|t| t.lines().next().map(|l| l.trim().to_string()))
        .filter(|l| !l.is_empty())
}

/// What identifies a host, read from its files: the raw material of the
/// report's host section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// Host name (kernel host name on a live host, `etc/hostname` under a root).
    pub hostname: String,
    /// `etc/machine-id` (or `var/lib/dbus/machine-id`): 32 hex digits, lower case.
    pub machine_id: Option<String>,
    /// `os-release(5)` fields in file order, values unquoted ([`os_release_fields`]).
    pub os_release: Vec<(String, String)>,
    /// Running kernel release, when known.
    pub kernel: Option<String>,
    /// Machine architecture, when known.
    pub arch: Option<String>,
    /// The host's own IP addresses, loopback excluded, sorted.
    pub ip_addresses: Vec<IpAddr>,
}

/// Read the host's identity facts below `root`.
pub fn read_facts(root: &HostRoot) -> Result<HostFacts, IdentityError> {
    let kernel_hostname = first_line(read_kernel(root, "proc/sys/kernel/hostname")?);
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
    let os_release = os_text.map(|t| os_release_fields(&t)).unwrap_or_default();
    let mut ips: BTreeSet<IpAddr> = BTreeSet::new();
    if let Some(trie) = read_kernel(root, "proc/net/fib_trie")? {
        ips.extend(local_ipv4_from_fib_trie(&trie).into_iter().map(IpAddr::V4));
    }
    if let Some(text) = read_kernel(root, "proc/net/if_inet6")? {
        ips.extend(ipv6_from_if_inet6(&text).into_iter().map(IpAddr::V6));
    }
    Ok(HostFacts {
        hostname,
        machine_id,
        os_release,
        kernel: first_line(read_kernel(root, "proc/sys/kernel/osrelease")?),
        arch: first_line(read_kernel(root, "proc/sys/kernel/arch")?).or_else(|| {
            // Kernels before 6.1 have no proc/sys/kernel/arch; the live host's
            // architecture is the one this program runs on.
            root.is_live().then(|| std::env::consts::ARCH.to_string())
        }),
        ip_addresses: ips.into_iter().collect(),
    })
}

/// Parse `os-release(5)`: `KEY=value` lines, values optionally quoted with
/// shell-style escapes, comments, blank and malformed lines ignored.
pub fn os_release_fields(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        out.push((key.trim().to_string(), unquote(raw.trim())));
    }
    out
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
