//! Shared pieces of the fuzz targets: a scratch host root per process, rewritten on every
//! input, so the targets drive the same public entry points the agent and collector use.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A directory for this process's scratch files (in `/dev/shm` when it exists: no disk I/O).
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("selfcheck-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    })
}

/// Write `bytes` to `rel` below the scratch directory (parents created) and return its path.
pub fn put(rel: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_dir().join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("scratch parent");
    }
    std::fs::write(&path, bytes).expect("scratch write");
    path
}

/// Remove `rel` below the scratch directory if it exists.
pub fn remove(rel: &str) {
    let _ = std::fs::remove_file(scratch_dir().join(rel));
}

/// The scratch directory as an audited host root (`--root`).
pub fn host_root() -> selfcheck_hostfs::HostRoot {
    selfcheck_hostfs::HostRoot::at(scratch_dir()).expect("scratch root")
}

/// The built-in check catalog, loaded once.
pub fn catalog() -> &'static selfcheck_catalog::Catalog {
    static CATALOG: OnceLock<selfcheck_catalog::Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| selfcheck_catalog::Catalog::embedded().expect("embedded catalog"))
}

/// Split an input at its first byte: a selector (`data[0] % choices`) and the rest.
pub fn select(data: &[u8], choices: u8) -> Option<(u8, &[u8])> {
    let (&first, rest) = data.split_first()?;
    Some((first % choices, rest))
}
