//! `line` rules: a line matching a pattern must be present in (or absent
//! from) any of a set of files, e.g. `pam_pwquality.so` in the PAM password
//! stack, or `TMOUT=600` in /etc/profile or /etc/profile.d/*.sh.
//!
//! Comment lines are skipped. With `present = true` the check passes when
//! some line of some file matches (and, with `expect`, its first non-empty
//! capture group satisfies it); otherwise one finding names the files read
//! and the matching lines whose value was wrong. With `present = false` each
//! file holding a matching line is a finding whose evidence is those lines.
//! When none of the files exists the check could not run, unless the rule
//! says `missing = "finding"`. The evidence of a missing line names what was
//! wanted in the rule's plain words (`wanted`), or else quotes the pattern.

use super::read::{is_comment, read_all};
use super::{Problem, RuleResult};
use regex::Regex;
use selfcheck_catalog::{LineRule, Missing};
use selfcheck_hostfs::root::HostRoot;

/// Evaluate a `line` rule.
pub(crate) fn line(root: &HostRoot, rule: &LineRule) -> RuleResult {
    let re = Regex::new(&rule.pattern).map_err(|e| {
        format!(
            "the pattern {:?} is not a valid regex: {e}; fix the check",
            rule.pattern
        )
    })?;
    let files = read_all(root, &rule.files)?;
    let listed = rule.files.join(", ");
    let first = rule.files.first().cloned().unwrap_or_default();
    if files.is_empty() {
        return match rule.missing {
            Missing::CouldNotRun => Err(format!(
                "none of {listed} exists: the component this check is about is not installed on the audited root"
            )),
            Missing::Finding => Ok(vec![Problem {
                subject: first,
                evidence: vec![format!("none of {listed} exists")],
            }]),
        };
    }
    let mut problems = Vec::new();
    let mut wrong_values = Vec::new();
    for (path, text) in &files {
        let mut matched = Vec::new();
        for (index, l) in text.lines().enumerate() {
            if is_comment(l, &rule.comment) {
                continue;
            }
            let Some(caps) = re.captures(l) else {
                continue;
            };
            let shown = format!("{path}:{}: {}", index + 1, l.trim());
            if !rule.present {
                matched.push(shown);
                continue;
            }
            let Some(expect) = &rule.expect else {
                return Ok(Vec::new());
            };
            let value = caps
                .iter()
                .skip(1)
                .flatten()
                .map(|m| m.as_str())
                .find(|s| !s.is_empty());
            match value {
                Some(v) if expect.accepts(v) => return Ok(Vec::new()),
                Some(v) => wrong_values.push(format!("{shown} (value {v}, {})", expect.describe())),
                None => wrong_values.push(format!("{shown} (no value, {})", expect.describe())),
            }
        }
        if !matched.is_empty() {
            problems.push(Problem {
                subject: path.clone(),
                evidence: matched,
            });
        }
    }
    if rule.present {
        let read: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        let accepted = if rule.expect.is_some() {
            " with an accepted value"
        } else {
            ""
        };
        // Plain words when the check gives them (they include the accepted
        // values); the raw pattern otherwise.
        let mut evidence = vec![match &rule.wanted {
            Some(w) => format!("no {w} found (read {})", read.join(", ")),
            None => format!(
                "no line matching {}{accepted} in {}",
                rule.pattern,
                read.join(", ")
            ),
        }];
        evidence.extend(wrong_values);
        problems.push(Problem {
            subject: first,
            evidence,
        });
    }
    Ok(problems)
}
