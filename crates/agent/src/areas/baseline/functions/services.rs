//! `baseline.print-service`: CUPS enabled on a server (GB/T 22239-2019
//! 8.1.4.4 a) b): install only what is needed, close unneeded services).
//!
//! A host whose `default.target` is `graphical.target` is a workstation and
//! passes (printing is expected there). Otherwise each of `cups.service`,
//! `cups.socket`, `cups.path` that is enabled is reported in one finding.
//! A root without systemd could not run.

use super::super::units::{default_target, enabled_unit};
use super::super::{Problem, RuleResult};
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;

const CUPS: &[&str] = &["cups.service", "cups.socket", "cups.path"];

/// `baseline.print-service`.
pub(crate) fn print_service(
    root: &HostRoot,
    _def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let mut evidence = Vec::new();
    for unit in CUPS {
        if let Some(link) = enabled_unit(root, unit)? {
            evidence.push(format!("{unit} is enabled: {link}"));
        }
    }
    let target = default_target(root);
    if evidence.is_empty() || target.as_deref() == Some("graphical.target") {
        return Ok(Vec::new());
    }
    evidence.push(match target {
        Some(t) => format!("default.target is {t}: a server, not a desktop"),
        None => "no default.target link found: taken as a server".to_string(),
    });
    Ok(vec![Problem {
        subject: CUPS.join("|"),
        evidence,
    }])
}
