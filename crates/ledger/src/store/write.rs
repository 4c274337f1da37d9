//! Writing one report inside the caller's transaction: the report, its check
//! runs and findings, ledger numbers for new fingerprints, and the key pin.

use super::{FindingNo, InsertOutcome, NewReport, json_text};
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};
use selfcheck_report::{Finding, ProtectionLevel, Report, SignedReport};

/// Write `new` in `tx`. Returns without writing anything (so the caller can roll
/// back) unless the outcome is [`InsertOutcome::Stored`].
pub(super) fn insert_in(
    tx: &Connection,
    new: NewReport<'_>,
    sealer: Option<&dyn crate::history::HistorySealer>,
) -> rusqlite::Result<InsertOutcome> {
    let report: &Report = &new.verified.signed.report;
    let id = report.report_id.as_str();
    let file_sha256 = &new.verified.file_sha256;
    let stored: Option<String> = tx
        .prepare_cached("SELECT file_sha256 FROM reports WHERE report_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if let Some(stored_sha256) = stored {
        return Ok(
            if &stored_sha256 == file_sha256
                || stored_canonical_sha256(tx, id)?.as_ref() == Some(&new.verified.canonical_sha256)
            {
                InsertOutcome::AlreadyStored
            } else {
                InsertOutcome::Conflict { stored_sha256 }
            },
        );
    }

    let asset = report.host.asset_key();
    let key = &new.verified.signed.signature.key_fingerprint;
    let imported_at = new.imported_at.to_rfc3339();
    let pinned: Option<String> = tx
        .prepare_cached("SELECT key_fingerprint FROM asset_keys WHERE asset_key = ?1")?
        .query_row([&asset], |r| r.get(0))
        .optional()?;
    match pinned {
        None => {
            tx.prepare_cached("INSERT INTO asset_keys (asset_key, key_fingerprint, first_seen_at, pinned_at, pinned_report_id)
                 VALUES (?1, ?2, ?3, ?3, ?4)")?.execute(
                params![asset, key, imported_at, id],
            )?;
        }
        Some(p) if &p == key => {}
        Some(pinned) => {
            let hostnames = hostnames_of(tx, &asset)?;
            if !hostnames.is_empty() && !hostnames.contains(&report.host.hostname) {
                return Ok(InsertOutcome::SharedMachineId { pinned, hostnames });
            }
            if !new.accept_new_key {
                return Ok(InsertOutcome::KeyChanged { pinned });
            }
            tx.prepare_cached(
                "UPDATE asset_keys SET key_fingerprint = ?2, pinned_at = ?3, pinned_report_id = ?4
                 WHERE asset_key = ?1",
            )?
            .execute(params![asset, key, imported_at, id])?;
            super::history::append(
                tx,
                &crate::history::NewEntry {
                    actor: "selfcheck-collector",
                    kind: crate::history::kind::AGENT_KEY_REPINNED,
                    fingerprint: None,
                    body: serde_json::json!({
                        "asset_key": asset,
                        "hostname": report.host.hostname,
                        "old_key_fingerprint": pinned,
                        "new_key_fingerprint": key,
                        "report_id": id,
                        "source": new.source_name,
                    }),
                },
                new.imported_at,
                sealer,
            )?;
        }
    }

    let host = &report.host;
    let ips: Vec<String> = host.ip_addresses.iter().map(|ip| ip.to_string()).collect();
    tx.prepare_cached(
        "INSERT INTO reports (report_id, asset_key, hostname, machine_id, os_name, ip_addresses,
             kernel, period, started_at, finished_at, agent_version, key_fingerprint, file_sha256,
             source_name, imported_at, raw, raw_encoding, baseline_level, clock_skew)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 'lz4', ?17, ?18)",
    )?
    .execute(params![
        id,
        asset,
        host.hostname,
        host.machine_id,
        host.os.display_name(),
        json_text(&ips),
        host.kernel,
        report.period.to_string(),
        report.started_at.to_rfc3339(),
        report.finished_at.to_rfc3339(),
        report.agent.version,
        key,
        file_sha256,
        new.source_name,
        imported_at,
        lz4_flex::block::compress_prepend_size(new.bytes),
        report.baseline_level.map(ProtectionLevel::get),
        new.clock_skew,
    ])?;

    let rows = super::rows::rows_of(report);
    for (check_id, run) in &rows.check_runs {
        tx.prepare_cached(
            "INSERT INTO check_runs (report_id, check_id, status, finding_count, reason, approver, expires)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            id,
            check_id,
            run.status,
            run.finding_count,
            run.reason,
            run.approver,
            run.expires
        ])?;
    }
    for (fingerprint, f) in &rows.findings {
        tx.prepare_cached("INSERT INTO findings (report_id, fingerprint, check_id, risk, subject, evidence, detected_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(
            params![id, fingerprint, f.check_id, f.risk, f.subject, f.evidence, f.detected_at],
        )?;
    }
    for (fingerprint, f) in &rows.suppressed {
        tx.prepare_cached("INSERT INTO suppressed_findings (report_id, fingerprint, check_id, risk, subject, evidence, detected_at, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?.execute(
            params![
                id,
                fingerprint,
                f.check_id,
                f.risk,
                f.subject,
                f.evidence,
                f.detected_at,
                f.reason,
            ],
        )?;
    }

    // Number new fingerprints in a stable order: most severe first.
    let mut ordered: Vec<&Finding> = report.findings.iter().collect();
    ordered.sort_by(|a, b| {
        (b.risk, &a.check_id, &a.subject, &a.fingerprint).cmp(&(
            a.risk,
            &b.check_id,
            &b.subject,
            &b.fingerprint,
        ))
    });
    // A report whose clock was not trusted counts at its import time.
    let seen_at = new.clock_skew.map(|_| new.imported_at);
    let mut new_findings = 0;
    for f in ordered {
        if register(tx, &asset, report, f, seen_at)? {
            new_findings += 1;
        }
    }
    let mut body = serde_json::json!({
                "report_id": id,
                "asset_key": asset,
                "hostname": report.host.hostname,
                "period": report.period.to_string(),
                "file_sha256": file_sha256,
                "key_fingerprint": key,
                "source": new.source_name,
    });
    if let Some(problem) = new.clock_skew {
        body["clock_skew_accepted"] = problem.into();
    }
    super::history::append(
        tx,
        &crate::history::NewEntry {
            actor: "selfcheck-collector",
            kind: crate::history::kind::REPORT_IMPORTED,
            fingerprint: None,
            body,
        },
        new.imported_at,
        sealer,
    )?;
    Ok(InsertOutcome::Stored {
        findings: report.findings.len(),
        new_findings,
    })
}

