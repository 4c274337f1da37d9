//! The FIM scan: walk the scope below the root without following links, record
//! attributes compactly, and hash regular files in parallel.
//!
//! Safety rules: a symlink is recorded with its target and never followed;
//! FIFOs, sockets and devices are recorded by type and never opened; a regular
//! file is opened with `O_NOFOLLOW | O_NONBLOCK` and checked after opening
//! (`fstat`) to be the same regular file `lstat` saw, so a file swapped for a
//! link, a FIFO or another file mid-scan is recorded as replaced and a deleted
//! one as vanished; permission errors are recorded, never fatal; a walk stays
//! on its rule's file system unless the rule says `cross_fs`; content is
//! streamed through a 64 KiB buffer.

use super::attrs::Attrs;
use super::entry::{DigestAlg, Entries, Entry, Kind};
use super::scope::{Rule, Scope};
use selfcheck_hostfs::root::HostRoot;
use sha2::Digest as _;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A callback run just before a file is opened for hashing (tests use it to
/// delete or swap files mid-scan).
pub type BeforeHash = Arc<dyn Fn(&Path) + Send + Sync>;

/// How to scan.
#[derive(Clone, Default)]
pub struct ScanOptions {
    /// Hashing threads; 0 uses every core.
    pub threads: usize,
    /// Digest for rules whose attribute set names no algorithm (`full`, `content+perms`).
    pub digest: DigestAlg,
    /// Live counters for a progress display (the scan only updates them).
    pub progress: Option<Arc<ScanProgress>>,
    /// Test hook: called with the file's path below the root before it is opened for hashing.
    #[doc(hidden)]
    pub before_hash: Option<BeforeHash>,
}

/// Counters a scan updates as it goes, for a progress bar. The walk runs
/// ahead of the hashing, so `bytes_queued` grows while `bytes_hashed` follows.
#[derive(Debug, Default)]
pub struct ScanProgress {
    /// Paths the walk recorded.
    pub entries: AtomicU64,
    /// Content bytes of the files queued for hashing so far.
    pub bytes_queued: AtomicU64,
    /// Content bytes hashed so far.
    pub bytes_hashed: AtomicU64,
    /// Set when the walk has finished (so `bytes_queued` is the total).
    pub walk_done: std::sync::atomic::AtomicBool,
}

/// Counts of a scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanStats {
    /// Regular files seen.
    pub files: u64,
    /// Directories seen.
    pub dirs: u64,
    /// Content bytes hashed.
    pub bytes_hashed: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Paths recorded as vanished, replaced or unreadable.
    pub errors: u64,
}

/// What a scan found.
#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    /// One entry per path, ordered by path bytes.
    pub entries: Entries,
    /// Counts.
    pub stats: ScanStats,
}

/// Scan `scope` on the host below `root`.
///
/// The walk runs on this thread while `threads` workers hash the files it
/// finds, so hashing starts with the first file rather than after the walk.
pub fn scan(root: &HostRoot, scope: &Scope, opts: &ScanOptions) -> ScanResult {
    let started = std::time::Instant::now();
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
    let rx = std::sync::Mutex::new(rx);
    let (mut entries, results) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| hash_worker(&rx, opts)))
            .collect();
        let mut entries = Entries::default();
        let tx = tx;
        for rule in &scope.rules {
            walk_rule(root, scope, rule, opts, &mut entries, &tx);
        }
        drop(tx);
        if let Some(p) = &opts.progress {
            p.walk_done.store(true, Ordering::Relaxed);
        }
        let results: Vec<(usize, Outcome)> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect();
        (entries, results)
    });
    let mut bytes_hashed = 0;
    for (idx, outcome) in results {
        let Some(e) = entries.get_mut(idx) else {
            continue;
        };
        match outcome {
            Outcome::Digest {
                alg,
                digest,
                bytes,
                caps,
            } => {
                bytes_hashed += bytes;
                e.set_digest(alg, digest);
                if let Some(caps) = caps {
                    entries.set_caps(idx, &caps);
                }
            }
            Outcome::Kind(k) => e.set_kind(k),
        }
    }
    entries.sort_by_path();
    entries.shrink_to_fit();
    let mut stats = ScanStats {
        bytes_hashed,
        ..ScanStats::default()
    };
    for e in entries.iter() {
        match e.kind() {
            Kind::File => stats.files += 1,
            Kind::Dir => stats.dirs += 1,
            Kind::Vanished | Kind::Replaced | Kind::Unreadable { .. } => stats.errors += 1,
            _ => {}
        }
    }
    stats.seconds = started.elapsed().as_secs_f64();
    ScanResult { entries, stats }
}

