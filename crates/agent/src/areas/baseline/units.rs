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
//! chrony.service and systemd-timesyncd.service) is enabled and, where the
//! live state can be read, running; otherwise one finding says for each unit
//! whether it is missing, disabled, masked, or enabled but not running.
//! `state = "not_enabled"` gives one finding per enabled unit. A root without
//! any of the unit directories (not a systemd system) could not run.
//!
//! Live state: when systemd runs on the audited root (`/run/systemd/system`
//! exists, the test `sd_booted()` makes), an enabled service must also have a
//! process of its `ExecStart=` program in `/proc` (matched on the process
//! name, which the kernel cuts to 15 bytes, or the executable's file name). A
//! unit without `ExecStart=` (a socket, a target) is taken as it is enabled.
//! Images and containers without systemd have no live state: enabled is enough.

use super::{Problem, RuleResult};
use selfcheck_catalog::{UnitRule, UnitState};
use selfcheck_hostfs::root::HostRoot;
use std::cell::OnceCell;
use std::path::Path;

const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// An enabled unit's program and whether a process of it runs; `None`
/// without live state or without `ExecStart=`.
type Running = Option<(String, bool)>;

/// What the root says about one unit.
enum Status {
    Missing,
    Masked,
    Disabled,
    Enabled(String),
}

/// The unit directories the root has; `Err` when it has none (not a systemd system).
fn unit_dirs(root: &HostRoot) -> Result<Vec<&'static str>, String> {
    let dirs: Vec<&str> = UNIT_DIRS
        .iter()
        .copied()
        .filter(|d| root.is_dir(d))
        .collect();
    if dirs.is_empty() {
        return Err(format!(
            "none of {} exists: the audited root does not use systemd",
            UNIT_DIRS.join(", ")
        ));
    }
    Ok(dirs)
}

