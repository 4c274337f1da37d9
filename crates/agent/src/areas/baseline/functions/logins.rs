//! `baseline.unused-accounts`: accounts that can log in but have not for
//! `params.max_days` days (GB/T 22239-2019 8.1.4.2 c): remove or disable
//! surplus accounts).
//!
//! An account counts when its shell is a login shell and it has a usable
//! credential: a shadow password field that is not locked (`!`, `*`) or a
//! non-empty `~/.ssh/authorized_keys`, and the account is not expired. Its
//! last login is the newest of:
//! - `/var/log/lastlog`: `struct lastlog` per UID at offset `uid × 292`
//!   (x86_64, aarch64: `int32 ll_time; char ll_line[32]; char ll_host[256]`),
//!   a time of 0 meaning never;
//! - `/var/log/wtmp` and `/var/log/wtmp.1`: 384-byte `struct utmp` records,
//!   `USER_PROCESS` (7) ones, user name at offset 44, `tv_sec` at 340 (the
//!   last 256 MiB of a larger file);
//! - Debian 13's SQLite successors, read with the agent's own SQLite reader:
//!   lastlog2 (`/var/lib/lastlog/lastlog2.db`, table `Lastlog2(Name, Time, ...)`)
//!   and wtmpdb (`/var/lib/wtmpdb/wtmp.db`, table `wtmp(ID, Type, User, Login µs, ...)`).
//!
//! An account never seen in any of them is unused when its shadow
//! last-change date (field 3) is older than `max_days`; without that date its
//! age is unknown and it is left alone. When none of the record files exists
//! the check could not run. Records are little-endian 32-bit times, the
//! layout of every 64-bit Linux the agent supports.

use super::super::accounts::{Account, is_login_shell, read_passwd};
use super::super::read::{open_regular, read_text};
use super::super::{Problem, RuleResult};
use super::{param_strings, param_u64};
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_hostfs::sqlite::{SqliteFile, Value};
use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;

/// Size of one `struct lastlog` record.
pub const LASTLOG_RECORD: u64 = 292;
/// Size of one `struct utmp` record.
pub const UTMP_RECORD: usize = 384;
/// `ut_type` of a user login.
const USER_PROCESS: i16 = 7;
/// The most of a wtmp file read (the newest records are at its end).
const MAX_WTMP_BYTES: u64 = 256 * 1024 * 1024;

const LASTLOG: &str = "/var/log/lastlog";
const WTMP: &[&str] = &["/var/log/wtmp", "/var/log/wtmp.1"];
const LASTLOG2: &str = "/var/lib/lastlog/lastlog2.db";
const WTMPDB: &str = "/var/lib/wtmpdb/wtmp.db";

/// A last login: when (Unix seconds) and which file says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// Seconds since the epoch.
    pub time: i64,
    /// The record file.
    pub source: &'static str,
}

