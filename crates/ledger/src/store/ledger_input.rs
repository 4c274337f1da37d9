//! Reading what the ledger engine needs, in a few bulk queries, and writing
//! what people do to findings (through the history, never in place).

use super::read::{
    REGISTRY_SELECT, REPORT_SELECT, parsed, parsed_time, read_registry_entry, read_stored_report,
};
use super::{FindingNo, Store, StoreError, conversion};
use crate::engine::{Action, LedgerInput, NotApplicableCheck, ReportFacts};
use crate::history::{self, NewEntry};
use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::params;
use selfcheck_report::{CheckId, Finding, Fingerprint, Period, Severity};
use std::collections::{BTreeMap, HashMap};

impl Store {
    /// Everything the engine needs for the ledger of `period`: every report
    /// of that month and earlier with its check runs and findings, the
    /// registry, people's actions, the asset registry and when each asset was
    /// first expected.
    pub fn ledger_input(&self, period: Period) -> Result<LedgerInput, StoreError> {
        self.ledger_input_reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let p = period.to_string();
        let mut stmt = tx
            .prepare(&format!("{REPORT_SELECT} WHERE r.period <= ?1"))
            .map_err(|e| self.err(e))?;
        let metas = stmt
            .query_map([&p], read_stored_report)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.err(e))?;
        drop(stmt);
        let mut reports: Vec<ReportFacts> = Vec::with_capacity(metas.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(metas.len());
        for meta in metas {
            index.insert(meta.report_id.as_str().to_string(), reports.len());
            reports.push(ReportFacts {
                meta,
                checks: Vec::new(),
                could_not_run: Vec::new(),
                not_applicable: Vec::new(),
                findings: Vec::new(),
            });
        }
        let mut stmt = tx
            .prepare(
                "SELECT c.report_id, c.check_id, c.status, c.reason, c.approver, c.expires FROM check_runs c
                 JOIN reports r ON r.report_id = c.report_id WHERE r.period <= ?1",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([&p]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id: String = r.get(0).map_err(|e| self.err(e))?;
            let Some(&i) = index.get(&id) else { continue };
            let check: CheckId = parsed(r, 1).map_err(|e| self.err(e))?;
            let status: String = r.get(2).map_err(|e| self.err(e))?;
            let ran = status == "passed" || status == "findings";
            if status == "could_not_run" {
                let reason: Option<String> = r.get(3).map_err(|e| self.err(e))?;
                reports[i]
                    .could_not_run
                    .push((check.clone(), reason.unwrap_or_default()));
            } else if status == "not_applicable" {
                let reason: Option<String> = r.get(3).map_err(|e| self.err(e))?;
                let expires: Option<String> = r.get(5).map_err(|e| self.err(e))?;
                reports[i].not_applicable.push(NotApplicableCheck {
                    check_id: check.clone(),
                    reason: reason.unwrap_or_default(),
                    approver: r.get(4).map_err(|e| self.err(e))?,
                    expires: expires
                        .map(|d| d.parse().map_err(|e| self.err(conversion(5, e))))
                        .transpose()?,
                });
            }
            reports[i].checks.push((check, ran));
        }
        drop(rows);
        drop(stmt);
        let mut stmt = tx
            .prepare(
                // Evidence only for the month's own reports; rows carried over
                // fetch theirs afterwards (`finding_evidence`), which keeps the
                // input small over many months.
                "SELECT f.report_id, f.fingerprint, f.check_id, f.risk, f.subject,
                        CASE WHEN r.period = ?1 THEN f.evidence ELSE '[]' END, f.detected_at
                 FROM findings f JOIN reports r ON r.report_id = f.report_id WHERE r.period <= ?1",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([&p]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id: String = r.get(0).map_err(|e| self.err(e))?;
            let Some(&i) = index.get(&id) else { continue };
            let evidence: String = r.get(5).map_err(|e| self.err(e))?;
            let finding = Finding {
                fingerprint: parsed(r, 1).map_err(|e| self.err(e))?,
                check_id: parsed(r, 2).map_err(|e| self.err(e))?,
                risk: parsed(r, 3).map_err(|e| self.err(e))?,
                subject: r.get(4).map_err(|e| self.err(e))?,
                evidence: serde_json::from_str(&evidence)
                    .map_err(|e| self.err(conversion(5, e)))?,
                detected_at: parsed_time(r, 6).map_err(|e| self.err(e))?,
            };
            reports[i].findings.push(finding);
        }
        drop(rows);
        drop(stmt);
        for r in &mut reports {
            r.checks.sort_by(|a, b| a.0.cmp(&b.0));
            r.findings.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
            // Tens of thousands of small lists: their spare capacity adds up.
            r.checks.shrink_to_fit();
            r.could_not_run.shrink_to_fit();
            r.not_applicable.shrink_to_fit();
            r.findings.shrink_to_fit();
        }

        let mut stmt = tx
            .prepare("SELECT fingerprint, finding_no, first_seen_at FROM finding_registry")
            .map_err(|e| self.err(e))?;
        let mut registry = BTreeMap::new();
        let mut first_seen = BTreeMap::new();
        let rows = stmt
            .query_map([], |r| {
                let fp: Fingerprint = parsed(r, 0)?;
                let no: String = r.get(1)?;
                Ok((fp, FindingNo::from_stored(no), parsed_time(r, 2)?))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.err(e))?;
        for (fp, no, first) in rows {
            first_seen.insert(fp.clone(), first);
            registry.insert(fp, no);
        }
        drop(stmt);
        let actions = self.actions_in(&tx)?;
        let asset_since = self.asset_since_in(&tx)?;
        drop(tx);
        let assets = self.assets()?;
        Ok(LedgerInput {
            reports,
            registry,
            first_seen,
            actions,
            assets,
            asset_since,
            not_inspected_risk: None,
            check_clauses: HashMap::new(),
        })
    }

    fn actions_in(
        &self,
        conn: &rusqlite::Connection,
    ) -> Result<BTreeMap<Fingerprint, Vec<Action>>, StoreError> {
        let mut out: BTreeMap<Fingerprint, Vec<Action>> = BTreeMap::new();
        for entry in
            super::history::read(conn, Some(history::kind::STATUS_SET)).map_err(|e| self.err(e))?
        {
            let Some(fp) = entry.fingerprint.as_deref() else {
                continue;
            };
            let fp: Fingerprint = fp.parse().map_err(|e| self.err(conversion(4, e)))?;
            let action: Action = serde_json::from_value(entry.body.clone())
                .map_err(|e| self.err(conversion(5, e)))?;
            out.entry(fp).or_default().push(action);
        }
        Ok(out)
    }

    /// The month of the first registry import listing each asset name.
    fn asset_since_in(
        &self,
        conn: &rusqlite::Connection,
    ) -> Result<BTreeMap<String, Period>, StoreError> {
        let mut out = BTreeMap::new();
        for entry in super::history::read(conn, Some(history::kind::ASSETS_IMPORTED))
            .map_err(|e| self.err(e))?
        {
            let at =
                DateTime::parse_from_rfc3339(&entry.at).map_err(|e| self.err(conversion(1, e)))?;
            let period = Period::of(&at);
            let names = entry
                .body
                .get("assets")
                .and_then(|a| a.as_array())
                .into_iter()
                .flatten()
                .filter_map(|a| a.get("asset_name").and_then(|n| n.as_str()));
            for name in names {
                out.entry(name.to_string()).or_insert(period);
            }
        }
        Ok(out)
    }

    /// The evidence lines of findings, by (report, fingerprint): one query
    /// through a temporary table, however many are wanted.
    pub fn finding_evidence(
        &self,
        wanted: &[(selfcheck_report::ReportId, Fingerprint)],
    ) -> Result<HashMap<(selfcheck_report::ReportId, Fingerprint), Vec<String>>, StoreError> {
        let conn = &self.conn;
        conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS wanted_evidence (report_id TEXT NOT NULL, fingerprint TEXT NOT NULL);
             DELETE FROM temp.wanted_evidence;",
        )
        .map_err(|e| self.err(e))?;
        {
            let tx = conn.unchecked_transaction().map_err(|e| self.err(e))?;
            let mut insert = tx
                .prepare("INSERT INTO temp.wanted_evidence VALUES (?1, ?2)")
                .map_err(|e| self.err(e))?;
            for (id, fp) in wanted {
                insert
                    .execute([id.as_str(), fp.as_str()])
                    .map_err(|e| self.err(e))?;
            }
            drop(insert);
            tx.commit().map_err(|e| self.err(e))?;
        }
        let mut stmt = conn
            .prepare(
                "SELECT w.report_id, w.fingerprint, f.evidence FROM temp.wanted_evidence w
                 JOIN findings f ON f.report_id = w.report_id AND f.fingerprint = w.fingerprint",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut out = HashMap::with_capacity(wanted.len());
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id: selfcheck_report::ReportId = parsed(r, 0).map_err(|e| self.err(e))?;
            let fp: Fingerprint = parsed(r, 1).map_err(|e| self.err(e))?;
            let text: String = r.get(2).map_err(|e| self.err(e))?;
            let lines: Vec<String> =
                serde_json::from_str(&text).map_err(|e| self.err(conversion(2, e)))?;
            out.insert((id, fp), lines);
        }
        drop(rows);
        drop(stmt);
        conn.execute_batch("DELETE FROM temp.wanted_evidence")
            .map_err(|e| self.err(e))?;
        Ok(out)
    }