/// Record a sighting in the registry; true when the fingerprint got a new
/// number. A fingerprint already registered keeps its number and its first
/// sighting: a report imported later never moves them, whatever dates it
/// carries (a wrong agent clock would otherwise make every finding overdue).
fn register(
    tx: &Connection,
    asset: &str,
    report: &Report,
    f: &Finding,
    seen_at: Option<DateTime<FixedOffset>>,
) -> rusqlite::Result<bool> {
    let known: bool = tx
        .prepare_cached("SELECT COUNT(*) FROM finding_registry WHERE fingerprint = ?1")?
        .query_row([f.fingerprint.as_str()], |r| r.get::<_, i64>(0))?
        > 0;
    if known {
        return Ok(false);
    }
    let first_seen = seen_at.unwrap_or(f.detected_at);
    let period = report.period.to_string();
    let seq: u32 = tx
        .prepare_cached(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM finding_registry WHERE numbered_period = ?1",
        )?
        .query_row([&period], |r| r.get(0))?;
    let no = FindingNo::new(report.period, f.risk, seq);
    tx.prepare_cached(
        "INSERT INTO finding_registry (fingerprint, asset_key, check_id, subject, finding_no,
             numbered_period, seq, first_seen_at, first_seen_period, first_report_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6, ?9)",
    )?
    .execute(params![
        f.fingerprint.as_str(),
        asset,
        f.check_id.as_str(),
        f.subject,
        no.as_str(),
        period,
        seq,
        first_seen.to_rfc3339(),
        report.report_id.as_str(),
    ])?;
    Ok(true)
}

/// The host names of the stored reports of `asset`, sorted.
fn hostnames_of(tx: &Connection, asset: &str) -> rusqlite::Result<Vec<String>> {
    tx.prepare_cached(
        "SELECT DISTINCT hostname FROM reports WHERE asset_key = ?1 ORDER BY hostname",
    )?
    .query_map([asset], |r| r.get(0))?
    .collect()
}

/// The canonical digest of the stored report `id` (see
/// [`selfcheck_report::VerifiedReport::canonical_sha256`]); `None` when its
/// stored bytes no longer verify.
fn stored_canonical_sha256(tx: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    let (raw, encoding): (Vec<u8>, String) = tx
        .prepare_cached("SELECT raw, raw_encoding FROM reports WHERE report_id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let bytes = match encoding.as_str() {
        "lz4" => match lz4_flex::block::decompress_size_prepended(&raw) {
            Ok(b) => b,
            Err(_) => return Ok(None),
        },
        _ => raw,
    };
    Ok(SignedReport::verify_bytes(&bytes)
        .ok()
        .map(|v| v.canonical_sha256))
}
