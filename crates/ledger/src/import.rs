//! Importing report files: read them safely, verify them, check them against the
//! catalog, the asset's pinned agent key and the collector's clock, and store
//! each report once.
//!
//! A file is refused, and nothing of it stored, when it is not a regular file
//! (FIFO, socket, device, directory), a symbolic link loop, larger than
//! [`MAX_REPORT_BYTES`], fails [`SignedReport::verify_bytes`], names a check
//! the catalog does not know, is signed by another key than the one pinned for
//! its host (unless the person named the host with `--accept-new-key HOST`),
//! comes from a host that shares its machine id with another host, has an
//! audit time the clock checks ([`clock_problem`]) do not trust (unless the
//! person accepted that report with `--accept-clock-skew`), or reuses a stored
//! report id with other signed content. Two files with the same signed content
//! (re-indented, members reordered, a byte-order mark) are the same report.
//!
//! Every outcome says whether the file is in the store: when a batch cannot
//! be written (a full disk), the files of the batch said stored before are
//! said not stored, and every file said stored is checked in the store.
//!
//! Directories are read one level deep: every `*.json` entry directly inside,
//! in file-name order. Subdirectories are not entered, so a stray backup tree
//! or a link cycle under a USB stick's report folder is never walked; pass each
//! folder (or a shell glob) to import several.

