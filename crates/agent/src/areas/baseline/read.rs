//! Reading configuration files below the root safely: never blocking on a
//! FIFO, never reading a device, bounded in size, globs in the last component.

use selfcheck_hostfs::root::HostRoot;
use selfcheck_hostfs::wildcard::wildcard_match;

/// A host file's text; `Ok(None)` when it does not exist; `Err` says what
/// failed ([`HostRoot::read_optional`] never blocks on a FIFO and bounds the size).
pub(crate) fn read_text(root: &HostRoot, host_path: &str) -> Result<Option<String>, String> {
    root.read_optional(host_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
            format!("{e}; replace it with the configuration file")
        }
        _ => format!(
            "cannot read {host_path}: {e}; check that it is a readable file inside the root"
        ),
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
    let Ok(entries) = root.read_dir(if dir.is_empty() { "/" } else { dir }) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && wildcard_match(name, n, false))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
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

/// Open a host file for reading binary records (lastlog, wtmp):
/// [`HostRoot::open_regular`] (a regular file only, never blocking on a FIFO)
/// with its error in words. `Ok(None)` when it does not exist.
pub(crate) fn open_regular(
    root: &HostRoot,
    host_path: &str,
) -> Result<Option<(std::fs::File, std::fs::Metadata)>, String> {
    root.open_regular(host_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => e.to_string(),
        _ => format!("cannot read {host_path}: {e}"),
    })
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
    use super::wildcard_match;

    #[test]
    fn wildcards_match_like_the_shell() {
        assert!(wildcard_match("*.conf", "a.conf", false));
        assert!(!wildcard_match("*.conf", "a.conf.bak", false));
        assert!(wildcard_match("?.sh", "x.sh", false));
        assert!(wildcard_match("*", "", false));
    }
}
