//! Configuration baseline: the GB/T 22239-2019 (等保 2.0) host controls an
//! agent can check from files, as declarative checks.
//!
//! Each check of area `baseline` in the catalog carries a [`Rule`] (key/value
//! in a config file, a line present or absent, file mode and owner, a sysctl
//! value, systemd units enabled or not, a named account rule). This module
//! evaluates those rules against the audited root — every read goes through
//! [`HostRoot`], never a shell, never a write — and returns one [`CheckRun`]
//! per check plus its findings (subject: the file, key, unit or account;
//! evidence: the offending lines or values).
//!
//! A check whose input is missing either could not run (the program is not
//! installed: no `sshd_config`, no `proc/sys` in an image) or reports the
//! absence as a finding; each rule says which (`missing = ...`), and each
//! kind documents its default. Levels (`levels = [2, 3]`) are carried for the
//! later level profiles; every check runs for now.
//!
//! A check that needs logic beyond the declarative kinds (binary login
//! records, a bounded file-system walk, audit rules, log retention
//! arithmetic...) says `kind = "function"` and is a small Rust function
//! registered under its id in [`functions`], reading its `[check.params]`.
//!
//! [`CheckRun`]: selfcheck_report::CheckRun

mod accounts;
pub mod cfg;
mod files;
pub mod functions;
mod keyvalue;
mod lines;
mod read;
pub mod sshd;
mod units;

use crate::audit::{Area, AreaOutput, AuditCtx, AuditOutput, CheckCollector};
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::{Catalog, CatalogError, CheckDef, Rule};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::Inventory;

/// The catalog area of configuration-baseline checks.
pub const AREA: selfcheck_catalog::Area = selfcheck_catalog::Area::Baseline;

/// One problem a rule found: what it is about and what shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, `file:key`, unit or account concerned.
    pub subject: String,
    /// The offending lines or values.
    pub evidence: Vec<String>,
}

/// A rule's result: its problems (none: passed), or why it could not run.
pub type RuleResult = Result<Vec<Problem>, String>;

/// Evaluate one check's rule against the root (`def` and `now` are for
/// `kind = "function"` checks: their params, and the audit's time).
fn evaluate(
    root: &HostRoot,
    def: &CheckDef,
    rule: &Rule,
    now: DateTime<FixedOffset>,
    shared: &Shared,
) -> RuleResult {
    match rule {
        Rule::KeyValue(r) => keyvalue::key_value(root, r),
        Rule::Sysctl(r) => keyvalue::sysctl(root, r),
        Rule::Line(r) => lines::line(root, r),
        Rule::FileMode(r) => files::file_mode(root, r),
        Rule::SystemdUnit(r) => units::systemd_unit(root, r, &shared.processes),
        Rule::Accounts(r) => accounts::accounts(root, r),
        Rule::Sshd(r) => sshd::sshd(root, r, &shared.sshd),
        Rule::Function => functions::run(root, def, now),
    }
}

/// What the checks of one audit read once and share: the sshd configuration
/// and OpenSSH version, and the process table for the services' live state.
#[derive(Default)]
struct Shared {
    sshd: sshd::SshdCache,
    processes: std::cell::OnceCell<Vec<units::Process>>,
}

/// The configuration-baseline area behind the [`Area`] trait.
#[derive(Debug, Clone, Copy, Default)]
pub struct BaselineArea;

impl Area for BaselineArea {
    fn id(&self) -> selfcheck_catalog::Area {
        AREA
    }

    fn audit(&self, ctx: &AuditCtx<'_>) -> Result<AreaOutput, CatalogError> {
        Ok(AreaOutput {
            output: audit(ctx.root, ctx.catalog, ctx.asset_key, ctx.clock.now()),
            inventory: Inventory::default(),
        })
    }
}

/// Run every baseline check of the catalog against the root.
pub fn audit(
    root: &HostRoot,
    catalog: &Catalog,
    asset_key: &str,
    now: DateTime<FixedOffset>,
) -> AuditOutput {
    let defs: Vec<&CheckDef> = catalog.area(AREA).collect();
    let mut collector = CheckCollector::new(&defs, asset_key, now);
    let shared = Shared::default();
    for def in &defs {
        let id = def.id.as_str();
        let result = match &def.rule {
            Some(rule) => evaluate(root, def, rule, now, &shared),
            None => Err("the check has no [check.rule] in the catalog".to_string()),
        };
        match result {
            Ok(problems) => {
                for p in problems {
                    collector.finding(id, p.subject, None, p.evidence);
                }
            }
            Err(reason) => collector.could_not_run(&[id], &reason),
        }
    }
    collector.finish()
}
