//! Signed reports: the agent key, signing, and the one place reports are
//! checked before anything trusts them.
//!
//! The signed message is `selfcheck-report-v1\0` followed by the canonical bytes
//! (see [`crate::canonical`]) of the `report` member. The file itself is the
//! canonical bytes of `{"report":…,"signature":…}` plus a newline, so any change
//! of one byte either breaks the JSON, or changes a value the signature covers.

use crate::canonical::to_canonical_bytes;
use crate::file_kind::FileKind;
use crate::ids::Fingerprint;
use crate::report::{READABLE_SCHEMA_VERSIONS, Report, SCHEMA_VERSION};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Largest report file a reader accepts (32 MiB). Real reports are far smaller.
pub const MAX_REPORT_BYTES: usize = 32 * 1024 * 1024;

const SIGNING_CONTEXT: &[u8] = b"selfcheck-report-v1\0";

/// The UTF-8 byte-order mark some editors put at the start of a file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The canonical file bytes' SHA-256 from the canonical bytes of the
/// `report` member and of the signature block.
fn canonical_file_sha256(report: &[u8], signature: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"{\"report\":");
    h.update(report);
    h.update(b",\"signature\":");
    h.update(signature);
    h.update(b"}\n");
    hex::encode(h.finalize())
}

/// Why a report was refused. Each message says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file is larger than [`MAX_REPORT_BYTES`].
    #[error(
        "report is {size} bytes, more than the {max}-byte limit; this is not a selfcheck report"
    )]
    TooLarge {
        /// Actual size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The JSON ends before it is complete.
    #[error(
        "report is truncated (JSON ends early at line {line}, column {column}); copy the file again from the host"
    )]
    Truncated {
        /// Line where the data ended.
        line: usize,
        /// Column where the data ended.
        column: usize,
    },
    /// The bytes are not JSON.
    #[error("report is not valid JSON: {message}")]
    NotJson {
        /// serde_json's description, with line and column.
        message: String,
    },
    /// Another kind of file people mix up with reports (a workbook, a package, ...).
    #[error("not a selfcheck report: {}", .0.sentence())]
    WrongKind(FileKind),
    /// JSON, but not shaped like a signed report.
    #[error("not a selfcheck signed report: {0}")]
    Structure(String),
    /// A report of another format version.
    #[error(
        "report has schema_version {found}, this program reads versions 1 to {SCHEMA_VERSION}; upgrade the collector or the agent so both speak the same version"
    )]
    UnsupportedSchemaVersion {
        /// What the report said.
        found: String,
    },
    /// Signature missing, malformed, or not matching the content.
    #[error(
        "report signature is invalid: {0}; the report was altered after signing or was not written by a selfcheck agent"
    )]
    BadSignature(String),
    /// Signed correctly, but the content breaks a rule of the format.
    #[error("report content is invalid: {0}")]
    Invalid(String),
    /// A key file could not be read or written.
    #[error("agent key: {0}")]
    Key(String),
}

/// The signature block of a report file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Always `ed25519`.
    pub algorithm: String,
    /// The agent's public key, 64 hex digits.
    pub public_key: String,
    /// `sha256:` and the SHA-256 of the 32 public-key bytes, in hex.
    pub key_fingerprint: String,
    /// The Ed25519 signature, 128 hex digits.
    pub value: String,
}

/// A report together with its signature: the content of a report file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedReport {
    /// The report.
    pub report: Report,
    /// Signature over the report's canonical bytes.
    pub signature: Signature,
}

/// A report whose signature and content have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedReport {
    /// The signed report as read.
    pub signed: SignedReport,
    /// SHA-256 of the file bytes, hex.
    pub file_sha256: String,
    /// SHA-256 of the report's canonical file bytes (canonical JSON of the
    /// whole signed report and a newline), hex: the same for every spelling
    /// of one signed report (re-indented, members reordered, a byte-order
    /// mark), and equal to `file_sha256` for a file as the agent wrote it.
    /// Two files are the same report when this digest is the same.
    pub canonical_sha256: String,
}

