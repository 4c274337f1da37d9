//! The algorithm lists (`Ciphers`, `MACs`, `KexAlgorithms`,
//! `HostKeyAlgorithms`, `PubkeyAcceptedAlgorithms`): OpenSSH's compiled-in
//! default and supported lists by version, and kex.c's
//! `kex_assemble_names`: `+list` appends to the default, `-list` removes
//! patterns from it, `^list` puts names first, anything else replaces it;
//! patterns (`*`, `?`) in the list are expanded against the supported list.
//!
//! Default lists, by the installed OpenSSH's version (found in the
//! `OpenSSH_X.Y` string of the root's `/usr/sbin/sshd`):
//! - 10.0 and later (current upstream, 10.0 to 10.3; myproposal.h 1.77):
//!   ML-KEM hybrid first, no finite-field Diffie-Hellman in sshd's default,
//!   AES-GCM before AES-CTR; DSA keys no longer supported;
//! - 8.0 to 9.9: the lists `sshd -T` prints on OpenSSH 9.2p1 (Debian 12),
//!   which the oracle test compares against;
//! - before 8.0: OpenSSH 7.4's lists (includes diffie-hellman-group14-sha1
//!   and diffie-hellman-group-exchange-sha1).
//!
//! When the version cannot be found the current (10.x) lists are assumed and
//! the evidence says so. A build without OpenSSL or a distribution patch may
//! differ; an explicit list in sshd_config never depends on this.

use super::matching::match_pattern;
use selfcheck_hostfs::root::HostRoot;

/// The lists of one OpenSSH version range.
#[derive(Debug)]
pub struct Defaults {
    /// Which version the lists were taken from.
    pub version: &'static str,
    ciphers: &'static str,
    macs: &'static str,
    kex: &'static str,
    keys: &'static str,
    all_ciphers: &'static str,
    all_macs: &'static str,
    all_kex: &'static str,
    all_keys: &'static str,
}

const MACS: &str = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
const ALL_MACS: &str = "hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,umac-64@openssh.com,umac-128@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com";
const ALL_CIPHERS: &str = "3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com";
const KEYS: &str = "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";
const ALL_KEYS_NO_DSA: &str = "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com";
const ALL_KEX_9: &str = "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com";

/// OpenSSH 10.0 and later.
pub static V10: Defaults = Defaults {
    version: "OpenSSH 10.x",
    ciphers: "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr",
    macs: MACS,
    kex: "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521",
    keys: KEYS,
    all_ciphers: ALL_CIPHERS,
    all_macs: ALL_MACS,
    all_kex: "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,mlkem768x25519-sha256",
    all_keys: ALL_KEYS_NO_DSA,
};

/// OpenSSH 8.0 to 9.9 (as OpenSSH 9.2p1 prints them).
pub static V9: Defaults = Defaults {
    version: "OpenSSH 9.x",
    ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
    macs: MACS,
    kex: "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
    keys: KEYS,
    all_ciphers: ALL_CIPHERS,
    all_macs: ALL_MACS,
    all_kex: ALL_KEX_9,
    all_keys: "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-dss-cert-v01@openssh.com,ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com",
};

/// Before OpenSSH 8.0 (OpenSSH 7.4's lists).
pub static V7: Defaults = Defaults {
    version: "OpenSSH 7.x",
    ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
    macs: MACS,
    kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1",
    keys: "ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,ssh-ed25519-cert-v01@openssh.com,ssh-rsa-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-ed25519,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
    all_ciphers: "3des-cbc,blowfish-cbc,cast128-cbc,arcfour,arcfour128,arcfour256,aes128-cbc,aes192-cbc,aes256-cbc,rijndael-cbc@lysator.liu.se,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com",
    all_macs: ALL_MACS,
    all_kex: ALL_KEX_9,
    all_keys: "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,ssh-rsa,rsa-sha2-256,rsa-sha2-512,ssh-dss,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa-cert-v01@openssh.com,ssh-dss-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com",
};

/// The algorithm-list keywords (lower case) and whether `kw` is one.
pub const LIST_KEYWORDS: &[&str] = &[
    "ciphers",
    "macs",
    "kexalgorithms",
    "hostkeyalgorithms",
    "pubkeyacceptedalgorithms",
];

impl Defaults {
    /// The default and the supported list of a list keyword (lower case).
    pub fn lists(&self, keyword: &str) -> Option<(&'static str, &'static str)> {
        Some(match keyword {
            "ciphers" => (self.ciphers, self.all_ciphers),
            "macs" => (self.macs, self.all_macs),
            "kexalgorithms" => (self.kex, self.all_kex),
            "hostkeyalgorithms" | "pubkeyacceptedalgorithms" => (self.keys, self.all_keys),
            _ => return None,
        })
    }
}

/// The lists for an OpenSSH `(major, minor)`; `None`: the current ones.
pub fn defaults_for(version: Option<(u32, u32)>) -> &'static Defaults {
    match version {
        Some((major, _)) if major < 8 => &V7,
        Some((major, _)) if major < 10 => &V9,
        _ => &V10,
    }
}

