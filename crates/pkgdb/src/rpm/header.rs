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
/// `FILESTATES` (CHAR array: 0 normal, 1 replaced, 2 not installed, 3 netshared, 4 wrong color).
pub const TAG_FILESTATES: u32 = 1029;
/// `FILEMODES` (INT16 array, `st_mode` of each file).
pub const TAG_FILEMODES: u32 = 1030;
/// `FILEDIGESTS` (STRING_ARRAY of hex digests, empty for non-regular files).
pub const TAG_FILEDIGESTS: u32 = 1035;
/// `FILEFLAGS` (INT32 array: `RPMFILE_CONFIG` 1, `RPMFILE_MISSINGOK` 8, `RPMFILE_GHOST` 64, ...).
pub const TAG_FILEFLAGS: u32 = 1037;
/// `FILEVERIFYFLAGS` (INT32 array; bit 0 set: verify the digest).
pub const TAG_FILEVERIFYFLAGS: u32 = 1045;
/// `DIRINDEXES` (INT32 array: each file's entry in DIRNAMES).
pub const TAG_DIRINDEXES: u32 = 1116;
/// `BASENAMES` (STRING_ARRAY).
pub const TAG_BASENAMES: u32 = 1117;
/// `DIRNAMES` (STRING_ARRAY, each ending in `/`).
pub const TAG_DIRNAMES: u32 = 1118;
/// `FILEDIGESTALGO` (INT32, PGP hash algorithm; MD5 when absent).
pub const TAG_FILEDIGESTALGO: u32 = 5011;

const TYPE_CHAR: u32 = 1;
const TYPE_INT8: u32 = 2;
const TYPE_INT16: u32 = 3;
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

impl<'a> Header<'a> {
    /// Every string of the STRING_ARRAY (or STRING) tag `tag`, as bytes
    /// (file names are not necessarily UTF-8).
    pub fn string_array(&self, tag: u32) -> Result<Option<Vec<&'a [u8]>>, HeaderError> {
        let Some(e) = self.entry(tag)? else {
            return Ok(None);
        };
        if !matches!(e.kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return Err(HeaderError(format!(
                "tag {tag} has type {}, not a string array",
                e.kind
            )));
        }
        let data: &'a [u8] = self.data;
        let mut rest = &data[e.offset as usize..];
        let mut out = Vec::with_capacity(e.count as usize);
        for i in 0..e.count {
            let Some(end) = rest.iter().position(|&b| b == 0) else {
                return Err(HeaderError(format!(
                    "tag {tag}: string {i} of {} is not terminated",
                    e.count
                )));
            };
            out.push(&rest[..end]);
            rest = &rest[end + 1..];
        }
        Ok(Some(out))
    }

    /// The values of an integer array tag of `width` bytes (1, 2 or 4), widened to u32.
    fn int_array(
        &self,
        tag: u32,
        kinds: &[u32],
        width: usize,
    ) -> Result<Option<Vec<u32>>, HeaderError> {
        let Some(e) = self.entry(tag)? else {
            return Ok(None);
        };
        if !kinds.contains(&e.kind) {
            return Err(HeaderError(format!(
                "tag {tag} has type {}, not a {}-byte integer",
                e.kind, width
            )));
        }
        let at = e.offset as usize;
        if !at.is_multiple_of(width) {
            return Err(HeaderError(format!(
                "tag {tag}: integers at unaligned offset {at}"
            )));
        }
        let len = e.count as usize * width;
        let bytes = self.data.get(at..at + len).ok_or_else(|| {
            HeaderError(format!(
                "tag {tag}: {} values at offset {at} run past the data store",
                e.count
            ))
        })?;
        Ok(Some(
            bytes
                .chunks_exact(width)
                .map(|c| c.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b)))
                .collect(),
        ))
    }

    /// The values of the INT32 array tag `tag`.
    pub fn int32_array(&self, tag: u32) -> Result<Option<Vec<u32>>, HeaderError> {
        self.int_array(tag, &[TYPE_INT32], 4)
    }

    /// The values of the INT16 array tag `tag`.
    pub fn int16_array(&self, tag: u32) -> Result<Option<Vec<u16>>, HeaderError> {
        Ok(self
            .int_array(tag, &[TYPE_INT16], 2)?
            .map(|v| v.into_iter().map(|x| x as u16).collect()))
    }

    /// The values of the CHAR or INT8 array tag `tag`.
    pub fn int8_array(&self, tag: u32) -> Result<Option<Vec<u8>>, HeaderError> {
        Ok(self
            .int_array(tag, &[TYPE_CHAR, TYPE_INT8], 1)?
            .map(|v| v.into_iter().map(|x| x as u8).collect()))
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
    fn reads_arrays_of_strings_and_integers() {
        let mut names = b"a\0b\xff".to_vec();
        names.push(0);
        names.extend_from_slice(b"c");
        let mut b = blob(&[(TAG_BASENAMES, TYPE_STRING_ARRAY, names)]);
        // Three strings in the one entry.
        b[8 + 12..8 + 16].copy_from_slice(&3u32.to_be_bytes());
        let h = Header::parse(&b).unwrap();
        let got = h.string_array(TAG_BASENAMES).unwrap().unwrap();
        assert_eq!(got, [&b"a"[..], b"b\xff", b"c"]);
        b[8 + 12..8 + 16].copy_from_slice(&4u32.to_be_bytes());
        let h = Header::parse(&b).unwrap();
        assert!(
            h.string_array(TAG_BASENAMES)
                .unwrap_err()
                .0
                .contains("not terminated")
        );
        let b = blob(&[(
            TAG_FILEFLAGS,
            TYPE_INT32,
            [1u32.to_be_bytes(), 64u32.to_be_bytes()].concat(),
        )]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.int32_array(TAG_FILEFLAGS).unwrap(), Some(vec![1, 64]));
        assert!(h.int16_array(TAG_FILEFLAGS).is_err());
        assert_eq!(h.int32_array(TAG_FILEMODES).unwrap(), None);
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
