//! The history table: appending an entry to the chain, reading entries back
//! and verifying the chain as stored. The chain's rules (digests, what a
//! break means) are in [`crate::history`].

use super::{Store, StoreError};
use crate::history::{
    GENESIS, HistoryEntry, HistoryRefusal, HistorySealer, IMPORT_CLOCK_SLACK_SECONDS, NewEntry,
    Verification, digest_of, kind, verify_seals,
};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use selfcheck_report::canonical::to_canonical_bytes;
use serde_json::{Value, json};

impl Store {
    /// Every history entry in chain order, or only those of one [`crate::history::kind`].
    pub fn history(&self, kind: Option<&str>) -> Result<Vec<HistoryEntry>, StoreError> {
        read(&self.conn, kind).map_err(|e| self.err(e))
    }

    /// Walk the stored chain and say where it is broken, with its head digest
    /// and length (what an evidence package records). The digests only: see
    /// [`Store::verify_history_sealed`] for the check that needs the key.
    pub fn verify_history(&self) -> Result<Verification, StoreError> {
        verify(&self.conn).map_err(|e| self.err(e))
    }

    /// [`Store::verify_history`], and every entry's seal under the collector's
    /// public key `public_hex` (64 hex digits): recomputed digests pass the
    /// chain check but not this one.
    pub fn verify_history_sealed(&self, public_hex: &str) -> Result<Verification, StoreError> {
        let mut v = verify(&self.conn).map_err(|e| self.err(e))?;
        let entries = read(&self.conn, None).map_err(|e| self.err(e))?;
        let (sealed, problems) = verify_seals(&entries, public_hex);
        v.sealed = sealed;
        v.key_fingerprint = Some(crate::history::fingerprint_of_hex(public_hex));
        v.problems.extend(problems);
        Ok(v)
    }

    /// Record that an evidence package of `period` was signed carrying the
    /// history head `head_seq`/`head` (an [`kind::EVIDENCE_SIGNED`] entry):
    /// the next month's package starts its history run at that head.
    pub fn record_evidence_signed(
        &mut self,
        period: selfcheck_report::Period,
        head_seq: u64,
        head: &str,
        key_fingerprint: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<HistoryEntry, StoreError> {
        let tx = self.write_tx()?;
        let entry = append(
            &tx,
            &NewEntry {
                actor: "selfcheck-collector",
                kind: kind::EVIDENCE_SIGNED,
                fingerprint: None,
                body: json!({
                    "period": period.to_string(),
                    "head_seq": head_seq,
                    "head": head,
                    "key_fingerprint": key_fingerprint,
                }),
            },
            at,
            self.sealer(),
        )
        .and_then(|entry| tx.commit().map(|()| entry));
        entry.map_err(|e| self.err(e))
    }

    /// Seal every entry this store appends from now on with `sealer` (the
    /// collector's key). A store made before sealing is bound first, in one
    /// transaction: each existing entry sealed, and a
    /// [`kind::HISTORY_SEALED`] entry recording the range; that entry is
    /// returned (none when there was nothing to bind). A chain that is already
    /// broken is not bound: the error says so, and nothing changes.
    pub fn attach_sealer(
        &mut self,
        sealer: Box<dyn HistorySealer>,
    ) -> Result<Option<HistoryEntry>, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| StoreError::sqlite(&path, source))?;
        let now = chrono::Utc::now().fixed_offset();
        let bound = bind_unsealed(&tx, sealer.as_ref(), now)
            .and_then(|bound| tx.commit().map(|()| bound))
            .map_err(|source| StoreError::sqlite(&path, source))?;
        self.sealer = Some(sealer);
        Ok(bound)
    }
}

/// A refusal to append, carried through SQLite's error type to the store's
/// caller ([`StoreError::sqlite`] unwraps it).
fn refused(refusal: HistoryRefusal) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(refusal))
}

/// The newest entry: seq, time, digest, seal.
type Head = (i64, String, String, Option<String>);

