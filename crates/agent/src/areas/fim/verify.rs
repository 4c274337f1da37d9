//! `fim verify-packages`: check every package-owned file against the digest
//! its package manager recorded, with no baseline (like `dpkg --verify`,
//! `debsums` and `rpm -Va`).
//!
//! Every owned path is `lstat`ed (a missing one is reported unless rpm marks
//! it `%ghost`/`%missingok`); a path with a recorded digest must still be a
//! regular file and is hashed in parallel. The same safety rules as the scan:
//! links are never followed (directories above the final name are resolved
//! inside the root), FIFOs and devices are never opened, a regular file is
//! opened `O_NOFOLLOW|O_NONBLOCK|O_NOCTTY` and checked with `fstat`.

use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::files::{OwnedFile, PackageFiles, digest_stream, open_nofollow};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What is wrong with one package-owned path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The path does not exist.
    Missing,
    /// The content differs from the package's digest.
    Mismatch,
    /// A file with a digest is now something else (`directory`, `symlink`, `fifo`, ...).
    NotRegular(String),
    /// It could not be examined or read.
    Unreadable {
        /// The OS error number.
        errno: i32,
    },
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyProblem {
    /// The path as the package manager names it.
    pub path: Vec<u8>,
    /// The owning package.
    pub package: String,
    /// A configuration file (dpkg conffile, rpm `%config`): changes are often intended.
    pub config: bool,
    /// What is wrong.
    pub problem: Problem,
}

/// The outcome of [`verify_packages`].
#[derive(Debug, Clone, Default)]
pub struct VerifyResult {
    /// Regular files hashed.
    pub files_checked: u64,
    /// Bytes hashed.
    pub bytes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Problems, ordered by path.
    pub problems: Vec<VerifyProblem>,
}

/// Entries a worker takes from the shared queue at a time (consecutive paths
/// share their directories, whose resolution is cached).
const CHUNK: usize = 64;

/// Check every path of `files` on the host below `root`; `threads` 0 uses every core.
pub fn verify_packages(root: &HostRoot, files: &PackageFiles, threads: usize) -> VerifyResult {
    let started = std::time::Instant::now();
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let entries: Vec<(&[u8], OwnedFile<'_>)> = files.iter().collect();
    let next = AtomicUsize::new(0);
    let outs: Vec<WorkerOut> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| worker(root, &entries, &next)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let mut result = VerifyResult::default();
    for o in outs {
        result.files_checked += o.files;
        result.bytes += o.bytes;
        result.problems.extend(o.problems);
    }
    result
        .problems
        .sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.package.cmp(&b.package)));
    result.seconds = started.elapsed().as_secs_f64();
    result
}

#[derive(Default)]
struct WorkerOut {
    files: u64,
    bytes: u64,
    problems: Vec<VerifyProblem>,
}

fn worker(root: &HostRoot, entries: &[(&[u8], OwnedFile<'_>)], next: &AtomicUsize) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut parent_cache: Option<(Vec<u8>, PathBuf)> = None;
    loop {
        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
        let Some(chunk) = entries.get(start..(start + CHUNK).min(entries.len())) else {
            break;
        };
        if chunk.is_empty() {
            break;
        }
        for (path, owned) in chunk {
            let problem = match below_root(root, path, &mut parent_cache) {
                Ok(fs_path) => check(&fs_path, owned, &mut buf, &mut out),
                // Its directory's links loop or go on past the limit.
                Err(_) => Some(Problem::Unreadable {
                    errno: rustix::io::Errno::LOOP.raw_os_error(),
                }),
            };
            if let Some(problem) = problem {
                out.problems.push(VerifyProblem {
                    path: path.to_vec(),
                    package: owned.package.to_string(),
                    config: owned.config,
                    problem,
                });
            }
        }
    }
    out
}

/// The path below the root of a host path: its directory resolved inside the
/// root (links such as `/bin -> usr/bin` followed, never out of the root),
/// its final name not.
/// `Err` when the directory's links loop or go on past the limit.
fn below_root(
    root: &HostRoot,
    host: &[u8],
    cache: &mut Option<(Vec<u8>, PathBuf)>,
) -> std::io::Result<PathBuf> {
    if root.is_live() || host == b"/" {
        return Ok(root.join(OsStr::from_bytes(host)));
    }
    let cut = host.iter().rposition(|&c| c == b'/').unwrap_or(0);
    let (dir, name) = (&host[..cut], &host[cut + 1..]);
    let resolved = match cache {
        Some((d, r)) if d.as_slice() == dir => r.clone(),
        _ => {
            let r = root.resolve(OsStr::from_bytes(dir))?;
            *cache = Some((dir.to_vec(), r.clone()));
            r
        }
    };
    Ok(resolved.join(OsStr::from_bytes(name)))
}

fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

/// What a file type is called in problems.
fn type_name(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "directory"
    } else if t.is_symlink() {
        "symlink"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_file() {
        "regular file"
    } else {
        "unknown type"
    }
}

fn check(
    fs_path: &std::path::Path,
    owned: &OwnedFile<'_>,
    buf: &mut [u8],
    out: &mut WorkerOut,
) -> Option<Problem> {
    let missing = |owned: &OwnedFile<'_>| (!owned.optional).then_some(Problem::Missing);
    let meta = match std::fs::symlink_metadata(fs_path) {
        Ok(m) => m,
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) =>
        {
            return missing(owned);
        }
        Err(e) => {
            return Some(Problem::Unreadable {
                errno: errno_of(&e),
            });
        }
    };
    let (_, want) = owned.digest?;
    if !meta.file_type().is_file() {
        return Some(Problem::NotRegular(type_name(meta.file_type()).into()));
    }
    let alg = owned.digest?.0;
    let mut file = match open_nofollow(fs_path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return missing(owned),
        Err(e) if errno_of(&e) == rustix::io::Errno::LOOP.raw_os_error() => {
            return Some(Problem::NotRegular("symlink".into()));
        }
        Err(e) if errno_of(&e) == rustix::io::Errno::NXIO.raw_os_error() => {
            return Some(Problem::NotRegular("socket or device".into()));
        }
        Err(e) => {
            return Some(Problem::Unreadable {
                errno: errno_of(&e),
            });
        }
    };
    match file.metadata() {
        Ok(m) if m.file_type().is_file() => {}
        Ok(m) => return Some(Problem::NotRegular(type_name(m.file_type()).into())),
        Err(e) => {
            return Some(Problem::Unreadable {
                errno: errno_of(&e),
            });
        }
    }
    match digest_stream(&mut file, alg, false, buf) {
        Ok((got, _, n)) => {
            out.files += 1;
            out.bytes += n;
            (got != want).then_some(Problem::Mismatch)
        }
        Err(e) => Some(Problem::Unreadable {
            errno: errno_of(&e),
        }),
    }
}
