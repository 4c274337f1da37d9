//! The offline spool: reports waiting for the collector, reports it refused,
//! and the lock that keeps deliveries one at a time.
//!
//! Layout inside the agent's state directory:
//!
//! ```text
//! spool/outbox/<UTC finish time>-<report id>.json   a copy of the signed report file, waiting
//! spool/refused/<same name>.json                     refused by the collector, kept for a person
//! spool/refused/<same name>.reason                   status: / message: / collector: / refused_at: lines
//! spool/lock                                         flock(2) held while delivering; holds the pid
//! ```
//!
//! File names sort by the time the audit finished (UTC, microseconds), so
//! delivering in name order is oldest first. Files enter the outbox through a
//! hidden temporary file, fsync and rename, so a crash never leaves half a
//! report there; a left-over temporary file is ignored and reported. A file
//! leaves the outbox only when the collector confirmed it (removed) or
//! refused it (moved to `refused/`).

use crate::state::StateDir;
use selfcheck_report::{Report, ReportError, ReportId, SignedReport, keyfile};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A spool operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A file or directory operation failed.
    #[error("{action} {path}: {error}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// A file given to be sent is not a signed report.
    #[error("{path} is not a report this agent can send: {error}")]
    NotAReport {
        /// The file.
        path: PathBuf,
        /// Why verification failed.
        error: ReportError,
    },
    /// Another agent invocation holds the spool lock.
    #[error(
        "another selfcheck-agent{holder} is delivering the spool (lock {lock}); the reports stay in the outbox and go with that delivery or the next run"
    )]
    Busy {
        /// The lock file.
        lock: PathBuf,
        /// " (pid N)" when the lock file names its holder, else empty.
        holder: String,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError {
    let path = path.to_path_buf();
    move |error| SpoolError::Io {
        action,
        path,
        error,
    }
}

/// One report file in the outbox or in `refused/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Full path of the file.
    pub path: PathBuf,
    /// The file name, `<time>-<report id>.json`.
    pub name: String,
    /// The report id from the name.
    pub report_id: ReportId,
}

/// A file in a spool directory that is not a spool entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ignored {
    /// The file.
    pub path: PathBuf,
    /// Why it is not delivered.
    pub why: &'static str,
}

/// The entries of one spool directory, oldest first, and what was skipped.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Report files, in name (= age) order.
    pub entries: Vec<Entry>,
    /// Other files: left-over temporary files and strangers.
    pub ignored: Vec<Ignored>,
}

/// What [`Spool::add`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The report is now in the outbox.
    Queued(Entry),
    /// A report with this id was already waiting; nothing changed.
    AlreadyQueued(Entry),
}

impl Added {
    /// The outbox entry either way.
    pub fn entry(&self) -> &Entry {
        match self {
            Added::Queued(e) | Added::AlreadyQueued(e) => e,
        }
    }
}

/// A report file `submit FILE` added to the spool.
#[derive(Debug, Clone)]
pub struct AddedFile {
    /// The file as given.
    pub file: PathBuf,
    /// What the spool did with it.
    pub added: Added,
}

/// Whether a spooled report waits or was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpoolState {
    /// In the outbox, to be sent.
    Waiting,
    /// In `refused/`, with a `.reason` file.
    Refused,
}

impl SpoolState {
    /// The word the listing uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SpoolState::Waiting => "waiting",
            SpoolState::Refused => "refused",
        }
    }
}

/// One report in the spool, with a few fields read from its file.
#[derive(Debug, Clone)]
pub struct SpooledReport {
    /// Waiting or refused.
    pub state: SpoolState,
    /// The spool file.
    pub file: PathBuf,
    /// The report id from the file name.
    pub report_id: ReportId,
    /// The host name in the report (`?` when unreadable).
    pub host: String,
    /// The inspection month in the report (`?` when unreadable).
    pub period: String,
    /// When the audit finished (`?` when unreadable).
    pub finished_at: String,
    /// For a refused report: the status and the collector's message.
    pub note: String,
}

