//! Reading an evidence zip defensively, as a stream from a file (or any
//! reader that can seek): no member is written to disk, and a member is read
//! only when it is checked, a piece at a time. Unsafe names (absolute, `..`,
//! backslashes, symlinks), duplicate names, encrypted members, oversize
//! packages and zip bombs are refused unread, each as a
//! [`Problem`](super::problem::Problem) naming the member.

use super::problem::{ProblemKind, VerifyReport};
use super::unsafe_name;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Read, Seek, SeekFrom};
use zip::ZipArchive;

/// Largest total uncompressed size read from a package (2 GiB).
pub const MAX_TOTAL_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Largest compression ratio accepted for a member above [`RATIO_FLOOR`] bytes
/// (a zip bomb's members expand far more than any real document).
pub const MAX_RATIO: u64 = 512;

/// Members up to this size are never refused for their ratio (1 MiB).
pub const RATIO_FLOOR: u64 = 1024 * 1024;

/// Most members a package may have.
pub const MAX_MEMBERS: usize = 1_000_000;

/// An opened package: the zip, and the members that passed the checks on
/// their names and sizes (by name: index in the zip and size).
pub(super) struct Archive<R: Read + Seek> {
    zip: ZipArchive<R>,
    entries: BTreeMap<String, (usize, u64)>,
}

/// Open the zip and check every member's name and sizes, without reading any
/// member; `None` when it is no zip (or has too many members to check).
pub(super) fn open<R: Read + Seek>(mut reader: R, out: &mut VerifyReport) -> Option<Archive<R>> {
    // The central directory is walked here too, because the zip reader keeps
    // one entry per name and so cannot say which names repeat.
    let dups = duplicate_names(&mut reader);
    let mut zip = match ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            out.problem(
                ProblemKind::NotZip,
                None,
                format!("the file is not a zip archive ({e}); it is not an evidence package"),
            );
            return None;
        }
    };
    if zip.len() > MAX_MEMBERS {
        out.problem(
            ProblemKind::TooLarge,
            None,
            format!(
                "the archive has {} members, more than the {MAX_MEMBERS} a package may have",
                zip.len()
            ),
        );
        return None;
    }
    if zip.has_duplicate_names() {
        if dups.is_empty() {
            out.problem(
                ProblemKind::DuplicateName,
                None,
                "the archive holds two members of the same name; one could hide behind the other",
            );
        }
        for name in dups {
            out.problem(
                ProblemKind::DuplicateName,
                Some(&name),
                "appears more than once in the archive; one copy could hide behind the other",
            );
        }
    } else if let Err(e) = zip.validate_header_consistency() {
        out.problem(
            ProblemKind::Unreadable,
            None,
            format!("the archive's headers disagree ({e}); it was altered to show different files to different tools"),
        );
    }
    out.members = zip.len();
    let mut entries = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let file = match zip.by_index_raw(i) {
            Ok(f) => f,
            Err(e) => {
                out.problem(
                    ProblemKind::Unreadable,
                    None,
                    format!("member {} cannot be read: {e}", i + 1),
                );
                continue;
            }
        };
        let name = match std::str::from_utf8(file.name_raw()) {
            Ok(n) => n.to_string(),
            Err(_) => {
                let shown = String::from_utf8_lossy(file.name_raw()).into_owned();
                out.problem(
                    ProblemKind::UnsafeName,
                    Some(&shown),
                    "the name is not UTF-8",
                );
                continue;
            }
        };
        if let Some(why) = unsafe_name(&name) {
            let kind = if file.is_dir() {
                ProblemKind::Extra
            } else {
                ProblemKind::UnsafeName
            };
            out.problem(kind, Some(&name), format!("refused: {why}"));
            continue;
        }
        if file.is_symlink() {
            out.problem(
                ProblemKind::UnsafeName,
                Some(&name),
                "refused: it is a symbolic link",
            );
            continue;
        }
        if file.encrypted() {
            out.problem(
                ProblemKind::Unreadable,
                Some(&name),
                "refused: it is encrypted",
            );
            continue;
        }
        let size = file.size();
        let compressed = file.compressed_size();
        if total.saturating_add(size) > MAX_TOTAL_BYTES {
            out.problem(
                ProblemKind::TooLarge,
                Some(&name),
                format!(
                    "refused: it would bring the package past {MAX_TOTAL_BYTES} bytes uncompressed"
                ),
            );
            continue;
        }
        if size > RATIO_FLOOR && size / compressed.max(1) > MAX_RATIO {
            out.problem(
                ProblemKind::TooLarge,
                Some(&name),
                format!(
                    "refused: {compressed} compressed bytes expand to {size} (more than {MAX_RATIO}:1, a zip bomb)"
                ),
            );
            continue;
        }
        total += size;
        entries.insert(name, (i, size));
    }
    Some(Archive { zip, entries })
}

