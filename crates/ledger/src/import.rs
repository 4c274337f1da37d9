//! Importing report files: read them safely, verify them, check them against the
//! catalog and the asset's pinned agent key, and store each report once.
//!
//! A file is refused, and nothing of it stored, when it is not a regular file
//! (FIFO, socket, device, directory), a symbolic link loop, larger than
//! [`MAX_REPORT_BYTES`], fails [`SignedReport::verify_bytes`], names a check
//! the catalog does not know, is signed by another key than the one pinned for
//! its host, or reuses a stored report id with different bytes.
//!
//! Directories are read one level deep: every `*.json` entry directly inside,
//! in file-name order. Subdirectories are not entered, so a stray backup tree
//! or a link cycle under a USB stick's report folder is never walked; pass each
//! folder (or a shell glob) to import several.

use crate::file_kind::not_regular;
use crate::store::{InsertOutcome, NewReport, Store, StoreError};
use selfcheck_catalog::Catalog;
use selfcheck_report::{
    CheckId, MAX_REPORT_BYTES, ReportError, ReportId, SignedReport, VerifiedReport,
};
use std::fs::{File, FileType, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Choices the person importing makes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Accept a report signed by another agent key than the one pinned for its
    /// host, and pin the new key (after the agent was reinstalled).
    pub accept_new_key: bool,
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
        "agent key changed for host {host}: pinned {pinned}, report signed by {presented}; if the agent was reinstalled, re-import with --accept-new-key"
    )]
    KeyChanged {
        /// Host name.
        host: String,
        /// The pinned key's fingerprint.
        pinned: String,
        /// The fingerprint of the key that signed this report.
        presented: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The batch of files this one was imported with could not be written.
    #[error("not stored: writing its batch failed ({0}); import the files again")]
    Batch(String),
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
                    let batch = store.begin_batch();
                    let first = results.len();
                    // Read and verify a few files at a time on every core
                    // (a bounded number in memory); store them in order.
                    let checked = chunk
                        .chunks(VERIFY_AHEAD)
                        .flat_map(|part| read_and_verify(part, catalog));
                    for (file, checked) in chunk.iter().zip(checked) {
                        let outcome = match (&batch, checked) {
                            (Err(e), _) => ImportOutcome::Refused {
                                error: ImportError::Batch(e.to_string()),
                            },
                            (Ok(()), Err(error)) => ImportOutcome::Refused { error },
                            (Ok(()), Ok((bytes, verified))) => {
                                let name = file.display().to_string();
                                store_verified(store, &verified, &bytes, &name, options)
                                    .unwrap_or_else(|error| ImportOutcome::Refused { error })
                            }
                        };
                        results.push((file.clone(), outcome));
                    }
                    if let Err(e) = store.commit_batch() {
                        // Nothing of the batch was kept: say so for each file.
                        for (_, outcome) in &mut results[first..] {
                            if matches!(outcome, ImportOutcome::Stored { .. }) {
                                *outcome = ImportOutcome::Refused {
                                    error: ImportError::Batch(e.to_string()),
                                };
                            }
                        }
                    }
                }
            }
            Ok(None) => {
                let outcome = import_file(store, path, catalog, options);
                results.push((path.clone(), outcome));
            }
            Err(error) => results.push((path.clone(), ImportOutcome::Refused { error })),
        }
    }
    results
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
    match try_import(store, bytes, source_name, catalog, options) {
        Ok(outcome) => outcome,
        Err(error) => ImportOutcome::Refused { error },
    }
}

fn try_import(
    store: &mut Store,
    bytes: &[u8],
    source_name: &str,
    catalog: &Catalog,
    options: ImportOptions,
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

/// Store a verified report (key pin, duplicates, conflicts); inside a batch
/// when one is open ([`Store::begin_batch`]).
pub fn store_verified(
    store: &mut Store,
    verified: &VerifiedReport,
    bytes: &[u8],
    source_name: &str,
    options: ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let report = &verified.signed.report;
    let new = NewReport {
        verified,
        bytes,
        source_name,
        imported_at: chrono::Utc::now().fixed_offset(),
    };
    let report_id = report.report_id.clone();
    match store.insert_report(new, options.accept_new_key)? {
        InsertOutcome::Stored {
            findings,
            new_findings,
        } => Ok(ImportOutcome::Stored {
            report_id,
            findings,
            new_findings,
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
