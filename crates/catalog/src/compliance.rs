//! The per-clause compliance view: for each GB/T 22239-2019 clause of a
//! protection level, how many of the checks mapped to it passed, found
//! problems, could not run or do not apply, and what that means for the
//! clause.
//!
//! Level 3 reads the 8.1.4.x clauses of the checks (安全计算环境, level 3),
//! level 2 the 7.1.4.x ones; every baseline check names both where both
//! exist. The verdict covers what an agent can check automatically: a clause
//! whose checks all pass is "met as far as checked" — an assessor still
//! reviews the parts no file shows (policies, records, interviews).

use crate::Catalog;
use selfcheck_report::{CheckId, CheckOutcome, CheckRun, ProtectionLevel};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The clause prefix of a protection level's host controls (安全计算环境).
pub fn clause_prefix(level: ProtectionLevel) -> Option<&'static str> {
    match level.get() {
        2 => Some("7.1.4."),
        3 => Some("8.1.4."),
        _ => None,
    }
}

/// The name of the control a clause belongs to (`8.1.4.1 a)` → 身份鉴别), in
/// Chinese and English. Level 2 numbers backup 7.1.4.8, level 3 numbers it 8.1.4.9.
pub fn control_name(clause: &str) -> Option<(&'static str, &'static str)> {
    let (level, rest) = if let Some(r) = clause.strip_prefix("8.1.4.") {
        (3, r)
    } else if let Some(r) = clause.strip_prefix("7.1.4.") {
        (2, r)
    } else {
        return None;
    };
    let n: u8 = rest
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    Some(match (level, n) {
        (_, 1) => ("身份鉴别", "identity authentication"),
        (_, 2) => ("访问控制", "access control"),
        (_, 3) => ("安全审计", "security audit"),
        (_, 4) => ("入侵防范", "intrusion prevention"),
        (_, 5) => ("恶意代码防范", "malicious code prevention"),
        (_, 6) => ("可信验证", "trusted verification"),
        (_, 7) => ("数据完整性", "data integrity"),
        (3, 8) => ("数据保密性", "data confidentiality"),
        (3, 9) | (2, 8) => ("数据备份恢复", "data backup and recovery"),
        (3, 10) | (2, 9) => ("剩余信息保护", "residual information protection"),
        (3, 11) | (2, 10) => ("个人信息保护", "personal information protection"),
        _ => return None,
    })
}

/// What the automated checks of a clause say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check that ran found problems (不符合).
    NotMet,
    /// Some checks found problems, others passed (部分符合).
    PartlyMet,
    /// Nothing found, but some checks could not run: check by hand (待核查).
    Unverified,
    /// Every check that ran passed and none was left unrun (符合).
    Met,
    /// Every check of the clause is not applicable to the host (不适用).
    NotApplicable,
}

impl Verdict {
    /// The keyword used in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NotMet => "not_met",
            Verdict::PartlyMet => "partly_met",
            Verdict::Unverified => "unverified",
            Verdict::Met => "met",
            Verdict::NotApplicable => "not_applicable",
        }
    }

    /// The assessment term in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Verdict::NotMet => "不符合",
            Verdict::PartlyMet => "部分符合",
            Verdict::Unverified => "待核查",
            Verdict::Met => "符合",
            Verdict::NotApplicable => "不适用",
        }
    }

    /// The term in English.
    pub fn en(self) -> &'static str {
        match self {
            Verdict::NotMet => "not met",
            Verdict::PartlyMet => "partly met",
            Verdict::Unverified => "to verify by hand",
            Verdict::Met => "met",
            Verdict::NotApplicable => "not applicable",
        }
    }
}

/// Check outcomes counted for one clause (on one host, or summed over hosts).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClauseTally {
    /// The clause, e.g. `8.1.4.1 a)`.
    pub clause: String,
    /// Checks that passed.
    pub passed: u32,
    /// Checks that found problems.
    pub findings: u32,
    /// Checks that could not run.
    pub could_not_run: u32,
    /// Checks that do not apply (outside the profile, or an approved exception).
    pub not_applicable: u32,
    /// The checks counted, in the order of the runs, with their outcome keyword
    /// (left empty where only the counts are kept, as in the collector's ledger).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<(CheckId, &'static str)>,
}

impl ClauseTally {
    /// What the counts mean for the clause.
    pub fn verdict(&self) -> Verdict {
        match (self.findings, self.passed, self.could_not_run) {
            (f, 0, _) if f > 0 => Verdict::NotMet,
            (f, _, _) if f > 0 => Verdict::PartlyMet,
            (_, _, c) if c > 0 => Verdict::Unverified,
            (_, p, _) if p > 0 => Verdict::Met,
            _ => Verdict::NotApplicable,
        }
    }

    /// Count one check outcome.
    pub fn add(&mut self, check: &CheckId, outcome: &CheckOutcome) {
        match outcome {
            CheckOutcome::Passed => self.passed += 1,
            CheckOutcome::Findings { .. } => self.findings += 1,
            CheckOutcome::CouldNotRun { .. } => self.could_not_run += 1,
            CheckOutcome::NotApplicable { .. } => self.not_applicable += 1,
        }
        self.checks.push((check.clone(), outcome.as_str()));
    }
}

/// Clauses whose automated checks all passed, and clauses judged (those
/// exempted as a whole are left out): the `met/judged` every view prints.
pub fn met_of_judged(tallies: &[ClauseTally]) -> (usize, usize) {
    let met = tallies
        .iter()
        .filter(|t| t.verdict() == Verdict::Met)
        .count();
    let judged = tallies
        .iter()
        .filter(|t| t.verdict() != Verdict::NotApplicable)
        .count();
    (met, judged)
}

