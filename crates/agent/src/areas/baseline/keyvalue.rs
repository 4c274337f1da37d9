//! `key_value` and `sysctl` rules: a setting's effective value, compared with
//! what the baseline expects.
//!
//! key_value semantics, chosen to follow the programs the catalog reads:
//! - files are read in the order listed (globs sorted by name; libpwquality
//!   reads `pwquality.conf.d/*.conf` before `pwquality.conf`, so the catalog
//!   lists them that way);
//! - `match = "first"` takes the first occurrence, `"last"` the last
//!   (login.defs, pwquality.conf, faillock.conf); sshd, with its `Include`
//!   and `Match` blocks, has a kind of its own (`kind = "sshd"`, [`super::sshd`]);
//! - a line without a value is ignored (malformed: the program rejects or ignores it);
//! - an absent key takes the rule's documented `default`; with none, absence is a finding;
//! - when no listed file exists the check could not run (the program is not
//!   installed), unless the rule says `missing = "finding"`.
//!
//! sysctl: the value is the trimmed text of `ROOT/proc/sys/<key with / for .>`;
//! when that file is missing the check could not run (no such kernel
//! parameter, or an image without `/proc`).

use super::read::{expand, is_comment, read_text};
use super::{Problem, RuleResult};
use selfcheck_catalog::{KeyValueRule, Missing, Separator, SysctlRule, Take};
use selfcheck_hostfs::root::HostRoot;

/// One occurrence of the key.
struct Hit {
    file: String,
    line_no: usize,
    line: String,
    value: String,
}

/// Evaluate a `key_value` rule.
pub(crate) fn key_value(root: &HostRoot, rule: &KeyValueRule) -> RuleResult {
    let mut hits = Vec::new();
    let mut read_any = false;
    for pattern in &rule.files {
        for path in expand(root, pattern) {
            if let Some(text) = read_text(root, &path)? {
                read_any = true;
                scan(rule, &path, &text, &mut hits);
            }
        }
    }
    // The subject names the main file: the first entry that is not a glob.
    let main = rule
        .files
        .iter()
        .find(|f| !f.contains(['*', '?']))
        .or(rule.files.first())
        .map(String::as_str)
        .unwrap_or("");
    let subject = format!("{main}:{}", rule.key);
    if !read_any {
        return match rule.missing {
            Missing::CouldNotRun => Err(format!(
                "{} not found: the program this check is about is not installed on the audited root",
                rule.files.join(", ")
            )),
            Missing::Finding => Ok(vec![Problem {
                subject,
                evidence: vec![format!("{} does not exist", rule.files.join(", "))],
            }]),
        };
    }
    let hit = match rule.take {
        Take::First => hits.first(),
        Take::Last => hits.last(),
    };
    let expected = rule.expect.describe();
    let problem = match (hit, &rule.default) {
        (Some(h), _) if rule.expect.accepts(&h.value) => None,
        (Some(h), _) => Some(vec![
            format!("{}:{}: {}", h.file, h.line_no, h.line.trim()),
            format!("{} = {} ({expected})", rule.key, h.value),
        ]),
        (None, Some(d)) if rule.expect.accepts(d) => None,
        (None, Some(d)) => Some(vec![format!(
            "{} is not set; the built-in default {d} applies ({expected})",
            rule.key
        )]),
        (None, None) => Some(vec![format!("{} is not set ({expected})", rule.key)]),
    };
    Ok(problem
        .map(|evidence| vec![Problem { subject, evidence }])
        .unwrap_or_default())
}

/// Collect the key's occurrences in one file.
fn scan(rule: &KeyValueRule, file: &str, text: &str, hits: &mut Vec<Hit>) {
    let same = |a: &str, b: &str| {
        if rule.case_insensitive_keys {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    for (index, line) in text.lines().enumerate() {
        if is_comment(line, &rule.comment) {
            continue;
        }
        let Some((key, value)) = split(line, rule.separator) else {
            continue;
        };
        if same(key, &rule.key) {
            hits.push(Hit {
                file: file.to_string(),
                line_no: index + 1,
                line: line.to_string(),
                value: value.to_string(),
            });
        }
    }
}

/// `(key, value)` of a setting line; `None` when it has no value.
fn split(line: &str, sep: Separator) -> Option<(&str, &str)> {
    let line = line.trim();
    let (key, value) = match sep {
        Separator::Equals => line.split_once('=')?,
        Separator::Whitespace => {
            let at = line.find(|c: char| c.is_whitespace() || c == '=')?;
            let (k, rest) = line.split_at(at);
            let rest = rest.trim_start();
            (k, rest.strip_prefix('=').unwrap_or(rest))
        }
    };
    let (key, value) = (key.trim(), value.trim());
    (!key.is_empty() && !value.is_empty()).then_some((key, value))
}

/// Evaluate a `sysctl` rule.
pub(crate) fn sysctl(root: &HostRoot, rule: &SysctlRule) -> RuleResult {
    let path = format!("/proc/sys/{}", rule.key.replace('.', "/"));
    let Some(text) = read_text(root, &path)? else {
        return Err(format!(
            "{path} does not exist: the kernel has no {} or the audited root has no /proc",
            rule.key
        ));
    };
    let value = text.trim();
    if rule.expect.accepts(value) {
        return Ok(Vec::new());
    }
    Ok(vec![Problem {
        subject: rule.key.clone(),
        evidence: vec![format!(
            "{} = {value} ({})",
            rule.key,
            rule.expect.describe()
        )],
    }])
}

#[cfg(test)]
mod tests {
    use super::split;
    use selfcheck_catalog::Separator;

    #[test]
    fn settings_split_like_the_programs_read_them() {
        assert_eq!(
            split("PermitRootLogin no", Separator::Whitespace),
            Some(("PermitRootLogin", "no"))
        );
        assert_eq!(
            split("MaxAuthTries=3", Separator::Whitespace),
            Some(("MaxAuthTries", "3"))
        );
        assert_eq!(
            split(" minlen = 12 ", Separator::Equals),
            Some(("minlen", "12"))
        );
        assert_eq!(split("PermitRootLogin", Separator::Whitespace), None);
        assert_eq!(split("= 3", Separator::Equals), None);
    }
}
