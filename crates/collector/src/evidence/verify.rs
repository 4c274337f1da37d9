//! Checking an evidence package with nothing but its bytes: the zip itself
//! (names, duplicates, sizes), the manifest's signature and key, every
//! member's size, SHA-256 and SM3, every agent report's own signature, and
//! the history run's chain. Each fault is one [`Problem`] naming the member.

use super::archive::read_members;
pub use super::archive::{MAX_MEMBERS, MAX_RATIO, MAX_TOTAL_BYTES, RATIO_FLOOR};
use super::key::{fingerprint_of, parse_public_key_pem};
use super::manifest::{
    MANIFEST_CONTEXT, MANIFEST_FORMAT, Manifest, ManifestMember, ManifestSignature, MemberKind,
    names,
};
use super::{sha256_hex, sm3_hex, unsafe_name};
use crate::history::{self, HistoryEntry};
use selfcheck_report::{Period, SignedReport, verify_detached};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What the office pins and checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The collector key fingerprint (`sha256:HEX`) the package must be signed with.
    pub expect_key: Option<String>,
}

/// The kind of a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file is not a zip archive.
    NotZip,
    /// A member name is absolute, climbs out with `..`, or is otherwise unsafe to extract.
    UnsafeName,
    /// Two members have the same name.
    DuplicateName,
    /// A member or the whole package is too large, or compressed suspiciously well.
    TooLarge,
    /// A member cannot be read (damaged, encrypted, sizes inconsistent).
    Unreadable,
    /// A member the manifest lists is not in the package.
    Missing,
    /// A member is in the package but not in the manifest.
    Extra,
    /// A member's size or digest differs from the manifest's.
    Digest,
    /// The manifest is missing, not JSON, or breaks the format.
    ManifestInvalid,
    /// The manifest signature does not verify.
    Signature,
    /// The keys in the package disagree (public key file, manifest, signature).
    KeyMismatch,
    /// Signed by another key than the one the office expects.
    UnexpectedKey,
    /// An agent report's own signature or content check fails.
    ReportSignature,
    /// An agent report does not match what the manifest says about it.
    ReportMismatch,
    /// The history run's chain does not verify.
    HistoryChain,
}

/// One fault, naming the member it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of fault.
    pub kind: ProblemKind,
    /// The member, when the fault is about one.
    pub member: Option<String>,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.member {
            Some(m) => write!(f, "{m}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The outcome of [`verify_package`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The month, as the manifest says.
    pub period: Option<Period>,
    /// When the package was made, as the manifest says.
    pub created_at: Option<String>,
    /// The collector key that signed the manifest (from the package's public key file).
    pub key_fingerprint: Option<String>,
    /// Whether `manifest.sig` verified with that key.
    pub signature_valid: bool,
    /// Members in the zip (manifest and signature included).
    pub members: usize,
    /// Agent reports whose own signature verified.
    pub reports_verified: usize,
    /// History entries in the package.
    pub history_entries: u64,
    /// The history head at packaging time, as the manifest says.
    pub history_head: Option<String>,
    /// Entries in the whole history at packaging time, as the manifest says.
    pub history_count: Option<u64>,
    /// Every fault found; empty when the package is intact.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether a fault of `kind` about `member` (any member when `None`) was found.
    pub fn has(&self, kind: ProblemKind, member: Option<&str>) -> bool {
        self.problems
            .iter()
            .any(|p| p.kind == kind && (member.is_none() || p.member.as_deref() == member))
    }

    pub(super) fn problem(
        &mut self,
        kind: ProblemKind,
        member: Option<&str>,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem {
            kind,
            member: member.map(str::to_string),
            message: message.into(),
        });
    }
}

/// Check a package with default options (no pinned key).
pub fn verify_package(bytes: &[u8]) -> VerifyReport {
    verify_package_with(bytes, &VerifyOptions::default())
}

