//! The manifest's signatures: Ed25519 with the collector key (always), and
//! SM2 (GB/T 32918) where the manifest names an SM2 key; the key files in the
//! package against the manifest, and both against the keys the office pins.

use super::{ProblemKind, VerifyOptions, VerifyReport};
use crate::evidence::key::{fingerprint_of, parse_public_key_pem};
use crate::evidence::manifest::{MANIFEST_CONTEXT, Manifest, ManifestSignature, names};
use crate::evidence::sm2::{self, SM2_ALGORITHM, Sm2Failure};
use selfcheck_report::verify_detached;
use std::collections::BTreeMap;

/// The manifest's Ed25519 signature, the key file, and the pinned key.
pub(super) fn check_signature(
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
        if !out.about(names::SIGNATURE) {
            out.problem(
                ProblemKind::Missing,
                Some(names::SIGNATURE),
                "the manifest is not signed (manifest.sig is missing)",
            );
        }
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
    if sig_bytes.as_slice() != sig.to_bytes().as_slice() {
        out.problem(
            ProblemKind::Signature,
            Some(names::SIGNATURE),
            "is not in the form the collector writes (canonical JSON and a newline): it was edited",
        );
    }
    if let Some(m) = manifest {
        if m.collector.algorithm != "ed25519" {
            out.problem(
                ProblemKind::ManifestInvalid,
                Some(names::MANIFEST),
                format!(
                    "names a collector key of algorithm {:?}; this verifier reads ed25519",
                    m.collector.algorithm
                ),
            );
        }
        if m.collector.public_key_member != names::PUBLIC_KEY {
            out.problem(
                ProblemKind::ManifestInvalid,
                Some(names::MANIFEST),
                format!(
                    "names {:?} as the collector key member; a package keeps it in {}",
                    m.collector.public_key_member,
                    names::PUBLIC_KEY
                ),
            );
        }
    }
    let sig_key: Option<[u8; 32]> = hex::decode(&sig.public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    match (&sig_key, &package_key) {
        (None, _) => out.problem(
            ProblemKind::KeyMismatch,
            Some(names::SIGNATURE),
            format!(
                "its public_key {:?} is not an Ed25519 public key (64 hex digits)",
                sig.public_key
            ),
        ),
        (Some(k), Some(p)) if k != p => out.problem(
            ProblemKind::KeyMismatch,
            Some(names::SIGNATURE),
            format!(
                "names public key {} ({}), but the package's collector key is {} ({}): the signature file was changed",
                sig.public_key,
                fingerprint_of(k),
                hex::encode(p),
                fingerprint_of(p)
            ),
        ),
        _ => {}
    }
    if let Some(k) = &sig_key
        && fingerprint_of(k) != sig.key_fingerprint
    {
        out.problem(
            ProblemKind::KeyMismatch,
            Some(names::SIGNATURE),
            format!(
                "its key_fingerprint {} is not the fingerprint of its public_key ({})",
                sig.key_fingerprint,
                fingerprint_of(k)
            ),
        );
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

/// The manifest's SM2 signature, the SM2 key file, and the pinned SM2 key.
/// Run after [`check_signature`]: whether the Ed25519 signature held tells
/// an edited manifest from a changed SM2 signature.
pub(super) fn check_sm2(
    contents: &BTreeMap<String, Vec<u8>>,
    manifest: Option<&Manifest>,
    manifest_bytes: &[u8],
    options: &VerifyOptions,
    out: &mut VerifyReport,
) {
    let Some(manifest) = manifest else {
        return; // An unreadable manifest names no key to check against.
    };
    let sig = contents.get(names::SM2_SIGNATURE);
    let Some(info) = &manifest.collector_sm2 else {
        if sig.is_some() {
            out.problem(
                ProblemKind::Extra,
                Some(names::SM2_SIGNATURE),
                "is in the package, but the manifest names no SM2 key: it was added after signing",
            );
        }
        if let Some(expected) = &options.expect_sm2_key {
            out.problem(
                ProblemKind::UnexpectedKey,
                Some(names::SM2_SIGNATURE),
                format!(
                    "the package is not signed with an SM2 key (the manifest names none), but SM2 key {expected} is expected: it was made without the SM2 key, or its SM2 signature was stripped and the package re-signed"
                ),
            );
        }
        return;
    };
    if info.algorithm != SM2_ALGORITHM {
        out.problem(
            ProblemKind::ManifestInvalid,
            Some(names::MANIFEST),
            format!(
                "names an SM2 key of algorithm {:?}; this verifier reads {SM2_ALGORITHM}",
                info.algorithm
            ),
        );
        return;
    }
    let named = &info.key_fingerprint;
    let package_key = match contents.get(names::SM2_PUBLIC_KEY) {
        None => None, // reported as a missing member
        Some(pem) => match std::str::from_utf8(pem)
            .map_err(|e| e.to_string())
            .and_then(sm2::parse_public_key_pem)
        {
            Ok(k) => Some(k),
            Err(e) => {
                out.problem(ProblemKind::KeyMismatch, Some(names::SM2_PUBLIC_KEY), e);
                None
            }
        },
    };
    let package_fp = package_key.as_ref().map(sm2::fingerprint_of);
    out.sm2_key_fingerprint = package_fp.clone().or_else(|| Some(named.clone()));
    let swapped = package_fp.as_ref().is_some_and(|fp| fp != named);
    if let Some(fp) = package_fp.as_ref().filter(|_| swapped) {
        out.problem(
            ProblemKind::KeyMismatch,
            Some(names::SM2_PUBLIC_KEY),
            format!(
                "holds SM2 key {fp}, but the manifest names SM2 key {named}: the key file was swapped"
            ),
        );
    }
    if let Some(expected) = &options.expect_sm2_key {
        let actual = out.sm2_key_fingerprint.clone().unwrap_or_default();
        if &actual != expected {
            out.problem(
                ProblemKind::UnexpectedKey,
                Some(names::SM2_SIGNATURE),
                format!(
                    "the package is SM2-signed by key {actual}, not the expected SM2 key {expected}: it was made, or re-signed, by another collector"
                ),
            );
        }
    }
    let Some(sig) = sig else {
        if !out.about(names::SM2_SIGNATURE) {
            out.problem(
                ProblemKind::Missing,
                Some(names::SM2_SIGNATURE),
                format!(
                    "the manifest names SM2 key {named}, but the package holds no SM2 signature: manifest.sm2.sig was removed"
                ),
            );
        }
        return;
    };
    let (Some(key), Some(fp)) = (package_key, package_fp) else {
        out.problem(
            ProblemKind::Signature,
            Some(names::SM2_SIGNATURE),
            "cannot be checked: the package holds no usable SM2 public key",
        );
        return;
    };
    match sm2::verify(&key, &info.distid, manifest_bytes, sig) {
        Ok(()) => out.sm2_signature_valid = true,
        Err(Sm2Failure::NotDer(e)) => out.problem(
            ProblemKind::Signature,
            Some(names::SM2_SIGNATURE),
            format!("is not a DER-encoded SM2 signature ({e}): it was damaged or replaced"),
        ),
        Err(Sm2Failure::BadDistid) => out.problem(
            ProblemKind::ManifestInvalid,
            Some(names::MANIFEST),
            format!(
                "names an SM2 distinguishing identifier of {} bytes, too long to use",
                info.distid.len()
            ),
        ),
        Err(Sm2Failure::Mismatch) if swapped => out.problem(
            ProblemKind::Signature,
            Some(names::SM2_SIGNATURE),
            format!(
                "does not verify under SM2 key {fp} from {}, which is not the key the manifest names: the key file was swapped",
                names::SM2_PUBLIC_KEY
            ),
        ),
        Err(Sm2Failure::Mismatch) if out.signature_valid => out.problem(
            ProblemKind::Signature,
            Some(names::SM2_SIGNATURE),
            format!(
                "does not verify over manifest.json under SM2 key {fp}, though the Ed25519 signature does: the SM2 signature was changed or replaced"
            ),
        ),
        Err(Sm2Failure::Mismatch) => out.problem(
            ProblemKind::Signature,
            Some(names::MANIFEST),
            format!(
                "the signature in manifest.sm2.sig does not match it under SM2 key {fp}: the manifest was edited after signing, or the signature was replaced"
            ),
        ),
    }
}
