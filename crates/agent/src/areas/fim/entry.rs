//! The compact per-file record a FIM scan keeps, and the arena that holds its bytes.
//!
//! A scan of a whole host holds about a million entries, so nothing here is a
//! `String` or a `Vec` per entry: every path, symlink target and capability
//! value lives in one shared byte arena ([`Entries`]), and an [`Entry`] keeps
//! only 8-byte spans into it next to the fixed-size attributes.
//!
//! Memory per entry: `size_of::<Entry>()` is 128 bytes (pinned by a test) plus
//! the path bytes (host paths average 40–70 bytes) plus the symlink target for
//! links, so 1,000,000 entries need about 200 MB; `Entries::heap_bytes` gives
//! the exact figure from the capacities.

use super::attrs::Attrs;

/// What a path turned out to be when it was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed; its target is recorded).
    Symlink,
    /// A named pipe (never opened).
    Fifo,
    /// A Unix socket (never opened).
    Socket,
    /// A character device (never opened).
    Char,
    /// A block device (never opened).
    Block,
    /// Listed, then gone before it could be read (attributes seen before are kept).
    Vanished,
    /// Listed as one file, then found to be another (other inode, device or type) when opened.
    Replaced,
    /// Could not be read; `errno` says why (13 = permission denied). The
    /// `lstat` attributes are kept when known (`mode` still tells the type of
    /// a directory that could not be listed).
    Unreadable {
        /// The OS error number.
        errno: i32,
    },
}

impl Kind {
    /// The kind as stored: a code (0–9) and, for [`Kind::Unreadable`], the errno.
    /// The same codes are written in baselines, so they never change meaning.
    pub(crate) fn code(self) -> (u8, i32) {
        match self {
            Kind::File => (0, 0),
            Kind::Dir => (1, 0),
            Kind::Symlink => (2, 0),
            Kind::Fifo => (3, 0),
            Kind::Socket => (4, 0),
            Kind::Char => (5, 0),
            Kind::Block => (6, 0),
            Kind::Vanished => (7, 0),
            Kind::Replaced => (8, 0),
            Kind::Unreadable { errno } => (9, errno),
        }
    }

    /// The kind a code stands for; `None` for a code no kind has.
    pub(crate) fn try_from_code(code: u8, errno: i32) -> Option<Kind> {
        Some(match code {
            0 => Kind::File,
            1 => Kind::Dir,
            2 => Kind::Symlink,
            3 => Kind::Fifo,
            4 => Kind::Socket,
            5 => Kind::Char,
            6 => Kind::Block,
            7 => Kind::Vanished,
            8 => Kind::Replaced,
            9 => Kind::Unreadable { errno },
            _ => return None,
        })
    }

    /// The kind of a file from its `lstat` result.
    pub fn from_file_type(ft: std::fs::FileType) -> Kind {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_symlink() {
            Kind::Symlink
        } else if ft.is_dir() {
            Kind::Dir
        } else if ft.is_file() {
            Kind::File
        } else if ft.is_fifo() {
            Kind::Fifo
        } else if ft.is_socket() {
            Kind::Socket
        } else if ft.is_char_device() {
            Kind::Char
        } else {
            Kind::Block
        }
    }
}

/// The hash algorithm of a content digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DigestAlg {
    /// SHA-256 (FIPS 180-4).
    #[default]
    Sha256,
    /// SM3 (GB/T 32905-2016).
    Sm3,
}

impl DigestAlg {
    /// The algorithm of a name as configs and flags spell it (`sha256`, `sm3`).
    pub fn from_name(name: &str) -> Result<DigestAlg, String> {
        match name.to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Ok(DigestAlg::Sha256),
            "sm3" => Ok(DigestAlg::Sm3),
            other => Err(format!(
                "{other:?} is not a supported digest; use sha256 or sm3"
            )),
        }
    }

    /// The name as configs and reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlg::Sha256 => "sha256",
            DigestAlg::Sm3 => "sm3",
        }
    }
}

/// A span of the arena: 40 bits of offset and 24 bits of length in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span(u64);

impl Span {
    const NONE: Span = Span(u64::MAX);
    const MAX_LEN: usize = (1 << 24) - 1;
    const MAX_START: usize = (1 << 40) - 1;
}

