//! What an audit could not see. Run without root, the agent still reads
//! every socket of `/proc/net`, but not which process of another user owns
//! it, and not the files only root may read (`/etc/shadow`, sudoers, audit
//! rules). Those gaps are said once when the run ends and recorded in the
//! report (`audit_limits`), so nobody reads a missing finding as "no problem".

use selfcheck_report::{CheckOutcome, CheckRun, ListeningSocket};

/// The gaps of one audit, in words, for the report and the operator.
pub fn audit_limits(
    live_host: bool,
    euid: u32,
    sockets: Option<&[ListeningSocket]>,
    checks: &[CheckRun],
) -> Vec<String> {
    let mut limits = Vec::new();
    if live_host && euid != 0 {
        limits.push(format!(
            "run as uid {euid}, not root: other users' processes and the files only root may read were not seen"
        ));
        let hidden = sockets
            .unwrap_or_default()
            .iter()
            .filter(|s| s.uid != euid && s.processes.is_empty())
            .count();
        if hidden > 0 {
            limits.push(format!(
                "{hidden} listening socket(s) of other users are listed without their process: only root can see which process owns them"
            ));
        }
    }
    let denied: Vec<&str> = checks
        .iter()
        .filter(|c| {
            matches!(&c.outcome, CheckOutcome::CouldNotRun { reason }
                if reason.contains("ermission denied") || reason.contains("EACCES"))
        })
        .map(|c| c.check_id.as_str())
        .collect();
    if !denied.is_empty() {
        limits.push(format!(
            "{} check(s) could not read a file they need (permission denied): {}",
            denied.len(),
            denied.join(", ")
        ));
    }
    limits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_on_the_live_host_sees_everything() {
        assert!(audit_limits(true, 0, None, &[]).is_empty());
        assert!(audit_limits(false, 1000, None, &[]).is_empty());
    }

    #[test]
    fn a_user_is_told_what_was_not_seen() {
        let checks = vec![CheckRun {
            check_id: "baseline.sudo-nopasswd".parse().unwrap(),
            outcome: CheckOutcome::CouldNotRun {
                reason: "cannot read /etc/sudoers: Permission denied (os error 13)".into(),
            },
        }];
        let limits = audit_limits(true, 1000, Some(&[]), &checks);
        assert_eq!(limits.len(), 2, "{limits:?}");
        assert!(limits[0].contains("uid 1000, not root"));
        assert!(limits[1].contains("1 check(s)") && limits[1].contains("baseline.sudo-nopasswd"));
    }
}
