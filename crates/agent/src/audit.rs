//! The shape every area audit has: one [`Area`] trait over one [`AuditCtx`],
//! handing back an [`AreaOutput`] (checks, findings, its inventory part).

use chrono::{DateTime, FixedOffset, Local};
use selfcheck_catalog::{Catalog, CatalogError, CheckDef};
use selfcheck_hostfs::HostRoot;
use selfcheck_report::{
    CheckOutcome, CheckRun, Finding, Fingerprint, Inventory, OsRelease, Severity, SuppressedFinding,
};
use std::collections::BTreeMap;

/// Where an audit's times come from, so tests can fix them.
pub trait Clock: Send + Sync {
    /// The current time, with the host's offset.
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The machine's clock in its local offset: what every real run uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Local::now().fixed_offset()
    }
}

/// A clock that always says the same time, for tests and replays.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<FixedOffset>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0
    }
}

/// Everything the areas of one audit share: the host, the checks and the
/// clock. Each area carries its own section of the agent configuration, and
/// the host's profile (level, exceptions) is applied to the areas' outcomes
/// after they ran, so neither is here.
pub struct AuditCtx<'a> {
    /// The host's file tree.
    pub root: &'a HostRoot,
    /// The check catalog.
    pub catalog: &'a Catalog,
    /// The audited host's OS.
    pub os: &'a OsRelease,
    /// The key that identifies the host in fingerprints.
    pub asset_key: &'a str,
    /// Where finding times come from.
    pub clock: &'a dyn Clock,
}

/// What one area hands back: its checks and findings, and its part of the
/// report's inventory (the other parts left empty).
#[derive(Debug, Default, Clone)]
pub struct AreaOutput {
    /// Checks, findings, suppressed findings.
    pub output: AuditOutput,
    /// The area's inventory section.
    pub inventory: Inventory,
}

/// One audit area (ports, patches, fim, baseline, and later the Windows and
/// desktop ones): a catalog area and the code that runs its checks.
pub trait Area {
    /// The catalog area whose checks this runs.
    fn id(&self) -> selfcheck_catalog::Area;
    /// Run the area's checks on the host of `ctx`.
    fn audit(&self, ctx: &AuditCtx<'_>) -> Result<AreaOutput, CatalogError>;
}

impl AuditOutput {
    /// Append another area's results.
    pub fn merge(&mut self, from: AuditOutput) {
        self.checks.extend(from.checks);
        self.findings.extend(from.findings);
        self.suppressed.extend(from.suppressed);
    }
}

/// Results of one area audit: the checks it ran with their outcomes, its
/// findings, and the findings the configuration allowlisted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AuditOutput {
    /// One entry per check of the area that was run.
    pub checks: Vec<CheckRun>,
    /// Findings, at most one per fingerprint.
    pub findings: Vec<Finding>,
    /// Findings an allowlist entry suppressed, with its reason.
    pub suppressed: Vec<SuppressedFinding>,
}

/// Collects an area's findings and outcomes per check while it runs, then
/// turns them into an [`AuditOutput`] in catalog order: a check with findings,
/// one that passed, or one that could not run, with the reason.
pub struct CheckCollector<'c> {
    checks: BTreeMap<&'c str, (&'c CheckDef, Result<Vec<Finding>, String>)>,
    asset_key: String,
    now: DateTime<FixedOffset>,
}

impl<'c> CheckCollector<'c> {
    /// A collector for `defs`, stamping findings with `asset_key` and `now`.
    pub fn new(
        defs: &[&'c CheckDef],
        asset_key: &str,
        now: DateTime<FixedOffset>,
    ) -> CheckCollector<'c> {
        CheckCollector {
            checks: defs
                .iter()
                .map(|d| (d.id.as_str(), (*d, Ok(Vec::new()))))
                .collect(),
            asset_key: asset_key.to_string(),
            now,
        }
    }

    /// Record a finding of `check` about `subject`; `risk` overrides the check's level.
    /// Ignored for a check not in the catalog or already marked could-not-run.
    pub fn finding(
        &mut self,
        check: impl AsRef<str>,
        subject: String,
        risk: Option<Severity>,
        evidence: Vec<String>,
    ) {
        if let Some((def, Ok(list))) = self.checks.get_mut(check.as_ref()) {
            list.push(Finding {
                fingerprint: Fingerprint::compute(&self.asset_key, &def.id, &subject),
                check_id: def.id.clone(),
                risk: risk.unwrap_or(def.risk),
                subject,
                evidence,
                detected_at: self.now,
            });
        }
    }

    /// Mark `checks` as unable to run, for `reason` (their findings so far are dropped).
    pub fn could_not_run<C: AsRef<str>>(&mut self, checks: &[C], reason: &str) {
        for c in checks {
            if let Some((_, outcome)) = self.checks.get_mut(c.as_ref()) {
                *outcome = Err(reason.to_string());
            }
        }
    }

    /// The checks' outcomes and findings (sorted by subject within a check).
    pub fn finish(self) -> AuditOutput {
        let mut out = AuditOutput::default();
        for (def, result) in self.checks.into_values() {
            let outcome = match result {
                Err(reason) => CheckOutcome::CouldNotRun { reason },
                Ok(list) if list.is_empty() => CheckOutcome::Passed,
                Ok(mut list) => {
                    list.sort_by(|a, b| a.subject.cmp(&b.subject));
                    let count = list.len() as u32;
                    out.findings.extend(list);
                    CheckOutcome::Findings { count }
                }
            };
            out.checks.push(CheckRun {
                check_id: def.id.clone(),
                outcome,
            });
        }
        out
    }
}
