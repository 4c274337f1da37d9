//! The package manager's own record of every file it installed: which package
//! owns a path, the digest it recorded, and whether it is a configuration file.
//!
//! Sources: dpkg's `var/lib/dpkg/info/*.md5sums`, `*.list`, the `Conffiles:`
//! field of `status` and `diversions` ([`dpkg`]); rpm's file tags in each
//! package header ([`rpm`]). File-integrity changes are told apart with it
//! ("changed by a package update" vs unexplained), and `fim verify-packages`
//! checks every package-owned file against it with no baseline.
//!
//! Merged /usr: when `/bin`, `/sbin`, `/lib*` below the root are links to
//! `usr/...`, a package path `/bin/ls` and the scanned path `/usr/bin/ls` name
//! the same file, and [`PackageFiles::owner`] finds it by either name.
//!
//! Paths are bytes, never assumed UTF-8. Entries are compact: one byte arena
//! for all paths and one for all digests, records sorted by path.

pub mod dpkg;
pub mod rpm;

use selfcheck_hostfs::root::HostRoot;
use sha2::Digest as _;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Digest algorithm a package manager recorded for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PkgDigestAlg {
    /// MD5 (dpkg; rpm before 4.6 and when FILEDIGESTALGO is absent).
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256 (rpm's default since 4.14 on most distributions).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl PkgDigestAlg {
    const ALL: [PkgDigestAlg; 6] = [
        PkgDigestAlg::Md5,
        PkgDigestAlg::Sha1,
        PkgDigestAlg::Sha224,
        PkgDigestAlg::Sha256,
        PkgDigestAlg::Sha384,
        PkgDigestAlg::Sha512,
    ];

    /// Lower-case name: `md5`, `sha1`, `sha224`, `sha256`, `sha384`, `sha512`.
    pub fn name(self) -> &'static str {
        match self {
            PkgDigestAlg::Md5 => "md5",
            PkgDigestAlg::Sha1 => "sha1",
            PkgDigestAlg::Sha224 => "sha224",
            PkgDigestAlg::Sha256 => "sha256",
            PkgDigestAlg::Sha384 => "sha384",
            PkgDigestAlg::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            PkgDigestAlg::Md5 => 16,
            PkgDigestAlg::Sha1 => 20,
            PkgDigestAlg::Sha224 => 28,
            PkgDigestAlg::Sha256 => 32,
            PkgDigestAlg::Sha384 => 48,
            PkgDigestAlg::Sha512 => 64,
        }
    }

    /// rpm's `FILEDIGESTALGO` value (PGP hash algorithm numbers).
    pub fn from_pgp(n: u32) -> Option<PkgDigestAlg> {
        Some(match n {
            1 => PkgDigestAlg::Md5,
            2 => PkgDigestAlg::Sha1,
            8 => PkgDigestAlg::Sha256,
            9 => PkgDigestAlg::Sha384,
            10 => PkgDigestAlg::Sha512,
            11 => PkgDigestAlg::Sha224,
            _ => return None,
        })
    }

    fn code(self) -> u8 {
        self as u8 + 1
    }

    fn from_code(c: u8) -> Option<PkgDigestAlg> {
        Self::ALL.get(usize::from(c).checked_sub(1)?).copied()
    }
}

/// One file (or directory/symlink) a package owns, as the package manager recorded it.
#[derive(Debug, Clone, Copy)]
pub struct OwnedFile<'a> {
    /// dpkg: `name` or `name:arch` as in the info file names; rpm:
    /// `name-version-release.arch`.
    pub package: &'a str,
    /// The recorded digest (raw bytes); `None` for directories, symlinks,
    /// ghost files and files without a recorded digest.
    pub digest: Option<(PkgDigestAlg, &'a [u8])>,
    /// dpkg conffile / rpm `%config`.
    pub config: bool,
    /// rpm `%ghost` or `%missingok`, or a file rpm did not install
    /// (`--excludedocs`, netshared): its absence is no problem.
    pub optional: bool,
}

const FLAG_CONFIG: u8 = 1;
const FLAG_OPTIONAL: u8 = 2;

