//! A small read-only reader of SQLite 3 database files, enough to list the rows
//! of one table (rpm's `rpmdb.sqlite`) without linking SQLite into the agent.
//!
//! It follows <https://www.sqlite.org/fileformat2.html>: the 100-byte header,
//! table B-tree interior (0x05) and leaf (0x0d) pages, varints, the record
//! format, and overflow page chains. Committed frames of a write-ahead log
//! (`NAME-wal`) are applied: for each page, the newest frame of the last
//! committed transaction wins, as a reader opening the database would see it.
//! Everything read from the file is bounds-checked: a corrupt or truncated
//! file yields a [`SqliteError`] naming the page, never a panic, and each page
//! is visited at most once, so cycles cannot loop forever.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

mod wal;

pub use wal::WalState;
use wal::open_wal;

/// The database cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// Opening or reading the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file does not start with the SQLite 3 magic string.
    #[error("{path}: not an SQLite 3 database (no \"SQLite format 3\" header)")]
    NotSqlite {
        /// The file.
        path: String,
    },
    /// The file's structure is broken.
    #[error("{path}: corrupt SQLite database: page {page}: {what}")]
    Corrupt {
        /// The file.
        path: String,
        /// The page where the damage was found (1 for the file header).
        page: u32,
        /// What is wrong.
        what: String,
    },
}

/// One column value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL (also the stored value of an `INTEGER PRIMARY KEY` column).
    Null,
    /// A signed integer.
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text, in the database's text encoding.
    Text(Vec<u8>),
    /// A blob.
    Blob(Vec<u8>),
}

/// An open database file (and its write-ahead log), read-only.
#[derive(Debug)]
pub struct SqliteFile {
    path: PathBuf,
    file: File,
    file_len: u64,
    page_size: u32,
    usable: u32,
    page_count: u32,
    utf16: Option<bool>, // Some(big_endian) for UTF-16 databases
    wal: Option<(File, HashMap<u32, u64>)>,
    wal_state: WalState,
}

const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// SQLite's own limit on a string or blob (SQLITE_MAX_LENGTH).
const MAX_PAYLOAD: u64 = 1_000_000_000;

impl SqliteFile {
    /// Open `path` read-only, with `path-wal` applied when it holds committed frames.
    pub fn open(path: &Path) -> Result<SqliteFile, SqliteError> {
        let io = |source| SqliteError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = crate::root::open_regular_path(path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        let mut wal_path = path.as_os_str().to_owned();
        wal_path.push("-wal");
        let (wal, wal_state) = open_wal(Path::new(&wal_path));
        let mut db = SqliteFile {
            path: path.to_path_buf(),
            file,
            file_len,
            page_size: 0,
            usable: 0,
            page_count: 0,
            utf16: None,
            wal: None,
            wal_state,
        };
        let mut header = [0u8; 100];
        let wal_page1 = wal
            .as_ref()
            .and_then(|w| w.pages.get(&1).map(|&at| (&w.file, at)));
        if file_len >= 100 {
            db.file.read_exact_at(&mut header, 0).map_err(io)?;
        } else if let Some((wal_file, at)) = wal_page1 {
            // A new database whose every page still lives in the log.
            wal_file.read_exact_at(&mut header, at).map_err(io)?;
        } else {
            return Err(db.corrupt(
                1,
                format!("the file is {file_len} bytes, too short for a database header"),
            ));
        }
        if &header[..16] != MAGIC {
            return Err(SqliteError::NotSqlite {
                path: path.display().to_string(),
            });
        }
        let page_size = page_size_field(&header);
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(db.corrupt(
                1,
                format!("page size {page_size} is not a power of two from 512 to 65536"),
            ));
        }
        db.page_size = page_size;
        match wal {
            Some(w) if w.page_size != page_size => {
                db.wal_state = WalState::Unusable(format!(
                    "its page size {} differs from the database's {page_size}",
                    w.page_size
                ));
            }
            Some(w) => {
                // The newest page 1 carries the header fields that count
                // (the text encoding of a database created in WAL mode).
                if let Some(&at) = w.pages.get(&1) {
                    w.file.read_exact_at(&mut header, at).map_err(io)?;
                    if &header[..16] != MAGIC || page_size_field(&header) != page_size {
                        return Err(db.corrupt(
                            1,
                            "the log's page 1 holds no matching database header".into(),
                        ));
                    }
                }
                db.page_count = w.db_pages;
                db.wal = Some((w.file, w.pages));
            }
            None => {}
        }
        let usable = page_size - u32::from(header[20]);
        if usable < 480 {
            return Err(db.corrupt(1, format!("usable page size {usable} is below 480")));
        }
        db.usable = usable;
        db.utf16 = match u32::from_be_bytes(be4(&header, 56)) {
            0 | 1 => None,
            2 => Some(false),
            3 => Some(true),
            n => return Err(db.corrupt(1, format!("unknown text encoding {n}"))),
        };
        if db.wal.is_none() {
            let header_pages = u32::from_be_bytes(be4(&header, 28));
            let header_pages_valid = header_pages != 0 && be4(&header, 24) == be4(&header, 92);
            let file_pages = u32::try_from(file_len / u64::from(page_size)).unwrap_or(u32::MAX);
            if header_pages_valid && header_pages > file_pages {
                return Err(db.corrupt(
                    1,
                    format!(
                        "the header says {header_pages} pages of {page_size} bytes \
                     but the file holds {file_len} bytes: it is truncated"
                    ),
                ));
            }
            db.page_count = if header_pages_valid {
                header_pages
            } else {
                file_pages
            };
        }
        Ok(db)
    }

