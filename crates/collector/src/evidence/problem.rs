//! What a check of an evidence package found: each fault as a [`Problem`]
//! naming its member, gathered in a [`VerifyReport`]. Its own module because
//! both the zip reader ([`archive`](super::archive)) and the checks
//! ([`verify`](super::verify)) record faults into it.

use selfcheck_report::Period;
use serde::Serialize;
use std::fmt;

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
    /// A history entry's seal, or the signed head, does not verify under
    /// the package's collector key (or is missing).
    HistorySeal,
    /// The history does not extend the head of an earlier package: it was
    /// rewritten or cut after that package was handed over.
    HistoryHead,
}

/// What a check of a package comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No fault, and signed by the key the office expects.
    Intact,
    /// No fault, but the signing key was not checked against any expected
    /// key: anyone could have made or re-signed it.
    SignerNotChecked,
    /// At least one fault.
    NotIntact,
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
    /// Whether the signing key was checked against a key the office pinned
    /// (`--expect-key`, or last month's package). Without it a valid
    /// signature says only that someone signed the package.
    pub signer_checked: bool,
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
    /// Whether every history entry in the package and its signed head carry
    /// a valid seal of the package's collector key.
    pub history_sealed: bool,
    /// The earlier head this package's history was shown to extend (its seq).
    pub extends_head: Option<u64>,
    /// Every fault found; empty when the package is intact.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether no fault was found. This alone does not say who signed the
    /// package: see [`VerifyReport::signer_checked`] and [`VerifyReport::verdict`].
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// The whole outcome: intact and signed by the expected key, intact but
    /// signed by a key nobody checked, or not intact.
    pub fn verdict(&self) -> Verdict {
        match (self.problems.is_empty(), self.signer_checked) {
            (false, _) => Verdict::NotIntact,
            (true, false) => Verdict::SignerNotChecked,
            (true, true) => Verdict::Intact,
        }
    }

    /// Whether a fault of `kind` about `member` (any member when `None`) was found.
    pub fn has(&self, kind: ProblemKind, member: Option<&str>) -> bool {
        self.problems
            .iter()
            .any(|p| p.kind == kind && (member.is_none() || p.member.as_deref() == member))
    }

    /// Whether some fault about `member` was found already.
    pub(in crate::evidence) fn about(&self, member: &str) -> bool {
        self.problems
            .iter()
            .any(|p| p.member.as_deref() == Some(member))
    }

    pub(in crate::evidence) fn problem(
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
