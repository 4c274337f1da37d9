//! What one area audit (ports, later patches, fim, config) hands back to the run.

use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::CheckDef;
use selfcheck_report::{CheckOutcome, CheckRun, Finding, Fingerprint, Severity, SuppressedFinding};
use std::collections::BTreeMap;

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
        check: &str,
        subject: String,
        risk: Option<Severity>,
        evidence: Vec<String>,
    ) {
        if let Some((def, Ok(list))) = self.checks.get_mut(check) {
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
    pub fn could_not_run(&mut self, checks: &[&str], reason: &str) {
        for c in checks {
            if let Some((_, outcome)) = self.checks.get_mut(*c) {
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
