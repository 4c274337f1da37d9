//! The write-ahead log (`NAME-wal`) next to an SQLite database: its header,
//! frames checked by salt and cumulative checksum, and the pages of its
//! committed transactions, which override the database file's own.

use super::be4;
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// What was done with the write-ahead log next to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalState {
    /// No `-wal` file, or an empty one: the database file is complete.
    None,
    /// Committed frames were read from the log and override the database file.
    Applied {
        /// Frames of committed transactions.
        frames: usize,
        /// Distinct pages they replace.
        pages: usize,
    },
    /// The log holds no committed transaction (stale or half-written frames only).
    NothingCommitted,
    /// The log could not be used; the newest changes may be missing.
    Unusable(String),
}

/// The committed content of a write-ahead log.
pub(super) struct Wal {
    pub(super) file: File,
    pub(super) page_size: u32,
    /// Page number → offset of its newest committed frame's data in the log.
    pub(super) pages: HashMap<u32, u64>,
    /// Database size in pages after the last commit.
    pub(super) db_pages: u32,
}

/// Read the log at `path`: its header, then frames while their salts and
/// cumulative checksums hold, keeping those up to the last commit frame.
pub(super) fn open_wal(path: &Path) -> (Option<Wal>, WalState) {
    let name = path.display();
    // The log sits beside a database resolved inside a root: a link in its
    // place could lead out of the root, so it is not followed.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return (
            None,
            WalState::Unusable(format!("{name}: a symbolic link, not followed")),
        );
    }
    let file = match crate::root::open_regular_path(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (None, WalState::None),
        Err(e) => return (None, WalState::Unusable(format!("{name}: {e}"))),
    };
    let len = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return (None, WalState::Unusable(format!("{name}: {e}"))),
    };
    if len == 0 {
        return (None, WalState::None);
    }
    let unusable = |what: &str| (None, WalState::Unusable(format!("{name}: {what}")));
    let mut header = [0u8; 32];
    if len < 32 || file.read_exact_at(&mut header, 0).is_err() {
        return unusable("shorter than a log header");
    }
    let magic = u32::from_be_bytes(be4(&header, 0));
    if magic & !1 != 0x377f_0682 {
        return unusable("not an SQLite write-ahead log (bad magic)");
    }
    let big = magic & 1 == 1;
    let page_size = u32::from_be_bytes(be4(&header, 8));
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return unusable("invalid page size in the log header");
    }
    let (mut s0, mut s1) = wal_checksum(big, &header[..24], 0, 0);
    if (s0, s1)
        != (
            u32::from_be_bytes(be4(&header, 24)),
            u32::from_be_bytes(be4(&header, 28)),
        )
    {
        return unusable("log header checksum mismatch");
    }
    let frame_len = 24 + u64::from(page_size);
    let mut frame = vec![0u8; frame_len as usize];
    let (mut committed, mut pending) = (HashMap::new(), Vec::new());
    let (mut frames, mut pending_frames, mut db_pages) = (0, 0, 0);
    let mut at = 32u64;
    while at + frame_len <= len && file.read_exact_at(&mut frame, at).is_ok() {
        if frame[8..16] != header[16..24] {
            break;
        }
        (s0, s1) = wal_checksum(big, &frame[..8], s0, s1);
        (s0, s1) = wal_checksum(big, &frame[24..], s0, s1);
        if (s0, s1)
            != (
                u32::from_be_bytes(be4(&frame, 16)),
                u32::from_be_bytes(be4(&frame, 20)),
            )
        {
            break;
        }
        let page = u32::from_be_bytes(be4(&frame, 0));
        pending.push((page, at + 24));
        pending_frames += 1;
        let commit = u32::from_be_bytes(be4(&frame, 4));
        if commit != 0 {
            committed.extend(pending.drain(..));
            frames += pending_frames;
            pending_frames = 0;
            db_pages = commit;
        }
        at += frame_len;
    }
    if committed.is_empty() {
        return (None, WalState::NothingCommitted);
    }
    let state = WalState::Applied {
        frames,
        pages: committed.len(),
    };
    let wal = Wal {
        file,
        page_size,
        pages: committed,
        db_pages,
    };
    (Some(wal), state)
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `(s0, s1)`.
fn wal_checksum(big: bool, data: &[u8], mut s0: u32, mut s1: u32) -> (u32, u32) {
    let word = |c: &[u8]| {
        let b = [c[0], c[1], c[2], c[3]];
        if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    for pair in data.chunks_exact(8) {
        s0 = s0.wrapping_add(word(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(word(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_checksum_matches_the_reference_loop() {
        // s0 += x0 + s1; s1 += x1 + s0 over big-endian words.
        let data = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4];
        assert_eq!(wal_checksum(true, &data, 0, 0), (1 + 3 + 3, 3 + 4 + 7));
        let le = [1, 0, 0, 0, 2, 0, 0, 0];
        assert_eq!(wal_checksum(false, &le, 0, 0), (1, 3));
    }
}
