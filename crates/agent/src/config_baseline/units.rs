//! `systemd_unit` rules, from unit files and links under the audited root
//! (no `systemctl`, no D-Bus: an image is audited like the live host).
//!
//! - installed: a unit file of that name in `/etc/systemd/system`,
//!   `/run/systemd/system`, `/usr/local/lib/systemd/system`,
//!   `/usr/lib/systemd/system` or `/lib/systemd/system`;
//! - masked: `/etc/systemd/system/UNIT` or `/run/systemd/system/UNIT` links to `/dev/null`;
//! - enabled: not masked, and a link or file named UNIT in a `*.wants` or
//!   `*.requires` directory of one of those directories.
//!
//! `state = "enabled"` passes when any listed unit (alternatives such as
//! chrony.service and systemd-timesyncd.service) is enabled; otherwise one
//! finding says for each unit whether it is missing, disabled or masked.
//! `state = "not_enabled"` gives one finding per enabled unit. A root without
//! any of the unit directories (not a systemd system) could not run. Whether a
//! unit is active right now is left to a later step.

use super::{Problem, RuleResult};
use crate::root::HostRoot;
use selfcheck_catalog::{UnitRule, UnitState};
use std::path::Path;

const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// What the root says about one unit.
enum Status {
    Missing,
    Masked,
    Disabled,
    Enabled(String),
}

/// Evaluate a `systemd_unit` rule.
pub(crate) fn systemd_unit(root: &HostRoot, rule: &UnitRule) -> RuleResult {
    let dirs: Vec<&str> = UNIT_DIRS
        .iter()
        .copied()
        .filter(|d| root.resolve(d).is_dir())
        .collect();
    if dirs.is_empty() {
        return Err(format!(
            "none of {} exists: the audited root does not use systemd",
            UNIT_DIRS.join(", ")
        ));
    }
    let wants = wants_dirs(root, &dirs);
    let statuses: Vec<(&String, Status)> = rule
        .units
        .iter()
        .map(|u| (u, status(root, &dirs, &wants, u)))
        .collect();
    let enabled = |s: &Status| matches!(s, Status::Enabled(_));
    match rule.state {
        UnitState::Enabled if statuses.iter().any(|(_, s)| enabled(s)) => Ok(Vec::new()),
        UnitState::Enabled => Ok(vec![Problem {
            subject: rule.units.join("|"),
            evidence: statuses
                .iter()
                .map(|(u, s)| match s {
                    Status::Missing => format!("{u}: not installed"),
                    Status::Masked => format!("{u}: masked"),
                    Status::Disabled => format!("{u}: installed but not enabled"),
                    Status::Enabled(_) => format!("{u}: enabled"),
                })
                .collect(),
        }]),
        UnitState::NotEnabled => Ok(statuses
            .into_iter()
            .filter_map(|(u, s)| match s {
                Status::Enabled(link) => Some(Problem {
                    subject: u.clone(),
                    evidence: vec![format!("{u} is enabled: {link}")],
                }),
                _ => None,
            })
            .collect()),
    }
}

/// The `*.wants` / `*.requires` directories (host paths) of the unit directories.
fn wants_dirs(root: &HostRoot, dirs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(root.resolve(d)) else {
            continue;
        };
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".wants") || name.ends_with(".requires") {
                out.push(format!("{d}/{name}"));
            }
        }
    }
    out.sort();
    out
}

fn status(root: &HostRoot, dirs: &[&str], wants: &[String], unit: &str) -> Status {
    for d in ["/etc/systemd/system", "/run/systemd/system"] {
        let link = root.resolve(d).join(unit);
        if std::fs::read_link(&link).is_ok_and(|t| t == Path::new("/dev/null")) {
            return Status::Masked;
        }
    }
    let installed = dirs
        .iter()
        .any(|d| root.resolve(format!("{d}/{unit}")).is_file());
    if !installed {
        return Status::Missing;
    }
    for w in wants {
        let p = root.resolve(w).join(unit);
        if std::fs::symlink_metadata(&p).is_ok() {
            return Status::Enabled(format!("{w}/{unit}"));
        }
    }
    Status::Disabled
}

/// Whether `unit` is enabled on the root: `Ok(Some(link))` with the enabling
/// link, `Ok(None)` when missing, disabled or masked; `Err` when the root does
/// not use systemd. For function checks that weigh units with other evidence.
pub(crate) fn enabled_unit(root: &HostRoot, unit: &str) -> Result<Option<String>, String> {
    let dirs: Vec<&str> = UNIT_DIRS
        .iter()
        .copied()
        .filter(|d| root.resolve(d).is_dir())
        .collect();
    if dirs.is_empty() {
        return Err(format!(
            "none of {} exists: the audited root does not use systemd",
            UNIT_DIRS.join(", ")
        ));
    }
    let wants = wants_dirs(root, &dirs);
    Ok(match status(root, &dirs, &wants, unit) {
        Status::Enabled(link) => Some(link),
        _ => None,
    })
}

/// The unit `default.target` points at (`graphical.target`, `multi-user.target`),
/// from the first of `/etc/systemd/system`, `/usr/lib/systemd/system`,
/// `/lib/systemd/system` that has the link; `None` when none has it.
pub(crate) fn default_target(root: &HostRoot) -> Option<String> {
    [
        "/etc/systemd/system",
        "/run/systemd/system",
        "/usr/lib/systemd/system",
        "/lib/systemd/system",
    ]
    .iter()
    .find_map(|d| {
        let target = std::fs::read_link(root.join(format!("{d}/default.target"))).ok()?;
        Some(target.file_name()?.to_string_lossy().into_owned())
    })
}
