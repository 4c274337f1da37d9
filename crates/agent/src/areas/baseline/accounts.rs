//! `accounts` rules: named checks over the audited root's `/etc/passwd`,
//! `/etc/shadow` and `/etc/login.defs`.
//!
//! - `uid0_besides_root`: an account other than root with UID 0;
//! - `empty_password`: an empty password field in shadow (or in passwd);
//! - `duplicate_uid`: two or more accounts sharing a UID;
//! - `system_account_with_shell`: an account below `UID_MIN` (login.defs,
//!   default 1000) other than root whose shell is a login shell (not
//!   `nologin`, `false`, `sync`, `shutdown` or `halt`; an empty shell field is
//!   `/bin/sh`).
//!
//! Lines that are not `name:...` with the right number of fields and a
//! numeric UID (and NIS `+`/`-` lines) are skipped: the system's own tools
//! ignore them too. A missing passwd (or shadow, for `empty_password`) means
//! the check could not run. Evidence never carries password hashes.

use super::read::read_text;
use super::{Problem, RuleResult};
use selfcheck_catalog::{AccountCheck, AccountsRule};
use selfcheck_hostfs::root::HostRoot;
use std::collections::BTreeMap;

/// One passwd entry.
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) home: String,
    pub(crate) shell: String,
    pub(crate) password: String,
}

/// Evaluate an `accounts` rule.
pub(crate) fn accounts(root: &HostRoot, rule: &AccountsRule) -> RuleResult {
    let accounts = read_passwd(root)?;
    let skip = |a: &Account| rule.allow.contains(&a.name);
    let mut problems = Vec::new();
    match rule.check {
        AccountCheck::Uid0BesidesRoot => {
            for a in accounts
                .iter()
                .filter(|a| a.uid == 0 && a.name != "root" && !skip(a))
            {
                problems.push(Problem {
                    subject: format!("/etc/passwd:{}", a.name),
                    evidence: vec![format!("{} has UID 0 (root's privileges)", a.name)],
                });
            }
        }
        AccountCheck::EmptyPassword => {
            let shadow = read_text(root, "/etc/shadow")?.ok_or_else(|| {
                "/etc/shadow does not exist on the audited root; cannot see password fields"
                    .to_string()
            })?;
            for a in accounts
                .iter()
                .filter(|a| a.password.is_empty() && !skip(a))
            {
                problems.push(Problem {
                    subject: format!("/etc/passwd:{}", a.name),
                    evidence: vec![format!(
                        "{}: the password field in /etc/passwd is empty",
                        a.name
                    )],
                });
            }
            for line in shadow.lines() {
                let fields: Vec<&str> = line.split(':').collect();
                if fields.len() < 2 || fields[0].is_empty() || fields[0].starts_with(['+', '-']) {
                    continue;
                }
                if fields[1].is_empty() && !rule.allow.iter().any(|n| n == fields[0]) {
                    problems.push(Problem {
                        subject: format!("/etc/shadow:{}", fields[0]),
                        evidence: vec![format!(
                            "{}: the password field in /etc/shadow is empty (login without a password)",
                            fields[0]
                        )],
                    });
                }
            }
        }
        AccountCheck::DuplicateUid => {
            let mut by_uid: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
            for a in accounts.iter().filter(|a| !skip(a)) {
                by_uid.entry(a.uid).or_default().push(&a.name);
            }
            for (uid, names) in by_uid.into_iter().filter(|(_, n)| n.len() > 1) {
                problems.push(Problem {
                    subject: format!("/etc/passwd:uid={uid}"),
                    evidence: vec![format!("UID {uid} is shared by {}", names.join(", "))],
                });
            }
        }
        AccountCheck::SystemAccountWithShell => {
            let uid_min = uid_min(root)?;
            for a in accounts.iter().filter(|a| {
                a.uid < uid_min && a.name != "root" && !skip(a) && is_login_shell(&a.shell)
            }) {
                problems.push(Problem {
                    subject: format!("/etc/passwd:{}", a.name),
                    evidence: vec![format!(
                        "{} (UID {} < UID_MIN {uid_min}) has login shell {}",
                        a.name,
                        a.uid,
                        if a.shell.is_empty() {
                            "(empty: /bin/sh)"
                        } else {
                            &a.shell
                        }
                    )],
                });
            }
        }
    }
    Ok(problems)
}

/// Whether a passwd shell field lets the account log in.
pub(crate) fn is_login_shell(shell: &str) -> bool {
    let base = shell.rsplit('/').next().unwrap_or(shell);
    !matches!(base, "nologin" | "false" | "sync" | "shutdown" | "halt")
}

/// UID_MIN from login.defs (1000 when absent or not a number).
fn uid_min(root: &HostRoot) -> Result<u32, String> {
    let text = read_text(root, "/etc/login.defs")?.unwrap_or_default();
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            (it.next() == Some("UID_MIN")).then(|| it.next()).flatten()
        })
        .filter_map(|v| v.parse().ok())
        .next_back()
        .unwrap_or(1000))
}

/// The root's passwd entries; could not run when it is missing.
pub(crate) fn read_passwd(root: &HostRoot) -> Result<Vec<Account>, String> {
    let text = read_text(root, "/etc/passwd")?
        .ok_or_else(|| "/etc/passwd does not exist on the audited root".to_string())?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() != 7 || f[0].is_empty() || f[0].starts_with(['+', '-']) {
                return None;
            }
            Some(Account {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().unwrap_or(u32::MAX),
                home: f[5].to_string(),
                shell: f[6].trim().to_string(),
                password: f[1].to_string(),
            })
        })
        .collect())
}

/// User name → UID from the root's passwd (empty when it is missing).
pub(crate) fn read_user_ids(root: &HostRoot) -> Result<BTreeMap<String, u32>, String> {
    Ok(match read_text(root, "/etc/passwd")? {
        Some(_) => read_passwd(root)?
            .into_iter()
            .map(|a| (a.name, a.uid))
            .collect(),
        None => BTreeMap::new(),
    })
}

/// Group name → GID from the root's group (empty when it is missing).
pub(crate) fn read_group_ids(root: &HostRoot) -> Result<BTreeMap<String, u32>, String> {
    let text = read_text(root, "/etc/group")?.unwrap_or_default();
    Ok(text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() == 4 && !f[0].is_empty())
                .then(|| Some((f[0].to_string(), f[2].parse().ok()?)))
                .flatten()
        })
        .collect())
}