use crate::file_kind::not_regular;
use crate::store::{InsertOutcome, NewReport, Store, StoreError};
use chrono::{DateTime, Duration, FixedOffset, NaiveTime};
use selfcheck_catalog::Catalog;
use selfcheck_report::{
    CheckId, MAX_REPORT_BYTES, ReportError, ReportId, SignedReport, VerifiedReport,
};
use std::fs::{File, FileType, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Choices the person importing makes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Hosts (by host name or machine id) whose reports may be signed by
    /// another agent key than the one pinned, which they then re-pin (after
    /// the agent was reinstalled): `--accept-new-key HOST`, once per host. A
    /// new key of any other host is still refused.
    pub accept_new_key: Vec<String>,
    /// Reports (by report id, file path as given, or file name) stored even
    /// though their audit time fails the clock checks: `--accept-clock-skew`.
    /// They count at their import time.
    pub accept_clock_skew: Vec<String>,
    /// The time the import counts at (its history entry, the clock checks);
    /// `None` is now. For replaying a past year (`selfcheck demo`) and for
    /// tests whose fixed reports must not age out of the clock checks.
    pub imported_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl ImportOptions {
    fn accepts_new_key(&self, report: &selfcheck_report::Report) -> bool {
        self.accept_new_key.iter().any(|h| {
            *h == report.host.hostname || report.host.machine_id.as_deref() == Some(h.as_str())
        })
    }

    fn accepts_clock_skew(&self, report_id: &ReportId, source_name: &str) -> bool {
        let file_name = Path::new(source_name)
            .file_name()
            .map(|n| n.to_string_lossy());
        self.accept_clock_skew.iter().any(|a| {
            a == report_id.as_str() || a == source_name || file_name.as_deref() == Some(a.as_str())
        })
    }
}

/// How far after the import time an audit may have started: agents' clocks
/// run a little ahead, and time zones are written in the report.
pub const MAX_AUDIT_AHEAD: Duration = Duration::days(1);

/// How long before its period's first day an audit may have started (an
/// audit run early for the coming month).
pub const MAX_AUDIT_BEFORE_PERIOD: Duration = Duration::days(7);

/// How long before the import an audit may have finished (a year's reports
/// brought in late, and a little more).
pub const MAX_AUDIT_AGE: Duration = Duration::days(400);

/// What is wrong with a report's audit time, judged against the import time
/// `now`: started more than [`MAX_AUDIT_AHEAD`] after it (the agent's clock
/// is ahead), more than [`MAX_AUDIT_BEFORE_PERIOD`] before the first day of
/// the report's period, or finished more than [`MAX_AUDIT_AGE`] before it
/// (the agent's clock is behind, e.g. reset to 1970 or 2006). `None` when the
/// time is plausible.
pub fn clock_problem(
    report: &selfcheck_report::Report,
    now: DateTime<FixedOffset>,
) -> Option<String> {
    let started = report.started_at;
    if started > now + MAX_AUDIT_AHEAD {
        return Some(format!(
            "the audit started at {} but this import runs at {}: the report is dated {} day(s) in the future (more than {} allowed)",
            started.to_rfc3339(),
            now.to_rfc3339(),
            (started - now).num_days(),
            MAX_AUDIT_AHEAD.num_days()
        ));
    }
    let period_start = report
        .period
        .first_day()
        .and_time(NaiveTime::MIN)
        .and_local_timezone(*started.offset())
        .single();
    if let Some(period_start) = period_start
        && started < period_start - MAX_AUDIT_BEFORE_PERIOD
    {
        return Some(format!(
            "the audit started at {}, {} day(s) before its period {} begins (more than {} allowed)",
            started.to_rfc3339(),
            (period_start - started).num_days(),
            report.period,
            MAX_AUDIT_BEFORE_PERIOD.num_days()
        ));
    }
    if report.finished_at < now - MAX_AUDIT_AGE {
        return Some(format!(
            "the audit finished at {}, {} day(s) before this import (more than {} allowed)",
            report.finished_at.to_rfc3339(),
            (now - report.finished_at).num_days(),
            MAX_AUDIT_AGE.num_days()
        ));
    }
    None
}

/// What became of one file.
#[derive(Debug)]
pub enum ImportOutcome {
    /// Verified and stored.
    Stored {
        /// The report's id.
        report_id: ReportId,
        /// How many findings it has.
        findings: usize,
        /// How many of them were never seen before and got a new ledger number.
        new_findings: usize,
        /// Its audit time failed the clock checks and was accepted
        /// (`--accept-clock-skew`): what was wrong. It counts at its import time.
        clock_skew: Option<String>,
    },
    /// This exact report file was imported before; nothing changed.
    AlreadyStored {
        /// The report's id.
        report_id: ReportId,
    },
    /// Not stored, for this reason. Nothing of the file is in the store.
    Refused {
        /// What is wrong and what to do.
        error: ImportError,
    },
}

impl ImportOutcome {
    /// Whether the file was refused.
    pub fn is_refused(&self) -> bool {
        matches!(self, ImportOutcome::Refused { .. })
    }
}

/// Why a file was refused. Each message says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Read(std::io::Error),
    /// The path is a symbolic link that leads back to itself.
    #[error(
        "symbolic link loop (too many levels of symbolic links); point the import at the real report file"
    )]
    SymlinkLoop,
    /// The path is not a regular file.
    #[error("not a regular file (it is {kind}); only report files can be imported")]
    NotRegularFile {
        /// What it is instead.
        kind: &'static str,
    },
    /// A directory that holds no report files.
    #[error(
        "the directory holds no *.json files (subdirectories are not searched); name the directory that holds the reports"
    )]
    NoReportsInDirectory,
    /// The directory could not be listed.
    #[error("cannot list the directory: {0}")]
    ListDirectory(std::io::Error),
    /// The bytes are not a valid signed report.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The report names a check this collector's catalog lacks.
    #[error(
        "unknown check id {check_id}: this collector's catalog does not know it; update the collector or pass --checks DIR"
    )]
    UnknownCheck {
        /// The unknown id.
        check_id: CheckId,
    },
    /// A different file with the same report id is already stored.
    #[error(
        "conflict: report {report_id} is already stored from a different file (stored sha256 {stored_sha256}, this file sha256 {file_sha256}); a report id is used once, so keep the stored copy and find out where this one came from"
    )]
    Conflict {
        /// The report id.
        report_id: ReportId,
        /// SHA-256 of the stored file.
        stored_sha256: String,
        /// SHA-256 of this file.
        file_sha256: String,
    },
    /// The report is signed by another key than the one pinned for its host.
    #[error(
        "agent key changed for host {host}: pinned {pinned}, report signed by {presented}; if the agent on {host} was reinstalled, re-import with --accept-new-key {host} (other hosts' keys stay pinned)"
    )]
    KeyChanged {
        /// Host name.
        host: String,
        /// The pinned key's fingerprint.
        pinned: String,
        /// The fingerprint of the key that signed this report.
        presented: String,
    },
    /// Another host with the same machine id is pinned with another key.
    #[error(
        "duplicate machine id {machine_id}: host {host} (key {presented}) has the machine id of host(s) {others} (key {pinned}), most likely a cloned machine; the collector tells hosts apart by machine id, so storing this report would let one host's reports close the other's findings. Give {host} its own machine id (on {host}: rm /etc/machine-id && systemd-machine-id-setup), then run the agent there again; --accept-new-key does not apply"
    )]
    DuplicateMachineId {
        /// The shared machine id (or asset key).
        machine_id: String,
        /// This report's host name.
        host: String,
        /// The host names of the stored reports with that machine id.
        others: String,
        /// The pinned key's fingerprint.
        pinned: String,
        /// The fingerprint of the key that signed this report.
        presented: String,
    },
    /// The audit time is not plausible (see [`clock_problem`]).
    #[error(
        "audit time not trusted: {problem}; set the clock of host {host} right (timedatectl, chrony) and audit again, or, if this report is wanted as it is, import it with --accept-clock-skew {report_id} (it then counts at its import time)"
    )]
    ClockSkew {
        /// What is wrong.
        problem: String,
        /// The report's host name.
        host: String,
        /// The report's id.
        report_id: ReportId,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The batch of files this one was imported with could not be written.
    #[error("not stored: writing its batch failed ({0}); import this file again")]
    Batch(String),
}

