//! The collector's own signing key: `DATA/collector-key.pem`, Ed25519 PKCS#8,
//! mode 0600, created on first use. It signs evidence-package manifests; its
//! public key travels in every package as `collector-public-key.pem`.
//!
//! The same rules as the agent's key: a key file that is a symbolic link, not
//! owned by the user running the collector, or readable or writable by group
//! or others is refused, because a key others can read signs packages that
//! are not this collector's.

use super::EvidenceError;
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePublicKey, EncodePublicKey};
use selfcheck_report::AgentKey;
use selfcheck_report::keyfile;
use sha2::{Digest, Sha256};
use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// File name of the collector's private key inside the data directory.
pub const COLLECTOR_KEY_FILE: &str = "collector-key.pem";

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> EvidenceError {
    let path = path.to_path_buf();
    move |source| EvidenceError::Io {
        action,
        path,
        source,
    }
}

/// The collector key in `data_dir`: loaded when present (and safe), else
/// created (the directory too, mode 0700).
pub fn load_or_create_collector_key(data_dir: &Path) -> Result<AgentKey, EvidenceError> {
    let path = data_dir.join(COLLECTOR_KEY_FILE);
    match fs::symlink_metadata(&path) {
        Ok(meta) => {
            check_key_file(&path, &meta)?;
            let pem = fs::read_to_string(&path).map_err(io("cannot read collector key", &path))?;
            AgentKey::from_pkcs8_pem(&pem).map_err(|e| EvidenceError::BadKey {
                path,
                problem: e.to_string(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key(data_dir, &path),
        Err(e) => Err(io("cannot read collector key", &path)(e)),
    }
}

fn create_key(dir: &Path, path: &Path) -> Result<AgentKey, EvidenceError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io("cannot create data directory", dir))?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| EvidenceError::Random(e.to_string()))?;
    let key = AgentKey::from_secret_bytes(secret);
    let pem = key.to_pkcs8_pem().map_err(|e| EvidenceError::BadKey {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })?;
    // A new temporary file, then a rename: a crash never leaves half a key.
    keyfile::write_atomically(path, pem.as_bytes(), 0o600).map_err(|(step, e)| match step {
        keyfile::WriteStep::Create(tmp) => io("cannot create collector key", &tmp)(e),
        keyfile::WriteStep::Write => io("cannot write collector key", path)(e),
    })?;
    Ok(key)
}

fn check_key_file(path: &Path, meta: &fs::Metadata) -> Result<(), EvidenceError> {
    let euid = nix::unistd::geteuid().as_raw();
    match keyfile::key_file_problem(path, meta, euid, "collector", "data directory") {
        None => Ok(()),
        Some(problem) => Err(EvidenceError::UnsafeKey {
            path: path.to_path_buf(),
            problem,
        }),
    }
}

/// `sha256:` + hex SHA-256 of the 32 public-key bytes (as [`AgentKey::fingerprint`]).
pub fn fingerprint_of(public_key: &[u8; 32]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(public_key)))
}

/// The public half of a key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as
/// `openssl pkey -pubout` writes it.
pub fn public_key_pem(key: &AgentKey) -> Result<String, EvidenceError> {
    let bad = |problem: String| EvidenceError::BadKey {
        path: PathBuf::from(COLLECTOR_KEY_FILE),
        problem,
    };
    let bytes: [u8; 32] = hex::decode(key.public_key_hex())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad("the public key is not 32 bytes".into()))?;
    let public = VerifyingKey::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
    public
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| bad(format!("cannot encode the public key: {e}")))
}

/// The 32 bytes of an Ed25519 public key in PEM (`-----BEGIN PUBLIC KEY-----`).
pub fn parse_public_key_pem(pem: &str) -> Result<[u8; 32], String> {
    VerifyingKey::from_public_key_pem(pem.trim())
        .map(|k| k.to_bytes())
        .map_err(|e| format!("not an Ed25519 public key in PEM form: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_is_created_private_and_reloaded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let k1 = load_or_create_collector_key(&dir).unwrap();
        let path = dir.join(COLLECTOR_KEY_FILE);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let k2 = load_or_create_collector_key(&dir).unwrap();
        assert_eq!(k1.fingerprint(), k2.fingerprint());
        let pem = public_key_pem(&k1).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
        assert_eq!(
            fingerprint_of(&parse_public_key_pem(&pem).unwrap()),
            k1.fingerprint()
        );
    }

    #[test]
    fn unsafe_key_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        load_or_create_collector_key(tmp.path()).unwrap();
        let path = tmp.path().join(COLLECTOR_KEY_FILE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let err = load_or_create_collector_key(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("0640"), "{err}");
        assert!(err.to_string().contains("chmod 600"), "{err}");

        let other = tmp.path().join("other");
        fs::create_dir(&other).unwrap();
        std::os::unix::fs::symlink(&path, other.join(COLLECTOR_KEY_FILE)).unwrap();
        let err = load_or_create_collector_key(&other).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");

        let garbage = tmp.path().join("garbage");
        fs::create_dir(&garbage).unwrap();
        let p = garbage.join(COLLECTOR_KEY_FILE);
        fs::write(&p, "not a key").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        let err = load_or_create_collector_key(&garbage).unwrap_err();
        assert!(err.to_string().contains("unusable"), "{err}");
    }
}