/// One record: where its path and digest are in the arenas.
#[derive(Debug, Clone, Copy)]
struct Rec {
    path_off: u32,
    path_len: u32,
    digest_off: u32,
    pkg: u32,
    alg: u8,
    flags: u8,
}

/// The package file database of one host.
#[derive(Debug, Default)]
pub struct PackageFiles {
    manager: &'static str,
    source: String,
    warnings: Vec<String>,
    packages: Vec<String>,
    paths: Vec<u8>,
    digests: Vec<u8>,
    recs: Vec<Rec>,
    /// Top-level directories that are links into /usr: (`/bin/`, `/usr/bin/`).
    merged: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Directories merged /usr turns into links (`/bin -> usr/bin`).
const MERGED_DIRS: [&str; 6] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

impl PackageFiles {
    /// Read the package file database below the root: dpkg's when
    /// `var/lib/dpkg/status` exists, else rpm's. `None` when the host has neither.
    pub fn load(root: &HostRoot) -> Result<Option<PackageFiles>, String> {
        let mut files = if root.exists(crate::backend::DPKG_STATUS) {
            dpkg::load(root)?
        } else {
            match rpm::load(root)? {
                Some(f) => f,
                None => return Ok(None),
            }
        };
        files.merged = merged_usr(root);
        Ok(Some(files))
    }

    /// `dpkg` or `rpm`.
    pub fn manager(&self) -> &'static str {
        self.manager
    }

    /// What was read, for messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Files skipped or partly read, each named with the reason.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Number of owned paths.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    /// Whether no path is owned.
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// The package that owns `host_path` (`/usr/bin/ls`), also through a
    /// merged-/usr link (`/bin/ls` recorded, `/usr/bin/ls` asked, or the reverse).
    pub fn owner(&self, host_path: &[u8]) -> Option<OwnedFile<'_>> {
        if let Some(i) = self.find(host_path) {
            return Some(self.owned(&self.recs[i]));
        }
        for (top, usr) in &self.merged {
            let alias = if let Some(rest) = host_path.strip_prefix(top.as_slice()) {
                [usr.as_slice(), rest].concat()
            } else if let Some(rest) = host_path.strip_prefix(usr.as_slice()) {
                [top.as_slice(), rest].concat()
            } else {
                continue;
            };
            if let Some(i) = self.find(&alias) {
                return Some(self.owned(&self.recs[i]));
            }
        }
        None
    }

    /// Every owned path, ordered by path bytes.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], OwnedFile<'_>)> + '_ {
        self.recs.iter().map(|r| (self.path(r), self.owned(r)))
    }

    fn find(&self, host_path: &[u8]) -> Option<usize> {
        self.recs
            .binary_search_by(|r| self.path(r).cmp(host_path))
            .ok()
    }

    fn path(&self, r: &Rec) -> &[u8] {
        &self.paths[r.path_off as usize..(r.path_off + r.path_len) as usize]
    }

    fn owned(&self, r: &Rec) -> OwnedFile<'_> {
        let digest = PkgDigestAlg::from_code(r.alg).map(|alg| {
            let at = r.digest_off as usize;
            (alg, &self.digests[at..at + alg.digest_len()])
        });
        OwnedFile {
            package: &self.packages[r.pkg as usize],
            digest,
            config: r.flags & FLAG_CONFIG != 0,
            optional: r.flags & FLAG_OPTIONAL != 0,
        }
    }
}

/// The `/X/` -> `/usr/X/` pairs of top-level directories that are links to `usr/X` below the root.
fn merged_usr(root: &HostRoot) -> Vec<(Vec<u8>, Vec<u8>)> {
    MERGED_DIRS
        .iter()
        .filter(|d| {
            root.read_link(d).is_ok_and(|t| {
                let t = t.to_string_lossy();
                let t = t.trim_start_matches('/').trim_end_matches('/');
                t == format!("usr/{d}")
            })
        })
        .map(|d| {
            (
                format!("/{d}/").into_bytes(),
                format!("/usr/{d}/").into_bytes(),
            )
        })
        .collect()
}

