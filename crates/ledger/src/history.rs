//! The hash-chained history: every status change people make, every report
//! imported and every asset-registry import, in order, each entry carrying
//! the digest of the one before it.
//!
//! Statuses are never stored anywhere else: the ledger's statuses are derived
//! from this history and the stored reports, so nothing changes without an
//! entry here. An entry's digest is SM3 (GB/T 32905) over its canonical JSON
//! (seq, time, actor, kind, fingerprint, body and the previous digest), so
//! editing, reordering or deleting an entry breaks the chain at that entry,
//! and [`verify`] names it. Deleting the newest entries leaves a shorter
//! valid chain; the head digest and count [`verify`] prints are what an
//! evidence package records to catch that.

use chrono::{DateTime, FixedOffset, SecondsFormat};
use rusqlite::{Connection, OptionalExtension, params};
use selfcheck_report::canonical::to_canonical_bytes;
use serde::Serialize;
use serde_json::{Value, json};
use sm3::Digest as _;

/// The `prev` of the first entry.
pub const GENESIS: &str = "sm3:0000000000000000000000000000000000000000000000000000000000000000";

/// What kind of thing an entry records.
pub mod kind {
    /// A person set a finding's status (body: the status and its fields).
    pub const STATUS_SET: &str = "status_set";
    /// A report was imported (body: report id, asset, period, file SHA-256).
    pub const REPORT_IMPORTED: &str = "report_imported";
    /// The asset registry was replaced by an import (body: file, rows, digest).
    pub const ASSETS_IMPORTED: &str = "assets_imported";
    /// The collector's CA issued a certificate (body: role, name, serial, SHA-256, validity).
    pub const CERT_ISSUED: &str = "cert_issued";
    /// A certificate was revoked (body: serial, name, reason).
    pub const CERT_REVOKED: &str = "cert_revoked";
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// Who: a person's name, or `selfcheck-collector` for imports.
    pub actor: &'a str,
    /// One of [`kind`].
    pub kind: &'a str,
    /// The finding a status change is about.
    pub fingerprint: Option<&'a str>,
    /// The entry's data (stored as canonical JSON).
    pub body: Value,
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What kind of entry.
    pub kind: String,
    /// The finding it is about, if any.
    pub fingerprint: Option<String>,
    /// The data.
    pub body: Value,
    /// The previous entry's digest.
    pub prev: String,
    /// This entry's digest.
    pub digest: String,
}

/// The canonical bytes an entry's digest covers.
fn digest_of(
    seq: i64,
    at: &str,
    actor: &str,
    kind: &str,
    fingerprint: Option<&str>,
    body: &Value,
    prev: &str,
) -> String {
    let bytes = to_canonical_bytes(&json!({
        "seq": seq,
        "at": at,
        "actor": actor,
        "kind": kind,
        "fingerprint": fingerprint,
        "body": body,
        "prev": prev,
    }));
    format!("sm3:{}", hex::encode(sm3::Sm3::digest(&bytes)))
}

/// Append an entry inside the caller's transaction (so the entry and the
/// change it records commit together, or neither does).
pub fn append(
    tx: &Connection,
    entry: &NewEntry<'_>,
    at: DateTime<FixedOffset>,
) -> rusqlite::Result<HistoryEntry> {
    let last: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, digest FROM history ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, digest)) => (seq + 1, digest),
        None => (1, GENESIS.to_string()),
    };
    let at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let body_text =
        String::from_utf8(to_canonical_bytes(&entry.body)).expect("canonical JSON is UTF-8");
    let digest = digest_of(
        seq,
        &at,
        entry.actor,
        entry.kind,
        entry.fingerprint,
        &entry.body,
        &prev,
    );
    tx.prepare_cached(
        "INSERT INTO history (seq, at, actor, kind, fingerprint, body, prev, digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        seq,
        at,
        entry.actor,
        entry.kind,
        entry.fingerprint,
        body_text,
        prev,
        digest
    ])?;
    Ok(HistoryEntry {
        seq,
        at,
        actor: entry.actor.to_string(),
        kind: entry.kind.to_string(),
        fingerprint: entry.fingerprint.map(str::to_string),
        body: entry.body.clone(),
        prev,
        digest,
    })
}