/// The check.
pub(crate) fn unused_accounts(
    root: &HostRoot,
    def: &CheckDef,
    now: DateTime<FixedOffset>,
) -> RuleResult {
    let max_days = param_u64(def, "max_days", 90)?;
    let allow = param_strings(def, "allow", &["root"])?;
    let accounts = read_passwd(root)?;
    let shadow = read_shadow(root)?;
    let mut sources = Vec::new();
    let mut by_uid: BTreeMap<u32, Login> = BTreeMap::new();
    let mut by_name: BTreeMap<String, Login> = BTreeMap::new();
    let candidates: Vec<(&Account, &ShadowEntry)> = accounts
        .iter()
        .filter(|a| !allow.contains(&a.name) && is_login_shell(&a.shell))
        .filter_map(|a| Some((a, shadow.get(&a.name)?)))
        .filter(|(a, s)| {
            !s.expired(now) && (s.password_usable() || has_authorized_keys(root, &a.home))
        })
        .collect();
    if let Some((file, meta)) = open_regular(root, LASTLOG)? {
        sources.push(LASTLOG);
        for (a, _) in &candidates {
            if let Some(t) = lastlog_time(&file, meta.len(), a.uid) {
                by_uid.insert(
                    a.uid,
                    Login {
                        time: t,
                        source: LASTLOG,
                    },
                );
            }
        }
    }
    for path in WTMP {
        if let Some(logins) = read_wtmp(root, path)? {
            sources.push(*path);
            for (user, t) in logins {
                newer(
                    &mut by_name,
                    user,
                    Login {
                        time: t,
                        source: path,
                    },
                );
            }
        }
    }
    for (path, table, read) in [
        (LASTLOG2, "Lastlog2", lastlog2_row as RowFn),
        (WTMPDB, "wtmp", wtmpdb_row as RowFn),
    ] {
        if let Some(rows) = read_sqlite(root, path, table, read)? {
            sources.push(path);
            for (user, t) in rows {
                newer(
                    &mut by_name,
                    user,
                    Login {
                        time: t,
                        source: path,
                    },
                );
            }
        }
    }
    if sources.is_empty() {
        return Err(format!(
            "no login records: none of {LASTLOG}, {}, {LASTLOG2}, {WTMPDB} exists on the audited root",
            WTMP.join(", ")
        ));
    }
    let limit = max_days as i64 * 86_400;
    let now_s = now.timestamp();
    let mut problems = Vec::new();
    for (a, s) in candidates {
        let by_uid = by_uid.get(&a.uid).cloned();
        let last = [by_uid, by_name.get(&a.name).cloned()]
            .into_iter()
            .flatten()
            .max_by_key(|l| l.time);
        let evidence = match last {
            Some(l) if now_s - l.time > limit => format!(
                "{}: last login {} ({} days ago, more than {max_days}) per {}",
                a.name,
                date(l.time),
                (now_s - l.time) / 86_400,
                l.source
            ),
            Some(_) => continue,
            None => match s.last_change_days {
                Some(d) if now_s - d * 86_400 > limit => format!(
                    "{}: never logged in (no record in {}); password last set {} ({} days ago, more than {max_days})",
                    a.name,
                    sources.join(", "),
                    date(d * 86_400),
                    (now_s - d * 86_400) / 86_400
                ),
                _ => continue,
            },
        };
        problems.push(Problem {
            subject: format!("/etc/passwd:{}", a.name),
            evidence: vec![evidence],
        });
    }
    Ok(problems)
}

fn newer(map: &mut BTreeMap<String, Login>, user: String, login: Login) {
    match map.get(&user) {
        Some(l) if l.time >= login.time => {}
        _ => {
            map.insert(user, login);
        }
    }
}

fn date(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("@{t}"))
}

/// A shadow entry's fields the check needs.
struct ShadowEntry {
    password: String,
    last_change_days: Option<i64>,
    expire_days: Option<i64>,
}

impl ShadowEntry {
    fn password_usable(&self) -> bool {
        !self.password.starts_with(['!', '*'])
    }

    fn expired(&self, now: DateTime<FixedOffset>) -> bool {
        self.expire_days
            .is_some_and(|d| d * 86_400 <= now.timestamp())
    }
}

fn read_shadow(root: &HostRoot) -> Result<BTreeMap<String, ShadowEntry>, String> {
    let text = read_text(root, "/etc/shadow")?.ok_or_else(|| {
        "/etc/shadow does not exist on the audited root; cannot tell which accounts can log in"
            .to_string()
    })?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 8 || f[0].is_empty() || f[0].starts_with(['+', '-']) {
                return None;
            }
            // Days since 1970; beyond 10,000,000 (year 29349) a value is
            // garbage, and taken as unset so no arithmetic can overflow.
            let days = |s: &str| {
                s.parse::<i64>()
                    .ok()
                    .filter(|d| (1..=10_000_000).contains(d))
            };
            Some((
                f[0].to_string(),
                ShadowEntry {
                    password: f[1].to_string(),
                    last_change_days: days(f[2]),
                    expire_days: days(f[7]),
                },
            ))
        })
        .collect())
}

fn has_authorized_keys(root: &HostRoot, home: &str) -> bool {
    if !home.starts_with('/') {
        return false;
    }
    ["authorized_keys", "authorized_keys2"].iter().any(|f| {
        let path = format!("{}/.ssh/{f}", home.trim_end_matches('/'));
        matches!(read_text(root, &path), Ok(Some(t)) if t.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        }))
    })
}

