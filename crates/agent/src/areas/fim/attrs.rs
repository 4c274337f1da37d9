//! The attributes a FIM rule records and compares, as bits: the vocabulary
//! the scope, the entries and the baseline file all speak, kept below them.

/// A set of attributes to record and compare, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Attrs(pub u16);

impl Attrs {
    /// File type.
    pub const TYPE: Attrs = Attrs(1);
    /// Size.
    pub const SIZE: Attrs = Attrs(1 << 1);
    /// Permission bits incl. setuid/setgid/sticky.
    pub const MODE: Attrs = Attrs(1 << 2);
    /// Owner.
    pub const UID: Attrs = Attrs(1 << 3);
    /// Group.
    pub const GID: Attrs = Attrs(1 << 4);
    /// Inode number.
    pub const INODE: Attrs = Attrs(1 << 5);
    /// Hard link count.
    pub const NLINK: Attrs = Attrs(1 << 6);
    /// Modification time.
    pub const MTIME: Attrs = Attrs(1 << 7);
    /// Status-change time.
    pub const CTIME: Attrs = Attrs(1 << 8);
    /// Symlink target.
    pub const TARGET: Attrs = Attrs(1 << 9);
    /// File capabilities (`security.capability`).
    pub const CAPS: Attrs = Attrs(1 << 10);
    /// SHA-256 of the content.
    pub const SHA256: Attrs = Attrs(1 << 11);
    /// SM3 of the content.
    pub const SM3: Attrs = Attrs(1 << 12);
    /// A content digest with the scan's default algorithm (named sets use this).
    pub const DIGEST: Attrs = Attrs(1 << 13);

    /// `full`: every attribute.
    pub const FULL: Attrs = Attrs(
        Self::TYPE.0
            | Self::SIZE.0
            | Self::MODE.0
            | Self::UID.0
            | Self::GID.0
            | Self::INODE.0
            | Self::NLINK.0
            | Self::MTIME.0
            | Self::CTIME.0
            | Self::TARGET.0
            | Self::CAPS.0
            | Self::DIGEST.0,
    );
    /// `content+perms`: what the file holds and who may use it, not where it sits
    /// (inode, link count and times are left out).
    pub const CONTENT_PERMS: Attrs = Attrs(
        Self::TYPE.0
            | Self::SIZE.0
            | Self::MODE.0
            | Self::UID.0
            | Self::GID.0
            | Self::TARGET.0
            | Self::CAPS.0
            | Self::DIGEST.0,
    );

    /// Names accepted in an `attrs` list.
    pub const NAMES: [(&'static str, Attrs); 13] = [
        ("type", Self::TYPE),
        ("size", Self::SIZE),
        ("mode", Self::MODE),
        ("uid", Self::UID),
        ("gid", Self::GID),
        ("inode", Self::INODE),
        ("nlink", Self::NLINK),
        ("mtime", Self::MTIME),
        ("ctime", Self::CTIME),
        ("target", Self::TARGET),
        ("caps", Self::CAPS),
        ("sha256", Self::SHA256),
        ("sm3", Self::SM3),
    ];

    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: Attrs) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets together.
    pub fn union(self, other: Attrs) -> Attrs {
        Attrs(self.0 | other.0)
    }

    /// Whether a content digest is asked for.
    pub fn wants_digest(self) -> bool {
        self.0 & (Self::SHA256.0 | Self::SM3.0 | Self::DIGEST.0) != 0
    }
}
