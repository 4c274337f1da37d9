//! The rpm header blob the rpm database stores for each installed package.
//!
//! A blob is rpm's exported header without the magic: a big-endian `int32`
//! index count, a big-endian `int32` data length, that many 16-byte index
//! entries (`tag`, `type`, `offset`, `count`, all big-endian) and the data
//! store they point into (rpm's `lib/header.c`, `headerExport`). Only the
//! tags the inventory needs are read, and each is checked against the data
//! store before use: a corrupt blob gives a [`HeaderError`], never a panic.

/// `NAME`.
pub const TAG_NAME: u32 = 1000;
/// `VERSION`.
pub const TAG_VERSION: u32 = 1001;
/// `RELEASE`.
pub const TAG_RELEASE: u32 = 1002;
/// `EPOCH` (INT32).
pub const TAG_EPOCH: u32 = 1003;
/// `INSTALLTIME` (INT32, seconds since the epoch).
pub const TAG_INSTALLTIME: u32 = 1008;
/// `ARCH`.
pub const TAG_ARCH: u32 = 1022;
/// `SOURCERPM`, the file name of the source package.
pub const TAG_SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;
const TYPE_MAX: u32 = 9;
/// rpm's own limits (`hdrchkTags`, `hdrchkData`).
const MAX_TAGS: u32 = 0xffff;
const MAX_DATA: u32 = 0x00ff_ffff;

/// The blob is not a valid rpm header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rpm header: {0}")]
pub struct HeaderError(pub String);

/// One index entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

/// A parsed header blob: its index and data store.
#[derive(Debug)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

impl<'a> Header<'a> {
    /// Check the blob's framing and read its index.
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        let err = |s: String| HeaderError(s);
        let word = |at: usize| {
            blob.get(at..at + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        let (Some(il), Some(dl)) = (word(0), word(4)) else {
            return Err(err(format!(
                "{} bytes, too short for the index and data lengths",
                blob.len()
            )));
        };
        if il == 0 || il > MAX_TAGS {
            return Err(err(format!("index count {il} is out of range")));
        }
        if dl > MAX_DATA {
            return Err(err(format!("data length {dl} is out of range")));
        }
        let want = 8 + 16 * il as usize + dl as usize;
        if blob.len() != want {
            return Err(err(format!(
                "{} bytes, but its {il} index entries and {dl} data bytes make {want}",
                blob.len()
            )));
        }
        let data_start = 8 + 16 * il as usize;
        let entries = (0..il as usize)
            .map(|i| {
                let at = 8 + 16 * i;
                // In bounds: the length was checked above.
                let w = |k: usize| word(at + 4 * k).unwrap_or(0);
                Entry {
                    tag: w(0),
                    kind: w(1),
                    offset: w(2),
                    count: w(3),
                }
            })
            .collect();
        Ok(Header {
            entries,
            data: &blob[data_start..],
        })
    }

    /// The last entry for `tag` (entries added at install time follow the
    /// package's own, as rpm's dribble entries override region entries).
    fn entry(&self, tag: u32) -> Result<Option<Entry>, HeaderError> {
        let Some(e) = self.entries.iter().rev().find(|e| e.tag == tag).copied() else {
            return Ok(None);
        };
        if e.kind > TYPE_MAX {
            return Err(HeaderError(format!(
                "tag {tag} has unknown type {}",
                e.kind
            )));
        }
        if e.count == 0 || e.offset as usize >= self.data.len() {
            return Err(HeaderError(format!(
                "tag {tag}: offset {} count {} outside the {}-byte data store",
                e.offset,
                e.count,
                self.data.len()
            )));
        }
        Ok(Some(e))
    }

    /// The (first) string of `tag`, for STRING, STRING_ARRAY and I18NSTRING tags.
    pub fn string(&self, tag: u32) -> Result<Option<String>, HeaderError> {
        let Some(e) = self.entry(tag)? else {
            return Ok(None);
        };
        if !matches!(e.kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return Err(HeaderError(format!(
                "tag {tag} has type {}, not a string",
                e.kind
            )));
        }
        let rest = &self.data[e.offset as usize..];
        let Some(end) = rest.iter().position(|&b| b == 0) else {
            return Err(HeaderError(format!(
                "tag {tag}: string at offset {} is not terminated",
                e.offset
            )));
        };
        Ok(Some(String::from_utf8_lossy(&rest[..end]).into_owned()))
    }

    /// The first value of the INT32 tag `tag`.
    pub fn int32(&self, tag: u32) -> Result<Option<u32>, HeaderError> {
        let Some(e) = self.entry(tag)? else {
            return Ok(None);
        };
        if e.kind != TYPE_INT32 {
            return Err(HeaderError(format!(
                "tag {tag} has type {}, not INT32",
                e.kind
            )));
        }
        let at = e.offset as usize;
        if !at.is_multiple_of(4) {
            return Err(HeaderError(format!(
                "tag {tag}: INT32 at unaligned offset {at}"
            )));
        }
        let bytes = self.data.get(at..at + 4).ok_or_else(|| {
            HeaderError(format!(
                "tag {tag}: INT32 at offset {at} runs past the data store"
            ))
        })?;
        Ok(Some(u32::from_be_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3],
        ])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a header blob from (tag, type, data) entries; strings get a NUL,
    /// INT32 values are aligned.
    fn blob(entries: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, bytes) in entries {
            if *kind == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            let count = if *kind == TYPE_INT32 {
                bytes.len() / 4
            } else {
                1
            };
            for w in [*tag, *kind, data.len() as u32, count as u32] {
                index.extend_from_slice(&w.to_be_bytes());
            }
            data.extend_from_slice(bytes);
            if *kind != TYPE_INT32 {
                data.push(0);
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    #[test]
    fn reads_strings_and_aligned_int32() {
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, b"bash".to_vec()),
            (TAG_EPOCH, TYPE_INT32, 2u32.to_be_bytes().to_vec()),
            (TAG_ARCH, TYPE_STRING, b"x86_64".to_vec()),
        ]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.string(TAG_NAME).unwrap().as_deref(), Some("bash"));
        assert_eq!(h.int32(TAG_EPOCH).unwrap(), Some(2));
        assert_eq!(h.string(TAG_ARCH).unwrap().as_deref(), Some("x86_64"));
        assert_eq!(h.string(TAG_SOURCERPM).unwrap(), None);
        assert!(h.int32(TAG_NAME).unwrap_err().0.contains("not INT32"));
        assert!(h.string(TAG_EPOCH).unwrap_err().0.contains("not a string"));
    }

