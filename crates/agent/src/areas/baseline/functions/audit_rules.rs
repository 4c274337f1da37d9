//! `baseline.audit-rules` and `baseline.audit-immutable`: the persistent
//! audit rules auditd loads at boot (GB/T 22239-2019 8.1.4.3 a) and d)).
//!
//! Rules are read from `/etc/audit/rules.d/*.rules` (what `augenrules`
//! compiles, in name order) and `/etc/audit/audit.rules` (what auditd
//! loads); neither existing means auditd is not installed and the checks
//! could not run. Only the files are read: the rules loaded in the kernel
//! right now (`auditctl -l`) are not.
//!
//! - audit-rules: each identity file (`params.identity_files`) needs a rule
//!   that records writes: `-w PATH [-p ..w..]`, a `-w` on a directory above it,
//!   or `-a always,exit ... -F path=PATH` / `-F dir=DIR` (with `-F perm=..w..`
//!   or no perm filter). Privileged commands are covered by a rule on each of
//!   `params.privileged_commands` that records execution (`-p x`, `-F perm=x`,
//!   or no permission filter), or by any `execve` syscall rule (`-S execve`,
//!   the usual "setuid programs run as root" rule). The evidence lists what is missing.
//! - audit-immutable: the last `-e` control rule must be `-e 2` (audit
//!   configuration locked until reboot). `augenrules` moves the `-e` line to
//!   the end of the compiled rules; when rules.d has rules files they decide,
//!   otherwise audit.rules does.

use super::super::read::read_some;
use super::super::{Problem, RuleResult};
use super::param_paths;
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;

const RULES_D: &str = "/etc/audit/rules.d/*.rules";
const AUDIT_RULES: &str = "/etc/audit/audit.rules";

/// One rule line with where it is.
struct RuleLine {
    file: String,
    line_no: usize,
    words: Vec<String>,
}

/// The rules of rules.d (first) and audit.rules; `Err` when neither exists.
fn read_rules(root: &HostRoot) -> Result<(Vec<RuleLine>, Vec<RuleLine>), String> {
    let (d, errors_d) = read_some(root, &[RULES_D]);
    let (main, errors_main) = read_some(root, &[AUDIT_RULES]);
    if let Some(e) = errors_d.into_iter().chain(errors_main).next() {
        return Err(e);
    }
    if d.is_empty() && main.is_empty() {
        return Err(format!(
            "neither {RULES_D} nor {AUDIT_RULES} exists: auditd is not installed on the audited root"
        ));
    }
    let parse = |files: Vec<(String, String)>| {
        let mut out = Vec::new();
        for (file, text) in files {
            for (i, l) in text.lines().enumerate() {
                let t = l.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                out.push(RuleLine {
                    file: file.clone(),
                    line_no: i + 1,
                    words: t.split_whitespace().map(str::to_string).collect(),
                });
            }
        }
        out
    };
    Ok((parse(d), parse(main)))
}

impl RuleLine {
    /// The value after option `opt` (`-w`, `-p`, `-e`), or joined to it (`-w/etc`).
    fn opt(&self, opt: &str) -> Option<&str> {
        let mut it = self.words.iter();
        while let Some(w) = it.next() {
            if w == opt {
                return it.next().map(String::as_str);
            }
        }
        None
    }

    /// Values of `-F key=value` (also `-F key!=value` is skipped).
    fn fields(&self, key: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut it = self.words.iter();
        while let Some(w) = it.next() {
            if w == "-F"
                && let Some(f) = it.next()
                && let Some(v) = f.strip_prefix(key).and_then(|r| r.strip_prefix('='))
            {
                out.push(v);
            }
        }
        out
    }

    fn is_exit_rule(&self) -> bool {
        ["-a", "-A"].iter().any(|o| {
            self.opt(o).is_some_and(|v| {
                v.split(',').any(|p| p == "exit") && v.split(',').any(|p| p == "always")
            })
        })
    }

    /// Whether this rule records `perm` (`w` or `x`) on `path`.
    fn covers(&self, path: &str, perm: char) -> bool {
        let perm_ok = |p: Option<&str>| p.is_none_or(|p| p.contains(perm));
        let under = |dir: &str| {
            let dir = dir.trim_end_matches('/');
            path == dir || path.starts_with(&format!("{dir}/"))
        };
        if let Some(w) = self.opt("-w") {
            return under(w) && perm_ok(self.opt("-p"));
        }
        if !self.is_exit_rule() {
            return false;
        }
        let perm_field = self.fields("perm").first().copied();
        (self.fields("path").contains(&path) || self.fields("dir").iter().any(|d| under(d)))
            && perm_ok(perm_field)
    }

    fn is_execve_rule(&self) -> bool {
        self.is_exit_rule()
            && self
                .words
                .windows(2)
                .any(|w| w[0] == "-S" && w[1].split(',').any(|s| s == "execve" || s == "execveat"))
    }

    fn shown(&self) -> String {
        format!("{}:{}: {}", self.file, self.line_no, self.words.join(" "))
    }
}

/// `baseline.audit-rules`.
pub(crate) fn audit_rules(
    root: &HostRoot,
    def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let identity = param_paths(
        def,
        "identity_files",
        &[
            "/etc/passwd",
            "/etc/shadow",
            "/etc/group",
            "/etc/gshadow",
            "/etc/sudoers",
        ],
    )?;
    let commands = param_paths(
        def,
        "privileged_commands",
        &["/usr/bin/sudo", "/usr/bin/su"],
    )?;
    let (d, main) = read_rules(root)?;
    let rules: Vec<&RuleLine> = d.iter().chain(main.iter()).collect();
    let mut missing = Vec::new();
    for f in &identity {
        if !rules.iter().any(|r| r.covers(f, 'w')) {
            missing.push(format!(
                "no rule records writes to {f} (e.g. -w {f} -p wa -k identity)"
            ));
        }
    }
    if !rules.iter().any(|r| r.is_execve_rule()) {
        for c in &commands {
            if !rules.iter().any(|r| r.covers(c, 'x')) {
                missing.push(format!(
                    "no rule records runs of {c} (e.g. -a always,exit -F path={c} -F perm=x -F auid>=1000 -F auid!=unset -k privileged), and no execve rule"
                ));
            }
        }
    }
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    missing.push(format!(
        "read {} rule lines from {RULES_D} and {AUDIT_RULES}",
        rules.len()
    ));
    Ok(vec![Problem {
        subject: "/etc/audit/rules.d".to_string(),
        evidence: missing,
    }])
}

/// `baseline.audit-immutable`.
pub(crate) fn audit_immutable(
    root: &HostRoot,
    _def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let (d, main) = read_rules(root)?;
    let (source, rules) = if d.is_empty() {
        (AUDIT_RULES, main)
    } else {
        (RULES_D, d)
    };
    let last = rules.iter().rev().find(|r| r.opt("-e").is_some());
    let evidence = match last {
        Some(r) if r.opt("-e") == Some("2") => return Ok(Vec::new()),
        Some(r) => format!(
            "the last -e rule is {} (-e 2 locks the configuration; -e {} does not)",
            r.shown(),
            r.opt("-e").unwrap_or("")
        ),
        None => format!("no -e rule in {source}; add -e 2 as the last rule"),
    };
    Ok(vec![Problem {
        subject: if source == RULES_D {
            "/etc/audit/rules.d".to_string()
        } else {
            AUDIT_RULES.to_string()
        },
        evidence: vec![evidence],
    }])
}