/// The login time of `uid` in an open lastlog file of `len` bytes; `None`
/// when the record is beyond the end, cut off, or says never (0).
pub fn lastlog_time(file: &std::fs::File, len: u64, uid: u32) -> Option<i64> {
    let at = u64::from(uid) * LASTLOG_RECORD;
    if at + LASTLOG_RECORD > len {
        return None;
    }
    let mut t = [0u8; 4];
    file.read_exact_at(&mut t, at).ok()?;
    let t = i64::from(i32::from_le_bytes(t));
    (t > 0).then_some(t)
}

/// The user logins of wtmp bytes (`USER_PROCESS` records): user and time.
/// A cut-off last record is ignored.
pub fn wtmp_logins(bytes: &[u8]) -> Vec<(String, i64)> {
    bytes
        .chunks_exact(UTMP_RECORD)
        .filter_map(|r| {
            let kind = i16::from_le_bytes([r[0], r[1]]);
            if kind != USER_PROCESS {
                return None;
            }
            let user = &r[44..76];
            let user = &user[..user.iter().position(|b| *b == 0).unwrap_or(user.len())];
            if user.is_empty() {
                return None;
            }
            let t = i64::from(i32::from_le_bytes([r[340], r[341], r[342], r[343]]));
            (t > 0).then(|| (String::from_utf8_lossy(user).into_owned(), t))
        })
        .collect()
}

/// The user logins of the last [`MAX_WTMP_BYTES`] of a wtmp file (records
/// counted from its start), read in 1 MiB-sized chunks of whole records.
fn read_wtmp(root: &HostRoot, path: &str) -> Result<Option<Vec<(String, i64)>>, String> {
    let Some((file, meta)) = open_regular(root, path)? else {
        return Ok(None);
    };
    let record = UTMP_RECORD as u64;
    let whole = meta.len() / record * record;
    let mut at = whole.saturating_sub(MAX_WTMP_BYTES / record * record);
    let mut chunk = vec![0u8; UTMP_RECORD * 2731];
    let mut out = Vec::new();
    while at < whole {
        let n = (chunk.len() as u64).min(whole - at) as usize;
        file.read_exact_at(&mut chunk[..n], at)
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        out.extend(wtmp_logins(&chunk[..n]));
        at += n as u64;
    }
    Ok(Some(out))
}

type RowFn = fn(&SqliteFile, &[Value]) -> Option<(String, i64)>;

/// lastlog2: `Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY, RemoteHost, Service)`.
fn lastlog2_row(db: &SqliteFile, cols: &[Value]) -> Option<(String, i64)> {
    match (cols.first()?, cols.get(1)?) {
        (Value::Text(n), Value::Integer(t)) if *t > 0 => Some((db.text(n), *t)),
        _ => None,
    }
}

/// wtmpdb: `wtmp(ID, Type, User, Login (µs), Logout, TTY, RemoteHost, Service)`;
/// type 3 is a user login.
fn wtmpdb_row(db: &SqliteFile, cols: &[Value]) -> Option<(String, i64)> {
    match (cols.get(1)?, cols.get(2)?, cols.get(3)?) {
        (Value::Integer(3), Value::Text(u), Value::Integer(t)) if *t > 0 => {
            Some((db.text(u), t / 1_000_000))
        }
        _ => None,
    }
}

/// The rows of `table` in the SQLite file at `path`, mapped by `row`.
fn read_sqlite(
    root: &HostRoot,
    path: &str,
    table: &str,
    row: RowFn,
) -> Result<Option<Vec<(String, i64)>>, String> {
    // Checked first: SqliteFile::open would block on a FIFO.
    if open_regular(root, path)?.is_none() {
        return Ok(None);
    }
    let fail = |e: String| format!("cannot read {path}: {e}");
    let db = SqliteFile::open(&root.resolve(path).map_err(|e| fail(e.to_string()))?)
        .map_err(|e| fail(e.to_string()))?;
    let Some(page) = db.table_root(table).map_err(|e| fail(e.to_string()))? else {
        return Ok(Some(Vec::new()));
    };
    let mut out = Vec::new();
    db.for_each_row(page, |_, cols| {
        out.extend(row(&db, &cols));
        Ok(())
    })
    .map_err(|e| fail(e.to_string()))?;
    Ok(Some(out))
}
