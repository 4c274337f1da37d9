//! `baseline.sudo-all-commands`: sudo rules that give users or groups other
//! than `params.allow` (default: root) every command (GB/T 22239-2019
//! 8.1.4.2 d): least privilege for administrators).
//!
//! `/etc/sudoers` is read with the files it includes at their place
//! (`@include`, `#include`, `@includedir`, `#includedir`; a directory's files
//! whose names have no `.` and do not end in `~`, as sudo reads them; at most
//! 8 levels). Continuation lines (`\`) are joined. A rule `USERS HOSTS =
//! [(RUNAS)] [TAGS:] COMMANDS` grants every command when its command list
//! holds `ALL` or a `Cmnd_Alias` that does. Its users (`User_Alias`es
//! expanded) other than the allowed ones are reported; a `%group` nobody is a
//! member of (in `/etc/group` or as a primary group) grants nobody and is left
//! alone. One finding per file, the rule lines as evidence with the group
//! members. Without `/etc/sudoers` (sudo not installed) the check could not run.

use super::super::accounts::read_passwd;
use super::super::read::{expand, read_text};
use super::super::{Problem, RuleResult};
use super::param_strings;
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;
use std::collections::BTreeMap;

/// One logical sudoers line.
struct Line {
    file: String,
    line_no: usize,
    text: String,
}

fn read_sudoers(
    root: &HostRoot,
    path: &str,
    depth: usize,
    read: &mut std::collections::HashSet<String>,
    out: &mut Vec<Line>,
) -> Result<(), String> {
    // A file read once is not read again: includes of includes stay linear.
    if !read.insert(path.to_string()) {
        return Ok(());
    }
    let Some(text) = read_text(root, path)? else {
        return Ok(());
    };
    let dir = path.rsplit_once('/').map_or("/etc", |(d, _)| d);
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (start, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
        let (body, more) = match raw.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (raw, false),
        };
        acc.push_str(body);
        if more {
            acc.push(' ');
            pending = Some((start, acc));
            continue;
        }
        let t = acc.trim();
        let directive = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| {
                    t.strip_prefix(n)
                        .filter(|r| r.starts_with(char::is_whitespace))
                })
                .map(|r| r.trim().trim_matches('"').to_string())
        };
        let target = |p: String| {
            if p.starts_with('/') {
                p
            } else {
                format!("{dir}/{p}")
            }
        };
        if let Some(d) = directive(&["@includedir", "#includedir"]) {
            if depth < 8 && !d.split('/').any(|c| c == "..") {
                let d = target(d);
                for f in expand(root, &format!("{}/*", d.trim_end_matches('/'))) {
                    let name = f.rsplit('/').next().unwrap_or("");
                    if !name.contains('.') && !name.ends_with('~') {
                        read_sudoers(root, &f, depth + 1, read, out)?;
                    }
                }
            }
            continue;
        }
        if let Some(f) = directive(&["@include", "#include"]) {
            if depth < 8 && !f.split('/').any(|c| c == "..") {
                read_sudoers(root, &target(f), depth + 1, read, out)?;
            }
            continue;
        }
        // A comment: `#` not followed by a digit (`#1000` is a UID).
        let cut = t
            .char_indices()
            .find(|(i, c)| *c == '#' && !t[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
            .map_or(t.len(), |(i, _)| i);
        let t = t[..cut].trim();
        if !t.is_empty() {
            out.push(Line {
                file: path.to_string(),
                line_no: start,
                text: t.to_string(),
            });
        }
    }
    Ok(())
}

/// `NAME = a, b` of an alias line (`User_Alias ADMINS = alice, bob`).
fn alias(text: &str, kind: &str) -> Option<(String, Vec<String>)> {
    let rest = text.strip_prefix(kind)?.trim_start();
    let (name, list) = rest.split_once('=')?;
    Some((
        name.trim().to_string(),
        list.split(',').map(|s| s.trim().to_string()).collect(),
    ))
}

