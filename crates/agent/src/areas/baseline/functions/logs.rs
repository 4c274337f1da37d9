//! `baseline.log-retention`: that logs are kept at least six months
//! (GB/T 22239-2019 8.1.4.3 c); Cybersecurity Law Art. 21: network logs kept
//! no less than six months).
//!
//! Retention is shown by any one of:
//! - the syslog files (`params.logs`, e.g. /var/log/syslog): the logrotate
//!   block that rotates each (`/etc/logrotate.conf`, its `include`s, e.g.
//!   `/etc/logrotate.d/*`; global directives are defaults for later blocks)
//!   keeps period × rotate days (daily 1, weekly 7, monthly 30, yearly 365),
//!   capped by `maxage`; a log no block rotates is kept without limit; a
//!   rotation by size (`size`, or no period at all: logrotate's default is
//!   1 MiB) is judged by the oldest rotated copy present;
//! - journald (`journald.conf` and its `.d` drop-ins, the last setting wins):
//!   persistent storage (`Storage=persistent`, or `auto` with
//!   `/var/log/journal` present) with `MaxRetentionSec` ≥ the minimum, or no
//!   `MaxRetentionSec` and a journal file at least that old.
//!
//! Ages come from file modification times on the root measured against the
//! audit's time (a rotated file's mtime is when it was last written, so its
//! records are at least that old). auditd's own rotation (`auditd.conf`) is
//! quoted in the evidence but not judged: it is size-based. The evidence
//! shows each computation, e.g. `weekly × rotate 4 = 28 days < 180`.

use super::super::read::{expand, read_some, read_text};
use super::super::{Problem, RuleResult};
use super::{param_paths, param_u64};
use chrono::{DateTime, FixedOffset};
use regex::Regex;
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;
use std::os::unix::fs::MetadataExt;

const DAY: f64 = 86_400.0;

/// Retention of one log as configured: days kept (`None`: not computable,
/// `Some(f64::INFINITY)`: without limit) and how that was worked out.
#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    /// Days kept.
    pub days: Option<f64>,
    /// The computation in words.
    pub shown: String,
}

#[derive(Debug, Clone, Default)]
struct Rotate {
    /// The period's name and days; `None`: rotated by size.
    period: Option<(&'static str, f64)>,
    rotate: Option<u64>,
    maxage: Option<u64>,
}

impl Rotate {
    fn apply(&mut self, words: &[&str]) {
        let num = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
        match words.first().copied() {
            Some("hourly") => self.period = Some(("hourly", 1.0 / 24.0)),
            Some("daily") => self.period = Some(("daily", 1.0)),
            Some("weekly") => self.period = Some(("weekly", 7.0)),
            Some("monthly") => self.period = Some(("monthly", 30.0)),
            Some("yearly") => self.period = Some(("yearly", 365.0)),
            Some("rotate") => self.rotate = num(1).or(self.rotate),
            Some("maxage") => self.maxage = num(1).or(self.maxage),
            // The last of `size` and a period decides, as in logrotate.
            Some("size") => self.period = None,
            _ => {}
        }
    }

