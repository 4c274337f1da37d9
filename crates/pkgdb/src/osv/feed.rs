//! Reading an offline OSV feed: every `*.json` record of a directory tree or a
//! zip archive, parsed by two workers and matched one record at a time, so
//! the whole feed is never held in memory.

use super::matching::{Installed, match_record};
use super::{FeedMatch, OsvError, VersionOrder, VulnMatch};
use chrono::{DateTime, FixedOffset};
use selfcheck_hostfs::root::open_regular_path;
use selfcheck_report::{InstalledPackage, VulnerabilityFeed};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads that parse records.
const WORKERS: usize = 2;
/// Skipped records listed by name and reason; more are only counted.
const MAX_SKIPPED: usize = 20;

/// What the matching needs, shared by the workers.
struct Job<'a> {
    ecosystem: &'a str,
    installed: Installed<'a>,
    order: &'a dyn VersionOrder,
}

/// See [`super::load_and_match`].
pub(super) fn load_and_match(
    path: &Path,
    ecosystem: &str,
    installed: &[InstalledPackage],
    order: &dyn VersionOrder,
) -> Result<FeedMatch, OsvError> {
    let unreadable = |source| OsvError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    let job = Job {
        ecosystem,
        installed: Installed::new(installed),
        order,
    };
    let (walk_problems, tally) = if meta.is_dir() {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        walk(path, path, &mut files, &mut problems).map_err(unreadable)?;
        files.sort();
        (problems, read_dir_files(path, &files, &job))
    } else if meta.is_file() && looks_like_zip(path).map_err(unreadable)? {
        (Vec::new(), read_zip(path, meta.len(), &job)?)
    } else {
        return Err(OsvError::NotDirOrZip {
            path: path.to_path_buf(),
        });
    };

    let skipped_total = walk_problems.len() + tally.skipped_total;
    let mut skipped: Vec<String> = walk_problems;
    skipped.extend(tally.skipped.into_iter().map(|(_, reason)| reason));
    skipped.truncate(MAX_SKIPPED);
    if skipped_total > skipped.len() {
        skipped.push(format!(
            "{} more records skipped (only the first {MAX_SKIPPED} are listed)",
            skipped_total - skipped.len()
        ));
    }
    let mut matches = tally.matches;
    matches.sort_by(|a, b| {
        (&a.package, &a.arch, &a.advisory_id).cmp(&(&b.package, &b.arch, &b.advisory_id))
    });
    // The same record twice (a feed unpacked over another copy): keep the newest.
    matches.dedup_by(|later, kept| {
        let same = (&later.package, &later.arch, &later.advisory_id)
            == (&kept.package, &kept.arch, &kept.advisory_id);
        if same && later.modified > kept.modified {
            std::mem::swap(later, kept);
        }
        same
    });
    Ok(FeedMatch {
        feed: VulnerabilityFeed {
            source: path.display().to_string(),
            ecosystem: ecosystem.to_string(),
            advisories: tally.advisories,
            skipped,
            newest_modified: tally.newest,
        },
        matches,
    })
}

/// What the workers found.
#[derive(Default)]
struct Tally {
    advisories: u64,
    newest: Option<DateTime<FixedOffset>>,
    /// (position in the feed, "name: reason"), the first few only.
    skipped: Vec<(usize, String)>,
    skipped_total: usize,
    matches: Vec<VulnMatch>,
}

impl Tally {
    fn skip(&mut self, index: usize, reason: String) {
        self.skipped_total += 1;
        // Each worker takes positions in increasing order, so its first
        // entries are its lowest positions.
        if self.skipped.len() < MAX_SKIPPED {
            self.skipped.push((index, reason));
        }
    }

    fn record(&mut self, index: usize, name: &str, bytes: &[u8], job: &Job<'_>) {
        match match_record(bytes, job.ecosystem, &job.installed, job.order) {
            Ok(outcome) => {
                self.advisories += 1;
                if outcome.modified > self.newest {
                    self.newest = outcome.modified;
                }
                self.matches.extend(outcome.matches);
            }
            Err(reason) => self.skip(index, format!("{name}: {reason}")),
        }
    }

    fn merge(mut self, other: Tally) -> Tally {
        self.advisories += other.advisories;
        self.newest = self.newest.max(other.newest);
        self.skipped.extend(other.skipped);
        self.skipped.sort_by_key(|(i, _)| *i);
        self.skipped.truncate(MAX_SKIPPED);
        self.skipped_total += other.skipped_total;
        self.matches.extend(other.matches);
        self
    }
}

