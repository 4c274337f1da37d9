//! The root prefix every host read goes through.
//!
//! On a live host the root is `/`; with `--root DIR` it is a mounted image or a
//! test fixture, and every file the agent reads (`etc/os-release`,
//! `proc/net/tcp`, ...) is read below DIR instead, so both are audited alike.
//!
//! Every operation an area needs on the host is here, so no area touches
//! `std::fs` with a host path: paths are resolved inside the root
//! ([`HostRoot::resolve`]: absolute links re-rooted, `..` stopped at the root,
//! a loop an error), files are opened non-blocking and must be regular files
//! (a FIFO or device in their place is an error, never a hang or an endless
//! read), and every read has a bound the caller names ([`MAX_TEXT_BYTES`] and
//! [`MAX_TABLE_BYTES`] are the usual ones). Each error is an [`std::io::Error`]
//! whose message names the file, so a check can say "could not run: ...".

mod bounded;
mod resolve;

pub use bounded::{BoundedReader, read_line_bounded};
pub use resolve::MAX_LINKS;

use resolve::{Last, resolve_below};
use std::fs::{File, Metadata, ReadDir};
use std::io::{BufReader, Error, ErrorKind};
use std::path::{Path, PathBuf};

/// The largest host text file [`HostRoot::read_optional`] reads: configuration
/// and state files are far smaller; anything larger is not one.
pub const MAX_TEXT_BYTES: u64 = 4 * 1024 * 1024;