/// Check a package: everything [`verify_package`] does, and the pinned key.
pub fn verify_package_with(bytes: &[u8], options: &VerifyOptions) -> VerifyReport {
    let mut out = VerifyReport::default();
    let Some(contents) = read_members(bytes, &mut out) else {
        return out;
    };
    let Some(manifest_bytes) = contents.get(names::MANIFEST) else {
        if !out.has(ProblemKind::NotZip, None) {
            out.problem(
                ProblemKind::Missing,
                Some(names::MANIFEST),
                "the package has no manifest, so nothing in it can be checked",
            );
        }
        return out;
    };
    let manifest: Option<Manifest> = match serde_json::from_slice(manifest_bytes) {
        Ok(m) => Some(m),
        Err(e) => {
            out.problem(
                ProblemKind::ManifestInvalid,
                Some(names::MANIFEST),
                format!("is not a valid manifest ({e}); it was damaged or edited"),
            );
            None
        }
    };
    check_signature(
        &contents,
        manifest.as_ref(),
        manifest_bytes,
        options,
        &mut out,
    );
    let Some(manifest) = manifest else {
        return out;
    };
    out.period = Some(manifest.period);
    out.created_at = Some(manifest.created_at.clone());
    out.history_head = Some(manifest.history.head.clone());
    out.history_count = Some(manifest.history.count);
    if manifest.format != MANIFEST_FORMAT {
        out.problem(
            ProblemKind::ManifestInvalid,
            Some(names::MANIFEST),
            format!(
                "has format {:?}; this verifier reads {MANIFEST_FORMAT}",
                manifest.format
            ),
        );
    }
    check_members(&contents, &manifest, &mut out);
    out
}

