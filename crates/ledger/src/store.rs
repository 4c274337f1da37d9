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
use selfcheck_report::{CheckId, CheckRun, Finding, Fingerprint, Period, VerifiedReport};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::engine::{FindingNo, StoredReport};

pub use certs::{CertRecord, NewCert, RegisteredClientCert, RevokeTarget};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "collector.sqlite3";

/// The schema version this collector writes (`PRAGMA user_version`).
pub const STORE_SCHEMA_VERSION: i32 = 4;

mod assets;
mod certs;
mod history;
mod ledger_input;
mod read;
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
    /// Stored data cannot be read back as it was written.
    #[error("collector store {path} is damaged: {problem}; restore it from a backup")]
    Damaged {
        /// The database path.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
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
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// A batch transaction is open ([`Store::begin_batch`]).
    batch_open: bool,
    /// How many times [`Store::ledger_input`] read the month's facts.
    ledger_input_reads: std::sync::atomic::AtomicU64,
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
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
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
    pub(crate) fn write_tx(&mut self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        let path = self.path.clone();
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Sqlite { path, source })
    }

    /// Wrap a SQLite error with the store's path.
    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
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
    /// With `accept_new_key`, a report signed by another key than the one
    /// pinned for its asset re-pins the asset to the new key.
    pub fn insert_report(
        &mut self,
        new: NewReport<'_>,
        accept_new_key: bool,
    ) -> Result<InsertOutcome, StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::Sqlite { path, source };
        if self.batch_open {
            // Inside a batch: a savepoint per report, so a refused report
            // leaves nothing behind while the others stay in the batch.
            self.conn
                .execute_batch("SAVEPOINT report")
                .map_err(sql.clone())?;
            let outcome = write::insert_in(&self.conn, new, accept_new_key);
            let end = match outcome {
                Ok(InsertOutcome::Stored { .. }) => "RELEASE report",
                _ => "ROLLBACK TO report; RELEASE report",
            };
            self.conn.execute_batch(end).map_err(sql.clone())?;
            return outcome.map_err(sql);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql.clone())?;
        let outcome = write::insert_in(&tx, new, accept_new_key);
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

    /// Commit the open batch (nothing when none is open).
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        if self.batch_open {
            self.batch_open = false;
            self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))?;
        }
        Ok(())
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
        assert!(store.dump().unwrap().starts_with("user_version 4\n"));
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
        assert!(dump.starts_with("user_version 4\n"), "{dump}");
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
        assert!(store.dump().unwrap().starts_with("user_version 4\n"));
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