/// Evaluate a `systemd_unit` rule.
/// `processes` is the root's process table, read at the first live-state
/// test of the audit and shared by the others.
pub(crate) fn systemd_unit(
    root: &HostRoot,
    rule: &UnitRule,
    processes: &OnceCell<Vec<Process>>,
) -> RuleResult {
    let dirs = unit_dirs(root)?;
    let wants = wants_dirs(root, &dirs);
    let statuses: Vec<(&String, Status)> = rule
        .units
        .iter()
        .map(|u| (u, status(root, &dirs, &wants, u)))
        .collect();
    let live = root.is_dir("/run/systemd/system");
    // For each enabled unit: the program it runs and whether a process of it was seen.
    let running = |u: &str| -> Running {
        if !live {
            return None;
        }
        let program = exec_start(root, &dirs, u)?;
        let seen = process_running(processes.get_or_init(|| self::processes(root)), u, &program);
        Some((program, seen))
    };
    let statuses: Vec<(&String, Status, Running)> = statuses
        .into_iter()
        .map(|(u, s)| {
            let run = match s {
                Status::Enabled(_) => running(u),
                _ => None,
            };
            (u, s, run)
        })
        .collect();
    let works = |s: &Status, run: &Running| {
        matches!(s, Status::Enabled(_)) && run.as_ref().is_none_or(|(_, seen)| *seen)
    };
    match rule.state {
        UnitState::Enabled if statuses.iter().any(|(_, s, r)| works(s, r)) => Ok(Vec::new()),
        UnitState::Enabled => Ok(vec![Problem {
            subject: rule.units.join("|"),
            evidence: statuses
                .iter()
                .map(|(u, s, run)| match (s, run) {
                    (Status::Missing, _) => format!("{u}: not installed"),
                    (Status::Masked, _) => format!("{u}: masked"),
                    (Status::Disabled, _) => format!("{u}: installed but not enabled"),
                    (Status::Enabled(_), Some((program, false))) => format!(
                        "{u}: enabled, but no process of {program} runs (systemd is running on this host)"
                    ),
                    (Status::Enabled(_), _) => format!("{u}: enabled"),
                })
                .collect(),
        }]),
        UnitState::NotEnabled => Ok(statuses
            .into_iter()
            .filter_map(|(u, s, _)| match s {
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
        let Ok(entries) = root.read_dir(d) else {
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
        if root
            .read_link(format!("{d}/{unit}"))
            .is_ok_and(|t| t == Path::new("/dev/null"))
        {
            return Status::Masked;
        }
    }
    let installed = dirs.iter().any(|d| root.is_file(format!("{d}/{unit}")));
    if !installed {
        return Status::Missing;
    }
    for w in wants {
        if root.symlink_metadata(format!("{w}/{unit}")).is_ok() {
            return Status::Enabled(format!("{w}/{unit}"));
        }
    }
    Status::Disabled
}

/// Whether `unit` is enabled on the root: `Ok(Some(link))` with the enabling
/// link, `Ok(None)` when missing, disabled or masked; `Err` when the root does
/// not use systemd. For function checks that weigh units with other evidence.
pub(crate) fn enabled_unit(root: &HostRoot, unit: &str) -> Result<Option<String>, String> {
    let dirs = unit_dirs(root)?;
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
        let target = root.read_link(format!("{d}/default.target")).ok()?;
        Some(target.file_name()?.to_string_lossy().into_owned())
    })
}

/// The program of a unit's first `ExecStart=` (prefixes such as `-` and `@`
/// removed), from the first unit directory that has the unit file.
fn exec_start(root: &HostRoot, dirs: &[&str], unit: &str) -> Option<String> {
    let text = dirs
        .iter()
        .find_map(|d| root.read_optional(format!("{d}/{unit}")).ok().flatten())?;
    text.lines().find_map(|line| {
        let value = line.trim().strip_prefix("ExecStart=")?;
        let value = value.trim_start_matches(['@', '-', ':', '+', '!', '|']);
        value.split_whitespace().next().map(str::to_string)
    })
}

/// One process of the audited root, as far as the live-state test needs it.
pub(crate) struct Process {
    /// Its name (`comm`), cut to 15 bytes by the kernel.
    comm: String,
    /// The file name of its executable, when readable.
    exe: Option<String>,
    /// Its control-group lines (`0::/system.slice/auditd.service`).
    cgroup: String,
}

/// The processes of the root's `/proc`, read once per audit (every read
/// non-blocking and bounded, like every read of the root).
pub(crate) fn processes(root: &HostRoot) -> Vec<Process> {
    let Ok(entries) = root.read_dir("/proc") else {
        return Vec::new();
    };
    let text = |pid: &str, file: &str| {
        root.read_optional(format!("/proc/{pid}/{file}"))
            .ok()
            .flatten()
            .unwrap_or_default()
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let pid = e.file_name().to_string_lossy().into_owned();
            if !pid.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(Process {
                comm: text(&pid, "comm").trim_end().to_string(),
                exe: root
                    .read_link(format!("/proc/{pid}/exe"))
                    .ok()
                    .and_then(|exe| {
                        let name = exe.file_name()?.to_string_lossy().into_owned();
                        Some(name.trim_end_matches(" (deleted)").to_string())
                    }),
                cgroup: text(&pid, "cgroup"),
            })
        })
        .collect()
}

/// Whether the unit runs: a process in the unit's control group (what
/// systemd starts, wrapper scripts that exec the daemon included), or whose
/// name (`comm`, cut to 15 bytes by the kernel) or executable file name is
/// the `ExecStart=` program's.
fn process_running(processes: &[Process], unit: &str, program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    let short: String = name.bytes().take(15).map(char::from).collect();
    let (ends, inside) = (format!("/{unit}"), format!("/{unit}/"));
    processes.iter().any(|p| {
        p.cgroup.lines().any(|l| {
            let path = l.splitn(3, ':').nth(2).unwrap_or("");
            path.ends_with(&ends) || path.contains(&inside)
        }) || p.comm == short
            || p.comm == name
            || p.exe.as_deref() == Some(name)
    })
}