fn head(tx: &Connection) -> rusqlite::Result<Option<Head>> {
    tx.prepare_cached("SELECT seq, at, digest, seal FROM history ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()
}

/// Bind a store made before sealing: when no entry is sealed, seal them all
/// and record it. Refused when the chain is broken or only partly sealed.
fn bind_unsealed(
    tx: &Connection,
    sealer: &dyn HistorySealer,
    now: DateTime<FixedOffset>,
) -> rusqlite::Result<Option<HistoryEntry>> {
    let (unsealed, sealed): (i64, i64) = tx.query_row(
        "SELECT COUNT(*) FILTER (WHERE seal IS NULL), COUNT(*) FILTER (WHERE seal IS NOT NULL) FROM history",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if unsealed == 0 {
        return Ok(None);
    }
    if sealed > 0 {
        let seq: i64 =
            tx.query_row("SELECT MIN(seq) FROM history WHERE seal IS NULL", [], |r| {
                r.get(0)
            })?;
        return Err(refused(HistoryRefusal::Unsealed { seq }));
    }
    let chain = verify(tx)?;
    if let Some(problem) = chain.problems.first() {
        return Err(refused(HistoryRefusal::BrokenBeforeSealing {
            problem: problem.clone(),
        }));
    }
    {
        let mut entries = tx.prepare("SELECT seq, digest FROM history ORDER BY seq")?;
        let mut update = tx.prepare("UPDATE history SET seal = ?2 WHERE seq = ?1")?;
        let rows: Vec<(i64, String)> = entries
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (seq, digest) in rows {
            update.execute(params![seq, sealer.seal(&digest)])?;
        }
    }
    let entry = append(
        tx,
        &NewEntry {
            actor: "selfcheck-collector",
            kind: kind::HISTORY_SEALED,
            fingerprint: None,
            body: json!({
                "first_seq": 1,
                "last_seq": chain.entries,
                "head": chain.head,
                "key_fingerprint": sealer.key_fingerprint(),
            }),
        },
        now,
        Some(sealer),
    )?;
    Ok(Some(entry))
}

/// Append an entry inside the caller's transaction (so the entry and the
/// change it records commit together, or neither does), sealed with `sealer`.
/// Refused ([`HistoryRefusal`]) when it is dated before the head (beyond
/// [`IMPORT_CLOCK_SLACK_SECONDS`] for a report import), when the history is
/// sealed and there is no sealer, or when the head is unsealed in a sealed
/// history.
pub(crate) fn append(
    tx: &Connection,
    entry: &NewEntry<'_>,
    at: DateTime<FixedOffset>,
    sealer: Option<&dyn HistorySealer>,
) -> rusqlite::Result<HistoryEntry> {
    let last = head(tx)?;
    if let Some((head_seq, head_at, _, head_seal)) = &last {
        let slack = if entry.kind == kind::REPORT_IMPORTED {
            chrono::Duration::seconds(IMPORT_CLOCK_SLACK_SECONDS)
        } else {
            chrono::Duration::zero()
        };
        // A head time that does not parse fails verification; it does not block.
        if let Ok(head_time) = DateTime::parse_from_rfc3339(head_at)
            && at + slack < head_time
        {
            return Err(refused(HistoryRefusal::BeforeHead {
                kind: entry.kind.to_string(),
                at: at.to_rfc3339_opts(SecondsFormat::Secs, false),
                head_seq: *head_seq,
                head_at: head_at.clone(),
            }));
        }
        match (sealer, head_seal) {
            (None, Some(_)) => return Err(refused(HistoryRefusal::NoSealer)),
            (Some(s), None) => {
                // A store made before sealing is bound before it grows.
                bind_unsealed(tx, s, at)?;
                return append(tx, entry, at, sealer);
            }
            _ => {}
        }
    }
    let (seq, prev) = match last {
        Some((seq, _, digest, _)) => (seq + 1, digest),
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
    let seal = sealer.map(|s| s.seal(&digest));
    tx.prepare_cached(
        "INSERT INTO history (seq, at, actor, kind, fingerprint, body, prev, digest, seal)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        seq,
        at,
        entry.actor,
        entry.kind,
        entry.fingerprint,
        body_text,
        prev,
        digest,
        seal
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
        seal,
    })
}

/// Entries of `kind` (all kinds when `None`), in chain order.
pub(crate) fn read(
    conn: &rusqlite::Connection,
    kind: Option<&str>,
) -> rusqlite::Result<Vec<HistoryEntry>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, kind, fingerprint, body, prev, digest, seal FROM history
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
            seal: r.get(8)?,
        })
    })?;
    rows.collect()
}