    /// The page size in bytes.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// What was done with the write-ahead log.
    pub fn wal_state(&self) -> &WalState {
        &self.wal_state
    }

    /// Text stored in this database as a Rust string (invalid sequences replaced).
    pub fn text(&self, bytes: &[u8]) -> String {
        match self.utf16 {
            None => String::from_utf8_lossy(bytes).into_owned(),
            Some(big) => {
                let units: Vec<u16> = bytes
                    .chunks_exact(2)
                    .map(|c| {
                        if big {
                            u16::from_be_bytes([c[0], c[1]])
                        } else {
                            u16::from_le_bytes([c[0], c[1]])
                        }
                    })
                    .collect();
                String::from_utf16_lossy(&units)
            }
        }
    }

    /// The root page of the table `name` (compared ASCII case-insensitively, as
    /// SQL identifiers are), from the schema table; `None` when there is none.
    pub fn table_root(&self, name: &str) -> Result<Option<u32>, SqliteError> {
        let mut found = None;
        self.for_each_row(1, |_, cols| {
            let text = |i: usize| match cols.get(i) {
                Some(Value::Text(t)) => self.text(t),
                _ => String::new(),
            };
            if found.is_none() && text(0) == "table" && text(1).eq_ignore_ascii_case(name) {
                match cols.get(3) {
                    Some(Value::Integer(p)) if *p > 0 && *p <= i64::from(u32::MAX) => {
                        found = Some(*p as u32)
                    }
                    _ => {
                        return Err(self.corrupt(
                            1,
                            format!("the schema gives table {name} no valid root page"),
                        ));
                    }
                }
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Call `f(rowid, columns)` for every row of the table B-tree rooted at
    /// `root`, in rowid order. An error from `f` stops the walk and is returned.
    pub fn for_each_row(
        &self,
        root: u32,
        mut f: impl FnMut(i64, Vec<Value>) -> Result<(), SqliteError>,
    ) -> Result<(), SqliteError> {
        let mut seen = HashSet::new();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                return Err(
                    self.corrupt(n, "reached twice while walking the table: a cycle".into())
                );
            }
            let page = self.page(n)?;
            let hdr = if n == 1 { 100 } else { 0 };
            let kind = page[hdr];
            let interior = match kind {
                0x05 => true,
                0x0d => false,
                _ => {
                    return Err(self.corrupt(
                        n,
                        format!("page type {kind:#04x} is not a table B-tree page"),
                    ));
                }
            };
            let cells = usize::from(u16::from_be_bytes([page[hdr + 3], page[hdr + 4]]));
            let array = hdr + if interior { 12 } else { 8 };
            let usable = self.usable as usize;
            if array + 2 * cells > usable {
                return Err(self.corrupt(n, format!("{cells} cells do not fit in the page")));
            }
            let offsets = (0..cells).map(|i| {
                let at = array + 2 * i;
                usize::from(u16::from_be_bytes([page[at], page[at + 1]]))
            });
            let mut children = Vec::new();
            for (i, off) in offsets.enumerate() {
                if off < array + 2 * cells || off >= usable {
                    return Err(self.corrupt(
                        n,
                        format!("cell {i} starts at {off}, outside the cell content area"),
                    ));
                }
                let cell = &page[off..usable];
                if interior {
                    children
                        .push(u32::from_be_bytes(be4_at(cell, 0).ok_or_else(|| {
                            self.corrupt(n, format!("cell {i} is cut off"))
                        })?));
                    continue;
                }
                let (payload, rowid) = self.leaf_cell(n, i, cell, &mut seen)?;
                let values = decode_record(&payload)
                    .map_err(|what| self.corrupt(n, format!("cell {i} (rowid {rowid}): {what}")))?;
                f(rowid, values)?;
            }
            if interior {
                children.push(u32::from_be_bytes(be4(&page, hdr + 8)));
                stack.extend(children.into_iter().rev());
            }
        }
        Ok(())
    }

    /// The payload and rowid of leaf cell `i` of page `n`, following its overflow chain.
    fn leaf_cell(
        &self,
        n: u32,
        i: usize,
        cell: &[u8],
        seen: &mut HashSet<u32>,
    ) -> Result<(Vec<u8>, i64), SqliteError> {
        let cut = || self.corrupt(n, format!("cell {i} is cut off"));
        let (size, a) = varint(cell).ok_or_else(cut)?;
        let (rowid, b) = varint(&cell[a..]).ok_or_else(cut)?;
        let limit = MAX_PAYLOAD.min(u64::from(self.page_count) * u64::from(self.usable));
        if size > limit {
            return Err(self.corrupt(
                n,
                format!("cell {i} claims a payload of {size} bytes, more than the database holds"),
            ));
        }
        let size = size as usize;
        let local = local_payload(self.usable, size);
        let start = a + b;
        let body = cell.get(start..start + local).ok_or_else(cut)?;
        let mut payload = Vec::with_capacity(size.min(1 << 20));
        payload.extend_from_slice(body);
        if local < size {
            let mut next = u32::from_be_bytes(be4_at(cell, start + local).ok_or_else(cut)?);
            let mut from = n;
            while payload.len() < size {
                if next == 0 {
                    return Err(self.corrupt(
                        from,
                        format!(
                            "overflow chain of cell {i} of page {n} ends after {} of {size} bytes",
                            payload.len()
                        ),
                    ));
                }
                if !seen.insert(next) {
                    return Err(self.corrupt(from, format!(
                        "overflow chain of cell {i} of page {n} leads to page {next} again: a cycle"
                    )));
                }
                let page = self.page(next)?;
                let take = (size - payload.len()).min(self.usable as usize - 4);
                payload.extend_from_slice(&page[4..4 + take]);
                from = next;
                next = u32::from_be_bytes(be4(&page, 0));
            }
        }
        Ok((payload, rowid as i64))
    }

    /// Page `n` (1-based) as the reader sees it: from the log when it holds the page.
    fn page(&self, n: u32) -> Result<Vec<u8>, SqliteError> {
        if n == 0 || n > self.page_count {
            return Err(self.corrupt(
                n,
                format!(
                    "page number out of range (the database has {} pages)",
                    self.page_count
                ),
            ));
        }
        let mut buf = vec![0u8; self.page_size as usize];
        let io = |source| SqliteError::Io {
            path: self.path.display().to_string(),
            source,
        };
        if let Some((wal, pages)) = &self.wal
            && let Some(&at) = pages.get(&n)
        {
            wal.read_exact_at(&mut buf, at).map_err(io)?;
            return Ok(buf);
        }
        let at = u64::from(n - 1) * u64::from(self.page_size);
        if at + u64::from(self.page_size) > self.file_len {
            return Err(self.corrupt(
                n,
                format!(
                    "beyond the end of the file ({} bytes): it is truncated",
                    self.file_len
                ),
            ));
        }
        self.file.read_exact_at(&mut buf, at).map_err(io)?;
        Ok(buf)
    }

    fn corrupt(&self, page: u32, what: String) -> SqliteError {
        SqliteError::Corrupt {
            path: self.path.display().to_string(),
            page,
            what,
        }
    }
}

/// How many bytes of a table leaf cell's payload of `size` bytes are stored in
/// the page itself when pages have `usable` bytes (the rest overflows).
pub fn local_payload(usable: u32, size: usize) -> usize {
    let u = usable as usize;
    let x = u - 35;
    if size <= x {
        return size;
    }
    let m = ((u - 12) * 32 / 255) - 23;
    let k = m + ((size - m) % (u - 4));
    if k <= x { k } else { m }
}

/// A varint: 1 to 9 bytes, big-endian, 7 bits per byte with the high bit set
/// on all but the last; a ninth byte contributes all 8 bits. `None` when cut off.
pub fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let b = *bytes.get(i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(b), 9));
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The number of body bytes a value of `serial_type` takes, or why it is invalid.
pub fn serial_size(serial_type: u64) -> Result<u64, String> {
    Ok(match serial_type {
        0 | 8 | 9 => 0,
        1..=4 => serial_type,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return Err(format!("reserved serial type {serial_type}")),
        n => (n - 12) / 2,
    })
}

/// Decode a record: a header of serial types, then the values.
pub fn decode_record(payload: &[u8]) -> Result<Vec<Value>, String> {
    let (header_len, mut at) = varint(payload).ok_or("record header cut off")?;
    let header_len = usize::try_from(header_len)
        .ok()
        .filter(|&h| h <= payload.len() && h >= at)
        .ok_or_else(|| {
            format!(
                "record header of {header_len} bytes in a {}-byte payload",
                payload.len()
            )
        })?;
    let mut body = header_len;
    let mut values = Vec::new();
    while at < header_len {
        let (t, len) = varint(&payload[at..header_len]).ok_or("serial type cut off")?;
        at += len;
        let size = serial_size(t)?;
        let end = u64::try_from(body)
            .ok()
            .and_then(|b| b.checked_add(size))
            .filter(|&e| e <= payload.len() as u64)
            .ok_or_else(|| {
                format!(
                    "value of serial type {t} runs past the end of the {}-byte payload",
                    payload.len()
                )
            })? as usize;
        let bytes = &payload[body..end];
        let int = || {
            bytes
                .iter()
                .fold(if bytes[0] & 0x80 != 0 { -1i64 } else { 0 }, |acc, &b| {
                    (acc << 8) | i64::from(b)
                })
        };
        values.push(match t {
            0 => Value::Null,
            1..=6 => Value::Integer(int()),
            7 => Value::Real(f64::from_bits(
                bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
            )),
            8 => Value::Integer(0),
            9 => Value::Integer(1),
            n if n % 2 == 0 => Value::Blob(bytes.to_vec()),
            _ => Value::Text(bytes.to_vec()),
        });
        body = end;
    }
    Ok(values)
}

/// The page size a database header gives (the value 1 means 65536).
fn page_size_field(header: &[u8]) -> u32 {
    match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536,
        n => u32::from(n),
    }
}

