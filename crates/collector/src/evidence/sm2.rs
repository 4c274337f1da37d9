//! The optional SM2 signature (GB/T 32918) of an evidence package's manifest,
//! for units that must sign with the national algorithms.
//!
//! The key is an SM2 private key the unit makes itself
//! (`openssl genpkey -algorithm SM2 -out sm2.pem`) and names with
//! `evidence --sm2 FILE` or `[evidence] sm2_key` in `collector.toml`. The
//! collector never makes one. It must pass the same file rules as the
//! collector key: a plain file of the user running the collector, mode 0600.
//!
//! The signature is SM2 with SM3 and the distinguishing identifier
//! [`SM2_DISTID`] (the GB/T 35276 default) over exactly the bytes of
//! `manifest.json`, with no context prefix, so that standard tools verify it:
//!
//! ```text
//! openssl pkeyutl -verify -in manifest.json -rawin -digest sm3 \
//!     -pubin -inkey collector-sm2-public-key.pem -sigfile manifest.sm2.sig \
//!     -pkeyopt distid:1234567812345678
//! ```
//!
//! It is stored DER-encoded as `manifest.sm2.sig`; the public key travels as
//! `collector-sm2-public-key.pem` (SubjectPublicKeyInfo PEM).

use super::EvidenceError;
use selfcheck_report::keyfile;
use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use sm2::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey, LineEnding};
use sm2::{PublicKey, SecretKey};
use std::fmt;
use std::fs;
use std::path::Path;

/// The distinguishing identifier of every SM2 signature here: the default of
/// GB/T 35276 (OpenSSL 3 needs `-pkeyopt distid:1234567812345678`).
pub const SM2_DISTID: &str = "1234567812345678";

/// The manifest's name for the algorithm: SM2 signature with SM3 digest.
pub const SM2_ALGORITHM: &str = "sm2-sm3";

/// An SM2 private key that signs manifests, with its public key's fingerprint.
pub struct Sm2Key {
    signing: SigningKey,
    fingerprint: String,
}

impl fmt::Debug for Sm2Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        f.debug_struct("Sm2Key")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl Sm2Key {
    /// Load the SM2 key at `path`, refusing a file that is unsafe as a
    /// private key (symbolic link, another owner, readable by others).
    pub fn load(path: &Path) -> Result<Sm2Key, EvidenceError> {
        let meta = match fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(bad_key(
                    path,
                    "the file does not exist; make one with `openssl genpkey -algorithm SM2 -out FILE` and `chmod 600 FILE`, or correct --sm2 / [evidence] sm2_key".into(),
                ));
            }
            Err(source) => {
                return Err(EvidenceError::Io {
                    action: "cannot read SM2 key",
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let euid = nix::unistd::geteuid().as_raw();
        let place = "place --sm2 or [evidence] sm2_key names";
        if let Some(problem) = keyfile::key_file_problem(path, &meta, euid, "collector", place) {
            return Err(EvidenceError::UnsafeSm2Key {
                path: path.to_path_buf(),
                problem,
            });
        }
        let pem = fs::read_to_string(path).map_err(|source| EvidenceError::Io {
            action: "cannot read SM2 key",
            path: path.to_path_buf(),
            source,
        })?;
        Sm2Key::from_pem(&pem).map_err(|problem| bad_key(path, problem))
    }

    /// The key in a PEM text: PKCS#8 `PRIVATE KEY` (as `openssl genpkey
    /// -algorithm SM2` writes it) or SEC1 `EC PRIVATE KEY`.
    pub fn from_pem(pem: &str) -> Result<Sm2Key, String> {
        let secret = if let Some(block) = pem_block(pem, "PRIVATE KEY") {
            SecretKey::from_pkcs8_pem(block).map_err(|e| {
                format!("not an SM2 private key ({e}); it must be a key on the SM2 curve")
            })?
        } else if let Some(block) = pem_block(pem, "EC PRIVATE KEY") {
            SecretKey::from_sec1_pem(block).map_err(|e| {
                format!("not an SM2 private key ({e}); it must be a key on the SM2 curve")
            })?
        } else if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err("the key is protected by a passphrase; the collector signs unattended, so store it unencrypted (`openssl pkey -in OLD -out NEW`, then `chmod 600 NEW`)".into());
        } else {
            return Err("no PEM private key found (expected -----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)".into());
        };
        let signing = SigningKey::new(SM2_DISTID, &secret)
            .map_err(|e| format!("cannot use the key for signing: {e}"))?;
        let fingerprint = fingerprint_of(&PublicKey::from(signing.verifying_key()));
        Ok(Sm2Key {
            signing,
            fingerprint,
        })
    }

    /// `sm3:` and the hex SM3 of the public key (SEC1 uncompressed point).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The public key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as
    /// `openssl pkey -pubout` writes it.
    pub fn public_key_pem(&self) -> Result<String, EvidenceError> {
        PublicKey::from(self.signing.verifying_key())
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| EvidenceError::Zip(format!("cannot encode the SM2 public key: {e}")))
    }