/// Run `work` on [`WORKERS`] threads that share one cursor over `items`
/// positions, and merge what they found.
fn in_parallel<W>(items: usize, work: W) -> Tally
where
    W: Fn(&AtomicUsize) -> Tally + Sync,
{
    let cursor = AtomicUsize::new(0);
    let workers = WORKERS.min(items.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers).map(|_| s.spawn(|| work(&cursor))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .fold(Tally::default(), Tally::merge)
    })
}

/// Collect `*.json` files below `dir`, as paths relative to `root`. A
/// subdirectory that cannot be listed is a problem to report, not fatal;
/// only `root` itself must be readable.
fn walk(
    root: &Path,
    dir: &Path,
    files: &mut Vec<PathBuf>,
    problems: &mut Vec<String>,
) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        let json = is_json_name(&path.to_string_lossy());
        match entry.file_type() {
            Ok(t) if t.is_dir() => {
                if let Err(e) = walk(root, &path, files, problems) {
                    problems.push(format!("{}: cannot list the directory: {e}", rel.display()));
                }
            }
            Ok(t) if t.is_file() => {
                if json {
                    files.push(rel);
                }
            }
            // A link to a record counts; linked directories are not followed
            // (no loops).
            Ok(t) if t.is_symlink() && json => match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => files.push(rel),
                Ok(_) => {}
                Err(e) => problems.push(format!("{}: {e}", rel.display())),
            },
            Ok(_) => {}
            Err(e) => problems.push(format!("{}: {e}", rel.display())),
        }
    }
    Ok(())
}

fn is_json_name(name: &str) -> bool {
    name.len() > 5 && name[name.len() - 5..].eq_ignore_ascii_case(".json")
}

fn read_dir_files(root: &Path, files: &[PathBuf], job: &Job<'_>) -> Tally {
    in_parallel(files.len(), |cursor| {
        let mut tally = Tally::default();
        let mut buf = Vec::new();
        loop {
            let i = cursor.fetch_add(1, Ordering::Relaxed);
            let Some(rel) = files.get(i) else { break };
            let name = rel.display().to_string();
            buf.clear();
            match open_regular_path(&root.join(rel)).and_then(|mut f| f.read_to_end(&mut buf)) {
                Ok(_) => tally.record(i, &name, &buf, job),
                Err(e) => tally.skip(i, format!("{name}: cannot read: {e}")),
            }
        }
        tally
    })
}

/// Whether the file starts like a zip archive (`PK\3\4`, or `PK\5\6` when empty).
fn looks_like_zip(path: &Path) -> io::Result<bool> {
    let mut magic = [0u8; 4];
    let mut f = open_regular_path(path)?;
    let mut got = 0;
    while got < magic.len() {
        match f.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got == 4 && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06"))
}

fn read_zip(path: &Path, len: u64, job: &Job<'_>) -> Result<Tally, OsvError> {
    let corrupt = |source| OsvError::CorruptZip {
        path: path.to_path_buf(),
        source,
    };
    let file = open_regular_path(path).map_err(|source| OsvError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let archive = zip::ZipArchive::new(SharedFile {
        file: Arc::new(file),
        pos: 0,
        len,
    })
    .map_err(corrupt)?;
    // Members worth reading, with their names; the archive's index is kept
    // so skipped members are reported in archive order.
    let members: Vec<(usize, String)> = (0..archive.len())
        .filter_map(|i| match archive.name_for_index(i)? {
            Ok(name) if is_json_name(&name) => Some((i, name.into_owned())),
            Ok(_) => None,
            Err(e) => Some((i, format!("member #{i} (unreadable name: {e})"))),
        })
        .collect();
    Ok(in_parallel(members.len(), |cursor| {
        // Each worker reads through its own handle position; the parsed
        // central directory is shared.
        let mut archive = archive.clone();
        let mut tally = Tally::default();
        let mut buf = Vec::new();
        loop {
            let pos = cursor.fetch_add(1, Ordering::Relaxed);
            let Some((index, name)) = members.get(pos) else {
                break;
            };
            buf.clear();
            let read = archive
                .by_index(*index)
                .map_err(io::Error::other)
                .and_then(|mut m| {
                    if m.is_dir() {
                        Ok(false)
                    } else {
                        m.read_to_end(&mut buf).map(|_| true)
                    }
                });
            match read {
                Ok(true) => tally.record(pos, name, &buf, job),
                Ok(false) => {}
                Err(e) => tally.skip(pos, format!("{name}: cannot read the zip member: {e}")),
            }
        }
        tally
    }))
}

/// A file read with positioned reads, so clones can read it from several
/// threads, each at its own position.
#[derive(Clone)]
struct SharedFile {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.pos)
    }
}
