//! Checking an evidence package with nothing but the zip: the zip itself
//! (names, duplicates, sizes), the manifest's signatures and keys, every
//! member's size, SHA-256 and SM3, every agent report's own signature, and
//! the history run's chain and seals (and, given the head of an earlier
//! package, that this run extends it). Each fault is one [`Problem`] naming
//! the member. Whether the signer is the one the office expects is only
//! known with a pinned key ([`VerifyReport::signer_checked`]).
//!
//! The zip is read as a stream: the manifest, signatures and keys first (all
//! small), then each listed member once, hashed as it is read. Only the member
//! being checked is in memory (a report, to check its own signature; the
//! history run, for its chain).

use super::archive::{self, Archive};
pub use super::archive::{MAX_MEMBERS, MAX_RATIO, MAX_TOTAL_BYTES, RATIO_FLOOR};
use super::manifest::{MANIFEST_FORMAT, Manifest, names};
pub use super::problem::{Problem, ProblemKind, Verdict, VerifyReport};
use std::collections::BTreeMap;
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
    /// The history head an earlier package carried (from `--previous` or
    /// `--expect-head`): this package's history must extend it.
    pub expect_head: Option<ExpectedHead>,
}

/// A history head handed over before, which a later package must extend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedHead {
    /// Its sequence number (the entries the history had).
    pub seq: u64,
    /// Its digest.
    pub digest: String,
    /// Whether that history was sealed (so it never needs binding again).
    pub sealed: bool,
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
    let mut file = std::fs::File::open(path)?;
    // A file of another kind handed to `verify` (a report, a workbook) is named for what it is.
    let mut head = Vec::with_capacity(64 * 1024);
    (&mut file).take(64 * 1024).read_to_end(&mut head)?;
    if let Some(kind) = selfcheck_report::FileKind::sniff(&head)
        && !matches!(
            kind,
            selfcheck_report::FileKind::EvidencePackage | selfcheck_report::FileKind::Zip
        )
    {
        let mut out = VerifyReport::default();
        out.problem(
            ProblemKind::NotZip,
            None,
            format!("the file is not an evidence package: {}", kind.sentence()),
        );
        return Ok(out);
    }
    file.seek(std::io::SeekFrom::Start(0))?;
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
    out.signer_checked = options.expect_key.is_some();
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
    members::check_members(&mut zip, &small, &manifest, options, &mut out);
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