/// The clauses of `level` the runs' checks map to, each with its counts, in
/// clause order (`8.1.4.2 a)` before `8.1.4.10 a)`). Runs of checks the
/// catalog does not know, or that map to no clause of the level, are left out.
pub fn tally<'a>(
    catalog: &Catalog,
    level: ProtectionLevel,
    runs: impl IntoIterator<Item = &'a CheckRun>,
) -> Vec<ClauseTally> {
    tally_with(
        |id| catalog.get(id).map(|d| d.clauses.as_slice()),
        level,
        runs.into_iter().map(|r| (&r.check_id, r.outcome.clone())),
    )
}

/// [`tally`] with the clauses of each check from `clauses_of` (the collector
/// keeps them apart from the catalog) and outcomes given one by one.
pub fn tally_with<'a, 'c>(
    clauses_of: impl Fn(&CheckId) -> Option<&'c [String]>,
    level: ProtectionLevel,
    outcomes: impl IntoIterator<Item = (&'a CheckId, CheckOutcome)>,
) -> Vec<ClauseTally> {
    let Some(prefix) = clause_prefix(level) else {
        return Vec::new();
    };
    let mut by_clause: BTreeMap<ClauseKey, ClauseTally> = BTreeMap::new();
    for (check, outcome) in outcomes {
        let Some(clauses) = clauses_of(check) else {
            continue;
        };
        for clause in clauses.iter().filter(|c| c.starts_with(prefix)) {
            by_clause
                .entry(ClauseKey(clause.clone()))
                .or_insert_with(|| ClauseTally {
                    clause: clause.clone(),
                    ..ClauseTally::default()
                })
                .add(check, &outcome);
        }
    }
    by_clause.into_values().collect()
}

/// Clause order: by the numbers (`8.1.4.2` before `8.1.4.10`), then the letter.
pub fn clause_order(a: &str, b: &str) -> Ordering {
    ClauseKey(a.to_string()).cmp(&ClauseKey(b.to_string()))
}

/// A clause ordered by its numbers, then its letter.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClauseKey(String);

impl ClauseKey {
    fn parts(&self) -> (Vec<u32>, &str) {
        let (numbers, rest) = self.0.split_once(' ').unwrap_or((&self.0, ""));
        (
            numbers
                .split('.')
                .map(|n| n.parse().unwrap_or(u32::MAX))
                .collect(),
            rest,
        )
    }
}

impl Ord for ClauseKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts()
            .cmp(&other.parts())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for ClauseKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, outcome: CheckOutcome) -> CheckRun {
        CheckRun {
            check_id: id.parse().unwrap(),
            outcome,
        }
    }

    #[test]
    fn clauses_sort_by_number_not_text() {
        let mut keys: Vec<ClauseKey> = ["8.1.4.10 a)", "8.1.4.2 b)", "8.1.4.2 a)", "8.1.4.1 d)"]
            .iter()
            .map(|s| ClauseKey(s.to_string()))
            .collect();
        keys.sort();
        let order: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        assert_eq!(
            order,
            ["8.1.4.1 d)", "8.1.4.2 a)", "8.1.4.2 b)", "8.1.4.10 a)"]
        );
    }

    #[test]
    fn verdicts_follow_the_counts() {
        let t = |passed, findings, could_not_run, not_applicable| ClauseTally {
            passed,
            findings,
            could_not_run,
            not_applicable,
            ..ClauseTally::default()
        };
        assert_eq!(t(0, 2, 1, 0).verdict(), Verdict::NotMet);
        assert_eq!(t(3, 1, 0, 0).verdict(), Verdict::PartlyMet);
        assert_eq!(t(3, 0, 1, 0).verdict(), Verdict::Unverified);
        assert_eq!(t(3, 0, 0, 2).verdict(), Verdict::Met);
        assert_eq!(t(0, 0, 0, 2).verdict(), Verdict::NotApplicable);
    }

    #[test]
    fn each_level_reads_its_own_clauses() {
        let catalog = Catalog::embedded().unwrap();
        let runs = [
            run(
                "baseline.pass-max-days",
                CheckOutcome::Findings { count: 1 },
            ),
            run("baseline.pass-min-days", CheckOutcome::Passed),
            run(
                "baseline.sshd-password-authentication",
                CheckOutcome::Passed,
            ),
            run("ports.telnet", CheckOutcome::Passed),
        ];
        let l3 = tally(&catalog, ProtectionLevel::THREE, &runs);
        let a = l3.iter().find(|t| t.clause == "8.1.4.1 a)").unwrap();
        assert_eq!((a.passed, a.findings), (1, 1));
        assert_eq!(a.verdict(), Verdict::PartlyMet);
        assert!(l3.iter().any(|t| t.clause == "8.1.4.1 d)"));
        assert!(l3.iter().all(|t| t.clause.starts_with("8.1.4.")));
        let l2 = tally(&catalog, ProtectionLevel::TWO, &runs);
        assert!(l2.iter().all(|t| t.clause.starts_with("7.1.4.")));
        // Two-factor authentication has no level-2 clause.
        assert!(l2.iter().all(|t| t.passed + t.findings <= 2));
        assert_eq!(
            control_name("8.1.4.9 a)"),
            Some(("数据备份恢复", "data backup and recovery"))
        );
        assert_eq!(control_name("7.1.4.8 a)").unwrap().0, "数据备份恢复");
    }
}