/// What the spool holds.
#[derive(Debug, Clone)]
pub struct SpoolListing {
    /// The outbox directory.
    pub outbox_dir: PathBuf,
    /// The directory of refused reports.
    pub refused_dir: PathBuf,
    /// Waiting reports, oldest first, then refused ones.
    pub reports: Vec<SpooledReport>,
    /// Files in either directory that are not spool entries.
    pub ignored: Vec<Ignored>,
    /// How many wait in the outbox.
    pub waiting: usize,
    /// How many were refused.
    pub refused: usize,
}

/// A few fields of a spooled report for the list (without verifying it again).
fn summary_of(path: &Path) -> (String, String, String) {
    let value = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let field = |p: &str| {
        value
            .as_ref()
            .and_then(|v| v.pointer(p))
            .and_then(|s| s.as_str())
            .unwrap_or("?")
            .to_string()
    };
    (
        field("/report/host/hostname"),
        field("/report/period"),
        field("/report/finished_at"),
    )
}

/// Why the collector refused a report, as kept in its `.reason` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status, or `None` when the agent's own check refused the file before sending.
    pub status: Option<u16>,
    /// The collector's message (or the local check's).
    pub message: String,
    /// The collector URL.
    pub collector: String,
    /// When (RFC 3339).
    pub refused_at: String,
}

impl Refusal {
    /// The `.reason` file text: one `key: value` line each.
    pub fn to_text(&self) -> String {
        let status = match self.status {
            Some(s) => s.to_string(),
            None => "not sent (the file failed this agent's own check)".to_string(),
        };
        let one_line = |s: &str| s.replace(['\r', '\n'], " ");
        format!(
            "status: {status}\nmessage: {}\ncollector: {}\nrefused_at: {}\n",
            one_line(&self.message),
            one_line(&self.collector),
            one_line(&self.refused_at)
        )
    }

    /// Read back [`Refusal::to_text`]; missing lines stay empty.
    pub fn parse(text: &str) -> Refusal {
        let mut r = Refusal {
            status: None,
            message: String::new(),
            collector: String::new(),
            refused_at: String::new(),
        };
        for line in text.lines() {
            let Some((key, value)) = line.split_once(": ") else {
                continue;
            };
            match key {
                "status" => r.status = value.parse().ok(),
                "message" => r.message = value.to_string(),
                "collector" => r.collector = value.to_string(),
                "refused_at" => r.refused_at = value.to_string(),
                _ => {}
            }
        }
        r
    }
}

/// The spool below a state directory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
    outbox: PathBuf,
    refused: PathBuf,
}

/// While this lives, no other agent invocation delivers from the spool.
#[derive(Debug)]
pub struct SpoolLock {
    _file: File,
}

