//! The agent's state directory: its signing key and the reports it wrote.
//!
//! This directory is the only place the agent ever writes. Layout:
//! `agent-key.pem` (Ed25519 PKCS#8, mode 0600, created on first run) and
//! `reports/YYYY-MM/REPORT_ID.json`.

use selfcheck_report::keyfile;
use selfcheck_report::{AgentKey, Period, ReportId};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// File name of the agent's private key inside the state directory.
pub const KEY_FILE: &str = "agent-key.pem";

/// The state directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file or directory operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot create", "cannot read", ...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The key file is unsafe to use.
    #[error("refusing agent key {path}: {problem}")]
    UnsafeKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The key file does not hold a usable key.
    #[error(
        "agent key {path} is unusable: {source}; move it aside to let the agent create a new key"
    )]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// The parse error.
        source: selfcheck_report::ReportError,
    },
    /// The OS random source failed.
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
    let path = path.to_path_buf();
    move |source| StateError::Io {
        action,
        path,
        source,
    }
}

/// The default state directory: `/var/lib/selfcheck/agent` for root, else
/// `$XDG_STATE_HOME/selfcheck/agent` (or `~/.local/state/selfcheck/agent`).
pub fn default_state_dir() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/lib/selfcheck/agent");
    }
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("selfcheck/agent");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/state/selfcheck/agent")
}

/// 16 or 32 random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], StateError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| StateError::Random(e.to_string()))?;
    Ok(buf)
}

/// An opened state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Open the directory, creating it (mode 0700) when missing.
    pub fn open(dir: &Path) -> Result<StateDir, StateError> {
        if !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io("cannot create state directory", dir))?;
        }
        let meta = fs::metadata(dir).map_err(io("cannot use state directory", dir))?;
        if !meta.is_dir() {
            return Err(StateError::Io {
                action: "state directory",
                path: dir.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
        Ok(StateDir {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The agent key: loaded when present (and safe), else created.
    ///
    /// A key file that is a symlink, not owned by this user, or readable or
    /// writable by group or others is refused: a key others can read signs
    /// reports that are not this agent's.
    pub fn load_or_create_key(&self) -> Result<AgentKey, StateError> {
        let path = self.dir.join(KEY_FILE);
        match fs::symlink_metadata(&path) {
            Ok(meta) => {
                check_key_file(&path, &meta)?;
                let pem = fs::read_to_string(&path).map_err(io("cannot read agent key", &path))?;
                AgentKey::from_pkcs8_pem(&pem).map_err(|source| StateError::BadKey { path, source })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.create_key(&path),
            Err(e) => Err(io("cannot read agent key", &path)(e)),
        }
    }

    fn create_key(&self, path: &Path) -> Result<AgentKey, StateError> {
        let key = AgentKey::from_secret_bytes(random_bytes::<32>()?);
        let pem = key.to_pkcs8_pem().map_err(|source| StateError::BadKey {
            path: path.to_path_buf(),
            source,
        })?;
        // Write to a new temporary file, then rename: a crash never leaves half a key.
        let tmp = self
            .dir
            .join(format!("{KEY_FILE}.tmp-{}", std::process::id()));
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io("cannot create agent key", &tmp))?;
        f.write_all(pem.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(io("cannot write agent key", &tmp))?;
        drop(f);
        fs::rename(&tmp, path).map_err(io("cannot install agent key", path))?;
        Ok(key)
    }

    /// Write a report file below `reports/PERIOD/`, atomically; returns its path.
    pub fn write_report(
        &self,
        period: Period,
        id: &ReportId,
        bytes: &[u8],
    ) -> Result<PathBuf, StateError> {
        let dir = self.dir.join("reports").join(period.to_string());
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io("cannot create report directory", &dir))?;
        let path = dir.join(format!("{id}.json"));
        write_file_atomically(&path, bytes, 0o600)?;
        Ok(path)
    }
}

fn check_key_file(path: &Path, meta: &fs::Metadata) -> Result<(), StateError> {
    let euid = nix::unistd::geteuid().as_raw();
    match keyfile::key_file_problem(path, meta, euid, "agent", "state directory") {
        None => Ok(()),
        Some(problem) => Err(StateError::UnsafeKey {
            path: path.to_path_buf(),
            problem,
        }),
    }
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_file_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StateError> {
    keyfile::write_atomically(path, bytes, mode).map_err(|(step, e)| match step {
        keyfile::WriteStep::Create(tmp) => io("cannot create", &tmp)(e),
        keyfile::WriteStep::Write => io("cannot write", path)(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_is_created_with_mode_0600_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(&dir.path().join("state")).unwrap();
        let k1 = state.load_or_create_key().unwrap();
        let path = state.path().join(KEY_FILE);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let k2 = state.load_or_create_key().unwrap();
        assert_eq!(k1.fingerprint(), k2.fingerprint());
    }

    #[test]
    fn key_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        state.load_or_create_key().unwrap();
        let path = state.path().join(KEY_FILE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = state.load_or_create_key().unwrap_err();
        assert!(err.to_string().contains("0644"), "{err}");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn symlinked_or_garbage_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let other = dir.path().join("elsewhere.pem");
        fs::write(&other, "x").unwrap();
        std::os::unix::fs::symlink(&other, state.path().join(KEY_FILE)).unwrap();
        assert!(
            state
                .load_or_create_key()
                .unwrap_err()
                .to_string()
                .contains("symbolic link")
        );
        fs::remove_file(state.path().join(KEY_FILE)).unwrap();
        write_file_atomically(&state.path().join(KEY_FILE), b"not a key", 0o600).unwrap();
        assert!(
            state
                .load_or_create_key()
                .unwrap_err()
                .to_string()
                .contains("unusable")
        );
    }
}
