//! The sshd part of the configuration-baseline fixture: a hardened sshd
//! configuration and, for each sshd check, a change that breaks only it.

use super::baseline_fixture::{Break, write};
use std::path::Path;

/// The hardened sshd_config: an Include first, globals (explicit strong MACs:
/// OpenSSH's default list has hmac-sha1 and umac-64; Ciphers and
/// KexAlgorithms keep the strong defaults), then Match blocks that tighten
/// settings, one reading its settings through an Include.
pub const SSHD_CONFIG: &str = "\
# global settings
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin no
PasswordAuthentication no
PermitEmptyPasswords no
LoginGraceTime 1m
MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com

Match User backup
    MaxAuthTries 2
    ForceCommand /usr/local/bin/backup

Match Address 10.0.0.0/8,!10.9.0.0/16
    Include match.d/*.conf
";

/// The hardened settings of the Match Address block, read through its Include.
const MATCH_D: &str = "ClientAliveInterval 120\nClientAliveCountMax 2\n";

/// Write the hardened sshd configuration into `r`.
pub fn harden(r: &Path) {
    write(r, "etc/ssh/sshd_config", SSHD_CONFIG, 0o600);
    write(
        r,
        "etc/ssh/sshd_config.d/50-local.conf",
        "MaxAuthTries 3\nClientAliveInterval 300\n",
        0o600,
    );
    write(r, "etc/ssh/match.d/admins.conf", MATCH_D, 0o600);
}

/// For each sshd check: its id, the subject its finding names, and the change that breaks it.
pub fn breaks() -> Vec<(&'static str, &'static str, Break)> {
    vec![
        // Only a Match block weakens the setting: the global value stays `no`.
        (
            "baseline.sshd-permit-root-login",
            "/etc/ssh/sshd_config:Match User backup:PermitRootLogin",
            |r| {
                write(
                    r,
                    "etc/ssh/sshd_config",
                    &SSHD_CONFIG.replace(
                        "    MaxAuthTries 2\n",
                        "    MaxAuthTries 2\n    permitrootlogin=yes\n",
                    ),
                    0o600,
                )
            },
        ),
        // sshd takes the first value: the Include comes before the main file's `no`.
        (
            "baseline.sshd-permit-empty-passwords",
            "/etc/ssh/sshd_config:PermitEmptyPasswords",
            |r| {
                write(
                    r,
                    "etc/ssh/sshd_config.d/00-first.conf",
                    "PermitEmptyPasswords=yes\n",
                    0o600,
                )
            },
        ),
        // Not set: sshd's default yes applies.
        (
            "baseline.sshd-password-authentication",
            "/etc/ssh/sshd_config:PasswordAuthentication",
            |r| {
                write(
                    r,
                    "etc/ssh/sshd_config",
                    &SSHD_CONFIG.replace("PasswordAuthentication no\n", ""),
                    0o600,
                )
            },
        ),
        (
            "baseline.sshd-max-auth-tries",
            "/etc/ssh/sshd_config:MaxAuthTries",
            |r| {
                write(
                    r,
                    "etc/ssh/sshd_config.d/50-local.conf",
                    "MaxAuthTries 6\nClientAliveInterval 300\n",
                    0o600,
                )
            },
        ),
        (
            "baseline.sshd-client-alive-interval",
            "/etc/ssh/sshd_config:ClientAliveInterval",
            |r| {
                write(
                    r,
                    "etc/ssh/sshd_config.d/50-local.conf",
                    "MaxAuthTries 3\n",
                    0o600,
                )
            },
        ),
        // A file included inside a Match block disables the idle timeout for those addresses.
        (
            "baseline.sshd-client-alive-count-max",
            "/etc/ssh/sshd_config:Match Address 10.0.0.0/8,!10.9.0.0/16:ClientAliveCountMax",
            |r| {
                write(
                    r,
                    "etc/ssh/match.d/admins.conf",
                    "ClientAliveInterval 120\nClientAliveCountMax 0\n",
                    0o600,
                )
            },
        ),
        (
            "baseline.sshd-login-grace-time",
            "/etc/ssh/sshd_config:LoginGraceTime",
            |r| {
                write(
                    r,
                    "etc/ssh/sshd_config.d/00-first.conf",
                    "LoginGraceTime 2m\n",
                    0o600,
                )
            },
        ),
        (
            "baseline.sshd-weak-ciphers",
            "/etc/ssh/sshd_config:Ciphers",
            |r| {
                write(
                    r,
                    "etc/ssh/sshd_config.d/00-first.conf",
                    "Ciphers +aes256-cbc,3des-cbc\n",
                    0o600,
                )
            },
        ),
        // No MACs line: OpenSSH's default list (with hmac-sha1, umac-64) applies.
        (
            "baseline.sshd-weak-macs",
            "/etc/ssh/sshd_config:MACs",
            |r| {
                let text: String = SSHD_CONFIG
                    .lines()
                    .filter(|l| !l.starts_with("MACs"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                write(r, "etc/ssh/sshd_config", &text, 0o600)
            },
        ),
        (
            "baseline.sshd-weak-kex",
            "/etc/ssh/sshd_config:KexAlgorithms",
            |r| {
                write(
                    r,
                    "etc/ssh/sshd_config.d/50-local.conf",
                    "MaxAuthTries 3\nClientAliveInterval 300\nKexAlgorithms ^diffie-hellman-group14-sha1\n",
                    0o600,
                )
            },
        ),
    ]
}
