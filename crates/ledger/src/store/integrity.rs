//! `store verify`: the store proves its own ledger. The derived tables
//! (`check_runs`, `findings`, `suppressed_findings`) are derived again from
//! each stored signed report (its SHA-256 and its own signature checked
//! again), and every row that differs, is missing or has no report is named;
//! each report is matched with its `report_imported` history entry and each
//! such entry with its report; the history chain is walked and, with the
//! collector's public key, every seal checked; and, given the head of last
//! month's package, the stored history must still hold that head.
//!
//! Direct SQL that deletes a finding and marks its check passed changes rows
//! the signed report contradicts; deleting history entries leaves reports
//! without their import entry; editing an entry and recomputing the digests
//! breaks its seal. Each is named here.

use super::rows::{CheckRunRow, FindingRow, ReportRows, rows_of};
use super::{Store, StoreError};
use crate::history::{Verification, kind, verify_seals};
use rusqlite::Connection;
use selfcheck_report::SignedReport;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

/// What `store verify` checks besides the store itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCheck {
    /// The collector's public key (64 hex digits) to check every history
    /// entry's seal with; without it only the digests are checked.
    pub public_key_hex: Option<String>,
    /// A history head handed over before (seq and digest, from last month's
    /// evidence package): the stored history must still hold it.
    pub expect_head: Option<(u64, String)>,
}

/// What kind of difference a [`StoreProblem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreProblemKind {
    /// A stored report file is damaged, does not match its SHA-256, or fails its own signature.
    ReportFile,
    /// A `reports` row says something else than the signed report it stores.
    ReportRow,
    /// A row the signed report gives is not in the table.
    RowMissing,
    /// A row is in the table that no signed report gives.
    RowExtra,
    /// A row differs from what the signed report gives.
    RowDiffers,
    /// A finding has no ledger number in the registry.
    Registry,
    /// A stored report has no `report_imported` history entry.
    ImportEntryMissing,
    /// A `report_imported` history entry names a report the store does not hold.
    ReportMissing,
    /// A `report_imported` entry says something else than the report it names.
    ImportEntryDiffers,
    /// The history chain or a seal does not verify.
    History,
    /// The history no longer holds the head handed over before.
    Head,
}

/// One difference, naming the report, table and row it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreProblem {
    /// What kind of difference.
    pub kind: StoreProblemKind,
    /// The table it is in (`check_runs`, `findings`, `history`, ...).
    pub table: &'static str,
    /// The report it is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    /// The row within the report (check id, fingerprint) or the history entry's seq.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// What differs, in words.
    pub message: String,
}

