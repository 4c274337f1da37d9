//! `baseline.mac-enforcing`: a mandatory access control system enforcing
//! (GB/T 22239-2019 8.1.4.2 g): security labels and mandatory access control
//! on key subjects and objects; level 3).
//!
//! Passes with any of:
//! - SELinux: `SELINUX=enforcing` in `/etc/selinux/config` and, when the root
//!   has `/sys/fs/selinux/enforce` (a live host), it reads `1`;
//! - AppArmor: `/sys/module/apparmor/parameters/enabled` reads `Y` (kernel
//!   state: an image without `/sys` cannot show it);
//! - Kylin KYSEC: `kysec_status` in `/etc/kysec/kysec.conf` is set and not
//!   `0` (the file Kylin's `setstatus` writes; 0 is off). Whether KYSEC runs
//!   in soft (warn-only) mode is not told apart; `getstatus` on the host says.
//!
//! A root with none of `/etc/selinux`, `/etc/apparmor.d`, `/etc/kysec` and
//! no `/sys` could not run; otherwise nothing enforcing is a finding whose
//! evidence gives each system's state.

use super::super::read::read_text;
use super::super::{Problem, RuleResult};
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;

fn setting(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .next_back()
}

/// `baseline.mac-enforcing`.
pub(crate) fn mac_enforcing(
    root: &HostRoot,
    _def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let has_sys = root.is_dir("/sys");
    let known = ["/etc/selinux", "/etc/apparmor.d", "/etc/kysec"]
        .iter()
        .any(|d| root.is_dir(d));
    if !has_sys && !known {
        return Err(
            "the audited root has no /sys and none of /etc/selinux, /etc/apparmor.d, /etc/kysec: no MAC state to read"
                .to_string(),
        );
    }
    let mut evidence = Vec::new();
    // SELinux
    let config = read_text(root, "/etc/selinux/config")?;
    let mode = config.as_deref().and_then(|t| setting(t, "SELINUX"));
    let live = read_text(root, "/sys/fs/selinux/enforce")
        .ok()
        .flatten()
        .map(|t| t.trim().to_string());
    match (&mode, &live) {
        (Some(m), None) if m.eq_ignore_ascii_case("enforcing") && !has_sys => {
            return Ok(Vec::new());
        }
        (Some(m), Some(l)) if m.eq_ignore_ascii_case("enforcing") && l == "1" => {
            return Ok(Vec::new());
        }
        (Some(m), None) if m.eq_ignore_ascii_case("enforcing") => evidence.push(
            "SELinux: SELINUX=enforcing in /etc/selinux/config but the kernel has no SELinux (/sys/fs/selinux/enforce missing): reboot or check the kernel command line".to_string(),
        ),
        (Some(m), Some(l)) if m.eq_ignore_ascii_case("enforcing") => evidence.push(format!(
            "SELinux: SELINUX=enforcing in /etc/selinux/config but /sys/fs/selinux/enforce is {l} (permissive now)"
        )),
        (Some(m), _) => evidence.push(format!("SELinux: SELINUX={m} in /etc/selinux/config")),
        (None, _) => evidence.push("SELinux: no /etc/selinux/config (not installed)".to_string()),
    }
    // AppArmor
    match read_text(root, "/sys/module/apparmor/parameters/enabled")
        .ok()
        .flatten()
    {
        Some(v) if v.trim() == "Y" => return Ok(Vec::new()),
        Some(v) => evidence.push(format!(
            "AppArmor: /sys/module/apparmor/parameters/enabled is {}",
            v.trim()
        )),
        None if has_sys => {
            evidence.push("AppArmor: not in the kernel (no /sys/module/apparmor)".to_string())
        }
        None => evidence.push("AppArmor: kernel state unknown (the root has no /sys)".to_string()),
    }
    // KYSEC
    match read_text(root, "/etc/kysec/kysec.conf")? {
        Some(t) => match setting(&t, "kysec_status") {
            Some(v) if v != "0" => return Ok(Vec::new()),
            Some(v) => evidence.push(format!(
                "KYSEC: kysec_status = {v} in /etc/kysec/kysec.conf (off)"
            )),
            None => evidence.push("KYSEC: /etc/kysec/kysec.conf sets no kysec_status".to_string()),
        },
        None => evidence.push("KYSEC: no /etc/kysec/kysec.conf (not a Kylin system)".to_string()),
    }
    Ok(vec![Problem {
        subject: "mandatory access control".to_string(),
        evidence,
    }])
}