/// Collects records while a source is read; [`Builder::finish`] sorts and
/// de-duplicates them.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    files: PackageFiles,
    pkg_index: std::collections::HashMap<String, u32>,
}

impl Builder {
    pub(crate) fn new(manager: &'static str, source: String) -> Builder {
        Builder {
            files: PackageFiles {
                manager,
                source,
                ..PackageFiles::default()
            },
            pkg_index: Default::default(),
        }
    }

    pub(crate) fn warn(&mut self, w: String) {
        self.files.warnings.push(w);
    }

    pub(crate) fn package(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.pkg_index.get(name) {
            return i;
        }
        let i = self.files.packages.len() as u32;
        self.files.packages.push(name.to_string());
        self.pkg_index.insert(name.to_string(), i);
        i
    }

    /// Record `path` (absolute, as the package manager names it) for package `pkg`.
    pub(crate) fn push(
        &mut self,
        pkg: u32,
        path: &[u8],
        digest: Option<(PkgDigestAlg, &[u8])>,
        config: bool,
        optional: bool,
    ) {
        let f = &mut self.files;
        let path_off = f.paths.len() as u32;
        f.paths.extend_from_slice(path);
        let digest_off = f.digests.len() as u32;
        let alg = match digest {
            Some((alg, d)) if d.len() == alg.digest_len() => {
                f.digests.extend_from_slice(d);
                alg.code()
            }
            _ => 0,
        };
        let flags = (u8::from(config) * FLAG_CONFIG) | (u8::from(optional) * FLAG_OPTIONAL);
        f.recs.push(Rec {
            path_off,
            path_len: path.len() as u32,
            digest_off,
            pkg,
            alg,
            flags,
        });
    }

    /// Sort by path; of several records for one path keep the first with a
    /// digest (else the first), marking it config when any record is.
    pub(crate) fn finish(self) -> PackageFiles {
        let mut f = self.files;
        let mut recs = std::mem::take(&mut f.recs);
        // Stable: the first record of a path stays first.
        recs.sort_by(|a, b| f.path(a).cmp(f.path(b)));
        let mut out: Vec<Rec> = Vec::with_capacity(recs.len());
        for r in recs {
            match out.last_mut() {
                Some(last) if f.path(last) == f.path(&r) => {
                    let config = (last.flags | r.flags) & FLAG_CONFIG;
                    if last.alg == 0 && r.alg != 0 {
                        *last = r;
                    }
                    // Optional only when every owner says so.
                    last.flags = (last.flags & r.flags & FLAG_OPTIONAL) | config;
                }
                _ => out.push(r),
            }
        }
        // Compact the path arena in sorted order.
        let mut paths = Vec::with_capacity(out.iter().map(|r| r.path_len as usize).sum());
        for r in &mut out {
            let off = paths.len() as u32;
            paths.extend_from_slice(f.path(r));
            r.path_off = off;
        }
        f.paths = paths;
        f.recs = out;
        f.recs.shrink_to_fit();
        f.digests.shrink_to_fit();
        f
    }
}

/// Decode a hex digest; `None` when it is not hex of the algorithm's length.
pub(crate) fn decode_hex(hex: &[u8], alg: PkgDigestAlg) -> Option<Vec<u8>> {
    if hex.len() != 2 * alg.digest_len() {
        return None;
    }
    hex::decode(hex).ok()
}

/// Open a file below the root for hashing without following a final link,
/// blocking on a FIFO or taking a terminal.
pub fn open_nofollow(path: &Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::OFlags;
    let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
}

/// Hash an open-safe regular file with a package algorithm: opened with
/// `O_NOFOLLOW|O_NONBLOCK|O_NOCTTY`, `fstat` must say it is a regular file.
/// Returns the package digest and, from the same read pass, its SHA-256.
pub fn file_digests(path: &Path, alg: PkgDigestAlg) -> std::io::Result<(Vec<u8>, [u8; 32])> {
    let mut file = open_nofollow(path)?;
    if !file.metadata()?.file_type().is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    let mut buf = vec![0u8; 64 * 1024];
    let (d, sha, _) = digest_stream(&mut file, alg, true, &mut buf)?;
    Ok((d, sha))
}