    fn retention(&self, at: &str) -> Retention {
        let rotate = self.rotate.unwrap_or(0);
        let Some((name, days)) = self.period else {
            return Retention {
                days: None,
                shown: format!(
                    "{at}: rotated by size (the `size` directive, or logrotate's default 1 MiB without a period), rotate {rotate}: days kept depend on log volume"
                ),
            };
        };
        let kept = days * rotate as f64;
        let mut shown = format!("{at}: {name} × rotate {rotate} = {} days", fmt_days(kept));
        let kept = match self.maxage {
            Some(m) if (m as f64) < kept => {
                shown.push_str(&format!(", maxage {m} = {m} days"));
                m as f64
            }
            _ => kept,
        };
        Retention {
            days: Some(kept),
            shown,
        }
    }
}

fn fmt_days(d: f64) -> String {
    if d.fract() == 0.0 {
        format!("{d:.0}")
    } else {
        format!("{d:.1}")
    }
}

/// The logrotate configuration as logrotate reads it: `/etc/logrotate.conf`
/// and its includes, in order (at most 8 levels deep).
fn read_logrotate(root: &HostRoot) -> Result<Option<Vec<(String, String)>>, String> {
    let Some(main) = read_text(root, "/etc/logrotate.conf")? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    collect_includes(root, "/etc/logrotate.conf".into(), main, 0, &mut out)?;
    Ok(Some(out))
}

fn collect_includes(
    root: &HostRoot,
    path: String,
    text: String,
    depth: usize,
    out: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let includes: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("include")).then(|| w.next().map(str::to_string))?
        })
        .collect();
    out.push((path, text));
    if depth >= 8 {
        return Ok(());
    }
    for inc in includes {
        if !inc.starts_with('/') || inc.split('/').any(|c| c == "..") {
            continue;
        }
        let files = if root.is_dir(&inc) {
            expand(root, &format!("{}/*", inc.trim_end_matches('/')))
                .into_iter()
                .filter(|f| {
                    // logrotate's default taboo list: package manager leftovers and backups.
                    ![
                        ".dpkg-old",
                        ".dpkg-dist",
                        ".dpkg-new",
                        ".rpmsave",
                        ".rpmorig",
                        ".rpmnew",
                        ".disabled",
                        "~",
                        ".bak",
                        ".swp",
                    ]
                    .iter()
                    .any(|x| f.ends_with(x))
                })
                .collect()
        } else {
            vec![inc]
        };
        for f in files {
            // A file read once is not read again: includes of includes stay linear.
            if out.iter().any(|(p, _)| *p == f) {
                continue;
            }
            if let Some(t) = read_text(root, &f)? {
                collect_includes(root, f, t, depth + 1, out)?;
            }
        }
    }
    Ok(())
}

/// How long logrotate keeps `log`, from the configuration files in the order
/// logrotate reads them; `None` when no block names it.
pub fn logrotate_retention(files: &[(String, String)], log: &str) -> Option<Retention> {
    let mut global = Rotate::default();
    let mut found = None;
    for (path, text) in files {
        let mut pending: Vec<(usize, String)> = Vec::new();
        let mut block: Option<(Rotate, Vec<String>, usize)> = None;
        let mut in_script = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if in_script {
                in_script = words[0] != "endscript";
                continue;
            }
            if let Some((settings, paths, at)) = &mut block {
                if words[0] == "}" {
                    if paths.iter().any(|p| glob_match(p, log)) {
                        found = Some(settings.retention(&format!("{path}:{at}: {log}")));
                    }
                    block = None;
                    continue;
                }
                if matches!(
                    words[0],
                    "postrotate" | "prerotate" | "firstaction" | "lastaction" | "preremove"
                ) {
                    in_script = true;
                    continue;
                }
                settings.apply(&words);
                continue;
            }
            if let Some((before, after)) = line.split_once('{') {
                let mut paths: Vec<String> = pending.drain(..).map(|(_, p)| p).collect();
                paths.extend(
                    before
                        .split_whitespace()
                        .map(|p| p.trim_matches('"').to_string()),
                );
                let mut settings = global.clone();
                let after = after.trim();
                // `path { directive }` on one line.
                let (inner, closed) = match after.strip_suffix('}') {
                    Some(inner) => (inner.trim(), true),
                    None => (after, false),
                };
                settings.apply(&inner.split_whitespace().collect::<Vec<_>>());
                if closed {
                    if paths.iter().any(|p| glob_match(p, log)) {
                        found = Some(settings.retention(&format!("{path}:{}: {log}", i + 1)));
                    }
                } else {
                    block = Some((settings, paths, i + 1));
                }
                continue;
            }
            if words[0].starts_with('/') || words[0].starts_with('"') {
                pending.extend(words.iter().map(|w| (i, w.trim_matches('"').to_string())));
            } else {
                pending.clear();
                global.apply(&words);
            }
        }
    }
    found
}

/// Shell-style glob match of a whole host path (`*` does not cross `/`).
fn glob_match(pattern: &str, path: &str) -> bool {
    pattern.len() <= 4096 && selfcheck_hostfs::wildcard::path_match(pattern, path)
}

/// A systemd time span (`6month`, `1y 2d`, `180d`, `3600`) in seconds.
pub fn timespan_secs(text: &str) -> Option<f64> {
    let re = Regex::new(r"^\s*(?:(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*)+$").ok()?;
    if !re.is_match(text) {
        return None;
    }
    let part = Regex::new(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)").ok()?;
    let mut total = 0.0;
    for c in part.captures_iter(text) {
        let n: f64 = c[1].parse().ok()?;
        let unit = match &c[2] {
            "" | "s" | "sec" | "second" | "seconds" => 1.0,
            "us" | "usec" => 1e-6,
            "ms" | "msec" => 1e-3,
            "m" | "min" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => DAY,
            "w" | "week" | "weeks" => 7.0 * DAY,
            "M" | "month" | "months" => 30.44 * DAY,
            "y" | "year" | "years" => 365.25 * DAY,
            _ => return None,
        };
        total += n * unit;
    }
    Some(total)
}

