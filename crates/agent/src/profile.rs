//! Which checks apply to this host: the protection-level profile (等保二级 or
//! 三级) and the exceptions the unit approved (`[baseline]` in agent.toml).
//!
//! Applied to an audit's outcomes after the checks ran, for every area:
//! - a check whose catalog `levels` do not include the host's level is not
//!   applicable ("applies to protection level 3 only");
//! - a check with an exception that has not expired is not applicable, with
//!   the exception's reason, approver and expiry;
//! - an expired exception is ignored: the check counts as it ran, and each of
//!   its findings says which exception expired, so the lapse is visible.
//!
//! A not-applicable check keeps no findings (nor allowlisted ones); the
//! report lists it with its reason, and the collector counts it apart from
//! passed and failed.

use crate::areas::baseline::cfg::{BaselineConfig, CheckException};
use crate::audit::AuditOutput;
use chrono::NaiveDate;
use selfcheck_catalog::Catalog;
use selfcheck_report::{CheckId, CheckOutcome, ProtectionLevel};
use std::collections::HashSet;

/// The level used when neither `--level` nor `baseline.level` says.
pub const DEFAULT_LEVEL: ProtectionLevel = ProtectionLevel::THREE;

/// The profile of one audit: the host's level and its exceptions.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Protection level, 2 or 3.
    pub level: ProtectionLevel,
    /// Approved exceptions, expired ones included.
    pub exceptions: Vec<CheckException>,
}

/// A profile that names checks the catalog does not have.
#[derive(Debug, thiserror::Error)]
#[error(
    "baseline.exception names check {check}, which the catalog does not have; correct the id (selfcheck-agent checks list) or remove the entry"
)]
pub struct UnknownCheck {
    /// The id as written.
    pub check: CheckId,
}

impl Profile {
    /// The profile from the configuration, `--level` winning over `baseline.level`.
    /// Every exception must name a catalog check.
    pub fn new(
        config: &BaselineConfig,
        level: Option<ProtectionLevel>,
        catalog: &Catalog,
    ) -> Result<Profile, UnknownCheck> {
        for e in &config.exceptions {
            if catalog.get(&e.check).is_none() {
                return Err(UnknownCheck {
                    check: e.check.clone(),
                });
            }
        }
        Ok(Profile {
            level: level.or(config.protection_level()).unwrap_or(DEFAULT_LEVEL),
            exceptions: config.exceptions.clone(),
        })
    }