/// A regular file the walk found, to be hashed: its entry index, where it is
/// below the root, and the identity `lstat` saw.
struct HashJob {
    idx: usize,
    path: PathBuf,
    dev: u64,
    ino: u64,
    alg: DigestAlg,
    /// Read `security.capability` from the opened file.
    caps: bool,
}

/// Hash files from the shared queue until the walk is done.
fn hash_worker(
    rx: &std::sync::Mutex<std::sync::mpsc::Receiver<HashJob>>,
    opts: &ScanOptions,
) -> Vec<(usize, Outcome)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => break,
        };
        let Ok(job) = job else { break };
        if let Some(hook) = &opts.before_hash {
            hook(&job.path);
        }
        let outcome = hash_file(&job, &mut buf);
        if let (Some(p), Outcome::Digest { bytes, .. }) = (&opts.progress, &outcome) {
            p.bytes_hashed.fetch_add(*bytes, Ordering::Relaxed);
        }
        out.push((job.idx, outcome));
    }
    out
}

/// The path below the root of a rule's start: its directories resolved inside
/// the root (`/bin -> usr/bin`, and never out of the root), its own last
/// component not followed. `Err` when those links loop or run past the limit.
/// Below the start the walk follows no link, so a child's path is its
/// parent's path and its name.
fn below_root(root: &HostRoot, host: &[u8]) -> std::io::Result<PathBuf> {
    root.resolve_keep_last(OsStr::from_bytes(host))
}

fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

fn walk_rule(
    root: &HostRoot,
    scope: &Scope,
    rule: &Rule,
    opts: &ScanOptions,
    entries: &mut Entries,
    jobs: &std::sync::mpsc::Sender<HashJob>,
) {
    let alg = if rule.attrs.contains(Attrs::SM3) {
        DigestAlg::Sm3
    } else if rule.attrs.contains(Attrs::SHA256) {
        DigestAlg::Sha256
    } else {
        opts.digest
    };
    let hashed = rule.attrs.wants_digest();
    let start = match below_root(root, &rule.path) {
        Ok(p) => p,
        Err(e) => {
            // The start's directories loop: recorded as unreadable, not walked.
            let kind = Kind::Unreadable {
                errno: e
                    .raw_os_error()
                    .unwrap_or(rustix::io::Errno::LOOP.raw_os_error()),
            };
            entries.push(Entry::new(kind, rule.attrs), &rule.path, None, None);
            return;
        }
    };
    let start_dev = match std::fs::symlink_metadata(&start) {
        Ok(m) => m.dev(),
        // A rule for a path this host does not have (e.g. /lib32) covers nothing.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(_) => 0,
    };
    let mut stack: Vec<(Vec<u8>, PathBuf)> = vec![(rule.path.clone(), start)];
    while let Some((host, fs_path)) = stack.pop() {
        // Excluded paths are left out; a path another, more specific rule
        // starts at is recorded (with its tree) by that rule.
        if scope.is_excluded(&host) || (host != rule.path && scope.is_rule_start(&host)) {
            continue;
        }
        let meta = match std::fs::symlink_metadata(&fs_path) {
            Ok(m) => m,
            Err(e) => {
                let kind = if e.kind() == std::io::ErrorKind::NotFound {
                    Kind::Vanished
                } else {
                    Kind::Unreadable {
                        errno: errno_of(&e),
                    }
                };
                entries.push(Entry::new(kind, rule.attrs), &host, None, None);
                continue;
            }
        };
        let kind = Kind::from_file_type(meta.file_type());
        let mut entry = Entry::new(kind, rule.attrs);
        entry.set_metadata(&meta);
        let target = match kind {
            Kind::Symlink => match std::fs::read_link(&fs_path) {
                Ok(t) => Some(t.into_os_string().into_vec()),
                Err(e) => {
                    entry.set_kind(Kind::Unreadable {
                        errno: errno_of(&e),
                    });
                    None
                }
            },
            _ => None,
        };
        // A hashed file's capabilities are read from the opened file by the
        // hash worker (no second path lookup, and of the very file hashed).
        let caps = if kind == Kind::File && rule.attrs.contains(Attrs::CAPS) && !hashed {
            read_caps(&fs_path)
        } else {
            None
        };
        let mut children = Vec::new();
        let descend =
            kind == Kind::Dir && rule.recurse && (rule.cross_fs || meta.dev() == start_dev);
        if descend {
            match std::fs::read_dir(&fs_path) {
                Ok(rd) => {
                    for de in rd {
                        match de {
                            Ok(de) => {
                                let mut child = host.clone();
                                if child != b"/" {
                                    child.push(b'/');
                                }
                                child.extend_from_slice(de.file_name().as_bytes());
                                children.push((child, fs_path.join(de.file_name())));
                            }
                            Err(e) => entry.set_kind(Kind::Unreadable {
                                errno: errno_of(&e),
                            }),
                        }
                    }
                }
                Err(e) => entry.set_kind(Kind::Unreadable {
                    errno: errno_of(&e),
                }),
            }
        }
        let idx = entries.push(entry, &host, target.as_deref(), caps.as_deref());
        if let Some(p) = &opts.progress {
            p.entries.fetch_add(1, Ordering::Relaxed);
        }
        if kind == Kind::File && hashed {
            if let Some(p) = &opts.progress {
                p.bytes_queued.fetch_add(meta.len(), Ordering::Relaxed);
            }
            // A closed queue means every worker is gone; the file then stays unhashed.
            let _ = jobs.send(HashJob {
                idx,
                path: fs_path,
                dev: meta.dev(),
                ino: meta.ino(),
                alg,
                caps: rule.attrs.contains(Attrs::CAPS),
            });
        }
        stack.extend(children);
    }
}

