//! The rules for a private key file on disk, shared by the agent's key and the
//! collector's key: a plain file, owned by the user running the program,
//! readable by no one else, and written whole or not at all.

use std::fs::{self, Metadata, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why `meta` (from `symlink_metadata` of `path`) is unsafe as a private key
/// file for the user `euid`, or `None` when it is safe. `program` ("agent",
/// "collector") and `place` ("state directory") word the advice.
pub fn key_file_problem(
    path: &Path,
    meta: &Metadata,
    euid: u32,
    program: &str,
    place: &str,
) -> Option<String> {
    if meta.file_type().is_symlink() {
        return Some(format!(
            "it is a symbolic link; keep the key as a plain file in the {place}"
        ));
    }
    if !meta.is_file() {
        return Some("it is not a regular file".into());
    }
    if meta.uid() != euid {
        return Some(format!(
            "it is owned by uid {}, not by the user running the {program} (uid {euid}); run the {program} as its owner or chown it",
            meta.uid()
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Some(format!(
            "its mode is {mode:04o}, so other users can read or change it; run `chmod 600 {}` if no one else could have copied it; otherwise treat the key as compromised and replace it",
            path.display()
        ));
    }
    None
}

/// Which step of [`write_atomically`] failed.
#[derive(Debug)]
pub enum WriteStep {
    /// Creating the temporary file (its path).
    Create(std::path::PathBuf),
    /// Writing, syncing or renaming it into place.
    Write,
}

/// Write `bytes` to `path` through a new temporary file (created with `mode`)
/// in the same directory, synced, then renamed: a crash never leaves half a
/// file. The temporary file is removed when anything fails.
pub fn write_atomically(
    path: &Path,
    bytes: &[u8],
    mode: u32,
) -> Result<(), (WriteStep, std::io::Error)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(|e| (WriteStep::Create(tmp.clone()), e))?;
    let written = f.write_all(bytes).and_then(|_| f.sync_all());
    drop(f);
    if let Err(e) = written.and_then(|_| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err((WriteStep::Write, e));
    }
    Ok(())
}
