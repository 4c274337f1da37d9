//! `file_mode` rules: a file's permission bits are at most `max_mode` (no bit
//! outside it is set), its owner is `owner` and its group one of `group`.
//!
//! Owner and group names are looked up in the audited root's `/etc/passwd`
//! and `/etc/group` (`root` is uid/gid 0 even without them). A link is
//! followed inside the root. A missing file means the check could not run
//! (the component is not installed), unless the rule says `missing = "finding"`.

use super::accounts::{read_group_ids, read_user_ids};
use super::{Problem, RuleResult};
use selfcheck_catalog::{FileModeRule, Missing};
use selfcheck_hostfs::root::HostRoot;
use std::os::unix::fs::MetadataExt;

/// Evaluate a `file_mode` rule.
pub(crate) fn file_mode(root: &HostRoot, rule: &FileModeRule) -> RuleResult {
    let meta = match root.metadata(&rule.path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match rule.missing {
                Missing::CouldNotRun => Err(format!(
                    "{} does not exist: the component this check is about is not installed on the audited root",
                    rule.path
                )),
                Missing::Finding => Ok(vec![Problem {
                    subject: rule.path.clone(),
                    evidence: vec![format!("{} does not exist", rule.path)],
                }]),
            };
        }
        Err(e) => return Err(format!("cannot stat {}: {e}", rule.path)),
    };
    let mode = meta.mode() & 0o7777;
    let mut evidence = Vec::new();
    if mode & !rule.max_mode != 0 {
        evidence.push(format!(
            "mode {mode:04o}, at most {:04o} allowed (extra bits {:04o})",
            rule.max_mode,
            mode & !rule.max_mode
        ));
    }
    if let Some(owner) = &rule.owner {
        let users = read_user_ids(root)?;
        let want = users
            .get(owner)
            .copied()
            .or((owner == "root").then_some(0))
            .ok_or_else(|| {
                format!("user {owner} is not in the audited root's /etc/passwd; fix the check or the root")
            })?;
        if meta.uid() != want {
            let actual = name_of(&users, meta.uid());
            evidence.push(format!("owner {actual}, {owner} required"));
        }
    }
    if !rule.group.is_empty() {
        let groups = read_group_ids(root)?;
        let allowed: Vec<u32> = rule
            .group
            .iter()
            .filter_map(|g| groups.get(g).copied().or((g == "root").then_some(0)))
            .collect();
        if !allowed.contains(&meta.gid()) {
            let actual = name_of(&groups, meta.gid());
            evidence.push(format!(
                "group {actual}, one of {} required",
                rule.group.join(", ")
            ));
        }
    }
    if evidence.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Problem {
        subject: rule.path.clone(),
        evidence,
    }])
}

/// The name of an id, or the number when no name has it.
fn name_of(ids: &std::collections::BTreeMap<String, u32>, id: u32) -> String {
    ids.iter()
        .find(|(_, v)| **v == id)
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| id.to_string())
}
