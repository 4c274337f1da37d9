//! The collector's SQLite store: every imported report, its check runs and
//! findings, the registry of finding numbers, and the agent key pinned per asset.
//!
//! One file, `DATA_DIR/collector.sqlite3`, in WAL mode. The schema version is
//! kept in `PRAGMA user_version` and migrated on open. Everything about one
//! report is written in one transaction ([`Store::insert_report`]), so a
//! failure or crash part-way leaves nothing of that report behind.

use chrono::{DateTime, FixedOffset};
use rusqlite::types::Type;
use rusqlite::{Connection, TransactionBehavior};
use selfcheck_report::{CheckId, CheckRun, Finding, Fingerprint, Period, ReportId, VerifiedReport};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::engine::{FindingNo, StoredReport};

pub use certs::{CertRecord, NewCert, RegisteredClientCert, RevokeTarget};
pub use integrity::{StoreAudit, StoreCheck, StoreProblem, StoreProblemKind};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "collector.sqlite3";

/// The schema version this collector writes (`PRAGMA user_version`).
pub const STORE_SCHEMA_VERSION: i32 = 5;

mod assets;
mod certs;
mod history;
mod integrity;
mod ledger_input;
mod read;
mod rows;
mod schema;
mod write;

/// Why the store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {dir}: {source}")]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `ledger` or `reports` was asked of a data directory without a store.
    #[error(
        "no collector store at {path}; import reports first (selfcheck-collector import FILE) or point --data at the right directory"
    )]
    Missing {
        /// The database path looked for.
        path: PathBuf,
    },
    /// The database was written by a newer collector.
    #[error(
        "the store {path} has schema version {found}, this collector knows up to {STORE_SCHEMA_VERSION}; upgrade the collector"
    )]
    TooNew {
        /// The database path.
        path: PathBuf,
        /// Its `user_version`.
        found: i32,
    },
    /// SQLite failed.
    #[error("collector store {path}: {source}")]
    Sqlite {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The batch a report was to be written in was rolled back by SQLite
    /// after an earlier error (a full disk, an I/O error).
    #[error(
        "collector store {path}: the batch this report belongs to was rolled back after an earlier write failed (is the disk full?); nothing of it is stored"
    )]
    BatchLost {
        /// The database path.
        path: PathBuf,
    },
    /// The history refused an entry (dated before its head, or unsealed);
    /// nothing was written.
    #[error("collector store {path}: {refusal}")]
    History {
        /// The database path.
        path: PathBuf,
        /// Why.
        refusal: crate::history::HistoryRefusal,
    },
    /// Stored data cannot be read back as it was written.
    #[error("collector store {path} is damaged: {problem}; restore it from a backup")]
    Damaged {
        /// The database path.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

impl StoreError {
    /// A SQLite error of the store at `path`; a history refusal carried
    /// through SQLite comes out as [`StoreError::History`].
    pub(crate) fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
        if let rusqlite::Error::ToSqlConversionFailure(inner) = &source
            && let Some(refusal) = inner.downcast_ref::<crate::history::HistoryRefusal>()
        {
            return StoreError::History {
                path: path.to_path_buf(),
                refusal: refusal.clone(),
            };
        }
        StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What is written for one report: the verified report and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct NewReport<'a> {
    /// The report, already verified (signature, format rules, catalog).
    pub verified: &'a VerifiedReport,
    /// The file bytes exactly as received (kept as evidence).
    pub bytes: &'a [u8],
    /// Where the bytes came from (a file path as given, or a description).
    pub source_name: &'a str,
    /// When the import happened.
    pub imported_at: DateTime<FixedOffset>,
    /// Re-pin the asset to this report's key when another key is pinned (the
    /// person named this report's host with `--accept-new-key HOST`).
    pub accept_new_key: bool,
    /// The audit time failed the import's clock checks and the person
    /// accepted it (`--accept-clock-skew`): what was wrong. Such a report is
    /// counted at its import time, not its own dates.
    pub clock_skew: Option<&'a str>,
}

/// What [`Store::insert_report`] did. Only `Stored` changed the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Written, with this many findings, `new_findings` of them never seen before.
    Stored {
        /// Findings in the report.
        findings: usize,
        /// Findings that got a new ledger number.
        new_findings: usize,
    },
    /// The same report (same id, same file bytes) is already stored.
    AlreadyStored,
    /// A different file with the same report id is already stored.
    Conflict {
        /// SHA-256 of the stored file.
        stored_sha256: String,
    },
    /// The asset has another agent key pinned and a key change was not accepted.
    KeyChanged {
        /// The pinned key's fingerprint.
        pinned: String,
    },
    /// The asset (its machine id) is pinned to another key and its stored
    /// reports come from other host names: two hosts share one machine id
    /// (cloned machines). Never re-pinned, since one host's reports would
    /// then close the other's findings.
    SharedMachineId {
        /// The pinned key's fingerprint.
        pinned: String,
        /// The host names the stored reports of this machine id carry.
        hostnames: Vec<String>,
    },
}