/// An agent's Ed25519 signing key.
pub struct AgentKey {
    key: SigningKey,
}

impl std::fmt::Debug for AgentKey {
    /// Shows only the public fingerprint, never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentKey")
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl AgentKey {
    /// A key from 32 secret bytes (from the OS random source when generating).
    pub fn from_secret_bytes(secret: [u8; 32]) -> AgentKey {
        AgentKey {
            key: SigningKey::from_bytes(&secret),
        }
    }

    /// Read a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey -algorithm ed25519` writes.
    pub fn from_pkcs8_pem(pem: &str) -> Result<AgentKey, ReportError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(|key| AgentKey { key })
            .map_err(|e| ReportError::Key(format!("not an Ed25519 PKCS#8 PEM private key: {e}")))
    }

    /// The key as PKCS#8 v1 PEM (the secret only, as `openssl genpkey` writes
    /// it; OpenSSL 3.0 does not read the v2 form that also embeds the public key).
    pub fn to_pkcs8_pem(&self) -> Result<String, ReportError> {
        let bytes = ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: self.key.to_bytes(),
            public_key: None,
        };
        bytes
            .to_pkcs8_pem(Default::default())
            .map(|z| z.to_string())
            .map_err(|e| ReportError::Key(format!("cannot encode key: {e}")))
    }

    /// The public key, 64 hex digits.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// `sha256:` + hex SHA-256 of the public key: how reports and the collector name this key.
    pub fn fingerprint(&self) -> String {
        key_fingerprint(self.key.verifying_key().as_bytes())
    }

    /// Sign a report.
    pub fn sign(&self, report: Report) -> Result<SignedReport, ReportError> {
        let value = serde_json::to_value(&report)
            .map_err(|e| ReportError::Invalid(format!("cannot serialise report: {e}")))?;
        let sig = self.key.sign(&signed_message(&value));
        Ok(SignedReport {
            report,
            signature: Signature {
                algorithm: "ed25519".to_string(),
                public_key: self.public_key_hex(),
                key_fingerprint: self.fingerprint(),
                value: hex::encode(sig.to_bytes()),
            },
        })
    }
}

impl AgentKey {
    /// Sign any other document of this agent (a file-integrity baseline, ...):
    /// Ed25519 over `context`, a NUL byte, and `message`; the signature in hex.
    /// A distinct `context` per kind of document keeps one kind's signature from
    /// passing as another's.
    pub fn sign_detached(&self, context: &str, message: &[u8]) -> String {
        hex::encode(
            self.key
                .sign(&detached_message(context, message))
                .to_bytes(),
        )
    }
}

fn detached_message(context: &str, message: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(context.len() + 1 + message.len());
    m.extend_from_slice(context.as_bytes());
    m.push(0);
    m.extend_from_slice(message);
    m
}

/// Check a signature made by [`AgentKey::sign_detached`] with the public key
/// `public_key_hex` (64 hex digits).
pub fn verify_detached(
    public_key_hex: &str,
    context: &str,
    message: &[u8],
    signature_hex: &str,
) -> Result<(), ReportError> {
    let public: [u8; 32] = decode_hex("public_key", public_key_hex)?;
    let sig: [u8; 64] = decode_hex("signature", signature_hex)?;
    let key = VerifyingKey::from_bytes(&public).map_err(|e| {
        ReportError::BadSignature(format!("public key is not a valid Ed25519 key: {e}"))
    })?;
    key.verify_strict(
        &detached_message(context, message),
        &ed25519_dalek::Signature::from_bytes(&sig),
    )
    .map_err(|_| {
        ReportError::BadSignature("the signature does not match the signed content".into())
    })
}

fn key_fingerprint(public_key: &[u8; 32]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(public_key)))
}

fn signed_message(report: &Value) -> Vec<u8> {
    let mut msg = SIGNING_CONTEXT.to_vec();
    msg.extend_from_slice(&to_canonical_bytes(report));
    msg
}