fn be4(bytes: &[u8], at: usize) -> [u8; 4] {
    [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]
}

fn be4_at(bytes: &[u8], at: usize) -> Option<[u8; 4]> {
    bytes.get(at..at + 4).map(|b| [b[0], b[1], b[2], b[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_big_endian_seven_bits_with_a_full_ninth_byte() {
        assert_eq!(varint(&[0x00]), Some((0, 1)));
        assert_eq!(varint(&[0x7f, 0xff]), Some((127, 1)));
        assert_eq!(varint(&[0x81, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x82, 0x80, 0x01]), Some(((2 << 14) | 1, 3)));
        assert_eq!(varint(&[0xff; 9]), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81; 8]), None);
        assert_eq!(varint(&[]), None);
        assert_eq!(varint(&[0x80]), None);
    }

    #[test]
    fn serial_types_give_sizes_and_values() {
        assert_eq!(serial_size(0), Ok(0));
        assert_eq!(serial_size(3), Ok(3));
        assert_eq!(serial_size(5), Ok(6));
        assert_eq!(serial_size(7), Ok(8));
        assert!(serial_size(10).is_err());
        assert_eq!(serial_size(12), Ok(0));
        assert_eq!(serial_size(13), Ok(0));
        assert_eq!(serial_size(12 + 2 * 40_000), Ok(40_000));
        // header: 7 bytes; NULL, int8 -2, int24 0x010203, zero, one, text "hi", blob [9], real 1.5
        let rec = [
            9, 0, 1, 3, 8, 9, 17, 14, 7, //
            0xfe, 1, 2, 3, b'h', b'i', 9, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(
            decode_record(&rec).unwrap(),
            vec![
                Value::Null,
                Value::Integer(-2),
                Value::Integer(0x010203),
                Value::Integer(0),
                Value::Integer(1),
                Value::Text(b"hi".to_vec()),
                Value::Blob(vec![9]),
                Value::Real(1.5),
            ]
        );
        assert!(
            decode_record(&[2, 14])
                .unwrap_err()
                .contains("past the end")
        );
        assert!(
            decode_record(&[40, 0])
                .unwrap_err()
                .contains("record header")
        );
        assert!(decode_record(&[2, 10]).unwrap_err().contains("reserved"));
    }

    #[test]
    fn local_payload_follows_the_spec_formula() {
        // U = 4096: X = 4061, M = ((4096-12)*32/255)-23 = 489.
        assert_eq!(local_payload(4096, 0), 0);
        assert_eq!(local_payload(4096, 4061), 4061);
        // K = 489 + (4062-489) % 4092 = 4062 > X, so M.
        assert_eq!(local_payload(4096, 4062), 489);
        // K = 489 + (5000-489) % 4092 = 908.
        assert_eq!(local_payload(4096, 5000), 908);
        assert_eq!(local_payload(4096, 489 + 4092), 489);
        // U = 65536: X = 65501, M = ((65524*32)/255)-23 = 8199.
        assert_eq!(local_payload(65536, 65501), 65501);
        assert_eq!(local_payload(65536, 65502), 8199);
        assert_eq!(
            local_payload(65536, 100_000),
            8199 + (100_000 - 8199) % 65532
        );
        // U = 512: X = 477, M = 39.
        assert_eq!(local_payload(512, 478), 39);
        assert_eq!(local_payload(512, 600), 39 + (600 - 39) % 508);
        assert_eq!(local_payload(512, 477), 477);
    }
}