/// The raw `security.capability` xattr of a file (not following links).
fn read_caps(path: &Path) -> Option<Vec<u8>> {
    let mut buf = [0u8; 256];
    match rustix::fs::lgetxattr(path, "security.capability", &mut buf[..]) {
        Ok(n) => buf.get(..n).map(<[u8]>::to_vec),
        // ENODATA (none), ENOTSUP (file system without xattrs) and the rest: no capabilities recorded.
        Err(_) => None,
    }
}

/// The result of hashing one file.
enum Outcome {
    Digest {
        alg: DigestAlg,
        digest: [u8; 32],
        bytes: u64,
        /// The file's `security.capability`, when asked for and present.
        caps: Option<Vec<u8>>,
    },
    Kind(Kind),
}

/// Open a regular file without following links or blocking, check it is still
/// the file `lstat` saw, and stream it through the digest.
fn hash_file(job: &HashJob, buf: &mut [u8]) -> Outcome {
    let (path, dev, ino, alg) = (job.path.as_path(), job.dev, job.ino, job.alg);
    use rustix::fs::OFlags;
    let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
    let mut file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => return Outcome::Kind(open_error_kind(&e)),
    };
    let same = match file.metadata() {
        Ok(m) => m.file_type().is_file() && m.dev() == dev && m.ino() == ino,
        Err(e) => return Outcome::Kind(open_error_kind(&e)),
    };
    if !same {
        return Outcome::Kind(Kind::Replaced);
    }
    let mut sha = sha2::Sha256::new();
    let mut sm3 = sm3::Sm3::new();
    let mut total = 0u64;
    loop {
        match file.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                let chunk = &buf[..n];
                match alg {
                    DigestAlg::Sha256 => sha.update(chunk),
                    DigestAlg::Sm3 => sm3.update(chunk),
                }
                total += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Outcome::Kind(Kind::Unreadable {
                    errno: errno_of(&e),
                });
            }
        }
    }
    let mut out = [0u8; 32];
    match alg {
        DigestAlg::Sha256 => out.copy_from_slice(&sha.finalize()),
        DigestAlg::Sm3 => out.copy_from_slice(&sm3.finalize()),
    }
    let caps = if job.caps { read_fd_caps(&file) } else { None };
    Outcome::Digest {
        alg,
        digest: out,
        bytes: total,
        caps,
    }
}

/// The raw `security.capability` xattr of an open file.
fn read_fd_caps(file: &std::fs::File) -> Option<Vec<u8>> {
    let mut buf = [0u8; 256];
    match rustix::fs::fgetxattr(file, "security.capability", &mut buf[..]) {
        Ok(n) => buf.get(..n).map(<[u8]>::to_vec),
        Err(_) => None,
    }
}

fn open_error_kind(e: &std::io::Error) -> Kind {
    let errno = errno_of(e);
    if e.kind() == std::io::ErrorKind::NotFound {
        Kind::Vanished
    } else if errno == rustix::io::Errno::LOOP.raw_os_error()
        || errno == rustix::io::Errno::NXIO.raw_os_error()
    {
        // ELOOP: a symlink now stands where the file was (O_NOFOLLOW);
        // ENXIO: a socket or a device without a driver does.
        Kind::Replaced
    } else {
        Kind::Unreadable { errno }
    }
}
