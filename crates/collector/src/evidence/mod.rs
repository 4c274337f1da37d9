//! The monthly evidence package (佐证材料包): one zip the unit hands to the
//! cyber office, and the offline check the office runs on it.
//!
//! A package holds the month's ledger documents, every raw signed agent report
//! of the month exactly as imported, the month's run of the hash-chained
//! history, the collector's public key and `manifest.json`: every member with
//! its size, SHA-256 and SM3 digest, signed (`manifest.sig`) with the
//! collector's Ed25519 key, and also with an SM2 key (`manifest.sm2.sig`)
//! where one is configured. [`verify_file`] needs nothing but the zip and
//! names each fault: which member, which digest, which signature. Both sides
//! stream: a package of 10,000 hosts is written and checked one member at a
//! time. The layout is described in `docs/evidence-package.md`.
//!
//! - [`key`]: the collector's own signing key (`DATA/collector-key.pem`);
//! - [`sm2`]: the optional SM2 key and signature (GB/T 32918);
//! - [`manifest`]: the manifest and signature formats;
//! - [`package`]: building the zip from the store;
//! - [`verify`]: checking a zip, with no store.

mod archive;
pub mod key;
pub mod manifest;
pub mod package;
mod problem;
pub mod sm2;
pub mod verify;
mod writer;

pub use key::{COLLECTOR_KEY_FILE, load_or_create_collector_key};
pub use manifest::{MANIFEST_CONTEXT, MANIFEST_FORMAT, Manifest, ManifestMember, MemberKind};
pub use package::{
    Content, Member, PackageSummary, Signers, build_package, report_member_name, write_package,
    write_package_to,
};
pub use sm2::Sm2Key;
pub use verify::{
    ExpectedHead, Problem, ProblemKind, Verdict, VerifyOptions, VerifyReport, verify_file,
    verify_package, verify_package_with, verify_reader,
};
pub use writer::write_new_file;

use std::path::PathBuf;

/// Why a package could not be built, or the collector key not used.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] selfcheck_ledger::store::StoreError),
    /// A stored report's file is missing from the store.
    #[error(
        "the store lists report {report_id} but holds no file for it; the store is damaged, restore it from a backup"
    )]
    MissingRaw {
        /// The report id.
        report_id: String,
    },
    /// A stored report's file is not the signed report that was imported.
    #[error(
        "refusing to sign: stored report {report_id} is corrupt ({problem}); run `selfcheck-collector store verify`, and restore the store from a backup or import the report file again into a new data directory"
    )]
    CorruptReport {
        /// The report id.
        report_id: String,
        /// What is wrong.
        problem: String,
    },
    /// A member name the caller gave cannot go into a package.
    #[error("cannot put {name:?} into the evidence package: {problem}")]
    BadMemberName {
        /// The name.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Writing the zip failed.
    #[error("cannot write the evidence zip: {0}")]
    Zip(String),
    /// A file operation on the key failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The key file is unsafe to use.
    #[error("refusing collector key {path}: {problem}")]
    UnsafeKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The key file holds no usable key.
    #[error(
        "collector key {path} is unusable: {problem}; move it aside to let the collector create a new key (packages signed with the old key stay verifiable with its public key)"
    )]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// The problem.
        problem: String,
    },
    /// The OS random source failed.
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
    /// The SM2 key file is unsafe to use.
    #[error(
        "refusing SM2 key {path}: {problem} (the collector never makes an SM2 key itself: a new one is made with `openssl genpkey -algorithm SM2 -out FILE`, and the office is given its fingerprint)"
    )]
    UnsafeSm2Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The SM2 key file holds no usable SM2 private key.
    #[error("SM2 key {path} is unusable: {problem}")]
    BadSm2Key {
        /// The key file.
        path: PathBuf,
        /// The problem and what to do.
        problem: String,
    },
}

/// Size, SHA-256 and SM3 of a member, fed piece by piece: members are
/// hashed while they are written into or read from the zip, never held whole
/// for it.
#[derive(Clone, Default)]
pub struct Digests {
    size: u64,
    sha256: sha2::Sha256,
    sm3: sm3::Sm3,
}

impl Digests {
    /// Feed the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest as _;
        self.size += bytes.len() as u64;
        self.sha256.update(bytes);
        self.sm3.update(bytes);
    }

    /// The size in bytes, and the SHA-256 and SM3 in lowercase hex.
    pub fn finish(self) -> (u64, String, String) {
        use sha2::Digest as _;
        (
            self.size,
            hex::encode(self.sha256.finalize()),
            hex::encode(self.sm3.finalize()),
        )
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// SM3 (GB/T 32905) of `bytes`, lowercase hex.
pub fn sm3_hex(bytes: &[u8]) -> String {
    use sm3::Digest as _;
    hex::encode(sm3::Sm3::digest(bytes))
}

/// Why a member name is unsafe in a zip (absolute, `..`, backslashes, empty
/// parts, drive letters, control characters), or `None` when it is fine.
pub fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("the name is empty");
    }
    if name.starts_with('/') {
        return Some("it is an absolute path");
    }
    if name.contains('\\') {
        return Some("it contains a backslash (a Windows path separator)");
    }
    if name.contains(':') {
        return Some("it contains a colon (a drive letter or stream name on Windows)");
    }
    if name.chars().any(char::is_control) {
        return Some("it contains control characters");
    }
    if name.ends_with('/') {
        return Some("it is a directory");
    }
    for part in name.split('/') {
        match part {
            "" => return Some("it has an empty path component"),
            "." | ".." => return Some("it has a . or .. component (zip slip)"),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_member_names_are_named_unsafe() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a\\b",
            "C:x",
            "a/./b",
            "dir/",
        ] {
            assert!(unsafe_name(bad).is_some(), "{bad:?}");
        }
        for good in [
            "manifest.json",
            "ledger/整改台账-2026-11.xlsx",
            "reports/web-01/a.json",
        ] {
            assert_eq!(unsafe_name(good), None, "{good:?}");
        }
    }

    #[test]
    fn digests_are_the_standard_ones() {
        // GB/T 32905 appendix A example 1.
        assert_eq!(
            sm3_hex(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
