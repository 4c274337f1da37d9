//! The sshd part of the configuration-baseline fixture: a hardened sshd
//! configuration and, for each sshd check, a change that breaks only it.

use super::baseline_fixture::{Break, write};
use std::path::Path;

/// The hardened sshd_config: an Include first, globals, then a Match block.
pub const SSHD_CONFIG: &str = "\
# global settings
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin no
PasswordAuthentication no
PermitEmptyPasswords no

Match User backup
    PermitRootLogin yes
    MaxAuthTries 10
";

/// Write the hardened sshd configuration into `r`.
pub fn harden(r: &Path) {
    write(r, "etc/ssh/sshd_config", SSHD_CONFIG, 0o600);
    write(
        r,
        "etc/ssh/sshd_config.d/50-local.conf",
        "MaxAuthTries 3\nClientAliveInterval 300\n",
        0o600,
    );
}

/// For each sshd check: its id, the subject its finding names, and the change that breaks it.
pub fn breaks() -> Vec<(&'static str, &'static str, Break)> {
    vec![
        // sshd takes the first value: the Include comes before the main file's `no`.
        (
            "baseline.sshd-permit-root-login",
            "/etc/ssh/sshd_config:PermitRootLogin",
            |r| {
                write(
                    r,
                    "etc/ssh/sshd_config.d/00-first.conf",
                    "permitrootlogin yes\n",
                    0o600,
                )
            },
        ),
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
    ]
}