    /// The DER-encoded SM2 signature (with SM3 and [`SM2_DISTID`]) of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.signing.sign(message);
        DerSignature::from(signature).to_vec()
    }
}

fn bad_key(path: &Path, problem: String) -> EvidenceError {
    EvidenceError::BadSm2Key {
        path: path.to_path_buf(),
        problem,
    }
}

/// The first PEM block labelled `label` in `text` (other blocks, such as the
/// `EC PARAMETERS` `openssl ecparam` writes first, are skipped).
fn pem_block<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(&text[start..stop])
}

/// `sm3:` and the hex SM3 of the SEC1 uncompressed point of `public`.
pub fn fingerprint_of(public: &PublicKey) -> String {
    format!("sm3:{}", super::sm3_hex(&public.to_sec1_bytes()))
}

/// An SM2 public key in PEM (`-----BEGIN PUBLIC KEY-----`).
pub fn parse_public_key_pem(pem: &str) -> Result<PublicKey, String> {
    let block = pem_block(pem, "PUBLIC KEY").unwrap_or(pem.trim());
    PublicKey::from_public_key_pem(block)
        .map_err(|e| format!("not an SM2 public key in PEM form: {e}"))
}

/// Why an SM2 signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sm2Failure {
    /// The signature file is not a DER-encoded SM2 signature.
    NotDer(String),
    /// The distinguishing identifier cannot be used (too long).
    BadDistid,
    /// The signature does not verify over the message under the key.
    Mismatch,
}

/// Check the DER-encoded SM2 signature `der` of `message` under `public`.
pub fn verify(
    public: &PublicKey,
    distid: &str,
    message: &[u8],
    der: &[u8],
) -> Result<(), Sm2Failure> {
    let der = DerSignature::from_bytes(der).map_err(|e| Sm2Failure::NotDer(e.to_string()))?;
    let signature = Signature::try_from(der).map_err(|e| Sm2Failure::NotDer(e.to_string()))?;
    let key = VerifyingKey::new(distid, *public).map_err(|_| Sm2Failure::BadDistid)?;
    key.verify(message, &signature)
        .map_err(|_| Sm2Failure::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn key() -> Sm2Key {
        let secret = SecretKey::from_slice(&[7u8; 32]).unwrap();
        let signing = SigningKey::new(SM2_DISTID, &secret).unwrap();
        let fingerprint = fingerprint_of(&PublicKey::from(signing.verifying_key()));
        Sm2Key {
            signing,
            fingerprint,
        }
    }

    #[test]
    fn a_signature_verifies_and_a_changed_message_does_not() {
        let key = key();
        let sig = key.sign(b"manifest\n");
        let public = parse_public_key_pem(&key.public_key_pem().unwrap()).unwrap();
        assert_eq!(fingerprint_of(&public), key.fingerprint());
        assert!(key.fingerprint().starts_with("sm3:") && key.fingerprint().len() == 68);
        assert_eq!(verify(&public, SM2_DISTID, b"manifest\n", &sig), Ok(()));
        assert_eq!(
            verify(&public, SM2_DISTID, b"manifest!\n", &sig),
            Err(Sm2Failure::Mismatch)
        );
        assert_eq!(
            verify(&public, "another id", b"manifest\n", &sig),
            Err(Sm2Failure::Mismatch)
        );
        assert!(matches!(
            verify(&public, SM2_DISTID, b"manifest\n", b"not der"),
            Err(Sm2Failure::NotDer(_))
        ));
    }

    #[test]
    fn pem_keys_load_and_unsafe_or_foreign_files_are_refused() {
        use sm2::pkcs8::EncodePrivateKey;
        let tmp = tempfile::tempdir().unwrap();
        let secret = SecretKey::from_slice(&[9u8; 32]).unwrap();
        let pkcs8 = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
        let sec1 = secret.to_sec1_pem(LineEnding::LF).unwrap();
        let a = Sm2Key::from_pem(&pkcs8).unwrap();
        let b = Sm2Key::from_pem(&format!(
            "-----BEGIN EC PARAMETERS-----\nBggqgRzPVQGCLQ==\n-----END EC PARAMETERS-----\n{}",
            sec1.as_str()
        ))
        .unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());

        let path = tmp.path().join("sm2.pem");
        fs::write(&path, pkcs8.as_bytes()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(Sm2Key::load(&path).unwrap().fingerprint(), a.fingerprint());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = Sm2Key::load(&path).unwrap_err().to_string();
        assert!(err.contains("0644") && err.contains("sm2.pem"), "{err}");

        let missing = Sm2Key::load(&tmp.path().join("none.pem")).unwrap_err();
        assert!(missing.to_string().contains("genpkey"), "{missing}");
        let ed = selfcheck_report::AgentKey::from_secret_bytes([1; 32]);
        let err = Sm2Key::from_pem(&ed.to_pkcs8_pem().unwrap()).unwrap_err();
        assert!(err.contains("not an SM2 private key"), "{err}");
    }
}
