//! Reading the store back into plain structs: report listings, check runs,
//! findings, registry entries, a month's data for the ledger, and a full dump.

use super::{
    FindingNo, MonthData, RegistryEntry, ReportData, Store, StoreError, StoredReport, conversion,
};
use chrono::{DateTime, FixedOffset};
use rusqlite::types::{Type, ValueRef};
use rusqlite::{OptionalExtension, Row};
use selfcheck_report::{
    CheckOutcome, CheckRun, Finding, Fingerprint, Period, ProtectionLevel, ReportId,
};
use sha2::{Digest, Sha256};
use std::str::FromStr;

impl Store {
    /// Stored reports, of one month or all, ordered by period, host name, finish time.
    pub fn reports(&self, period: Option<Period>) -> Result<Vec<StoredReport>, StoreError> {
        let period = period.map(|p| p.to_string());
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{REPORT_SELECT} WHERE (?1 IS NULL OR r.period = ?1)"
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query_map([period], read_stored_report)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.err(e))?;
        // Times compare as instants, whatever offset each report was written in.
        rows.sort_by(|a, b| {
            (
                a.period,
                &a.hostname,
                &a.asset_key,
                a.finished_at,
                &a.report_id,
            )
                .cmp(&(
                    b.period,
                    &b.hostname,
                    &b.asset_key,
                    b.finished_at,
                    &b.report_id,
                ))
        });
        Ok(rows)
    }

    /// Check runs of one report, ordered by check id.
    pub fn check_runs(&self, report_id: &ReportId) -> Result<Vec<CheckRun>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT check_id, status, finding_count, reason, approver, expires FROM check_runs
                 WHERE report_id = ?1 ORDER BY check_id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([report_id.as_str()], |r| {
            let status: String = r.get(1)?;
            let outcome = match status.as_str() {
                "passed" => CheckOutcome::Passed,
                "findings" => CheckOutcome::Findings { count: r.get(2)? },
                "not_applicable" => CheckOutcome::NotApplicable {
                    reason: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    approver: r.get(4)?,
                    expires: r
                        .get::<_, Option<String>>(5)?
                        .map(|d| d.parse().map_err(|e| conversion(5, e)))
                        .transpose()?,
                },
                _ => CheckOutcome::CouldNotRun {
                    reason: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                },
            };
            Ok(CheckRun {
                check_id: parsed(r, 0)?,
                outcome,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// Findings of one report, ordered by fingerprint.
    pub fn findings(&self, report_id: &ReportId) -> Result<Vec<Finding>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT fingerprint, check_id, risk, subject, evidence, detected_at FROM findings
                 WHERE report_id = ?1 ORDER BY fingerprint",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([report_id.as_str()], |r| {
            let evidence: String = r.get(4)?;
            Ok(Finding {
                fingerprint: parsed(r, 0)?,
                check_id: parsed(r, 1)?,
                risk: parsed(r, 2)?,
                subject: r.get(3)?,
                evidence: serde_json::from_str(&evidence).map_err(|e| conversion(4, e))?,
                detected_at: parsed_time(r, 5)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// The registry entry of a fingerprint, if any report had it.
    pub fn registry_entry(&self, fp: &Fingerprint) -> Result<Option<RegistryEntry>, StoreError> {
        self.conn
            .query_row(
                &format!("{REGISTRY_SELECT} WHERE fingerprint = ?1"),
                [fp.as_str()],
                read_registry_entry,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Everything the ledger of `period` needs, read in one transaction.
    pub fn month(&self, period: Period) -> Result<MonthData, StoreError> {
        // A read transaction gives one consistent snapshot under WAL.
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let mut reports = Vec::new();
        for meta in self.reports(Some(period))? {
            let checks = self.check_runs(&meta.report_id)?;
            let findings = self.findings(&meta.report_id)?;
            reports.push(ReportData {
                meta,
                checks,
                findings,
            });
        }
        let mut stmt = tx
            .prepare(&format!(
                "{REGISTRY_SELECT} WHERE fingerprint IN
                 (SELECT f.fingerprint FROM findings f JOIN reports r ON r.report_id = f.report_id
                  WHERE r.period = ?1)"
            ))
            .map_err(|e| self.err(e))?;
        let registry = stmt
            .query_map([period.to_string()], read_registry_entry)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.err(e))?
            .into_iter()
            .map(|e| (e.fingerprint.clone(), e))
            .collect();
        drop(stmt);
        tx.finish().map_err(|e| self.err(e))?;
        Ok(MonthData {
            period,
            reports,
            registry,
        })
    }

    /// The report file exactly as it was imported.
    pub fn raw_report(&self, report_id: &ReportId) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>, String)> = self
            .conn
            .query_row(
                "SELECT raw, raw_encoding FROM reports WHERE report_id = ?1",
                [report_id.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((raw, encoding)) = row else {
            return Ok(None);
        };
        let damaged = |problem: String| StoreError::Damaged {
            path: self.path.clone(),
            problem: format!("report {report_id}: {problem}"),
        };
        match encoding.as_str() {
            "identity" => Ok(Some(raw)),
            "lz4" => {
                // The size prefix is checked before anything is allocated.
                let size = raw
                    .get(..4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                    .ok_or_else(|| damaged("the stored file is truncated".into()))?;
                if size > selfcheck_report::MAX_REPORT_BYTES {
                    return Err(damaged(format!("the stored file claims {size} bytes")));
                }
                lz4_flex::block::decompress_size_prepended(&raw)
                    .map(Some)
                    .map_err(|e| damaged(format!("the stored file cannot be decompressed: {e}")))
            }
            other => Err(damaged(format!(
                "the stored file has an unknown encoding {other:?}; upgrade the collector"
            ))),
        }
    }

    /// The agent key fingerprint pinned for an asset.
    pub fn pinned_key(&self, asset_key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT key_fingerprint FROM asset_keys WHERE asset_key = ?1",
                [asset_key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every row of every table as text (blobs as length and SHA-256), with the
    /// schema and its version: for support, and for tests that prove a refused
    /// import changed nothing.
    pub fn dump(&self) -> Result<String, StoreError> {
        let mut out = String::new();
        let version: i32 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        out.push_str(&format!("user_version {version}\n"));
        let mut stmt = self
            .conn
            .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .map_err(|e| self.err(e))?;
        let objects: Vec<(String, String, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))?;
        for (kind, name, sql) in &objects {
            out.push_str(&format!(
                "{kind} {name}: {}\n",
                sql.as_deref().unwrap_or("")
            ));
        }
        for (_, name, _) in objects.iter().filter(|(k, _, _)| k == "table") {
            out.push_str(&format!("-- table {name}\n"));
            let mut stmt = self
                .conn
                .prepare(&format!("SELECT * FROM \"{name}\" ORDER BY rowid"))
                .map_err(|e| self.err(e))?;
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
            while let Some(row) = rows.next().map_err(|e| self.err(e))? {
                let cells: Vec<String> = (0..columns)
                    .map(|i| match row.get_ref(i) {
                        Ok(ValueRef::Null) => "NULL".to_string(),
                        Ok(ValueRef::Integer(n)) => n.to_string(),
                        Ok(ValueRef::Real(x)) => x.to_string(),
                        Ok(ValueRef::Text(t)) => format!("{:?}", String::from_utf8_lossy(t)),
                        Ok(ValueRef::Blob(b)) => {
                            format!("blob[{}] {}", b.len(), hex::encode(Sha256::digest(b)))
                        }
                        Err(e) => format!("<{e}>"),
                    })
                    .collect();
                out.push_str(&cells.join(" | "));
                out.push('\n');
            }
        }
        Ok(out)
    }
}

pub(super) const REPORT_SELECT: &str = "SELECT r.report_id, r.asset_key, r.hostname, r.machine_id, r.os_name,
    r.ip_addresses, r.kernel, r.period, r.started_at, r.finished_at, r.agent_version,
    r.key_fingerprint, r.file_sha256, r.source_name, r.imported_at,
    (SELECT COUNT(*) FROM check_runs c WHERE c.report_id = r.report_id AND c.status IN ('passed', 'findings')),
    (SELECT COUNT(*) FROM check_runs c WHERE c.report_id = r.report_id AND c.status = 'could_not_run'),
    (SELECT COUNT(*) FROM findings f WHERE f.report_id = r.report_id),
    (SELECT COUNT(*) FROM check_runs c WHERE c.report_id = r.report_id AND c.status = 'not_applicable'),
    r.baseline_level, r.clock_skew
    FROM reports r";

pub(super) fn read_stored_report(r: &Row<'_>) -> rusqlite::Result<StoredReport> {
    let ips: String = r.get(5)?;
    Ok(StoredReport {
        report_id: parsed(r, 0)?,
        asset_key: r.get(1)?,
        hostname: r.get(2)?,
        machine_id: r.get(3)?,
        os_name: r.get(4)?,
        ip_addresses: serde_json::from_str(&ips).map_err(|e| conversion(5, e))?,
        kernel: r.get(6)?,
        period: parsed(r, 7)?,
        started_at: parsed_time(r, 8)?,
        finished_at: parsed_time(r, 9)?,
        agent_version: r.get(10)?,
        key_fingerprint: r.get(11)?,
        file_sha256: r.get(12)?,
        source_name: r.get(13)?,
        imported_at: parsed_time(r, 14)?,
        checks_run: count(r, 15)?,
        checks_could_not_run: count(r, 16)?,
        findings: count(r, 17)?,
        checks_not_applicable: count(r, 18)?,
        baseline_level: r
            .get::<_, Option<i64>>(19)?
            .map(|n| ProtectionLevel::try_from(n).map_err(|e| conversion(19, e)))
            .transpose()?,
        clock_skew: r.get(20)?,
    })
}

pub(super) const REGISTRY_SELECT: &str =
    "SELECT fingerprint, asset_key, check_id, subject, finding_no,
    first_seen_at, first_seen_period FROM finding_registry";

pub(super) fn read_registry_entry(r: &Row<'_>) -> rusqlite::Result<RegistryEntry> {
    Ok(RegistryEntry {
        fingerprint: parsed(r, 0)?,
        asset_key: r.get(1)?,
        check_id: parsed(r, 2)?,
        subject: r.get(3)?,
        finding_no: FindingNo::from_stored(r.get(4)?),
        first_seen_at: parsed_time(r, 5)?,
        first_seen_period: parsed(r, 6)?,
    })
}

fn count(r: &Row<'_>, idx: usize) -> rusqlite::Result<usize> {
    let n: i64 = r.get(idx)?;
    usize::try_from(n)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Integer, Box::new(e)))
}

/// A text column parsed into a typed value; a bad value reads as a conversion error.
pub(super) fn parsed<T>(r: &Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = r.get(idx)?;
    text.parse().map_err(|e| conversion(idx, e))
}

pub(super) fn parsed_time(r: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<FixedOffset>> {
    let text: String = r.get(idx)?;
    DateTime::parse_from_rfc3339(&text).map_err(|e| conversion(idx, e))
}