/// The registry entry of one fingerprint: its ledger number and first sighting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    /// The finding's fingerprint.
    pub fingerprint: Fingerprint,
    /// The asset it is about.
    pub asset_key: String,
    /// The check that found it.
    pub check_id: CheckId,
    /// Its subject.
    pub subject: String,
    /// Its ledger number.
    pub finding_no: FindingNo,
    /// The earliest `detected_at` of any stored sighting.
    pub first_seen_at: DateTime<FixedOffset>,
    /// The period of that earliest sighting.
    pub first_seen_period: Period,
}

/// One stored report with its check runs and findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportData {
    /// The report's stored metadata.
    pub meta: StoredReport,
    /// Every check run, ordered by check id.
    pub checks: Vec<CheckRun>,
    /// Its findings, ordered by fingerprint.
    pub findings: Vec<Finding>,
}

/// Everything stored for one month: the input of the ledger engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthData {
    /// The month.
    pub period: Period,
    /// Every report of the month (all of them, not only the latest per asset).
    pub reports: Vec<ReportData>,
    /// Registry entries of every fingerprint those reports contain.
    pub registry: BTreeMap<Fingerprint, RegistryEntry>,
}

/// The whole schema, for tests of modules with their own tables.
#[cfg(test)]
pub(crate) fn schema_for_tests() -> String {
    format!("{}{}", schema::SCHEMA_V1, schema::SCHEMA_V2)
}