    /// How many times this store read a month's facts ([`Store::ledger_input`],
    /// the one large read behind a ledger): lets a test show that a month's
    /// documents are built from one read.
    pub fn ledger_input_reads(&self) -> u64 {
        self.ledger_input_reads
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// People's status changes of one finding, in order.
    pub fn actions_of(&self, fp: &Fingerprint) -> Result<Vec<Action>, StoreError> {
        Ok(self.actions_in(&self.conn)?.remove(fp).unwrap_or_default())
    }

    /// Append a person's status change to the history (the only way a
    /// status changes). The caller has checked it against the current status.
    pub fn record_action(&mut self, fp: &Fingerprint, action: &Action) -> Result<i64, StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::sqlite(&path, source);
        let body = serde_json::to_value(action).map_err(|e| sql(conversion(0, e)))?;
        let tx = self.write_tx()?;
        let entry = super::history::append(
            &tx,
            &NewEntry {
                actor: &action.by,
                kind: history::kind::STATUS_SET,
                fingerprint: Some(fp.as_str()),
                body,
            },
            action.at,
            self.sealer(),
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(entry.seq)
    }

    /// [`Store::record_action`] dated now, read from the clock once the
    /// store's write lock is held: every entry another process committed
    /// before is then older, so a concurrent import never makes the action
    /// look back-dated. Returns the entry's seq and the action as recorded.
    pub fn record_action_now(
        &mut self,
        fp: &Fingerprint,
        action: &Action,
    ) -> Result<(i64, Action), StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::sqlite(&path, source);
        let tx = self.write_tx()?;
        let action = Action {
            at: chrono::Local::now().fixed_offset(),
            ..action.clone()
        };
        let body = serde_json::to_value(&action).map_err(|e| sql(conversion(0, e)))?;
        let entry = super::history::append(
            &tx,
            &NewEntry {
                actor: &action.by,
                kind: history::kind::STATUS_SET,
                fingerprint: Some(fp.as_str()),
                body,
            },
            action.at,
            self.sealer(),
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok((entry.seq, action))
    }

    /// Give ledger numbers to not-inspected findings that have none yet.
    pub fn register_not_inspected(
        &mut self,
        findings: &[(Fingerprint, String, Period)],
        risk: Severity,
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.write_tx()?;
        let mut added = 0;
        for (fp, asset_key, period) in findings {
            let exists: bool = tx
                .query_row(
                    "SELECT COUNT(*) FROM finding_registry WHERE fingerprint = ?1",
                    [fp.as_str()],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(sql)?
                > 0;
            if exists {
                continue;
            }
            let p = period.to_string();
            let seq: u32 = tx
                .query_row(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM finding_registry WHERE numbered_period = ?1",
                    [&p],
                    |r| r.get(0),
                )
                .map_err(sql)?;
            let no = FindingNo::new(*period, risk, seq);
            let first = period
                .last_day()
                .and_hms_opt(23, 59, 59)
                .unwrap_or_default()
                .and_local_timezone(FixedOffset::east_opt(8 * 3600).expect("valid offset"))
                .single()
                .unwrap_or_else(|| Utc::now().fixed_offset());
            tx.execute(
                "INSERT INTO finding_registry (fingerprint, asset_key, check_id, subject, finding_no,
                     numbered_period, seq, first_seen_at, first_seen_period, first_report_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6, '')",
                params![
                    fp.as_str(),
                    asset_key,
                    crate::engine::NOT_INSPECTED_CHECK,
                    crate::engine::NOT_INSPECTED_SUBJECT,
                    no.as_str(),
                    p,
                    seq,
                    first.to_rfc3339(),
                ],
            )
            .map_err(sql)?;
            added += 1;
        }
        tx.commit().map_err(sql)?;
        Ok(added)
    }

    /// The finding with this ledger number or fingerprint (or a unique prefix of one).
    pub fn find_finding(&self, id: &str) -> Result<Vec<super::RegistryEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{REGISTRY_SELECT} WHERE finding_no = ?1 OR fingerprint LIKE ?1 || '%' LIMIT 5"
            ))
            .map_err(|e| self.err(e))?;
        stmt.query_map([id], read_registry_entry)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    /// Fingerprints of the registry matching an asset key and/or a check.
    pub fn registry_matching(
        &self,
        asset_key: Option<&str>,
        check: Option<&str>,
    ) -> Result<Vec<super::RegistryEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{REGISTRY_SELECT} WHERE (?1 IS NULL OR asset_key = ?1) AND (?2 IS NULL OR check_id = ?2)
                 ORDER BY finding_no"
            ))
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![asset_key, check], read_registry_entry)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }
}