/// Fixed-size attributes of one scanned path (its bytes are in [`Entries`]).
#[derive(Debug, Clone)]
pub struct Entry {
    path: Span,
    target: Span,
    caps: Span,
    /// Size in bytes (`st_size`).
    pub size: u64,
    /// Inode number.
    pub ino: u64,
    /// Device number of the file system holding it.
    pub dev: u64,
    /// Modification time, seconds since the epoch.
    pub mtime_sec: i64,
    /// Status-change time, seconds since the epoch.
    pub ctime_sec: i64,
    /// Nanoseconds of `mtime`.
    pub mtime_nsec: u32,
    /// Nanoseconds of `ctime`.
    pub ctime_nsec: u32,
    /// `st_mode`: type and permission bits, setuid (0o4000) and setgid (0o2000) included.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Hard link count (saturated at `u32::MAX`).
    pub nlink: u32,
    errno: i32,
    /// The attributes the scope asked for on this path.
    pub attrs: Attrs,
    kind: u8,
    digest_alg: u8,
    digest: [u8; 32],
}

const NO_DIGEST: u8 = 0;
/// Bit of `digest_alg` saying a package owned the path when it was scanned.
const PACKAGE_OWNED: u8 = 0x80;

impl Entry {
    /// An entry with every attribute zero; the scan fills what it learns.
    pub fn new(kind: Kind, attrs: Attrs) -> Entry {
        let (code, errno) = kind.code();
        Entry {
            path: Span::NONE,
            target: Span::NONE,
            caps: Span::NONE,
            size: 0,
            ino: 0,
            dev: 0,
            mtime_sec: 0,
            ctime_sec: 0,
            mtime_nsec: 0,
            ctime_nsec: 0,
            mode: 0,
            uid: 0,
            gid: 0,
            nlink: 0,
            errno,
            attrs,
            kind: code,
            digest_alg: NO_DIGEST,
            digest: [0; 32],
        }
    }

    /// Fill the attributes from an `lstat` result.
    pub fn set_metadata(&mut self, m: &std::fs::Metadata) {
        use std::os::unix::fs::MetadataExt;
        self.size = m.size();
        self.ino = m.ino();
        self.dev = m.dev();
        self.mtime_sec = m.mtime();
        self.mtime_nsec = u32::try_from(m.mtime_nsec()).unwrap_or(0);
        self.ctime_sec = m.ctime();
        self.ctime_nsec = u32::try_from(m.ctime_nsec()).unwrap_or(0);
        self.mode = m.mode();
        self.uid = m.uid();
        self.gid = m.gid();
        self.nlink = u32::try_from(m.nlink()).unwrap_or(u32::MAX);
    }

    /// What the path was.
    pub fn kind(&self) -> Kind {
        Kind::try_from_code(self.kind, self.errno).unwrap_or(Kind::Unreadable { errno: self.errno })
    }

    /// Change what the path was found to be (e.g. vanished while hashing).
    pub fn set_kind(&mut self, kind: Kind) {
        let (code, errno) = kind.code();
        self.kind = code;
        self.errno = errno;
    }

    /// The content digest, when the file was hashed.
    pub fn digest(&self) -> Option<(DigestAlg, &[u8; 32])> {
        match self.digest_alg & !PACKAGE_OWNED {
            1 => Some((DigestAlg::Sha256, &self.digest)),
            2 => Some((DigestAlg::Sm3, &self.digest)),
            _ => None,
        }
    }

    /// Record the content digest.
    pub fn set_digest(&mut self, alg: DigestAlg, digest: [u8; 32]) {
        self.digest_alg = (self.digest_alg & PACKAGE_OWNED)
            | match alg {
                DigestAlg::Sha256 => 1,
                DigestAlg::Sm3 => 2,
            };
        self.digest = digest;
    }

    /// Whether an installed package owned the path when it was scanned (so a
    /// later removal by the package manager can be told from a deletion).
    pub fn package_owned(&self) -> bool {
        self.digest_alg & PACKAGE_OWNED != 0
    }

    /// Record whether an installed package owns the path.
    pub fn set_package_owned(&mut self, owned: bool) {
        if owned {
            self.digest_alg |= PACKAGE_OWNED;
        } else {
            self.digest_alg &= !PACKAGE_OWNED;
        }
    }

    /// Whether the setuid bit is set.
    pub fn is_setuid(&self) -> bool {
        self.mode & 0o4000 != 0
    }

    /// Whether the setgid bit is set.
    pub fn is_setgid(&self) -> bool {
        self.mode & 0o2000 != 0
    }
}

/// All entries of a scan with the byte arena their paths, targets and capabilities live in.
#[derive(Debug, Clone, Default)]
pub struct Entries {
    arena: Vec<u8>,
    entries: Vec<Entry>,
}