impl Spool {
    /// Open `STATE/spool`, creating `outbox/` and `refused/` (mode 0700) when missing.
    pub fn open(state: &StateDir) -> Result<Spool, SpoolError> {
        let dir = state.path().join("spool");
        let spool = Spool {
            outbox: dir.join("outbox"),
            refused: dir.join("refused"),
            dir,
        };
        for d in [&spool.outbox, &spool.refused] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(d)
                .map_err(io("cannot create spool directory", d))?;
        }
        Ok(spool)
    }

    /// `spool/outbox`.
    pub fn outbox_dir(&self) -> &Path {
        &self.outbox
    }

    /// `spool/refused`.
    pub fn refused_dir(&self) -> &Path {
        &self.refused
    }

    /// The outbox file name of a report: its UTC finish time, then its id.
    pub fn entry_name(report: &Report) -> String {
        let t = report.finished_at.with_timezone(&chrono::Utc);
        format!(
            "{}-{}.json",
            t.format("%Y%m%dT%H%M%S%.6fZ"),
            report.report_id
        )
    }

    /// Verify `bytes` as a signed report (`path` names it in errors), then add them.
    pub fn add(&self, bytes: &[u8], path: &Path) -> Result<Added, SpoolError> {
        let verified =
            SignedReport::verify_bytes(bytes).map_err(|error| SpoolError::NotAReport {
                path: path.to_path_buf(),
                error,
            })?;
        self.add_verified(bytes, &verified.signed.report)
    }

    /// Add the file bytes of a report already verified; a report whose id is
    /// already in the outbox is left alone.
    pub fn add_verified(&self, bytes: &[u8], report: &Report) -> Result<Added, SpoolError> {
        if let Some(e) = self
            .outbox()?
            .entries
            .into_iter()
            .find(|e| e.report_id == report.report_id)
        {
            return Ok(Added::AlreadyQueued(e));
        }
        let name = Spool::entry_name(report);
        let path = self.outbox.join(&name);
        keyfile::write_atomically(&path, bytes, 0o600).map_err(|(step, e)| match step {
            keyfile::WriteStep::Create(tmp) => io("cannot create", &tmp)(e),
            keyfile::WriteStep::Write => io("cannot write", &path)(e),
        })?;
        Ok(Added::Queued(Entry {
            path,
            name,
            report_id: report.report_id.clone(),
        }))
    }

    /// The reports waiting, oldest first.
    pub fn outbox(&self) -> Result<Listing, SpoolError> {
        list(&self.outbox, ".json")
    }

    /// The reports the collector refused, oldest first (their `.reason` files are not entries).
    pub fn refused(&self) -> Result<Listing, SpoolError> {
        let mut listing = list(&self.refused, ".json")?;
        listing
            .ignored
            .retain(|i| i.path.extension().is_none_or(|e| e != "reason"));
        Ok(listing)
    }

    /// The refusal kept next to a refused entry, when readable.
    pub fn refusal_of(&self, entry: &Entry) -> Option<Refusal> {
        fs::read_to_string(entry.path.with_extension("reason"))
            .ok()
            .map(|t| Refusal::parse(&t))
    }

    /// Everything the spool holds: the waiting reports, oldest first, then
    /// the refused ones with their reasons, and the files that are neither.
    pub fn listing(&self) -> Result<SpoolListing, SpoolError> {
        let outbox = self.outbox()?;
        let refused = self.refused()?;
        let row = |state: SpoolState, e: &Entry, note: String| {
            let (host, period, finished_at) = summary_of(&e.path);
            SpooledReport {
                state,
                file: e.path.clone(),
                report_id: e.report_id.clone(),
                host,
                period,
                finished_at,
                note,
            }
        };
        let mut reports: Vec<SpooledReport> = outbox
            .entries
            .iter()
            .map(|e| row(SpoolState::Waiting, e, String::new()))
            .collect();
        for e in &refused.entries {
            let note = match self.refusal_of(e) {
                Some(r) => format!(
                    "{}: {}",
                    r.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "not sent".into()),
                    r.message
                ),
                None => "no .reason file".to_string(),
            };
            reports.push(row(SpoolState::Refused, e, note));
        }
        Ok(SpoolListing {
            outbox_dir: self.outbox_dir().to_path_buf(),
            refused_dir: self.refused_dir().to_path_buf(),
            reports,
            ignored: outbox
                .ignored
                .iter()
                .chain(&refused.ignored)
                .cloned()
                .collect(),
            waiting: outbox.entries.len(),
            refused: refused.entries.len(),
        })
    }

    /// The collector confirmed `entry`: remove it from the outbox.
    pub fn confirm(&self, entry: &Entry) -> Result<(), SpoolError> {
        match fs::remove_file(&entry.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io("cannot remove delivered report", &entry.path)(e))
            }
            _ => Ok(()),
        }
    }

    /// Move `entry` into `refused/` with a `.reason` file beside it; returns the new path.
    /// A name already taken in `refused/` gets a `-2`, `-3`, ... suffix: nothing is overwritten.
    pub fn refuse(&self, entry: &Entry, refusal: &Refusal) -> Result<PathBuf, SpoolError> {
        let stem = entry.name.trim_end_matches(".json");
        let mut n = 1;
        let target = loop {
            let name = match n {
                1 => format!("{stem}.json"),
                _ => format!("{stem}-{n}.json"),
            };
            let candidate = self.refused.join(name);
            let reason = candidate.with_extension("reason");
            if !candidate.exists() && !reason.exists() {
                break candidate;
            }
            n += 1;
        };
        let reason = target.with_extension("reason");
        keyfile::write_atomically(&reason, refusal.to_text().as_bytes(), 0o600).map_err(
            |(step, e)| match step {
                keyfile::WriteStep::Create(tmp) => io("cannot create", &tmp)(e),
                keyfile::WriteStep::Write => io("cannot write", &reason)(e),
            },
        )?;
        fs::rename(&entry.path, &target).map_err(io("cannot move refused report", &entry.path))?;
        Ok(target)
    }

    /// Take the spool lock, waiting up to `wait` for another invocation to finish.
    pub fn lock(&self, wait: Duration) -> Result<SpoolLock, SpoolError> {
        let path = self.dir.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io("cannot open spool lock", &path))?;
        let deadline = Instant::now() + wait;
        loop {
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => break,
                Err(rustix::io::Errno::WOULDBLOCK) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    let holder = match text.trim().parse::<u32>() {
                        Ok(pid) => format!(" (pid {pid})"),
                        Err(_) => String::new(),
                    };
                    return Err(SpoolError::Busy { lock: path, holder });
                }
                Err(e) => return Err(io("cannot lock", &path)(e.into())),
            }
        }
        // Name the holder for whoever waits next; the lock is what counts, not the text.
        let _ = file
            .set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| writeln!(file, "{}", std::process::id()));
        Ok(SpoolLock { _file: file })
    }
}