/// The manifest signature, the key file, and the pinned key.
fn check_signature(
    contents: &BTreeMap<String, Vec<u8>>,
    manifest: Option<&Manifest>,
    manifest_bytes: &[u8],
    options: &VerifyOptions,
    out: &mut VerifyReport,
) {
    let named = manifest.map(|m| m.collector.key_fingerprint.clone());
    let package_key: Option<[u8; 32]> = match contents.get(names::PUBLIC_KEY) {
        None => None, // reported as a missing member
        Some(pem) => match std::str::from_utf8(pem)
            .map_err(|e| e.to_string())
            .and_then(parse_public_key_pem)
        {
            Ok(k) => Some(k),
            Err(e) => {
                out.problem(ProblemKind::KeyMismatch, Some(names::PUBLIC_KEY), e);
                None
            }
        },
    };
    let package_fp = package_key.as_ref().map(fingerprint_of);
    out.key_fingerprint = package_fp.clone().or_else(|| named.clone());
    if let (Some(fp), Some(named)) = (&package_fp, &named)
        && fp != named
    {
        out.problem(
            ProblemKind::KeyMismatch,
            Some(names::PUBLIC_KEY),
            format!("holds key {fp}, but the manifest names collector key {named}: the key file was swapped"),
        );
    }
    if let Some(expected) = &options.expect_key {
        let actual = out.key_fingerprint.clone().unwrap_or_default();
        if &actual != expected {
            out.problem(
                ProblemKind::UnexpectedKey,
                Some(names::SIGNATURE),
                format!(
                    "the package is signed by collector key {actual}, not the expected key {expected}: it was made, or re-signed, by another collector"
                ),
            );
        }
    }
    let Some(sig_bytes) = contents.get(names::SIGNATURE) else {
        out.problem(
            ProblemKind::Missing,
            Some(names::SIGNATURE),
            "the manifest is not signed (manifest.sig is missing)",
        );
        return;
    };
    let sig: ManifestSignature = match serde_json::from_slice(sig_bytes) {
        Ok(s) => s,
        Err(e) => {
            out.problem(
                ProblemKind::Signature,
                Some(names::SIGNATURE),
                format!("is not a signature file ({e})"),
            );
            return;
        }
    };
    if sig.algorithm != "ed25519" || sig.context != MANIFEST_CONTEXT {
        out.problem(
            ProblemKind::Signature,
            Some(names::SIGNATURE),
            format!(
                "is a {} signature with context {:?}; expected ed25519 with {MANIFEST_CONTEXT:?}",
                sig.algorithm, sig.context
            ),
        );
        return;
    }
    if let Some(named) = &named
        && &sig.key_fingerprint != named
    {
        out.problem(
            ProblemKind::KeyMismatch,
            Some(names::SIGNATURE),
            format!(
                "says it was made by key {}, but the manifest names collector key {named}",
                sig.key_fingerprint
            ),
        );
    }
    let Some(key) = package_key else {
        out.problem(
            ProblemKind::Signature,
            Some(names::SIGNATURE),
            "cannot be checked: the package holds no usable collector public key",
        );
        return;
    };
    let ok = |public_hex: &str| {
        verify_detached(public_hex, MANIFEST_CONTEXT, manifest_bytes, &sig.value).is_ok()
    };
    if ok(&hex::encode(key)) {
        out.signature_valid = true;
        return;
    }
    let other_key = hex::decode(&sig.public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .filter(|k| *k != key && ok(&sig.public_key));
    match other_key {
        Some(other) => out.problem(
            ProblemKind::Signature,
            Some(names::SIGNATURE),
            format!(
                "was made with another key ({}), not the collector key of this package ({}): the signature was swapped",
                fingerprint_of(&other),
                fingerprint_of(&key)
            ),
        ),
        None => out.problem(
            ProblemKind::Signature,
            Some(names::MANIFEST),
            format!(
                "the signature in manifest.sig does not match it under collector key {}: the manifest was edited after signing, or the signature was replaced",
                fingerprint_of(&key)
            ),
        ),
    }
}

/// Every listed member against the zip, and the zip against the list.
fn check_members(
    contents: &BTreeMap<String, Vec<u8>>,
    manifest: &Manifest,
    out: &mut VerifyReport,
) {
    let mut listed = BTreeSet::new();
    let mut history_seen = false;
    for m in &manifest.members {
        let name = m.name.as_str();
        if !listed.insert(name) {
            out.problem(
                ProblemKind::ManifestInvalid,
                Some(name),
                "is listed twice in the manifest",
            );
            continue;
        }
        if let Some(why) = unsafe_name(name) {
            out.problem(
                ProblemKind::UnsafeName,
                Some(name),
                format!("the manifest lists an unsafe name: {why}"),
            );
            continue;
        }
        if name == names::MANIFEST || name == names::SIGNATURE {
            out.problem(
                ProblemKind::ManifestInvalid,
                Some(name),
                "the manifest lists itself or its signature",
            );
            continue;
        }
        match m.kind {
            MemberKind::PublicKey if name != manifest.collector.public_key_member => out.problem(
                ProblemKind::ManifestInvalid,
                Some(name),
                "is listed as the public key, but the manifest names another key member",
            ),
            MemberKind::History if name != manifest.history.member => out.problem(
                ProblemKind::ManifestInvalid,
                Some(name),
                "is listed as history, but the manifest names another history member",
            ),
            _ => {}
        }
        let Some(bytes) = contents.get(name) else {
            if !out
                .problems
                .iter()
                .any(|p| p.member.as_deref() == Some(name))
            {
                out.problem(
                    ProblemKind::Missing,
                    Some(name),
                    format!(
                        "is listed in the manifest ({} bytes, SM3 {}) but is not in the package",
                        m.size, m.sm3
                    ),
                );
            }
            continue;
        };
        check_digests(m, bytes, out);
        match m.kind {
            MemberKind::Report => check_report(m, bytes, manifest.period, out),
            MemberKind::History => {
                history_seen = true;
                check_history(m, bytes, manifest, out);
            }
            MemberKind::PublicKey | MemberKind::Document => {}
        }
    }
    if !history_seen && !listed.contains(manifest.history.member.as_str()) {
        out.problem(
            ProblemKind::ManifestInvalid,
            Some(&manifest.history.member),
            "the manifest names this history member but does not list it",
        );
    }
    if !listed.contains(manifest.collector.public_key_member.as_str()) {
        out.problem(
            ProblemKind::ManifestInvalid,
            Some(&manifest.collector.public_key_member),
            "the manifest names this public key member but does not list it",
        );
    }
    for name in contents.keys() {
        if name != names::MANIFEST && name != names::SIGNATURE && !listed.contains(name.as_str()) {
            out.problem(
                ProblemKind::Extra,
                Some(name),
                "is in the package but not in the manifest: it was added after signing",
            );
        }
    }
}

fn check_digests(m: &ManifestMember, bytes: &[u8], out: &mut VerifyReport) {
    let mut wrong = Vec::new();
    if bytes.len() as u64 != m.size {
        wrong.push(format!(
            "size is {} bytes, the manifest says {}",
            bytes.len(),
            m.size
        ));
    }
    let sha = sha256_hex(bytes);
    if sha != m.sha256 {
        wrong.push(format!("SHA-256 is {sha}, the manifest says {}", m.sha256));
    }
    let sm3 = sm3_hex(bytes);
    if sm3 != m.sm3 {
        wrong.push(format!("SM3 is {sm3}, the manifest says {}", m.sm3));
    }
    if !wrong.is_empty() {
        out.problem(
            ProblemKind::Digest,
            Some(&m.name),
            format!("changed: {}", wrong.join("; ")),
        );
    }
}

fn check_report(m: &ManifestMember, bytes: &[u8], period: Period, out: &mut VerifyReport) {
    let verified = match SignedReport::verify_bytes(bytes) {
        Ok(v) => v,
        Err(e) => {
            out.problem(
                ProblemKind::ReportSignature,
                Some(&m.name),
                format!("the agent report fails its own check: {e}"),
            );
            return;
        }
    };
    out.reports_verified += 1;
    let report = &verified.signed.report;
    let mut wrong = Vec::new();
    if m.report_id.as_deref() != Some(report.report_id.as_str()) {
        wrong.push(format!(
            "its report id is {}, the manifest says {}",
            report.report_id,
            m.report_id.as_deref().unwrap_or("nothing")
        ));
    }
    if report.period != period {
        wrong.push(format!(
            "it is a report of {}, the package is of {period}",
            report.period
        ));
    }
    if m.agent_key_fingerprint.as_deref()
        != Some(verified.signed.signature.key_fingerprint.as_str())
    {
        wrong.push(format!(
            "it is signed by agent key {}, the manifest says {}",
            verified.signed.signature.key_fingerprint,
            m.agent_key_fingerprint.as_deref().unwrap_or("nothing")
        ));
    }
    if !wrong.is_empty() {
        out.problem(ProblemKind::ReportMismatch, Some(&m.name), wrong.join("; "));
    }
}

/// One line of the history member.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryLine {
    seq: i64,
    at: String,
    actor: String,
    kind: String,
    fingerprint: Option<String>,
    body: Value,
    prev: String,
    digest: String,
}