/// One package digest in progress.
enum Hasher {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(alg: PkgDigestAlg) -> Hasher {
        match alg {
            PkgDigestAlg::Md5 => Hasher::Md5(md5::Md5::new()),
            PkgDigestAlg::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            PkgDigestAlg::Sha224 => Hasher::Sha224(sha2::Sha224::new()),
            PkgDigestAlg::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            PkgDigestAlg::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            PkgDigestAlg::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    fn update(&mut self, b: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(b),
            Hasher::Sha1(h) => h.update(b),
            Hasher::Sha224(h) => h.update(b),
            Hasher::Sha256(h) => h.update(b),
            Hasher::Sha384(h) => h.update(b),
            Hasher::Sha512(h) => h.update(b),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha224(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// Stream `r` through the package digest (and SHA-256 when `with_sha256`);
/// the digest, the SHA-256 (zero when not asked for) and the byte count.
pub fn digest_stream(
    r: &mut impl Read,
    alg: PkgDigestAlg,
    with_sha256: bool,
    buf: &mut [u8],
) -> std::io::Result<(Vec<u8>, [u8; 32], u64)> {
    let mut h = Hasher::new(alg);
    let mut sha = (with_sha256 && alg != PkgDigestAlg::Sha256).then(sha2::Sha256::new);
    let mut total = 0u64;
    loop {
        match r.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                h.update(&buf[..n]);
                if let Some(s) = &mut sha {
                    s.update(&buf[..n]);
                }
                total += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let d = h.finish();
    let mut out = [0u8; 32];
    match sha {
        Some(s) => out.copy_from_slice(&s.finalize()),
        None if with_sha256 => out.copy_from_slice(&d),
        None => {}
    }
    Ok((d, out, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_keeps_one_record_per_path_preferring_a_digest() {
        let mut b = Builder::new("dpkg", "test".into());
        let a = b.package("a");
        let c = b.package("c");
        b.push(a, b"/usr/bin", None, false, false);
        b.push(a, b"/usr/bin/x", None, false, false);
        b.push(
            c,
            b"/usr/bin/x",
            Some((PkgDigestAlg::Md5, &[7u8; 16])),
            true,
            false,
        );
        b.push(c, b"/usr/bin", None, false, false);
        b.push(
            a,
            b"/etc/\xff",
            Some((PkgDigestAlg::Md5, &[1u8; 3])),
            false,
            false,
        );
        let f = b.finish();
        let paths: Vec<&[u8]> = f.iter().map(|(p, _)| p).collect();
        assert_eq!(paths, [&b"/etc/\xff"[..], b"/usr/bin", b"/usr/bin/x"]);
        let x = f.owner(b"/usr/bin/x").unwrap();
        assert_eq!((x.package, x.config), ("c", true));
        assert_eq!(x.digest, Some((PkgDigestAlg::Md5, &[7u8; 16][..])));
        // A digest of the wrong length is not kept.
        assert!(f.owner(b"/etc/\xff").unwrap().digest.is_none());
        assert!(f.owner(b"/usr/bin/y").is_none());
    }

    #[test]
    fn digests_match_known_values() {
        let mut buf = [0u8; 7];
        let (d, sha, n) =
            digest_stream(&mut &b"abc"[..], PkgDigestAlg::Md5, true, &mut buf).unwrap();
        assert_eq!(hex::encode(d), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            hex::encode(sha),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(n, 3);
        for (alg, want) in [
            (
                PkgDigestAlg::Sha1,
                "a9993e364706816aba3e25717850c26c9cd0d89d",
            ),
            (
                PkgDigestAlg::Sha224,
                "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
            ),
        ] {
            let (d, ..) = digest_stream(&mut &b"abc"[..], alg, false, &mut buf).unwrap();
            assert_eq!(hex::encode(d), want);
        }
        for n in 1..=11 {
            if let Some(a) = PkgDigestAlg::from_pgp(n) {
                assert_eq!(PkgDigestAlg::from_code(a.code()), Some(a));
                assert_eq!(
                    Hasher::new(a).finish().len(),
                    a.digest_len(),
                    "{}",
                    a.name()
                );
            }
        }
    }
}
