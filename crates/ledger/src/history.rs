//! The hash-chained history: every status change people make, every report
//! imported and every asset-registry import, in order, each entry carrying
//! the digest of the one before it.
//!
//! Statuses are never stored anywhere else: the ledger's statuses are derived
//! from this history and the stored reports, so nothing changes without an
//! entry here. An entry's digest is SM3 (GB/T 32905) over its canonical JSON
//! (seq, time, actor, kind, fingerprint, body and the previous digest), so
//! editing, reordering or deleting an entry breaks the chain at that entry,
//! and the store's `verify_history` names it. Deleting the newest entries leaves a shorter
//! valid chain; the head digest and count it prints are what an
//! evidence package records to catch that.

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
    /// An asset's pinned agent key was replaced by the key of a report the
    /// person accepted with `--accept-new-key HOST` (body: asset key, host
    /// name, old and new key fingerprints, report id, source).
    pub const AGENT_KEY_REPINNED: &str = "agent_key_repinned";
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
pub(crate) fn digest_of(
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
