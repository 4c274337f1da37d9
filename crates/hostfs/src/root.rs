//! The root prefix every host read goes through.
//!
//! On a live host the root is `/`; with `--root DIR` it is a mounted image or a
//! test fixture, and every file the agent reads (`etc/os-release`,
//! `proc/net/tcp`, ...) is read below DIR instead, so both are audited alike.

use std::path::{Path, PathBuf};

/// The largest host text file [`HostRoot::read_optional`] reads: configuration
/// and state files are far smaller; anything larger is not one.
pub const MAX_TEXT_BYTES: u64 = 4 * 1024 * 1024;

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

    /// The path of a host file with symbolic links inside the root resolved the
    /// way the audited host would resolve them: an absolute link target
    /// (`var/run -> /run`) is taken below the root, and `..` never climbs above
    /// it, so an image's links can never lead to the machine running the agent.
    /// On the live host this is [`HostRoot::join`].
    pub fn resolve(&self, host_path: impl AsRef<Path>) -> PathBuf {
        if self.live {
            return self.join(host_path);
        }
        let mut pending: Vec<std::ffi::OsString> = Vec::new();
        push_components(&mut pending, host_path.as_ref());
        let mut resolved: Vec<std::ffi::OsString> = Vec::new();
        let mut links_followed = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                resolved.pop();
                continue;
            }
            let candidate = self
                .dir
                .join(resolved.iter().collect::<PathBuf>())
                .join(&part);
            match std::fs::read_link(&candidate) {
                // Like the kernel, give up after 40 links; the path then fails to open (ELOOP-like).
                Ok(target) if links_followed < 40 => {
                    links_followed += 1;
                    if target.is_absolute() {
                        resolved.clear();
                    }
                    push_components(&mut pending, &target);
                }
                _ => resolved.push(part),
            }
        }
        self.dir.join(resolved.iter().collect::<PathBuf>())
    }

    /// Open a host file (through [`HostRoot::resolve`]) for reading, with its
    /// metadata; `None` when it does not exist. It is opened non-blocking and
    /// must be a regular file, so a FIFO or device in its place is an error
    /// (`InvalidInput`), never a hang.
    pub fn open_regular(
        &self,
        host_path: impl AsRef<Path>,
    ) -> std::io::Result<Option<(std::fs::File, std::fs::Metadata)>> {
        use rustix::fs::OFlags;
        use std::io::{Error, ErrorKind};
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
            .open(self.resolve(host_path));
        let file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        if !meta.file_type().is_file() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "not a regular file (a directory, FIFO or device)",
            ));
        }
        Ok(Some((file, meta)))
    }

    /// Read a host file as text (through [`HostRoot::resolve`]); `None` when
    /// it does not exist. Only a regular file of at most [`MAX_TEXT_BYTES`] is
    /// read: it is opened non-blocking, so a FIFO or device in its place is an
    /// error (`InvalidInput`), never a hang. Invalid UTF-8 is replaced.
    pub fn read_optional(&self, host_path: impl AsRef<Path>) -> std::io::Result<Option<String>> {
        use std::io::{Error, ErrorKind, Read};
        let Some((file, _)) = self.open_regular(host_path)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.take(MAX_TEXT_BYTES + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_TEXT_BYTES {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("larger than {MAX_TEXT_BYTES} bytes, so not a configuration or state file"),
            ));
        }
        Ok(Some(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }))
    }
}

/// Push the normal components of `path` onto the stack `pending` so that the
/// first component is popped first (`.` and the root are dropped).
fn push_components(pending: &mut Vec<std::ffi::OsString>, path: &Path) {
    use std::path::Component;
    let parts: Vec<std::ffi::OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    pending.extend(parts.into_iter().rev());
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

    #[test]
    fn links_in_an_image_never_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = HostRoot::at(dir.path()).unwrap();
        let d = root.dir();
        std::fs::create_dir_all(d.join("run")).unwrap();
        std::fs::create_dir_all(d.join("var")).unwrap();
        std::fs::write(
            d.join("run/reboot-required"),
            "*** System restart required ***\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("/run", d.join("var/run")).unwrap();
        std::os::unix::fs::symlink("../../../../../../etc/passwd", d.join("escape")).unwrap();
        std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
        assert_eq!(
            root.resolve("var/run/reboot-required"),
            d.join("run/reboot-required")
        );
        assert!(
            root.read_optional("/var/run/reboot-required")
                .unwrap()
                .is_some()
        );
        assert_eq!(root.resolve("escape"), d.join("etc/passwd"));
        assert_eq!(root.read_optional("escape").unwrap(), None);
        assert!(root.resolve("loop").starts_with(d));
    }
}