/// journald's effective settings: the last value of each key in
/// journald.conf, then the drop-ins (vendor then local, by name).
fn journald_setting(files: &[(String, String)], key: &str) -> Option<(String, String)> {
    let mut found = None;
    for (path, text) in files {
        for l in text.lines() {
            let l = l.trim();
            if l.starts_with(['#', ';', '[']) {
                continue;
            }
            if let Some((k, v)) = l.split_once('=')
                && k.trim() == key
            {
                found = Some((path.clone(), v.trim().to_string()));
            }
        }
    }
    found
}

/// The oldest modification time among files of `dir` (host path) whose
/// names `keep` accepts, one level deep.
fn oldest_mtime(root: &HostRoot, dir: &str, keep: impl Fn(&str) -> bool) -> Option<(String, i64)> {
    let entries = root.read_dir(dir).ok()?;
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let meta = e.metadata().ok()?;
            (meta.is_file() && keep(&name)).then(|| (format!("{dir}/{name}"), meta.mtime()))
        })
        .min_by_key(|(_, t)| *t)
}

fn age_days(now: DateTime<FixedOffset>, t: i64) -> f64 {
    (now.timestamp() - t) as f64 / DAY
}

fn date(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("@{t}"))
}

/// `baseline.log-retention`.
pub(crate) fn log_retention(
    root: &HostRoot,
    def: &CheckDef,
    now: DateTime<FixedOffset>,
) -> RuleResult {
    let min_days = param_u64(def, "min_days", 180)? as f64;
    let logs = param_paths(
        def,
        "logs",
        &[
            "/var/log/syslog",
            "/var/log/messages",
            "/var/log/auth.log",
            "/var/log/secure",
        ],
    )?;
    let mut evidence = Vec::new();
    let mut judged = false;
    let logrotate = read_logrotate(root)?;
    for log in &logs {
        let rotation = logrotate
            .as_ref()
            .and_then(|files| logrotate_retention(files, log));
        let exists = root.is_file(log);
        if rotation.is_none() && !exists {
            continue;
        }
        judged = true;
        let (dir, base) = log.rsplit_once('/').unwrap_or(("", log));
        let rotated = oldest_mtime(root, if dir.is_empty() { "/" } else { dir }, |n| {
            n.len() > base.len()
                && n.starts_with(base)
                && matches!(n.as_bytes()[base.len()], b'.' | b'-')
        });
        let observed = rotated.as_ref().map(|(_, t)| age_days(now, *t));
        let oldest = match &rotated {
            Some((p, t)) => format!(
                "; oldest rotated copy {p} of {} ({} days)",
                date(*t),
                fmt_days(age_days(now, *t).floor())
            ),
            None => "; no rotated copy present".to_string(),
        };
        let r = match (rotation, logrotate.is_some()) {
            (Some(r), _) => r,
            (None, true) => Retention {
                days: Some(f64::INFINITY),
                shown: format!("{log}: no logrotate block rotates it: kept without limit"),
            },
            (None, false) => Retention {
                days: Some(f64::INFINITY),
                shown: format!(
                    "{log}: logrotate is not installed (no /etc/logrotate.conf): never rotated, kept without limit"
                ),
            },
        };
        let ok = match r.days {
            Some(d) => d >= min_days,
            None => observed.is_some_and(|o| o >= min_days),
        };
        if ok {
            return Ok(Vec::new());
        }
        let cmp = match r.days {
            Some(_) => format!(" < {}", fmt_days(min_days)),
            None => String::new(),
        };
        evidence.push(format!("{}{cmp}{oldest}", r.shown));
    }
    // journald
    let journald = ["/etc/systemd/journald.conf"];
    let dropins = [
        "/usr/lib/systemd/journald.conf.d/*.conf",
        "/etc/systemd/journald.conf.d/*.conf",
    ];
    let (mut jfiles, jerrors) = read_some(root, &journald);
    if let Some(e) = jerrors.into_iter().next() {
        return Err(e);
    }
    let (drop, _) = read_some(root, &dropins);
    let has_journald = !jfiles.is_empty() || !drop.is_empty();
    jfiles.extend(drop);
    if has_journald {
        judged = true;
        let storage = journald_setting(&jfiles, "Storage");
        let storage_value = storage
            .as_ref()
            .map(|(_, v)| v.to_ascii_lowercase())
            .unwrap_or_else(|| "auto".to_string());
        let journal_dir = root.is_dir("/var/log/journal");
        let persistent = match storage_value.as_str() {
            "persistent" => true,
            "auto" => journal_dir,
            _ => false,
        };
        let storage_words = match (&storage, persistent) {
            (Some((p, v)), true) => format!("Storage={v} ({p}): persistent"),
            (Some((p, v)), false) if v.eq_ignore_ascii_case("auto") => {
                format!("Storage=auto ({p}) and no /var/log/journal: kept in memory only")
            }
            (Some((p, v)), false) => format!("Storage={v} ({p}): not kept on disk"),
            (None, true) => "Storage not set (auto) and /var/log/journal exists: persistent".into(),
            (None, false) => {
                "Storage not set (auto) and no /var/log/journal: kept in memory only".into()
            }
        };
        if persistent {
            let machine_dirs: Vec<String> = root
                .read_dir("/var/log/journal")
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| format!("/var/log/journal/{}", e.file_name().to_string_lossy()))
                        .collect()
                })
                .unwrap_or_default();
            let oldest = machine_dirs
                .iter()
                .filter_map(|d| {
                    oldest_mtime(root, d, |n| {
                        n.ends_with(".journal") || n.ends_with(".journal~")
                    })
                })
                .min_by_key(|(_, t)| *t);
            let observed = oldest.as_ref().map(|(_, t)| age_days(now, *t));
            let oldest_words = match &oldest {
                Some((p, t)) => format!(
                    "oldest journal file {p} of {} ({} days)",
                    date(*t),
                    fmt_days(age_days(now, *t).floor())
                ),
                None => "no journal file present".to_string(),
            };
            let retention = journald_setting(&jfiles, "MaxRetentionSec")
                .map(|(p, v)| (p, v.clone(), timespan_secs(&v)));
            match retention {
                Some((p, v, Some(secs))) if secs > 0.0 => {
                    let days = secs / DAY;
                    if days >= min_days {
                        return Ok(Vec::new());
                    }
                    evidence.push(format!(
                        "journald: {storage_words}; MaxRetentionSec={v} ({p}) = {} days < {}",
                        fmt_days(days.floor()),
                        fmt_days(min_days)
                    ));
                }
                Some((p, v, None)) => evidence.push(format!(
                    "journald: {storage_words}; MaxRetentionSec={v} ({p}) is not a time span; {oldest_words}"
                )),
                _ => {
                    if observed.is_some_and(|o| o >= min_days) {
                        return Ok(Vec::new());
                    }
                    let cmp = match oldest {
                        Some(_) => format!(" < {}", fmt_days(min_days)),
                        None => String::new(),
                    };
                    evidence.push(format!(
                        "journald: {storage_words}; MaxRetentionSec not set (no time limit, bounded by SystemMaxUse); {oldest_words}{cmp}"
                    ));
                }
            }
        } else {
            evidence.push(format!("journald: {storage_words}"));
        }
    }
    if !judged {
        return Err(format!(
            "nothing to judge: none of {} exists or is rotated by logrotate, and journald is not configured on the audited root",
            logs.join(", ")
        ));
    }
    if let Ok(Some(conf)) = read_text(root, "/etc/audit/auditd.conf") {
        let get = |k: &str| {
            conf.lines()
                .filter_map(|l| l.split_once('='))
                .filter(|(a, _)| a.trim() == k)
                .map(|(_, v)| v.trim().to_string())
                .next_back()
        };
        evidence.push(format!(
            "auditd.conf (not judged, size-based): max_log_file_action = {}, num_logs = {}, max_log_file = {} MB",
            get("max_log_file_action").unwrap_or_else(|| "ROTATE (default)".into()),
            get("num_logs").unwrap_or_else(|| "5 (default)".into()),
            get("max_log_file").unwrap_or_else(|| "8 (default)".into()),
        ));
    }
    Ok(vec![Problem {
        subject: "log retention".to_string(),
        evidence,
    }])
}
