//! Resolving a host path below an image root the way the audited host's
//! kernel would, without ever leaving the root.
//!
//! The walk is done here, one component at a time, rather than by the
//! kernel: every symbolic link met is read and its target taken below the
//! root (an absolute target restarts at the root, `..` stops at it), and more
//! than [`MAX_LINKS`] links is an error like the kernel's `ELOOP`, never a
//! hand-over to the kernel. The path returned holds no symbolic link at the
//! time of the walk, so opening it cannot lead outside the root.

use std::ffi::OsString;
use std::io::{Error, ErrorKind};
use std::path::{Component, Path, PathBuf};

/// The most symbolic links one resolution follows (the kernel's limit too).
pub const MAX_LINKS: u32 = 40;

/// Whether the last component of the path is followed when it is a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Last {
    /// Follow it (`open`, `stat`).
    Follow,
    /// Keep it as it is (`lstat`, `readlink`).
    Keep,
}

/// The path below `dir` that `host_path` names on the audited host, every
/// link resolved inside `dir`. `Err` when more than [`MAX_LINKS`] links are
/// met (a loop, or a chain too long), naming the path and the root.
pub(crate) fn resolve_below(dir: &Path, host_path: &Path, last: Last) -> std::io::Result<PathBuf> {
    let mut pending: Vec<OsString> = Vec::new();
    push_components(&mut pending, host_path);
    let mut current = dir.to_path_buf();
    let mut depth = 0usize;
    let mut links = 0u32;
    while let Some(part) = pending.pop() {
        if part == ".." {
            if depth > 0 {
                current.pop();
                depth -= 1;
            }
            continue;
        }
        current.push(&part);
        if pending.is_empty() && last == Last::Keep {
            depth += 1;
            continue;
        }
        let is_link = std::fs::symlink_metadata(&current).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            // A directory, a file or nothing: kept as it is; opening what
            // does not exist fails there, below the root.
            depth += 1;
            continue;
        }
        let target = std::fs::read_link(&current).map_err(|e| {
            Error::new(
                e.kind(),
                format!("{}: cannot read the link: {e}", current.display()),
            )
        })?;
        current.pop();
        links += 1;
        if links > MAX_LINKS {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{}: more than {MAX_LINKS} symbolic links on the way (a loop or a chain too long, \
                     ELOOP), resolved inside the root {}",
                    host_path.display(),
                    dir.display()
                ),
            ));
        }
        if target.is_absolute() {
            current = dir.to_path_buf();
            depth = 0;
        }
        push_components(&mut pending, &target);
    }
    Ok(current)
}

/// Push the normal components of `path` onto the stack `pending` so that the
/// first component is popped first (`.` and the root are dropped).
fn push_components(pending: &mut Vec<OsString>, path: &Path) {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    pending.extend(parts.into_iter().rev());
}