/// Entries of `kind` (all kinds when `None`), in chain order.
pub fn read(
    conn: &rusqlite::Connection,
    kind: Option<&str>,
) -> rusqlite::Result<Vec<HistoryEntry>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, kind, fingerprint, body, prev, digest FROM history
         WHERE ?1 IS NULL OR kind = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([kind], |r| {
        let body: String = r.get(5)?;
        Ok(HistoryEntry {
            seq: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            kind: r.get(3)?,
            fingerprint: r.get(4)?,
            // A body that is not JSON is kept as a string, and fails verification.
            body: serde_json::from_str(&body).unwrap_or(Value::String(body)),
            prev: r.get(6)?,
            digest: r.get(7)?,
        })
    })?;
    rows.collect()
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// The newest entry's digest (the genesis value when empty).
    pub head: String,
    /// Every problem found, each naming the entry.
    pub problems: Vec<String>,
}

impl Verification {
    /// Whether the chain is intact.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Check every entry: sequence without gaps, each `prev` equal to the digest
/// of the entry before, each digest equal to the digest of its own content.
pub fn verify(conn: &rusqlite::Connection) -> rusqlite::Result<Verification> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, kind, fingerprint, body, prev, digest FROM history ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_seq = 1i64;
    let mut prev_digest = GENESIS.to_string();
    let mut problems = Vec::new();
    let mut entries = 0u64;
    while let Some(r) = rows.next()? {
        entries += 1;
        let seq: i64 = r.get(0)?;
        let at: String = r.get(1)?;
        let actor: String = r.get(2)?;
        let kind: String = r.get(3)?;
        let fingerprint: Option<String> = r.get(4)?;
        let body_text: String = r.get(5)?;
        let prev: String = r.get(6)?;
        let digest: String = r.get(7)?;
        if seq != expected_seq {
            problems.push(format!(
                "entry {seq}: expected entry {expected_seq} here; entries {expected_seq}..{} are missing (deleted)",
                seq - 1
            ));
        }
        if prev != prev_digest {
            problems.push(format!(
                "entry {seq} ({kind} by {actor} at {at}): its link to the previous entry does not match (an entry before it was edited, removed or reordered)"
            ));
        }
        let body: Option<Value> = serde_json::from_str(&body_text).ok();
        let canonical_body = body
            .as_ref()
            .map(|b| String::from_utf8(to_canonical_bytes(b)).unwrap_or_default());
        let recomputed = body
            .as_ref()
            .map(|b| digest_of(seq, &at, &actor, &kind, fingerprint.as_deref(), b, &prev));
        if canonical_body.as_deref() != Some(body_text.as_str())
            || recomputed.as_deref() != Some(digest.as_str())
        {
            problems.push(format!(
                "entry {seq} ({kind} by {actor} at {at}): its content does not match its digest (the entry was edited)"
            ));
        }
        prev_digest = digest;
        expected_seq = seq + 1;
    }
    Ok(Verification {
        entries,
        head: prev_digest,
        problems,
    })
}