/// The installed OpenSSH's release string (`OpenSSH_9.2p1 Debian-2+deb12u10`)
/// and `(major, minor)`, read from the root's `/usr/sbin/sshd`; `None` when
/// the binary is missing, too large or carries no such string.
pub fn detect_version(root: &HostRoot) -> Option<(String, (u32, u32))> {
    let text = root.read_optional("/usr/sbin/sshd").ok()??;
    let mut best: Option<(String, (u32, u32))> = None;
    for (at, _) in text.match_indices("OpenSSH_") {
        let rest = &text[at + 8..];
        let end = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '.' | ' ' | '-' | '+' | '~'))
            })
            .unwrap_or(rest.len())
            .min(64);
        let release = rest[..end].trim_end();
        let mut nums = release.split(|c: char| !c.is_ascii_digit());
        let (Some(Ok(major)), Some(Ok(minor))) = (
            nums.next().map(str::parse::<u32>),
            nums.next().map(str::parse::<u32>),
        ) else {
            continue;
        };
        // Compatibility patterns (`OpenSSH_7.4*`) end in `*`; the release is `X.YpZ`.
        let proper = release.len() > 3 && !rest[release.len()..].starts_with('*');
        if proper && best.as_ref().is_none_or(|(r, _)| release.len() > r.len()) {
            best = Some((format!("OpenSSH_{release}"), (major, minor)));
        }
    }
    best
}

/// An effective algorithm list: each name with where it comes from.
pub type AlgorithmList = Vec<(String, Origin)>;

/// Where an algorithm of the effective list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The compiled-in default list.
    Default,
    /// The configuration line.
    Configured,
}

/// kex.c `kex_assemble_names`: the effective list for a configured value
/// (none: the default), each name with its origin. `Err` when sshd would
/// reject the value (a negated pattern, an empty result).
pub fn assemble(
    value: Option<&str>,
    default: &str,
    all: &str,
) -> Result<Vec<(String, Origin)>, String> {
    let names = |s: &str| -> Vec<String> {
        s.split(',')
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect()
    };
    let tag = |v: Vec<String>, o: Origin| -> Vec<(String, Origin)> {
        v.into_iter().map(|n| (n, o)).collect()
    };
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(tag(names(default), Origin::Default));
    };
    let expand = |list: &str| -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        for p in list.split(',').filter(|p| !p.is_empty()) {
            if p.starts_with('!') {
                return Err(format!(
                    "negated pattern {p} is not allowed in an algorithm list"
                ));
            }
            let found: Vec<String> = if p.contains(['*', '?']) {
                names(all)
                    .into_iter()
                    .filter(|n| match_pattern(n, p))
                    .collect()
            } else {
                vec![p.to_string()]
            };
            for n in found {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        Ok(out)
    };
    let merged = |first: Vec<(String, Origin)>, second: Vec<(String, Origin)>| {
        let mut out = first;
        for (n, o) in second {
            if !out.iter().any(|(m, _)| *m == n) {
                out.push((n, o));
            }
        }
        out
    };
    let result = if let Some(rest) = value.strip_prefix('+') {
        merged(
            tag(names(default), Origin::Default),
            tag(expand(rest)?, Origin::Configured),
        )
    } else if let Some(rest) = value.strip_prefix('-') {
        let patterns: Vec<&str> = rest.split(',').filter(|p| !p.is_empty()).collect();
        let kept = names(default)
            .into_iter()
            .filter(|n| !patterns.iter().any(|p| match_pattern(n, p)))
            .collect();
        tag(kept, Origin::Default)
    } else if let Some(rest) = value.strip_prefix('^') {
        merged(
            tag(expand(rest)?, Origin::Configured),
            tag(names(default), Origin::Default),
        )
    } else {
        tag(expand(value)?, Origin::Configured)
    };
    if result.is_empty() && !value.starts_with('-') {
        return Err(format!("{value} leaves no algorithm"));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[(String, Origin)]) -> String {
        v.iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn lists_append_remove_prepend_and_replace() {
        let (def, all) = ("a,b,c", "a,b,c,d,e-cbc,f-cbc");
        assert_eq!(names(&assemble(None, def, all).unwrap()), "a,b,c");
        let plus = assemble(Some("+d,a"), def, all).unwrap();
        assert_eq!(names(&plus), "a,b,c,d");
        assert_eq!(plus[3].1, Origin::Configured);
        assert_eq!(plus[0].1, Origin::Default);
        assert_eq!(names(&assemble(Some("-b,z*"), def, all).unwrap()), "a,c");
        assert_eq!(names(&assemble(Some("^d,c"), def, all).unwrap()), "d,c,a,b");
        assert_eq!(
            names(&assemble(Some("*-cbc,a"), def, all).unwrap()),
            "e-cbc,f-cbc,a"
        );
        assert!(assemble(Some("!a"), def, all).is_err());
    }

    #[test]
    fn versions_pick_their_lists() {
        assert_eq!(defaults_for(Some((9, 2))).version, "OpenSSH 9.x");
        assert_eq!(defaults_for(Some((10, 2))).version, "OpenSSH 10.x");
        assert_eq!(defaults_for(Some((7, 4))).version, "OpenSSH 7.x");
        assert_eq!(defaults_for(None).version, "OpenSSH 10.x");
    }
}