impl ImportError {
    /// Whether the file was refused for what it is (importing it again
    /// changes nothing), not because the store could not be written (then
    /// importing it again once the store is fixed stores it).
    pub fn is_about_the_file(&self) -> bool {
        !matches!(self, ImportError::Store(_) | ImportError::Batch(_))
    }
}

/// Reports of a directory written per transaction.
const BATCH: usize = 1000;

/// Files read and verified ahead of the store, at most.
const VERIFY_AHEAD: usize = 64;

/// Import files and directories (see the module docs for how directories are
/// read). Returns one entry per file, in order; a directory that cannot be
/// listed or holds no `*.json` file is one refused entry.
pub fn import_paths(
    store: &mut Store,
    paths: &[PathBuf],
    catalog: &Catalog,
    options: ImportOptions,
) -> Vec<(PathBuf, ImportOutcome)> {
    let mut results = Vec::new();
    for path in paths {
        match report_files(path) {
            Ok(Some(files)) => {
                for chunk in files.chunks(BATCH) {
                    let mut batch = BatchWriter::begin(store);
                    // Read and verify a few files at a time on every core
                    // (a bounded number in memory); store them in order.
                    let checked = chunk
                        .chunks(VERIFY_AHEAD)
                        .flat_map(|part| read_and_verify(part, catalog));
                    for (file, checked) in chunk.iter().zip(checked) {
                        let name = file.display().to_string();
                        match checked {
                            Ok((bytes, verified)) => {
                                batch.write(Ok((&bytes, &verified)), &name, &options)
                            }
                            Err(error) => batch.write(Err(error), &name, &options),
                        }
                    }
                    results.extend(chunk.iter().cloned().zip(batch.finish()));
                }
            }
            Ok(None) => {
                let outcome = import_file(store, path, catalog, options.clone());
                results.push((path.clone(), outcome));
            }
            Err(error) => results.push((path.clone(), ImportOutcome::Refused { error })),
        }
    }
    results
}

/// Writes verified reports in one batch transaction ([`Store::begin_batch`])
/// and accounts for each honestly: when SQLite gives up the transaction (a
/// full disk), the reports written in it so far are said not stored and the
/// rest are committed one by one (so that what still fits is stored); when
/// the commit fails, none of the batch is; and every report said stored is
/// looked up in the store before the outcome is given.
pub struct BatchWriter<'s> {
    store: &'s mut Store,
    begun: Result<(), String>,
    outcomes: Vec<ImportOutcome>,
    /// Where the current transaction's reports start in `outcomes`.
    batch_start: usize,
    /// Id and file digest of each report written, by position.
    written: Vec<Option<(ReportId, String)>>,
    /// A batch was lost: commit each report on its own from now on.
    one_by_one: bool,
}