/// The collector's store. Opening it creates or migrates the schema.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The collector key that seals history entries ([`Store::attach_sealer`]).
    sealer: Option<Box<dyn crate::history::HistorySealer>>,
    /// A batch transaction is open ([`Store::begin_batch`]).
    batch_open: bool,
    /// How many times [`Store::ledger_input`] read the month's facts.
    ledger_input_reads: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("batch_open", &self.batch_open)
            .field("sealer", &self.sealer.as_ref().map(|s| s.key_fingerprint()))
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open the store in `dir`, creating the directory (mode 0700) and the
    /// database when they do not exist.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        create_private_dir(dir)?;
        Store::open_file(dir.join(DB_FILE))
    }

    /// Open the store in `dir` only if it exists (for commands that only read).
    pub fn open_existing(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(StoreError::Missing { path });
        }
        Store::open_file(path)
    }

    fn open_file(path: PathBuf) -> Result<Store, StoreError> {
        let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut store = Store {
            conn,
            path,
            sealer: None,
            batch_open: false,
            ledger_input_reads: std::sync::atomic::AtomicU64::new(0),
        };
        store.configure().map_err(|e| store.err(e))?;
        store.migrate()?;
        Ok(store)
    }

    fn configure(&self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(Duration::from_secs(10))?;
        let _: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::sqlite(&path, source);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let version: i32 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql)?;
        if version > STORE_SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.clone(),
                found: version,
            });
        }
        // Each step migrates from the version before it, in order.
        let steps = [
            schema::SCHEMA_V1,
            schema::SCHEMA_V2,
            schema::SCHEMA_V3,
            schema::SCHEMA_V4,
            schema::SCHEMA_V5,
        ];
        for (i, step) in steps.iter().enumerate() {
            if version <= i as i32 {
                tx.execute_batch(step).map_err(sql)?;
            }
        }
        if version != STORE_SCHEMA_VERSION {
            tx.pragma_update(None, "user_version", STORE_SCHEMA_VERSION)
                .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    /// Open the database file read-only, without migrating it: for a thread
    /// that only re-reads (the revoked serials) while another owns the store.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let sql = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            sealer: None,
            batch_open: false,
            ledger_input_reads: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Run `read` on one consistent snapshot of the store: every read inside
    /// sees the same data even while another process imports (the evidence
    /// package lists reports, history and raw files that must agree).
    pub fn read_snapshot<T, E: From<StoreError>>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let value = read(self)?;
        tx.finish().map_err(|e| self.err(e))?;
        Ok(value)
    }

    /// Set `PRAGMA synchronous` (`FULL` by default): for measuring what the
    /// commits' syncs to disk cost, never for real data.
    pub fn set_synchronous_for_diagnostics(&self, mode: &str) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "synchronous", mode)
            .map_err(|e| self.err(e))
    }

    /// A write transaction that waits for other writers.
    pub(crate) fn write_tx(&self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|source| self.err(source))
    }

    /// Wrap a SQLite error with the store's path.
    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, source)
    }

    /// The sealer entries are sealed with, if one is attached.
    pub(crate) fn sealer(&self) -> Option<&dyn crate::history::HistorySealer> {
        self.sealer.as_deref()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write one verified report in a single transaction: the report, its check
    /// runs, findings, suppressed findings, registry numbers for new
    /// fingerprints, and the asset's key pin. Nothing is written unless the
    /// outcome is [`InsertOutcome::Stored`].
    ///
    /// With [`NewReport::accept_new_key`], a report signed by another key than
    /// the one pinned for its asset re-pins the asset to the new key and
    /// records the old and new fingerprints in the history.
    ///
    /// Inside a batch whose transaction SQLite has rolled back (a full disk
    /// does that), nothing is written: the report is refused with the error
    /// [`Store::batch_lost`] then reports, instead of being committed on its
    /// own outside the batch.
    pub fn insert_report(&mut self, new: NewReport<'_>) -> Result<InsertOutcome, StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::sqlite(&path, source);
        let sealer = self.sealer.as_deref();
        if self.batch_open {
            if self.conn.is_autocommit() {
                return Err(StoreError::BatchLost {
                    path: self.path.clone(),
                });
            }
            // Inside a batch: a savepoint per report, so a refused report
            // leaves nothing behind while the others stay in the batch.
            self.conn.execute_batch("SAVEPOINT report").map_err(sql)?;
            let outcome = write::insert_in(&self.conn, new, sealer);
            if outcome.is_err() && self.conn.is_autocommit() {
                // SQLite rolled the whole batch back (a full disk does).
                return outcome.map_err(sql);
            }
            let end = match outcome {
                Ok(InsertOutcome::Stored { .. }) => "RELEASE report",
                _ => "ROLLBACK TO report; RELEASE report",
            };
            if let Err(e) = self.conn.execute_batch(end) {
                // The batch cannot be trusted any more: give it up whole.
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                return Err(sql(outcome.err().unwrap_or(e)));
            }
            return outcome.map_err(sql);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let outcome = write::insert_in(&tx, new, sealer);
        match outcome {
            Ok(outcome @ InsertOutcome::Stored { .. }) => {
                tx.commit().map_err(sql)?;
                Ok(outcome)
            }
            // Dropping the transaction rolls it back.
            Ok(other) => Ok(other),
            Err(e) => Err(sql(e)),
        }
    }

    /// Start a batch: the reports inserted until [`Store::commit_batch`] are
    /// written in one transaction (one sync to disk instead of one per
    /// report), each still all-or-nothing. For importing many files; a crash
    /// before the commit loses the whole batch, which importing again redoes.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        if !self.batch_open {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| self.err(e))?;
            self.batch_open = true;
        }
        Ok(())
    }

    /// Commit the open batch (nothing when none is open). When the commit
    /// fails, the batch is rolled back: none of its reports is stored.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        if self.batch_open {
            self.batch_open = false;
            if self.conn.is_autocommit() {
                return Err(StoreError::BatchLost {
                    path: self.path.clone(),
                });
            }
            if let Err(e) = self.conn.execute_batch("COMMIT") {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                return Err(self.err(e));
            }
        }
        Ok(())
    }

    /// Whether the open batch's transaction is gone: SQLite rolled it back
    /// after an error (a full disk, an I/O error), so none of the reports
    /// written in it since [`Store::begin_batch`] is stored.
    pub fn batch_lost(&self) -> bool {
        self.batch_open && self.conn.is_autocommit()
    }

    /// Give up the open batch: roll back whatever of it is left. None of its
    /// reports is stored; [`Store::begin_batch`] starts a new one.
    pub fn abandon_batch(&mut self) {
        if self.batch_open {
            self.batch_open = false;
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
        }
    }

    /// Whether a report with this id and file digest is stored (committed, or
    /// written in the open batch): how an import checks what it says it stored.
    pub fn holds_report(
        &self,
        report_id: &ReportId,
        file_sha256: &str,
    ) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT COUNT(*) FROM reports WHERE report_id = ?1 AND file_sha256 = ?2",
            )
            .and_then(|mut s| {
                s.query_row(rusqlite::params![report_id.as_str(), file_sha256], |r| {
                    r.get::<_, i64>(0)
                })
            })
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // A batch never committed is rolled back: nothing half-imported stays.
        if self.batch_open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| StoreError::CreateDir {
            dir: dir.to_path_buf(),
            source,
        })
}