/// Check every entry: sequence without gaps, each `prev` equal to the digest
/// of the entry before, each digest equal to the digest of its own content.
pub(crate) fn verify(conn: &rusqlite::Connection) -> rusqlite::Result<Verification> {
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
        sealed: 0,
        key_fingerprint: None,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{kind, verify_entries};
    use rusqlite::Connection;
    use serde_json::json;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&super::super::schema_for_tests())
            .unwrap();
        conn.execute_batch(super::super::schema::SCHEMA_V5).unwrap();
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
                None,
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

    fn entry_at<'a>(kind: &'a str, body: Value) -> NewEntry<'a> {
        NewEntry {
            actor: "张工",
            kind,
            fingerprint: None,
            body,
        }
    }

    fn time(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn entries_before_the_head_are_refused_but_imports_have_slack() {
        let mut conn = db();
        add(&mut conn, 1); // 2026-11-20T10:00:00+08:00
        let tx = conn.transaction().unwrap();
        let err = append(
            &tx,
            &entry_at(kind::STATUS_SET, json!({})),
            time("2026-11-20T09:59:59+08:00"),
            None,
        )
        .unwrap_err();
        let rusqlite::Error::ToSqlConversionFailure(inner) = err else {
            panic!("{err}")
        };
        let refusal = inner.downcast_ref::<HistoryRefusal>().unwrap();
        assert!(matches!(
            refusal,
            HistoryRefusal::BeforeHead { head_seq: 1, .. }
        ));
        // A concurrent import stamped five minutes earlier is kept.
        append(
            &tx,
            &entry_at(kind::REPORT_IMPORTED, json!({})),
            time("2026-11-20T09:55:00+08:00"),
            None,
        )
        .unwrap();
        // The same instant as the head is not before it.
        append(
            &tx,
            &entry_at(kind::STATUS_SET, json!({})),
            time("2026-11-20T10:00:00+08:00"),
            None,
        )
        .unwrap();
        // Far before: refused for imports too.
        assert!(
            append(
                &tx,
                &entry_at(kind::REPORT_IMPORTED, json!({})),
                time("2006-01-01T00:00:00+08:00"),
                None,
            )
            .is_err()
        );
    }

    #[test]
    fn a_broken_chain_made_before_sealing_is_not_bound() {
        let mut conn = db();
        add(&mut conn, 3);
        conn.execute("UPDATE history SET actor = '李工' WHERE seq = 2", [])
            .unwrap();
        let key = selfcheck_report::AgentKey::from_secret_bytes([9; 32]);
        let tx = conn.transaction().unwrap();
        let err = bind_unsealed(&tx, &key, time("2026-11-21T00:00:00Z")).unwrap_err();
        assert!(err.to_string().contains("chain is broken"), "{err}");
        drop(tx);
        let unsealed: i64 = conn
            .query_row("SELECT COUNT(*) FROM history WHERE seal IS NULL", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(unsealed, 3, "nothing changed");
    }

    #[test]
    fn bound_entries_verify_under_the_key_and_not_under_another() {
        let mut conn = db();
        add(&mut conn, 2);
        let key = selfcheck_report::AgentKey::from_secret_bytes([9; 32]);
        let tx = conn.transaction().unwrap();
        let sealed = bind_unsealed(&tx, &key, time("2026-11-21T00:00:00Z"))
            .unwrap()
            .unwrap();
        tx.commit().unwrap();
        assert_eq!(
            (sealed.seq, sealed.kind.as_str()),
            (3, kind::HISTORY_SEALED)
        );
        let entries = read(&conn, None).unwrap();
        let (ok, problems) = verify_seals(&entries, &key.public_key_hex());
        assert_eq!((ok, problems.len()), (3, 0), "{problems:?}");
        let other = selfcheck_report::AgentKey::from_secret_bytes([8; 32]);
        let (ok, problems) = verify_seals(&entries, &other.public_key_hex());
        assert_eq!((ok, problems.len()), (0, 3));
        // An unsealed writer is refused now.
        let tx = conn.transaction().unwrap();
        assert!(
            append(
                &tx,
                &entry_at(kind::STATUS_SET, json!({})),
                time("2026-11-22T00:00:00Z"),
                None,
            )
            .is_err()
        );
    }
}
