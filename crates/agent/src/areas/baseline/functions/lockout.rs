//! `baseline.login-lockout`: accounts lock after at most `params.max_deny`
//! (default 5) failed logins (GB/T 22239-2019 8.1.4.1 b)).
//!
//! What counts is what PAM does, so the auth stacks are read first:
//! `/etc/pam.d/common-auth` (Debian family), `system-auth` and
//! `password-auth` (RPM family; `authselect ... with-faillock` writes them).
//! A lockout module must be called there with the `auth` type:
//! - `pam_faillock.so`: a line in `authfail` mode (or with no mode) must record
//!   the failures — a `preauth` line alone only checks a tally nothing fills;
//!   its limit is the `deny=N` argument of its lines when one sets it, else
//!   `deny = N` in its configuration file (`conf=PATH`, by default
//!   `/etc/security/faillock.conf`; the last setting wins), else the module's
//!   built-in 3;
//! - `pam_tally2.so`: its `deny=N` argument; without it pam_tally2 never locks.
//!
//! `deny = 0` turns locking off. A `faillock.conf` limit with no pam_faillock
//! in any auth stack does nothing, and is shown as such. Without any of the
//! stack files PAM is not configured on the root: the check could not run.

use super::super::read::{is_comment, read_text};
use super::super::{Problem, RuleResult};
use super::param_u64;
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;

/// The PAM auth stacks read, in order.
const STACKS: [&str; 3] = [
    "/etc/pam.d/common-auth",
    "/etc/pam.d/system-auth",
    "/etc/pam.d/password-auth",
];

/// pam_faillock's configuration file when no `conf=` argument names another.
const FAILLOCK_CONF: &str = "/etc/security/faillock.conf";

/// pam_faillock's limit when neither its arguments nor its file set one.
const FAILLOCK_DEFAULT_DENY: u64 = 3;

/// One call of a lockout module in an auth stack.
struct Call {
    /// `pam_faillock` or `pam_tally2`.
    module: &'static str,
    /// `FILE:LINE: text`, for evidence.
    shown: String,
    /// Its `deny=` argument, as written.
    deny: Option<String>,
    /// Its `conf=` argument.
    conf: Option<String>,
    /// It records failures: pam_faillock in `authfail` mode or with no mode; pam_tally2 always.
    records: bool,
}

/// The lockout module a PAM line calls with the `auth` type, if any.
fn lockout_call(path: &str, line_no: usize, line: &str) -> Option<Call> {
    let mut words = line.split_whitespace();
    let kind = words.next()?.trim_start_matches('-');
    if kind != "auth" {
        return None;
    }
    // The control is one word or a bracketed list that may contain spaces.
    let mut control = words.next()?.to_string();
    while control.starts_with('[') && !control.ends_with(']') {
        control.push(' ');
        control.push_str(words.next()?);
    }
    let module_path = words.next()?;
    let module = match module_path.rsplit('/').next()? {
        "pam_faillock.so" => "pam_faillock",
        "pam_tally2.so" => "pam_tally2",
        _ => return None,
    };
    let mut call = Call {
        module,
        shown: format!("{path}:{line_no}: {}", line.trim()),
        deny: None,
        conf: None,
        records: true,
    };
    for arg in words {
        if module == "pam_faillock" && matches!(arg, "preauth" | "authsucc") {
            call.records = false;
        }
        if let Some(v) = arg.strip_prefix("deny=") {
            call.deny = Some(v.to_string());
        } else if let Some(v) = arg.strip_prefix("conf=") {
            call.conf = Some(v.to_string());
        }
    }
    Some(call)
}

/// The last `deny = N` of a faillock.conf, with the line shown.
fn conf_deny(root: &HostRoot, path: &str) -> Result<Option<(String, String)>, String> {
    let Some(text) = read_text(root, path)? else {
        return Ok(None);
    };
    let mut found = None;
    for (i, line) in text.lines().enumerate() {
        if is_comment(line, &['#']) {
            continue;
        }
        if let Some((key, value)) = line.split_once('=')
            && key.trim() == "deny"
        {
            found = Some((
                value.trim().to_string(),
                format!("{path}:{}: {}", i + 1, line.trim()),
            ));
        }
    }
    Ok(found)
}