fn check_history(m: &ManifestMember, bytes: &[u8], manifest: &Manifest, out: &mut VerifyReport) {
    let mut entries = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<EntryLine>(line) {
            Ok(e) => entries.push(HistoryEntry {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                kind: e.kind,
                fingerprint: e.fingerprint,
                body: e.body,
                prev: e.prev,
                digest: e.digest,
            }),
            Err(e) => out.problem(
                ProblemKind::HistoryChain,
                Some(&m.name),
                format!("line {} is not a history entry: {e}", i + 1),
            ),
        }
    }
    out.history_entries = entries.len() as u64;
    for p in history::verify_entries(&entries) {
        out.problem(ProblemKind::HistoryChain, Some(&m.name), p);
    }
    let info = &manifest.history;
    let first = entries.first().map(|e| e.seq);
    let last = entries.last();
    if entries.len() as u64 != info.entries
        || first != info.first_seq
        || last.map(|e| e.seq) != info.last_seq
    {
        out.problem(
            ProblemKind::HistoryChain,
            Some(&m.name),
            format!(
                "holds {} entries ({:?}..{:?}), the manifest says {} ({:?}..{:?})",
                entries.len(),
                first,
                last.map(|e| e.seq),
                info.entries,
                info.first_seq,
                info.last_seq
            ),
        );
    }
    if let Some(last) = last {
        let at_head = u64::try_from(last.seq).is_ok_and(|s| s == info.count);
        if u64::try_from(last.seq).map_or(true, |s| s > info.count) {
            out.problem(
                ProblemKind::HistoryChain,
                Some(&m.name),
                format!(
                    "entry {} is beyond the {} entries the history had when packaged",
                    last.seq, info.count
                ),
            );
        } else if at_head && last.digest != info.head {
            out.problem(
                ProblemKind::HistoryChain,
                Some(&m.name),
                format!(
                    "the last entry {} should be the history head {} recorded at packaging, but its digest is {}",
                    last.seq, info.head, last.digest
                ),
            );
        }
    }
}