impl<'s> BatchWriter<'s> {
    /// Start a batch on `store`.
    pub fn begin(store: &'s mut Store) -> BatchWriter<'s> {
        let begun = store.begin_batch().map_err(|e| e.to_string());
        BatchWriter {
            store,
            begun,
            outcomes: Vec::new(),
            batch_start: 0,
            written: Vec::new(),
            one_by_one: false,
        }
    }

    /// Store one report (or record why it was refused before the store).
    pub fn write(
        &mut self,
        checked: Result<(&[u8], &VerifiedReport), ImportError>,
        source_name: &str,
        options: &ImportOptions,
    ) {
        let mut written = None;
        let outcome = match (&self.begun, checked) {
            (_, Err(error)) => ImportOutcome::Refused { error },
            (Err(e), Ok(_)) => ImportOutcome::Refused {
                error: ImportError::Batch(e.clone()),
            },
            (Ok(()), Ok((bytes, verified))) => {
                written = Some((
                    verified.signed.report.report_id.clone(),
                    verified.file_sha256.clone(),
                ));
                store_verified(self.store, verified, bytes, source_name, options)
                    .unwrap_or_else(|error| ImportOutcome::Refused { error })
            }
        };
        let failed_store =
            matches!(&outcome, ImportOutcome::Refused { error } if !error.is_about_the_file());
        self.outcomes.push(outcome);
        self.written.push(written);
        if failed_store && self.store.batch_lost() {
            // SQLite rolled the transaction back: nothing since its start is
            // stored. The rest go one report per transaction, so that what
            // still fits is stored.
            let reason = "the store gave up the batch after a write failed (is the disk full?)";
            self.unstore_since_batch_start(reason);
            self.store.abandon_batch();
            self.one_by_one = true;
            self.batch_start = self.outcomes.len();
            self.begun = self.store.begin_batch().map_err(|e| e.to_string());
        } else if self.one_by_one {
            if let Err(e) = self.store.commit_batch() {
                self.unstore_since_batch_start(&e.to_string());
            }
            self.batch_start = self.outcomes.len();
            self.begun = self.store.begin_batch().map_err(|e| e.to_string());
        }
    }

    /// Commit, and give each report's outcome, in the order written.
    pub fn finish(mut self) -> Vec<ImportOutcome> {
        if let Err(e) = self.store.commit_batch() {
            self.unstore_since_batch_start(&e.to_string());
        }
        // Say stored only of what the store holds.
        for (outcome, written) in self.outcomes.iter_mut().zip(&self.written) {
            if let (ImportOutcome::Stored { .. }, Some((id, sha))) = (&outcome, written) {
                match self.store.holds_report(id, sha) {
                    Ok(true) => {}
                    Ok(false) => {
                        *outcome = ImportOutcome::Refused {
                            error: ImportError::Batch(
                                "the store does not hold it after the write".into(),
                            ),
                        }
                    }
                    Err(e) => {
                        *outcome = ImportOutcome::Refused {
                            error: ImportError::Batch(format!(
                                "cannot check that it is stored: {e}"
                            )),
                        }
                    }
                }
            }
        }
        self.outcomes
    }

    fn unstore_since_batch_start(&mut self, reason: &str) {
        for outcome in &mut self.outcomes[self.batch_start..] {
            if matches!(outcome, ImportOutcome::Stored { .. }) {
                *outcome = ImportOutcome::Refused {
                    error: ImportError::Batch(reason.to_string()),
                };
            }
        }
    }
}

/// Read and verify files in parallel (one thread per core), results in file order.
fn read_and_verify(
    files: &[PathBuf],
    catalog: &Catalog,
) -> Vec<Result<(Vec<u8>, VerifiedReport), ImportError>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    let per = files.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(per)
            .map(|part| {
                let handle = s.spawn(move || {
                    part.iter()
                        .map(|f| {
                            let bytes = read_report_file(f)?;
                            let verified = verify_report(&bytes, catalog)?;
                            Ok((bytes, verified))
                        })
                        .collect::<Vec<_>>()
                });
                (part.len(), handle)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(n, h)| {
                h.join().unwrap_or_else(|_| {
                    (0..n)
                        .map(|_| Err(ImportError::Batch("a verification thread failed".into())))
                        .collect()
                })
            })
            .collect()
    })
}

/// The `*.json` files directly inside `path` when it is a directory, sorted;
/// `None` when it is not a directory (or cannot be examined: reading it will say why).
fn report_files(path: &Path) -> Result<Option<Vec<PathBuf>>, ImportError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {}
        _ => return Ok(None),
    }
    let entries = std::fs::read_dir(path).map_err(ImportError::ListDirectory)?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(ImportError::ListDirectory)?;
        let name = entry.file_name();
        let is_json = Path::new(&name)
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("json"));
        if is_json {
            files.push(entry.path());
        }
    }
    if files.is_empty() {
        return Err(ImportError::NoReportsInDirectory);
    }
    files.sort();
    Ok(Some(files))
}