/// Evaluate `baseline.login-lockout`.
pub(crate) fn login_lockout(
    root: &HostRoot,
    def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let max_deny = param_u64(def, "max_deny", 5)?;
    let mut read = Vec::new();
    let mut calls = Vec::new();
    for path in STACKS {
        let Some(text) = read_text(root, path)? else {
            continue;
        };
        read.push(path);
        for (i, line) in text.lines().enumerate() {
            if is_comment(line, &['#']) {
                continue;
            }
            calls.extend(lockout_call(path, i + 1, line));
        }
    }
    if read.is_empty() {
        return Err(format!(
            "none of {} exists: PAM is not configured on the audited root",
            STACKS.join(", ")
        ));
    }
    let subject = read[0].to_string();
    let wanted = format!("expected a lock after 1 to {max_deny} failures");

    // The limit each module applies, with where it comes from.
    let mut applied: Vec<(u64, Vec<String>)> = Vec::new();
    let mut unusable: Vec<String> = Vec::new();
    let faillock: Vec<&Call> = calls
        .iter()
        .filter(|c| c.module == "pam_faillock")
        .collect();
    if !faillock.is_empty() && !faillock.iter().any(|c| c.records) {
        unusable.extend(faillock.iter().map(|c| c.shown.clone()));
        unusable.push(
            "no pam_faillock.so authfail line: failures are never recorded, so no account ever locks"
                .to_string(),
        );
    } else if !faillock.is_empty() {
        let mut evidence: Vec<String> = faillock.iter().map(|c| c.shown.clone()).collect();
        let from_args = faillock.iter().rev().find_map(|c| c.deny.clone());
        let value = match from_args {
            Some(v) => Some(v),
            None => {
                let conf = faillock
                    .iter()
                    .find_map(|c| c.conf.clone())
                    .unwrap_or_else(|| FAILLOCK_CONF.to_string());
                match conf_deny(root, &conf)? {
                    Some((v, shown)) => {
                        evidence.push(shown);
                        Some(v)
                    }
                    None => {
                        evidence.push(format!(
                            "no deny in the arguments or in {conf}: pam_faillock's default {FAILLOCK_DEFAULT_DENY} applies"
                        ));
                        Some(FAILLOCK_DEFAULT_DENY.to_string())
                    }
                }
            }
        };
        match value.as_deref().map(str::parse::<u64>) {
            Some(Ok(n)) => applied.push((n, evidence)),
            _ => {
                evidence.push(format!(
                    "deny = {} is not a number",
                    value.unwrap_or_default()
                ));
                unusable.extend(evidence);
            }
        }
    }
    for c in calls.iter().filter(|c| c.module == "pam_tally2") {
        match c.deny.as_deref().map(str::parse::<u64>) {
            Some(Ok(n)) => applied.push((n, vec![c.shown.clone()])),
            Some(Err(_)) => unusable.push(format!("{} (deny is not a number)", c.shown)),
            None => unusable.push(format!("{} (no deny=N: pam_tally2 never locks)", c.shown)),
        }
    }

    if applied.iter().any(|(n, _)| (1..=max_deny).contains(n)) {
        return Ok(Vec::new());
    }
    let mut evidence = Vec::new();
    if calls.is_empty() {
        evidence.push(format!(
            "no auth line calls pam_faillock.so or pam_tally2.so in {}",
            read.join(", ")
        ));
        if let Some((value, shown)) = conf_deny(root, FAILLOCK_CONF)? {
            evidence.push(format!(
                "{shown} (deny = {value} has no effect while pam_faillock is not in the auth stack)"
            ));
        }
    }
    for (n, lines) in applied {
        let what = if n == 0 {
            "0 turns locking off".to_string()
        } else {
            format!("locks after {n} failures")
        };
        evidence.extend(lines);
        evidence.push(format!("deny = {n}: {what}"));
    }
    evidence.extend(unusable);
    evidence.push(wanted);
    Ok(vec![Problem { subject, evidence }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_auth_lines_of_lockout_modules_count() {
        let c = lockout_call(
            "/etc/pam.d/system-auth",
            3,
            "auth [default=die] /usr/lib64/security/pam_faillock.so authfail deny=4 conf=/etc/x.conf",
        )
        .unwrap();
        assert_eq!((c.module, c.deny.as_deref()), ("pam_faillock", Some("4")));
        assert_eq!(c.conf.as_deref(), Some("/etc/x.conf"));
        let c = lockout_call(
            "a",
            1,
            "-auth [success=1 default=ignore] pam_tally2.so onerr=fail",
        )
        .unwrap();
        assert_eq!((c.module, c.deny), ("pam_tally2", None));
        assert!(lockout_call("a", 1, "account required pam_faillock.so").is_none());
        assert!(lockout_call("a", 1, "auth required pam_unix.so deny=3").is_none());
        assert!(lockout_call("a", 1, "auth").is_none());
        assert!(lockout_call("a", 1, "auth [unclosed pam_faillock.so").is_none());
    }
}