/// The usual bound for a package table streamed or read whole (dpkg `status`,
/// apt lists, rpm repodata): the largest real ones (a full Debian `Packages`
/// list) are around 100 MiB.
pub const MAX_TABLE_BYTES: u64 = 512 * 1024 * 1024;

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
            return Err(Error::new(
                ErrorKind::NotADirectory,
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
    /// or a relative one (`etc/os-release`), joined as text: for naming a file
    /// in messages only. Reading goes through [`HostRoot::resolve`] and the
    /// operations below, which resolve links inside the root.
    pub fn join(&self, host_path: impl AsRef<Path>) -> PathBuf {
        let p = host_path.as_ref();
        let rel = p.strip_prefix("/").unwrap_or(p);
        self.dir.join(rel)
    }

    /// The path of a host file with symbolic links resolved the way the
    /// audited host would resolve them, inside the root: an absolute link
    /// target (`var/run -> /run`, `proc -> /proc`) is taken below the root at
    /// every step, `..` never climbs above it, and more than [`MAX_LINKS`]
    /// links (a loop, or a chain too long) is an error naming the path, so an
    /// image's links can never lead to the machine running the agent. On the
    /// live host this is [`HostRoot::join`].
    pub fn resolve(&self, host_path: impl AsRef<Path>) -> std::io::Result<PathBuf> {
        self.resolve_with(host_path.as_ref(), Last::Follow)
    }

    /// Like [`HostRoot::resolve`], but a link in the last component is kept,
    /// not followed: the path to `lstat` or `readlink`.
    pub fn resolve_keep_last(&self, host_path: impl AsRef<Path>) -> std::io::Result<PathBuf> {
        self.resolve_with(host_path.as_ref(), Last::Keep)
    }

    fn resolve_with(&self, host_path: &Path, last: Last) -> std::io::Result<PathBuf> {
        if self.live {
            return Ok(self.join(host_path));
        }
        resolve_below(&self.dir, host_path, last)
    }

    /// The file's name in errors: the path below the root as given.
    fn shown(&self, host_path: &Path) -> String {
        self.join(host_path).display().to_string()
    }

    /// Open a host file for reading, with its metadata; `Err` (`NotFound`)
    /// when it does not exist. It is opened non-blocking, without becoming a
    /// controlling terminal and (in an image, where the resolved path holds no
    /// link) without following a link, and it must be a regular file: a FIFO,
    /// device, socket or directory in its place is an error (`InvalidInput`),
    /// never a hang or an endless read.
    pub fn open_file(&self, host_path: impl AsRef<Path>) -> std::io::Result<(File, Metadata)> {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        let host_path = host_path.as_ref();
        let shown = self.shown(host_path);
        let at = |e: Error| Error::new(e.kind(), format!("{shown}: {e}"));
        let path = self.resolve(host_path)?;
        // Refused before it is opened: opening some devices has effects of its own.
        let before = if self.live {
            std::fs::metadata(&path)
        } else {
            std::fs::symlink_metadata(&path)
        }
        .map_err(at)?;
        not_regular(&before, &shown)?;
        let mut flags = OFlags::NONBLOCK | OFlags::NOCTTY;
        if !self.live {
            flags |= OFlags::NOFOLLOW;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags.bits() as i32)
            .open(&path)
            .map_err(at)?;
        let meta = file.metadata().map_err(at)?;
        not_regular(&meta, &shown)?;
        Ok((file, meta))
    }

    /// [`HostRoot::open_file`], with `None` when the file does not exist.
    pub fn open_regular(
        &self,
        host_path: impl AsRef<Path>,
    ) -> std::io::Result<Option<(File, Metadata)>> {
        optional(self.open_file(host_path))
    }

    /// The bytes of a host file of at most `max` bytes ([`HostRoot::open_file`]'s
    /// rules); a larger file is an error (`InvalidData`) and is not read past `max`.
    pub fn read_bytes(&self, host_path: impl AsRef<Path>, max: u64) -> std::io::Result<Vec<u8>> {
        let host_path = host_path.as_ref();
        let (file, meta) = self.open_file(host_path)?;
        bounded::read_all(file, max, meta.len(), &self.shown(host_path))
    }

    /// The text of a host file of at most `max` bytes, invalid UTF-8 replaced.
    pub fn read_text(&self, host_path: impl AsRef<Path>, max: u64) -> std::io::Result<String> {
        Ok(lossy(self.read_bytes(host_path, max)?))
    }

    /// Read a host file as text; `None` when it does not exist. Only a regular
    /// file of at most [`MAX_TEXT_BYTES`] is read ([`HostRoot::open_file`]).
    /// Invalid UTF-8 is replaced.
    pub fn read_optional(&self, host_path: impl AsRef<Path>) -> std::io::Result<Option<String>> {
        optional(self.read_text(host_path, MAX_TEXT_BYTES))
    }

    /// A buffered reader of a big host table (dpkg status, apt lists,
    /// repodata, `/proc/net/*`) that fails once more than `max` bytes have
    /// been read: for parsers that stream. `buffer` is the read size (the
    /// kernel's `/proc/net` tables cost a walk of all sockets per read, so
    /// they want a large one).
    pub fn open_stream(
        &self,
        host_path: impl AsRef<Path>,
        max: u64,
        buffer: usize,
    ) -> std::io::Result<BufReader<BoundedReader<File>>> {
        let host_path = host_path.as_ref();
        let (file, _) = self.open_file(host_path)?;
        Ok(BufReader::with_capacity(
            buffer,
            BoundedReader::new(file, max, self.shown(host_path)),
        ))
    }

    /// The entries of a host directory, resolved inside the root. An entry's
    /// own `path()` is not a host path: read entries again through this root
    /// by their host path (`dir/name`). Their `file_type()` and `metadata()`
    /// do not follow links, so they are safe to use.
    pub fn read_dir(&self, host_path: impl AsRef<Path>) -> std::io::Result<ReadDir> {
        let host_path = host_path.as_ref();
        let path = self.resolve(host_path)?;
        std::fs::read_dir(path)
            .map_err(|e| Error::new(e.kind(), format!("{}: {e}", self.shown(host_path))))
    }

    /// The metadata of what a host path names, links followed inside the root.
    pub fn metadata(&self, host_path: impl AsRef<Path>) -> std::io::Result<Metadata> {
        let host_path = host_path.as_ref();
        let path = self.resolve(host_path)?;
        let meta = if self.live {
            std::fs::metadata(path)
        } else {
            // Resolved: no link left to follow.
            std::fs::symlink_metadata(path)
        };
        meta.map_err(|e| Error::new(e.kind(), format!("{}: {e}", self.shown(host_path))))
    }

    /// The metadata of a host path itself (a link is not followed).
    pub fn symlink_metadata(&self, host_path: impl AsRef<Path>) -> std::io::Result<Metadata> {
        let host_path = host_path.as_ref();
        std::fs::symlink_metadata(self.resolve_keep_last(host_path)?)
            .map_err(|e| Error::new(e.kind(), format!("{}: {e}", self.shown(host_path))))
    }

    /// The target of a host symbolic link, as written in the link.
    pub fn read_link(&self, host_path: impl AsRef<Path>) -> std::io::Result<PathBuf> {
        let host_path = host_path.as_ref();
        std::fs::read_link(self.resolve_keep_last(host_path)?)
            .map_err(|e| Error::new(e.kind(), format!("{}: {e}", self.shown(host_path))))
    }

    /// Whether a host path names a regular file (links followed inside the root).
    pub fn is_file(&self, host_path: impl AsRef<Path>) -> bool {
        self.metadata(host_path).is_ok_and(|m| m.is_file())
    }

    /// Whether a host path names a directory (links followed inside the root).
    pub fn is_dir(&self, host_path: impl AsRef<Path>) -> bool {
        self.metadata(host_path).is_ok_and(|m| m.is_dir())
    }

    /// Whether a host path names anything (links followed inside the root).
    pub fn exists(&self, host_path: impl AsRef<Path>) -> bool {
        self.metadata(host_path).is_ok()
    }
}

/// Open a file already resolved (a path below a [`HostRoot`] from
/// [`HostRoot::resolve`], or a file the user named) for reading the way
/// [`HostRoot::open_file`] does: non-blocking, no controlling terminal, a
/// regular file only, so a FIFO or device in its place is an error
/// (`InvalidInput`), never a hang.
pub fn open_regular_path(path: &Path) -> std::io::Result<File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display().to_string();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
        .open(path)?;
    not_regular(&file.metadata()?, &shown)?;
    Ok(file)
}

