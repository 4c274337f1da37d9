//! Function checks: baseline checks whose logic goes beyond the declarative
//! kinds, each a small Rust function registered here under its check id.
//!
//! A catalog check says `kind = "function"` in its `[check.rule]` and keeps
//! its parameters in `[check.params]` ([`CheckDef::params`]); the function
//! reads them with the helpers below, so a wrong parameter names the check and
//! the key. A function gets the audited root (every read through
//! [`HostRoot`], never a shell, never a write) and the audit's time, so ages
//! (last login, oldest log) are measured against the same clock as the report.
//!
//! A `kind = "function"` check whose id has no function here could not run,
//! with that reason; a test checks that the catalog and this registry name
//! the same ids.

mod audit_rules;
mod backup;
mod forwarding;
mod lockout;
pub mod logins;
pub mod logs;
mod mac;
mod network;
mod services;
mod sudo;
mod world_writable;

use super::RuleResult;
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::{CheckDef, KnownCheck, checks};
use selfcheck_hostfs::root::HostRoot;

/// A function check: the root, the check (for its params) and the audit's time.
pub type CheckFn = fn(&HostRoot, &CheckDef, DateTime<FixedOffset>) -> RuleResult;

/// Every function check, by check id.
const REGISTRY: &[(KnownCheck, CheckFn)] = &[
    (checks::BASELINE_LOGIN_LOCKOUT, lockout::login_lockout),
    (checks::BASELINE_UNUSED_ACCOUNTS, logins::unused_accounts),
    (
        checks::BASELINE_WORLD_WRITABLE,
        world_writable::world_writable,
    ),
    (checks::BASELINE_AUDIT_RULES, audit_rules::audit_rules),
    (
        checks::BASELINE_AUDIT_IMMUTABLE,
        audit_rules::audit_immutable,
    ),
    (checks::BASELINE_LOG_RETENTION, logs::log_retention),
    (checks::BASELINE_REMOTE_LOGGING, forwarding::remote_logging),
    (checks::BASELINE_HOST_FIREWALL, network::host_firewall),
    (
        checks::BASELINE_MANAGEMENT_ACCESS,
        network::management_access,
    ),
    (checks::BASELINE_NFS_EXPORTS, network::nfs_exports),
    (checks::BASELINE_MAC_ENFORCING, mac::mac_enforcing),
    (checks::BASELINE_PRINT_SERVICE, services::print_service),
    (checks::BASELINE_BACKUP_JOB, backup::backup_job),
    (checks::BASELINE_SUDO_ALL_COMMANDS, sudo::sudo_all_commands),
];

/// The ids of the registered function checks.
pub fn ids() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|(id, _)| id.as_str())
}

/// The function registered under `id`.
pub fn lookup(id: &str) -> Option<CheckFn> {
    REGISTRY
        .iter()
        .find(|(i, _)| i.as_str() == id)
        .map(|(_, f)| *f)
}

/// Run the function check `def`.
pub(crate) fn run(root: &HostRoot, def: &CheckDef, now: DateTime<FixedOffset>) -> RuleResult {
    match lookup(def.id.as_str()) {
        Some(f) => f(root, def, now),
        None => Err(format!(
            "{} is a kind = \"function\" check but this agent has no function registered under that id; update the agent or fix the catalog",
            def.id
        )),
    }
}

/// A whole-number parameter (`default` when absent).
pub(crate) fn param_u64(def: &CheckDef, key: &str, default: u64) -> Result<u64, String> {
    match def.params.get(key) {
        None => Ok(default),
        Some(toml::Value::Integer(n)) if *n >= 0 => Ok(*n as u64),
        Some(v) => Err(param_error(
            def,
            key,
            &format!("{v} is not a whole number ≥ 0"),
        )),
    }
}

/// A list-of-strings parameter (`default` when absent).
pub(crate) fn param_strings(
    def: &CheckDef,
    key: &str,
    default: &[&str],
) -> Result<Vec<String>, String> {
    match def.params.get(key) {
        None => Ok(default.iter().map(|s| s.to_string()).collect()),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                toml::Value::String(s) if !s.is_empty() => Ok(s.clone()),
                _ => Err(param_error(def, key, "must list non-empty strings")),
            })
            .collect(),
        Some(_) => Err(param_error(def, key, "must be a list of strings")),
    }
}

/// A list of absolute host paths without `..` (`default` when absent).
pub(crate) fn param_paths(
    def: &CheckDef,
    key: &str,
    default: &[&str],
) -> Result<Vec<String>, String> {
    let paths = param_strings(def, key, default)?;
    if let Some(bad) = paths
        .iter()
        .find(|p| !p.starts_with('/') || p.split('/').any(|c| c == ".."))
    {
        return Err(param_error(
            def,
            key,
            &format!("{bad:?} is not an absolute host path without `..`"),
        ));
    }
    Ok(paths)
}

fn param_error(def: &CheckDef, key: &str, message: &str) -> String {
    format!("{}; fix the check's params", def.param_error(key, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use selfcheck_catalog::{Catalog, Rule};

    #[test]
    fn every_function_check_has_a_function_and_every_function_a_check() {
        let catalog = Catalog::embedded().unwrap();
        let function_checks: Vec<&str> = catalog
            .area(super::super::AREA)
            .filter(|d| d.rule == Some(Rule::Function))
            .map(|d| d.id.as_str())
            .collect();
        for id in &function_checks {
            assert!(lookup(id).is_some(), "{id} has no registered function");
        }
        for id in ids() {
            assert!(
                function_checks.contains(&id),
                "{id} is registered but no kind = \"function\" check has that id"
            );
        }
        let mut sorted: Vec<&str> = ids().collect();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), REGISTRY.len(), "an id is registered twice");
    }
}