pub(crate) fn json_text(items: &[String]) -> String {
    // A list of strings always serialises.
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

pub(crate) fn conversion(
    idx: usize,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_creates_a_private_directory_and_a_versioned_schema() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let store = Store::open(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(store.dump().unwrap().starts_with("user_version 5\n"));
        drop(store);
        // Opening again keeps the schema (no second migration).
        let again = Store::open(&dir).unwrap();
        assert!(again.reports(None).unwrap().is_empty());
    }

    #[test]
    fn a_version_1_store_is_migrated_keeping_its_data() {
        let tmp = tempfile::tempdir().unwrap();
        let conn = Connection::open(tmp.path().join(DB_FILE)).unwrap();
        conn.execute_batch(schema::SCHEMA_V1).unwrap();
        conn.execute(
            "INSERT INTO asset_keys VALUES ('web', 'sha256:aa', '2026-10-01T00:00:00Z', '2026-10-01T00:00:00Z', 'r1')",
            [],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        drop(conn);
        let store = Store::open(tmp.path()).unwrap();
        let dump = store.dump().unwrap();
        assert!(dump.starts_with("user_version 5\n"), "{dump}");
        assert!(dump.contains("CREATE TABLE history"), "{dump}");
        assert!(dump.contains("CREATE TABLE certificates"), "{dump}");
        assert!(dump.contains("CREATE TABLE assets"), "{dump}");
        assert_eq!(
            store.pinned_key("web").unwrap().as_deref(),
            Some("sha256:aa")
        );
        assert!(store.assets().unwrap().is_empty());
    }

    #[test]
    fn a_version_3_store_is_migrated_keeping_its_check_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let conn = Connection::open(tmp.path().join(DB_FILE)).unwrap();
        for step in [schema::SCHEMA_V1, schema::SCHEMA_V2, schema::SCHEMA_V3] {
            conn.execute_batch(step).unwrap();
        }
        conn.execute(
            "INSERT INTO reports (report_id, asset_key, hostname, os_name, ip_addresses, period,
                 started_at, finished_at, agent_version, key_fingerprint, file_sha256, source_name,
                 imported_at, raw)
             VALUES ('r1', 'web', 'web-01', 'Debian', '[]', '2026-10', '2026-10-01T00:00:00Z',
                 '2026-10-01T00:00:02Z', '0.1.0', 'sha256:aa', 'ff', 'a.json',
                 '2026-10-01T00:00:03Z', X'00')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO check_runs VALUES ('r1', 'ports.smb', 'could_not_run', 0, 'no /proc')",
            [],
        )
        .unwrap();
        // Version 3 refuses the new status.
        assert!(
            conn.execute(
                "INSERT INTO check_runs VALUES ('r1', 'ports.ftp', 'not_applicable', 0, 'x')",
                [],
            )
            .is_err()
        );
        conn.pragma_update(None, "user_version", 3).unwrap();
        drop(conn);
        let store = Store::open(tmp.path()).unwrap();
        assert!(store.dump().unwrap().starts_with("user_version 5\n"));
        let runs: Vec<(String, String, Option<String>)> = store
            .conn
            .prepare("SELECT check_id, status, reason FROM check_runs")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            runs,
            [(
                "ports.smb".to_string(),
                "could_not_run".to_string(),
                Some("no /proc".to_string())
            )]
        );
        store
            .conn
            .execute(
                "INSERT INTO check_runs VALUES ('r1', 'ports.ftp', 'not_applicable', 0, 'x', 'W', '2027-01-31')",
                [],
            )
            .unwrap();
        let level: Option<i64> = store
            .conn
            .query_row("SELECT baseline_level FROM reports", [], |r| r.get(0))
            .unwrap();
        assert_eq!(level, None);
    }

    #[test]
    fn a_version_4_store_keeps_its_history_unsealed_until_bound() {
        let tmp = tempfile::tempdir().unwrap();
        let conn = Connection::open(tmp.path().join(DB_FILE)).unwrap();
        for step in [
            schema::SCHEMA_V1,
            schema::SCHEMA_V2,
            schema::SCHEMA_V3,
            schema::SCHEMA_V4,
        ] {
            conn.execute_batch(step).unwrap();
        }
        // An entry written by a version-4 collector: a digest, no seal.
        let at = "2026-10-01T00:00:00.000000Z";
        let body = serde_json::json!({"rows": 0});
        let digest = crate::history::digest_of(
            1,
            at,
            "张工",
            "assets_imported",
            None,
            &body,
            crate::history::GENESIS,
        );
        conn.execute(
            "INSERT INTO history VALUES (1, ?1, '张工', 'assets_imported', NULL, ?2, ?3, ?4)",
            rusqlite::params![at, body.to_string(), crate::history::GENESIS, digest],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 4).unwrap();
        drop(conn);
        let mut store = Store::open(tmp.path()).unwrap();
        assert!(store.dump().unwrap().starts_with("user_version 5\n"));
        assert!(store.verify_history().unwrap().is_intact());
        let entries = store.history(None).unwrap();
        assert_eq!((entries.len(), entries[0].seal.as_deref()), (1, None));
        let key = selfcheck_report::AgentKey::from_secret_bytes([5; 32]);
        let public = key.public_key_hex();
        let bound = store.attach_sealer(Box::new(key)).unwrap().unwrap();
        assert_eq!(bound.kind, crate::history::kind::HISTORY_SEALED);
        let v = store.verify_history_sealed(&public).unwrap();
        assert!(v.is_intact(), "{:?}", v.problems);
        assert_eq!((v.entries, v.sealed), (2, 2));
    }

    #[test]
    fn a_store_from_a_newer_collector_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        drop(Store::open(tmp.path()).unwrap());
        let conn = Connection::open(tmp.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 9).unwrap();
        drop(conn);
        let err = Store::open(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("schema version 9"), "{err}");
    }

    #[test]
    fn reading_commands_do_not_create_a_store() {
        let tmp = tempfile::tempdir().unwrap();
        let err = Store::open_existing(&tmp.path().join("nothing")).unwrap_err();
        assert!(matches!(err, StoreError::Missing { .. }), "{err}");
        assert!(!tmp.path().join("nothing").exists());
    }
}
