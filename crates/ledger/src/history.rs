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
//!
//! The digests alone are unkeyed: whoever can write the database can edit an
//! entry and recompute every digest after it. So each entry is also *sealed*:
//! an Ed25519 signature with the collector's key over [`SEAL_CONTEXT`], a NUL
//! byte and the entry's digest ([`HistorySealer`]). The seal of the newest
//! entry is the signed head an evidence package carries; a rewrite without
//! the key breaks the seals, and a rewrite with it no longer extends the head
//! the office holds from last month's package. A store made before sealing
//! is bound once, on its first write with the key: every entry sealed and a
//! [`kind::HISTORY_SEALED`] entry recording the range.
//!
//! Entries are in time order: an entry dated before the head is refused
//! ([`HistoryRefusal::BeforeHead`]), so a wrong clock cannot back-date an
//! action into a month already handed over.

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
    /// The entries of a store made before sealing were sealed with the
    /// collector key (body: first and last entry sealed, their head digest,
    /// the key's fingerprint).
    pub const HISTORY_SEALED: &str = "history_sealed";
    /// An evidence package was signed (body: period, the history head it
    /// carries as seq and digest, the collector key's fingerprint); the next
    /// month's package starts its history run at that head, so the office can
    /// check that one extends the other.
    pub const EVIDENCE_SIGNED: &str = "evidence_signed";
}

/// Context string of an entry's seal (keeps it from passing as any other
/// selfcheck signature).
pub const SEAL_CONTEXT: &str = "selfcheck-history-seal-v1";

/// How far before the head a report import may be dated: imports stamp their
/// time before they wait for the store's write lock, so a concurrent writer
/// (the upload server and a command-line import) can commit in between.
/// Actions people take are never dated before the head.
pub const IMPORT_CLOCK_SLACK_SECONDS: i64 = 600;

/// The collector's key as the history sees it: it seals an entry's digest.
/// The ledger does not know where the key lives; the collector hands one in
/// ([`crate::store::Store::attach_sealer`]).
pub trait HistorySealer: Send + Sync {
    /// `sha256:HEX` of the sealing key's public key.
    fn key_fingerprint(&self) -> String;
    /// The public key, 64 hex digits (to check seals with).
    fn public_key_hex(&self) -> String;
    /// The seal of an entry with this digest (Ed25519, 128 hex digits).
    fn seal(&self, digest: &str) -> String;
}

impl HistorySealer for selfcheck_report::AgentKey {
    fn key_fingerprint(&self) -> String {
        self.fingerprint()
    }
    fn public_key_hex(&self) -> String {
        selfcheck_report::AgentKey::public_key_hex(self)
    }
    fn seal(&self, digest: &str) -> String {
        self.sign_detached(SEAL_CONTEXT, digest.as_bytes())
    }
}

/// `sha256:` + hex SHA-256 of a public key given as hex (as [`selfcheck_report::AgentKey::fingerprint`]).
pub fn fingerprint_of_hex(public_hex: &str) -> String {
    use sha2::Digest as _;
    let bytes = hex::decode(public_hex).unwrap_or_default();
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// Whether `seal` is the seal of `digest` under the public key `public_hex`.
pub fn seal_verifies(public_hex: &str, digest: &str, seal: &str) -> bool {
    selfcheck_report::verify_detached(public_hex, SEAL_CONTEXT, digest.as_bytes(), seal).is_ok()
}

/// Why an entry was not appended. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryRefusal {
    /// The entry is dated before the newest entry of the history.
    #[error(
        "the time of this {kind} entry, {at}, is before the newest history entry {head_seq} ({head_at}); nothing is recorded before the history it extends: set the collector's clock right (date, timedatectl, NTP) and run the command again"
    )]
    BeforeHead {
        /// The entry's kind.
        kind: String,
        /// Its time.
        at: String,
        /// The head's sequence number.
        head_seq: i64,
        /// The head's time.
        head_at: String,
    },
    /// The history is sealed, and the writer holds no collector key.
    #[error(
        "the history is sealed with the collector key, and this store was opened without it; use selfcheck-collector (it loads DATA/collector-key.pem)"
    )]
    NoSealer,
    /// Some entries are sealed and some are not: written outside the collector.
    #[error(
        "history entry {seq} has no seal though the history is sealed: it was written outside the collector; run `selfcheck-collector store verify`, and restore the store from a backup"
    )]
    Unsealed {
        /// The first unsealed entry.
        seq: i64,
    },
    /// A store made before sealing cannot be bound: its chain is broken.
    #[error(
        "cannot bind the history to the collector key: its chain is broken ({problem}); run `selfcheck-collector history verify` and restore the store from a backup"
    )]
    BrokenBeforeSealing {
        /// The first problem of the chain.
        problem: String,
    },
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
    /// The collector key's seal of the digest ([`SEAL_CONTEXT`]); none in a
    /// store made before sealing, until it is bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
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
    /// Entries whose seal verified under the collector key.
    pub sealed: u64,
    /// The collector key the seals were checked with; none when not checked.
    pub key_fingerprint: Option<String>,
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

/// Check the seals of a run of entries under the collector's public key
/// (`public_hex`): every entry sealed, every seal valid. A run in which no
/// entry is sealed (a store made before sealing) is one problem naming the
/// range. Returns the number of valid seals and every problem, each naming
/// the entry.
pub fn verify_seals(entries: &[HistoryEntry], public_hex: &str) -> (u64, Vec<String>) {
    let mut problems = Vec::new();
    if entries.iter().all(|e| e.seal.is_none()) {
        if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
            problems.push(format!(
                "entries {}..{} are not sealed with the collector key (the store was made before history sealing, or the seals were removed); `selfcheck-collector store seal` binds a store made before sealing",
                first.seq, last.seq
            ));
        }
        return (0, problems);
    }
    let mut sealed = 0;
    for e in entries {
        let label = format!("entry {} ({} by {} at {})", e.seq, e.kind, e.actor, e.at);
        match &e.seal {
            None => problems.push(format!(
                "{label}: has no seal: it was added or rewritten without the collector key"
            )),
            Some(seal) if seal_verifies(public_hex, &e.digest, seal) => sealed += 1,
            Some(_) => problems.push(format!(
                "{label}: its seal does not verify under the collector key: the entry was rewritten (digests recomputed) without the key, or sealed by another key"
            )),
        }
    }
    (sealed, problems)
}