impl SignedReport {
    /// The bytes of a report file: canonical JSON and a final newline.
    pub fn to_file_bytes(&self) -> Result<Vec<u8>, ReportError> {
        let value = serde_json::to_value(self)
            .map_err(|e| ReportError::Invalid(format!("cannot serialise report: {e}")))?;
        let mut bytes = to_canonical_bytes(&value);
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Check a report file completely: size, JSON, format version, signature,
    /// then the rules of the format. Nothing from a report should be used
    /// before this returned `Ok`. A UTF-8 byte-order mark at the start (an
    /// editor's) is skipped; `file_sha256` is still of the bytes as given.
    pub fn verify_bytes(bytes: &[u8]) -> Result<VerifiedReport, ReportError> {
        if bytes.len() > MAX_REPORT_BYTES {
            return Err(ReportError::TooLarge {
                size: bytes.len(),
                max: MAX_REPORT_BYTES,
            });
        }
        let file_sha256 = hex::encode(Sha256::digest(bytes));
        let json = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        if let Some(verified) = verify_as_written(json, &file_sha256) {
            return verified;
        }
        // The general path reads the file without a tree of JSON values
        // (which costs ~17 times the file): the two members are kept as
        // places in the text, the report's canonical bytes are written from
        // its text, and the report is read from exactly the bytes signed.
        let not_json = |e: serde_json::Error| {
            if e.is_eof() {
                ReportError::Truncated {
                    line: e.line(),
                    column: e.column(),
                }
            } else if let Some(kind) = FileKind::sniff(bytes) {
                ReportError::WrongKind(kind)
            } else {
                ReportError::NotJson {
                    message: e.to_string(),
                }
            }
        };
        let top = TopLevel::read(json).map_err(not_json)?;
        let TopLevel::Object {
            report: report_raw,
            signature: signature_raw,
            unexpected,
        } = top
        else {
            return Err(ReportError::Structure(
                "the top level is not a JSON object".into(),
            ));
        };
        if let Some(key) = unexpected {
            return Err(ReportError::Structure(format!(
                "unexpected top-level member {key:?}"
            )));
        }
        let report_raw =
            report_raw.ok_or_else(|| ReportError::Structure("no \"report\" member".into()))?;
        let signature_raw = signature_raw.ok_or_else(|| {
            ReportError::BadSignature("the report has no \"signature\" member".into())
        })?;

        match schema_version_of(report_raw.get()) {
            Some(raw)
                if serde_json::from_str::<u32>(raw.get())
                    .is_ok_and(|v| READABLE_SCHEMA_VERSIONS.contains(&v)) => {}
            Some(other) => {
                let found = crate::canonical::raw_to_canonical_bytes(other.get())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_else(|_| other.get().to_string());
                let found = if found.chars().count() > 100 {
                    format!("{}…", found.chars().take(100).collect::<String>())
                } else {
                    found
                };
                return Err(ReportError::UnsupportedSchemaVersion { found });
            }
            None => {
                return Err(ReportError::Structure(
                    "the report has no schema_version".into(),
                ));
            }
        }

        let signature: Signature = serde_json::from_str(signature_raw.get())
            .map_err(|e| ReportError::BadSignature(format!("malformed signature block: {e}")))?;
        // A malformed block is refused before the report is read.
        signature_parts(&signature)?;
        let signature_canonical = crate::canonical::raw_to_canonical_bytes(signature_raw.get())
            .map_err(|e| ReportError::BadSignature(format!("malformed signature block: {e}")))?;
        // The message signed is the context and the canonical bytes, built
        // in one buffer; the report is read from exactly those bytes.
        let mut message = Vec::with_capacity(SIGNING_CONTEXT.len() + report_raw.get().len());
        message.extend_from_slice(SIGNING_CONTEXT);
        crate::canonical::raw_to_canonical_bytes_into(report_raw.get(), &mut message)
            .map_err(|e| ReportError::Structure(format!("the report member: {e}")))?;
        check_signature(&signature, &message)?;
        let report_canonical = &message[SIGNING_CONTEXT.len()..];
        let canonical_sha256 = canonical_file_sha256(report_canonical, &signature_canonical);
        let report: Report = serde_json::from_slice(report_canonical)
            .map_err(|e| ReportError::Invalid(e.to_string()))?;
        drop(message);
        check_rules(&report)?;
        Ok(VerifiedReport {
            signed: SignedReport { report, signature },
            file_sha256,
            canonical_sha256,
        })
    }
}

/// The top level of a report file as read without a tree: the last
/// `report` and `signature` members as places in the text, and the first
/// member of another name.
enum TopLevel<'a> {
    Object {
        report: Option<&'a RawValue>,
        signature: Option<&'a RawValue>,
        unexpected: Option<String>,
    },
    NotObject,
}

