//! Reading registry files: bounded, non-blocking file reads, CSV (UTF-8 with
//! or without BOM, or GBK/GB18030 as Chinese Excel saves it) and the first
//! worksheet of an XLSX workbook.

use super::columns::{RawCell, RawRow, build};
use super::{Asset, AssetError, MAX_ASSET_FILE_BYTES};
use calamine::{Data, Reader, Xlsx};
use std::borrow::Cow;
use std::fs::{File, FileType, OpenOptions};
use std::io::{Cursor, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Parse a CSV registry. `file_name` is used in messages.
pub fn parse_csv(bytes: &[u8], file_name: &str) -> Result<Vec<Asset>, AssetError> {
    check_len(bytes.len() as u64, file_name)?;
    let text = decode(bytes, file_name)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // Spreadsheet rows: one per record, plus the empty lines the CSV reader
    // skips (a spreadsheet shows them as empty rows). The reader's own line
    // count lags behind, so lines are counted here from byte offsets.
    let bytes = text.as_bytes();
    let (mut counted_to, mut newlines_before) = (0usize, 0u64);
    let mut next_line = 1u64;
    let mut row_no = 0u32;
    for record in reader.records() {
        let record = record.map_err(|e| AssetError::Csv {
            file: file_name.to_string(),
            row: row_no + 1,
            detail: e.to_string(),
        })?;
        let mut start = record
            .position()
            .map_or(counted_to, |p| {
                usize::try_from(p.byte()).unwrap_or(usize::MAX)
            })
            .clamp(counted_to, bytes.len());
        // The offset may point at the previous record's line end.
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        newlines_before += bytes[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted_to = start;
        let line = newlines_before + 1;
        let skipped = line.saturating_sub(next_line);
        row_no = row_no
            .saturating_add(u32::try_from(skipped).unwrap_or(u32::MAX))
            .saturating_add(1);
        let inner: usize = record.iter().map(|f| f.matches('\n').count()).sum();
        next_line = line + inner as u64 + 1;
        rows.push(RawRow {
            row_no,
            cells: record
                .iter()
                .map(|f| RawCell::Text(f.to_string()))
                .collect(),
        });
    }
    build(file_name, rows, 0)
}

/// The text of a CSV file: UTF-8 (a BOM is dropped), else GB18030 (which
/// covers GBK) when the bytes are valid in it; UTF-16 is refused.
fn decode<'a>(bytes: &'a [u8], file: &str) -> Result<Cow<'a, str>, AssetError> {
    let encoding = |problem| AssetError::Encoding {
        file: file.to_string(),
        problem,
    };
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(encoding(
            "the file is UTF-16 (Excel's \"Unicode text\"), not CSV UTF-8",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(encoding("the file is neither UTF-8 nor GBK/GB18030 text"));
    }
    Ok(text)
}

/// Parse the first worksheet of an XLSX registry. Numbers are written as text
/// the way a person reads them (`3.0` as `3`, a phone number without exponent).
pub fn parse_xlsx(bytes: &[u8], file_name: &str) -> Result<Vec<Asset>, AssetError> {
    check_len(bytes.len() as u64, file_name)?;
    let not_xlsx = |detail: String| AssetError::NotXlsx {
        file: file_name.to_string(),
        detail,
    };
    if !bytes.starts_with(b"PK") {
        let detail = if bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
            "it is an old Excel .xls or an encrypted workbook".to_string()
        } else {
            "it is not a zip archive as .xlsx files are".to_string()
        };
        return Err(not_xlsx(detail));
    }
    // calamine 0.38 panics on some malformed cell references (an arithmetic
    // overflow found by the asset_registry fuzz target): such a file is
    // refused like any other unreadable workbook, never a crash.
    let read = std::panic::catch_unwind(|| {
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
        workbook
            .worksheet_range_at(0)
            .ok_or_else(|| "the workbook has no worksheet".to_string())?
            .map_err(|e| e.to_string())
    });
    let range = match read {
        Ok(result) => result.map_err(not_xlsx)?,
        Err(_) => {
            return Err(not_xlsx(
                "its worksheet is malformed (a cell reference out of range)".to_string(),
            ));
        }
    };
    let Some((first_row, first_col)) = range.start() else {
        return Err(AssetError::Empty {
            file: file_name.to_string(),
        });
    };
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| RawRow {
            row_no: first_row.saturating_add(i as u32).saturating_add(1),
            cells: cells.iter().map(cell_text).collect(),
        })
        .collect();
    build(file_name, rows, first_col as usize)
}

