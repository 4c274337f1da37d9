//! `baseline.remote-logging`: logs are copied to a log server (GB/T 22239-2019
//! 8.1.4.3 c): back up and protect audit records).
//!
//! Recognised: rsyslog (`*.* @host`, `@@host`, `:omrelp:`,
//! `action(type="omfwd"|"omrelp" ...)` in `/etc/rsyslog.conf` and
//! `/etc/rsyslog.d/*.conf`), syslog-ng (a `destination` with `network(`,
//! `syslog(`, `tcp(`, `udp(`), or systemd-journal-upload (a `URL=` and the
//! service enabled). No forwarder is a finding; a root without any log
//! daemon configuration (no rsyslog, syslog-ng or journald files: not a
//! full system) could not run.

use super::super::read::read_some;
use super::super::units::enabled_unit;
use super::super::{Problem, RuleResult};
use chrono::{DateTime, FixedOffset};
use regex::Regex;
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;

/// `baseline.remote-logging`.
pub(crate) fn remote_logging(
    root: &HostRoot,
    _def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    if !root.is_dir("/etc") {
        return Err("the audited root has no /etc".to_string());
    }
    let strip = |text: &str| -> String {
        text.lines()
            .map(|l| {
                if l.trim_start().starts_with('#') {
                    ""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut read = Vec::new();
    // rsyslog
    let (rsyslog, errors) = read_some(root, &["/etc/rsyslog.conf", "/etc/rsyslog.d/*.conf"]);
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    let legacy = Regex::new(r"(?m)^\s*[^\s$(]\S*\s+(?:-\s*)?(@@?\(?[\[\w]|:omrelp:|:omfwd:)")
        .map_err(|e| e.to_string())?;
    let action = Regex::new(r#"(?s)action\s*\([^)]*type\s*=\s*"om(fwd|relp)""#)
        .map_err(|e| e.to_string())?;
    for (path, text) in &rsyslog {
        let t = strip(text);
        if legacy.is_match(&t) || action.is_match(&t.to_lowercase()) {
            return Ok(Vec::new());
        }
        read.push(path.clone());
    }
    // syslog-ng
    let (ng, errors) = read_some(
        root,
        &[
            "/etc/syslog-ng/syslog-ng.conf",
            "/etc/syslog-ng/conf.d/*.conf",
        ],
    );
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    let dest = Regex::new(r"(?s)destination\s+\S+\s*\{[^}]*\b(network|syslog|tcp6?|udp6?)\s*\(")
        .map_err(|e| e.to_string())?;
    for (path, text) in &ng {
        if dest.is_match(&strip(text)) {
            return Ok(Vec::new());
        }
        read.push(path.clone());
    }
    // systemd-journal-upload
    let (upload, _) = read_some(
        root,
        &[
            "/etc/systemd/journal-upload.conf",
            "/etc/systemd/journal-upload.conf.d/*.conf",
        ],
    );
    let url = upload.iter().any(|(_, t)| {
        t.lines().any(|l| {
            l.split_once('=')
                .is_some_and(|(k, v)| k.trim() == "URL" && !v.trim().is_empty())
        })
    });
    let upload_enabled = enabled_unit(root, "systemd-journal-upload.service")
        .ok()
        .flatten()
        .is_some();
    if url && upload_enabled {
        return Ok(Vec::new());
    }
    read.extend(upload.iter().map(|(p, _)| p.clone()));
    let journald = [
        "/etc/systemd/journald.conf",
        "/usr/lib/systemd/journald.conf",
    ]
    .iter()
    .any(|p| root.is_file(p));
    if read.is_empty() && !journald {
        return Err(
            "no log daemon is configured on the audited root: none of /etc/rsyslog.conf, /etc/syslog-ng/syslog-ng.conf, /etc/systemd/journald.conf exists"
                .to_string(),
        );
    }
    let mut evidence = vec![if read.is_empty() {
        "only journald is configured, and no systemd-journal-upload: no rsyslog or syslog-ng configuration found".to_string()
    } else {
        format!("no remote log destination in {}", read.join(", "))
    }];
    if url && !upload_enabled {
        evidence.push(
            "journal-upload.conf sets URL= but systemd-journal-upload.service is not enabled"
                .to_string(),
        );
    }
    Ok(vec![Problem {
        subject: "/etc/rsyslog.conf".to_string(),
        evidence,
    }])
}