impl<'a> TopLevel<'a> {
    /// Read the whole file (a JSON error anywhere in it is an error here).
    fn read(bytes: &'a [u8]) -> Result<TopLevel<'a>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let top = serde::Deserializer::deserialize_any(&mut de, TopVisitor)?;
        de.end()?;
        Ok(top)
    }
}

struct TopVisitor;

impl<'de> serde::de::Visitor<'de> for TopVisitor {
    type Value = TopLevel<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<TopLevel<'de>, A::Error> {
        let (mut report, mut signature, mut unexpected) = (None, None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let value: &'de RawValue = map.next_value()?;
            match key.as_ref() {
                "report" => report = Some(value),
                "signature" => signature = Some(value),
                other => {
                    if unexpected.is_none() {
                        unexpected = Some(other.to_string());
                    }
                }
            }
        }
        Ok(TopLevel::Object {
            report,
            signature,
            unexpected,
        })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<TopLevel<'de>, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(TopLevel::NotObject)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::NotObject)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::NotObject)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::NotObject)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::NotObject)
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::NotObject)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::NotObject)
    }
}

/// The `schema_version` member of the report's text (the last one), when
/// the report is an object that has one; nothing else of it is kept.
fn schema_version_of(report: &str) -> Option<&RawValue> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<&'de RawValue>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "schema_version" {
                    found = Some(map.next_value::<&'de RawValue>()?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    let mut de = serde_json::Deserializer::from_str(report);
    serde::Deserializer::deserialize_map(&mut de, V)
        .ok()
        .flatten()
}

/// The fast path for files as agents write them (canonical JSON,
/// `{"report":…,"signature":…}` and a newline): when the signature verifies
/// over the `report` member's bytes exactly as they are in the file, those
/// are the bytes that were signed, so they are parsed once, straight into a
/// [`Report`], with no JSON tree and no re-serialisation. `None` sends the
/// file down the general path, which also gives the precise error for
/// anything wrong with it.
fn verify_as_written(
    bytes: &[u8],
    file_sha256: &str,
) -> Option<Result<VerifiedReport, ReportError>> {
    const HEAD: &[u8] = b"{\"report\":";
    const SEPARATOR: &[u8] = b",\"signature\":";
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let body = body.strip_prefix(HEAD)?.strip_suffix(b"}")?;
    // The signature block is small and last: its start is the last separator.
    let split = memchr::memmem::rfind(body, SEPARATOR)?;
    let (report_bytes, signature_bytes) = (&body[..split], &body[split + SEPARATOR.len()..]);
    let signature: Signature = serde_json::from_slice(signature_bytes).ok()?;
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(report_bytes);
    check_signature(&signature, &message).ok()?;
    let report: Report = serde_json::from_slice(report_bytes).ok()?;
    if !READABLE_SCHEMA_VERSIONS.contains(&report.schema_version) {
        return None;
    }
    let signature_canonical = to_canonical_bytes(&serde_json::to_value(&signature).ok()?);
    let canonical_sha256 = canonical_file_sha256(report_bytes, &signature_canonical);
    Some(check_rules(&report).map(|()| VerifiedReport {
        signed: SignedReport { report, signature },
        file_sha256: file_sha256.to_string(),
        canonical_sha256,
    }))
}

fn decode_hex<const N: usize>(what: &str, text: &str) -> Result<[u8; N], ReportError> {
    let bytes = hex::decode(text)
        .map_err(|e| ReportError::BadSignature(format!("{what} is not hex: {e}")))?;
    bytes
        .try_into()
        .map_err(|_| ReportError::BadSignature(format!("{what} must be {N} bytes")))
}

