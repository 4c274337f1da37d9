//! Reading configuration files below the root safely: never blocking on a
//! FIFO, never reading a device, bounded in size, globs in the last component.

use crate::root::HostRoot;

/// A host file's text; `Ok(None)` when it does not exist; `Err` says what
/// failed ([`HostRoot::read_optional`] never blocks on a FIFO and bounds the size).
pub(crate) fn read_text(root: &HostRoot, host_path: &str) -> Result<Option<String>, String> {
    root.read_optional(host_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => {
            format!("{host_path} is {e}; replace it with the configuration file")
        }
        _ => format!("cannot read {host_path}: {e}; check that it is a readable file"),
    })
}

/// The host paths a path or glob names, sorted; a glob (`*`, `?` in the last
/// component) over a missing directory names nothing. A plain path is returned
/// as is, whether it exists or not.
pub(crate) fn expand(root: &HostRoot, pattern: &str) -> Vec<String> {
    let (dir, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    if !name.contains(['*', '?']) {
        return vec![pattern.to_string()];
    }
    let Ok(entries) = std::fs::read_dir(root.resolve(if dir.is_empty() { "/" } else { dir }))
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && wildcard(name.as_bytes(), n.as_bytes()))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
}

/// Shell-style match of `*` (any run) and `?` (one byte).
fn wildcard(pat: &[u8], name: &[u8]) -> bool {
    match (pat.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard(&pat[1..], name) || (!name.is_empty() && wildcard(pat, &name[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard(&pat[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => wildcard(&pat[1..], &name[1..]),
        _ => false,
    }
}

/// The files of `patterns` that exist, in order, with their text. `Err` when
/// one exists but cannot be read. Shared by the key/value and line kinds.
pub(crate) fn read_all(
    root: &HostRoot,
    patterns: &[String],
) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for p in patterns {
        for path in expand(root, p) {
            if let Some(text) = read_text(root, &path)? {
                out.push((path, text));
            }
        }
    }
    Ok(out)
}

/// Open a host file for reading binary records (lastlog, wtmp): like
/// [`HostRoot::read_optional`], only a regular file, opened non-blocking so a
/// FIFO or device in its place is an error, never a hang. `Ok(None)` when it
/// does not exist.
pub(crate) fn open_regular(
    root: &HostRoot,
    host_path: &str,
) -> Result<Option<(std::fs::File, std::fs::Metadata)>, String> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
        .open(root.resolve(host_path));
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {host_path}: {e}")),
    };
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot stat {host_path}: {e}"))?;
    if !meta.file_type().is_file() {
        return Err(format!(
            "{host_path} is not a regular file (a directory, FIFO or device)"
        ));
    }
    Ok(Some((file, meta)))
}

/// The existing files of `patterns` (paths or globs), as [`expand`] names them,
/// read leniently: a file that cannot be read is reported in the second list
/// (`path: why`) instead of failing the whole check.
pub(crate) fn read_some(
    root: &HostRoot,
    patterns: &[&str],
) -> (Vec<(String, String)>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in patterns {
        for path in expand(root, p) {
            match read_text(root, &path) {
                Ok(Some(text)) => out.push((path, text)),
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
    }
    (out, errors)
}

/// A line with its comment removed when it starts with a comment character.
pub(crate) fn is_comment(line: &str, comment: &[char]) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with(comment)
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards_match_like_the_shell() {
        assert!(wildcard(b"*.conf", b"a.conf"));
        assert!(!wildcard(b"*.conf", b"a.conf.bak"));
        assert!(wildcard(b"?.sh", b"x.sh"));
        assert!(wildcard(b"*", b""));
    }
}