/// Whether a command list (after `=`) holds ALL or an alias of it.
fn grants_all(commands: &str, all_aliases: &[String]) -> bool {
    let mut rest = commands.to_string();
    // Drop run-as lists `(root)`, `(ALL : ALL)`.
    while let (Some(a), Some(b)) = (rest.find('('), rest.find(')')) {
        if b < a {
            break;
        }
        rest.replace_range(a..=b, " ");
    }
    rest.split(',').any(|item| {
        let mut words: Vec<&str> = item.split_whitespace().collect();
        // Tags `NOPASSWD:`, `SETENV:` and options `ROLE=x`, `CWD=/`.
        words.retain(|w| !w.ends_with(':') && !w.contains('='));
        let cmd = words.join(" ");
        cmd == "ALL" || all_aliases.contains(&cmd)
    })
}

/// `baseline.sudo-all-commands`.
pub(crate) fn sudo_all_commands(
    root: &HostRoot,
    def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let allow = param_strings(def, "allow", &["root"])?;
    if read_text(root, "/etc/sudoers")?.is_none() {
        return Err(
            "/etc/sudoers does not exist: sudo is not installed on the audited root".into(),
        );
    }
    let mut lines = Vec::new();
    read_sudoers(
        root,
        "/etc/sudoers",
        0,
        &mut std::collections::HashSet::new(),
        &mut lines,
    )?;
    let mut user_aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut all_aliases: Vec<String> = Vec::new();
    for l in &lines {
        if let Some((n, members)) = alias(&l.text, "User_Alias") {
            user_aliases.insert(n, members);
        }
        if let Some((n, cmds)) = alias(&l.text, "Cmnd_Alias")
            && cmds.iter().any(|c| c == "ALL")
        {
            all_aliases.push(n);
        }
    }
    let members = group_members(root)?;
    let mut by_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in &lines {
        let t = l.text.as_str();
        if t.starts_with("Defaults")
            || [
                "User_Alias",
                "Cmnd_Alias",
                "Host_Alias",
                "Runas_Alias",
                "Cmd_Alias",
            ]
            .iter()
            .any(|k| t.starts_with(k))
        {
            continue;
        }
        let Some((left, commands)) = t.split_once('=') else {
            continue;
        };
        if !grants_all(commands, &all_aliases) {
            continue;
        }
        // USERS HOSTS: the users are everything before the last word.
        let left = left.trim();
        let users_part = left.rsplit_once(char::is_whitespace).map_or("", |(u, _)| u);
        let mut users: Vec<String> = Vec::new();
        for u in users_part
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            match user_aliases.get(u) {
                Some(list) => users.extend(list.iter().cloned()),
                None => users.push(u.to_string()),
            }
        }
        let mut reported = Vec::new();
        for u in users
            .iter()
            .filter(|u| !u.starts_with('!') && !allow.contains(u))
        {
            match u.strip_prefix('%') {
                Some(g) => match members.get(g) {
                    Some(m) if !m.is_empty() => {
                        reported.push(format!("group {g}: {}", m.join(", ")))
                    }
                    _ => {}
                },
                None => reported.push(u.clone()),
            }
        }
        if !reported.is_empty() {
            by_file.entry(l.file.clone()).or_default().push(format!(
                "{}:{}: {} (every command for {})",
                l.file,
                l.line_no,
                t,
                reported.join("; ")
            ));
        }
    }
    Ok(by_file
        .into_iter()
        .map(|(file, evidence)| Problem {
            subject: file,
            evidence,
        })
        .collect())
}

/// Group name → member names (listed members and accounts with it as primary group).
fn group_members(root: &HostRoot) -> Result<BTreeMap<String, Vec<String>>, String> {
    let text = read_text(root, "/etc/group")?.unwrap_or_default();
    let passwd = read_passwd(root).unwrap_or_default();
    let mut out = BTreeMap::new();
    for l in text.lines() {
        let f: Vec<&str> = l.split(':').collect();
        if f.len() != 4 || f[0].is_empty() {
            continue;
        }
        let mut m: Vec<String> = f[3]
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if let Ok(gid) = f[2].parse::<u32>() {
            m.extend(
                passwd
                    .iter()
                    .filter(|a| a.gid == gid)
                    .map(|a| a.name.clone()),
            );
        }
        m.sort();
        m.dedup();
        out.insert(f[0].to_string(), m);
    }
    Ok(out)
}