/// Check the signature block and the signature over `message`.
fn check_signature(signature: &Signature, message: &[u8]) -> Result<(), ReportError> {
    let (key, sig) = signature_parts(signature)?;
    key.verify_strict(message, &sig).map_err(|_| {
        ReportError::BadSignature("the signature does not match the report content".into())
    })
}

/// The key and signature of a signature block, after checking the block
/// (algorithm, hex spelling, fingerprint): cheap, so done before the report
/// is read.
fn signature_parts(
    signature: &Signature,
) -> Result<(VerifyingKey, ed25519_dalek::Signature), ReportError> {
    if signature.algorithm != "ed25519" {
        return Err(ReportError::BadSignature(format!(
            "algorithm {:?} is not supported (only ed25519)",
            signature.algorithm
        )));
    }
    let public: [u8; 32] = decode_hex("public_key", &signature.public_key)?;
    if hex::encode(public) != signature.public_key {
        return Err(ReportError::BadSignature(
            "public_key must be lowercase hex".into(),
        ));
    }
    if key_fingerprint(&public) != signature.key_fingerprint {
        return Err(ReportError::BadSignature(
            "key_fingerprint does not match public_key".into(),
        ));
    }
    let sig: [u8; 64] = decode_hex("signature value", &signature.value)?;
    if hex::encode(sig) != signature.value {
        return Err(ReportError::BadSignature(
            "signature value must be lowercase hex".into(),
        ));
    }
    let key = VerifyingKey::from_bytes(&public).map_err(|e| {
        ReportError::BadSignature(format!("public_key is not a valid Ed25519 key: {e}"))
    })?;
    Ok((key, ed25519_dalek::Signature::from_bytes(&sig)))
}

/// Rules a well-formed report keeps beyond its types.
fn check_rules(report: &Report) -> Result<(), ReportError> {
    let bad = |m: String| Err(ReportError::Invalid(m));
    if report.finished_at < report.started_at {
        return bad("finished_at is before started_at".into());
    }
    if report.host.hostname.trim().is_empty() {
        return bad("host.hostname is empty".into());
    }
    let not_applicable = report
        .checks
        .iter()
        .any(|r| matches!(r.outcome, crate::CheckOutcome::NotApplicable { .. }));
    if report.schema_version < 2 && (not_applicable || report.baseline_level.is_some()) {
        return bad("a schema_version 1 report cannot have not_applicable checks or a baseline_level (version 2 added them)".into());
    }
    let mut ran = HashSet::new();
    for run in &report.checks {
        if !ran.insert(&run.check_id) {
            return bad(format!("check {} is listed twice in checks", run.check_id));
        }
    }
    let asset = report.host.asset_key();
    let mut seen = HashSet::new();
    let all = report
        .findings
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.finding));
    for f in all {
        if Fingerprint::compute(&asset, &f.check_id, &f.subject) != f.fingerprint {
            return bad(format!(
                "finding {} ({} {}) has a fingerprint that does not match its host, check and subject",
                f.fingerprint, f.check_id, f.subject
            ));
        }
        if !seen.insert(&f.fingerprint) {
            return bad(format!("finding {} appears twice", f.fingerprint));
        }
        if !ran.contains(&f.check_id) {
            return bad(format!(
                "finding {} comes from check {} which is not in checks",
                f.fingerprint, f.check_id
            ));
        }
    }
    for run in &report.checks {
        let n = report
            .findings
            .iter()
            .filter(|f| f.check_id == run.check_id)
            .count();
        let expected = match &run.outcome {
            crate::CheckOutcome::Findings { count } => *count as usize,
            _ => 0,
        };
        if n != expected {
            return bad(format!(
                "check {} says {} finding(s) ({}) but the report lists {n}",
                run.check_id,
                expected,
                run.outcome.as_str()
            ));
        }
    }
    for s in &report.suppressed {
        if s.reason.trim().is_empty() {
            return bad(format!(
                "suppressed finding {} has no reason",
                s.finding.fingerprint
            ));
        }
    }
    Ok(())
}