    #[test]
    fn corrupt_blobs_are_errors() {
        let good = blob(&[(TAG_NAME, TYPE_STRING, b"bash".to_vec())]);
        assert!(Header::parse(&good[..7]).is_err());
        assert!(
            Header::parse(&good[..good.len() - 1])
                .unwrap_err()
                .0
                .contains("make")
        );
        let mut huge = good.clone();
        huge[0..4].copy_from_slice(&0x0100_0000u32.to_be_bytes());
        assert!(Header::parse(&huge).unwrap_err().0.contains("index count"));
        // Offset past the data store.
        let mut off = good.clone();
        off[16..20].copy_from_slice(&100u32.to_be_bytes());
        let h = Header::parse(&off).unwrap();
        assert!(h.string(TAG_NAME).unwrap_err().0.contains("outside"));
        // No terminating NUL.
        let mut unterminated = good.clone();
        let last = unterminated.len() - 1;
        unterminated[last] = b'x';
        let h = Header::parse(&unterminated).unwrap();
        assert!(h.string(TAG_NAME).unwrap_err().0.contains("not terminated"));
        // Unaligned INT32.
        let mut b = blob(&[(TAG_EPOCH, TYPE_INT32, vec![0, 0, 0, 1, 0, 0, 0, 0])]);
        b[16..20].copy_from_slice(&1u32.to_be_bytes());
        let h = Header::parse(&b).unwrap();
        assert!(h.int32(TAG_EPOCH).unwrap_err().0.contains("unaligned"));
        // Unknown type.
        let mut t = good;
        t[12..16].copy_from_slice(&77u32.to_be_bytes());
        assert!(
            Header::parse(&t)
                .unwrap()
                .string(TAG_NAME)
                .unwrap_err()
                .0
                .contains("unknown type")
        );
    }
}