/// Import one file: read it safely, then [`import_bytes`].
pub fn import_file(
    store: &mut Store,
    path: &Path,
    catalog: &Catalog,
    options: ImportOptions,
) -> ImportOutcome {
    match read_report_file(path) {
        Ok(bytes) => import_bytes(store, &bytes, &path.display().to_string(), catalog, options),
        Err(error) => ImportOutcome::Refused { error },
    }
}

/// Import a report from bytes (a file, an upload): verify, check check ids
/// against `catalog`, check the key pin, store. `source_name` is recorded as
/// where the report came from.
pub fn import_bytes(
    store: &mut Store,
    bytes: &[u8],
    source_name: &str,
    catalog: &Catalog,
    options: ImportOptions,
) -> ImportOutcome {
    match try_import(store, bytes, source_name, catalog, &options) {
        Ok(outcome) => outcome,
        Err(error) => ImportOutcome::Refused { error },
    }
}

fn try_import(
    store: &mut Store,
    bytes: &[u8],
    source_name: &str,
    catalog: &Catalog,
    options: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let verified = verify_report(bytes, catalog)?;
    store_verified(store, &verified, bytes, source_name, options)
}

/// Verify a report and check its check ids against the catalog (no store needed,
/// so directory imports and uploads do it on every core while the store writes).
pub fn verify_report(bytes: &[u8], catalog: &Catalog) -> Result<VerifiedReport, ImportError> {
    let verified = SignedReport::verify_bytes(bytes)?;
    let report = &verified.signed.report;
    let ids = report
        .checks
        .iter()
        .map(|c| &c.check_id)
        .chain(report.findings.iter().map(|f| &f.check_id))
        .chain(report.suppressed.iter().map(|s| &s.finding.check_id));
    for id in ids {
        if catalog.get(id).is_none() {
            return Err(ImportError::UnknownCheck {
                check_id: id.clone(),
            });
        }
    }
    Ok(verified)
}

/// Store a verified report (clock checks, key pin, duplicates, conflicts);
/// inside a batch when one is open ([`Store::begin_batch`]).
pub fn store_verified(
    store: &mut Store,
    verified: &VerifiedReport,
    bytes: &[u8],
    source_name: &str,
    options: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let report = &verified.signed.report;
    let report_id = report.report_id.clone();
    let imported_at = options
        .imported_at
        .unwrap_or_else(|| chrono::Utc::now().fixed_offset());
    let clock_skew = clock_problem(report, imported_at);
    if let Some(problem) = &clock_skew
        && !options.accepts_clock_skew(&report_id, source_name)
    {
        return Err(ImportError::ClockSkew {
            problem: problem.clone(),
            host: report.host.hostname.clone(),
            report_id,
        });
    }
    let new = NewReport {
        verified,
        bytes,
        source_name,
        imported_at,
        accept_new_key: options.accepts_new_key(report),
        clock_skew: clock_skew.as_deref(),
    };
    match store.insert_report(new)? {
        InsertOutcome::Stored {
            findings,
            new_findings,
        } => Ok(ImportOutcome::Stored {
            report_id,
            findings,
            new_findings,
            clock_skew,
        }),
        InsertOutcome::AlreadyStored => Ok(ImportOutcome::AlreadyStored { report_id }),
        InsertOutcome::Conflict { stored_sha256 } => Err(ImportError::Conflict {
            report_id,
            stored_sha256,
            file_sha256: verified.file_sha256.clone(),
        }),
        InsertOutcome::KeyChanged { pinned } => Err(ImportError::KeyChanged {
            host: report.host.hostname.clone(),
            pinned,
            presented: verified.signed.signature.key_fingerprint.clone(),
        }),
        InsertOutcome::SharedMachineId { pinned, hostnames } => {
            Err(ImportError::DuplicateMachineId {
                machine_id: report
                    .host
                    .machine_id
                    .clone()
                    .unwrap_or_else(|| report.host.asset_key()),
                host: report.host.hostname.clone(),
                others: hostnames.join(", "),
                pinned,
                presented: verified.signed.signature.key_fingerprint.clone(),
            })
        }
    }
}