/// The bytes of a file already resolved (see [`open_regular_path`]) of at
/// most `max` bytes; a larger file is an error and is not read past `max`.
pub fn read_regular_path(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let shown = path.display().to_string();
    let file =
        open_regular_path(path).map_err(|e| Error::new(e.kind(), format!("{shown}: {e}")))?;
    let len = file.metadata()?.len();
    bounded::read_all(file, max, len, &shown)
}

/// `Err` (`InvalidInput`) unless `meta` is a regular file's.
fn not_regular(meta: &Metadata, shown: &str) -> std::io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let what = if t.is_file() {
        return Ok(());
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a symbolic link"
    };
    Err(Error::new(
        ErrorKind::InvalidInput,
        format!("{shown}: not a regular file ({what}), so not read"),
    ))
}

/// `None` for `NotFound`.
fn optional<T>(r: std::io::Result<T>) -> std::io::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Bytes as text, invalid UTF-8 replaced.
fn lossy(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
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
            root.resolve("var/run/reboot-required").unwrap(),
            d.join("run/reboot-required")
        );
        assert!(
            root.read_optional("/var/run/reboot-required")
                .unwrap()
                .is_some()
        );
        assert_eq!(root.resolve("escape").unwrap(), d.join("etc/passwd"));
        assert_eq!(root.read_optional("escape").unwrap(), None);
        let e = root.resolve("loop").unwrap_err();
        assert!(e.to_string().contains("more than 40 symbolic links"), "{e}");
        assert!(root.read_optional("loop").is_err());
    }
}