fn cell_text(cell: &Data) -> RawCell {
    match cell {
        Data::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => {
            RawCell::Text(format!("{}", *f as i64))
        }
        Data::Error(e) => RawCell::SpreadsheetError(e.to_string()),
        Data::Bool(b) => RawCell::Text(if *b { "TRUE" } else { "FALSE" }.to_string()),
        other => RawCell::Text(other.to_string()),
    }
}

fn check_len(len: u64, file: &str) -> Result<(), AssetError> {
    if len == 0 {
        return Err(AssetError::Empty {
            file: file.to_string(),
        });
    }
    if len > MAX_ASSET_FILE_BYTES {
        return Err(AssetError::TooLarge {
            file: file.to_string(),
            size: len,
        });
    }
    Ok(())
}

/// Read a file without blocking on a FIFO or reading more than the limit:
/// type and size are checked before opening, the file is opened
/// non-blocking, and both are checked again once it is open. (The same steps
/// as reading a report file, with the registry's limit.)
pub(super) fn read_bounded(path: &Path, file: &str) -> Result<Vec<u8>, AssetError> {
    let read = |source| AssetError::Read {
        file: file.to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    check_regular(meta.file_type(), file)?;
    check_len(meta.len(), file)?;
    let handle: File = OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(read)?;
    let meta = handle.metadata().map_err(read)?;
    check_regular(meta.file_type(), file)?;
    check_len(meta.len(), file)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    handle
        .take(MAX_ASSET_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    check_len(bytes.len() as u64, file)?;
    Ok(bytes)
}

fn check_regular(t: FileType, file: &str) -> Result<(), AssetError> {
    match crate::file_kind::not_regular(t) {
        None => Ok(()),
        Some(kind) => Err(AssetError::NotRegularFile {
            file: file.to_string(),
            kind,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_numbered_as_a_spreadsheet_shows_them() {
        let csv = "资产名称,主机名\r\n门户,web-01\r\n\r\n\"多行\n名称\",db-01\r\n邮件,\r\n";
        let err = parse_csv(csv.as_bytes(), "f.csv").unwrap_err();
        // header 1, 门户 2, blank 3, 多行 4, 邮件 5
        assert!(err.to_string().starts_with("f.csv: row 5, "), "{err}");
        let ok = parse_csv(&csv.as_bytes()[..csv.len() - "邮件,\r\n".len()], "f.csv").unwrap();
        assert_eq!(ok.iter().map(|a| a.row_no).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn gbk_csv_from_chinese_excel_is_decoded() {
        let text = "资产名称,主机名,单位\r\n门户网站,web-01,办公室\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert!(std::str::from_utf8(&gbk).is_err());
        let assets = parse_csv(&gbk, "gbk.csv").unwrap();
        assert_eq!(assets[0].asset_name, "门户网站");
        assert_eq!(assets[0].unit.as_deref(), Some("办公室"));
    }

    #[test]
    fn utf16_and_undecodable_csv_are_refused_with_advice() {
        let err = parse_csv(b"\xff\xfea\x00", "u16.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("UTF-16") && err.contains("CSV UTF-8"), "{err}");
        let err = parse_csv(b"name,\x81\x20x\n", "bad.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("bad.csv: ") && err.contains("CSV UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn whole_floats_are_written_without_decimals() {
        assert_eq!(cell_text(&Data::Float(3.0)), RawCell::Text("3".into()));
        assert_eq!(
            cell_text(&Data::Float(13800138000.0)),
            RawCell::Text("13800138000".into())
        );
        assert_eq!(cell_text(&Data::Float(2.5)), RawCell::Text("2.5".into()));
        assert_eq!(cell_text(&Data::Int(7)), RawCell::Text("7".into()));
    }

    #[test]
    fn not_an_xlsx_is_named() {
        let err = parse_xlsx(b"just text", "a.xlsx").unwrap_err().to_string();
        assert!(
            err.starts_with("a.xlsx: not a readable Excel .xlsx"),
            "{err}"
        );
        let err = parse_xlsx(b"\xd0\xcf\x11\xe0rest", "b.xlsx")
            .unwrap_err()
            .to_string();
        assert!(err.contains(".xls"), "{err}");
        let err = parse_xlsx(b"PK\x03\x04broken", "c.xlsx")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c.xlsx: not a readable Excel .xlsx"),
            "{err}"
        );
    }
}