/// A report id from a spool file name `<time>-<id><suffix>`.
fn parse_name(name: &str, suffix: &str) -> Option<ReportId> {
    let stem = name.strip_suffix(suffix)?;
    let (time, id) = stem.split_once('-')?;
    // A refused name may carry a "-N" suffix after the id.
    let id = id.split('-').next()?;
    let time_ok = !time.is_empty()
        && time
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'T' | b'Z' | b'.'));
    if !time_ok {
        return None;
    }
    id.parse().ok()
}

fn list(dir: &Path, suffix: &str) -> Result<Listing, SpoolError> {
    let mut listing = Listing::default();
    let read = fs::read_dir(dir).map_err(io("cannot list", dir))?;
    for item in read {
        let item = item.map_err(io("cannot list", dir))?;
        let path = item.path();
        let name = item.file_name().to_string_lossy().into_owned();
        let is_file = item.file_type().map(|t| t.is_file()).unwrap_or(false);
        if name.starts_with('.') && name.contains(".tmp-") {
            listing.ignored.push(Ignored {
                path,
                why: "left-over temporary file of an interrupted write (not a report; safe to delete when no agent runs)",
            });
            continue;
        }
        match parse_name(&name, suffix) {
            Some(report_id) if is_file => listing.entries.push(Entry {
                path,
                name,
                report_id,
            }),
            _ => listing.ignored.push(Ignored {
                path,
                why: "not a spool entry (<time>-<report id>.json)",
            }),
        }
    }
    listing.entries.sort_by(|a, b| a.name.cmp(&b.name));
    listing.ignored.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_strangers_are_ignored() {
        let id = "0123456789abcdef0123456789abcdef";
        assert!(parse_name(&format!("20261125T020000.000001Z-{id}.json"), ".json").is_some());
        assert!(parse_name(&format!("20261125T020000.000001Z-{id}-2.json"), ".json").is_some());
        assert!(parse_name(&format!("x-{id}.json"), ".json").is_none());
        assert!(parse_name("20261125T020000Z-short.json", ".json").is_none());
    }

    #[test]
    fn refusal_text_round_trips() {
        let r = Refusal {
            status: Some(409),
            message: "another file\nwith this id".into(),
            collector: "https://c:8443".into(),
            refused_at: "2026-11-25T10:00:00+08:00".into(),
        };
        let back = Refusal::parse(&r.to_text());
        assert_eq!(back.status, Some(409));
        assert_eq!(back.message, "another file with this id");
        assert_eq!(back.collector, r.collector);
    }

    #[test]
    fn a_second_lock_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(&StateDir::open(dir.path()).unwrap()).unwrap();
        let held = spool.lock(Duration::ZERO).unwrap();
        let err = spool.lock(Duration::from_millis(150)).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(held);
        spool.lock(Duration::ZERO).unwrap();
    }
}