/// Check a run of entries taken out of the chain (an evidence package holds
/// one month's): consecutive sequence numbers from the first entry's, each
/// `prev` equal to the digest of the entry before (the genesis value for entry
/// 1), and each digest equal to the digest of the entry's own content. The
/// first entry's `prev` of a run that starts later cannot be checked here.
/// Returns every problem, each naming the entry; empty when the run is intact.
pub fn verify_entries(entries: &[HistoryEntry]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut before: Option<&HistoryEntry> = None;
    for e in entries {
        let label = format!("entry {} ({} by {} at {})", e.seq, e.kind, e.actor, e.at);
        match before {
            Some(b) => {
                if e.seq != b.seq + 1 {
                    problems.push(format!(
                        "entry {}: expected entry {} here; entries are missing, reordered or duplicated",
                        e.seq,
                        b.seq + 1
                    ));
                }
                if e.prev != b.digest {
                    problems.push(format!(
                        "{label}: its link to the previous entry does not match (an entry before it was edited, removed or reordered)"
                    ));
                }
            }
            None if e.seq == 1 && e.prev != GENESIS => problems.push(format!(
                "{label}: the first entry of the chain does not link to the genesis value"
            )),
            None if e.seq < 1 => problems.push(format!("{label}: sequence numbers start at 1")),
            None => {}
        }
        let recomputed = digest_of(
            e.seq,
            &e.at,
            &e.actor,
            &e.kind,
            e.fingerprint.as_deref(),
            &e.body,
            &e.prev,
        );
        if recomputed != e.digest {
            problems.push(format!(
                "{label}: its content does not match its digest (the entry was edited)"
            ));
        }
        before = Some(e);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&crate::store::schema_for_tests())
            .unwrap();
        conn
    }

    fn add(conn: &mut Connection, n: usize) {
        for i in 0..n {
            let tx = conn.transaction().unwrap();
            append(
                &tx,
                &NewEntry {
                    actor: "张工",
                    kind: kind::STATUS_SET,
                    fingerprint: Some("fp"),
                    body: json!({"status": "in_progress", "i": i}),
                },
                DateTime::parse_from_rfc3339("2026-11-20T10:00:00+08:00").unwrap(),
            )
            .unwrap();
            tx.commit().unwrap();
        }
    }

    #[test]
    fn an_intact_chain_verifies_and_names_its_head() {
        let mut conn = db();
        assert_eq!(verify(&conn).unwrap().head, GENESIS);
        add(&mut conn, 3);
        let v = verify(&conn).unwrap();
        assert!(v.is_intact(), "{:?}", v.problems);
        assert_eq!(v.entries, 3);
        let entries = read(&conn, None).unwrap();
        assert_eq!(v.head, entries[2].digest);
        assert_eq!(entries[1].prev, entries[0].digest);
    }

    #[test]
    fn a_run_of_entries_verifies_without_the_database() {
        let mut conn = db();
        add(&mut conn, 4);
        let entries = read(&conn, None).unwrap();
        assert!(verify_entries(&entries).is_empty());
        assert!(
            verify_entries(&entries[1..]).is_empty(),
            "a later run verifies too"
        );
        let mut edited = entries.clone();
        edited[2].body = json!({"status": "closed"});
        let problems = verify_entries(&edited);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("entry 3 (") && problems[0].contains("edited"));
        let mut gap = entries.clone();
        gap.remove(1);
        let problems = verify_entries(&gap);
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("entry 3: expected entry 2"))
        );
        assert!(problems.iter().any(|p| p.contains("link")), "{problems:?}");
    }

    #[test]
    fn edits_deletions_and_reordering_are_named() {
        let mut conn = db();
        add(&mut conn, 4);
        conn.execute(
            "UPDATE history SET body = '{\"i\":1,\"status\":\"closed\"}' WHERE seq = 2",
            [],
        )
        .unwrap();
        let v = verify(&conn).unwrap();
        assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
        assert!(v.problems[0].starts_with("entry 2 "), "{:?}", v.problems);
        assert!(v.problems[0].contains("edited"));

        let mut conn = db();
        add(&mut conn, 4);
        conn.execute("DELETE FROM history WHERE seq = 2", [])
            .unwrap();
        let v = verify(&conn).unwrap();
        assert!(
            v.problems
                .iter()
                .any(|p| p.starts_with("entry 3: expected entry 2"))
        );
        assert!(
            v.problems
                .iter()
                .any(|p| p.starts_with("entry 3 (") && p.contains("link"))
        );

        // Swapping two entries' places (renumbering them) breaks both links.
        let mut conn = db();
        add(&mut conn, 4);
        conn.execute_batch(
            "UPDATE history SET seq = 100 WHERE seq = 2;
             UPDATE history SET seq = 2 WHERE seq = 3;
             UPDATE history SET seq = 3 WHERE seq = 100;",
        )
        .unwrap();
        let v = verify(&conn).unwrap();
        assert!(!v.is_intact());
        assert!(
            v.problems.iter().any(|p| p.starts_with("entry 2 ")),
            "{:?}",
            v.problems
        );
    }
}
