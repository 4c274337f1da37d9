//! Checking an evidence package with nothing but the zip: the zip itself
//! (names, duplicates, sizes), the manifest's signatures and keys, every
//! member's size, SHA-256 and SM3, every agent report's own signature, and
//! the history run's chain. Each fault is one [`Problem`] naming the member.
//!
//! The zip is read as a stream: the manifest, signatures and keys first (all
//! small), then each listed member once, hashed as it is read. Only the member
//! being checked is in memory (a report, to check its own signature; the
//! history run, for its chain).

use super::archive::{self, Archive};
pub use super::archive::{MAX_MEMBERS, MAX_RATIO, MAX_TOTAL_BYTES, RATIO_FLOOR};
use super::manifest::{MANIFEST_FORMAT, Manifest, names};
use selfcheck_report::Period;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{Cursor, Read, Seek};
use std::path::Path;

mod members;
mod signature;

/// What the office pins and checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The collector key fingerprint (`sha256:HEX`) the package must be signed with.
    pub expect_key: Option<String>,
    /// The SM2 key fingerprint (`sm3:HEX`) the package must also be signed
    /// with; a package without an SM2 signature then fails.
    pub expect_sm2_key: Option<String>,
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
    /// The SM2 key that signed the manifest (from the package's SM2 public
    /// key file, else as the manifest names it); none when not SM2-signed.
    pub sm2_key_fingerprint: Option<String>,
    /// Whether `manifest.sm2.sig` verified with that key.
    pub sm2_signature_valid: bool,
    /// Members in the zip (manifest and signatures included).
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

    /// Whether some fault about `member` was found already.
    pub(super) fn about(&self, member: &str) -> bool {
        self.problems
            .iter()
            .any(|p| p.member.as_deref() == Some(member))
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

/// Signature and key files are read whole only up to this size (64 KiB).
const SMALL_MEMBER: u64 = 64 * 1024;

/// Check a package held in memory, with default options (no pinned key).
pub fn verify_package(bytes: &[u8]) -> VerifyReport {
    verify_package_with(bytes, &VerifyOptions::default())
}

/// Check a package held in memory: everything [`verify_package`] does, and
/// the pinned keys.
pub fn verify_package_with(bytes: &[u8], options: &VerifyOptions) -> VerifyReport {
    verify_reader(Cursor::new(bytes), options)
}

/// Check the package in the file at `path`, streaming it from the disk.
pub fn verify_file(path: &Path, options: &VerifyOptions) -> std::io::Result<VerifyReport> {
    let file = std::fs::File::open(path)?;
    Ok(verify_reader(file, options))
}

/// Check a package read from `reader` (a file, or bytes in a cursor).
pub fn verify_reader<R: Read + Seek>(reader: R, options: &VerifyOptions) -> VerifyReport {
    let mut out = VerifyReport::default();
    let Some(mut zip) = archive::open(reader, &mut out) else {
        return out;
    };
    if !zip.contains(names::MANIFEST) {
        if !out.has(ProblemKind::NotZip, None) && !out.about(names::MANIFEST) {
            out.problem(
                ProblemKind::Missing,
                Some(names::MANIFEST),
                "the package has no manifest, so nothing in it can be checked",
            );
        }
        return out;
    }
    let Some(manifest_bytes) = zip.read(names::MANIFEST, &mut out) else {
        return out;
    };
    let manifest: Option<Manifest> = match serde_json::from_slice(&manifest_bytes) {
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
    let small = read_small(
        &mut zip,
        &[
            names::SIGNATURE,
            names::PUBLIC_KEY,
            names::SM2_SIGNATURE,
            names::SM2_PUBLIC_KEY,
        ],
        &mut out,
    );
    signature::check_signature(
        &small,
        manifest.as_ref(),
        &manifest_bytes,
        options,
        &mut out,
    );
    signature::check_sm2(
        &small,
        manifest.as_ref(),
        &manifest_bytes,
        options,
        &mut out,
    );
    drop(manifest_bytes);
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
    members::check_members(&mut zip, &small, &manifest, &mut out);
    out
}

/// The signature and key members, read whole when present and small.
fn read_small<R: Read + Seek>(
    zip: &mut Archive<R>,
    wanted: &[&str],
    out: &mut VerifyReport,
) -> BTreeMap<String, Vec<u8>> {
    let mut small = BTreeMap::new();
    for &name in wanted {
        match zip.size(name) {
            None => {}
            Some(size) if size > SMALL_MEMBER => out.problem(
                ProblemKind::TooLarge,
                Some(name),
                format!(
                    "refused: it is {size} bytes; a key or signature file is under {SMALL_MEMBER} bytes"
                ),
            ),
            Some(_) => {
                if let Some(bytes) = zip.read(name, out) {
                    small.insert(name.to_string(), bytes);
                }
            }
        }
    }
    small
}
