//! `baseline.backup-job`: a scheduled backup exists (GB/T 22239-2019
//! 8.1.4.9 a) / 7.1.4.8 a): local backup and recovery of important data).
//!
//! Looks for a job whose command or name matches one of `params.patterns`
//! (regular expressions matched against the lower-cased text: backup, rsync, borg, restic,
//! duplicity, bacula, amanda, rsnapshot, tar with create, mysqldump,
//! pg_dump(all), xtrabackup ...) and none of `params.ignore` (Debian's
//! `dpkg-db-backup`, which saves only the package database) in:
//! - cron: `/etc/crontab`, `/etc/cron.d/*`, `/etc/anacrontab`,
//!   `/var/spool/cron/crontabs/*` (Debian) and `/var/spool/cron/*` (RPM family):
//!   non-comment lines; `/etc/cron.{hourly,daily,weekly,monthly}/*`: the
//!   script's name and its lines;
//! - systemd timers: `*.timer` in `/etc/systemd/system` and enabled through a
//!   `*.wants` directory there, with the service they start (`Unit=` or the
//!   same name): the names and the service's `ExecStart=` lines.
//!
//! Whether the job succeeds and when it last ran are not seen; restore tests
//! remain evidence on paper. A root with neither cron nor systemd directories
//! could not run.

use super::super::read::{expand, read_some, read_text};
use super::super::{Problem, RuleResult};
use super::param_strings;
use chrono::{DateTime, FixedOffset};
use regex::Regex;
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;

const DEFAULT_PATTERNS: &[&str] = &[
    r"backup",
    r"\brsync\b",
    r"\bborg\b",
    r"\brestic\b",
    r"\bduplicity\b",
    r"\bbacula",
    r"\bamanda",
    r"\brsnapshot\b",
    r"\btar\b.*(\s-?[a-zA-Z]*c[a-zA-Z]*f|--create)",
    r"\bmysqldump\b",
    r"\bmariadb-dump\b",
    r"\bmariabackup\b",
    r"\bpg_dump(all)?\b",
    r"\bpg_basebackup\b",
    r"\bxtrabackup\b",
];

const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// `baseline.backup-job`.
pub(crate) fn backup_job(
    root: &HostRoot,
    def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let compile = |key: &str, default: &[&str]| -> Result<Vec<Regex>, String> {
        param_strings(def, key, default)?
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|e| {
                    format!(
                        "{}; fix the check's params",
                        def.param_error(key, format!("{p:?} is not a valid regex: {e}"))
                    )
                })
            })
            .collect()
    };
    let patterns = compile("patterns", DEFAULT_PATTERNS)?;
    let ignore = compile("ignore", &["dpkg-db-backup"])?;
    // Patterns see the text in lower case (the regex build has no Unicode case folding).
    let matches = |s: &str| {
        let s = s.to_lowercase();
        patterns.iter().any(|p| p.is_match(&s)) && !ignore.iter().any(|p| p.is_match(&s))
    };
    let cron_dirs = [
        "/etc/cron.d",
        "/etc/cron.hourly",
        "/etc/cron.daily",
        "/etc/cron.weekly",
        "/etc/cron.monthly",
        "/var/spool/cron",
    ];
    let has_cron = root.is_file("/etc/crontab") || cron_dirs.iter().any(|d| root.is_dir(d));
    let has_systemd = root.is_dir("/etc/systemd/system");
    if !has_cron && !has_systemd {
        return Err(
            "the audited root has neither cron (/etc/crontab, /etc/cron.d, /var/spool/cron) nor /etc/systemd/system"
                .to_string(),
        );
    }
    let job_line = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && matches(t)
    };
    // cron tables
    let (tables, _) = read_some(
        root,
        &[
            "/etc/crontab",
            "/etc/anacrontab",
            "/etc/cron.d/*",
            "/var/spool/cron/crontabs/*",
            "/var/spool/cron/*",
        ],
    );
    let mut read = 0;
    for (_, text) in &tables {
        read += 1;
        if text.lines().any(job_line) {
            return Ok(Vec::new());
        }
    }
    // periodic scripts: name or content
    for d in &cron_dirs[1..5] {
        for path in expand(root, &format!("{d}/*")) {
            read += 1;
            let name = path.rsplit('/').next().unwrap_or("");
            if matches(name) {
                return Ok(Vec::new());
            }
            if let Ok(Some(text)) = read_text(root, &path)
                && text.lines().any(job_line)
            {
                return Ok(Vec::new());
            }
        }
    }
    // systemd timers
    let mut timers: Vec<String> = expand(root, "/etc/systemd/system/*.timer");
    if let Ok(rd) = root.read_dir("/etc/systemd/system") {
        for e in rd.filter_map(|e| e.ok()) {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".wants") {
                timers.extend(expand(root, &format!("/etc/systemd/system/{n}/*.timer")));
            }
        }
    }
    for timer in &timers {
        read += 1;
        let name = timer.rsplit('/').next().unwrap_or("");
        if matches(name) {
            return Ok(Vec::new());
        }
        let text = read_text(root, timer).ok().flatten().unwrap_or_default();
        let service = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("Unit="))
            .map(|s| s.trim().to_string())
            .next_back()
            .unwrap_or_else(|| format!("{}.service", name.trim_end_matches(".timer")));
        if matches(&service) {
            return Ok(Vec::new());
        }
        if service.contains('/') {
            continue;
        }
        let unit = UNIT_DIRS
            .iter()
            .find_map(|d| read_text(root, &format!("{d}/{service}")).ok().flatten());
        if unit.is_some_and(|u| {
            u.lines()
                .filter_map(|l| l.trim().strip_prefix("ExecStart="))
                .any(matches)
        }) {
            return Ok(Vec::new());
        }
    }
    Ok(vec![Problem {
        subject: "backup job".to_string(),
        evidence: vec![format!(
            "no cron job or systemd timer runs a backup tool ({read} cron tables, periodic scripts and timers read)"
        )],
    }])
}