    /// Mark the checks that do not apply, as of `today`. Returns one line
    /// per expired exception, for the operator.
    pub fn apply(&self, out: &mut AuditOutput, catalog: &Catalog, today: NaiveDate) -> Vec<String> {
        let mut dropped: HashSet<CheckId> = HashSet::new();
        let mut expired: Vec<(&CheckException, NaiveDate)> = Vec::new();
        for run in &mut out.checks {
            let levels = catalog
                .get(&run.check_id)
                .map(|d| d.levels.as_slice())
                .unwrap_or_default();
            let exception = self.exceptions.iter().find(|e| e.check == run.check_id);
            let not_applicable = if !levels.is_empty() && !levels.contains(&self.level) {
                Some(CheckOutcome::NotApplicable {
                    reason: format!(
                        "applies to protection level {} only; this host's profile is level {}",
                        levels
                            .iter()
                            .map(ProtectionLevel::to_string)
                            .collect::<Vec<_>>()
                            .join(" and "),
                        self.level
                    ),
                    approver: None,
                    expires: None,
                })
            } else if let Some(e) = exception {
                // The configuration check guarantees a date.
                let until = e.expires_on().unwrap_or(NaiveDate::MIN);
                if until >= today {
                    Some(CheckOutcome::NotApplicable {
                        reason: e.reason.trim().to_string(),
                        approver: Some(e.approver.trim().to_string()),
                        expires: Some(until),
                    })
                } else {
                    expired.push((e, until));
                    None
                }
            } else {
                None
            };
            if let Some(outcome) = not_applicable {
                run.outcome = outcome;
                dropped.insert(run.check_id.clone());
            }
        }
        out.findings.retain(|f| !dropped.contains(&f.check_id));
        out.suppressed
            .retain(|s| !dropped.contains(&s.finding.check_id));
        let mut notes = Vec::new();
        for (e, until) in expired {
            let line = format!(
                "the exception for {} approved by {} ({}) expired on {until}; the check applies again",
                e.check,
                e.approver.trim(),
                e.reason.trim()
            );
            for f in out.findings.iter_mut().filter(|f| f.check_id == e.check) {
                f.evidence.push(line.clone());
            }
            notes.push(line);
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AgentConfig;
    use selfcheck_report::{CheckRun, Finding, Fingerprint, Severity};
    use std::path::Path;

    fn output(ids: &[(&str, bool)]) -> AuditOutput {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00+08:00").unwrap();
        let mut out = AuditOutput::default();
        for (id, found) in ids {
            let check_id: CheckId = id.parse().unwrap();
            out.checks.push(CheckRun {
                check_id: check_id.clone(),
                outcome: if *found {
                    CheckOutcome::Findings { count: 1 }
                } else {
                    CheckOutcome::Passed
                },
            });
            if *found {
                out.findings.push(Finding {
                    fingerprint: Fingerprint::compute("h", &check_id, "s"),
                    check_id,
                    risk: Severity::Medium,
                    subject: "s".into(),
                    evidence: vec!["e".into()],
                    detected_at: now,
                });
            }
        }
        out
    }

    fn config(text: &str) -> BaselineConfig {
        AgentConfig::parse(text, Path::new("agent.toml"))
            .unwrap()
            .baseline
    }

    #[test]
    fn level_two_leaves_out_level_three_checks() {
        let catalog = Catalog::embedded().unwrap();
        let profile = Profile::new(&config("[baseline]\nlevel = 2\n"), None, &catalog).unwrap();
        let mut out = output(&[
            ("baseline.sshd-password-authentication", true),
            ("baseline.pass-max-days", true),
            ("ports.telnet", false),
        ]);
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert!(profile.apply(&mut out, &catalog, today).is_empty());
        match &out.checks[0].outcome {
            CheckOutcome::NotApplicable {
                reason, approver, ..
            } => {
                assert!(reason.contains("level 3 only"), "{reason}");
                assert!(approver.is_none());
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(out.checks[1].outcome, CheckOutcome::Findings { count: 1 });
        assert_eq!(out.checks[2].outcome, CheckOutcome::Passed);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].check_id.as_str(), "baseline.pass-max-days");
        // --level wins over the file.
        let l3 = Profile::new(
            &config("[baseline]\nlevel = 2\n"),
            Some(ProtectionLevel::THREE),
            &catalog,
        )
        .unwrap();
        assert_eq!(l3.level, ProtectionLevel::THREE);
    }

    #[test]
    fn exceptions_hold_until_their_last_day_then_show_on_the_findings() {
        let catalog = Catalog::embedded().unwrap();
        let text = "[[baseline.exception]]\ncheck = \"baseline.pass-max-days\"\nreason = \"kiosk account\"\napprover = \"Wang\"\nexpires = 2026-11-30\n";
        let profile = Profile::new(&config(text), None, &catalog).unwrap();
        let last_day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let mut out = output(&[("baseline.pass-max-days", true)]);
        assert!(profile.apply(&mut out, &catalog, last_day).is_empty());
        assert_eq!(
            out.checks[0].outcome,
            CheckOutcome::NotApplicable {
                reason: "kiosk account".into(),
                approver: Some("Wang".into()),
                expires: Some(last_day),
            }
        );
        assert!(out.findings.is_empty());

        let mut out = output(&[("baseline.pass-max-days", true)]);
        let notes = profile.apply(&mut out, &catalog, last_day.succ_opt().unwrap());
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("expired on 2026-11-30"), "{}", notes[0]);
        assert_eq!(out.checks[0].outcome, CheckOutcome::Findings { count: 1 });
        assert_eq!(out.findings[0].evidence.last(), Some(&notes[0]));
    }

    #[test]
    fn an_exception_for_an_unknown_check_is_refused() {
        let catalog = Catalog::embedded().unwrap();
        let text = "[[baseline.exception]]\ncheck = \"baseline.no-such-check\"\nreason = \"r\"\napprover = \"W\"\nexpires = 2027-01-01\n";
        let err = Profile::new(&config(text), None, &catalog).unwrap_err();
        assert!(err.to_string().contains("baseline.no-such-check"), "{err}");
    }
}