/// Read a report file without ever blocking on a FIFO or reading more than
/// [`MAX_REPORT_BYTES`] + 1 bytes: the type and size are checked before
/// opening, the file is opened non-blocking, and checked again once open (in
/// case it was swapped in between).
pub fn read_report_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    let meta = std::fs::metadata(path).map_err(open_error)?;
    check_regular(meta.file_type())?;
    check_size(meta.len())?;
    let file: File = OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(open_error)?;
    let meta = file.metadata().map_err(ImportError::Read)?;
    check_regular(meta.file_type())?;
    check_size(meta.len())?;
    let limit = MAX_REPORT_BYTES as u64 + 1;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(ImportError::Read)?;
    check_size(bytes.len() as u64)?;
    Ok(bytes)
}

fn open_error(e: std::io::Error) -> ImportError {
    if e.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) {
        ImportError::SymlinkLoop
    } else {
        ImportError::Read(e)
    }
}

fn check_regular(t: FileType) -> Result<(), ImportError> {
    match not_regular(t) {
        None => Ok(()),
        Some(kind) => Err(ImportError::NotRegularFile { kind }),
    }
}

fn check_size(len: u64) -> Result<(), ImportError> {
    if len > MAX_REPORT_BYTES as u64 {
        return Err(ImportError::Report(ReportError::TooLarge {
            size: usize::try_from(len).unwrap_or(usize::MAX),
            max: MAX_REPORT_BYTES,
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_file_is_refused_from_its_size_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("big.json");
        let f = File::create(&path).unwrap();
        // A sparse file: no data is written, and none should be read.
        f.set_len(MAX_REPORT_BYTES as u64 + 10).unwrap();
        let err = read_report_file(&path).unwrap_err();
        assert!(
            matches!(err, ImportError::Report(ReportError::TooLarge { .. })),
            "{err}"
        );
    }

    #[test]
    fn clock_checks_take_their_documented_thresholds() {
        use chrono::DateTime;
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        let report = |period: &str, started: &str| {
            let started = t(started);
            selfcheck_report::Report {
                schema_version: selfcheck_report::SCHEMA_VERSION,
                report_id: ReportId::from_random_bytes([1; 16]),
                agent: selfcheck_report::AgentInfo {
                    name: "selfcheck-agent".into(),
                    version: "0".into(),
                },
                host: selfcheck_report::HostIdentity {
                    hostname: "h".into(),
                    machine_id: None,
                    os: Default::default(),
                    kernel: None,
                    arch: None,
                    ip_addresses: vec![],
                },
                audit_root: "/".into(),
                period: period.parse().unwrap(),
                started_at: started,
                finished_at: started + Duration::seconds(2),
                checks: vec![],
                findings: vec![],
                suppressed: vec![],
                inventory: Default::default(),
                baseline_level: None,
                audit_limits: Vec::new(),
            }
        };
        let now = t("2026-12-07T12:00:00+08:00");
        let ok = |p, s| assert_eq!(clock_problem(&report(p, s), now), None, "{p} {s}");
        let bad = |p, s, what: &str| {
            let problem = clock_problem(&report(p, s), now).unwrap_or_default();
            assert!(problem.contains(what), "{p} {s}: {problem:?}");
        };
        ok("2026-12", "2026-12-08T12:00:00+08:00");
        bad("2026-12", "2026-12-08T12:00:01+08:00", "in the future");
        ok("2026-12", "2026-11-24T00:00:00+08:00");
        bad(
            "2026-12",
            "2026-11-23T23:59:59+08:00",
            "before its period 2026-12 begins",
        );
        ok("2025-11", "2025-11-02T11:59:58+08:00");
        bad("2025-11", "2025-11-02T11:59:57+08:00", "400 allowed");
        bad(
            "1970-01",
            "1970-01-01T08:00:00+08:00",
            "day(s) before this import",
        );
    }

    #[test]
    fn directory_listing_takes_only_json_files_sorted() {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["b.json", "a.JSON", "notes.txt", "c.json.bak"] {
            std::fs::write(tmp.path().join(name), b"{}").unwrap();
        }
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        std::fs::write(tmp.path().join("sub/d.json"), b"{}").unwrap();
        let files = report_files(tmp.path()).unwrap().unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.JSON", "b.json"]);
    }
}