/// One entry together with its bytes.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    set: &'a Entries,
    /// The fixed-size attributes.
    pub entry: &'a Entry,
}

impl<'a> EntryRef<'a> {
    /// The host path (as the audited host sees it, e.g. `/etc/passwd`), bytes as stored on disk.
    pub fn path(&self) -> &'a [u8] {
        self.set.bytes(self.entry.path).unwrap_or_default()
    }

    /// The target of a symbolic link, bytes as stored.
    pub fn target(&self) -> Option<&'a [u8]> {
        self.set.bytes(self.entry.target)
    }

    /// The raw `security.capability` extended attribute, when the file has one.
    pub fn caps(&self) -> Option<&'a [u8]> {
        self.set.bytes(self.entry.caps)
    }

    /// The content digest, when the file was hashed (borrowing the set, not this view).
    pub fn digest(&self) -> Option<(DigestAlg, &'a [u8; 32])> {
        self.entry.digest()
    }
}

impl std::ops::Deref for EntryRef<'_> {
    type Target = Entry;
    fn deref(&self) -> &Entry {
        self.entry
    }
}

impl Entries {
    /// An empty set with room for `n` entries and `arena` bytes.
    pub fn with_capacity(n: usize, arena: usize) -> Entries {
        Entries {
            arena: Vec::with_capacity(arena),
            entries: Vec::with_capacity(n),
        }
    }

    fn store(&mut self, bytes: &[u8]) -> Span {
        let start = self.arena.len();
        // Paths and link targets are at most PATH_MAX (4096) and a capability
        // xattr is a few dozen bytes, so the limits (16 MiB, 1 TiB) are never
        // reached; clip rather than corrupt if they ever were.
        let len = bytes.len().min(Span::MAX_LEN);
        if start > Span::MAX_START {
            return Span(0);
        }
        self.arena.extend_from_slice(&bytes[..len]);
        Span(((start as u64) << 24) | len as u64)
    }

    fn bytes(&self, span: Span) -> Option<&[u8]> {
        if span == Span::NONE {
            return None;
        }
        let start = (span.0 >> 24) as usize;
        let len = (span.0 & Span::MAX_LEN as u64) as usize;
        self.arena.get(start..start + len)
    }

    /// Add an entry for `path` (with a symlink target and capability value when known);
    /// returns its index.
    pub fn push(
        &mut self,
        mut entry: Entry,
        path: &[u8],
        target: Option<&[u8]>,
        caps: Option<&[u8]>,
    ) -> usize {
        entry.path = self.store(path);
        entry.target = target.map_or(Span::NONE, |t| self.store(t));
        entry.caps = caps.map_or(Span::NONE, |c| self.store(c));
        self.entries.push(entry);
        self.entries.len() - 1
    }

    /// Record the capability value of entry `i` (read after the entry was
    /// pushed, from the opened file).
    pub fn set_caps(&mut self, i: usize, caps: &[u8]) {
        let span = self.store(caps);
        if let Some(e) = self.entries.get_mut(i) {
            e.caps = span;
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `i`.
    pub fn get(&self, i: usize) -> Option<EntryRef<'_>> {
        self.entries
            .get(i)
            .map(|entry| EntryRef { set: self, entry })
    }

    /// Mutable fixed-size attributes of entry `i`.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Entry> {
        self.entries.get_mut(i)
    }

    /// All entries in order (by path once [`Entries::sort_by_path`] ran).
    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> + '_ {
        self.entries
            .iter()
            .map(|entry| EntryRef { set: self, entry })
    }

    /// Order entries by path bytes (the order [`Entries::find`] needs).
    pub fn sort_by_path(&mut self) {
        let arena = &self.arena;
        let key = |s: Span| {
            let start = (s.0 >> 24) as usize;
            let len = (s.0 & Span::MAX_LEN as u64) as usize;
            arena.get(start..start + len).unwrap_or_default()
        };
        self.entries
            .sort_unstable_by(|a, b| key(a.path).cmp(key(b.path)));
    }

    /// The entry of a host path (after [`Entries::sort_by_path`]).
    pub fn find(&self, path: &[u8]) -> Option<EntryRef<'_>> {
        self.entries
            .binary_search_by(|e| self.bytes(e.path).unwrap_or_default().cmp(path))
            .ok()
            .and_then(|i| self.get(i))
    }

    /// Release spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.arena.shrink_to_fit();
        self.entries.shrink_to_fit();
    }

    /// Heap bytes held (by capacity, not length): the memory the set costs.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.entries.capacity() * std::mem::size_of::<Entry>()
    }
}