impl std::fmt::Display for StoreProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.table)?;
        if let Some(r) = &self.report_id {
            write!(f, " report {r}")?;
        }
        if let Some(k) = &self.key {
            write!(f, " {k}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The outcome of [`Store::verify_store`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreAudit {
    /// Reports stored.
    pub reports: u64,
    /// Reports whose stored file matched its digest and verified its own signature.
    pub reports_verified: u64,
    /// Derived rows compared (check runs, findings, suppressed findings).
    pub rows_compared: u64,
    /// The history chain (and seals, when a key was given).
    pub history: Verification,
    /// Every difference; empty when the store proves its ledger.
    pub problems: Vec<StoreProblem>,
}

impl StoreAudit {
    /// Whether nothing differs.
    pub fn is_consistent(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Store {
    /// Re-derive the ledger's rows from the stored signed reports and the
    /// history, and name every difference (see the module docs). Reads one
    /// consistent snapshot; one report is in memory at a time.
    pub fn verify_store(&self, check: &StoreCheck) -> Result<StoreAudit, StoreError> {
        self.read_snapshot(|store| audit(store, check))
    }
}

struct Out(Vec<StoreProblem>);

impl Out {
    fn push(
        &mut self,
        kind: StoreProblemKind,
        table: &'static str,
        report_id: Option<&str>,
        key: Option<&str>,
        message: impl Into<String>,
    ) {
        self.0.push(StoreProblem {
            kind,
            table,
            report_id: report_id.map(str::to_string),
            key: key.map(str::to_string),
            message: message.into(),
        });
    }
}

/// One `reports` row's metadata columns.
struct ReportRow {
    report_id: String,
    asset_key: String,
    hostname: String,
    period: String,
    key_fingerprint: String,
    file_sha256: String,
    started_at: String,
    finished_at: String,
}

fn audit(store: &Store, check: &StoreCheck) -> Result<StoreAudit, StoreError> {
    let conn = &store.conn;
    let sql = |e| store.err(e);
    let mut out = Out(Vec::new());
    let reports = report_rows(conn).map_err(sql)?;
    let mut audit = StoreAudit {
        reports: reports.len() as u64,
        reports_verified: 0,
        rows_compared: 0,
        history: super::history::verify(conn).map_err(sql)?,
        problems: Vec::new(),
    };
    for row in &reports {
        let id = row.report_id.as_str();
        let stored = stored_rows(conn, id).map_err(sql)?;
        audit.rows_compared +=
            (stored.check_runs.len() + stored.findings.len() + stored.suppressed.len()) as u64;
        let raw = match store.raw_report(&id.parse().map_err(|e| sql(super::conversion(0, e)))?) {
            Ok(Some(raw)) => raw,
            Ok(None) => continue,
            Err(StoreError::Damaged { problem, .. }) => {
                out.push(
                    StoreProblemKind::ReportFile,
                    "reports",
                    Some(id),
                    None,
                    format!("{problem}; its rows cannot be derived"),
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        let sha = hex::encode(Sha256::digest(&raw));
        if sha != row.file_sha256 {
            out.push(
                StoreProblemKind::ReportFile,
                "reports",
                Some(id),
                None,
                format!(
                    "the stored file's SHA-256 is {sha}, the row says {}: the stored report was changed",
                    row.file_sha256
                ),
            );
            continue;
        }
        let verified = match SignedReport::verify_bytes(&raw) {
            Ok(v) => v,
            Err(e) => {
                out.push(
                    StoreProblemKind::ReportFile,
                    "reports",
                    Some(id),
                    None,
                    format!("the stored report fails its own check: {e}"),
                );
                continue;
            }
        };
        audit.reports_verified += 1;
        let report = &verified.signed.report;
        let columns = [
            (
                "report_id",
                report.report_id.as_str().to_string(),
                &row.report_id,
            ),
            ("asset_key", report.host.asset_key(), &row.asset_key),
            ("hostname", report.host.hostname.clone(), &row.hostname),
            ("period", report.period.to_string(), &row.period),
            (
                "key_fingerprint",
                verified.signed.signature.key_fingerprint.clone(),
                &row.key_fingerprint,
            ),
            (
                "started_at",
                report.started_at.to_rfc3339(),
                &row.started_at,
            ),
            (
                "finished_at",
                report.finished_at.to_rfc3339(),
                &row.finished_at,
            ),
        ];
        for (column, signed, stored) in columns {
            if &signed != stored {
                out.push(
                    StoreProblemKind::ReportRow,
                    "reports",
                    Some(id),
                    Some(column),
                    format!("is {stored:?}, the signed report says {signed:?}"),
                );
            }
        }
        compare_report(id, &rows_of(report), &stored, &mut out);
    }
    orphans(conn, &mut out).map_err(sql)?;
    unregistered(conn, &mut out).map_err(sql)?;
    history_against_reports(store, &reports, &mut out)?;

    let entries = super::history::read(conn, None).map_err(sql)?;
    if check.public_key_hex.is_none()
        && let Some(sealed) = entries.iter().find(|e| e.seal.is_some())
    {
        audit.history.problems.push(format!(
            "entry {} and others are sealed, but no collector key was given to check the seals: the key file is missing from the data directory; restore DATA/collector-key.pem from its backup",
            sealed.seq
        ));
    }
    if let Some(public) = &check.public_key_hex {
        let (sealed, problems) = verify_seals(&entries, public);
        audit.history.sealed = sealed;
        audit.history.key_fingerprint = Some(crate::history::fingerprint_of_hex(public));
        audit.history.problems.extend(problems);
    }
    for p in &audit.history.problems {
        out.push(StoreProblemKind::History, "history", None, None, p.clone());
    }
    if let Some((seq, digest)) = &check.expect_head {
        let at = entries
            .iter()
            .find(|e| u64::try_from(e.seq).ok() == Some(*seq));
        let message = match at {
            None => Some(format!(
                "the history handed over before had {seq} entries with head {digest}; the store holds {} entries and no entry {seq}: entries were deleted",
                entries.len()
            )),
            Some(e) if &e.digest != digest => Some(format!(
                "entry {seq} has digest {}, the head handed over before is {digest}: the history was rewritten after it was handed over",
                e.digest
            )),
            Some(_) => None,
        };
        if let Some(message) = message {
            out.push(
                StoreProblemKind::Head,
                "history",
                None,
                Some(&format!("entry {seq}")),
                message,
            );
        }
    }
    audit.problems = out.0;
    Ok(audit)
}

fn report_rows(conn: &Connection) -> rusqlite::Result<Vec<ReportRow>> {
    let mut stmt = conn.prepare(
        "SELECT report_id, asset_key, hostname, period, key_fingerprint, file_sha256,
                started_at, finished_at
         FROM reports ORDER BY report_id",
    )?;
    stmt.query_map([], |r| {
        Ok(ReportRow {
            report_id: r.get(0)?,
            asset_key: r.get(1)?,
            hostname: r.get(2)?,
            period: r.get(3)?,
            key_fingerprint: r.get(4)?,
            file_sha256: r.get(5)?,
            started_at: r.get(6)?,
            finished_at: r.get(7)?,
        })
    })?
    .collect()
}

fn stored_rows(conn: &Connection, id: &str) -> rusqlite::Result<ReportRows> {
    let check_runs = conn
        .prepare_cached(
            "SELECT check_id, status, finding_count, reason, approver, expires
             FROM check_runs WHERE report_id = ?1 ORDER BY check_id",
        )?
        .query_map([id], |r| {
            Ok((
                r.get(0)?,
                CheckRunRow {
                    status: r.get(1)?,
                    finding_count: r.get(2)?,
                    reason: r.get(3)?,
                    approver: r.get(4)?,
                    expires: r.get(5)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let findings = |table: &str, reason: &str| -> rusqlite::Result<Vec<(String, FindingRow)>> {
        conn.prepare_cached(&format!(
            "SELECT fingerprint, check_id, risk, subject, evidence, detected_at, {reason}
             FROM {table} WHERE report_id = ?1 ORDER BY fingerprint"
        ))?
        .query_map([id], |r| {
            Ok((
                r.get(0)?,
                FindingRow {
                    check_id: r.get(1)?,
                    risk: r.get(2)?,
                    subject: r.get(3)?,
                    evidence: r.get(4)?,
                    detected_at: r.get(5)?,
                    reason: r.get(6)?,
                },
            ))
        })?
        .collect()
    };
    Ok(ReportRows {
        check_runs,
        findings: findings("findings", "NULL")?,
        suppressed: findings("suppressed_findings", "reason")?,
    })
}

fn compare_report(id: &str, derived: &ReportRows, stored: &ReportRows, out: &mut Out) {
    compare_table(
        "check_runs",
        id,
        &derived.check_runs,
        &stored.check_runs,
        out,
    );
    compare_table("findings", id, &derived.findings, &stored.findings, out);
    compare_table(
        "suppressed_findings",
        id,
        &derived.suppressed,
        &stored.suppressed,
        out,
    );
}

fn compare_table<R: PartialEq + Debug>(
    table: &'static str,
    id: &str,
    derived: &[(String, R)],
    stored: &[(String, R)],
    out: &mut Out,
) {
    let derived: BTreeMap<&str, &R> = derived.iter().map(|(k, r)| (k.as_str(), r)).collect();
    let stored: BTreeMap<&str, &R> = stored.iter().map(|(k, r)| (k.as_str(), r)).collect();
    let keys: BTreeSet<&str> = derived.keys().chain(stored.keys()).copied().collect();
    for key in keys {
        match (derived.get(key), stored.get(key)) {
            (Some(d), None) => out.push(
                StoreProblemKind::RowMissing,
                table,
                Some(id),
                Some(key),
                format!(
                    "the signed report gives {d:?}, the table has no such row (it was deleted)"
                ),
            ),
            (None, Some(s)) => out.push(
                StoreProblemKind::RowExtra,
                table,
                Some(id),
                Some(key),
                format!("the table has {s:?}, the signed report gives no such row (it was added)"),
            ),
            (Some(d), Some(s)) if d != s => out.push(
                StoreProblemKind::RowDiffers,
                table,
                Some(id),
                Some(key),
                format!("the table has {s:?}, the signed report gives {d:?}"),
            ),
            _ => {}
        }
    }
}

/// Derived rows whose report is not stored.
fn orphans(conn: &Connection, out: &mut Out) -> rusqlite::Result<()> {
    for (table, key) in [
        ("check_runs", "check_id"),
        ("findings", "fingerprint"),
        ("suppressed_findings", "fingerprint"),
    ] {
        let mut stmt = conn.prepare(&format!(
            "SELECT report_id, {key} FROM {table}
             WHERE report_id NOT IN (SELECT report_id FROM reports) ORDER BY report_id, {key}"
        ))?;
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (report_id, k) in rows {
            out.push(
                StoreProblemKind::RowExtra,
                table,
                Some(&report_id),
                Some(&k),
                "the row names a report the store does not hold",
            );
        }
    }
    Ok(())
}

/// Findings without a ledger number.
fn unregistered(conn: &Connection, out: &mut Out) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT f.report_id, f.fingerprint FROM findings f
         LEFT JOIN finding_registry g ON g.fingerprint = f.fingerprint
         WHERE g.fingerprint IS NULL ORDER BY f.report_id, f.fingerprint",
    )?;
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (report_id, fp) in rows {
        out.push(
            StoreProblemKind::Registry,
            "finding_registry",
            Some(&report_id),
            Some(&fp),
            "the finding has no ledger number (its registry row was deleted)",
        );
    }
    Ok(())
}

/// Each report with its import entry, each import entry with its report.
fn history_against_reports(
    store: &Store,
    reports: &[ReportRow],
    out: &mut Out,
) -> Result<(), StoreError> {
    let imports =
        super::history::read(&store.conn, Some(kind::REPORT_IMPORTED)).map_err(|e| store.err(e))?;
    let mut by_report: BTreeMap<String, Vec<&crate::history::HistoryEntry>> = BTreeMap::new();
    for entry in &imports {
        let id = entry
            .body
            .get("report_id")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        by_report.entry(id).or_default().push(entry);
    }
    let stored: BTreeSet<&str> = reports.iter().map(|r| r.report_id.as_str()).collect();
    for row in reports {
        let id = row.report_id.as_str();
        let Some(entries) = by_report.get(id) else {
            out.push(
                StoreProblemKind::ImportEntryMissing,
                "history",
                Some(id),
                None,
                "the report is stored but the history has no report_imported entry for it (the entry was deleted, or the report added outside the collector)",
            );
            continue;
        };
        let entry = entries[0];
        let seq = format!("entry {}", entry.seq);
        if entries.len() > 1 {
            out.push(
                StoreProblemKind::ImportEntryDiffers,
                "history",
                Some(id),
                Some(&seq),
                format!(
                    "the report has {} report_imported entries; a report is imported once",
                    entries.len()
                ),
            );
        }
        let field = |name: &str| entry.body.get(name).and_then(|v| v.as_str()).unwrap_or("");
        for (name, stored_value) in [
            ("file_sha256", &row.file_sha256),
            ("asset_key", &row.asset_key),
            ("period", &row.period),
            ("key_fingerprint", &row.key_fingerprint),
        ] {
            if field(name) != stored_value {
                out.push(
                    StoreProblemKind::ImportEntryDiffers,
                    "history",
                    Some(id),
                    Some(&seq),
                    format!(
                        "records {name} {:?}, the stored report has {stored_value:?}",
                        field(name)
                    ),
                );
            }
        }
    }
    for (id, entries) in &by_report {
        if !stored.contains(id.as_str()) {
            for entry in entries {
                out.push(
                    StoreProblemKind::ReportMissing,
                    "reports",
                    Some(id),
                    Some(&format!("entry {}", entry.seq)),
                    "the history records this report's import, but the store does not hold the report (it was deleted)",
                );
            }
        }
    }
    Ok(())
}