impl<R: Read + Seek> Archive<R> {
    /// Whether a member of this name passed the checks.
    pub(super) fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The names of the members that passed the checks, sorted.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The declared (uncompressed) size of a member that passed the checks.
    pub(super) fn size(&self, name: &str) -> Option<u64> {
        self.entries.get(name).map(|&(_, size)| size)
    }

    /// Read a member in pieces, handing each to `sink`; `false` (with the
    /// problem recorded) when it cannot be read whole. Never reads more than
    /// the member declares, so its limits hold.
    pub(super) fn stream(
        &mut self,
        name: &str,
        out: &mut VerifyReport,
        mut sink: impl FnMut(&[u8]),
    ) -> bool {
        let Some(&(index, size)) = self.entries.get(name) else {
            return false;
        };
        let mut file = match self.zip.by_index(index) {
            Ok(f) => f,
            Err(e) => {
                unreadable(out, name, &e);
                return false;
            }
        };
        let mut limited = file.by_ref().take(size.saturating_add(1));
        let mut buf = vec![0u8; 64 * 1024];
        let mut read = 0u64;
        loop {
            match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    read += n as u64;
                    if read <= size {
                        sink(&buf[..n]);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    unreadable(out, name, &e);
                    return false;
                }
            }
        }
        if read != size {
            out.problem(
                ProblemKind::Unreadable,
                Some(name),
                format!(
                    "declares {size} bytes but holds {}",
                    if read > size {
                        "more".to_string()
                    } else {
                        read.to_string()
                    }
                ),
            );
            return false;
        }
        true
    }

    /// Read a member whole (for the few that must be parsed: the manifest,
    /// signatures, keys, one report at a time, the history run).
    pub(super) fn read(&mut self, name: &str, out: &mut VerifyReport) -> Option<Vec<u8>> {
        let size = self.size(name)?;
        let mut data = Vec::with_capacity(size.min(64 * 1024 * 1024) as usize);
        self.stream(name, out, |piece| data.extend_from_slice(piece))
            .then_some(data)
    }
}

/// Names that occur more than once in the central directory (empty when the
/// directory cannot be walked here, e.g. zip64 or data before the archive).
/// Reads the directory entry by entry; the reader's position is left anywhere.
fn duplicate_names<R: Read + Seek>(reader: &mut R) -> Vec<String> {
    walk_central_directory(reader).unwrap_or_default()
}

fn walk_central_directory<R: Read + Seek>(reader: &mut R) -> Option<Vec<String>> {
    let len = reader.seek(SeekFrom::End(0)).ok()?;
    let tail_len = len.min(22 + 65535);
    reader.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    reader.by_ref().take(tail_len).read_to_end(&mut tail).ok()?;
    let eocd = (0..=tail.len().checked_sub(22)?)
        .rev()
        .find(|&p| tail.get(p..p + 4) == Some(&[0x50, 0x4b, 0x05, 0x06]))?;
    let u16_at = |b: &[u8], p: usize| -> Option<u16> {
        b.get(p..p + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |b: &[u8], p: usize| -> Option<u32> {
        b.get(p..p + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let count = u16_at(&tail, eocd + 10)?;
    let start = u32_at(&tail, eocd + 16)?;
    reader.seek(SeekFrom::Start(u64::from(start))).ok()?;
    let mut dir = BufReader::new(reader);
    let mut seen = BTreeSet::new();
    let mut dups = BTreeSet::new();
    let mut header = [0u8; 46];
    for _ in 0..count {
        dir.read_exact(&mut header).ok()?;
        if header[..4] != [0x50, 0x4b, 0x01, 0x02] {
            return None;
        }
        let n = usize::from(u16_at(&header, 28)?);
        let extra = u64::from(u16_at(&header, 30)?) + u64::from(u16_at(&header, 32)?);
        let mut name = vec![0u8; n];
        dir.read_exact(&mut name).ok()?;
        let skipped = std::io::copy(&mut dir.by_ref().take(extra), &mut std::io::sink()).ok()?;
        if skipped != extra {
            return None;
        }
        let name = String::from_utf8_lossy(&name).into_owned();
        if !seen.insert(name.clone()) {
            dups.insert(name);
        }
    }
    Some(dups.into_iter().collect())
}

/// Record that a member could not be read out of the zip.
fn unreadable(out: &mut VerifyReport, name: &str, e: &dyn std::fmt::Display) {
    out.problem(
        ProblemKind::Unreadable,
        Some(name),
        format!("cannot be read: {e}; the member was damaged or altered inside the zip"),
    );
}
