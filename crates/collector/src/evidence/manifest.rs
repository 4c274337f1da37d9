//! `manifest.json` and `manifest.sig`: what an evidence package claims to hold,
//! and the collector's signature over exactly those bytes.
//!
//! The manifest is canonical JSON (see [`selfcheck_report::canonical`]) and a
//! final newline. `manifest.sig` is a small JSON document: Ed25519 over
//! [`MANIFEST_CONTEXT`], a NUL byte and the bytes of `manifest.json`, with the
//! signing key's public key and fingerprint, so a verifier can tell "edited
//! after signing" from "signed by another key". Where an SM2 key is
//! configured, `manifest.sm2.sig` holds its DER-encoded SM2 signature over
//! the same bytes, and the manifest names the key ([`Sm2KeyInfo`]).

use selfcheck_report::Period;
use selfcheck_report::canonical::to_canonical_bytes;
use serde::{Deserialize, Serialize};

/// The `format` of a version-1 package.
pub const MANIFEST_FORMAT: &str = "selfcheck-evidence-v1";

/// Context string of the manifest signature (keeps it from passing as any
/// other selfcheck signature).
pub const MANIFEST_CONTEXT: &str = "selfcheck-evidence-manifest-v1";

/// Member names with a fixed meaning.
pub mod names {
    /// The manifest.
    pub const MANIFEST: &str = "manifest.json";
    /// The manifest's signature.
    pub const SIGNATURE: &str = "manifest.sig";
    /// The collector's public key.
    pub const PUBLIC_KEY: &str = "collector-public-key.pem";
    /// The manifest's SM2 signature (DER), when an SM2 key is configured.
    pub const SM2_SIGNATURE: &str = "manifest.sm2.sig";
    /// The SM2 public key (PEM), when an SM2 key is configured.
    pub const SM2_PUBLIC_KEY: &str = "collector-sm2-public-key.pem";
    /// Folder of the raw agent reports.
    pub const REPORTS_DIR: &str = "reports/";
    /// Folder of the history run.
    pub const HISTORY_DIR: &str = "history/";
}

/// What a member is, so the verifier knows what else to check in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// A raw signed agent report (its own signature is checked too).
    Report,
    /// The month's run of the history, one entry per line (the chain is re-checked).
    History,
    /// A public key of the collector (Ed25519 or SM2).
    PublicKey,
    /// A ledger document (xlsx, csv, html, ...): digests only.
    Document,
}

/// One member as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestMember {
    /// Path inside the zip.
    pub name: String,
    /// What it is.
    pub kind: MemberKind,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// SM3 (GB/T 32905), lowercase hex.
    pub sm3: String,
    /// For reports: the report id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    /// For reports: the asset (machine id, or `hostname:NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_key: Option<String>,
    /// For reports: the host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// For reports: fingerprint of the agent key that signed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_key_fingerprint: Option<String>,
}

/// The collector key that signs the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorKeyInfo {
    /// Always `ed25519`.
    pub algorithm: String,
    /// `sha256:` + hex SHA-256 of the 32 public-key bytes.
    pub key_fingerprint: String,
    /// The member holding the public key (PEM).
    pub public_key_member: String,
}

/// The SM2 key that also signs the manifest (`manifest.sm2.sig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sm2KeyInfo {
    /// Always `sm2-sm3` ([`SM2_ALGORITHM`](super::sm2::SM2_ALGORITHM)).
    pub algorithm: String,
    /// The distinguishing identifier, `1234567812345678`.
    pub distid: String,
    /// `sm3:` + hex SM3 of the public key's SEC1 uncompressed point.
    pub key_fingerprint: String,
    /// The member holding the public key (PEM).
    pub public_key_member: String,
}

/// The history as it stood when the package was made, and the run included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryInfo {
    /// The member holding the run (JSON lines).
    pub member: String,
    /// Digest of the newest entry of the whole chain at packaging time.
    pub head: String,
    /// Entries in the whole chain at packaging time.
    pub count: u64,
    /// Entries in the member.
    pub entries: u64,
    /// Sequence number of the member's first entry (none when empty).
    pub first_seq: Option<i64>,
    /// Sequence number of the member's last entry (none when empty).
    pub last_seq: Option<i64>,
    /// The signed head: the collector key's seal of `head` (the seal of entry
    /// `count`, see `selfcheck_ledger::history`); none when the history is
    /// empty or was made before sealing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_seal: Option<String>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// The inspection month.
    pub period: Period,
    /// When the package was made (RFC 3339).
    pub created_at: String,
    /// The key that signs this manifest.
    pub collector: CollectorKeyInfo,
    /// The SM2 key that signs it too, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector_sm2: Option<Sm2KeyInfo>,
    /// The history at packaging time.
    pub history: HistoryInfo,
    /// Every member except `manifest.json` and its signatures, by name.
    pub members: Vec<ManifestMember>,
}

impl Manifest {
    /// The bytes of `manifest.json`: canonical JSON and a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        // The manifest holds only strings, integers and lists: it always serialises.
        let value = serde_json::to_value(self).unwrap_or_default();
        let mut bytes = to_canonical_bytes(&value);
        bytes.push(b'\n');
        bytes
    }
}

/// `manifest.sig`. Every field is checked by the verifier; an unknown one
/// is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestSignature {
    /// Always `ed25519`.
    pub algorithm: String,
    /// [`MANIFEST_CONTEXT`].
    pub context: String,
    /// The signing key's public key, 64 hex digits.
    pub public_key: String,
    /// Its fingerprint (`sha256:HEX`).
    pub key_fingerprint: String,
    /// The signature, 128 hex digits.
    pub value: String,
}

impl ManifestSignature {
    /// The bytes of `manifest.sig`: canonical JSON and a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).unwrap_or_default();
        let mut bytes = to_canonical_bytes(&value);
        bytes.push(b'\n');
        bytes
    }
}
