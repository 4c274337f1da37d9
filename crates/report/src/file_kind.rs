//! What a file is, from its first bytes, so a file handed to the wrong
//! command is named for what it is ("this is an Excel workbook; to load the
//! asset registry use `assets import`") instead of failing as "not valid JSON".
//! Only the kinds people mix up in this work are known; anything else is
//! `None` and the command's own error stands.

/// A kind of file people hand to the wrong selfcheck command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A signed selfcheck report (JSON with `report` and `signature`).
    SignedReport,
    /// A selfcheck evidence package (a zip with `manifest.json` and `manifest.sig`).
    EvidencePackage,
    /// An Excel or WPS workbook (.xlsx: a zip with `xl/`).
    Xlsx,
    /// A Word document (.docx: a zip with `word/`).
    Docx,
    /// Any other zip archive.
    Zip,
    /// An old binary Office file (.xls, .doc, .et: OLE2 compound file).
    OldOffice,
    /// A PDF document.
    Pdf,
    /// An HTML page (e.g. the monthly report).
    Html,
    /// A SQLite database (e.g. the collector's store).
    Sqlite,
    /// A gzip-compressed file.
    Gzip,
    /// An asset registry as CSV (its first line names 资产名称 or asset_name).
    RegistryCsv,
    /// Text in UTF-16 (what Excel's "Unicode text" writes).
    Utf16Text,
}

impl FileKind {
    /// Recognise the kind from the file's first bytes (a few KiB are enough).
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        let head = &bytes[..bytes.len().min(64 * 1024)];
        if head.starts_with(b"PK\x03\x04") {
            let has = |name: &[u8]| memchr::memmem::find(head, name).is_some();
            return Some(if has(b"manifest.json") || has(b"manifest.sig") {
                FileKind::EvidencePackage
            } else if has(b"xl/") {
                FileKind::Xlsx
            } else if has(b"word/") {
                FileKind::Docx
            } else {
                FileKind::Zip
            });
        }
        if head.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
            return Some(FileKind::OldOffice);
        }
        if head.starts_with(b"%PDF-") {
            return Some(FileKind::Pdf);
        }
        if head.starts_with(b"SQLite format 3\0") {
            return Some(FileKind::Sqlite);
        }
        if head.starts_with(&[0x1f, 0x8b]) {
            return Some(FileKind::Gzip);
        }
        if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
            return Some(FileKind::Utf16Text);
        }
        let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let start = text
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&text[..0], |i| &text[i..]);
        let lower: Vec<u8> = start.iter().take(512).map(u8::to_ascii_lowercase).collect();
        if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
            return Some(FileKind::Html);
        }
        // A report file starts with its "report" object (the signature follows
        // it, maybe beyond the bytes looked at).
        let opening = &start[..start.len().min(512)];
        if start.starts_with(b"{")
            && memchr::memmem::find(opening, b"\"report\"").is_some()
            && (memchr::memmem::find(opening, b"\"selfcheck-agent\"").is_some()
                || memchr::memmem::find(start, b"\"report_id\"").is_some()
                || memchr::memmem::find(start, b"\"signature\"").is_some())
        {
            return Some(FileKind::SignedReport);
        }
        let first_line = start.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let names_asset = memchr::memmem::find(first_line, "资产名称".as_bytes()).is_some()
            || memchr::memmem::find(&first_line.to_ascii_lowercase(), b"asset_name").is_some();
        if names_asset && first_line.contains(&b',') {
            return Some(FileKind::RegistryCsv);
        }
        None
    }

    /// What the file is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::SignedReport => "a signed selfcheck report",
            FileKind::EvidencePackage => "a selfcheck evidence package (zip)",
            FileKind::Xlsx => "an Excel workbook (.xlsx)",
            FileKind::Docx => "a Word document (.docx)",
            FileKind::Zip => "a zip archive",
            FileKind::OldOffice => "an old binary Office file (.xls, .doc or .et)",
            FileKind::Pdf => "a PDF document",
            FileKind::Html => "an HTML page",
            FileKind::Sqlite => "a SQLite database",
            FileKind::Gzip => "a gzip-compressed file",
            FileKind::RegistryCsv => "an asset registry (CSV)",
            FileKind::Utf16Text => "UTF-16 text (Excel's \"Unicode text\")",
        }
    }

    /// Which command reads this kind of file, or what to do with it.
    pub fn hint(self) -> &'static str {
        match self {
            FileKind::SignedReport => "import it with `selfcheck-collector import FILE`",
            FileKind::EvidencePackage => "check it with `selfcheck-collector verify FILE`",
            FileKind::Xlsx | FileKind::RegistryCsv => {
                "to load the asset registry use `selfcheck-collector assets import FILE`"
            }
            FileKind::Zip | FileKind::Gzip => "unpack it and give the report files (*.json) inside",
            FileKind::Sqlite => {
                "a collector store is opened with --data DIR (the directory holding collector.sqlite3), never imported"
            }
            FileKind::OldOffice => "save it as .xlsx or CSV UTF-8 in Excel or WPS",
            FileKind::Utf16Text => "save it again as CSV UTF-8 in Excel or WPS",
            FileKind::Docx | FileKind::Pdf | FileKind::Html => {
                "documents are made by `selfcheck-collector ledger`, not read by it"
            }
        }
    }

    /// "this is X; do Y": the sentence an error message ends with.
    pub fn sentence(self) -> String {
        format!("this is {}; {}", self.describe(), self.hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_people_mix_up_are_recognised() {
        let zip = |name: &str| {
            let mut b = b"PK\x03\x04".to_vec();
            b.extend_from_slice(&[0; 26]);
            b.extend_from_slice(name.as_bytes());
            b
        };
        assert_eq!(
            FileKind::sniff(&zip("xl/workbook.xml")),
            Some(FileKind::Xlsx)
        );
        assert_eq!(
            FileKind::sniff(&zip("word/document.xml")),
            Some(FileKind::Docx)
        );
        assert_eq!(
            FileKind::sniff(&zip("manifest.json")),
            Some(FileKind::EvidencePackage)
        );
        assert_eq!(FileKind::sniff(&zip("a.txt")), Some(FileKind::Zip));
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n"), Some(FileKind::Pdf));
        assert_eq!(
            FileKind::sniff(b"SQLite format 3\0..."),
            Some(FileKind::Sqlite)
        );
        assert_eq!(
            FileKind::sniff(b"\n<!DOCTYPE html><html>"),
            Some(FileKind::Html)
        );
        assert_eq!(
            FileKind::sniff("\u{feff}资产名称,主机名\n门户,web-01\n".as_bytes()),
            Some(FileKind::RegistryCsv)
        );
        assert_eq!(
            FileKind::sniff(br#"{"report": {}, "signature": {}}"#),
            Some(FileKind::SignedReport)
        );
        assert_eq!(FileKind::sniff(b"{\"a\": 1}"), None);
        assert_eq!(FileKind::sniff(b"hello"), None);
        assert_eq!(FileKind::sniff(b""), None);
    }
}
