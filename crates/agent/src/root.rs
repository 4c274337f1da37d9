//! The root prefix every host read goes through.
//!
//! On a live host the root is `/`; with `--root DIR` it is a mounted image or a
//! test fixture, and every file the agent reads (`etc/os-release`,
//! `proc/net/tcp`, ...) is read below DIR instead, so both are audited alike.

use std::path::{Path, PathBuf};

/// The file-system root an audit reads from.
#[derive(Debug, Clone)]
pub struct HostRoot {
    dir: PathBuf,
    live: bool,
}

impl HostRoot {
    /// The machine the agent runs on (`/`).
    pub fn live() -> HostRoot {
        HostRoot {
            dir: PathBuf::from("/"),
            live: true,
        }
    }

    /// A directory holding another host's files. `/` itself counts as live.
    pub fn at(dir: &Path) -> std::io::Result<HostRoot> {
        let meta = std::fs::metadata(dir)?;
        if !meta.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("{} is not a directory", dir.display()),
            ));
        }
        let canonical = dir.canonicalize()?;
        let live = canonical == Path::new("/");
        Ok(HostRoot {
            dir: canonical,
            live,
        })
    }

    /// `--root DIR` when given, else the live host.
    pub fn from_option(dir: Option<&Path>) -> std::io::Result<HostRoot> {
        match dir {
            Some(d) => HostRoot::at(d),
            None => Ok(HostRoot::live()),
        }
    }

    /// Whether this is the machine the agent runs on (so kernel calls such as
    /// `uname` describe the audited host).
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// The root directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a host file given as an absolute host path (`/etc/os-release`)
    /// or a relative one (`etc/os-release`).
    pub fn join(&self, host_path: impl AsRef<Path>) -> PathBuf {
        let p = host_path.as_ref();
        let rel = p.strip_prefix("/").unwrap_or(p);
        self.dir.join(rel)
    }

    /// Read a host file as text; `None` when it does not exist.
    pub fn read_optional(&self, host_path: impl AsRef<Path>) -> std::io::Result<Option<String>> {
        match std::fs::read_to_string(self.join(host_path)) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths_stay_below_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = HostRoot::at(dir.path()).unwrap();
        assert!(!root.is_live());
        assert_eq!(root.join("/etc/hostname"), root.dir().join("etc/hostname"));
        assert_eq!(root.join("proc/net/tcp"), root.dir().join("proc/net/tcp"));
        assert!(HostRoot::at(Path::new("/")).unwrap().is_live());
        assert!(HostRoot::at(&dir.path().join("missing")).is_err());
    }
}
