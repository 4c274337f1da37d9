//! Reading an evidence zip defensively, in memory: no member is written to
//! disk; unsafe names (absolute, `..`, backslashes, symlinks), duplicate
//! names, encrypted members, oversize packages and zip bombs are refused
//! unread, each as a [`Problem`](super::verify::Problem) naming the member.

use super::unsafe_name;
use super::verify::{ProblemKind, VerifyReport};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

/// Largest total uncompressed size read from a package (2 GiB).
pub const MAX_TOTAL_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Largest compression ratio accepted for a member above [`RATIO_FLOOR`] bytes
/// (a zip bomb's members expand far more than any real document).
pub const MAX_RATIO: u64 = 512;

/// Members up to this size are never refused for their ratio (1 MiB).
pub const RATIO_FLOOR: u64 = 1024 * 1024;

/// Most members a package may have.
pub const MAX_MEMBERS: usize = 1_000_000;

/// Read every member, refusing hostile archives; `None` when it is no zip.
pub(super) fn read_members(
    bytes: &[u8],
    out: &mut VerifyReport,
) -> Option<BTreeMap<String, Vec<u8>>> {
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
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
    if archive.len() > MAX_MEMBERS {
        out.problem(
            ProblemKind::TooLarge,
            None,
            format!(
                "the archive has {} members, more than the {MAX_MEMBERS} a package may have",
                archive.len()
            ),
        );
        return None;
    }
    if archive.has_duplicate_names() {
        let dups = duplicate_names(bytes);
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
    } else if let Err(e) = archive.validate_header_consistency() {
        out.problem(
            ProblemKind::Unreadable,
            None,
            format!("the archive's headers disagree ({e}); it was altered to show different files to different tools"),
        );
    }
    out.members = archive.len();
    let mut contents = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut file = match archive.by_index(i) {
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
        let mut data = Vec::with_capacity(size.min(64 * 1024 * 1024) as usize);
        let read = file
            .by_ref()
            .take(size.saturating_add(1))
            .read_to_end(&mut data);
        match read {
            Err(e) => out.problem(
                ProblemKind::Unreadable,
                Some(&name),
                format!("cannot be read: {e}; the member was damaged or altered inside the zip"),
            ),
            Ok(n) if n as u64 != size => out.problem(
                ProblemKind::Unreadable,
                Some(&name),
                format!(
                    "declares {size} bytes but holds {}",
                    if n as u64 > size {
                        "more".to_string()
                    } else {
                        n.to_string()
                    }
                ),
            ),
            Ok(_) => {
                contents.insert(name, data);
            }
        }
    }
    Some(contents)
}

/// Names that occur more than once in the central directory (empty when the
/// directory cannot be walked here, e.g. zip64 or data before the archive).
fn duplicate_names(bytes: &[u8]) -> Vec<String> {
    let u16_at = |p: usize| -> Option<usize> {
        bytes
            .get(p..p + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |p: usize| -> Option<usize> {
        bytes
            .get(p..p + 4)
            .and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok())
    };
    let eocd_min = bytes.len().saturating_sub(22 + 65535);
    let eocd = (eocd_min..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&p| bytes.get(p..p + 4) == Some(&[0x50, 0x4b, 0x05, 0x06]));
    let mut seen = BTreeSet::new();
    let mut dups = BTreeSet::new();
    let Some(eocd) = eocd else {
        return Vec::new();
    };
    let (Some(count), Some(mut pos)) = (u16_at(eocd + 10), u32_at(eocd + 16)) else {
        return Vec::new();
    };
    for _ in 0..count {
        if bytes.get(pos..pos + 4) != Some(&[0x50, 0x4b, 0x01, 0x02]) {
            return Vec::new();
        }
        let (Some(n), Some(e), Some(c)) = (u16_at(pos + 28), u16_at(pos + 30), u16_at(pos + 32))
        else {
            return Vec::new();
        };
        let Some(name) = bytes.get(pos + 46..pos + 46 + n) else {
            return Vec::new();
        };
        let name = String::from_utf8_lossy(name).into_owned();
        if !seen.insert(name.clone()) {
            dups.insert(name);
        }
        pos += 46 + n + e + c;
    }
    dups.into_iter().collect()
}
