//! The per-clause compliance view of the month: for each host, its latest
//! report's check outcomes counted per GB/T 22239-2019 clause of the host's
//! protection level; for the unit, how many hosts meet each clause.
//!
//! The level a host is judged at is the asset registry's (等保级别 2 or 3)
//! when the unit recorded one, else the level whose profile the agent
//! applied, else 3. A check the agent left out as outside its profile, but
//! which maps to a clause of the judged level, was not checked: it counts as
//! could not run (the agent and the registry disagree on the level), not as
//! not applicable. Approved exceptions count as not applicable.

use super::{NotApplicableCheck, ReportFacts};
use selfcheck_catalog::compliance::{ClauseTally, Verdict, clause_order, tally_with};
use selfcheck_report::{CheckId, CheckOutcome, ProtectionLevel};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The level used when neither the registry nor the report gives one.
pub const DEFAULT_LEVEL: ProtectionLevel = ProtectionLevel::THREE;

/// The level a host is judged at: the registry's, else the report's, else 3
/// (only levels the baseline has a profile for count).
pub fn judged_level(
    registry: Option<ProtectionLevel>,
    report: Option<ProtectionLevel>,
) -> ProtectionLevel {
    registry
        .filter(|l| l.has_baseline_profile())
        .or(report.filter(|l| l.has_baseline_profile()))
        .unwrap_or(DEFAULT_LEVEL)
}

/// One host's clause counts at `level`, from its latest report. The counts
/// keep no list of checks (the unit may have thousands of hosts).
pub fn host_tallies(
    facts: &ReportFacts,
    check_clauses: &HashMap<CheckId, Vec<String>>,
    level: ProtectionLevel,
) -> Vec<ClauseTally> {
    if check_clauses.is_empty() {
        return Vec::new();
    }
    let with_findings: HashSet<&CheckId> = facts.findings.iter().map(|f| &f.check_id).collect();
    let could_not: HashSet<&CheckId> = facts.could_not_run.iter().map(|(c, _)| c).collect();
    let exempted: HashMap<&CheckId, &NotApplicableCheck> = facts
        .not_applicable
        .iter()
        .map(|n| (&n.check_id, n))
        .collect();
    let outcomes = facts.checks.iter().map(|(check, ran)| {
        let outcome = if *ran {
            if with_findings.contains(check) {
                CheckOutcome::Findings { count: 0 }
            } else {
                CheckOutcome::Passed
            }
        } else if could_not.contains(check) {
            CheckOutcome::CouldNotRun {
                reason: String::new(),
            }
        } else {
            match exempted.get(check) {
                Some(n) if n.is_exception() => CheckOutcome::NotApplicable {
                    reason: String::new(),
                    approver: None,
                    expires: None,
                },
                // Left out by the agent's level profile, yet it maps to a
                // clause of the judged level: it was not checked.
                _ => CheckOutcome::CouldNotRun {
                    reason: String::new(),
                },
            }
        };
        (check, outcome)
    });
    let mut tallies = tally_with(|c| check_clauses.get(c).map(Vec::as_slice), level, outcomes);
    for t in &mut tallies {
        t.checks = Vec::new();
    }
    tallies
}

/// One clause across the unit: hosts by verdict and the check outcomes summed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClauseSummary {
    /// The clause, e.g. `8.1.4.1 a)`.
    pub clause: String,
    /// Hosts whose checks of the clause all passed (符合).
    pub hosts_met: usize,
    /// Hosts with some checks failing and some passing (部分符合).
    pub hosts_partly_met: usize,
    /// Hosts whose every check that ran failed (不符合).
    pub hosts_not_met: usize,
    /// Hosts with nothing failing but checks that could not run (待核查).
    pub hosts_unverified: usize,
    /// Hosts on which every check of the clause is exempted (不适用).
    pub hosts_not_applicable: usize,
    /// Check outcomes over all hosts: passed.
    pub passed: u64,
    /// With findings.
    pub findings: u64,
    /// Could not run.
    pub could_not_run: u64,
    /// Not applicable.
    pub not_applicable: u64,
}

impl ClauseSummary {
    /// Hosts judged on this clause.
    pub fn hosts(&self) -> usize {
        self.hosts_met
            + self.hosts_partly_met
            + self.hosts_not_met
            + self.hosts_unverified
            + self.hosts_not_applicable
    }

    /// 符合率: hosts that meet the clause among those not exempted from it;
    /// `None` when every host is exempted.
    pub fn met_rate(&self) -> Option<f64> {
        let judged = self.hosts() - self.hosts_not_applicable;
        (judged > 0).then(|| self.hosts_met as f64 / judged as f64)
    }
}

/// The unit's view: one summary per clause the hosts' checks map to, level 2
/// clauses (7.1.4.x) and level 3 clauses (8.1.4.x) each from their own hosts.
pub fn unit_summary<'a>(hosts: impl IntoIterator<Item = &'a [ClauseTally]>) -> Vec<ClauseSummary> {
    let mut by_clause: HashMap<&str, ClauseSummary> = HashMap::new();
    for tallies in hosts {
        for t in tallies {
            let s = by_clause
                .entry(t.clause.as_str())
                .or_insert_with(|| ClauseSummary {
                    clause: t.clause.clone(),
                    ..ClauseSummary::default()
                });
            match t.verdict() {
                Verdict::Met => s.hosts_met += 1,
                Verdict::PartlyMet => s.hosts_partly_met += 1,
                Verdict::NotMet => s.hosts_not_met += 1,
                Verdict::Unverified => s.hosts_unverified += 1,
                Verdict::NotApplicable => s.hosts_not_applicable += 1,
            }
            s.passed += u64::from(t.passed);
            s.findings += u64::from(t.findings);
            s.could_not_run += u64::from(t.could_not_run);
            s.not_applicable += u64::from(t.not_applicable);
        }
    }
    let mut list: Vec<ClauseSummary> = by_clause.into_values().collect();
    list.sort_by(|a, b| clause_order(&a.clause, &b.clause));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_level_wins_then_the_report_then_three() {
        let judged = |registry: Option<u8>, report: Option<u8>| {
            judged_level(
                registry.and_then(ProtectionLevel::new),
                report.and_then(ProtectionLevel::new),
            )
            .get()
        };
        assert_eq!(judged(Some(2), Some(3)), 2);
        assert_eq!(judged(None, Some(2)), 2);
        assert_eq!(judged(Some(4), Some(2)), 2);
        assert_eq!(judged(None, None), 3);
    }
}
